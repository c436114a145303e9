"""GET /metrics: the Prometheus text format, for its token or its addresses only, with
operations counted by a bounded set of names."""

import json
import re
import uuid
from pathlib import Path

import pytest
import yaml
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from edge.websocket import websocket_application
from talks.models import PersistedOperation

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def scrape(settings):
    settings.METRICS_TOKEN = "metrics-secret"

    def read() -> dict:
        answer = Client().get("/metrics", headers={"Authorization": "Bearer metrics-secret"})
        assert answer.status_code == 200
        assert answer["Content-Type"].startswith("text/plain; version=")
        samples = {}
        for family in text_string_to_metric_families(answer.content.decode()):
            for sample in family.samples:
                samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return samples

    return read


def counted(samples: dict, name: str, **labels) -> float:
    return sum(
        value
        for (sample, sample_labels), value in samples.items()
        if sample == name and all(dict(sample_labels).get(k) == v for k, v in labels.items())
    )


def post(query: str) -> None:
    Client().post("/graphql/", {"query": query}, "application/json")


def test_metrics_are_refused_to_anyone_without_the_token_or_an_allowed_address(settings):
    settings.METRICS_TOKEN = "metrics-secret"
    assert Client().get("/metrics").status_code == 404
    wrong = {"Authorization": "Bearer guess"}
    assert Client().get("/metrics", headers=wrong).status_code == 404
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    assert Client().get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200


def test_operations_are_counted_by_registered_name_and_others_as_other(scrape, settings):
    PersistedOperation.objects.create(
        name="TopicList", sha256="0" * 64, query="query TopicList { topics { totalCount } }"
    )
    before = scrape()  # a scrape reads the registered names
    post("query TopicList { topics(first: 1) { totalCount } }")
    for _ in range(50):  # names a client makes up add no label values
        post(f"query Made{uuid.uuid4().hex} {{ topics(first: 1) {{ totalCount }} }}")
    post("{ nope }")
    after = scrape()
    ops = "graphql_operations_total"
    for labels, expected in (
        ({"operation": "TopicList", "type": "query", "outcome": "ok"}, 1),
        ({"operation": "other", "type": "query", "outcome": "ok"}, 50),
    ):
        assert counted(after, ops, **labels) - counted(before, ops, **labels) == expected
    names = {dict(labels)["operation"] for (name, labels) in after if name == ops}
    assert names <= {"TopicList", "other"}
    cost = "graphql_query_cost_count"
    assert counted(after, cost) - counted(before, cost) >= 51
    assert counted(after, "dataloader_batch_size_count") >= 0


@pytest.mark.django_db(transaction=True)
def test_operations_over_websocket_are_counted_too(scrape):
    async def query_over_websocket() -> list[str]:
        scope = {
            "type": "websocket",
            "path": "/graphql/",
            "headers": [],
            "subprotocols": ["graphql-transport-ws"],
            "client": ("127.0.0.1", 50000),
        }
        client = ApplicationCommunicator(websocket_application(), scope)
        await client.send_input({"type": "websocket.connect"})
        assert (await client.receive_output(timeout=10))["type"] == "websocket.accept"

        async def send(message: dict) -> None:
            await client.send_input({"type": "websocket.receive", "text": json.dumps(message)})

        async def received() -> str:
            return json.loads((await client.receive_output(timeout=10))["text"])["type"]

        await send({"type": "connection_init"})
        types = [await received()]
        subscribe = {"query": "{ topics { totalCount } }"}
        await send({"id": "1", "type": "subscribe", "payload": subscribe})
        types += [await received(), await received()]
        await client.send_input({"type": "websocket.disconnect", "code": 1000})
        await client.wait(timeout=10)
        return types

    before = counted(scrape(), "graphql_operations_total", type="query", outcome="ok")
    assert async_to_sync(query_over_websocket)() == ["connection_ack", "next", "complete"]
    after = counted(scrape(), "graphql_operations_total", type="query", outcome="ok")
    assert after - before == 1


def exported_names(text: str) -> set[str]:
    """Every series name a scrape can hold, from the families it declares."""
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}
    return {
        family.name + suffix
        for family in text_string_to_metric_families(text)
        for suffix in suffixes.get(family.type, [""])
    }


def test_the_dashboard_and_prometheus_ask_for_what_the_server_exports(settings):
    settings.METRICS_TOKEN = "metrics-secret"
    post("{ topics { totalCount } }")
    scraped = Client().get("/metrics", headers={"Authorization": "Bearer metrics-secret"})
    exported = exported_names(scraped.content.decode())
    dashboard = json.loads((ROOT / "docker/grafana/dashboards/talks-api.json").read_text())
    expressions = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    asked = {
        name
        for expression in expressions
        for name in re.findall(r"\b(?:graphql|http|dataloader|database)_[a-z_]+\b", expression)
    }
    assert len(asked) >= 12 and asked <= exported, asked - exported
    titles = " ".join(panel["title"] for panel in dashboard["panels"])
    for shown in ("Operations per second", "Error ratio", "p50", "p99", "cost", "cache hit"):
        assert shown in titles

    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    prometheus = yaml.safe_load((ROOT / "docker/prometheus.yml").read_text())
    (job,) = prometheus["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    assert job["static_configs"][0]["targets"] == ["app:8000"]  # the entrypoint's port
    address = compose["prometheus"]["networks"]["metrics"]["ipv4_address"]
    assert compose["app"]["environment"]["METRICS_ALLOWED_IPS"] == address
    assert {"prometheus", "grafana", "jaeger"} <= {
        name for name, service in compose.items() if "observability" in service.get("profiles", [])
    }
