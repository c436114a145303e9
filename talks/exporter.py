"""Export of the whole catalogue in the import format, streamed in slug order."""

import json
from collections.abc import Iterator

from django.db.models import Prefetch

from talks.models import Event, Speaker, Talk, TalkSpeaker, Topic
from talks.records import COLUMNS

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
        yield record


def catalogue_records() -> Iterator[dict]:
    """Every record: events, speakers, topics, then talks, each kind by slug."""
    yield from _records("event", Event.objects.all())
    yield from _records("speaker", Speaker.objects.all())
    yield from _records("topic", Topic.objects.all())
    talks = Talk.objects.select_related("event").prefetch_related(
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
