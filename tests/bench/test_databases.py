"""The benchmarks create the PostgreSQL database they are pointed at when it is missing."""

import uuid

import psycopg2
import pytest
from django.db import connection

from bench.benchmark import create_database
from tests.e2e.conftest import test_database_url

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")


def test_a_missing_benchmark_database_is_created_once(db):
    name = f"talks_bench_probe_{uuid.uuid4().hex[:8]}"
    url = test_database_url().rsplit("/", 1)[0] + f"/{name}"
    try:
        assert create_database(url) is True
        with psycopg2.connect(url) as created, created.cursor() as cursor:
            cursor.execute("SELECT current_database()")
            assert cursor.fetchone() == (name,)
        created.close()
        assert create_database(url) is False
    finally:
        server = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
        server.autocommit = True
        with server.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        server.close()
