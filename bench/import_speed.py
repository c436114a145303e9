#!/usr/bin/env python3
"""Import speed: generate a catalogue, import it into a fresh PostgreSQL database, then
import it again (everything unchanged). Prints wall time and peak memory of each run.

    .venv/bin/python bench/import_speed.py --talks 100000
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres (the server to use)

The benchmark creates and drops its own database, `talks_bench_import`.
"""

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / ".data"
DB_NAME = "talks_bench_import"


def manage(*args: str, env: dict) -> float:
    """Run a management command in a child process; its wall time."""
    started = time.monotonic()
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)
    return time.monotonic() - started


def peak_child_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def psql(server_url: str, sql: str) -> None:
    import psycopg2

    connection = psycopg2.connect(server_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(sql)
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--talks", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    server = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parts = urlsplit(server)
    database_url = urlunsplit(parts._replace(path=f"/{DB_NAME}"))
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "benchmark-only"),
    }

    DATA.mkdir(parents=True, exist_ok=True)
    catalogue = DATA / f"catalogue-{args.talks}-{args.seed}.jsonl.gz"
    if not catalogue.exists():
        print(f"generating {catalogue.name} ...", flush=True)
        manage(
            "generate_catalogue",
            "--talks",
            str(args.talks),
            "--seed",
            str(args.seed),
            str(catalogue),
            env=env,
        )

    psql(server, f"DROP DATABASE IF EXISTS {DB_NAME}")
    psql(server, f"CREATE DATABASE {DB_NAME}")
    try:
        manage("migrate", "-v0", env=env)
        baseline = peak_child_rss_mb()
        first = manage("import_catalogue", str(catalogue), "--quiet", env=env)
        first_rss = peak_child_rss_mb()
        again = manage("import_catalogue", str(catalogue), env=env)
        print()
        print(f"catalogue: {args.talks:,} talks ({catalogue.stat().st_size / 1e6:.1f} MB gzipped)")
        # The targets are for 1,000,000 talks.
        print(f"first import (all new):      {first:6.1f} s   target at 1M talks < 300 s")
        print(f"re-import (all unchanged):   {again:6.1f} s   target at 1M talks < 180 s")
        print(
            f"peak memory of any run:      {max(first_rss, peak_child_rss_mb()):6.0f} MB  "
            f"target < 150 MB (migrate alone: {baseline:.0f} MB)"
        )
    finally:
        psql(server, f"DROP DATABASE IF EXISTS {DB_NAME}")


if __name__ == "__main__":
    main()
