"""The first import into an empty catalogue on PostgreSQL (talks.bulk_load): it must leave
exactly what importing batch by batch leaves, put back every index, key and trigger,
and lose nothing when it fails.

Most tests here commit (transaction=True): that is how the command runs, with the load
on a thread and connection of its own. The other import tests run inside a test
transaction, where the load runs in line.
"""

import json
from pathlib import Path

import pytest
from django.db import connection

from talks import bulk_load
from talks.generator import generate
from talks.importer import Importer, import_catalogue
from talks.models import Change, Event, Room, Speaker, Talk, TalkSpeaker, Topic, Track
from talks.records import open_sources
from tests.factories import TalkFactory

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "pyvideo-sample.jsonl"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the load is PostgreSQL's"),
]


def rows(sql: str) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def catalogue() -> dict:
    """Everything an import writes or keeps, by slug rather than by id."""
    return {
        "talks": rows(
            "SELECT t.slug, t.title, t.abstract, t.kind, t.level, t.language, t.recorded_on,"
            " t.duration_minutes, t.video_url, t.slides_url, e.slug, t.search_vector::text"
            " FROM talks_talk t JOIN talks_event e ON e.id = t.event_id ORDER BY t.slug"
        ),
        "speaker links": rows(
            "SELECT t.slug, s.slug, l.position, l.recorded_on FROM talks_talkspeaker l"
            " JOIN talks_talk t ON t.id = l.talk_id JOIN talks_speaker s ON s.id = l.speaker_id"
            " ORDER BY 1, 3"
        ),
        "topic links": rows(
            "SELECT t.slug, p.slug FROM talks_talk_topics l JOIN talks_talk t ON t.id = l.talk_id"
            " JOIN talks_topic p ON p.id = l.topic_id ORDER BY 1, 2"
        ),
        "talk words": rows(
            "SELECT t.slug, w.words::text FROM talks_talkwords w"
            " JOIN talks_talk t ON t.id = w.talk_id ORDER BY 1"
        ),
        "speaker counts": list(Speaker.objects.order_by("slug").values_list("slug", "talk_count")),
        "topic counts": list(Topic.objects.order_by("slug").values_list("slug", "talk_count")),
        "vocabulary": rows("SELECT word, talks FROM talks_searchword ORDER BY word"),
        "row counts": rows('SELECT "table", rows FROM talks_rowcount ORDER BY 1'),
    }


def schema() -> dict:
    """The talk tables' indexes, constraints and triggers, and how each trigger is set."""
    tables = [*bulk_load.LOADED, "talks_speaker", "talks_topic"]
    return {
        "indexes": rows(
            "SELECT tablename, indexdef FROM pg_indexes"
            f" WHERE tablename = ANY(ARRAY{tables}) ORDER BY 1, 2"
        ),
        "constraints": rows(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid),"
            " condeferrable, condeferred, convalidated FROM pg_constraint"
            f" WHERE conrelid = ANY(ARRAY{tables}::regclass[]) ORDER BY 1, 2"
        ),
        "triggers": rows(
            "SELECT tgrelid::regclass::text, tgname, tgenabled FROM pg_trigger"
            f" WHERE NOT tgisinternal AND tgrelid = ANY(ARRAY{tables}::regclass[]) ORDER BY 1, 2"
        ),
    }


def importing(paths: list, **options):
    report = import_catalogue([str(path) for path in paths], **options)
    assert report.bad_count == 0, report.bad
    return report


def test_a_first_import_leaves_what_importing_batch_by_batch_leaves():
    importing([SAMPLE], batch_size=40)
    loaded = catalogue()
    assert len(loaded["talks"]) == 300 and loaded["vocabulary"]

    Talk.objects.all().delete()  # the links and words go with them, counts follow
    assert rows("SELECT sum(talks) FROM talks_searchword") == [(None,)]
    importing([SAMPLE], batch_size=40, bulk=False)
    assert catalogue() == loaded


def other_rows() -> dict:
    """Every column of the events, speakers, topics, rooms and tracks but ids and times,
    by slug, and whether each row's times were set; their change log entries, counted."""
    found = {}
    for table in ("talks_event", "talks_speaker", "talks_topic", "talks_room", "talks_track"):
        columns = [
            c
            for (c,) in rows(
                "SELECT column_name FROM information_schema.columns"
                f" WHERE table_name = '{table}' ORDER BY ordinal_position"
            )
            if c not in ("id", "created_at", "updated_at", "event_id")
        ]
        part = table in ("talks_room", "talks_track")
        event = ", (SELECT e.slug FROM talks_event e WHERE e.id = r.event_id)" if part else ""
        found[table] = rows(
            f"SELECT {', '.join(f'r.{c}' for c in columns)}{event}, r.created_at IS NOT NULL,"
            f" r.created_at = r.updated_at FROM {table} r ORDER BY {event[2:] or 'r.slug'}, r.slug"
        )
    found["change log"] = rows(
        "SELECT kind, action, version, count(*) FROM talks_change WHERE kind <> 'TALK'"
        " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
    )
    return found


def test_new_events_speakers_and_schedule_parts_copied_are_the_rows_bulk_create_writes(
    tmp_path,
):
    path = tmp_path / "generated.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in generate(60, seed=5)), encoding="utf-8")
    importing([SAMPLE, path], batch_size=40)
    copied = other_rows()
    assert all(copied[table] for table in copied)  # rooms and tracks included

    for model in (Talk, Room, Track, Event, Speaker, Topic, Change):
        model.objects.all().delete()
    importing([SAMPLE, path], batch_size=40, bulk=False)
    assert other_rows() == copied


def test_the_load_puts_back_every_index_key_and_trigger_it_took_away():
    before = schema()
    importing([SAMPLE])
    assert schema() == before
    with connection.cursor() as cursor:  # the talk ids go on from where the load left them
        cursor.execute("SELECT max(id) FROM talks_talk")
        (highest,) = cursor.fetchone()
    event = Event.objects.first()
    assert Talk.objects.create(slug="after", title="After", event=event).id > highest


def test_every_insert_trigger_of_the_loaded_tables_is_made_up_for_or_kept():
    inserting = {
        name
        for (name,) in rows(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgtype & 4 = 4"
            f" AND tgrelid = ANY(ARRAY{bulk_load.LOADED}::regclass[])"
        )
    }
    assert inserting == set(bulk_load.MADE_UP_FOR) | bulk_load.KEPT


def test_a_slug_the_input_repeats_is_loaded_once_then_updated_by_the_later_record(tmp_path):
    records = [json.loads(line) for line in SAMPLE.open()]
    talks = [r for r in records if r["type"] == "talk"]
    first, other = talks[0], talks[1]
    again = {**first, "title": "The later record wins", "speakers": other["speakers"]}
    path = tmp_path / "repeated.jsonl"
    path.write_text(
        "".join(json.dumps(r) + "\n" for r in [*records, again]),
        encoding="utf-8",
    )
    report = importing([path], batch_size=25)
    assert report.created["talk"] == 300 and report.updated["talk"] == 1
    talk = Talk.objects.get(slug=first["slug"])
    assert talk.title == "The later record wins"
    billing = TalkSpeaker.objects.filter(talk=talk).order_by("position")
    assert [link.speaker.slug for link in billing] == other["speakers"]
    counted = {s.slug: s.talk_count for s in Speaker.objects.all()}
    linked = {s.slug: s.talk_speakers.count() for s in Speaker.objects.all()}
    assert counted == linked
    # The vocabulary counts the words of the talks written, not of the record handed back.
    assert rows("SELECT word, talks FROM talks_searchword WHERE talks > 0 ORDER BY word") == rows(
        "SELECT w, count(*) FROM talks_talkwords, jsonb_array_elements_text(words) AS w"
        " GROUP BY w ORDER BY w"
    )


def test_a_load_that_fails_leaves_no_talk_and_the_tables_as_they_were(tmp_path):
    before = schema()

    class Interrupted(Exception):
        pass

    def progress(records: int, done: int, total: int) -> None:
        if done > total // 2 and records > 400:  # well into the talk pass
            raise Interrupted

    with open_sources([str(SAMPLE)]) as sources, pytest.raises(Interrupted):
        Importer(batch_size=40, on_progress=progress).run(sources)
    assert not Talk.objects.exists()
    assert Speaker.objects.count() == 382  # the first pass committed before the load
    assert schema() == before
    assert rows("SELECT count(*) FROM talks_searchword") == [(0,)]
    assert rows("SELECT rows FROM talks_rowcount WHERE \"table\" = 'talks_talk'") in ([], [(0,)])
    importing([SAMPLE])
    assert Talk.objects.count() == 300


def test_a_catalogue_with_talks_is_imported_batch_by_batch(tmp_path):
    importing([SAMPLE])
    before = schema()
    records = [json.loads(line) for line in SAMPLE.open()]
    changed = [{**r, "title": r["title"] + " (revised)"} for r in records if r["type"] == "talk"][
        :10
    ]
    path = tmp_path / "revised.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in changed), encoding="utf-8")
    report = importing([path])
    assert report.updated["talk"] == 10
    assert schema() == before


@pytest.mark.django_db(transaction=False)
def test_an_import_into_a_catalogue_with_talks_leaves_the_talk_tables_unlocked(tmp_path):
    """In line, inside the caller's transaction, as --strict runs: the tables are only
    taken when the load will happen."""
    TalkFactory()
    records = [json.loads(line) for line in SAMPLE.open()]
    path = tmp_path / "sample.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records[:50]), encoding="utf-8")
    import_catalogue([str(path)], strict=True)
    taken = rows(
        "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid()"
        " AND mode = 'AccessExclusiveLock' AND relation = 'talks_talk'::regclass"
    )
    assert taken == [(0,)]


def test_the_first_load_works_with_debug_on(settings):
    """`DEBUG=1 python3 dev.py serve` on PostgreSQL loads the demo this way, through
    Django's debug cursor, which logs every statement."""
    settings.DEBUG = True
    importing([SAMPLE])
    assert Talk.objects.count() == 300
