"""Structured request logs and the statement count in them."""

import json
import logging

import pytest
from django.test import Client

from edge.logs import JsonFormatter
from tests.factories import TalkFactory


@pytest.fixture
def request_logs(caplog):
    caplog.set_level(logging.INFO, logger="talks.request")
    return caplog


def logged(caplog) -> list[dict]:
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == "talks.request"]


def test_each_request_logs_one_json_line_with_what_an_operator_needs(request_logs, staff_gql, db):
    TalkFactory.create_batch(3)
    secret = staff_gql.headers["Authorization"]
    Client().post(
        "/graphql/",
        json.dumps({"query": "query Recent { talks(first: 3) { edges { node { title } } } }"}),
        content_type="application/json",
        headers={"X-Request-ID": "req-42", "Authorization": secret},
    )
    (entry,) = logged(request_logs)
    assert entry["request_id"] == "req-42"
    assert entry["method"] == "POST"
    assert entry["path"] == "/graphql/"
    assert entry["status"] == 200
    assert entry["operation"] == "query Recent"
    assert entry["db"] == "primary"  # no replicas configured
    assert entry["sql"] >= 2  # the token lookup and the page
    assert entry["duration_ms"] > 0
    assert entry["level"] == "info"
    assert "user" in entry
    line = JsonFormatter().format(request_logs.records[-1])
    assert secret.split()[1] not in line
    assert "Bearer" not in line


def test_health_probes_are_not_logged_when_healthy(request_logs, db):
    assert Client().get("/healthz").status_code == 200
    assert Client().get("/readyz").status_code == 200
    assert logged(request_logs) == []
