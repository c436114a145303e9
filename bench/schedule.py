#!/usr/bin/env python3
"""A day's schedule against a talk list of the same size, side by side, at two catalogue
sizes: what a conference frontend's day view costs next to the list it could have used.

    .venv/bin/python bench/schedule.py [--sizes 20000 200000] [--requests 200]

Each size uses the benchmark's database (`bench/benchmark.py`: talks_bench_<N>_g2,
created and filled with a generated catalogue, schedules included, when missing). The
day is the busiest of the event with the most scheduled talks; the list asks for as many
talks, with the same fields. Prints per size: the day's talks, SQL statements per
request (in-process), p50/p95 of interleaved sequential requests over HTTP (one uvicorn
worker), and the ratio schedule / list.
"""

import argparse
import json
import os
import statistics
import time

import httpx
from benchmark import database_url, prepare, run_in_django, start

SCHEDULE = """query ($slug: String!, $day: Date!) { event(slug: $slug) { name timezone
  rooms { name } schedule(day: $day) { title slot { start end room { name } }
  track { name color } speakers { name } } } }"""
LIST = """query ($n: Int!) { talks(first: $n) { edges { node { title recordedOn
  event { name } speakers { name } topics { name } } } } }"""

BUSIEST = """
import json, django
django.setup()
from django.db.models import Count
from django.db.models.functions import TruncDate
from talks.models import Talk
event = (Talk.objects.filter(starts_at__isnull=False).values("event__slug", "event__timezone")
         .annotate(n=Count("id")).order_by("-n").first())
days = {}
for talk in Talk.objects.filter(event__slug=event["event__slug"], starts_at__isnull=False):
    from zoneinfo import ZoneInfo
    day = talk.starts_at.astimezone(ZoneInfo(event["event__timezone"])).date().isoformat()
    days[day] = days.get(day, 0) + 1
day = max(days, key=days.get)
print(json.dumps({"slug": event["event__slug"], "day": day, "n": days[day]}))
"""

COUNTS = """
import json, django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
subject = json.loads(%r)
out = {}
for name, query, variables in (
    ("schedule", %r, {"slug": subject["slug"], "day": subject["day"]}),
    ("list", %r, {"n": subject["n"]}),
):
    with CaptureQueriesContext(connection) as captured:
        answer = Client().post("/graphql/", json.dumps({"query": query, "variables": variables}),
                               content_type="application/json").json()
    assert "errors" not in answer, answer
    out[name] = len(captured)
print(json.dumps(out))
"""


def timings(base: str, subject: dict, requests: int) -> dict[str, list[float]]:
    bodies = {
        "schedule": {
            "query": SCHEDULE,
            "variables": {"slug": subject["slug"], "day": subject["day"]},
        },
        "list": {"query": LIST, "variables": {"n": subject["n"]}},
    }
    seen: dict[str, list[float]] = {"schedule": [], "list": []}
    with httpx.Client(timeout=60) as http:
        for _ in range(10):  # warm both
            for body in bodies.values():
                http.post(f"{base}/graphql/", json=body)
        for _ in range(requests):
            for name, body in bodies.items():
                began = time.perf_counter()
                answer = http.post(f"{base}/graphql/", json=body)
                seen[name].append((time.perf_counter() - began) * 1000)
                assert answer.status_code == 200 and "errors" not in answer.json()
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--requests", type=int, default=200)
    options = parser.parse_args()
    rows = []
    for talks in options.sizes:
        url, create = database_url(talks)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SECRET_KEY": "bench",
            "DEBUG": "0",
            "GRAPHQL_RATE_LIMIT_ANONYMOUS": "0",
            "GRAPHQL_RATE_LIMIT_TOKEN": "0",
            "SECURE_SSL_REDIRECT": "0",
            "ALLOWED_HOSTS": "*",
        }
        env.pop("DATABASE_REPLICA_URLS", None)
        prepare(env, talks, create)
        subject = run_in_django(env, BUSIEST)
        counts = run_in_django(env, COUNTS % (json.dumps(subject), SCHEDULE, LIST))
        server, base = start(env, "project.settings")
        try:
            seen = timings(base, subject, options.requests)
        finally:
            server.terminate()
            server.wait()
        rows.append((talks, subject, counts, seen))

    def p(values: list[float], share: float) -> float:
        return statistics.quantiles(values, n=100)[int(share * 100) - 1]

    print(
        f"\n{'talks':>8} {'day':>11} {'n':>4} {'statements':>12} {'schedule p50/p95':>18} "
        f"{'list p50/p95':>15} {'ratio p50':>9}"
    )
    for talks, subject, counts, seen in rows:
        s, t = seen["schedule"], seen["list"]
        print(
            f"{talks:>8,} {subject['day']:>11} {subject['n']:>4} "
            f"{counts['schedule']:>5} | {counts['list']:<4} "
            f"{p(s, 0.5):>8.1f} / {p(s, 0.95):<7.1f} {p(t, 0.5):>6.1f} / {p(t, 0.95):<6.1f} "
            f"{p(s, 0.5) / p(t, 0.5):>7.2f}"
        )


if __name__ == "__main__":
    main()
