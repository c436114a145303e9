"""A live server reuses its PostgreSQL connections across requests (the pool,
project/pooled_postgresql), and opens one per request with the pool off."""

import io
import time

import httpx
import pytest
from django.core.management import call_command
from django.db import connection

from tests.e2e.conftest import running_server, test_database_url

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pools PostgreSQL only"),
]
QUERY = {"query": '{ event(slug: "djangocon-us-2011") { name talkCount } }'}


# libpq names the server's connections after PGAPPNAME, which tells them apart from this
# test process's own.
SERVER_NAME = "e2e-connection-reuse"


def server_backends() -> set[int]:
    """The backend pids of the server's connections."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [SERVER_NAME]
        )
        return {pid for (pid,) in cursor.fetchall()}


def eventually(wanted, seconds: float = 10):
    deadline = time.monotonic() + seconds
    while (found := server_backends()) != wanted:
        assert time.monotonic() < deadline, f"backends {found}, wanted {wanted}"
        time.sleep(0.05)


@pytest.fixture
def catalogue(transactional_db):
    call_command("load_demo", stdout=io.StringIO())


def test_sequential_requests_share_one_connection(catalogue):
    with running_server(test_database_url(), PGAPPNAME=SERVER_NAME) as base:
        seen = []
        for _ in range(10):
            response = httpx.post(f"{base}/graphql/", json=QUERY, timeout=10)
            assert response.json()["data"]["event"]["talkCount"] == 7
            seen.append(server_backends())
        assert len(seen[0]) == 1
        assert all(backends == seen[0] for backends in seen)


def test_with_the_pool_off_each_request_opens_and_closes_its_own(catalogue):
    with running_server(test_database_url(), PGAPPNAME=SERVER_NAME, DATABASE_POOL_SIZE="0") as base:
        for _ in range(3):
            response = httpx.post(f"{base}/graphql/", json=QUERY, timeout=10)
            assert response.json()["data"]["event"]["talkCount"] == 7
            eventually(set())
