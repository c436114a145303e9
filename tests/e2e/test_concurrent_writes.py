"""Admin tooling that races or retries, against two server processes on one database:
two updates of what they both read at one version, and one create sent twice with one
idempotency key, at the same moment."""

import threading

import httpx
import pytest

from schema.ids import global_id
from talks.models import Talk, Topic
from talks.tokens import token_create
from tests.e2e.conftest import running_server, test_database_url
from tests.factories import EventFactory, TopicFactory

pytestmark = pytest.mark.e2e

ROUNDS = 8
UPDATE = """mutation ($input: UpdateTopicInput!) { updateTopic(input: $input) { __typename
  ... on Topic { name version } ... on OperationInfo { messages { code message } } } }"""
CREATE = """mutation ($input: CreateTalkInput!) { createTalk(input: $input) { __typename
  ... on Talk { id } ... on OperationInfo { messages { code message } } } }"""


@pytest.fixture
def two_workers(transactional_db, staff_user):
    _, secret = token_create(user=staff_user, name="e2e")
    with (
        running_server(test_database_url()) as a,
        running_server(test_database_url()) as b,
    ):
        yield a, b, {"Authorization": f"Bearer {secret}"}


def at_once(*requests) -> list[dict]:
    """Send each (base, query, variables, headers) from its own thread, released together."""
    barrier, answers = threading.Barrier(len(requests)), [None] * len(requests)

    def send(index: int, base: str, query: str, variables: dict, headers: dict) -> None:
        with httpx.Client(timeout=30) as http:
            barrier.wait()
            answer = http.post(
                f"{base}/graphql/", json={"query": query, "variables": variables}, headers=headers
            )
        assert answer.status_code == 200, answer.text
        answers[index] = answer.json()["data"]

    threads = [threading.Thread(target=send, args=(i, *r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_two_updates_from_one_version_one_wins_one_conflicts(two_workers):
    a, b, token = two_workers
    for round_ in range(ROUNDS):
        topic = TopicFactory(name="Read")
        read = Topic.objects.get(pk=topic.pk).version
        requests = [
            (
                server,
                UPDATE,
                {"input": {"id": global_id("Topic", topic.pk), "name": name, "ifVersion": read}},
                token,
            )
            for server, name in ((a, f"A{round_}"), (b, f"B{round_}"))
        ]
        answers = [answer["updateTopic"] for answer in at_once(*requests)]
        kinds = sorted(answer["__typename"] for answer in answers)
        assert kinds == ["OperationInfo", "Topic"], answers
        (winner,) = [answer for answer in answers if answer["__typename"] == "Topic"]
        (loser,) = [answer for answer in answers if answer["__typename"] == "OperationInfo"]
        assert loser["messages"][0]["code"] == "conflict"
        assert Topic.objects.get(pk=topic.pk).name == winner["name"]  # nothing of the loser's


def test_a_create_retried_at_once_on_two_workers_makes_one_talk(two_workers):
    a, b, token = two_workers
    event = EventFactory()
    for round_ in range(ROUNDS):
        talk = {
            "title": f"Retried {round_}",
            "event": global_id("Event", event.pk),
            "idempotencyKey": f"retry-{round_}",
        }
        answers = [
            answer["createTalk"]
            for answer in at_once(
                (a, CREATE, {"input": talk}, token), (b, CREATE, {"input": talk}, token)
            )
        ]
        assert [answer["__typename"] for answer in answers] == ["Talk", "Talk"], answers
        assert answers[0]["id"] == answers[1]["id"]
        assert Talk.objects.filter(title=f"Retried {round_}").count() == 1
