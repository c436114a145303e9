#!/usr/bin/env python3
"""Search speed on PostgreSQL: a page of ranked talks for typical queries, timed in-process
through the same selectors the API uses, each also misspelt (the typo rule corrects it),
plus the query plans of one page and of the vocabulary look-up.

    DATABASE_URL=postgres://... .venv/bin/python bench/search_speed.py [--talks 100000]

The database must hold a catalogue (bench/import_speed.py --keep, or import_catalogue);
with --talks, a generated catalogue of that size is imported first if the database has
fewer talks.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only")

# Each query as usually typed, and with a typo in a word (a swap, a dropped, doubled or
# wrong letter).
QUERIES = [
    ("async", "asnyc"),
    ("django orm", "djagno orm"),
    ("python", "pyhton"),
    ("coroutine", "corutine"),
    ('"machine learning"', "machine lerning"),
    ("testing -pytest", "tessting -pytest"),
    ("pandas or numpy", "pandsa or numpy"),
    ("perform", "perfrom"),
    ("kubernetes deployment", "kubernetes deploymnet"),
]
RUNS = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--talks", type=int, default=0)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    from talks import selectors, vocabulary
    from talks.models import SearchWord, Talk

    assert connection.vendor == "postgresql", "set DATABASE_URL to a PostgreSQL database"
    if args.talks and Talk.objects.count() < args.talks:
        catalogue = ROOT / "bench" / ".data" / f"catalogue-{args.talks}-1.jsonl.gz"
        catalogue.parent.mkdir(parents=True, exist_ok=True)
        manage = [sys.executable, "manage.py"]
        if not catalogue.exists():
            subprocess.run(
                [*manage, "generate_catalogue", "--talks", str(args.talks), str(catalogue)],
                cwd=ROOT,
                check=True,
            )
        subprocess.run(
            [*manage, "import_catalogue", str(catalogue), "--quiet"], cwd=ROOT, check=True
        )
    total = Talk.objects.count()
    print(f"{total:,} talks; each query: a ranked first page of 20 and its total, {RUNS} runs")
    columns = f"{'matches':>8} {'p50 ms':>7}"
    print(f"{'query':24} {columns}   {'misspelt':24} {columns} {'ratio':>6}")
    ratios = []
    for right, wrong in QUERIES:
        (matches, p50), (wrong_matches, wrong_p50) = page_time(right), page_time(wrong)
        ratios.append(wrong_p50 / p50)
        print(
            f"{right:24} {matches:8,} {p50:7.1f}   {wrong:24} {wrong_matches:8,} {wrong_p50:7.1f}"
            f" {wrong_p50 / p50:5.2f}x"
        )
    worst, median = max(ratios), statistics.median(ratios)
    print(f"misspelt / spelt right, p50: worst {worst:.2f}x, median {median:.2f}x")

    wanted = [vocabulary.Wanted(vocabulary.fold(word)) for word in ("pyhton", "deploymnet")]
    timings = []
    for _ in range(RUNS * 10):
        started = time.perf_counter()
        found = vocabulary.corrections(wanted)
        timings.append((time.perf_counter() - started) * 1000)
    words = SearchWord.objects.count()
    print(
        f"\nvocabulary look-up of 'pyhton deploymnet' ({words:,} words): p50"
        f" {statistics.median(timings):.2f} ms, corrections {found}; its plan:"
    )
    sql, params = vocabulary.lookup_sql(wanted)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        print("\n".join(row[0] for row in cursor.fetchall()))

    queryset = selectors.talk_list(
        filters=selectors.TalkFilters(search="coroutine"), order="relevance"
    )[:21]
    print("\nplan of the page query for 'coroutine':")
    print(queryset.explain(analyze=True))


def page_time(text: str) -> tuple[int, float]:
    """How many talks match `text`, and the p50 of a ranked first page plus its count."""
    from talks import selectors

    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        queryset = selectors.talk_list(
            filters=selectors.TalkFilters(search=text), order="relevance"
        )
        list(queryset[:21])
        matches = queryset.count()
        timings.append((time.perf_counter() - started) * 1000)
    return matches, statistics.median(timings)


if __name__ == "__main__":
    main()
