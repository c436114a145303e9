#!/usr/bin/env python3
"""GraphQL against hand-written Django: the same five operations, the same JSON, side by
side on the same ASGI server stack (gunicorn with one uvicorn worker per core, as
production runs several), interleaved.

    .venv/bin/python bench/benchmark.py [--talks 20000] [--requests 200] [--seconds 5]
                                        [--workers N]

Uses DATABASE_URL if it names PostgreSQL, else postgres://postgres@127.0.0.1:5432/
talks_bench_<talks>_g<GENERATION>, created, migrated and loaded with a generated catalogue when it
holds a different number of talks (reused otherwise). Prints, per operation: SQL
statements per request at two page sizes (counted in-process), p50/p95 latency of
interleaved sequential requests, requests/s with 8 concurrent clients, the ratios
GraphQL / baseline and their geometric means; and checks that both answers are equal.
"""

import argparse
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / ".data"
# Raised when the generator changes what it makes (2: schedules), so that a database or a
# catalogue file made by an older generator is not taken for a current one.
GENERATION = 2

OPERATIONS = {
    "Q1": (
        """query ($n: Int) { talks(first: $n, orderBy: RECORDED_ON_DESC) { totalCount edges {
  node { id slug title recordedOn durationMinutes event { slug name } speakers { slug name }
  topics { slug name } } } } }""",
        "q1",
        lambda v: {"first": v["n"]},
    ),
    "Q2": (
        """query ($slug: String!, $n: Int) { event(slug: $slug) { name talkCount
  talks(first: $n) { edges { node { title speakers { name talkCount } topics { name } } } }
  speakers { name } } }""",
        "q2",
        lambda v: {"slug": v["slug"], "first": v["n"]},
    ),
    "Q3": (
        """query ($n: Int) { speakers(first: $n, orderBy: TALK_COUNT_DESC) { edges { node {
  name talkCount talks(first: 10) { edges { node { title event { name }
  topics { name talkCount } } } } } } } }""",
        "q3",
        lambda v: {"first": v["n"]},
    ),
    "Q4": (
        """query ($n: Int) { talks(filter: {search: "async"}, first: $n) { totalCount
  edges { node { title speakers { name } } } } }""",
        "q4",
        lambda v: {"q": "async", "first": v["n"]},
    ),
    "Q5": (
        """query ($talk: String!) { talk(slug: $talk) { id slug title abstract kind level
  language recordedOn durationMinutes videoUrl slidesUrl event { slug name city }
  speakers { slug name } topics { slug name } } }""",
        "q5",
        lambda v: {"slug": v["talk"]},
    ),
}
DEFAULT_SIZES = {"Q1": 100, "Q2": 50, "Q3": 50, "Q4": 20, "Q5": 1}
SMALL_SIZES = {"Q1": 10, "Q2": 5, "Q3": 5, "Q4": 5, "Q5": 1}


def subjects(cursor) -> dict:
    """The operations' subjects: the event with most talks, the talk with most speakers."""
    cursor.execute(
        "SELECT e.slug FROM talks_event e JOIN talks_talk t ON t.event_id = e.id "
        "GROUP BY e.id ORDER BY count(*) DESC, e.id LIMIT 1"
    )
    event = cursor.fetchone()[0]
    cursor.execute(
        "SELECT t.slug FROM talks_talk t JOIN talks_talkspeaker s ON s.talk_id = t.id "
        "GROUP BY t.id ORDER BY count(*) DESC, t.id LIMIT 1"
    )
    return {"slug": event, "talk": cursor.fetchone()[0]}


def database_url(talks: int) -> tuple[str, bool]:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url, False
    parts = urlsplit("postgres://postgres@127.0.0.1:5432/postgres")
    return urlunsplit(parts._replace(path=f"/talks_bench_{talks}_g{GENERATION}")), True


def create_database(url: str) -> bool:
    """Create the PostgreSQL database `url` names, on its server, unless it exists;
    whether it had to be created."""
    import psycopg2

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    server = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    server.autocommit = True
    try:
        with server.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is not None:
                return False
            cursor.execute(f'CREATE DATABASE "{name}"')
            return True
    finally:
        server.close()


def prepare(env: dict, talks: int, create: bool) -> None:
    if create:
        create_database(env["DATABASE_URL"])
    run = lambda *a: subprocess.run(  # noqa: E731
        [sys.executable, "manage.py", *a], cwd=ROOT, env=env, check=True, capture_output=True
    )
    run("migrate", "-v0")
    probe = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "--no-imports",
            "-c",
            "from talks.models import Talk; print(Talk.objects.count())",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    have = int(probe.stdout.split()[-1])
    if have != talks:
        if have:
            sys.exit(f"the database holds {have:,} talks, not {talks:,}: use an empty one")
        catalogue = DATA / f"catalogue-{talks}-1-g{GENERATION}.jsonl.gz"
        DATA.mkdir(parents=True, exist_ok=True)
        if not catalogue.exists():
            print(f"generating {catalogue.name} ...", flush=True)
            run("generate_catalogue", "--talks", str(talks), str(catalogue))
        print(f"importing {talks:,} talks ...", flush=True)
        run("import_catalogue", str(catalogue), "--quiet")


def server_env(url: str) -> dict:
    """The environment of a benchmark server on the database at `url`."""
    return {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": os.environ.get("SECRET_KEY", "benchmark-only-" + "x" * 40),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "SECURE_SSL_REDIRECT": "0",
        # Limits on (their cost is part of every request), set too high to refuse: the
        # load comes from one address.
        "GRAPHQL_RATE_LIMIT_ANONYMOUS": str(10**12),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(
    env: dict, settings_module: str, workers: int = 1, cwd: Path = ROOT
) -> tuple[subprocess.Popen, str]:
    """A gunicorn server of the code in `cwd` (a checkout), and its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "project.asgi:application",
            "--worker-class",
            "uvicorn_worker.UvicornWorker",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=cwd,
        env={**env, "DJANGO_SETTINGS_MODULE": settings_module, "LOG_LEVEL": "WARNING"},
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/healthz", timeout=1)
            return process, base
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    sys.exit(f"{settings_module} server did not start")


def sql_counts(env: dict, variables: dict) -> dict:
    """Statements per request for each operation, GraphQL and baseline, at two sizes,
    counted in a child process through Django's test client, after one request of each
    (as the timed runs are: a search's spelling corrections are then remembered)."""
    script = f"""
import json, django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from bench.benchmark import OPERATIONS
variables = json.loads({json.dumps(json.dumps(variables))})
sizes = json.loads({json.dumps(json.dumps([SMALL_SIZES, DEFAULT_SIZES]))})
client, out = Client(), {{}}
for name, (query, path, params) in OPERATIONS.items():
    v = {{**variables, "n": sizes[0][name]}}
    client.post("/graphql/", json.dumps({{"query": query, "variables": v}}),
                content_type="application/json")
    for size in sizes:
        v = {{**variables, "n": size[name]}}
        with CaptureQueriesContext(connection) as graphql:
            client.post("/graphql/", json.dumps({{"query": query, "variables": v}}),
                        content_type="application/json")
        with override_settings(ROOT_URLCONF="bench.baseline"):
            with CaptureQueriesContext(connection) as baseline:
                client.get("/" + path, params(v))
        out.setdefault(name, []).append((len(graphql), len(baseline)))
print(json.dumps(out))
"""
    return run_in_django(env, script)


def run_in_django(env: dict, script: str):
    """What `script` prints last, as JSON, run in a child process with Django set up
    by it on the product's settings."""
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "project.settings"},
        capture_output=True,
        text=True,
    )
    if result.returncode:
        sys.exit(result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


def graphql_request(http: httpx.Client, base: str, name: str, variables: dict):
    query = OPERATIONS[name][0]
    return http.post(f"{base}/graphql/", json={"query": query, "variables": variables})


def baseline_request(http: httpx.Client, base: str, name: str, variables: dict):
    _, path, params = OPERATIONS[name]
    return http.get(f"{base}/{path}", params=params(variables))


def throughput(request, seconds: float, status: int = 200) -> float:
    """Requests/s of `request(http)` from 8 concurrent clients, each answer `status`."""
    done = [0] * 8
    until = time.monotonic() + seconds

    def worker(i: int) -> None:
        with httpx.Client(timeout=60) as http:
            while time.monotonic() < until:
                assert request(http).status_code == status
                done[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--talks", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=200, help="per operation and side")
    parser.add_argument("--seconds", type=float, default=5, help="throughput run per side")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="uvicorn workers per server (default: one per core)",
    )
    args = parser.parse_args()

    url, create = database_url(args.talks)
    env = server_env(url)
    prepare(env, args.talks, create)

    import psycopg2

    with psycopg2.connect(url) as db, db.cursor() as cursor:
        variables = subjects(cursor)
    event, talk = variables["slug"], variables["talk"]

    counts = sql_counts(env, variables)
    graphql, graphql_base = start(env, "project.settings", args.workers)
    baseline, baseline_base = start(env, "bench.baseline_settings", args.workers)
    rows, mismatches = [], []
    try:
        with httpx.Client(timeout=60) as http:
            for name in OPERATIONS:
                v = {**variables, "n": DEFAULT_SIZES[name]}
                a = graphql_request(http, graphql_base, name, v).json()
                b = baseline_request(http, baseline_base, name, v).json()
                if a != b:
                    mismatches.append(name)
                for _ in range(20):  # warm-up
                    graphql_request(http, graphql_base, name, v)
                    baseline_request(http, baseline_base, name, v)
                times = {"graphql": [], "baseline": []}
                for _ in range(args.requests):  # interleaved: A B A B ...
                    for side, send, base in (
                        ("graphql", graphql_request, graphql_base),
                        ("baseline", baseline_request, baseline_base),
                    ):
                        started = time.perf_counter()
                        response = send(http, base, name, v)
                        times[side].append((time.perf_counter() - started) * 1000)
                        assert response.status_code == 200, response.text[:200]
                rps_graphql = throughput(
                    partial(graphql_request, base=graphql_base, name=name, variables=v),
                    args.seconds,
                )
                rps_baseline = throughput(
                    partial(baseline_request, base=baseline_base, name=name, variables=v),
                    args.seconds,
                )
                rows.append((name, times, rps_graphql, rps_baseline))
    finally:
        for process in (graphql, baseline):
            process.terminate()
            process.wait(timeout=30)

    def p(values, share):
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(len(ordered) * share))]

    print(
        f"\n{args.talks:,} talks on PostgreSQL; event {event}, talk {talk}; "
        f"{args.workers} worker(s) per server"
    )
    print(
        f"{'op':3} {'SQL small/default':>19} {'p50 ms':>15} {'p95 ms':>15} "
        f"{'req/s (8 clients)':>19} {'p50 ratio':>9} {'req/s ratio':>11}"
    )
    print(
        f"{'':3} {'GraphQL | base':>19} {'GraphQL | base':>15} {'GraphQL | base':>15} "
        f"{'GraphQL | base':>19}"
    )
    latency_ratios, rps_ratios = [], []
    for name, times, rps_g, rps_b in rows:
        (sg, sb), (lg, lb) = counts[name]
        p50g, p50b = statistics.median(times["graphql"]), statistics.median(times["baseline"])
        latency_ratios.append(p50g / p50b)
        rps_ratios.append(rps_g / rps_b)
        sql = f"{sg}/{lg} | {sb}/{lb}"
        p50 = f"{p50g:.1f} | {p50b:.1f}"
        p95 = f"{p(times['graphql'], 0.95):.1f} | {p(times['baseline'], 0.95):.1f}"
        rps = f"{rps_g:.0f} | {rps_b:.0f}"
        print(
            f"{name:3} {sql:>19} {p50:>15} {p95:>15} {rps:>19} "
            f"{p50g / p50b:9.2f} {rps_g / rps_b:11.2f}"
        )
    geo = lambda xs: math.exp(sum(map(math.log, xs)) / len(xs))  # noqa: E731
    print(f"geometric mean: p50 ratio {geo(latency_ratios):.2f}, req/s ratio {geo(rps_ratios):.2f}")
    print("answers equal:", "yes" if not mismatches else f"NO for {', '.join(mismatches)}")


if __name__ == "__main__":
    main()
