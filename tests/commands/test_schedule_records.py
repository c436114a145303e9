"""The schedule in the JSON Lines format: rooms, tracks and slots import, are checked as
the services check them, and come back out exactly."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import CommandError

from talks.models import Room, Talk, Track
from tests.commands.test_import_export import run, write_lines

pytestmark = pytest.mark.django_db

EVENT = {
    "type": "event",
    "slug": "pycon-2026",
    "name": "PyCon 2026",
    "starts_on": "2026-05-14",
    "ends_on": "2026-05-15",
    "timezone": "Europe/Berlin",
}
ROOMS = [
    {
        "type": "room",
        "event": "pycon-2026",
        "slug": "hall-a",
        "name": "Hall A",
        "capacity": 300,
        "position": 0,
    },
    {
        "type": "room",
        "event": "pycon-2026",
        "slug": "lab",
        "name": "Lab",
        "capacity": None,
        "position": 1,
    },
]
TRACK = {"type": "track", "event": "pycon-2026", "slug": "web", "name": "Web", "color": "#1f77b4"}
SPEAKER = {"type": "speaker", "slug": "ada", "name": "Ada"}


def talk(slug: str, start: str | None, end: str | None, room=None, track=None, speakers=()):
    return {
        "type": "talk",
        "slug": slug,
        "title": slug.title(),
        "event": "pycon-2026",
        "speakers": list(speakers),
        "slot": {"start": start, "end": end, "room": room, "track": track},
    }


def test_a_schedule_imports_and_exports_exactly(tmp_path: Path):
    records = [
        # talks before what they refer to: references resolve across the whole input
        talk(
            "opening",
            "2026-05-14T09:00:00+02:00",
            "2026-05-14T09:30:00+02:00",
            "hall-a",
            "web",
            ["ada"],
        ),
        talk("track-only", None, None, None, "web"),
        EVENT,
        *ROOMS,
        TRACK,
        SPEAKER,
    ]
    _, err, code = run("import_catalogue", str(write_lines(tmp_path / "in.jsonl", records)))
    assert code == 0, err
    opening = Talk.objects.get(slug="opening")
    assert opening.starts_at == datetime(2026, 5, 14, 7, tzinfo=UTC)
    assert (opening.room.slug, opening.track.slug) == ("hall-a", "web")
    assert Talk.objects.get(slug="track-only").starts_at is None
    assert Room.objects.get(slug="hall-a").capacity == 300
    exported = tmp_path / "out.jsonl"
    run("export_catalogue", str(exported))
    lines = [json.loads(line) for line in exported.read_text().splitlines()]
    assert [r for r in lines if r["type"] == "room"] == ROOMS
    assert [r for r in lines if r["type"] == "track"] == [TRACK]
    slot = next(r for r in lines if r["slug"] == "opening")["slot"]
    assert slot == {
        "start": "2026-05-14T07:00:00+00:00",
        "end": "2026-05-14T07:30:00+00:00",
        "room": "hall-a",
        "track": "web",
    }
    assert next(r for r in lines if r["type"] == "event")["timezone"] == "Europe/Berlin"
    # and the export imports as itself: nothing changes
    again = write_lines(tmp_path / "again.jsonl", lines)
    out, err, code = run("import_catalogue", str(again))
    assert code == 0 and "updated" not in out.lower().replace("0 updated", ""), out


def test_bad_slots_are_reported_and_overlaps_imported_unscheduled(tmp_path: Path):
    records = [
        EVENT,
        *ROOMS,
        SPEAKER,
        talk(
            "first",
            "2026-05-14T09:00:00+02:00",
            "2026-05-14T10:00:00+02:00",
            "hall-a",
            speakers=["ada"],
        ),
        talk("same-room", "2026-05-14T09:30:00+02:00", "2026-05-14T10:30:00+02:00", "hall-a"),
        talk(
            "same-speaker",
            "2026-05-14T09:30:00+02:00",
            "2026-05-14T10:30:00+02:00",
            "lab",
            speakers=["ada"],
        ),
        talk("outside", "2026-05-16T09:00:00+02:00", "2026-05-16T10:00:00+02:00", "lab"),
        talk("no-offset", "2026-05-14T09:00:00", "2026-05-14T10:00:00"),
        talk("unknown-room", "2026-05-14T12:00:00+02:00", "2026-05-14T13:00:00+02:00", "attic"),
    ]
    _, err, _ = run("import_catalogue", str(write_lines(tmp_path / "in.jsonl", records)))
    for reason in (
        "room_overlap",
        "speaker_overlap",
        "outside the event's days",
        "offset",
        "unknown room 'attic'",
    ):
        assert reason in err, err
    assert Talk.objects.get(slug="first").room.slug == "hall-a"
    for slug in ("same-room", "same-speaker"):  # kept, without the slot that clashed
        assert Talk.objects.get(slug=slug).starts_at is None
    assert not Talk.objects.filter(slug__in=["outside", "no-offset", "unknown-room"]).exists()


def test_strict_refuses_an_overlap_and_writes_nothing(tmp_path: Path):
    records = [
        EVENT,
        *ROOMS,
        talk("first", "2026-05-14T09:00:00+02:00", "2026-05-14T10:00:00+02:00", "hall-a"),
        talk("second", "2026-05-14T09:30:00+02:00", "2026-05-14T10:30:00+02:00", "hall-a"),
    ]
    with pytest.raises(CommandError, match="room_overlap"):
        run("import_catalogue", "--strict", str(write_lines(tmp_path / "in.jsonl", records)))
    assert not Talk.objects.exists() and not Track.objects.exists() and not Room.objects.exists()


def test_a_long_talk_clashes_with_every_talk_it_spans_not_only_the_next(tmp_path: Path):
    records = [
        EVENT,
        *ROOMS,
        talk("keynote", "2026-05-14T09:00:00+02:00", "2026-05-14T12:00:00+02:00", "hall-a"),
        talk("short", "2026-05-14T09:30:00+02:00", "2026-05-14T10:00:00+02:00", "hall-a"),
        talk("later", "2026-05-14T10:30:00+02:00", "2026-05-14T11:00:00+02:00", "hall-a"),
        talk("after", "2026-05-14T12:00:00+02:00", "2026-05-14T12:30:00+02:00", "hall-a"),
    ]
    _, err, _ = run("import_catalogue", str(write_lines(tmp_path / "in.jsonl", records)))
    scheduled = set(Talk.objects.filter(starts_at__isnull=False).values_list("slug", flat=True))
    assert scheduled == {"keynote", "after"}, err
    assert err.count("room_overlap") == 2
