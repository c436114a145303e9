#!/usr/bin/env python3
"""Live changes at scale: change-to-delivery latency with many open subscriptions, the
memory each one holds, and what the change log adds to a write.

    .venv/bin/python bench/live.py [--subscribers 1000] [--changes 30] [--writes 400]

PostgreSQL (`talks_bench_live`, created and migrated) and the local Redis. Server A
(one uvicorn process) holds the subscriptions, SSE streams opened by this script;
server B takes the mutations, so every change crosses processes through the log and a
Redis wake-up. Latency is from the mutation's answer (its transaction committed) to
each subscriber's event. The write overhead is measured in one process, the same
update with the change log's triggers on and off, in alternating blocks.
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import httpx
from benchmark import create_database, free_port, run_in_django

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHANGES = "subscription { changes(types: [TOPIC]) { id nodeId version } }"
UPDATE = """mutation ($id: ID!, $name: String!) { updateTopic(input: {id: $id, name: $name})
  { ... on Topic { version } } }"""

SETUP = """
import json, django
django.setup()
from django.contrib.auth.models import User
from talks.models import Topic
from talks.tokens import token_create
from schema.ids import global_id
user, _ = User.objects.get_or_create(username="bench-live", defaults={"is_superuser": True,
                                                                       "is_staff": True})
topic, _ = Topic.objects.get_or_create(slug="bench-live", defaults={"name": "Bench"})
print(json.dumps({"token": token_create(user=user, name="bench")[1],
                  "topic": global_id("Topic", topic.pk)}))
"""

WRITE_COST = """
import json, time, django
django.setup()
from django.db import connection
from talks import services
from talks.models import Topic
topic = Topic.objects.get(slug="bench-live")
TRIGGER = "talks_topic_logs_update"
def block(on, n):
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE talks_topic {'ENABLE' if on else 'DISABLE'} TRIGGER {TRIGGER}")
    times = []
    for i in range(n):
        began = time.perf_counter()
        services.topic_update(Topic.objects.get(pk=topic.pk), name=f"Write {on} {i} {time.time()}")
        times.append((time.perf_counter() - began) * 1e6)
    return times
on, off = [], []
for _ in range(%d):
    on += block(True, 50)
    off += block(False, 50)
block(True, 1)
print(json.dumps({"on": on, "off": off}))
"""


def start(env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "project.asgi:application",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--lifespan",
            "off",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(f"{base}/healthz", timeout=1)
            return process, base
        except httpx.TransportError:
            time.sleep(0.2)
    sys.exit("server did not start")


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))


async def subscriber(http: httpx.AsyncClient, base: str, ready, seen: dict, index: int):
    headers = {"Accept": "text/event-stream"}
    async with http.stream(
        "POST", f"{base}/graphql/", json={"query": CHANGES}, headers=headers
    ) as stream:
        ready.release()
        async for line in stream.aiter_lines():
            if line.startswith("data: {"):
                change = json.loads(line[6:])["data"]["changes"]
                seen.setdefault(change["version"], []).append(time.perf_counter())


async def measure(server_a, base_a: str, base_b: str, setup: dict, subscribers: int, changes: int):
    seen: dict[int, list[float]] = {}
    ready = asyncio.Semaphore(0)
    limits = httpx.Limits(max_connections=subscribers + 10)
    async with httpx.AsyncClient(timeout=None, limits=limits) as http:
        tasks = [
            asyncio.create_task(subscriber(http, base_a, ready, seen, i))
            for i in range(subscribers)
        ]
        for _ in range(subscribers):
            await ready.acquire()
        await asyncio.sleep(2)
        held = rss_kb(server_a.pid)
        committed = {}
        async with httpx.AsyncClient(timeout=30) as writer:
            for n in range(changes):
                answer = await writer.post(
                    f"{base_b}/graphql/",
                    json={"query": UPDATE, "variables": {"id": setup["topic"], "name": f"L{n}"}},
                    headers={"Authorization": f"Bearer {setup['token']}"},
                )
                committed[answer.json()["data"]["updateTopic"]["version"]] = time.perf_counter()
                await asyncio.sleep(0.2)
        await asyncio.sleep(3)
        for task in tasks:
            task.cancel()
    return seen, committed, held


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=30)
    parser.add_argument("--writes", type=int, default=400, help="per side, for the overhead")
    options = parser.parse_args()
    url = urlunsplit(
        urlsplit("postgres://postgres@127.0.0.1:5432/x")._replace(path="/talks_bench_live")
    )
    create_database(url)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "bench",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "*",
        "SECURE_SSL_REDIRECT": "0",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "GRAPHQL_RATE_LIMIT_ANONYMOUS": "0",
        "GRAPHQL_RATE_LIMIT_TOKEN": "0",
        "GRAPHQL_MAX_SUBSCRIPTIONS_PER_CLIENT": str(options.subscribers + 10),
        "DJANGO_SETTINGS_MODULE": "project.settings",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    setup = run_in_django(env, SETUP)
    server_a, base_a = start(env)
    server_b, base_b = start(env)
    try:
        httpx.post(f"{base_a}/graphql/", json={"query": "{ topics(first: 1) { totalCount } }"})
        before = rss_kb(server_a.pid)
        seen, committed, after = asyncio.run(
            measure(server_a, base_a, base_b, setup, options.subscribers, options.changes)
        )
    finally:
        server_a.terminate()
        server_b.terminate()
    versions = sorted(committed)
    delivered = sum(len(seen.get(version, [])) for version in versions)
    # each change's deliveries against the moment its mutation was answered
    latencies = [
        (moment - committed[version]) * 1000
        for version in versions
        for moment in seen.get(version, [])
    ]
    cost = run_in_django(env, WRITE_COST % max(1, options.writes // 50))
    q = lambda values, share: statistics.quantiles(values, n=100)[int(share * 100) - 1]  # noqa: E731
    print(
        f"\n{options.subscribers} SSE subscriptions on one process, {len(versions)} changes "
        f"made through another:"
    )
    print(f"  delivered {delivered} of {len(versions) * options.subscribers}")
    print(f"  change to delivery: p50 {q(latencies, 0.5):.1f} ms, p99 {q(latencies, 0.99):.1f} ms")
    print(
        f"  server memory: {before / 1024:.1f} MB before, {after / 1024:.1f} MB with them: "
        f"{(after - before) / options.subscribers:.1f} KB a subscription"
    )
    on, off = cost["on"], cost["off"]
    print(
        f"  a topic update with the change log: p50 {statistics.median(on):.0f} µs, "
        f"without: {statistics.median(off):.0f} µs "
        f"({statistics.median(on) / statistics.median(off):.3f}x)"
    )


if __name__ == "__main__":
    main()
