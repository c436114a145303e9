#!/usr/bin/env python3
"""Load and outage: a closed-loop load on loopback against the production-style server
(docker/entrypoint.sh web: gunicorn + uvicorn workers) on PostgreSQL.

    .venv/bin/python bench/load.py                      # 64 clients, 60 s
    .venv/bin/python bench/load.py --restart-postgres   # the same, PostgreSQL restarted mid-run
    .venv/bin/python bench/load.py --replica            # primary alone, then with a replica
    .venv/bin/python bench/load.py --pgbouncer          # the servers reach PostgreSQL
                                                        # through PgBouncer (transaction mode)

The mix: Q1 (talk list with relations), Q2 (an event with its talks), Q3 (speakers by talk
count with nested talks), 30% each, and 10% mutations (createTopic) with a staff token.
Prints requests/s, p50/p95/p99 and errors; with --restart-postgres also the failed
requests, the time to recover, and whether every acknowledged mutation is stored.

BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/talks_bench) is created if
it does not exist, migrated and, if it holds no talks, loaded with a generated catalogue
of --talks talks.
Restarting PostgreSQL needs root and pg_ctlcluster (the local server is restarted!).
--replica builds its own primary and streaming replica (tests/e2e/replication.py) in a
temporary directory, from Debian's PostgreSQL 15 binaries, instead.
"""

import argparse
import asyncio
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from benchmark import GENERATION, create_database

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / ".data"

Q1 = """{ talks(first: 20, orderBy: RECORDED_ON_DESC) { totalCount edges { node { id slug
  title
  recordedOn durationMinutes event { slug name } speakers { slug name } topics { slug name }
} } } }"""
Q2 = """query ($slug: String!) { event(slug: $slug) { name talkCount talks(first: 20) { edges {
  node { title speakers { name talkCount } topics { name } } } } speakers { name } } }"""
Q3 = """{ speakers(first: 20, orderBy: TALK_COUNT_DESC) { edges { node { name talkCount
  talks(first: 5) { edges { node { title event { name } topics { name talkCount } } } } } } } }"""
CREATE = """mutation ($name: String!) { createTopic(input: {name: $name}) {
  ... on Topic { slug } ... on OperationInfo { messages { message } } } }"""


def manage(env: dict, *args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return result.stdout or ""


def prepare(env: dict, talks: int) -> tuple[str, list[str]]:
    """Create the database if there is none, migrate, load a catalogue if empty; a staff
    token and some event slugs."""
    create_database(env["DATABASE_URL"])
    manage(env, "migrate", "-v0")
    probe = (
        "from talks.models import Talk, Event; print(Talk.objects.count()); "
        "print(' '.join(Event.objects.order_by('?').values_list('slug', flat=True)[:50]))"
    )
    count, slugs = manage(env, "shell", "--no-imports", "-c", probe, capture=True).split("\n")[:2]
    if int(count) == 0:
        catalogue = DATA / f"catalogue-{talks}-1-g{GENERATION}.jsonl.gz"
        DATA.mkdir(parents=True, exist_ok=True)
        if not catalogue.exists():
            manage(env, "generate_catalogue", "--talks", str(talks), str(catalogue))
        manage(env, "import_catalogue", str(catalogue), "--quiet")
        count, slugs = manage(env, "shell", "--no-imports", "-c", probe, capture=True).split("\n")[
            :2
        ]
    user = (  # an editor who may add topics, as the admin grants it (the mutations' need)
        "from django.contrib.auth.models import Permission, User; "
        "user, _ = User.objects.get_or_create(username='load-bench', defaults={'is_staff': True}); "
        "user.user_permissions.add(Permission.objects.get(codename='add_topic'))"
    )
    manage(env, "shell", "-c", user)
    token = manage(env, "create_api_token", "load-bench", "--name", "load", capture=True)
    return token.strip(), slugs.split()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(env: dict, port: int, workers: int) -> subprocess.Popen:
    server_env = {
        **env,
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        # Limits on (their cost is part of every request), set too high to refuse: the
        # load comes from one address.
        "GRAPHQL_RATE_LIMIT_ANONYMOUS": str(10**12),
        "LOG_LEVEL": "WARNING",
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    process = subprocess.Popen(
        [str(ROOT / "docker" / "entrypoint.sh"), "web"], cwd=ROOT, env=server_env
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    process.kill()
    sys.exit("the server did not become ready")


class Run:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = {"Q1": [], "Q2": [], "Q3": [], "mutation": []}
        self.errors: list[tuple[float, str]] = []  # (seconds since start, what)
        self.successes: list[float] = []
        self.acknowledged: list[str] = []  # topic slugs the server said it created


async def client(
    base: str, token: str, slugs: list[str], run: Run, started: float, until: float, seed: int
) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while time.monotonic() < until:
            roll = rng.random()
            headers = {}
            if roll < 0.3:
                name, payload = "Q1", {"query": Q1}
            elif roll < 0.6:
                name, payload = "Q2", {"query": Q2, "variables": {"slug": rng.choice(slugs)}}
            elif roll < 0.9:
                name, payload = "Q3", {"query": Q3}
            else:
                topic = f"Load {secrets.token_hex(6)}"
                name = "mutation"
                payload = {"query": CREATE, "variables": {"name": topic}}
                headers = {"Authorization": f"Bearer {token}"}
            begin = time.monotonic()
            try:
                response = await http.post("/graphql/", json=payload, headers=headers)
                body = response.json()
                ok = response.status_code == 200 and not body.get("errors")
                if ok and name == "mutation":
                    created = body["data"]["createTopic"]
                    ok = "slug" in created
                    if ok:
                        run.acknowledged.append(created["slug"])
                what = f"{name}: HTTP {response.status_code}"
            except (httpx.HTTPError, ValueError) as error:
                ok, what = False, f"{name}: {type(error).__name__}"
            end = time.monotonic()
            if ok:
                run.latencies[name].append((end - begin) * 1000)
                run.successes.append(end - started)
            else:
                run.errors.append((end - started, what))
                await asyncio.sleep(0.05)  # a failing client backs off a little


def restart_postgres(after: float, marks: dict) -> None:
    time.sleep(after)
    cluster = sorted(os.listdir("/etc/postgresql"))[-1]
    marks["restart_started"] = time.monotonic()
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "restart"], check=True
    )
    marks["restart_done"] = time.monotonic()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else 0.0


def load_once(env: dict, args, token: str, slugs: list[str]) -> tuple[Run, float, dict]:
    """One run of the load against a fresh server on `env`."""
    port = free_port()
    server = start_server(env, port, args.workers)
    base = f"http://127.0.0.1:{port}"
    run, marks = Run(), {}
    try:
        # Warm-up: every worker has parsed, validated and connected once.
        async def warm():
            for _ in range(20):
                async with httpx.AsyncClient(base_url=base, timeout=30) as http:
                    await asyncio.gather(
                        *(http.post("/graphql/", json={"query": q}) for q in (Q1, Q3))
                    )

        asyncio.run(warm())
        if args.restart_postgres:
            threading.Thread(
                target=restart_postgres, args=(args.seconds / 2, marks), daemon=True
            ).start()
        started = time.monotonic()
        until = started + args.seconds

        async def load():
            await asyncio.gather(
                *(
                    client(base, token, slugs, run, started, until, seed)
                    for seed in range(args.clients)
                )
            )

        asyncio.run(load())
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    marks["started"] = started
    return run, elapsed, marks


def report(run: Run, elapsed: float, args, env: dict, marks: dict) -> int:
    """Print the run's table; the number of acknowledged mutations not in the database."""
    done = sum(len(v) for v in run.latencies.values())
    every = [x for v in run.latencies.values() for x in v]
    print(
        f"\n{args.clients} clients, {elapsed:.0f} s, {args.workers} workers, "
        f"PostgreSQL at {env['DATABASE_URL'].rsplit('/', 1)[-1]}"
        f"{' through PgBouncer' if getattr(args, 'pgbouncer', False) else ''}, "
        f"pool of {os.environ.get('DATABASE_POOL_SIZE', '10')} connections per worker"
    )
    print(f"{'operation':10} {'ok':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for name, values in [*run.latencies.items(), ("all", every)]:
        print(
            f"{name:10} {len(values):7} {statistics.median(values) if values else 0:8.1f} "
            f"{percentile(values, 0.95):8.1f} {percentile(values, 0.99):8.1f}"
        )
    print(f"requests/s (successful): {done / elapsed:.1f}")
    print(f"errors: {len(run.errors)}")
    if run.errors:
        kinds: dict[str, int] = {}
        for _, what in run.errors:
            kinds[what] = kinds.get(what, 0) + 1
        print("  " + ", ".join(f"{k} x{n}" for k, n in sorted(kinds.items())))
    if "restart_started" in marks:
        restart_at = marks["restart_started"] - marks["started"]
        last_error = max((t for t, _ in run.errors), default=restart_at)
        first_ok_after = min((t for t in run.successes if t > last_error), default=None)
        print(
            f"PostgreSQL restart took {marks['restart_done'] - marks['restart_started']:.1f} s "
            f"(at {restart_at:.1f} s)"
        )
        if first_ok_after is not None:
            print(f"recovered {first_ok_after - restart_at:.1f} s after the restart began")
    missing = _missing(env, run.acknowledged)
    print(f"acknowledged mutations: {len(run.acknowledged)}, missing from the database: {missing}")
    return missing


def compare_replica(env: dict, args) -> None:
    """The same load on a primary alone, then on the primary and a streaming replica,
    both built here (tests/e2e/replication.py); with the statements each server ran."""
    sys.path.insert(0, str(ROOT))
    from tests.e2e.replication import StreamingPair

    pair = StreamingPair()
    try:
        pair.start()
        env = {**env, "DATABASE_URL": pair.primary.url}
        token, slugs = prepare(env, args.talks)
        pair.caught_up(seconds=300)
        rows = []
        for label, extra in [
            ("primary only", {}),
            ("primary + 1 replica", {"DATABASE_REPLICA_URLS": pair.replica.url}),
        ]:
            for server in (pair.primary, pair.replica):
                server.sql("SELECT pg_stat_statements_reset()")
            run, elapsed, marks = load_once({**env, **extra}, args, token, slugs)
            statements = (pair.primary.statements(), pair.replica.statements())
            print(f"\n=== {label}")
            lost = report(run, elapsed, args, env, marks)
            pair.caught_up()
            on_replica = _missing({**env, "DATABASE_URL": pair.replica.url}, run.acknowledged)
            print(f"missing from the replica once it caught up: {on_replica}")
            rows.append((label, run, elapsed, statements, lost + on_replica))
        print(f"\n{'setup':22} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6}"
              f" {'lost':>5} {'primary':>9} {'replica':>9}")  # fmt: skip
        for label, run, elapsed, (primary, replica), lost in rows:
            every = [x for v in run.latencies.values() for x in v]
            total = max(primary + replica, 1)
            print(
                f"{label:22} {len(every) / elapsed:7.1f} {statistics.median(every):7.1f}"
                f" {percentile(every, 0.99):7.1f} {len(run.errors):6} {lost:5}"
                f" {primary / total:8.0%} {replica / total:8.0%}"
            )
        print(
            "(lost: acknowledged mutations missing from the primary or the caught-up replica;"
            " primary, replica: share of the SQL statements each server ran;"
            " the two cores run both servers and the load)"
        )
    finally:
        pair.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--talks", type=int, default=20_000)
    parser.add_argument("--restart-postgres", action="store_true")
    parser.add_argument(
        "--pgbouncer",
        action="store_true",
        help="serve through PgBouncer (docker/pgbouncer.ini, Debian's binary), as production",
    )
    parser.add_argument(
        "--replica",
        action="store_true",
        help="build a primary and a streaming replica, and load primary-only, then both",
    )
    args = parser.parse_args()

    env = {
        **os.environ,
        "DATABASE_URL": os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/talks_bench"
        ),
        "SECRET_KEY": os.environ.get("SECRET_KEY", "benchmark-only-" + "x" * 40),
        "DEBUG": "0",
    }
    if args.replica:
        compare_replica(env, args)
        return
    token, slugs = prepare(env, args.talks)
    served, bouncer = env, None
    if args.pgbouncer:
        sys.path.insert(0, str(ROOT))
        from tests.e2e.pgbouncer import PgBouncer

        bouncer = PgBouncer(env["DATABASE_URL"])
        served = {**env, "DATABASE_URL": bouncer.url, "DISABLE_SERVER_SIDE_CURSORS": "1"}
    try:
        run, elapsed, marks = load_once(served, args, token, slugs)
    finally:
        if bouncer is not None:
            bouncer.close()
    report(run, elapsed, args, env, marks)


def _missing(env: dict, slugs: list[str]) -> int:
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "--no-imports",
            "-c",
            "import sys; from talks.models import Topic; wanted = set(sys.stdin.read().split()); "
            "print(len(wanted - set(Topic.objects.filter(slug__in=wanted)"
            ".values_list('slug', flat=True))))",
        ],
        cwd=ROOT,
        env=env,
        input="\n".join(slugs),
        text=True,
        capture_output=True,
        check=True,
    )
    return int(result.stdout.strip())


if __name__ == "__main__":
    main()
