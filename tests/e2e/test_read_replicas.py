"""Read replicas over real streaming replication: a live server on a primary built for the
test and its replica, counting the statements each database ran."""

import os
import subprocess
import sys
import time
import uuid

import httpx
import pytest
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import ROOT, running_server
from tests.e2e.replication import StreamingPair, available

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]

TALKS = "{ talks(first: 10) { totalCount edges { node { title speakers { name } } } } }"
TOPIC = "query ($q: String!) { topics(filter: {search: $q}) { edges { node { name } } } }"
CREATE_TOPIC = """mutation ($name: String!) { createTopic(input: {name: $name}) {
    ... on Topic { name } ... on OperationInfo { messages { message } } } }"""
MAX_LAG, CHECK, PIN = 1.0, 0.3, 3.0
NEW_TOKEN = """
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from talks.tokens import token_create
user = get_user_model().objects.create_user("editor", password="x", is_staff=True)
user.user_permissions.add(Permission.objects.get(codename="add_topic"))
print(token_create(user=user, name="replica-test")[1])
"""


def manage(database_url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "0", "SECRET_KEY": "e2e"}
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if not available():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("PostgreSQL's server binaries are needed in /usr/lib/postgresql/15/bin")
        pytest.skip("no PostgreSQL server binaries to build a replica with")
    pair = StreamingPair()
    log = tmp_path_factory.mktemp("replicas") / "server.log"
    try:
        pair.start()
        manage(pair.primary.url, "migrate", "-v0")
        manage(pair.primary.url, "load_demo")
        secret = manage(pair.primary.url, "shell", "-c", NEW_TOKEN).strip().splitlines()[-1]
        pair.caught_up()
        env = {
            "DATABASE_REPLICA_URLS": pair.replica.url,
            "DATABASE_REPLICA_MAX_LAG_SECONDS": str(MAX_LAG),
            "DATABASE_REPLICA_CHECK_SECONDS": str(CHECK),
            "DATABASE_REPLICA_PIN_SECONDS": str(PIN),
            "METRICS_TOKEN": "scrape",
        }
        with running_server(pair.primary.url, output=log, **env) as base:
            yield pair, base, secret, log
    finally:
        pair.close()


def ask(base: str, query: str, variables=None, token: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(
        f"{base}/graphql/", json={"query": query, "variables": variables or {}},
        headers=headers, timeout=10,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


class Statements:
    """Statements on a table that each server ran since the last call."""

    def __init__(self, pair: StreamingPair, table: str) -> None:
        self.pair, self.table = pair, table
        self.before = self.now()

    def now(self) -> tuple[int, int]:
        return self.pair.primary.statements_on(self.table), self.pair.replica.statements_on(
            self.table
        )

    def since(self) -> tuple[int, int]:
        now = self.now()
        delta = (now[0] - self.before[0], now[1] - self.before[1])
        self.before = now
        return delta


def until(condition, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.1)


def test_queries_read_from_the_replica_and_the_log_says_so(cluster):
    pair, base, _, log = cluster
    talks = Statements(pair, "talks_talk")
    for _ in range(5):
        assert ask(base, TALKS)["talks"]["totalCount"] == 52
    on_primary, on_replica = talks.since()
    assert on_primary == 0 and on_replica >= 5
    assert '"db": "replica-1"' in log.read_text()


def test_a_mutation_runs_on_the_primary_and_its_client_then_reads_its_write(cluster):
    pair, base, secret, _ = cluster
    topics = Statements(pair, "talks_topic")
    name = f"Replication {uuid.uuid4().hex[:8]}"
    assert ask(base, CREATE_TOPIC, {"name": name}, secret)["createTopic"] == {"name": name}
    # Right after its write, the writer's own queries see it: they read the primary.
    found = ask(base, TOPIC, {"q": name}, secret)["topics"]["edges"]
    assert [edge["node"]["name"] for edge in found] == [name]
    on_primary, on_replica = topics.since()
    assert on_primary >= 2 and on_replica == 0
    # An anonymous client is never pinned; the writer is released after the pin.
    ask(base, TOPIC, {"q": name})
    assert topics.since()[1] >= 1
    time.sleep(PIN + 0.2)
    ask(base, TOPIC, {"q": name}, secret)
    on_primary, on_replica = topics.since()
    assert on_primary == 0 and on_replica >= 1


def test_a_paused_replica_leaves_rotation_and_returns_when_it_catches_up(cluster):
    pair, base, secret, _ = cluster
    talks = Statements(pair, "talks_talk")
    pair.replica.sql("SELECT pg_wal_replay_pause()")
    try:
        ask(base, CREATE_TOPIC, {"name": f"Lag {uuid.uuid4().hex[:8]}"}, secret)  # WAL to lag on

        def reads_primary() -> bool:
            ask(base, TALKS)
            return talks.since()[0] > 0

        until(reads_primary)
        for _ in range(3):
            ask(base, TALKS)
        assert talks.since()[1] == 0  # none on the lagging replica
        readiness = httpx.get(f"{base}/readyz", timeout=10).json()
        assert readiness["replicas"]["replica-1"]["status"] == "unavailable"
    finally:
        pair.replica.sql("SELECT pg_wal_replay_resume()")

    def reads_replica() -> bool:
        ask(base, TALKS)
        return talks.since()[1] > 0

    until(reads_replica)
    assert httpx.get(f"{base}/readyz", timeout=10).json()["replicas"]["replica-1"]["status"] == "ok"


def test_a_public_get_is_never_answered_from_behind_its_version(cluster, tmp_path):
    pair, _, secret, _ = cluster
    # A replica that lags but stays in rotation (a lag threshold of a minute): a POST
    # query may read the old state; a public GET, whose answer is cached under the
    # primary's catalogue version, reads the primary until the replica has that version.
    env = {"DATABASE_REPLICA_URLS": pair.replica.url, "DATABASE_REPLICA_MAX_LAG_SECONDS": "60"}
    with running_server(pair.primary.url, output=tmp_path / "server.log", **env) as base:
        name = f"Fresh {uuid.uuid4().hex[:8]}"
        pair.replica.sql("SELECT pg_wal_replay_pause()")
        try:
            ask(base, CREATE_TOPIC, {"name": name}, secret)
            stale = ask(base, TOPIC, {"q": name})["topics"]["edges"]
            public = httpx.get(
                f"{base}/graphql/",
                params={"query": TOPIC, "variables": f'{{"q": "{name}"}}'},
                timeout=10,
            )
        finally:
            pair.replica.sql("SELECT pg_wal_replay_resume()")
    assert stale == []  # the documented limit: another client may read a lagging replica
    assert public.status_code == 200 and "ETag" in public.headers
    assert [e["node"]["name"] for e in public.json()["data"]["topics"]["edges"]] == [name]


def test_a_stopped_replica_fails_no_request(cluster, tmp_path):
    pair, _, _, _ = cluster
    # A server that checks its replica only once a minute, so that the replica is gone
    # between a check and the queries that trust it: they fail on it mid-query.
    log = tmp_path / "server.log"
    env = {"DATABASE_REPLICA_URLS": pair.replica.url, "DATABASE_REPLICA_CHECK_SECONDS": "60"}
    with running_server(pair.primary.url, output=log, **env) as base:
        talks = Statements(pair, "talks_talk")
        ask(base, TALKS)
        assert talks.since()[1] > 0  # in rotation
        pair.replica.stop("immediate")
        try:
            for _ in range(20):
                assert ask(base, TALKS)["talks"]["totalCount"] == 52
            readiness = httpx.get(f"{base}/readyz", timeout=10)
            assert readiness.status_code == 200
            assert readiness.json()["database"] == "ok"
            assert readiness.json()["replicas"]["replica-1"]["status"] == "unavailable"
        finally:
            pair.replica.start()
    lines = log.read_text()
    assert '"problem": "OperationalError during a query"' in lines
    assert lines.count('"message": "replica out of rotation"') == 1  # then it stayed out


def scrape(base: str) -> dict:
    answer = httpx.get(f"{base}/metrics", headers={"Authorization": "Bearer scrape"}, timeout=10)
    assert answer.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def test_metrics_say_where_operations_read_and_how_the_replica_stands(cluster):
    pair, base, secret, _ = cluster
    pair.caught_up()

    def routed(samples: dict, database: str, reason: str) -> float:
        key = (("database", database), ("reason", reason))
        return samples.get(("graphql_read_routing_total", key), 0)

    before = scrape(base)

    def reads_replica() -> bool:  # once back in rotation (an earlier test stopped it)
        ask(base, TALKS)
        return routed(scrape(base), "replica-1", "query") > routed(before, "replica-1", "query")

    until(reads_replica)
    before = scrape(base)
    ask(base, CREATE_TOPIC, {"name": f"Metric {uuid.uuid4().hex[:8]}"}, secret)
    ask(base, TALKS, token=secret)  # its client just wrote: pinned to the primary
    after = scrape(base)
    assert routed(after, "primary", "mutation") - routed(before, "primary", "mutation") == 1
    assert routed(after, "primary", "pinned") - routed(before, "primary", "pinned") == 1
    replica = (("database", "replica-1"),)
    assert after[("database_replica_up", replica)] == 1
    assert 0 <= after[("database_replica_lag_seconds", replica)] <= MAX_LAG
    pool = (("database", "default"),)
    assert after[("database_pool_size", pool)] == 10
    assert after[("database_pool_waiting", pool)] == 0
    # The scrape itself holds a connection (it reads the registered operation names).
    assert after[("database_pool_connections_in_use", pool)] <= 1
