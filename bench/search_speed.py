#!/usr/bin/env python3
"""Search speed on PostgreSQL: a page of ranked talks for typical queries, timed in-process
through the same selectors the API uses, plus the query plan of one of them.

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

QUERIES = [
    "async",
    "django orm",
    "python",
    "coroutine",
    '"machine learning"',
    "testing -pytest",
    "pandas or numpy",
    "perform",
    "kubernetes deployment",
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
    print(f"{'query':26} {'matches':>8} {'p50 ms':>8} {'p95 ms':>8}")
    for text in QUERIES:
        filters = selectors.TalkFilters(search=text)
        timings = []
        for _ in range(RUNS):
            started = time.perf_counter()
            queryset = selectors.talk_list(filters=filters, order="relevance")
            list(queryset[:21])
            matches = queryset.count()
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        p95 = timings[int(len(timings) * 0.95) - 1]
        print(f"{text:26} {matches:8,} {statistics.median(timings):8.1f} {p95:8.1f}")

    queryset = selectors.talk_list(
        filters=selectors.TalkFilters(search="coroutine"), order="relevance"
    )[:21]
    print("\nplan of the page query for 'coroutine':")
    print(queryset.explain(analyze=True))


if __name__ == "__main__":
    main()
