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
import random
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
QUERIES: list[tuple[str, str | None]] = [
    ("async", "asnyc"),
    ("django orm", "djagno orm"),
    ("python", "pyhton"),
    ("coroutine", "corutine"),
    ("machine learning", "machine lerning"),  # quoted words are never corrected
    ("testing -pytest", "tessting -pytest"),
    ("pandas or numpy", "pandsa or numpy"),
    ("perform", "perfrom"),
    ("kubernetes deployment", "kubernetes deploymnet"),
    ("scale session", "scale sesison"),  # two words of abstracts, each in half the talks
    ("learn", "laern"),  # a prefix of words in nearly two thirds of the talks
    ("use", None),  # in three quarters of the talks; too short to hold a typo
]
RUNS = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--talks", type=int, default=0)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    from talks import selectors
    from talks.models import Talk

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
        matches, p50 = page_time(right)
        if wrong is None:
            print(f"{right:24} {matches:>8} {p50:7.1f}")
            continue
        wrong_matches, wrong_p50 = page_time(wrong)
        ratios.append(wrong_p50 / p50)
        print(
            f"{right:24} {matches:>8} {p50:7.1f}   {wrong:24} {wrong_matches:>8} {wrong_p50:7.1f}"
            f" {wrong_p50 / p50:5.2f}x"
        )
    worst, median = max(ratios), statistics.median(ratios)
    print(f"misspelt / spelt right, p50: worst {worst:.2f}x, median {median:.2f}x")

    # A generated catalogue has a small vocabulary (most of its words repeat), a real
    # archive a large one: the look-up is timed as it is, then with 250,000 random words
    # added (as many as a large archive has) and vacuumed, as autovacuum would; they are
    # deleted again afterwards.
    lookup_time(connection)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO talks_searchword (word, talks) SELECT w, 1"
            " FROM unnest(%s::text[]) AS w ON CONFLICT DO NOTHING RETURNING word",
            [random_words(250_000)],
        )
        padding = [word for (word,) in cursor.fetchall()]
        cursor.execute("VACUUM ANALYZE talks_searchword")
        try:
            lookup_time(connection)
        finally:
            cursor.execute("DELETE FROM talks_searchword WHERE word = ANY(%s)", [padding])
            cursor.execute("VACUUM ANALYZE talks_searchword")

    for text in ("coroutine", "python"):
        filters = selectors.TalkFilters(search=text)
        queryset = selectors.page(
            selectors.talk_list(filters=filters, order="relevance"), filters, 0, 21
        )
        print(f"\nplan of the page query for {text!r}:")
        print(queryset.explain(analyze=True))


LOOKED_UP = ("pyhton", "deploymnet")


def lookup_time(connection) -> None:
    """The p50 of the vocabulary look-up for two misspelt words, and its plan."""
    from talks import vocabulary
    from talks.models import SearchWord

    wanted = [vocabulary.Wanted(vocabulary.fold(word)) for word in LOOKED_UP]
    timings = []
    for _ in range(RUNS * 20):
        started = time.perf_counter()
        found = vocabulary.corrections(wanted)
        timings.append((time.perf_counter() - started) * 1000)
    print(
        f"\nvocabulary look-up of {' '.join(LOOKED_UP)!r} among {SearchWord.objects.count():,}"
        f" words: p50 {statistics.median(timings):.2f} ms, corrections {found}; its plan:"
    )
    sql, params = vocabulary.lookup_sql(wanted)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        print("\n".join(row[0] for row in cursor.fetchall()))


def random_words(n: int) -> list[str]:
    """`n` random words, with English letter frequencies and typical lengths."""
    rng = random.Random(1)
    letters = "etaoinshrdlcumwfgypbvkjxqz"
    weights = [127, 91, 82, 75, 70, 67, 63, 61, 60, 43, 40, 28, 28, 24, 24, 22, 20, 20, 19]
    weights += [15, 10, 8, 2, 2, 1, 1]
    lengths = [4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 10, 11, 12]
    return ["".join(rng.choices(letters, weights, k=rng.choice(lengths))) for _ in range(n)]


def page_time(text: str) -> tuple[str, float]:
    """How many talks match `text` ("~" before an estimate), and the p50 of a ranked
    first page plus its `totalCount`, read as the API reads them."""
    from talks import selectors

    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        filters = selectors.TalkFilters(search=text)
        queryset = selectors.talk_list(filters=filters, order="relevance")
        list(selectors.page(queryset, filters, 0, 21))
        total = selectors.list_total(selectors.talk_list, filters)
        timings.append((time.perf_counter() - started) * 1000)
    return f"{'' if total.exact else '~'}{total.rows:,}", statistics.median(timings)


if __name__ == "__main__":
    main()
