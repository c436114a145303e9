"""import_catalogue, export_catalogue and generate_catalogue on real and made-up data."""

import gzip
import io
import json
import random
import shutil
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from talks.models import Event, Speaker, Talk, TalkSpeaker, Topic

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "pyvideo-sample.jsonl"

pytestmark = pytest.mark.django_db


def run(command: str, *args) -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(command, *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return out.getvalue(), err.getvalue(), code


def write_lines(path: Path, records: list) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records),
        encoding="utf-8",
    )
    return path


def database_state() -> list:
    return [list(m.objects.order_by("pk").values()) for m in (Event, Speaker, Topic, Talk)] + [
        list(
            TalkSpeaker.objects.order_by("talk_id", "position").values_list("talk_id", "speaker_id")
        ),
        sorted(Talk.topics.through.objects.values_list("talk_id", "topic_id")),
    ]


def test_the_pyvideo_sample_imports_completely():
    _, err, code = run("import_catalogue", str(SAMPLE), "--quiet")
    assert code == 0, err
    records = [json.loads(line) for line in SAMPLE.open()]
    expected = {
        kind: sum(r["type"] == kind for r in records)
        for kind in ("event", "speaker", "topic", "talk")
    }
    assert expected == {"event": 13, "speaker": 382, "topic": 136, "talk": 300}
    assert (
        Event.objects.count(),
        Speaker.objects.count(),
        Topic.objects.count(),
        Talk.objects.count(),
    ) == tuple(expected.values())
    # Messy values taken as they are: 3-letter languages become BCP 47, nulls become "".
    assert set(Talk.objects.values_list("language", flat=True)) <= {
        "en",
        "fr",
        "ru",
        "ko",
        "sk",
        "pt",
        "es",
        "zh",
        "cs",
    }
    assert not Event.objects.filter(city__isnull=True).exists()
    biggest = max(
        records, key=lambda r: len(r.get("speakers") or []) if r["type"] == "talk" else -1
    )
    talk = Talk.objects.get(slug=biggest["slug"])
    assert (
        list(talk.talk_speakers.order_by("position").values_list("speaker__slug", flat=True))
        == biggest["speakers"]
    )
    assert len(biggest["speakers"]) == 19
    assert Speaker.objects.exclude(name__regex=r"^[\x00-\x7F]*$").count() >= 70  # non-ASCII names


def test_importing_twice_changes_nothing_and_says_so():
    run("import_catalogue", str(SAMPLE), "--quiet")
    before = database_state()
    out, _, code = run("import_catalogue", str(SAMPLE))
    assert code == 0
    assert "talks: 0 created, 0 updated, 300 unchanged" in out
    assert "Nothing changed" in out
    assert database_state() == before


def test_verbose_import_names_each_phase_with_its_time_and_memory():
    out, _, code = run("import_catalogue", str(SAMPLE), "--quiet", "-v", "2")
    assert code == 0
    phases = [line for line in out.splitlines() if line.startswith("phase ")]
    names = [line.split(":")[0].removeprefix("phase ") for line in phases]
    assert names[0] == "events, speakers, topics" and names[-1] == "statistics"
    assert "talks" in names and "overlapping slots" in names
    for line in phases:
        wall, cpu, peak = line.split(": ", 1)[1].split(", ")
        assert wall.endswith(" s") and cpu.endswith(" s CPU") and peak.endswith(" MB peak so far")
    assert Talk.objects.count() == 300


def test_a_newer_file_updates_by_slug(tmp_path):
    records = [json.loads(line) for line in SAMPLE.open()]
    run("import_catalogue", str(SAMPLE), "--quiet")
    talk = next(r for r in records if r["type"] == "talk" and len(r["speakers"]) >= 2)
    talk.update(title="A better title", speakers=list(reversed(talk["speakers"])), topics=[])
    write_lines(tmp_path / "v2.jsonl", records)
    out, _, code = run("import_catalogue", str(tmp_path / "v2.jsonl"))
    assert code == 0 and "talks: 0 created, 1 updated, 299 unchanged" in out
    stored = Talk.objects.get(slug=talk["slug"])
    assert stored.title == "A better title"
    assert (
        list(stored.talk_speakers.order_by("position").values_list("speaker__slug", flat=True))
        == talk["speakers"]
    )
    assert not stored.topics.exists()


def test_records_in_any_order_and_across_batches(tmp_path):
    records = [json.loads(line) for line in SAMPLE.open()]
    random.Random(3).shuffle(records)
    write_lines(tmp_path / "shuffled.jsonl", records)
    _, err, code = run(
        "import_catalogue", str(tmp_path / "shuffled.jsonl"), "--batch-size", "7", "--quiet"
    )
    assert code == 0, err
    assert Talk.objects.count() == 300 and TalkSpeaker.objects.count() > 300


GOOD = [
    {"type": "event", "slug": "ev", "name": "Event"},
    {"type": "speaker", "slug": "sp", "name": "Speaker"},
    {"type": "talk", "slug": "fine", "title": "Fine", "event": "ev", "speakers": ["sp"]},
]
BAD = [
    (
        {"type": "talk", "slug": "no-event", "title": "T", "event": "missing"},
        "refers to unknown event 'missing'",
    ),
    (
        {"type": "talk", "slug": "bad-kind", "title": "T", "event": "ev", "kind": "rant"},
        "unknown kind 'rant'",
    ),
    (
        {
            "type": "talk",
            "slug": "bad-date",
            "title": "T",
            "event": "ev",
            "recorded_on": "2019-13-45",
        },
        "recorded_on '2019-13-45' is not a date (YYYY-MM-DD)",
    ),
    ("{this is not json", "not valid JSON"),
    ({"type": "keynote", "slug": "x"}, "unknown record type 'keynote'"),
    ({"type": "talk", "title": "No slug", "event": "ev"}, "slug is missing"),
    (
        {"type": "talk", "slug": "ghost", "title": "T", "event": "ev", "speakers": ["nobody"]},
        "refers to unknown speaker 'nobody'",
    ),
    (
        {"type": "talk", "slug": "blank", "title": "  ", "event": "ev"},
        "title: This field is required.",
    ),
    (
        {"type": "talk", "slug": "neg", "title": "T", "event": "ev", "duration_minutes": -5},
        "duration_minutes: Ensure this value is greater than or equal to 1.",
    ),
    (
        {
            "type": "event",
            "slug": "backwards",
            "name": "B",
            "starts_on": "2019-04-12",
            "ends_on": "2019-04-10",
        },
        "ends_on: An event cannot end before it starts.",
    ),
    ({"type": "speaker", "slug": "Bad Slug!", "name": "S"}, "slug: Enter a valid “slug”"),
    # Text no database stores alike: refused before any statement, on both.
    (
        {"type": "talk", "slug": "nul", "title": "a\u0000b", "event": "ev"},
        "title: Null characters are not allowed.",
    ),
    ({"type": "event", "slug": "a\u0000b", "name": "E"}, "slug: Null characters are not allowed."),
    (
        {"type": "speaker", "slug": "lone", "name": "S", "bio": "x\ud800"},
        "bio: Unpaired surrogate characters (invalid Unicode) are not allowed.",
    ),
]


def test_every_bad_record_is_reported_with_file_line_and_reason(tmp_path):
    path = write_lines(tmp_path / "mixed.jsonl", GOOD + [record for record, _ in BAD])
    out, err, code = run("import_catalogue", str(path), "--quiet")
    assert code == 1
    for offset, (_, reason) in enumerate(BAD):
        line = len(GOOD) + offset + 1
        assert f"{path}:{line}: {reason}" in err, (line, reason, err)
    assert f"{len(BAD)} bad records" in out
    assert list(Talk.objects.values_list("slug", flat=True)) == ["fine"]
    assert not TalkSpeaker.objects.exclude(talk__slug="fine").exists()  # never half a talk


def test_strict_stops_at_the_first_bad_record_and_writes_nothing(tmp_path):
    path = write_lines(tmp_path / "mixed.jsonl", [*GOOD, BAD[0][0]])
    with pytest.raises(CommandError, match=rf"{path}:4: refers to unknown event 'missing'"):
        call_command(
            "import_catalogue", str(path), "--strict", stdout=io.StringIO(), stderr=io.StringIO()
        )
    assert not Event.objects.exists() and not Talk.objects.exists()


def test_gzip_and_stdin(tmp_path, monkeypatch):
    gz = tmp_path / "sample.jsonl.gz"
    with SAMPLE.open("rb") as plain, gzip.open(gz, "wb") as packed:
        shutil.copyfileobj(plain, packed)
    _, err, code = run("import_catalogue", str(gz), "--quiet")
    assert code == 0 and Talk.objects.count() == 300, err
    Talk.objects.all().delete()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(gz.read_bytes())))
    out, err, code = run("import_catalogue", "-")
    assert code == 0, err
    assert "talks: 300 created" in out


def test_progress_lines_when_not_a_terminal(tmp_path):
    _, err, _ = run("import_catalogue", str(SAMPLE))
    assert "Traceback" not in err  # progress writes plain lines, throttled, to stderr


def test_export_then_import_into_an_empty_database_gives_the_same_file(tmp_path):
    run("import_catalogue", str(SAMPLE), "--quiet")
    first = tmp_path / "first.jsonl.gz"
    run("export_catalogue", str(first))
    for model in (Talk, Event, Speaker, Topic):
        model.objects.all().delete()
    _, err, code = run("import_catalogue", str(first), "--quiet")
    assert code == 0, err
    second = tmp_path / "second.jsonl"
    run("export_catalogue", str(second))
    assert gzip.decompress(first.read_bytes()) == second.read_bytes()
    assert len(second.read_text().splitlines()) == 13 + 382 + 136 + 300


def test_generator_is_deterministic_and_shaped_as_asked(tmp_path):
    a, b, c = tmp_path / "a.jsonl.gz", tmp_path / "b.jsonl.gz", tmp_path / "c.jsonl.gz"
    run("generate_catalogue", "--talks", "600", "--seed", "5", str(a))
    run("generate_catalogue", "--talks", "600", "--seed", "5", str(b))
    run("generate_catalogue", "--talks", "600", "--seed", "6", str(c))
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()
    records = [json.loads(line) for line in gzip.decompress(a.read_bytes()).splitlines()]
    kinds = {
        kind: [r for r in records if r["type"] == kind]
        for kind in ("event", "speaker", "topic", "talk")
    }
    assert [len(kinds[k]) for k in kinds] == [10, 150, 300, 600]
    talks = kinds["talk"]
    assert all(1 <= len(t["speakers"]) <= 3 and 1 <= len(t["topics"]) <= 5 for t in talks)
    assert all(300 <= len(t["abstract"]) <= 2001 for t in talks)
    per_speaker = sorted(
        (sum(s["slug"] in t["speakers"] for t in talks) for s in kinds["speaker"]), reverse=True
    )
    assert per_speaker[0] > 10 * per_speaker[len(per_speaker) // 2]  # a Zipf-like head
    _, err, code = run("import_catalogue", str(a), "--quiet")
    assert code == 0, err
    assert Talk.objects.count() == 600


@pytest.mark.django_db(transaction=True)
def test_a_committed_import_refreshes_search_text():
    """Outside a transaction the PostgreSQL import refreshes search text in the background."""
    from talks.selectors import TalkFilters, talk_list

    _, err, code = run("import_catalogue", str(SAMPLE), "--quiet", "--batch-size", "40")
    assert code == 0, err
    found = talk_list(filters=TalkFilters(search="sslerror"), order="relevance")
    assert [talk.title for talk in found] == ["SSLError, now what?"]
    assert talk_list(filters=TalkFilters(search="celery"), order="relevance").count() >= 2


@pytest.mark.django_db(transaction=True)
def test_a_committed_import_leaves_tables_ready_for_index_only_scans():
    """On PostgreSQL, the import vacuums what it wrote, so counts can read indexes alone."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the visibility map is PostgreSQL's")
    _, err, code = run("import_catalogue", str(SAMPLE), "--quiet")
    assert code == 0, err
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, relallvisible FROM pg_class "
            "WHERE relname IN ('talks_talk', 'talks_talkspeaker', 'talks_talk_topics')"
        )
        visible = dict(cursor.fetchall())
    assert all(pages > 0 for pages in visible.values()), visible
