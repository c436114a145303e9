#!/usr/bin/env python3
"""The GraphQL API before and after a change, side by side in one run: the five
benchmark operations served by this checkout and by an earlier commit, on the same
database and the same server stack (bench/benchmark.py's), requests interleaved.

    .venv/bin/python bench/before_after.py REV [--talks 20000] [--requests 200]
                                               [--workers N]

The earlier commit is checked out in bench/.data/before-<REV> (a git worktree) and
served twice, by two servers of its own. Prints, per operation, p50 and p95 of each
server, after / before (before: the mean of the two), and this run's noise: the larger
of the two before servers' difference and the 95% interval of the after / before ratio
of medians (bootstrapped), as a share of before; and whether the change is slower than
before by more than the noise.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.benchmark import (  # noqa: E402
    DATA,
    DEFAULT_SIZES,
    OPERATIONS,
    database_url,
    graphql_request,
    prepare,
    start,
    subjects,
)


def checkout(rev: str) -> Path:
    """A worktree of `rev` (made once, reused)."""
    sha = subprocess.run(
        ["git", "rev-parse", "--short", rev], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    where = DATA / f"before-{sha}"
    if not where.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(where), sha],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    return where


def median_spread(values: list[float], rounds: int = 500) -> float:
    """The standard error of the median of `values`, bootstrapped."""
    medians = [statistics.median(random.choices(values, k=len(values))) for _ in range(rounds)]
    return statistics.stdev(medians)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", help="the commit to compare with, e.g. HEAD~3 or a hash")
    parser.add_argument("--talks", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=200, help="per operation and server")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    url, create = database_url(args.talks)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": os.environ.get("SECRET_KEY", "benchmark-only-" + "x" * 40),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "SECURE_SSL_REDIRECT": "0",
        "GRAPHQL_RATE_LIMIT_ANONYMOUS": str(10**12),
    }
    prepare(env, args.talks, create)
    before = checkout(args.rev)

    import psycopg2

    with psycopg2.connect(url) as db, db.cursor() as cursor:
        variables = subjects(cursor)

    servers = {
        "before 1": start(env, "project.settings", args.workers, cwd=before),
        "after": start(env, "project.settings", args.workers),
        "before 2": start(env, "project.settings", args.workers, cwd=before),
    }
    times = {name: {server: [] for server in servers} for name in OPERATIONS}
    mismatches = []
    try:
        with httpx.Client(timeout=60) as http:
            for name in OPERATIONS:
                v = {**variables, "n": DEFAULT_SIZES[name]}
                answers = [graphql_request(http, b, name, v).json() for _, b in servers.values()]
                if any(answer != answers[0] for answer in answers):
                    mismatches.append(name)
                for _ in range(20):  # warm-up
                    for _, base in servers.values():
                        graphql_request(http, base, name, v)
                for _ in range(args.requests):  # interleaved: B1 A B2 B1 A B2 ...
                    for server, (_, base) in servers.items():
                        started = time.perf_counter()
                        response = graphql_request(http, base, name, v)
                        times[name][server].append((time.perf_counter() - started) * 1000)
                        assert response.status_code == 200, response.text[:200]
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait(timeout=30)

    print(
        f"\n{args.talks:,} talks on PostgreSQL; before = {args.rev} ({before.name}), after = "
        f"this checkout; {args.workers} worker(s) per server, {args.requests} requests each"
    )
    print(
        f"{'op':3} {'p50 ms: before 1 | after | before 2':>36} {'p95 ms: b1 | after | b2':>26}"
        f" {'after/before':>12} {'noise':>6}  verdict"
    )
    for name, by_server in times.items():
        b1, a, b2 = (statistics.median(by_server[s]) for s in ("before 1", "after", "before 2"))
        q1, qa, q2 = (p95(by_server[s]) for s in ("before 1", "after", "before 2"))
        was = (b1 + b2) / 2
        pooled = by_server["before 1"] + by_server["before 2"]
        spread = (median_spread(pooled) ** 2 + median_spread(by_server["after"]) ** 2) ** 0.5
        change, noise = a / was, max(abs(b1 - b2), 2 * spread) / was
        verdict = "slower" if change - 1 > noise else "within noise or faster"
        p50s, p95s = f"{b1:.1f} | {a:.1f} | {b2:.1f}", f"{q1:.1f} | {qa:.1f} | {q2:.1f}"
        print(f"{name:3} {p50s:>36} {p95s:>26} {change:12.3f} {noise:6.3f}  {verdict}")
    print("answers equal:", "yes" if not mismatches else f"NO for {', '.join(mismatches)}")


if __name__ == "__main__":
    main()
