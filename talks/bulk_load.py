"""New talks into an empty catalogue, on PostgreSQL: loaded as pg_restore loads a dump.

A first import is most of the rows the database will ever hold: a million talks bring
two million speaker links, three million topic links and sixty million vocabulary
words. Written batch by batch through every index, foreign key and trigger, and then
rewritten once more for their search vectors, that took 21 minutes here. So when the
talk table is empty as the importer's talk pass begins, `loading()` gives it a
`TalkLoad`, which

1. takes the talk tables (talks, their speaker and topic links, their vocabulary words)
   for one transaction: other writers and readers of those tables wait for it, then see
   every talk of the import or none;
2. drops their secondary indexes and the foreign keys between them (the slug's unique
   index stays: it catches a slug that the input repeats), and turns off the INSERT
   triggers whose work it does itself, in bulk (`MADE_UP_FOR`);
3. takes each batch of checked talks as COPY rows: talks pass through a staging table
   on their way into `talks_talk`, so that PostgreSQL builds each search vector
   (`search.PG_VECTOR`) as the row is written, once; links and vocabulary words are
   copied straight in, with the ids the load gave the talks and each link's copy of
   its talk's date;
4. at the end builds the indexes again, adds the foreign keys back (each checked by one
   join), sets the speakers' and topics' talk counts from the links and adds the
   vocabulary's counts up, turns the triggers back on, and commits.

A failure anywhere rolls all of it back, indexes, keys and triggers included: DDL is
transactional in PostgreSQL. Out of a transaction the load runs on a thread and
connection of its own, so that PostgreSQL writes one batch while Python reads and
checks the next; inside one (`--strict`, tests) it runs in line, in that transaction.
"""

import io
import json
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction

from talks.models import Speaker, Talk, TalkSpeaker, TalkWords, Topic
from talks.search import PG_VECTOR
from talks.vocabulary import SEARCH_WORDS_APPLY, as_json

TALKS = Talk._meta.db_table
SPEAKER_LINKS = TalkSpeaker._meta.db_table
TALK_TOPICS = Talk.topics.through._meta.db_table
TALK_WORDS = TalkWords._meta.db_table
LOADED = [TALKS, SPEAKER_LINKS, TALK_TOPICS, TALK_WORDS]
# The INSERT triggers of the loaded tables that the load turns off, and what it does in
# their place. The others (a statement's version bump, a statement's row count) stay
# on. tests/commands/test_bulk_load.py fails if a loaded table gains an INSERT trigger
# that is in neither set.
MADE_UP_FOR = {
    "speaker_count_insert": "speakers' talk counts, set from the links at the end",
    "topic_count_insert": "topics' talk counts, set from the links at the end",
    "talkspeaker_recorded_on": "each link is copied in with its talk's date",
    "talkwords_added": "the vocabulary's counts, added up as words are copied in",
    "talks_talkspeaker_raises_talk_version_insert": "a new talk's links are part of it: version 1",
    "talks_talk_topics_raises_talk_version_insert": "a new talk's links are part of it: version 1",
}
KEPT = {
    "talks_talk_bumps_version",
    "talks_talk_logs_insert",  # one change a talk, one statement a batch
    "talks_talk_rows_added",
    "talks_talkspeaker_bumps_version",
    "talks_talk_topics_bumps_version",
}
# Staged talks: the talk table's columns (but the search vector) and what the vector is
# built from besides them.
TALK_COLUMNS = [f.column for f in Talk._meta.concrete_fields]
STAGED = "talk_load"
STAGED_COLUMNS = [*TALK_COLUMNS, "event_name", "names"]
BATCHES_AHEAD = 2  # batches handed to the loading thread before Python waits for it


def staged_row(talk: Talk, event_name: str, names: str) -> tuple:
    """A new talk as a row of the staging table; `names` as `search.pg_names` gives them."""
    return (*(getattr(talk, f.attname) for f in Talk._meta.concrete_fields), event_name, names)


@dataclass
class Batch:
    """Checked new talks, as rows of the tables they go to; `records` keeps what each
    talk came from, to hand back if another talk of the load has its slug. Once encoded,
    the rows are let go: the COPY text is what stays while the batch waits its turn (at
    200,000 talks, the batches in flight were a third of the import's memory)."""

    talks: list[tuple] = field(default_factory=list)  # STAGED_COLUMNS
    speakers: list[tuple] = field(default_factory=list)  # talk id, speaker id, position, date
    topics: list[tuple] = field(default_factory=list)  # talk id, topic id
    words: dict[int, list[str]] = field(default_factory=dict)  # talk id: vocabulary words
    records: dict[int, Any] = field(default_factory=dict)
    copied: dict[str, bytes] = field(default_factory=dict)  # table: its rows, as COPY reads them

    def encode(self) -> None:
        """The rows in COPY's format, in place of the rows."""
        words = [(key, as_json(words)) for key, words in self.words.items()]
        self.copied = {
            STAGED: _copy_text(self.talks),
            SPEAKER_LINKS: _copy_text(self.speakers),
            TALK_TOPICS: _copy_text(self.topics),
            TALK_WORDS: _copy_text(words),
        }
        self.talks, self.speakers, self.topics, self.words = [], [], {}, {}

    def words_of(self, talk_ids: list[int]) -> list[list[str]]:
        """The vocabulary words of these talks, read back from their encoded rows (a word
        is letters only: nothing in its JSON is escaped for COPY)."""
        wanted = set(talk_ids)
        return [
            json.loads(line.split(b"\t", 1)[1])
            for line in self.copied[TALK_WORDS].splitlines()
            if int(line.split(b"\t", 1)[0]) in wanted
        ]

    def keep_only(self, written: set[int]) -> None:
        """Only the links and words of the talks `written`."""
        for table in (SPEAKER_LINKS, TALK_TOPICS, TALK_WORDS):
            self.copied[table] = b"".join(
                line
                for line in self.copied[table].splitlines(keepends=True)
                if int(line.split(b"\t", 1)[0]) in written
            )


def _copy_value(value: Any) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            value = (
                value.replace("\\", "\\\\")
                .replace("\t", "\\t")
                .replace("\n", "\\n")
                .replace("\r", "\\r")
            )
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)  # numbers, dates


def _copy_text(rows: list[tuple]) -> bytes:
    return "".join("\t".join(map(_copy_value, row)) + "\n" for row in rows).encode()


def _copy(table: str, columns: list[str], data: bytes) -> None:
    if data:
        with connection.cursor() as cursor:
            # All of it in one read: each read from Python takes the GIL, which the
            # importing thread holds most of the time. (`size` goes by position: under
            # DEBUG Django's debug cursor passes on positional arguments only.)
            cursor.copy_expert(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN", io.BytesIO(data), len(data)
            )


def copy_new(model: type, objs: list) -> None:
    """New rows of `model`, as `bulk_create` would write them, by one COPY: each column but
    the id, its value as the INSERT's compiler would send it (`pre_save`, then
    `get_db_prep_save`). Row and statement triggers fire as for an INSERT. Speakers and
    events are most of a first import's rows besides talks: compiling their INSERTs took
    longer than PostgreSQL took to write them."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    if any(f.has_db_default() for f in fields):
        model.objects.bulk_create(objs)  # a database default has no value to copy
        return
    db = connections[DEFAULT_DB_ALIAS]  # the connection itself, not its per-task proxy
    rows = [tuple(f.get_db_prep_save(f.pre_save(obj, True), db) for f in fields) for obj in objs]
    _copy(model._meta.db_table, [f.column for f in fields], _copy_text(rows))


class TalkLoad:
    """One load of new talks into the empty talk tables, in the current transaction."""

    def __init__(self) -> None:
        self.rebuilt: list[str] = []  # statements that put back what was dropped
        self.triggers: list[tuple[str, str, str]] = []  # table, trigger, how it was on
        self.next_id = 0
        self.words: Counter[str] = Counter()  # of the talks added
        self.uncounted: list[list[str]] = []  # words of the talks that were not written
        self.taken: list[Any] = []  # records whose slug an earlier talk of the load had

    @classmethod
    def begin(cls) -> "TalkLoad | None":
        """Take the talk tables and prepare them; None if they hold talks (then nothing
        is locked, unless talks came between the first look and the lock)."""
        exists = f"SELECT EXISTS (SELECT FROM {TALKS})"
        with connection.cursor() as cursor:
            cursor.execute(exists)
            if cursor.fetchone()[0]:
                return None
            cursor.execute(f"LOCK TABLE {', '.join(LOADED)} IN ACCESS EXCLUSIVE MODE")
            cursor.execute(exists)
            if cursor.fetchone()[0]:
                return None
        load = cls()
        load._prepare()
        return load

    def _prepare(self) -> None:
        with connection.cursor() as cursor:
            # Checks at each statement's end, as each batch is written, rather than all
            # at the commit; and a table with checks still pending from earlier in this
            # transaction could not be altered.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            # Foreign keys between the loaded tables; those to speakers, events and topics
            # stay (dropping one would lock its table against readers too), checked as
            # each batch is written.
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
                " FROM pg_constraint WHERE contype = 'f'"
                " AND conrelid = ANY(%(loaded)s::regclass[])"
                " AND confrelid = ANY(%(loaded)s::regclass[]) ORDER BY conname",
                {"loaded": LOADED},
            )
            foreign_keys = cursor.fetchall()
            # Secondary indexes: all but primary keys and the slug's unique index. Those
            # of unique constraints go with their constraint.
            cursor.execute(
                """SELECT t.relname, i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid),
                          c.conname, pg_get_constraintdef(c.oid)
                   FROM pg_index i
                   JOIN pg_class t ON t.oid = i.indrelid
                   LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid
                                            AND c.conrelid = i.indrelid
                   WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
                     AND NOT (t.relname = %s AND i.indisunique AND i.indnatts = 1
                              AND i.indkey[0] = (SELECT attnum FROM pg_attribute
                                                 WHERE attrelid = i.indrelid AND attname = 'slug'))
                   ORDER BY 2""",
                [LOADED, TALKS],
            )
            indexes = cursor.fetchall()
            cursor.execute(
                "SELECT tgrelid::regclass::text, tgname, tgenabled FROM pg_trigger"
                " WHERE tgrelid = ANY(%s::regclass[]) AND tgname = ANY(%s)"
                " AND NOT tgisinternal AND tgenabled <> 'D' ORDER BY tgname",
                [LOADED, list(MADE_UP_FOR)],
            )
            self.triggers = cursor.fetchall()

            for table, name, _ in foreign_keys:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for table, index, definition, constraint, constraint_definition in indexes:
                if constraint is not None:
                    cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{constraint}"')
                    self.rebuilt.append(
                        f'ALTER TABLE {table} ADD CONSTRAINT "{constraint}" {constraint_definition}'
                    )
                else:
                    cursor.execute(f"DROP INDEX {index}")
                    self.rebuilt.append(definition)
            self.rebuilt += [
                f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
                for table, name, definition in foreign_keys
            ]
            for table, trigger, _ in self.triggers:
                cursor.execute(f'ALTER TABLE {table} DISABLE TRIGGER "{trigger}"')

            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{STAGED}")
            cursor.execute(f"CREATE TEMP TABLE {STAGED} (LIKE {TALKS})")
            cursor.execute(
                f"ALTER TABLE {STAGED} DROP COLUMN search_vector,"
                " ADD COLUMN event_name text, ADD COLUMN names text"
            )
            cursor.execute(f"SELECT nextval(pg_get_serial_sequence('{TALKS}', 'id'))")
            self.next_id = cursor.fetchone()[0]

    def new_id(self) -> int:
        """An id for a new talk of the load."""
        self.next_id += 1
        return self.next_id - 1

    def add(self, batch: Batch) -> None:
        self.prepare(batch)
        self.write(batch)

    def prepare(self, batch: Batch) -> None:
        """The Python side of adding a batch, in the importing thread."""
        for words in batch.words.values():
            self.words.update(words)
        batch.encode()

    def write(self, batch: Batch) -> None:
        """The database side of adding a prepared batch."""
        vector = PG_VECTOR.format(
            title="title", names="names", rest="abstract || ' ' || event_name"
        )
        columns = ", ".join(TALK_COLUMNS)
        _copy(STAGED, STAGED_COLUMNS, batch.copied[STAGED])
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {TALKS} ({columns}, search_vector)"
                f" SELECT {columns}, {vector} FROM {STAGED} ORDER BY id"
                " ON CONFLICT (slug) DO NOTHING RETURNING id"
            )
            written = {talk_id for (talk_id,) in cursor.fetchall()}
            cursor.execute(f"TRUNCATE {STAGED}")
        if len(written) < len(batch.records):
            taken = [key for key in batch.records if key not in written]
            self.taken += [batch.records[key] for key in taken]
            self.uncounted += batch.words_of(taken)
            batch.keep_only(written)
        _copy(
            SPEAKER_LINKS,
            ["talk_id", "speaker_id", "position", "recorded_on"],
            batch.copied[SPEAKER_LINKS],
        )
        _copy(TALK_TOPICS, ["talk_id", "topic_id"], batch.copied[TALK_TOPICS])
        _copy(TALK_WORDS, ["talk_id", "words"], batch.copied[TALK_WORDS])

    def finish(self) -> list[Any]:
        """Put everything back; the records handed back, in the order they came."""
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {STAGED}")
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{TALKS}', 'id'), %s, false)",
                [self.next_id],
            )
            for statement in self.rebuilt:
                cursor.execute(statement)
            for table, links, column in (
                (Speaker._meta.db_table, SPEAKER_LINKS, "speaker_id"),
                (Topic._meta.db_table, TALK_TOPICS, "topic_id"),
            ):
                # The counts are exact by construction: the trigger that would count each
                # one again (migration 0004) is off for this statement.
                trigger = f"{table.removeprefix('talks_')}_count_exact"
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
                cursor.execute(
                    f"UPDATE {table} c SET talk_count = n.talks"
                    f" FROM (SELECT {column} AS id, count(*) AS talks FROM {links} GROUP BY 1) n"
                    " WHERE c.id = n.id AND c.talk_count <> n.talks"
                )
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
            for words in self.uncounted:
                self.words.subtract(words)
            if self.words:
                words, counts = zip(*sorted(self.words.items()), strict=True)
                cursor.execute(SEARCH_WORDS_APPLY, [list(words), list(counts)])
            for table, trigger, enabled in self.triggers:
                how = {"A": "ALWAYS ", "R": "REPLICA "}.get(enabled, "")
                cursor.execute(f'ALTER TABLE {table} ENABLE {how}TRIGGER "{trigger}"')
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        return self.taken


class BackgroundLoad:
    """A TalkLoad on a thread and connection of its own, in a transaction of its own."""

    def __init__(self, executor: ThreadPoolExecutor, load: TalkLoad) -> None:
        self.executor = executor
        self.load = load
        self.pending: deque[Future] = deque()

    def new_id(self) -> int:
        return self.load.new_id()

    def add(self, batch: Batch) -> None:
        self.load.prepare(batch)
        self.pending.append(self.executor.submit(self.load.write, batch))
        while len(self.pending) > BATCHES_AHEAD or (self.pending and self.pending[0].done()):
            self.pending.popleft().result()  # a failed batch raises here

    def finish(self) -> list[Any]:
        def commit() -> list[Any]:
            taken = self.load.finish()
            connection.commit()
            return taken

        for future in self.pending:
            future.result()
        return self.executor.submit(commit).result()


def _begin_own_transaction() -> TalkLoad | None:
    connection.set_autocommit(False)
    load = TalkLoad.begin()
    if load is None:
        connection.rollback()
    return load


def _end_own_transaction() -> None:
    if not connection.get_autocommit():
        connection.rollback()
        connection.set_autocommit(True)
    connection.close()


@contextmanager
def loading() -> Iterator["TalkLoad | BackgroundLoad | None"]:
    """A load of new talks (PostgreSQL), or None if the catalogue has talks already.
    `add` each Batch, then `finish()`: it commits, and hands back the records whose slug
    the load had already given a talk. Leaving the block by an exception rolls it back."""
    if connection.in_atomic_block:
        with transaction.atomic():
            yield TalkLoad.begin()
        return
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="talk-load")
    try:
        load = executor.submit(_begin_own_transaction).result()
        yield None if load is None else BackgroundLoad(executor, load)
    finally:
        executor.submit(_end_own_transaction).result()
        executor.shutdown()
