#!/usr/bin/env python3
"""What tracing costs: the five benchmark operations served with tracing off and with
every request traced (OTEL_TRACES_SAMPLER=always_on) and exported over OTLP/HTTP to a
local receiver, side by side in one run, requests interleaved.

    .venv/bin/python bench/tracing.py [--talks 20000] [--requests 150] [--workers N]

Three servers of this checkout on the same database: "off 1", "on" and "off 2". Prints,
per operation, p50 and p95 of each, on / off (off: the mean of the two), and this run's
noise (bench/before_after.py's measure), then what the receiver got, so that the traced
server is seen to have exported every request's spans.
"""

import argparse
import os
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.before_after import against_twin, time_interleaved  # noqa: E402
from bench.benchmark import (  # noqa: E402
    DEFAULT_SIZES,
    OPERATIONS,
    database_url,
    free_port,
    graphql_request,
    prepare,
    server_env,
    start,
    subjects,
)


def receive(port: int, report: Path) -> None:
    """An OTLP/HTTP receiver that keeps the bodies, and on SIGTERM counts their spans."""
    import signal

    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    bodies: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    def finish(*_):
        spans = traces = 0
        for body in bodies:
            export = ExportTraceServiceRequest()
            export.ParseFromString(body)
            for resource in export.resource_spans:
                for scope in resource.scope_spans:
                    spans += len(scope.spans)
                    traces += sum(1 for span in scope.spans if not span.parent_span_id)
        report.write_text(f"{len(bodies)} exports, {spans} spans, {traces} root spans")
        sys.exit(0)

    signal.signal(signal.SIGTERM, finish)
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--talks", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=150, help="per operation and server")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--receive", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--report", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receive:
        return receive(args.receive, args.report)

    url, create = database_url(args.talks)
    env = server_env(url)
    for name in list(env):
        if name.startswith("OTEL_"):
            del env[name]
    prepare(env, args.talks, create)

    import psycopg2

    with psycopg2.connect(url) as db, db.cursor() as cursor:
        variables = subjects(cursor)

    port, report = free_port(), ROOT / "bench" / ".data" / "tracing-receiver.txt"
    report.parent.mkdir(parents=True, exist_ok=True)
    receiver = subprocess.Popen(
        [sys.executable, __file__, "--receive", str(port), "--report", str(report)]
    )
    traced = {
        **env,
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
        "OTEL_TRACES_SAMPLER": "always_on",
        "OTEL_SERVICE_NAME": "talks-bench",
    }
    servers = {
        "off 1": start(env, "project.settings", args.workers),
        "on": start(traced, "project.settings", args.workers),
        "off 2": start(env, "project.settings", args.workers),
    }
    times = {}
    try:
        with httpx.Client(timeout=60) as http:
            for name in OPERATIONS:
                v = {**variables, "n": DEFAULT_SIZES[name]}
                times[name] = time_interleaved(
                    http,
                    servers,
                    lambda h, b, _, v=v, n=name: graphql_request(h, b, n, v),
                    args.requests,
                )
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait(timeout=30)  # the traced workers export what they hold first
        receiver.terminate()
        receiver.wait(timeout=60)

    requests = len(OPERATIONS) * (20 + args.requests)
    print(
        f"\n{args.talks:,} talks on PostgreSQL; {args.workers} worker(s) per server, "
        f"{args.requests} requests per operation and server, after 20 to warm up"
    )
    print(
        f"{'op':3} {'p50 ms: off 1 | on | off 2':>30} {'p95 ms: off 1 | on | off 2':>28}"
        f" {'on/off':>7} {'noise':>6}"
    )
    for name, by_server in times.items():
        (b1, a, b2), (q1, qa, q2), ratio, noise = against_twin(by_server, "off 1", "on", "off 2")
        p50s, p95s = f"{b1:.1f} | {a:.1f} | {b2:.1f}", f"{q1:.1f} | {qa:.1f} | {q2:.1f}"
        print(f"{name:3} {p50s:>30} {p95s:>28} {ratio:7.3f} {noise:6.3f}")
    print(f"receiver: {report.read_text()} (the traced server answered {requests} requests)")


if __name__ == "__main__":
    main()
