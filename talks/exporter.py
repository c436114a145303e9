"""Export of the whole catalogue in the import format, streamed in slug order."""

import json
from collections.abc import Iterator

from django.db.models import Prefetch

from talks.models import Event, Room, Speaker, Talk, TalkSpeaker, Topic, Track
from talks.records import COLUMNS
from talks.schedule_records import PART_COLUMNS

CHUNK = 2000


def _value(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _records(kind: str, queryset) -> Iterator[dict]:
    for obj in queryset.order_by("slug").iterator(chunk_size=CHUNK):
        record = {"type": kind, "slug": obj.slug}
        record.update({name: _value(getattr(obj, name)) for name in COLUMNS[kind]})
        if kind == "talk":
            record["event"] = obj.event.slug
            record["speakers"] = [link.speaker.slug for link in obj.talk_speakers.all()]
            record["topics"] = sorted(topic.slug for topic in obj.topics.all())
            if obj.starts_at is not None or obj.track_id is not None:
                record["slot"] = {
                    "start": _value(obj.starts_at),
                    "end": _value(obj.ends_at),
                    "room": obj.room.slug if obj.room_id else None,
                    "track": obj.track.slug if obj.track_id else None,
                }
        yield record


def _parts(kind: str, queryset) -> Iterator[dict]:
    rows = queryset.select_related("event").order_by("event__slug", "slug")
    for obj in rows.iterator(chunk_size=CHUNK):
        record = {"type": kind, "event": obj.event.slug, "slug": obj.slug}
        record.update({name: getattr(obj, name) for name in PART_COLUMNS[kind]})
        yield record


def catalogue_records() -> Iterator[dict]:
    """Every record: events, speakers, topics, rooms, tracks, then talks, each kind by
    slug (rooms and tracks by their event's slug, then theirs)."""
    yield from _records("event", Event.objects.all())
    yield from _records("speaker", Speaker.objects.all())
    yield from _records("topic", Topic.objects.all())
    yield from _parts("room", Room.objects.all())
    yield from _parts("track", Track.objects.all())
    talks = Talk.objects.select_related("event", "room", "track").prefetch_related(
        Prefetch(
            "talk_speakers",
            queryset=TalkSpeaker.objects.select_related("speaker")
            .only("talk_id", "position", "speaker__slug")
            .order_by("position"),
        ),
        Prefetch("topics", queryset=Topic.objects.only("slug")),
    )
    yield from _records("talk", talks)


def export_lines() -> Iterator[str]:
    for record in catalogue_records():
        yield json.dumps(record, ensure_ascii=False) + "\n"
