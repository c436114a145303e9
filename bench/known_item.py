#!/usr/bin/env python3
"""Known-item search: does a talk someone remembers come up in the first five, when the
haystack is a large generated catalogue?

    DATABASE_URL=postgres://... .venv/bin/python bench/known_item.py [--runs 3]

The database must hold a catalogue (bench/import_speed.py --keep); the real pyvideo
talks of tests/data/pyvideo-sample.jsonl are imported on top of it if they are not there
yet. For each of those talks, four ways of looking for it, each as a user types it:

    title words     two or three words of its title
    surname + word  a speaker's surname and one word of the title
    as-you-type     the title's first words, the last one cut short
    misspelt word   the title words, one of them (5+ letters) with a typo

Each query runs as the API runs a search (a ranked first page of 20 and its total,
through the selectors). Prints per class: queries, the share whose talk is in the first
five, and p50 / p95 ms.
"""

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only")

ARCHIVE = ROOT / "tests" / "data" / "pyvideo-sample.jsonl"
TOP = 5
# Words nobody types to find a talk.
STOP = set(
    "a an and are as at be by for from how in into is it its of on or our the this to "
    "vs what when why with you your".split()
)
WORD = re.compile(r"[^\W\d_]{3,}")


def typo(word: str, rng: random.Random) -> str:
    """The word with one typing mistake past its first letter: two letters swapped, one
    dropped, doubled or replaced by its neighbour on the keyboard row."""
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["swap", "drop", "double", "replace"])
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    row = "qwertyuiopasdfghjklzxcvbnm"
    neighbour = row[(row.find(word[i].lower()) + 1) % len(row)] if word[i].isalpha() else "e"
    return word[:i] + neighbour + word[i + 1 :]


def queries(talk: dict, speakers: dict[str, str], rng: random.Random) -> dict[str, str]:
    """The four queries for one archive talk (a class is left out if the talk has not
    what it needs)."""
    words = [w for w in WORD.findall(talk["title"]) if w.lower() not in STOP]
    found: dict[str, str] = {}
    if len(words) >= 2:
        chosen = rng.sample(words, min(len(words), rng.choice([2, 3])))
        found["title words"] = " ".join(chosen)
        long = [w for w in chosen if len(w) >= 5]
        if long:
            wrong = rng.choice(long)
            found["misspelt word"] = " ".join(typo(w, rng) if w == wrong else w for w in chosen)
    names = [speakers[s] for s in talk.get("speakers") or [] if s in speakers]
    surnames = [n.split()[-1] for n in names if len(n.split()) >= 2]
    if surnames and words:
        found["surname + word"] = f"{rng.choice(surnames)} {rng.choice(words)}"
    typed = WORD.findall(talk["title"])[:3]
    if len(typed) >= 2 and len(typed[-1]) >= 4:
        cut = rng.randint(3, len(typed[-1]) - 1)
        found["as-you-type"] = " ".join([*typed[:-1], typed[-1][:cut]])
    return found


def search(text: str) -> tuple[list[int], float]:
    """The ids of the first page of 20 and the milliseconds of it and its total."""
    from talks import selectors

    started = time.perf_counter()
    filters = selectors.TalkFilters(search=text)
    queryset = selectors.talk_list(filters=filters, order="relevance")
    ids = [talk.id for talk in selectors.page(queryset, filters, 0, 21)]
    selectors.list_total(selectors.talk_list, filters)
    return ids, (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="Timed runs of each query.")
    parser.add_argument("--misses", action="store_true", help="Print the queries that missed.")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    from talks.models import Talk

    assert connection.vendor == "postgresql", "set DATABASE_URL to a PostgreSQL database"
    records = [json.loads(line) for line in ARCHIVE.read_text().splitlines() if line.strip()]
    talks = [r for r in records if r["type"] == "talk"]
    if Talk.objects.filter(slug__in=[t["slug"] for t in talks]).count() < len(talks):
        subprocess.run(
            [sys.executable, "manage.py", "import_catalogue", str(ARCHIVE), "--quiet"],
            cwd=ROOT,
            check=False,  # the archive's few bad records are reported, and skipped
        )
    ids = dict(Talk.objects.filter(slug__in=[t["slug"] for t in talks]).values_list("slug", "id"))
    speakers = {r["slug"]: r["name"] for r in records if r["type"] == "speaker"}
    print(f"{Talk.objects.count():,} talks; {len(ids)} of the archive's are the known items")

    rng = random.Random(34)
    results: dict[str, list[tuple[bool, float]]] = {}
    for talk in talks:
        if talk["slug"] not in ids:
            continue
        for kind, text in queries(talk, speakers, rng).items():
            found, _ = search(text)  # the first run warms the caches; the rest are timed
            timings = [search(text)[1] for _ in range(args.runs)]
            hit = ids[talk["slug"]] in found[:TOP]
            if args.misses and not hit:
                print(f"  missed ({kind}): {text!r} for {talk['title']!r}")
            results.setdefault(kind, []).append((hit, statistics.median(timings)))

    print(f"{'class':16} {'queries':>8} {'in top 5':>9} {'p50 ms':>7} {'p95 ms':>7}")
    for kind in ("title words", "surname + word", "as-you-type", "misspelt word"):
        rows = results.get(kind, [])
        if not rows:
            continue
        hits = sum(hit for hit, _ in rows) / len(rows)
        times = sorted(ms for _, ms in rows)
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(f"{kind:16} {len(rows):8} {hits:9.1%} {statistics.median(times):7.1f} {p95:7.1f}")


if __name__ == "__main__":
    main()
