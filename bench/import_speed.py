#!/usr/bin/env python3
"""Import speed: generate a catalogue, import it into a fresh PostgreSQL database, then
import it again (everything unchanged). Prints wall time and peak memory of each run.

    .venv/bin/python bench/import_speed.py --talks 100000
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres (the server to use)

Each import's phases are printed with their wall time and CPU time per side: the import
process (its threads included) and PostgreSQL (every postgres process of the local
server, read from /proc, so the server must run on this machine and be otherwise idle).
With --keep the database stays, holding the catalogue, for search_speed and admin_speed.

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


def postgres_cpu() -> float:
    """CPU seconds used by the local PostgreSQL server so far: its live processes, and the
    ended ones (a closed connection's backend) through the postmaster's children's times."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended while being read
            continue
        parent_is_postgres = False
        try:
            parent = Path("/proc", fields[1], "comm").read_text().strip()
            parent_is_postgres = parent == "postgres"
        except OSError:
            pass
        user, system, children_user, children_system = map(int, fields[11:15])
        total += user + system + (0 if parent_is_postgres else children_user + children_system)
    return total / tick


def timed_import(args: list[str], env: dict) -> float:
    """Run import_catalogue at -v 2, printing each phase with CPU per side; its wall time."""
    started = time.monotonic()
    postgres = postgres_cpu()
    child = subprocess.Popen(
        [sys.executable, "manage.py", "import_catalogue", *args, "-v", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    print(
        f"  {'phase':<26} {'wall s':>7} {'import CPU s':>13} {'PostgreSQL CPU s':>17}"
        f" {'peak MB':>8}"
    )
    for line in child.stdout:
        if not line.startswith("phase "):
            print("  " + line.rstrip())
            continue
        now = postgres_cpu()
        name, times = line[len("phase ") :].rsplit(": ", 1)
        wall, cpu, peak = (float(part.split()[0]) for part in times.split(", "))
        print(
            f"  {name:<26} {wall:7.1f} {cpu:13.1f} {now - postgres:17.1f} {peak:8.0f}",
            flush=True,
        )
        postgres = now
    if child.wait():
        raise subprocess.CalledProcessError(child.returncode, "import_catalogue")
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
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
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
        print("first import:")
        first = timed_import([str(catalogue), "--quiet"], env=env)
        first_rss = peak_child_rss_mb()
        print("re-import:")
        again = timed_import([str(catalogue), "--quiet"], env=env)
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
        if not args.keep:
            psql(server, f"DROP DATABASE IF EXISTS {DB_NAME}")


if __name__ == "__main__":
    main()
