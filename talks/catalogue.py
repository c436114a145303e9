"""Loading catalogue records (the JSON Lines import format of API.md) into the database.

Records may come in any order; references are slugs. Loading is an upsert by slug that
only writes what differs, so loading the same records twice changes nothing.
"""

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from talks.models import Event, Speaker, Talk, TalkSpeaker, Topic

TYPES = {"event": Event, "speaker": Speaker, "topic": Topic, "talk": Talk}
ORDER = ["event", "speaker", "topic", "talk"]
# Import-format fields that are relations, not columns.
RELATIONS = {"event", "speakers", "topics"}


@dataclass
class LoadReport:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)

    def __str__(self) -> str:
        return ", ".join(
            f"{kind}s: {self.created[kind]} created, {self.updated[kind]} updated, "
            f"{self.unchanged[kind]} unchanged"
            for kind in ORDER
        )


def read_jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as error:
                    raise ValueError(f"{path}:{number}: not JSON: {error}") from error


def _columns(model, record: dict) -> dict:
    values = {}
    for name, value in record.items():
        if name in {"type", "slug"} or name in RELATIONS:
            continue
        model_field = model._meta.get_field(name)
        # The format says null for "unknown"; text columns store that as "".
        if value is None and not model_field.null:
            value = model_field.get_default()
        values[name] = model_field.to_python(value)
    return values


def _upsert(model, slug: str, values: dict) -> tuple[object, str]:
    obj = model.objects.filter(slug=slug).first()
    if obj is None:
        obj = model(slug=slug, **values)
        obj.full_clean()
        obj.save()
        return obj, "created"
    changed = {name: value for name, value in values.items() if getattr(obj, name) != value}
    if not changed:
        return obj, "unchanged"
    for name, value in changed.items():
        setattr(obj, name, value)
    obj.full_clean()
    obj.save()
    return obj, "updated"


@transaction.atomic
def load_records(records: Iterable[dict]) -> LoadReport:
    """Upsert every record by slug; all or nothing."""
    by_type: dict[str, list[dict]] = {kind: [] for kind in ORDER}
    for record in records:
        by_type[record["type"]].append(record)
    report = LoadReport()
    for kind in ["event", "speaker", "topic"]:
        for record in by_type[kind]:
            _, outcome = _upsert(TYPES[kind], record["slug"], _columns(TYPES[kind], record))
            getattr(report, outcome)[kind] += 1
    for record in by_type["talk"]:
        values = _columns(Talk, record)
        values["event"] = Event.objects.get(slug=record["event"])
        talk, outcome = _upsert(Talk, record["slug"], values)
        if _set_relations(talk, record) and outcome == "unchanged":
            outcome = "updated"
        getattr(report, outcome)["talk"] += 1
    return report


def _set_relations(talk: Talk, record: dict) -> bool:
    """Give the talk exactly the record's speakers (in order) and topics; True if changed."""
    speaker_slugs = record.get("speakers") or []
    current = list(talk.talk_speakers.order_by("position").values_list("speaker__slug", flat=True))
    changed = False
    if current != speaker_slugs:
        speakers = Speaker.objects.in_bulk(speaker_slugs, field_name="slug")
        talk.talk_speakers.all().delete()
        TalkSpeaker.objects.bulk_create(
            TalkSpeaker(talk=talk, speaker=speakers[slug], position=position)
            for position, slug in enumerate(speaker_slugs)
        )
        changed = True
    topic_slugs = set(record.get("topics") or [])
    if set(talk.topics.values_list("slug", flat=True)) != topic_slugs:
        talk.topics.set(Topic.objects.filter(slug__in=topic_slugs))
        changed = True
    return changed
