"""The schedule in the JSON Lines format: `room` and `track` records (each names its
event by slug), and a talk's `slot`:

    {"type": "room", "event": "pycon-2026", "slug": "hall-a", "name": "Hall A",
     "capacity": 300, "position": 0}
    {"type": "track", "event": "pycon-2026", "slug": "web", "name": "Web", "color": "#1f77b4"}
    {"type": "talk", ..., "slot": {"start": "2026-05-14T07:00:00+00:00",
     "end": "2026-05-14T07:45:00+00:00", "room": "hall-a", "track": "web"}}

A slot's times carry their offset; its room and track are slugs of the talk's event's.
`start` and `end` may both be null for a talk that only has a track. The importer
checks a slot as the services do (`talks.scheduling`): inside the event's days in its
time zone, and, once all talks are written, no two talks in one room at once and no
speaker in two places at once; a talk whose slot overlaps is kept, unscheduled, and
reported (in `--strict` mode the import stops and writes nothing).
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import connection

from talks.models import Event, Room, Talk, Track
from talks.records import RecordError, record_text
from talks.scheduling import NAIVE, OUTSIDE, day_bounds, event_days

PARTS = {"room": Room, "track": Track}
PART_COLUMNS = {"room": ["name", "capacity", "position"], "track": ["name", "color"]}


def part_values(kind: str, record: dict) -> dict[str, Any]:
    """A room's or track's columns from its record; RecordError if impossible."""
    values: dict[str, Any] = {}
    for name in PART_COLUMNS[kind]:
        if name not in record:
            continue
        value = record[name]
        if name in ("capacity", "position"):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise RecordError(f"{name} {value!r} is not a whole number")
            values[name] = value if value is not None or name == "capacity" else 0
        elif name == "color":
            values[name] = record_text(value, name) or None
        else:
            values[name] = record_text(value, name)
    return values


@dataclass(frozen=True)
class SlotRecord:
    start: datetime.datetime | None
    end: datetime.datetime | None
    room: str | None
    track: str | None


def _moment(value: Any, name: str) -> datetime.datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise RecordError(f"slot.{name} {value!r} is not a date and time (ISO 8601)") from None
    if moment.tzinfo is None:
        raise RecordError(f"slot.{name}: {NAIVE}")
    return moment.astimezone(datetime.UTC)


def slot_of(record: dict) -> SlotRecord | None:
    """A talk record's slot, read; None when it has none."""
    slot = record.get("slot")
    if slot is None:
        return None
    if not isinstance(slot, dict):
        raise RecordError("slot must be an object with start, end, room and track")
    start, end = _moment(slot.get("start"), "start"), _moment(slot.get("end"), "end")
    if (start is None) != (end is None):
        raise RecordError("slot: a slot has both a start and an end")
    if start is not None and end <= start:
        raise RecordError("slot: a slot ends after it starts")
    room = record_text(slot.get("room"), "slot.room") or None
    if room is not None and start is None:
        raise RecordError("slot: a room is given with a start and an end")
    return SlotRecord(start, end, room, record_text(slot.get("track"), "slot.track") or None)


class Places:
    """What a batch's slots refer to: the rooms and tracks of the batch's events, read
    with the batch, and each event's first and last moment, worked out once per import
    (two numbers an event, so a million talks' 16,666 events are kept)."""

    def __init__(self) -> None:
        # An event's first and last moment as POSIX timestamps; []: it has no dates.
        self.bounds: dict[int, tuple[float, float] | list] = {}
        self.rooms: dict[tuple[int, str], int] = {}
        self.tracks: dict[tuple[int, str], int] = {}

    def read(self, event_ids: set[int], slots: list[SlotRecord]) -> "Places":
        """Read what the batch's slots (of talks of `event_ids`) refer to."""
        self.rooms = self._ids(Room, event_ids, {s.room for s in slots if s.room})
        self.tracks = self._ids(Track, event_ids, {s.track for s in slots if s.track})
        new = [pk for pk in event_ids if pk not in self.bounds] if slots else []
        for event in Event.objects.filter(id__in=new).only("starts_on", "ends_on", "timezone"):
            days = event_days(event)
            self.bounds[event.id] = days and (
                day_bounds(event, days[0])[0].timestamp(),
                day_bounds(event, days[-1])[1].timestamp(),
            )
        return self

    @staticmethod
    def _ids(model: type, event_ids: set[int], slugs: set[str]) -> dict[tuple[int, str], int]:
        if not slugs:
            return {}
        rows = model.objects.filter(event_id__in=event_ids, slug__in=slugs)
        return {(e, s): pk for e, s, pk in rows.values_list("event_id", "slug", "id")}

    def values(self, slot: SlotRecord | None, event_id: int) -> dict[str, Any]:
        """The talk's slot columns; RecordError if the slot does not fit its event."""
        if slot is None:
            return {"starts_at": None, "ends_at": None, "room_id": None, "track_id": None}
        wanted = (("room", slot.room, self.rooms), ("track", slot.track, self.tracks))
        missing = [
            f"{kind} {slug!r}"
            for kind, slug, known in wanted
            if slug is not None and (event_id, slug) not in known
        ]
        if missing:
            raise RecordError(f"slot refers to unknown {', '.join(missing)} of its event")
        if slot.start is not None:
            bounds = self.bounds[event_id]
            start, end = slot.start.timestamp(), slot.end.timestamp()
            if not bounds or start < bounds[0] or end > bounds[1]:
                event = Event.objects.get(id=event_id)  # (a rare error's message)
                zone = event.timezone
                raise RecordError(
                    f"slot: {OUTSIDE.format(first=event.starts_on, last=event.ends_on, zone=zone)}"
                )
        return {
            "starts_at": slot.start,
            "ends_at": slot.end,
            "room_id": self.rooms.get((event_id, slot.room)),
            "track_id": self.tracks.get((event_id, slot.track)),
        }


# Pairs of scheduled talks that overlap in a room, or share a speaker at overlapping
# times, where at least one was written by the import (its `updated_at` is not before the
# import began). A self-join of every talk of a room or speaker with every other costs the
# square of the longest list: a generated speaker with 2,340 talks made it 309 million
# pairs and 190 s at 200,000 talks. Instead each list is swept once in order of start: a
# talk overlaps one that starts before it only if it starts before the latest end so far,
# and only those talks, few, are joined to the talks they overlap.
OVERLAPS = """
WITH slots AS (
    SELECT {key} AS k, t.id, t.slug, t.starts_at, t.ends_at, t.updated_at >= %(now)s AS new
    FROM {source} WHERE t.starts_at IS NOT NULL AND {key} IS NOT NULL
), swept AS (
    SELECT *, max(ends_at) OVER (
        PARTITION BY k ORDER BY starts_at, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    ) AS ends_before
    FROM slots
)
SELECT b.id, b.slug, b.new, x.id, x.slug, x.new
FROM swept x JOIN slots b ON b.k = x.k AND b.id <> x.id
    AND b.starts_at <= x.starts_at AND x.starts_at < b.ends_at
WHERE x.starts_at < x.ends_before AND (x.new OR b.new)"""
ROOM_PAIRS = OVERLAPS.format(key="t.room_id", source="talks_talk t")
SPEAKER_PAIRS = OVERLAPS.format(
    key="s.speaker_id", source="talks_talkspeaker s JOIN talks_talk t ON t.id = s.talk_id"
)


def unschedule_overlaps(now: datetime.datetime) -> list[tuple[str, str]]:
    """Take off the schedule each talk the import wrote (since `now`) whose slot overlaps
    another talk's in its room or for a speaker (of two imported talks, the later one):
    (its slug, why), for the import's report. Two statements and one update."""
    dropped: dict[int, tuple[str, str]] = {}
    with connection.cursor() as cursor:
        for query, kind in ((ROOM_PAIRS, "room"), (SPEAKER_PAIRS, "speaker")):
            cursor.execute(query, {"now": connection.ops.adapt_datetimefield_value(now)})
            # By the pair's ids, as the talks were written: of two imported talks, the
            # later one is dropped.
            for pair in sorted(sorted((row[:3], row[3:]), key=lambda t: t[0]) for row in cursor):
                (a_id, a_slug, _), (b_id, b_slug, b_new) = pair
                if a_id in dropped or b_id in dropped:
                    continue
                talk, slug, other = (b_id, b_slug, a_slug) if b_new else (a_id, a_slug, b_slug)
                why = (
                    f"room_overlap: its room has talk {other!r} then"
                    if kind == "room"
                    else f"speaker_overlap: a speaker gives talk {other!r} then"
                )
                dropped[talk] = (slug, f"slot not imported: {why}")
    if dropped:
        Talk.objects.filter(id__in=list(dropped)).update(starts_at=None, ends_at=None, room=None)
    return list(dropped.values())
