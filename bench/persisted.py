#!/usr/bin/env python3
"""The benchmark's five operations as persisted queries, three ways side by side:
executed (a POST by hash: parsed and validated from cache, executed), a public GET
answered from the shared cache, and a GET revalidated with If-None-Match (304).

    .venv/bin/python bench/persisted.py [--talks 20000] [--requests 200] [--seconds 5]
                                        [--workers N]

The database is bench/benchmark.py's (created and loaded the same way); the server is
the product's, with Redis (REDIS_URL, default redis://127.0.0.1:6379/0) holding the
persisted queries, the answers and the rate-limit buckets (limits on, set too high to
refuse). Prints, per operation and way: SQL statements per request (counted in-process,
the version read on its kept connection included) and which tables they read, p50 of
interleaved sequential requests, requests/s with 8 concurrent clients, and each way's
requests/s over execution's.
"""

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
from functools import partial
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.benchmark import (  # noqa: E402
    DEFAULT_SIZES,
    OPERATIONS,
    database_url,
    prepare,
    run_in_django,
    start,
    subjects,
    throughput,
)

WAYS = ("executed", "cached", "304")


def persisted(name: str) -> dict:
    query = OPERATIONS[name][0]
    digest = hashlib.sha256(query.encode()).hexdigest()
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


def sender(way: str, name: str, variables: dict, tag: str | None):
    extensions = persisted(name)
    params = {"extensions": json.dumps(extensions), "variables": json.dumps(variables)}

    def executed(http: httpx.Client, base: str) -> httpx.Response:
        body = {"extensions": extensions, "variables": variables}
        return http.post(f"{base}/graphql/", json=body)

    def cached(http: httpx.Client, base: str) -> httpx.Response:
        return http.get(f"{base}/graphql/", params=params)

    def revalidated(http: httpx.Client, base: str) -> httpx.Response:
        return http.get(f"{base}/graphql/", params=params, headers={"If-None-Match": tag})

    return {"executed": executed, "cached": cached, "304": revalidated}[way]


def expected_status(way: str) -> int:
    return 304 if way == "304" else 200


def sql_counts(env: dict, variables: dict) -> dict:
    """{operation: {way: (statements, catalogue tables read)}}, counted in a child process
    through Django's test client on the same database and Redis."""
    script = f"""
import hashlib, json, django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from bench.benchmark import DEFAULT_SIZES, OPERATIONS
variables = json.loads({json.dumps(json.dumps(variables))})
tables = ("talks_talk", "talks_speaker", "talks_event", "talks_topic")
client, out = Client(), {{}}
for name, (query, _, _) in OPERATIONS.items():
    v = {{**variables, "n": DEFAULT_SIZES[name]}}
    digest = hashlib.sha256(query.encode()).hexdigest()
    ext = {{"persistedQuery": {{"version": 1, "sha256Hash": digest}}}}
    client.post("/graphql/", json.dumps({{"query": query, "extensions": ext, "variables": v}}),
                content_type="application/json")
    params = {{"extensions": json.dumps(ext), "variables": json.dumps(v)}}
    tag = client.get("/graphql/", params)["ETag"]
    by_hash = json.dumps({{"extensions": ext, "variables": v}})
    ways = {{
        "executed": lambda: client.post("/graphql/", by_hash, content_type="application/json"),
        "cached": lambda: client.get("/graphql/", params),
        "304": lambda: client.get("/graphql/", params, headers={{"If-None-Match": tag}}),
    }}
    for way, send in ways.items():
        with CaptureQueriesContext(connection) as queries:
            send()
        read = sorted({{t for t in tables for q in queries.captured_queries if t in q["sql"]}})
        if any("talks_catalogueversion" in q["sql"] for q in queries.captured_queries):
            read.append("the version row")
        out.setdefault(name, {{}})[way] = (len(queries), read)
print(json.dumps(out))
"""
    return run_in_django(env, script)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--talks", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=200, help="per operation and way")
    parser.add_argument("--seconds", type=float, default=5, help="throughput run per way")
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
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "GRAPHQL_RATE_LIMIT_ANONYMOUS": str(10**12),
        "GRAPHQL_CACHE_MAX_AGE": "60",
    }
    prepare(env, args.talks, create)
    import psycopg2

    with psycopg2.connect(url) as db, db.cursor() as cursor:
        variables = subjects(cursor)
    counts = sql_counts(env, variables)
    server, base = start(env, "project.settings", args.workers)
    rows = []
    try:
        with httpx.Client(timeout=60) as http:
            for name in OPERATIONS:
                v = {**variables, "n": DEFAULT_SIZES[name]}
                query = OPERATIONS[name][0]
                stored = http.post(
                    f"{base}/graphql/",
                    json={"query": query, "extensions": persisted(name), "variables": v},
                )
                assert "errors" not in stored.json(), stored.text[:300]
                tag = sender("cached", name, v, None)(http, base).headers["ETag"]
                sends = {way: sender(way, name, v, tag) for way in WAYS}
                for _ in range(20):  # warm-up
                    for send in sends.values():
                        send(http, base)
                times = {way: [] for way in WAYS}
                for _ in range(args.requests):  # interleaved
                    for way, send in sends.items():
                        started = time.perf_counter()
                        response = send(http, base)
                        times[way].append((time.perf_counter() - started) * 1000)
                        assert response.status_code == expected_status(way), response.text[:200]
                rates = {
                    way: throughput(partial(send, base=base), args.seconds, expected_status(way))
                    for way, send in sends.items()
                }
                rows.append((name, times, rates))
    finally:
        server.terminate()
        server.wait()

    print(f"\n{args.talks:,} talks, {args.workers} workers, Redis at {env['REDIS_URL']}")
    print("| op | way | SQL (catalogue tables read) | p50 ms | req/s | req/s vs executed |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, times, rates in rows:
        for way in WAYS:
            statements, read = counts[name][way]
            print(
                f"| {name} | {way} | {statements} ({', '.join(read) or 'none'}) "
                f"| {statistics.median(times[way]):.2f} | {rates[way]:,.0f} "
                f"| {rates[way] / rates['executed']:.1f}x |"
            )


if __name__ == "__main__":
    main()
