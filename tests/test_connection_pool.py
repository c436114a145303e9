"""The pool of PostgreSQL connections each server process keeps
(project/pooled_postgresql): what a request gets when it asks for a connection.

Each test builds its own pool under an alias of its own, from the test database's
settings, so sizes and timeouts are the test's, and nothing is shared with other tests.
"""

import itertools
import threading
import time

import pytest
from dj_db_conn_pool.core import pool_container
from django.db import OperationalError, connection
from django.db.utils import load_backend
from prometheus_client import REGISTRY

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pools PostgreSQL only"),
]
_aliases = itertools.count(1)


class Pool:
    """Requests of one server process, each with its own Django connection."""

    def __init__(self, size: int, timeout: float = 5, **settings) -> None:
        self.alias = f"pool-test-{next(_aliases)}"
        self.settings = {
            **connection.settings_dict,
            **settings,
            "POOL_OPTIONS": {**connection.settings_dict["POOL_OPTIONS"]},
        }
        self.settings["POOL_OPTIONS"].update(POOL_SIZE=size, TIMEOUT=timeout)
        self.opened = []

    def request(self):
        """A request's connection, checked out of the pool."""
        backend = load_backend(self.settings["ENGINE"])
        wrapper = backend.DatabaseWrapper(self.settings, self.alias)
        wrapper.ensure_connection()
        self.opened.append(wrapper)
        return wrapper

    def close(self) -> None:
        for wrapper in self.opened:
            wrapper.close()
        with pool_container.lock:
            if (pool := pool_container.pop(self.alias, None)) is not None:
                pool.dispose()


@pytest.fixture
def pools():
    made = []

    def make(size: int, **options) -> Pool:
        made.append(Pool(size, **options))
        return made[-1]

    yield make
    for pool in made:
        pool.close()


def backend_pid(wrapper) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def backend_alive(pid: int) -> bool:
    with connection.cursor() as cursor:
        # pg_stat_activity is read once per transaction, and the test runs in one:
        # without clearing that snapshot a backend seen alive stays alive.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0] == 1


def test_the_server_settings_pool_postgres_connections():
    assert connection.settings_dict["ENGINE"] == "project.pooled_postgresql"
    assert connection.settings_dict["POOL_OPTIONS"]["MAX_OVERFLOW"] == 0
    assert connection.settings_dict["POOL_OPTIONS"]["PRE_PING"] is True


def test_the_next_request_gets_the_connection_the_last_one_gave_back(pools):
    pool = pools(2)
    first = pool.request()
    pid = backend_pid(first)
    first.close()
    assert backend_alive(pid), "handing a connection back must not close it"
    assert backend_pid(pool.request()) == pid


def test_the_pool_never_opens_more_than_its_size_and_a_full_pool_is_a_database_error(pools):
    pool = pools(2, timeout=0.3)
    first, second = pool.request(), pool.request()
    assert backend_pid(first) != backend_pid(second)
    # A third request waits for a free connection, then fails as a database outage
    # does (the API answers 503 to it), not with a pool's own exception.
    with pytest.raises(OperationalError, match=r"stayed in use for 0\.3 s"):
        pool.request()
    pid = backend_pid(first)
    first.close()
    assert backend_pid(pool.request()) == pid


def test_a_connection_the_server_dropped_is_replaced_when_it_is_checked_out(pools):
    pool = pools(1)
    first = pool.request()
    pid = backend_pid(first)
    first.close()
    # What a PostgreSQL restart does to every kept connection.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 10
    while backend_alive(pid):
        assert time.monotonic() < deadline, "the backend did not go away"
        time.sleep(0.05)
    replaced = pool.request()
    assert backend_pid(replaced) != pid
    with replaced.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM talks_talk")
        assert cursor.fetchone() == (0,)


def test_connections_to_another_database_do_not_come_from_the_old_pool(pools):
    pool = pools(1)
    first = pool.request()
    first.close()
    pool.settings["NAME"] = "postgres"  # as the test runner renames the database
    with pool.request().cursor() as cursor:
        cursor.execute("SELECT current_database()")
        assert cursor.fetchone() == ("postgres",)


def test_the_metrics_say_how_many_connections_are_in_use_and_how_many_requests_wait(pools):
    pool = pools(1, timeout=10)

    def gauge(name: str) -> float:
        return REGISTRY.get_sample_value(name, {"database": pool.alias}) or 0

    first = pool.request()
    assert gauge("database_pool_connections_in_use") == 1
    release = threading.Event()

    def another_request() -> None:  # a connection is closed on the thread that opened it
        wrapper = pool.request()
        release.wait(timeout=10)
        pool.opened.remove(wrapper)
        wrapper.close()

    second = threading.Thread(target=another_request)
    second.start()
    deadline = time.monotonic() + 10
    while gauge("database_pool_waiting") != 1:
        assert time.monotonic() < deadline, "the second request never waited"
        time.sleep(0.02)
    first.close()
    while gauge("database_pool_waiting") != 0:
        assert time.monotonic() < deadline, "the second request never got the connection"
        time.sleep(0.02)
    assert gauge("database_pool_connections_in_use") == 1
    release.set()
    second.join(timeout=10)
    assert gauge("database_pool_connections_in_use") == 0
