"""The catalogue's JSON Lines records (docs/api.md, "Import format"): reading sources
(plain or gzipped files, or standard input), a record's columns as real data needs them,
the events, speakers and topics a talk's record refers to, and the report of an import."""

import datetime
import gzip
import io
import json
import os
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.db import models

from talks.languages import bcp47
from talks.models import Event, EventKind, Room, Speaker, Talk, TalkKind, TalkLevel, Topic, Track
from talks.text import bad_text

KINDS = ["event", "speaker", "topic", "room", "track", "talk"]
MODELS: dict[str, type[models.Model]] = {
    "event": Event,
    "speaker": Speaker,
    "topic": Topic,
    "room": Room,
    "track": Track,
    "talk": Talk,
}
# The columns each record type may carry (beyond `type` and `slug`).
COLUMNS = {
    "event": [
        "name",
        "kind",
        "starts_on",
        "ends_on",
        "city",
        "country",
        "url",
        "description",
        "timezone",
    ],
    "speaker": ["name", "bio", "affiliation", "website", "twitter", "github"],
    "topic": ["name", "description"],
    "talk": [
        "title",
        "abstract",
        "kind",
        "level",
        "language",
        "recorded_on",
        "duration_minutes",
        "video_url",
        "slides_url",
    ],
}
CHOICES = {("event", "kind"): EventKind, ("talk", "kind"): TalkKind, ("talk", "level"): TalkLevel}
CHOICE_VALUES = {key: frozenset(choices.values) for key, choices in CHOICES.items()}


@dataclass(frozen=True)
class BadRecord:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


class RecordError(Exception):
    """This record cannot be imported; the message says why."""


MAX_REPORTED = 1000  # bad records kept for the summary; the rest are only counted


@dataclass
class ImportReport:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    bad: list[BadRecord] = field(default_factory=list)
    bad_count: int = 0

    def add_bad(self, bad: BadRecord) -> None:
        self.bad_count += 1
        if len(self.bad) < MAX_REPORTED:
            self.bad.append(bad)

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()) + sum(self.updated.values()))

    def __str__(self) -> str:
        lines = ", ".join(
            f"{kind}s: {self.created[kind]} created, {self.updated[kind]} updated, "
            f"{self.unchanged[kind]} unchanged"
            for kind in KINDS
        )
        return f"{lines}; {self.bad_count} bad record{'s' if self.bad_count != 1 else ''}"


class StrictImportError(Exception):
    def __init__(self, bad: BadRecord) -> None:
        super().__init__(str(bad))
        self.bad = bad


# --- reading ---------------------------------------------------------------------------


@dataclass
class Source:
    """One input, re-readable: a path, or stdin spooled to a temporary file."""

    name: str
    path: str
    size: int


@contextmanager
def open_sources(names: list[str]) -> Iterator[list[Source]]:
    spooled = []
    try:
        sources = []
        for name in names:
            if name == "-":
                # Stdin cannot be read twice; the spool is on disk, not in memory.
                with tempfile.NamedTemporaryFile(prefix="import-", delete=False) as spool:
                    spooled.append(spool.name)
                    shutil.copyfileobj(sys.stdin.buffer, spool)
                sources.append(Source("<stdin>", spool.name, os.path.getsize(spool.name)))
            else:
                sources.append(Source(name, name, os.path.getsize(name)))
        yield sources
    finally:
        for path in spooled:
            os.unlink(path)


def _open_text(raw: BinaryIO) -> io.TextIOBase:
    """Text from a plain or gzipped stream, told apart by gzip's magic bytes."""
    buffered = io.BufferedReader(raw)
    if buffered.peek(2)[:2] == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.GzipFile(fileobj=buffered), encoding="utf-8")
    return io.TextIOWrapper(buffered, encoding="utf-8")


# In valid JSON an unescaped `"type": "talk"` can only be a key and its value, so a line
# that has it, and `"type"` nowhere else, is a talk's record (or not a valid record at
# all, which the talk pass then reports).
_TALK_MARK = '"type": "talk"'


def _marked_talk(line: str) -> bool:
    return _TALK_MARK in line and line.count('"type"') == 1


def read_records(
    source: Source,
    on_progress: Callable[[int], None] | None = None,
    *,
    talks: bool = True,
) -> Iterator[tuple[int, dict | None, str | None, bool]]:
    """(line number, record or None, why not, whether the line is marked as a talk's)
    for each non-blank line; without `talks`, lines marked as talks' are not even parsed."""
    with open(source.path, "rb") as raw:
        text = _open_text(raw)
        for number, line in enumerate(text, start=1):
            if on_progress is not None and number % 1000 == 0:
                on_progress(raw.tell())
            marked = _marked_talk(line)
            if (marked and not talks) or not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                why = f"not valid JSON ({error.msg} at column {error.colno})"
                yield number, None, why, marked
                continue
            # Only an escape (\u0000, \ud800) puts such characters into JSON text.
            unstorable = "\\u" in line and next(bad_text(record), None)
            if not isinstance(record, dict):
                yield number, None, "not a JSON object", marked
            elif record.get("type") not in MODELS:
                yield number, None, f"unknown record type {record.get('type')!r}", marked
            elif unstorable:
                where, error = unstorable
                yield number, None, f"{where}: {error.messages[0]}", marked
            else:
                yield number, record, None, marked
        if on_progress is not None:
            on_progress(raw.tell())


# --- one record to column values -------------------------------------------------------


def record_text(value: Any, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RecordError(f"{name} must be a string, not {type(value).__name__}")
    return value.strip()


def _date(value: Any, name: str) -> datetime.date | None:
    if value is None or value == "":
        return None
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise RecordError(f"{name} {value!r} is not a date (YYYY-MM-DD)") from None


def column_values(kind: str, record: dict) -> dict[str, Any]:
    """The record's columns, normalised as real data needs; RecordError if impossible."""
    values: dict[str, Any] = {}
    for name in COLUMNS[kind]:
        if name not in record:
            continue
        value = record[name]
        if (kind, name) in CHOICES:
            choices = CHOICES[(kind, name)]
            if value is None and name == "level":
                values[name] = None
                continue
            if value is None:
                continue  # the model's default
            if (
                not isinstance(value, str)
                or value.strip().lower() not in CHOICE_VALUES[(kind, name)]
            ):
                raise RecordError(f"unknown {name} {value!r} (one of: {', '.join(choices.values)})")
            values[name] = value.strip().lower()
        elif name in {"starts_on", "ends_on", "recorded_on"}:
            values[name] = _date(value, name)
        elif name == "duration_minutes":
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise RecordError(f"duration_minutes {value!r} is not a whole number")
            # Archives write 0 for "unknown".
            values[name] = value or None
        elif name == "language":
            values[name] = bcp47(value)
        elif name == "timezone":
            values[name] = record_text(value, name) or "UTC"
        else:
            values[name] = record_text(value, name)
    return values


def slug_of(record: dict) -> str:
    slug = record.get("slug")
    if not isinstance(slug, str) or not slug.strip():
        raise RecordError("slug is missing")
    return slug.strip()


def slug_list(record: dict, name: str) -> list[str]:
    value = record.get(name) or []
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise RecordError(f"{name} must be a list of slugs")
    return list(dict.fromkeys(s.strip() for s in value))  # repeated slugs count once


@dataclass
class Pending:
    source: Source
    line: int
    record: dict


@dataclass(frozen=True)
class TalkRecord:
    """A talk's record, read: its columns, the slugs of what it refers to, its slot."""

    pending: Pending
    slug: str
    values: dict[str, Any]
    event: str
    speakers: list[str]
    topics: list[str]
    slot: Any = None  # a schedule_records.SlotRecord


def _ids_and_names(model: type[models.Model], slugs: set[str]) -> dict[str, tuple[int, str]]:
    rows = model.objects.filter(slug__any=list(slugs)).values_list("slug", "id", "name")
    return {slug: (pk, name) for slug, pk, name in rows}


@dataclass(frozen=True)
class Referred:
    """The id and name of each event, speaker and topic that talk records refer to."""

    events: dict[str, tuple[int, str]]
    speakers: dict[str, tuple[int, str]]
    topics: dict[str, tuple[int, str]]

    @classmethod
    def of(cls, records: list[TalkRecord]) -> "Referred":
        return cls(
            _ids_and_names(Event, {record.event for record in records}),
            _ids_and_names(Speaker, {slug for record in records for slug in record.speakers}),
            _ids_and_names(Topic, {slug for record in records for slug in record.topics}),
        )

    def ids(self, record: TalkRecord) -> tuple[int, list[int], list[int]]:
        """The record's event, its speakers in billing order and its topics, by id;
        RecordError if any of them is unknown."""
        missing = [f"event {record.event!r}"] if record.event not in self.events else []
        missing += [f"speaker {s!r}" for s in record.speakers if s not in self.speakers]
        missing += [f"topic {s!r}" for s in record.topics if s not in self.topics]
        if missing:
            raise RecordError(f"refers to unknown {', '.join(missing)}")
        return (
            self.events[record.event][0],
            [self.speakers[slug][0] for slug in record.speakers],
            [self.topics[slug][0] for slug in record.topics],
        )

    def names(self, record: TalkRecord) -> tuple[str, list[str], list[str]]:
        """The names of the record's event, speakers and topics (known to `ids`)."""
        return (
            self.events[record.event][1],
            [self.speakers[slug][1] for slug in record.speakers],
            [self.topics[slug][1] for slug in record.topics],
        )
