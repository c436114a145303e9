"""The schedule through GraphQL: rooms, tracks and slots written by staff with their
conflicts as OperationInfo codes, and read as a day's programme, now and next, in a few
statements whatever the day's size."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from schema.ids import global_id
from talks import services
from tests.factories import EventFactory, RoomFactory, SpeakerFactory, TalkFactory, TrackFactory

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")

SCHEDULE = """query ($slug: String!, $day: Date) { event(slug: $slug) { timezone days
  rooms { name } tracks { name color }
  schedule(day: $day) { title slot { start end room { name } } track { name }
    speakers { name } } } }"""

SCHEDULE_TALK = """mutation ($input: ScheduleTalkInput!) { scheduleTalk(input: $input) {
  __typename ... on Talk { version slot { start end room { slug } } track { slug } }
  ... on OperationInfo { messages { code field message } } } }"""


@pytest.fixture
def event():
    return EventFactory(
        slug="pycon",
        starts_on=date(2026, 5, 14),
        ends_on=date(2026, 5, 16),
        timezone="Europe/Berlin",
    )


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 5, day, hour, minute, tzinfo=BERLIN)


def test_staff_build_a_schedule_and_times_come_back_in_utc(staff_gql, event):
    event_id = global_id("Event", event.pk)
    room = staff_gql(
        """mutation ($e: ID!) { createRoom(input: {event: $e, name: "Hall A", capacity: 300})
        { ... on Room { id slug capacity event { slug } } } }""",
        {"e": event_id},
    )["createRoom"]
    assert room["slug"] == "hall-a" and room["event"] == {"slug": "pycon"}
    track = staff_gql(
        """mutation ($e: ID!) { createTrack(input: {event: $e, name: "Web", color: "#1f77b4"})
        { ... on Track { id color } } }""",
        {"e": event_id},
    )["createTrack"]
    talk = TalkFactory(event=event, title="Opening")
    answer = staff_gql(
        SCHEDULE_TALK,
        {
            "input": {
                "id": global_id("Talk", talk.pk),
                "start": "2026-05-14T09:00:00+02:00",
                "end": "2026-05-14T03:45:00-04:00",
                "room": room["id"],
                "track": track["id"],
            }
        },
    )["scheduleTalk"]
    assert answer["slot"] == {
        "start": "2026-05-14T07:00:00+00:00",
        "end": "2026-05-14T07:45:00+00:00",
        "room": {"slug": "hall-a"},
    }
    assert answer["track"] == {"slug": "web"}


@pytest.mark.parametrize(
    ("start", "end", "code", "field"),
    [
        ("2026-05-14T09:30:00+02:00", "2026-05-14T10:30:00+02:00", "room_overlap", "room"),
        ("2026-05-17T09:00:00+02:00", "2026-05-17T10:00:00+02:00", "outside_event", "start"),
        ("2026-05-14T10:00:00+02:00", "2026-05-14T09:00:00+02:00", "invalid", "end"),
    ],
)
def test_conflicts_are_operation_info_codes_and_write_nothing(
    staff_gql, event, start, end, code, field
):
    room = RoomFactory(event=event)
    services.talk_update(
        TalkFactory(event=event), start=local(14, 9), end=local(14, 10), room=room.pk
    )
    talk = TalkFactory(event=event)
    answer = staff_gql(
        SCHEDULE_TALK,
        {
            "input": {
                "id": global_id("Talk", talk.pk),
                "start": start,
                "end": end,
                "room": global_id("Room", room.pk),
            }
        },
    )["scheduleTalk"]
    assert answer["__typename"] == "OperationInfo"
    assert [(m["code"], m["field"]) for m in answer["messages"]] == [(code, field)]
    talk.refresh_from_db()
    assert talk.starts_at is None and talk.room_id is None


def test_a_speaker_in_two_rooms_at_once_is_a_speaker_overlap(staff_gql, event):
    ada = SpeakerFactory(name="Ada")
    services.talk_update(
        TalkFactory(event=event, speakers=[ada]), start=local(14, 9), end=local(14, 10)
    )
    talk = TalkFactory(event=event, speakers=[ada])
    answer = staff_gql(
        SCHEDULE_TALK,
        {
            "input": {
                "id": global_id("Talk", talk.pk),
                "start": "2026-05-14T07:30:00Z",
                "end": "2026-05-14T08:30:00Z",
            }
        },
    )["scheduleTalk"]
    assert [m["code"] for m in answer["messages"]] == ["speaker_overlap"]


def test_unschedule_and_the_permission_it_needs(gql, staff_gql, event):
    talk = TalkFactory(event=event)
    services.talk_update(talk, start=local(14, 9), end=local(14, 10))
    mutation = """mutation ($id: ID!) { unscheduleTalk(input: {id: $id}) { __typename
      ... on Talk { slot { start } } ... on OperationInfo { messages { code } } } }"""
    variables = {"id": global_id("Talk", talk.pk)}
    refused = gql(mutation, variables)["unscheduleTalk"]
    assert refused["__typename"] == "OperationInfo"
    assert staff_gql(mutation, variables)["unscheduleTalk"] == {"__typename": "Talk", "slot": None}


def build_day(event, rooms: int, slots: int) -> None:
    """`rooms` rooms with `slots` talks each on the 15th, each with two speakers."""
    track = TrackFactory(event=event)
    for r in range(rooms):
        room = RoomFactory(event=event, position=rooms - r)
        for s in range(slots):
            talk = TalkFactory(event=event, speakers=SpeakerFactory.create_batch(2))
            start = local(15, 9) + timedelta(hours=s)
            services.talk_update(
                talk, start=start, end=start + timedelta(minutes=45), room=room.pk, track=track.pk
            )


def statements(gql, query: str, variables: dict) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as captured:
        data = gql(query, variables)
    return len(captured), data


def test_a_days_schedule_is_read_in_a_few_statements_whatever_its_size(gql, event):
    build_day(event, rooms=2, slots=2)
    small, data = statements(gql, SCHEDULE, {"slug": "pycon", "day": "2026-05-15"})
    assert len(data["event"]["schedule"]) == 4
    build_day(event, rooms=4, slots=6)
    large, data = statements(gql, SCHEDULE, {"slug": "pycon", "day": "2026-05-15"})
    schedule = data["event"]["schedule"]
    assert len(schedule) == 28 and small == large <= 8
    assert all(len(talk["speakers"]) == 2 and talk["track"] for talk in schedule)
    # by start, then room order (rooms were made with falling positions)
    keys = [(t["slot"]["start"], t["slot"]["room"]["name"]) for t in schedule]
    order = {room["name"]: i for i, room in enumerate(data["event"]["rooms"])}
    assert keys == sorted(keys, key=lambda k: (k[0], order[k[1]]))
    assert data["event"]["days"] == ["2026-05-14", "2026-05-15", "2026-05-16"]
    assert data["event"]["timezone"] == "Europe/Berlin"


def test_a_day_is_the_events_day_in_its_time_zone(gql, event):
    late = TalkFactory(event=event, title="Late")
    services.talk_update(late, start=local(15, 0, 30), end=local(15, 1))  # 14th in UTC
    data = gql(SCHEDULE, {"slug": "pycon", "day": "2026-05-15"})
    assert [talk["title"] for talk in data["event"]["schedule"]] == ["Late"]
    assert gql(SCHEDULE, {"slug": "pycon", "day": "2026-05-14"})["event"]["schedule"] == []


def test_now_and_next(gql, event):
    room = RoomFactory(event=event)
    for hour, title in ((9, "Nine"), (10, "Ten"), (11, "Eleven"), (12, "Twelve")):
        talk = TalkFactory(event=event, title=title)
        services.talk_update(talk, start=local(14, hour), end=local(14, hour, 50), room=room.pk)
    query = """query ($at: DateTime) { event(slug: "pycon") { now(at: $at) { title }
      next(at: $at, first: 2) { title } } }"""
    data = gql(query, {"at": "2026-05-14T10:15:00+02:00"})["event"]
    assert data == {"now": [{"title": "Ten"}], "next": [{"title": "Eleven"}, {"title": "Twelve"}]}
    between = gql(query, {"at": "2026-05-14T08:55:00Z"})["event"]  # 10:55 in Berlin
    assert between["now"] == [] and between["next"][0] == {"title": "Eleven"}
    error = gql.error(query, {"at": "2026-05-14T10:15:00"})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_schedules_of_many_events_are_one_statement(gql):
    for n in range(3):
        event = EventFactory(starts_on=date(2026, 5, 14), ends_on=date(2026, 5, 14))
        talk = TalkFactory(event=event)
        services.talk_update(talk, start=local(14, 9 + n), end=local(14, 10 + n))
    query = "{ events(first: 10) { edges { node { name schedule { title } rooms { name } } } } }"
    few, data = statements(gql, query, {})
    assert all(len(edge["node"]["schedule"]) == 1 for edge in data["events"]["edges"])
    for _ in range(4):
        event = EventFactory(starts_on=date(2026, 5, 14), ends_on=date(2026, 5, 14))
        services.talk_update(TalkFactory(event=event), start=local(14, 9), end=local(14, 10))
    many, _ = statements(gql, query, {})
    assert few == many
