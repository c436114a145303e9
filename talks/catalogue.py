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

from talks import services
from talks.models import Event, Speaker, Talk, Topic

TYPES = {"event": Event, "speaker": Speaker, "topic": Topic, "talk": Talk}
ORDER = ["event", "speaker", "topic", "talk"]  # talks last: they refer to the others
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


def _relations(record: dict) -> dict:
    """A talk record's references, as the primary keys the services take."""
    speaker_slugs = record.get("speakers") or []
    speakers = Speaker.objects.in_bulk(speaker_slugs, field_name="slug")
    topics = Topic.objects.filter(slug__in=record.get("topics") or [])
    return {
        "event": Event.objects.get(slug=record["event"]).pk,
        "speakers": [speakers[slug].pk for slug in speaker_slugs],
        "topics": sorted(topic.pk for topic in topics),
    }


def _differs(obj, values: dict, relations: dict) -> bool:
    if any(getattr(obj, name) != value for name, value in values.items()):
        return True
    if not relations:
        return False
    billed = list(obj.talk_speakers.order_by("position").values_list("speaker_id", flat=True))
    return (
        obj.event_id != relations["event"]
        or billed != relations["speakers"]
        or sorted(obj.topics.values_list("pk", flat=True)) != relations["topics"]
    )


def _upsert(kind: str, record: dict) -> str:
    """Create or update one record through the services; what happened."""
    model = TYPES[kind]
    values = _columns(model, record)
    relations = _relations(record) if kind == "talk" else {}
    obj = model.objects.filter(slug=record["slug"]).first()
    if obj is None:
        getattr(services, f"{kind}_create")(slug=record["slug"], **values, **relations)
        return "created"
    if not _differs(obj, values, relations):
        return "unchanged"
    getattr(services, f"{kind}_update")(**{kind: obj}, **values, **relations)
    return "updated"


@transaction.atomic
def load_records(records: Iterable[dict]) -> LoadReport:
    """Upsert every record by slug through the services; all or nothing."""
    by_type: dict[str, list[dict]] = {kind: [] for kind in ORDER}
    for record in records:
        by_type[record["type"]].append(record)
    report = LoadReport()
    for kind in ORDER:
        for record in by_type[kind]:
            getattr(report, _upsert(kind, record))[kind] += 1
    return report
