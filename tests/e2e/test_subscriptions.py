"""Subscriptions as frontends use them, over real HTTP and WebSocket: the graphql-ws and
graphql-sse clients (npm, tests/clients) subscribe on one server process, a mutation
goes through another, and the change reaches both; a client that reconnects resumes;
Redis carries the wake-ups, and its absence delays nothing past a tick."""

import contextlib
import json
import os
import shutil
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from talks.changes import last_change_id
from talks.tokens import token_create
from tests.e2e.conftest import free_port, running_server, test_database_url
from tests.factories import TopicFactory

pytestmark = pytest.mark.e2e

CLIENTS = Path(__file__).resolve().parents[1] / "clients"
CHANGES = """subscription ($types: [NodeType!], $since: ID) {
  changes(types: $types, since: $since) { id action type version nodeId
    node { ... on Topic { name } } } }"""
CREATE = """mutation ($name: String!) { createTopic(input: {name: $name}) {
  ... on Topic { id } } }"""
UPDATE = """mutation ($id: ID!, $name: String!) { updateTopic(input: {id: $id, name: $name}) {
  ... on Topic { version } } }"""


@pytest.fixture(scope="module")
def node_clients() -> Path:
    node = shutil.which("node")
    if node is None or not (CLIENTS / "node_modules" / "graphql-ws").exists():
        message = "needs Node.js and `npm ci --prefix tests/clients`"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"The subscription tests must run in CI: {message}")
        pytest.skip(message)
    return CLIENTS


class Subscribed:
    """A node client's subscription, its results read line by line."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process
        assert "subscribed" in self.line()

    def line(self, seconds: float = 20) -> dict:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            text = self.process.stdout.readline()
            if text:
                return json.loads(text)
            if self.process.poll() is not None:
                raise AssertionError(f"the client ended: {self.process.stderr.read()}")
        raise AssertionError("no result in time")


@contextmanager
def subscribe(transport: str, base: str, variables: dict, count: int):
    process = subprocess.Popen(
        [
            "node",
            "subscribe.mjs",
            transport,
            f"{base}/graphql/",
            CHANGES,
            json.dumps(variables),
            str(count),
        ],
        cwd=CLIENTS,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield Subscribed(process)
    finally:
        process.kill()
        process.wait()


@contextmanager
def own_redis():
    """A Redis server of the test's own, to stop midway without touching the shared one."""
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    try:
        yield f"redis://127.0.0.1:{port}/0", process
    finally:
        process.kill()
        process.wait()


def ask(base: str, query: str, variables: dict, token: str) -> dict:
    answer = httpx.post(
        f"{base}/graphql/",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).json()
    assert "errors" not in answer, answer
    return answer["data"]


@pytest.fixture
def token(transactional_db, staff_user) -> str:
    return token_create(user=staff_user, name="e2e")[1]


def test_a_change_through_one_process_reaches_ws_and_sse_subscribers_of_another(
    node_clients, token
):
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    slow_ticks = {"REDIS_URL": redis_url, "CHANGES_POLL_SECONDS": "60"}
    with (
        running_server(test_database_url(), **slow_ticks) as a,
        running_server(test_database_url(), **slow_ticks) as b,
        subscribe("ws", a, {"types": ["TOPIC"]}, 2) as ws,
        subscribe("sse", a, {"types": ["TOPIC"]}, 2) as sse,
    ):
        time.sleep(1)  # both subscriptions open before the write
        created = ask(b, CREATE, {"name": "Live"}, token)["createTopic"]
        ask(b, UPDATE, {"id": created["id"], "name": "Live, renamed"}, token)
        for client in (ws, sse):
            # only Redis's wake-up can bring them before the next 60-second tick
            first, second = client.line()["data"]["changes"], client.line()["data"]["changes"]
            assert (first["action"], first["nodeId"], first["version"]) == (
                "CREATED",
                created["id"],
                1,
            )
            assert second["action"] == "UPDATED" and second["node"] == {"name": "Live, renamed"}
            assert int(second["id"]) > int(first["id"])


def test_a_subscriber_that_comes_back_gets_what_it_missed_once_then_live_ones(node_clients, token):
    TopicFactory(name="Before")
    seen = last_change_id()
    with running_server(test_database_url(), CHANGES_POLL_SECONDS="0.2") as base:
        missed = [ask(base, CREATE, {"name": f"Missed {n}"}, token) for n in range(3)]
        with subscribe("ws", base, {"types": ["TOPIC"], "since": str(seen)}, 4) as ws:
            replayed = [ws.line()["data"]["changes"] for _ in missed]
            assert [c["nodeId"] for c in replayed] == [m["createTopic"]["id"] for m in missed]
            live = ask(base, CREATE, {"name": "Live"}, token)["createTopic"]
            assert ws.line()["data"]["changes"]["nodeId"] == live["id"]


def test_sse_events_carry_the_change_id_and_last_event_id_resumes(transactional_db, token):
    with running_server(test_database_url(), CHANGES_POLL_SECONDS="0.2") as base:
        first = ask(base, CREATE, {"name": "One"}, token)["createTopic"]
        start = last_change_id() - 1
        ask(base, CREATE, {"name": "Two"}, token)
        body = {"query": "subscription { changes(types: [TOPIC]) { id nodeId } }"}
        headers = {"Accept": "text/event-stream", "Last-Event-ID": str(start)}
        with httpx.stream(
            "POST", f"{base}/graphql/", json=body, headers=headers, timeout=30
        ) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            events, event = [], {}
            for line in stream.iter_lines():
                if line.startswith(("id:", "event:", "data:")):
                    name, _, value = line.partition(": ")
                    event[name] = value
                elif not line and "data" in event:
                    events.append(event)
                    event = {}
                    if len(events) == 2:
                        break
        assert events[0]["event"] == "next"
        data = [json.loads(e["data"])["data"]["changes"] for e in events]
        assert data[0]["nodeId"] == first["id"] and [e["id"] for e in events] == [
            d["id"] for d in data
        ]


def test_redis_stopped_midway_loses_nothing(node_clients, token):
    with (
        own_redis() as (redis_url, redis_process),
        running_server(
            test_database_url(), REDIS_URL=redis_url, CHANGES_POLL_SECONDS="0.5"
        ) as base,
        subscribe("sse", base, {"types": ["TOPIC"]}, 2) as sse,
    ):
        time.sleep(1)
        ask(base, CREATE, {"name": "With Redis"}, token)
        assert sse.line()["data"]["changes"]["node"] == {"name": "With Redis"}
        redis_process.kill()
        redis_process.wait()
        ask(base, CREATE, {"name": "Without Redis"}, token)  # the write does not fail
        assert sse.line()["data"]["changes"]["node"] == {"name": "Without Redis"}


DEEP = """subscription { changes { node { ... on Topic { talks(first: 5) { edges { node {
  speakers { talks(first: 5) { edges { node { speakers { name } } } } } } } } } } } }"""
MUTATION = 'mutation { createTopic(input: {name: "X"}) { __typename } }'


def events_of(response: httpx.Response) -> list[dict]:
    return [
        json.loads(line.removeprefix("data: "))
        for line in response.text.splitlines()
        if line.startswith("data: {")
    ]


def test_subscriptions_pass_the_limits_and_act_for_no_one(transactional_db):
    with running_server(test_database_url(), GRAPHQL_MAX_DEPTH="6") as base:
        stream = {"Accept": "text/event-stream"}
        refused = httpx.post(f"{base}/graphql/", json={"query": DEEP}, headers=stream, timeout=30)
        (answer,) = events_of(refused)
        assert answer["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        anonymous = httpx.post(
            f"{base}/graphql/", json={"query": MUTATION}, headers=stream, timeout=30
        )
        (answer,) = events_of(anonymous)
        assert answer["data"]["createTopic"]["__typename"] == "OperationInfo"


def test_open_subscriptions_hold_no_database_connection(node_clients, token):
    if not test_database_url().startswith("postgres"):
        pytest.skip("pools PostgreSQL only")
    with (
        running_server(
            test_database_url(), DATABASE_POOL_SIZE="2", CHANGES_POLL_SECONDS="0.2"
        ) as base,
        contextlib.ExitStack() as clients,
    ):
        subscribed = [
            clients.enter_context(subscribe("sse", base, {"types": ["TOPIC"]}, 1)) for _ in range(6)
        ]
        time.sleep(1)
        created = ask(base, CREATE, {"name": "Pool"}, token)["createTopic"]  # still served
        for client in subscribed:
            assert client.line()["data"]["changes"]["nodeId"] == created["id"]


def test_a_subscription_is_charged_to_the_clients_rate_limit(transactional_db):
    costly = """subscription { changes { node { ... on Topic { talks(first: 50) {
      edges { node { title } } } } } } }"""
    with running_server(test_database_url(), GRAPHQL_RATE_LIMIT_ANONYMOUS="20") as base:
        answer = httpx.post(
            f"{base}/graphql/",
            json={"query": costly},
            headers={"Accept": "text/event-stream"},
            timeout=30,
        )
        (result,) = events_of(answer)
        assert result["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
