#!/usr/bin/env python3
"""The PostgreSQL plan of every statement the benchmark's five operations run.

    DATABASE_URL=postgres://.../talks_bench_200000 .venv/bin/python bench/plans.py [--full]

Runs each operation once through the GraphQL schema (at the benchmark's default page
sizes) with EXPLAIN ANALYZE captured for every statement, and prints per statement its
execution time and the scan nodes of its plan (every node with --full), so a
sequential scan on a hot path shows at a glance.
"""

import argparse
import asyncio
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
os.environ.setdefault("SECRET_KEY", "plans-only-" + "x" * 40)
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

SCANS = ("Scan", "Aggregate", "Sort", "WindowAgg", "Limit", "Join", "Nested Loop")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="print whole plans")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.http import HttpRequest, HttpResponse

    from bench.benchmark import DEFAULT_SIZES, OPERATIONS, subjects
    from schema.context import Context
    from schema.schema import schema

    if connection.vendor != "postgresql":
        sys.exit("plans need PostgreSQL: set DATABASE_URL")
    with connection.cursor() as cursor:
        chosen = subjects(cursor)
        cursor.execute("SELECT count(*) FROM talks_talk")
        print(f"{cursor.fetchone()[0]:,} talks")

    plans: list[tuple[str, list[str]]] = []

    def explain(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("SELECT"):
            with context["connection"].cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql, params)
                plans.append((sql, [row[0] for row in cursor.fetchall()]))
        return execute(sql, params, many, context)

    async def run(name: str) -> None:
        request = HttpRequest()
        request.method = "POST"
        variables = {**chosen, "n": DEFAULT_SIZES[name]}
        result = await schema.execute(
            OPERATIONS[name][0],
            variable_values=variables,
            context_value=Context(request=request, response=HttpResponse()),
        )
        assert not result.errors, result.errors

    from django.db.backends.signals import connection_created

    def install(sender, connection, **kwargs):
        connection.execute_wrappers.append(explain)

    connection_created.connect(install)
    connection.close()
    for name in OPERATIONS:
        plans.clear()
        asyncio.run(run(name))
        print(f"\n== {name}")
        for sql, plan in plans:
            total = next((line for line in plan if line.startswith("Execution Time")), "")
            print(f"-- {sql[:110]}...  [{total}]")
            for line in plan:
                if args.full or any(word in line for word in SCANS):
                    print("   ", line)


if __name__ == "__main__":
    main()
