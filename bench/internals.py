#!/usr/bin/env python3
"""What `internals.model_instance` saves the API's requests, against Django's public way
of building a model instance from a row (`Model.from_db`, annotations set after, as
Django's own querysets do): the five benchmark operations, one process, requests sent
through the ASGI application in-process, the two ways alternating request by request.

    DATABASE_URL=postgres://... .venv/bin/python bench/internals.py [--requests 300]

The database must hold a catalogue (bench/benchmark.py makes one). Prints, per
operation, the p50 milliseconds per request each way and their ratio: the share of a
request that the public way would add.
"""

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def from_db_instance(model, attnames, values, db):
    """An instance built as Django's querysets build one: `Model.from_db` with the
    model's columns in their declared order, the annotations set after it."""
    given = dict(zip(attnames, values, strict=True))
    columns = [f.attname for f in model._meta.concrete_fields if f.attname in given]
    obj = model.from_db(db, columns, [given.pop(name) for name in columns])
    for name, value in given.items():
        setattr(obj, name, value)
    return obj


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="per operation and way")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database holding a catalogue.")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="project.settings",
        DEBUG="0",
        SECRET_KEY=os.environ.get("SECRET_KEY", "benchmark-only"),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        LOG_LEVEL="WARNING",
        GRAPHQL_CACHE_MAX_AGE="0",
        GRAPHQL_RATE_LIMIT_ANONYMOUS="0",
    )
    import django

    django.setup()
    import httpx
    from django.db import connection

    from bench.benchmark import DEFAULT_SIZES, OPERATIONS, subjects
    from internals import model_instance
    from project.asgi import application
    from talks.selectors import related

    ways = {"internals": model_instance, "from_db": from_db_instance}
    with connection.cursor() as cursor:
        variables = subjects(cursor)
    connection.close()

    async def run() -> dict:
        timings = {name: {way: [] for way in ways} for name in OPERATIONS}
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            for name, (query, _, _) in OPERATIONS.items():
                body = {"query": query, "variables": {**variables, "n": DEFAULT_SIZES[name]}}
                for turn in range(20 + args.requests * len(ways)):
                    way = list(ways)[turn % len(ways)]
                    related.model_instance = ways[way]
                    started = time.perf_counter()
                    response = await http.post("/graphql/", json=body)
                    elapsed = time.perf_counter() - started
                    assert response.status_code == 200 and "errors" not in response.json()
                    if turn >= 20:  # after warming up caches, the pool and the planner
                        timings[name][way].append(elapsed * 1000)
        related.model_instance = model_instance
        return timings

    timings = asyncio.run(run())
    print(f"p50 ms per request, {args.requests} requests per operation and way, alternating")
    print(f"{'op':4} {'internals':>10} {'from_db':>10} {'from_db / internals':>20}")
    for name, by_way in timings.items():
        fast, public = (statistics.median(by_way[way]) for way in ways)
        print(f"{name:4} {fast:10.2f} {public:10.2f} {public / fast:20.3f}")


if __name__ == "__main__":
    main()
