"""Two uvicorn workers under gunicorn, as the image runs them: a scrape of either gives
the operations both served (prometheus-client's multiprocess mode)."""

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import gunicorn_server

pytestmark = pytest.mark.e2e


def operations(text: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "graphql_operations_total"
    )


def test_two_workers_metrics_add_up_on_one_scrape(transactional_db, tmp_path):
    env = {
        "METRICS_TOKEN": "scrape",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "GRAPHQL_RATE_LIMIT_ANONYMOUS": "0",
    }
    with gunicorn_server(2, **env) as base:
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
