"""The database goes away mid-run: requests fail fast with 503 and a GraphQL error, and
the service recovers by itself when the database is back.

The server reaches PostgreSQL through a TCP proxy owned by the test, which can refuse
connections (the database is down) or swallow them (a network black hole) and then
carry traffic again, without touching the PostgreSQL server other tests share.
"""

import io

import httpx
import pytest
from django.core.management import call_command
from django.db import connection

from tests.e2e.conftest import running_server, test_database_url
from tests.e2e.proxy import FaultyProxy

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a database server"),
]

QUERY = {"query": '{ event(slug: "djangocon-us-2011") { name talkCount } }'}


@pytest.fixture
def proxied_server(transactional_db):
    call_command("load_demo", stdout=io.StringIO())
    settings = connection.settings_dict
    proxy = FaultyProxy((settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432)))
    url = test_database_url().replace(f":{settings['PORT'] or 5432}/", f":{proxy.port}/")
    with running_server(url, DATABASE_CONNECT_TIMEOUT="2") as base:
        yield base, proxy
    proxy.close()


def ask(base: str) -> httpx.Response:
    # The client's timeout is the "fails fast" assertion: a hung worker would trip it.
    return httpx.post(f"{base}/graphql/", json=QUERY, timeout=10)


@pytest.mark.parametrize("outage", ["refuse", "blackhole"])
def test_outage_is_a_fast_503_and_the_service_recovers(proxied_server, outage):
    base, proxy = proxied_server
    assert ask(base).json()["data"]["event"]["talkCount"] == 7
    assert httpx.get(f"{base}/graphql/", params=QUERY, timeout=10).status_code == 200

    proxy.cut(outage)
    for _ in range(3):
        response = ask(base)
        assert response.status_code == 503
        assert response.headers["retry-after"]
        body = response.json()
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        assert "database is unavailable" in body["errors"][0]["message"]
    # A public GET reads the catalogue version first, on a pooled connection the
    # outage broke: 503 too, and back afterwards.
    public = httpx.get(f"{base}/graphql/", params=QUERY, timeout=10)
    assert public.status_code == 503
    assert public.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
    assert httpx.get(f"{base}/readyz", timeout=10).status_code == 503

    proxy.cut("up")
    response = ask(base)
    assert response.status_code == 200
    assert response.json()["data"]["event"]["talkCount"] == 7
    assert httpx.get(f"{base}/readyz", timeout=10).status_code == 200
    public = httpx.get(f"{base}/graphql/", params=QUERY, timeout=10)
    assert public.status_code == 200 and public.headers["Cache-Control"].startswith("public")
