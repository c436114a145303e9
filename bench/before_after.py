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
    server_env,
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


def time_interleaved(http, servers: dict, send, count: int, warmup: int = 20) -> dict:
    """Milliseconds of `count` requests `send(http, base, server)` to each of `servers`
    (name: (process, base URL)), interleaved (A B C A B C ...) after `warmup` each; every
    answer must be 200."""
    times: dict[str, list[float]] = {server: [] for server in servers}
    for _ in range(warmup):
        for server, (_, base) in servers.items():
            send(http, base, server)
    for _ in range(count):
        for server, (_, base) in servers.items():
            started = time.perf_counter()
            response = send(http, base, server)
            times[server].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (server, response.text[:200])
    return times


def against_twin(times: dict, twin1: str, subject: str, twin2: str) -> tuple:
    """p50s and p95s of the three servers, subject / the twins' mean at p50, and the
    run's noise: the larger of the twins' difference and the 95% interval of the ratio
    of medians (bootstrapped), as a share of the twins' mean."""
    b1, a, b2 = (statistics.median(times[s]) for s in (twin1, subject, twin2))
    q1, qa, q2 = (p95(times[s]) for s in (twin1, subject, twin2))
    was = (b1 + b2) / 2
    spread = (
        median_spread(times[twin1] + times[twin2]) ** 2 + median_spread(times[subject]) ** 2
    ) ** 0.5
    return (b1, a, b2), (q1, qa, q2), a / was, max(abs(b1 - b2), 2 * spread) / was


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", help="the commit to compare with, e.g. HEAD~3 or a hash")
    parser.add_argument("--talks", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=200, help="per operation and server")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    url, create = database_url(args.talks)
    env = server_env(url)
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
    times = {}
    mismatches = []
    try:
        with httpx.Client(timeout=60) as http:
            for name in OPERATIONS:
                v = {**variables, "n": DEFAULT_SIZES[name]}
                answers = [graphql_request(http, b, name, v).json() for _, b in servers.values()]
                if any(answer != answers[0] for answer in answers):
                    mismatches.append(name)
                times[name] = time_interleaved(
                    http,
                    servers,
                    lambda h, b, _, v=v, n=name: graphql_request(h, b, n, v),
                    args.requests,
                )
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
        (b1, a, b2), (q1, qa, q2), change, noise = against_twin(
            by_server, "before 1", "after", "before 2"
        )
        verdict = "slower" if change - 1 > noise else "within noise or faster"
        p50s, p95s = f"{b1:.1f} | {a:.1f} | {b2:.1f}", f"{q1:.1f} | {qa:.1f} | {q2:.1f}"
        print(f"{name:3} {p50s:>36} {p95s:>26} {change:12.3f} {noise:6.3f}  {verdict}")
    print("answers equal:", "yes" if not mismatches else f"NO for {', '.join(mismatches)}")


if __name__ == "__main__":
    main()
