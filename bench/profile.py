#!/usr/bin/env python3
"""Where a request's time goes: the five benchmark operations, GraphQL and the
hand-written baseline, each side in a process of its own, requests sent through the ASGI
application in-process (no sockets, no server loop), one at a time.

    DATABASE_URL=postgres://... .venv/bin/python bench/profile.py [--requests 200]

The database must hold a catalogue (bench/benchmark.py makes one). Prints, per operation
and side, the mean milliseconds per request of:

    middleware  Django's handler and middleware, around the view
    parse       GraphQL only: the request's parameters, the document (parsed and
                validated, or found in the cache), the context: the view minus the two
                below
    execute     GraphQL only: strawberry's execution phase (graphql-core's executor
                with our short paths, resolvers, DataLoaders, the schema extensions'
                hooks around it), without the database
    view        baseline only: the view's own Python, without the database
    encode      the answer to JSON bytes
    database    statements: from sending one to having all its rows (psycopg2 reads the
                whole result at once), in whichever thread ran it
    total       the request, as the ASGI client saw it

Each part is timed by wrapping the function that does it, so the parts add up to the
total but for the ASGI plumbing between them. Timers cost about a microsecond each.
"""

import argparse
import asyncio
import inspect
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from functools import wraps
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIDES = {"graphql": "project.settings", "baseline": "bench.baseline_settings"}
PARTS = {
    "graphql": ["middleware", "parse", "execute", "encode", "database", "total"],
    "baseline": ["middleware", "view", "encode", "database", "total"],
}


class Timers:
    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)

    def wrap(self, owner, name: str, part: str) -> None:
        original = getattr(owner, name)
        spent = self.spent

        if asyncio.iscoroutinefunction(original):

            @wraps(original)
            async def timed(*args, **kwargs):
                started = time.perf_counter()
                try:
                    return await original(*args, **kwargs)
                finally:
                    spent[part] += time.perf_counter() - started

        else:

            @wraps(original)
            def timed(*args, **kwargs):
                started = time.perf_counter()
                try:
                    result = original(*args, **kwargs)
                finally:
                    spent[part] += time.perf_counter() - started
                if not inspect.isawaitable(result):
                    return result

                async def finished():  # an awaitable result: until it is done, too
                    resumed = time.perf_counter()
                    try:
                        return await result
                    finally:
                        spent[part] += time.perf_counter() - resumed

                return finished()

        setattr(owner, name, timed)


def measure(side: str, requests: int) -> dict:
    """Runs in the child process of one side: mean ms per part, per operation."""
    import django

    django.setup()
    import httpx
    from django.core.handlers.base import BaseHandler
    from django.db import connection
    from django.db.backends.utils import CursorWrapper

    from bench.benchmark import DEFAULT_SIZES, OPERATIONS, subjects

    timers = Timers()
    timers.wrap(BaseHandler, "get_response_async", "handler")
    timers.wrap(BaseHandler, "_get_response_async", "view+")
    timers.wrap(CursorWrapper, "_execute", "database")
    timers.wrap(CursorWrapper, "_executemany", "database")
    if side == "graphql":
        from strawberry.schema.schema import Schema

        from edge import view

        timers.wrap(Schema, "_execute_operation", "execute+")
        timers.wrap(view, "json_bytes", "encode")
    else:
        from bench import baseline

        timers.wrap(baseline.json, "dumps", "encode")
    # After the wrapping: the handler builds its middleware chain around the view then.
    from project.asgi import application

    with connection.cursor() as cursor:
        variables = subjects(cursor)
    connection.close()

    async def run() -> dict:
        out = {}
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            for name, (query, path, params) in OPERATIONS.items():
                v = {**variables, "n": DEFAULT_SIZES[name]}

                async def once(query=query, path=path, params=params, v=v):
                    if side == "graphql":
                        body = {"query": query, "variables": v}
                        response = await http.post("/graphql/", json=body)
                    else:
                        response = await http.get(f"/{path}", params=params(v))
                    assert response.status_code == 200, response.text[:500]

                for _ in range(20):  # warm up: caches, the pool, the planner
                    await once()
                timers.spent.clear()
                started = time.perf_counter()
                for _ in range(requests):
                    await once()
                total = time.perf_counter() - started
                s = {part: spent / requests * 1000 for part, spent in timers.spent.items()}
                s["total"] = total / requests * 1000
                view = s.get("view+", 0)
                parts = {
                    "middleware": s["handler"] - view,
                    "encode": s.get("encode", 0),
                    "database": s.get("database", 0),
                    "total": s["total"],
                }
                if side == "graphql":
                    execute = s["execute+"] - parts["database"]
                    parts["execute"] = execute
                    parts["parse"] = view - s["execute+"] - parts["encode"]
                else:
                    parts["view"] = view - parts["encode"] - parts["database"]
                out[name] = parts
        return out

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="per operation and side")
    parser.add_argument("--side", choices=SIDES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        print(json.dumps(measure(args.side, args.requests)))
        return
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "benchmark-only"),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        "GRAPHQL_CACHE_MAX_AGE": "0",
        "GRAPHQL_RATE_LIMIT_ANONYMOUS": "0",
    }
    if not env.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database holding a catalogue.")
    results = {}
    for side, settings_module in SIDES.items():
        done = subprocess.run(
            [sys.executable, __file__, "--side", side, "--requests", str(args.requests)],
            env={**env, "DJANGO_SETTINGS_MODULE": settings_module},
            capture_output=True,
            text=True,
        )
        if done.returncode:
            sys.exit(done.stderr)
        results[side] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"mean ms per request, {args.requests} sequential requests per operation and side")
    for side, parts in PARTS.items():
        print(f"\n{side:9} " + " ".join(f"{part:>10}" for part in parts))
        for name, measured in results[side].items():
            print(f"{name:9} " + " ".join(f"{measured[part]:10.2f}" for part in parts))


if __name__ == "__main__":
    main()
