#!/usr/bin/env python3
"""The worst documents we could build under the body and token limits, against a server:
what each costs the server before it is answered or refused, and how long a cheap query
sent beside it waits.

    .venv/bin/python bench/abuse.py [--checkout DIR] [--database-url URL]

Serves the code in DIR (default: this checkout; an earlier commit's worktree, as
bench/before_after.py makes, shows the before) with one uvicorn worker on the given
database (default: the benchmark's 20,000-talk PostgreSQL database). For each document,
sent five times with a fresh comment (so no cache helps): the server's CPU time per
request (the process's, from /proc) at the median and the worst, the answer's code,
and the worst latency of `{ __typename }` sent every 20 ms while the document is
processed (the event loop's stall).
"""

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.benchmark import database_url, free_port  # noqa: E402


def fan_out(levels: int, spreads: int) -> str:
    fragments = [
        f"fragment F{i} on Talk {{ {f'...F{i + 1} ' * spreads}}}" for i in range(levels - 1)
    ]
    fragments.append(f"fragment F{levels - 1} on Talk {{ title }}")
    return "{ talks(first: 1) { edges { node { ...F0 } } } } " + " ".join(fragments)


def introspection(aliases: int) -> str:
    one = "__schema { types { name fields { name type { name ofType { name } } } } }"
    return "{ " + " ".join(f"s{i}: {one}" for i in range(aliases)) + " }"


DOCUMENTS = {
    "fragments spreading 4x, 8 deep": fan_out(8, 4),
    "fragments spreading 5x, 9 deep": fan_out(9, 5),
    "480 copies of one field": "{ " + "talks { totalCount } " * 480 + "}",
    "330 copies under a list": "{ talks { edges { node { " + "event { name } " * 330 + "} } } }",
    "20 aliased introspections": introspection(20),
    "120 operations x 120 fragments": " ".join(f"query Q{i} {{ ...F0 }}" for i in range(120))
    + " "
    + " ".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(119))
    + " fragment F119 on Query { __typename }",
    "nesting 700 deep": "{" + "a {" * 700 + "}" * 701,
    "a 99 KB search string": '{ talks(filter: {search: "' + "a" * 99_000 + '"}) { totalCount } }',
}


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkout", type=Path, default=ROOT)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    url = args.database_url or database_url(20_000)[0]
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "0",
        "SECRET_KEY": "benchmark-only",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "ERROR",
        "GRAPHQL_RATE_LIMIT_ANONYMOUS": "0",
        "GRAPHQL_CACHE_MAX_AGE": "0",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "project.asgi:application",
            "--lifespan",
            "off",
            "--port",
            str(port),
            "--log-level",
            "error",
        ],
        cwd=args.checkout,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        httpx.post(f"{base}/graphql/", json={"query": "{ talks(first: 1) { totalCount } }"})
        print(f"server: {args.checkout}")
        print(
            f"{'document':32} {'bytes':>7} {'CPU ms p50':>10} {'worst':>8} {'stall ms':>9}  answer"
        )
        for name, text in DOCUMENTS.items():
            spent, stalls = [], []
            for _ in range(5):
                body = {"query": f"# {uuid.uuid4()}\n{text}"}
                stall, done = [0.0], threading.Event()

                def probe(done=done, stall=stall) -> None:
                    with httpx.Client(timeout=60) as http:
                        while not done.is_set():
                            started = time.perf_counter()
                            http.post(f"{base}/graphql/", json={"query": "{ __typename }"})
                            stall[0] = max(stall[0], time.perf_counter() - started)
                            time.sleep(0.02)

                prober = threading.Thread(target=probe)
                before = cpu_seconds(server.pid)
                prober.start()
                answer = httpx.post(f"{base}/graphql/", json=body, timeout=300)
                done.set()
                prober.join()
                spent.append((cpu_seconds(server.pid) - before) * 1000)
                stalls.append(stall[0] * 1000)
            errors = answer.json().get("errors") or []
            said = errors[0].get("extensions", {}).get("code") if errors else "answered"
            print(
                f"{name:32} {len(text):7} {statistics.median(spent):10.0f} {max(spent):8.0f}"
                f" {max(stalls):9.0f}  {said or '(no code)'}"
            )
        print("(CPU includes the probe's cheap queries, about 1 ms each)")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
