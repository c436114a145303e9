"""Admin tooling that races or retries, against two server processes on one database:
two updates of what they both read at one version, and one create sent twice with one
idempotency key, at the same moment."""

import datetime
import threading

import httpx
import pytest

from schema.ids import global_id
from talks.models import Room, Talk, Topic
from talks.tokens import token_create
from tests.e2e.conftest import running_server, test_database_url
from tests.factories import EventFactory, TalkFactory, TopicFactory

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


SCHEDULE = """mutation ($input: ScheduleTalkInput!) { scheduleTalk(input: $input) {
  __typename ... on OperationInfo { messages { code } } } }"""


def test_two_talks_scheduled_into_one_room_at_once_one_is_refused(two_workers):
    a, b, token = two_workers
    event = EventFactory(starts_on=datetime.date(2026, 5, 14), ends_on=datetime.date(2026, 5, 14))
    for round_ in range(ROUNDS):
        room = Room.objects.create(event=event, slug=f"room-{round_}", name=f"Room {round_}")
        talks = [TalkFactory(event=event), TalkFactory(event=event)]
        requests = [
            (
                server,
                SCHEDULE,
                {
                    "input": {
                        "id": global_id("Talk", talk.pk),
                        "start": f"2026-05-14T{9 + offset:02d}:00:00+00:00",
                        "end": "2026-05-14T10:30:00+00:00",
                        "room": global_id("Room", room.pk),
                    }
                },
                token,
            )
            for server, talk, offset in ((a, talks[0], 0), (b, talks[1], 1))
        ]
        answers = [answer["scheduleTalk"] for answer in at_once(*requests)]
        kinds = sorted(answer["__typename"] for answer in answers)
        assert kinds == ["OperationInfo", "Talk"], answers
        (refused,) = [answer for answer in answers if answer["__typename"] == "OperationInfo"]
        assert refused["messages"][0]["code"] == "room_overlap"
        assert Talk.objects.filter(room=room).count() == 1
