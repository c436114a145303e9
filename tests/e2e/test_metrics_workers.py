"""Two uvicorn workers under gunicorn, as the image runs them: a scrape of either gives
the operations both served (prometheus-client's multiprocess mode)."""

import os
import subprocess
import sys

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import ROOT, free_port, test_database_url, wait_until_serving

pytestmark = pytest.mark.e2e


def operations(text: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "graphql_operations_total"
    )


def test_two_workers_metrics_add_up_on_one_scrape(transactional_db, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "SECRET_KEY": "e2e-secret",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "REDIS_URL": "",
        "METRICS_TOKEN": "scrape",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "GRAPHQL_RATE_LIMIT_ANONYMOUS": "0",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "project.asgi:application",
            "--worker-class",
            "uvicorn_worker.UvicornWorker",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(server, f"{base}/healthz", seconds=60)
        for _ in range(40):  # new connections, spread over both workers
            with httpx.Client() as http:
                answer = http.post(f"{base}/graphql/", json={"query": "{ topics { totalCount } }"})
                assert answer.status_code == 200
        scrapes = {
            operations(
                httpx.get(f"{base}/metrics", headers={"Authorization": "Bearer scrape"}).text
            )
            for _ in range(6)
        }
        assert scrapes == {40.0}, scrapes
        assert httpx.get(f"{base}/metrics").status_code == 404
    finally:
        server.terminate()
        server.wait(timeout=30)
