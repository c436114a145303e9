"""Bulk import of catalogues in the JSON Lines format of API.md.

Two passes over the input: the first upserts events, speakers and topics, the second
talks, so references by slug resolve across the whole input whatever the record order.
Records are handled in batches: each batch is compared with what the database holds
by slug, only new and changed rows are validated (by the services' rules) and written,
and a talk is written with its speaker and topic links in one transaction.
Memory follows the batch size, not the input size.
"""

import datetime
import gzip
import io
import json
import os
import queue
import shutil
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.db import connection, models, transaction
from django.utils import timezone

from talks import bulk_load
from talks.languages import bcp47
from talks.models import Event, EventKind, Speaker, Talk, TalkKind, TalkLevel, TalkSpeaker, Topic
from talks.search import pg_names, refresh_talk_search, talks_naming
from talks.services import validation_problems
from talks.text import bad_text
from talks.vocabulary import talk_words

TalkTopic = Talk.topics.through
KINDS = ["event", "speaker", "topic", "talk"]
MODELS: dict[str, type[models.Model]] = {
    "event": Event,
    "speaker": Speaker,
    "topic": Topic,
    "talk": Talk,
}
# The columns each record type may carry (beyond `type` and `slug`).
COLUMNS = {
    "event": ["name", "kind", "starts_on", "ends_on", "city", "country", "url", "description"],
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
MAX_REPORTED = 1000  # bad records kept for the summary; the rest are only counted


@dataclass(frozen=True)
class BadRecord:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


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


class RecordError(Exception):
    """This record cannot be imported; the message says why."""


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


def _text(value: Any, name: str) -> str:
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
        else:
            values[name] = _text(value, name)
    return values


def _slug(record: dict) -> str:
    slug = record.get("slug")
    if not isinstance(slug, str) or not slug.strip():
        raise RecordError("slug is missing")
    return slug.strip()


def _slug_list(record: dict, name: str) -> list[str]:
    value = record.get(name) or []
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise RecordError(f"{name} must be a list of slugs")
    return list(dict.fromkeys(s.strip() for s in value))  # repeated slugs count once


def _differences(obj: models.Model, values: dict) -> list[str]:
    return [name for name, value in values.items() if getattr(obj, name) != value]


def _check(obj: models.Model) -> None:
    problems = validation_problems(obj)
    if problems:
        raise RecordError("; ".join(f"{p.field or 'record'}: {p.message}" for p in problems))


# --- writing batches -------------------------------------------------------------------


@dataclass
class Pending:
    source: Source
    line: int
    record: dict


@dataclass(frozen=True)
class TalkRecord:
    """A talk's record, read: its columns, and the slugs of what it refers to."""

    pending: Pending
    slug: str
    values: dict[str, Any]
    event: str
    speakers: list[str]
    topics: list[str]


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


VACUUM_EVERY = 10_000  # talks refreshed between two VACUUMs of the talk table


class SearchRefresher:
    """Refreshes search text of committed batches on its own connection and thread, so
    PostgreSQL builds vectors while Python reads the next batch. Inside a transaction, or
    on SQLite, another connection could not see (or could not write next to) the rows:
    then it refreshes in line."""

    def __init__(self) -> None:
        self.background = connection.vendor == "postgresql" and not connection.in_atomic_block
        self.queue: queue.Queue = queue.Queue(maxsize=8)
        self.error: BaseException | None = None
        if self.background:
            self.thread = threading.Thread(target=self._work, name="search-refresh", daemon=True)
            self.thread.start()

    def _work(self) -> None:
        try:
            unvacuumed = 0
            while (ids := self.queue.get()) is not None:
                if self.error is None:
                    with transaction.atomic():
                        refresh_talk_search(ids)
                    # The refresh rewrote each row. Reclaiming the old versions lets the
                    # next batches fill their space; otherwise the table ends up nearly
                    # twice its size (274 MB, not 165 MB, at 100,000 talks). Not after
                    # every batch: each VACUUM also reads the whole of every index.
                    unvacuumed += len(ids)
                    if unvacuumed >= VACUUM_EVERY:
                        with connection.cursor() as cursor:
                            cursor.execute("VACUUM talks_talk")
                        unvacuumed = 0
        except BaseException as error:  # reported by close() on the importing thread
            self.error = error
            while self.queue.get() is not None:
                pass
        finally:
            connection.close()

    def add(self, talk_ids: list[int]) -> None:
        """Refresh these talks: now, or in the background once the batch has committed."""
        if not talk_ids:
            return
        if self.background:
            transaction.on_commit(lambda: self.queue.put(talk_ids))
        else:
            refresh_talk_search(talk_ids)

    def close(self) -> None:
        if self.background:
            self.queue.put(None)
            self.thread.join()
            if self.error is not None:
                raise self.error


class Importer:
    def __init__(
        self,
        *,
        strict: bool = False,
        batch_size: int = 1000,
        on_progress: Callable[[int, int, int], None] | None = None,
        bulk: bool = True,
    ) -> None:
        self.strict = strict
        self.bulk = bulk  # new talks into an empty catalogue by `bulk_load`
        self.batch_size = batch_size
        self.report = ImportReport()
        self.on_progress = on_progress  # (records read, bytes read, bytes to read)
        self.records_read = 0
        self.now = timezone.now()
        self.load: bulk_load.TalkLoad | bulk_load.BackgroundLoad | None = None

    def bad(self, pending: Pending, reason: str) -> None:
        bad = BadRecord(pending.source.name, pending.line, reason)
        if self.strict:
            raise StrictImportError(bad)
        self.report.add_bad(bad)

    def run(self, sources: list[Source]) -> ImportReport:
        with transaction.atomic() if self.strict else nullcontext():
            self.search = SearchRefresher()
            try:
                self._passes(sources)
            finally:
                self.search.close()
            # After the refresher's last transaction: VACUUM cannot mark pages that an
            # older open snapshot might not see as visible to all.
            self._analyze()
        return self.report

    def _passes(self, sources: list[Source]) -> None:
        total = 2 * sum(source.size for source in sources)
        self._pass(sources, ("event", "speaker", "topic"), 0, total)
        with self._loading():
            self._pass(sources, ("talk",), total // 2, total)

    def _pass(self, sources: list[Source], kinds: tuple[str, ...], done: int, total: int) -> None:
        """Read every source, writing the records of `kinds` batch by batch."""
        batches: dict[str, list[Pending]] = {kind: [] for kind in kinds}
        for source in sources:

            def progress(position: int, base: int = done) -> None:
                if self.on_progress is not None:
                    self.on_progress(self.records_read, base + position, total)

            talks = "talk" in kinds
            for line, record, why_not, marked in read_records(source, progress, talks=talks):
                self.records_read += 1
                if record is None:
                    # Once: by the pass that read the line first.
                    if marked == talks:
                        self.bad(Pending(source, line, {}), why_not)
                    continue
                kind = record["type"]
                if kind not in batches:
                    continue
                batches[kind].append(Pending(source, line, record))
                if len(batches[kind]) >= self.batch_size:
                    self.flush(kind, batches[kind])
                    batches[kind] = []
            done += source.size
        for kind, batch in batches.items():
            self.flush(kind, batch)

    @contextmanager
    def _loading(self) -> Iterator[None]:
        """New talks into an empty catalogue go in by `bulk_load` (PostgreSQL); records
        whose slug the load had already used come after it, as updates."""
        if connection.vendor != "postgresql" or not self.bulk:
            yield
            return
        with bulk_load.loading() as self.load:
            try:
                yield
                taken = self.load.finish() if self.load is not None else []
            finally:
                self.load = None
        self.report.created["talk"] -= len(taken)
        for start in range(0, len(taken), self.batch_size):
            self.flush("talk", taken[start : start + self.batch_size])

    @staticmethod
    def _analyze() -> None:
        """Fresh planner statistics, so lookups by talk use their indexes as tables grow.

        Outside a transaction, VACUUM as well: it marks the freshly written pages
        all-visible, without which PostgreSQL cannot answer counts and link lookups from
        the indexes alone (a 200,000-talk COUNT(*) took 124 ms by reading the table and
        18 ms from an index after VACUUM) until autovacuum comes round.
        """
        if connection.vendor == "postgresql":
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
            with connection.cursor() as cursor:
                cursor.execute(
                    f"{command} talks_event, talks_speaker, talks_topic, talks_talk, "
                    "talks_talkspeaker, talks_talk_topics"
                )

    def flush(self, kind: str, batch: list[Pending]) -> None:
        if not batch:
            return
        if kind == "talk" and self.load is not None:
            self._load_talks(batch)
            return
        # One transaction a batch: a talk and its links are written together or not at all.
        with transaction.atomic():
            if kind == "talk":
                self._talks(batch)
            else:
                self._simple(kind, batch)

    def _change(self, obj: models.Model, values: dict, changed: list[str]) -> None:
        """Give `obj` the record's differing values, by the same rules as a new row."""
        for name in changed:
            setattr(obj, name, values[name])
        _check(obj)
        obj.updated_at = self.now

    def _latest_by_slug(self, batch: list[Pending]) -> dict[str, Pending]:
        """The batch's records by slug; of repeated slugs the later record wins."""
        by_slug: dict[str, Pending] = {}
        for pending in batch:
            try:
                by_slug[_slug(pending.record)] = pending
            except RecordError as error:
                self.bad(pending, str(error))
        return by_slug

    def _simple(self, kind: str, batch: list[Pending]) -> None:
        model = MODELS[kind]
        by_slug = self._latest_by_slug(batch)
        existing = model.objects.in_bulk(list(by_slug), field_name="slug")
        to_create, to_update, changed_fields = [], [], set()
        for slug, pending in by_slug.items():
            try:
                values = column_values(kind, pending.record)
                obj = existing.get(slug)
                if obj is None:
                    obj = model(slug=slug, **values)
                    _check(obj)
                    to_create.append(obj)
                    continue
                changed = _differences(obj, values)
                if not changed:
                    self.report.unchanged[kind] += 1
                    continue
                self._change(obj, values, changed)
                to_update.append(obj)
                changed_fields.update(changed)
            except RecordError as error:
                self.bad(pending, str(error))
        model.objects.bulk_create(to_create)
        if to_update:
            model.objects.bulk_update(to_update, [*sorted(changed_fields), "updated_at"])
            if "name" in changed_fields:
                self.search.add(talks_naming(model, [obj.pk for obj in to_update]))
        self.report.created[kind] += len(to_create)
        self.report.updated[kind] += len(to_update)

    def _talk_records(self, batch: list[Pending]) -> list["TalkRecord"]:
        records = []
        for slug, pending in self._latest_by_slug(batch).items():
            try:
                records.append(
                    TalkRecord(
                        pending,
                        slug,
                        column_values("talk", pending.record),
                        _text(pending.record.get("event"), "event"),
                        _slug_list(pending.record, "speakers"),
                        _slug_list(pending.record, "topics"),
                    )
                )
            except RecordError as error:
                self.bad(pending, str(error))
        return records

    def _load_talks(self, batch: list[Pending]) -> None:
        """New talks, checked, to the load: the talk table was empty when it began."""
        records = self._talk_records(batch)
        referred = Referred.of(records)
        rows = bulk_load.Batch()
        for record in records:
            try:
                event_id, billing, tagged = referred.ids(record)
                talk = Talk(slug=record.slug, event_id=event_id, **record.values)
                _check(talk)
            except RecordError as error:
                self.bad(record.pending, str(error))
                continue
            talk.id = self.load.new_id()
            talk.created_at = talk.updated_at = self.now
            event_name, speakers, topics = referred.names(record)
            rows.talks.append(bulk_load.staged_row(talk, event_name, pg_names(speakers, topics)))
            rows.speakers += [
                (talk.id, speaker_id, position, talk.recorded_on)
                for position, speaker_id in enumerate(billing)
            ]
            rows.topics += [(talk.id, topic_id) for topic_id in tagged]
            rows.words[talk.id] = talk_words(
                [talk.title, talk.abstract, event_name, *speakers, *topics]
            )
            rows.records[talk.id] = record.pending
        self.load.add(rows)
        self.report.created["talk"] += len(rows.records)

    def _talks(self, batch: list[Pending]) -> None:
        records = self._talk_records(batch)
        referred = Referred.of(records)
        wanted = {record.slug: record for record in records}
        existing = Talk.objects.in_bulk(list(wanted), field_name="slug")
        current_speakers: dict[int, list[int]] = {talk.pk: [] for talk in existing.values()}
        for talk_id, speaker_id in (
            TalkSpeaker.objects.filter(talk_id__in=current_speakers)
            .order_by("talk_id", "position")
            .values_list("talk_id", "speaker_id")
        ):
            current_speakers[talk_id].append(speaker_id)
        current_topics: dict[int, set[int]] = {talk.pk: set() for talk in existing.values()}
        for talk_id, topic_id in TalkTopic.objects.filter(talk_id__in=current_topics).values_list(
            "talk_id", "topic_id"
        ):
            current_topics[talk_id].add(topic_id)

        to_create, to_update, changed_fields = [], [], set()
        links: dict[str, tuple[list[int], list[int]]] = {}
        relink: list[Talk] = []
        for slug, record in wanted.items():
            try:
                event_id, billing, tagged = referred.ids(record)
                values = dict(record.values)
                talk = existing.get(slug)
                if talk is None:
                    talk = Talk(slug=slug, event_id=event_id, **values)
                    _check(talk)
                    to_create.append(talk)
                    links[slug] = (billing, tagged)
                    continue
                values["event_id"] = event_id
                changed = _differences(talk, values)
                relinked = current_speakers[talk.pk] != billing or current_topics[talk.pk] != set(
                    tagged
                )
                if not changed and not relinked:
                    self.report.unchanged["talk"] += 1
                    continue
                self._change(talk, values, changed)
                to_update.append(talk)
                changed_fields.update(changed)
                if relinked:
                    relink.append(talk)
                    links[slug] = (billing, tagged)
            except RecordError as error:
                self.bad(record.pending, str(error))

        Talk.objects.bulk_create(to_create)
        if to_update:
            Talk.objects.bulk_update(to_update, [*sorted(changed_fields), "updated_at"])
        if relink:
            TalkSpeaker.objects.filter(talk__in=relink).delete()
            TalkTopic.objects.filter(talk__in=relink).delete()
        TalkSpeaker.objects.bulk_create(
            TalkSpeaker(talk=talk, speaker_id=speaker_id, position=position)
            for talk in [*to_create, *relink]
            for position, speaker_id in enumerate(links[talk.slug][0])
        )
        TalkTopic.objects.bulk_create(
            TalkTopic(talk=talk, topic_id=topic_id)
            for talk in [*to_create, *relink]
            for topic_id in links[talk.slug][1]
        )
        self.search.add([talk.pk for talk in [*to_create, *to_update]])
        self.report.created["talk"] += len(to_create)
        self.report.updated["talk"] += len(to_update)


def import_catalogue(names: list[str], **options) -> ImportReport:
    with open_sources(names) as sources:
        return Importer(**options).run(sources)
