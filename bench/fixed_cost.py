#!/usr/bin/env python3
"""The fixed cost of a request: the API before and after a change, and a plain Django
project's hand-written view, side by side in one run on the same database.

    .venv/bin/python bench/fixed_cost.py REV [--talks 20000] [--requests 300]

Servers, each gunicorn with one uvicorn worker: "before" (the commit REV, checked out in
bench/.data/before-<REV>), "after" (this checkout), and "plain" (bench/baseline.py's
views with Django's own middleware, bench/plain_django_settings.py, on the same pooled
database). Requests, interleaved: `{ __typename }` (nothing to read: the request alone),
the talk detail (Q5: three statements), the event page (Q2) and the search page (Q4),
small requests where fixed cost shows, and /healthz (the middleware and handler alone,
the same view in every server). Prints p50 and p95 of each, after / before and after /
plain at p50, then requests/s of 8 concurrent clients for 4 s on each server.
"""

import argparse
import statistics
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.before_after import checkout, p95, time_interleaved  # noqa: E402
from bench.benchmark import (  # noqa: E402
    DEFAULT_SIZES,
    baseline_request,
    database_url,
    graphql_request,
    prepare,
    server_env,
    start,
    subjects,
    throughput,
)

SERVERS = ("before", "after", "plain")


def requests_of(variables: dict) -> dict:
    """Each measured request, by name: for each server, a function of (client, base)."""

    def typename(http, base, server):
        if server == "plain":
            return http.get(f"{base}/typename")
        return http.post(f"{base}/graphql/", json={"query": "{ __typename }"})

    def operation(name, size):
        def send(http, base, server):
            asked = {**variables, "n": size}
            if server == "plain":
                return baseline_request(http, base, name, asked)
            return graphql_request(http, base, name, asked)

        return send

    def health(http, base, server):
        return http.get(f"{base}/healthz")

    return {
        "{ __typename }": typename,
        "talk detail": operation("Q5", 1),
        "event page": operation("Q2", DEFAULT_SIZES["Q2"]),
        "search page": operation("Q4", DEFAULT_SIZES["Q4"]),
        "/healthz": health,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", help="the commit to compare with")
    parser.add_argument("--talks", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=300, help="per request and server")
    args = parser.parse_args()

    url, create = database_url(args.talks)
    env = server_env(url)
    prepare(env, args.talks, create)
    before = checkout(args.rev)

    import psycopg2

    with psycopg2.connect(url) as db, db.cursor() as cursor:
        variables = subjects(cursor)
    requests = requests_of(variables)

    servers = {
        "before": start(env, "project.settings", 1, cwd=before),
        "after": start(env, "project.settings", 1),
        "plain": start(env, "bench.plain_django_settings", 1),
    }
    times = {}
    rates = {name: {} for name in requests}
    try:
        with httpx.Client(timeout=60) as http:
            for name, request in requests.items():
                for server, (_, base) in servers.items():
                    answer = request(http, base, server)
                    assert answer.status_code == 200, (server, answer.text[:200])
                times[name] = time_interleaved(http, servers, request, args.requests, warmup=30)
            for name, request in requests.items():
                for server, (_, base) in servers.items():
                    rates[name][server] = throughput(
                        lambda http, r=request, b=base, s=server: r(http, b, s), 4
                    )
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait(timeout=30)

    print(
        f"\n{args.talks:,} talks on PostgreSQL; before = {args.rev}, after = this checkout, "
        f"plain = a hand-written view in a plain Django project; one worker each, "
        f"{args.requests} interleaved requests each"
    )
    print(
        f"{'request':16} {'p50 ms: before | after | plain':>30} {'p95 ms: b | a | p':>22}"
        f" {'a/b':>6} {'a/plain':>7} {'req/s: before | after | plain':>31}"
    )
    for name in requests:
        p50 = {s: statistics.median(times[name][s]) for s in SERVERS}
        q95 = {s: p95(times[name][s]) for s in SERVERS}
        p50s = " | ".join(f"{p50[s]:.2f}" for s in SERVERS)
        p95s = " | ".join(f"{q95[s]:.1f}" for s in SERVERS)
        rate = " | ".join(f"{rates[name][s]:.0f}" for s in SERVERS)
        print(
            f"{name:16} {p50s:>30} {p95s:>22} {p50['after'] / p50['before']:6.3f}"
            f" {p50['after'] / p50['plain']:7.3f} {rate:>31}"
        )


if __name__ == "__main__":
    main()
