"""Bulk import of catalogues in the JSON Lines format (`talks.records`).

Two passes over the input: the first upserts events, speakers and topics, the second
talks, so references by slug resolve across the whole input whatever the record order.
Records are handled in batches: each batch is compared with what the database holds
by slug, only new and changed rows are validated (by the services' rules) and written,
and a talk is written with its speaker and topic links in one transaction.
Memory follows the batch size, not the input size.
"""

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from functools import partial

from django.db import connection, models, transaction
from django.utils import timezone

from talks import bulk_load
from talks.changes import announce
from talks.fast_validation import passes
from talks.models import Event, Talk, TalkSpeaker
from talks.records import (
    MODELS,
    BadRecord,
    ImportReport,
    Pending,
    RecordError,
    Referred,
    Source,
    StrictImportError,
    TalkRecord,
    column_values,
    open_sources,
    read_records,
    record_text,
    slug_list,
    slug_of,
)
from talks.schedule_records import PARTS, Places, part_values, slot_of, unschedule_overlaps
from talks.search import pg_names, refresh_talk_search, talks_naming
from talks.services import validation_problems
from talks.vocabulary import forget_corrections, talk_words

TalkTopic = Talk.topics.through
KEEP_SLOT = object()  # a talk record without "slot": an existing talk keeps its own


def _differences(obj: models.Model, values: dict) -> list[str]:
    return [name for name, value in values.items() if getattr(obj, name) != value]


def _check(obj: models.Model) -> None:
    if passes(obj):  # the quick yes; what it doubts, the services' rules decide
        return
    problems = validation_problems(obj)
    if problems:
        raise RecordError("; ".join(f"{p.field or 'record'}: {p.message}" for p in problems))


# --- writing batches -------------------------------------------------------------------


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
        on_phase: Callable[[str], None] | None = None,
        bulk: bool = True,
    ) -> None:
        self.strict = strict
        # New talks into an empty catalogue by `bulk_load`, other new rows by COPY.
        self.bulk = bulk
        self.batch_size = batch_size
        self.report = ImportReport()
        self.on_progress = on_progress  # (records read, bytes read, bytes to read)
        self.on_phase = on_phase  # called with each phase's name as it begins
        self.records_read = 0
        self.now = timezone.now()
        self.load: bulk_load.TalkLoad | bulk_load.BackgroundLoad | None = None
        self.places = Places()  # what slots refer to

    def bad(self, pending: Pending, reason: str) -> None:
        bad = BadRecord(pending.source.name, pending.line, reason)
        if self.strict:
            raise StrictImportError(bad)
        self.report.add_bad(bad)

    def phase(self, name: str) -> None:
        if self.on_phase is not None:
            self.on_phase(name)

    def run(self, sources: list[Source]) -> ImportReport:
        with transaction.atomic() if self.strict else nullcontext():
            self.search = SearchRefresher()
            try:
                self._passes(sources)
            finally:
                self.search.close()
            # After the refresher's last transaction: VACUUM cannot mark pages that an
            # older open snapshot might not see as visible to all.
            self.phase("statistics")
            self._analyze()
            announce()  # what the import wrote is in the change log
            transaction.on_commit(forget_corrections)
        self.phase("done")
        return self.report

    def _passes(self, sources: list[Source]) -> None:
        total = 2 * sum(source.size for source in sources)
        self.phase("events, speakers, topics")
        self._pass(sources, ("event", "speaker", "topic", "room", "track"), 0, total)
        self.places = Places()  # the rooms and tracks are all written by now
        self.phase("talks")
        with self._loading():
            self._pass(sources, ("talk",), total // 2, total)
        self.phase("overlapping slots")
        overlaps = Source("(schedule)", "", 0)  # found once every talk is written
        for slug, why in unschedule_overlaps(self.now):
            self.bad(Pending(overlaps, 0, {}), f"talk {slug!r}: {why}")

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
                    if kind in PARTS:  # rooms and tracks after the events they belong to
                        self.flush("event", batches["event"])
                        batches["event"] = []
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
                self.phase("indexes, keys, counts")
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
            elif kind in PARTS:
                self._parts(kind, batch)
            else:
                self._simple(kind, batch)

    def _change(self, obj: models.Model, values: dict, changed: list[str]) -> None:
        """Give `obj` the record's differing values, by the same rules as a new row."""
        for name in changed:
            setattr(obj, name, values[name])
        _check(obj)
        obj.updated_at = self.now

    def _latest_byslug_of(self, batch: list[Pending]) -> dict[str, Pending]:
        """The batch's records by slug; of repeated slugs the later record wins."""
        by_slug: dict[str, Pending] = {}
        for pending in batch:
            try:
                by_slug[slug_of(pending.record)] = pending
            except RecordError as error:
                self.bad(pending, str(error))
        return by_slug

    def _simple(self, kind: str, batch: list[Pending]) -> None:
        model = MODELS[kind]
        by_slug = self._latest_byslug_of(batch)
        existing = model.objects.in_bulk(list(by_slug), field_name="slug")

        def read(slug: str, pending: Pending):
            return {"slug": slug}, column_values(kind, pending.record)

        rows = [(slug, pending, partial(read, slug, pending)) for slug, pending in by_slug.items()]
        updated, changed_fields = self._upsert(kind, model, rows, existing)
        if "name" in changed_fields:
            self.search.add(talks_naming(model, [obj.pk for obj in updated]))

    def _parts(self, kind: str, batch: list[Pending]) -> None:
        """Rooms or tracks, each known by its event's slug and its own."""
        model = PARTS[kind]
        keyed: dict[tuple[str, str], Pending] = {}
        for pending in batch:
            try:
                event = record_text(pending.record.get("event"), "event")
                keyed[(event, slug_of(pending.record))] = pending
            except RecordError as error:
                self.bad(pending, str(error))
        events = dict(
            Event.objects.filter(slug__in={e for e, _ in keyed}).values_list("slug", "id")
        )
        existing = {
            (obj.event_id, obj.slug): obj
            for obj in model.objects.filter(
                event_id__in=list(events.values()), slug__in={s for _, s in keyed}
            )
        }

        def read(event_slug: str, slug: str, pending: Pending):
            if event_slug not in events:
                raise RecordError(f"refers to unknown event {event_slug!r}")
            identity = {"event_id": events[event_slug], "slug": slug}
            return identity, part_values(kind, pending.record)

        rows = [
            ((events.get(event_slug), slug), pending, partial(read, event_slug, slug, pending))
            for (event_slug, slug), pending in keyed.items()
        ]
        self._upsert(kind, model, rows, existing)

    def _upsert(self, kind: str, model, rows: list, existing: dict) -> tuple[list, set]:
        """Create or update rows of `model`: each of `rows` is (its key in `existing`, the
        record, a read giving the new row's identifying fields and its column values or
        raising RecordError). The updated rows and the fields that changed."""
        to_create, to_update, changed_fields = [], [], set()
        for key, pending, read in rows:
            try:
                identity, values = read()
                obj = existing.get(key)
                if obj is None:
                    obj = model(**identity, **values)
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
        if self.bulk and connection.vendor == "postgresql":
            bulk_load.copy_new(model, to_create)
        else:
            model.objects.bulk_create(to_create)
        if to_update:
            model.objects.bulk_update(to_update, [*sorted(changed_fields), "updated_at"])
        self.report.created[kind] += len(to_create)
        self.report.updated[kind] += len(to_update)
        return to_update, changed_fields

    def _talk_records(self, batch: list[Pending]) -> list["TalkRecord"]:
        records = []
        for slug, pending in self._latest_byslug_of(batch).items():
            try:
                records.append(
                    TalkRecord(
                        pending,
                        slug,
                        column_values("talk", pending.record),
                        record_text(pending.record.get("event"), "event"),
                        slug_list(pending.record, "speakers"),
                        slug_list(pending.record, "topics"),
                        slot_of(pending.record) if "slot" in pending.record else KEEP_SLOT,
                    )
                )
            except RecordError as error:
                self.bad(pending, str(error))
        return records

    def _load_talks(self, batch: list[Pending]) -> None:
        """New talks, checked, to the load: the talk table was empty when it began."""
        records = self._talk_records(batch)
        referred = Referred.of(records)
        places = self._places(records, referred)
        rows = bulk_load.Batch()
        for record in records:
            try:
                event_id, billing, tagged = referred.ids(record)
                talk = Talk(slug=record.slug, event_id=event_id, **record.values)
                if record.slot is not KEEP_SLOT:
                    for name, value in places.values(record.slot, event_id).items():
                        setattr(talk, name, value)
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

    def _places(self, records: list[TalkRecord], referred: Referred) -> Places:
        slots = [r.slot for r in records if r.slot not in (None, KEEP_SLOT)]
        event_ids = {referred.events[r.event][0] for r in records if r.event in referred.events}
        return self.places.read(event_ids, slots)

    def _talks(self, batch: list[Pending]) -> None:
        records = self._talk_records(batch)
        referred = Referred.of(records)
        places = self._places(records, referred)
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
                if record.slot is not KEEP_SLOT:
                    values.update(places.values(record.slot, event_id))
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
