"""Only errors raised on purpose reach the client as written; any other is masked and
logged once, with the request's id, operation and field."""

import json
import logging

import pytest
from django.test import Client

from edge.logs import JsonFormatter
from tests.factories import TopicFactory

SECRET = 'relation "talks_secret" does not exist at /srv/app/talks/selectors.py'


def post(query: str, **headers) -> dict:
    response = Client().post(
        "/graphql/", json.dumps({"query": query}), content_type="application/json", headers=headers
    )
    assert response.status_code == 200, response.content
    assert SECRET not in response.content.decode()
    return response.json()


def logged_errors(caplog) -> list[dict]:
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == "talks.errors"]


@pytest.fixture
def broken_lookups(monkeypatch):
    def fail(*args):
        raise RuntimeError(SECRET)

    monkeypatch.setattr("talks.selectors.objects_by_key", fail)


def test_an_unexpected_exception_is_masked_and_logged_once(db, broken_lookups, caplog):
    caplog.set_level(logging.INFO)
    TopicFactory.create_batch(2)
    body = post(
        'query Broken { talk(slug: "any") { title } topics { totalCount } }',
        **{"X-Request-ID": "req-broken"},
    )
    assert body["data"] == {"talk": None, "topics": {"totalCount": 2}}  # the rest still answers
    (error,) = body["errors"]
    assert error["message"] == "Internal server error"
    assert error["path"] == ["talk"]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-broken"}
    (line,) = logged_errors(caplog)
    assert line["level"] == "error"
    assert line["request_id"] == "req-broken"
    assert line["operation"] == "query Broken"
    assert line["field"] == "talk"
    assert "RuntimeError" in line["exception"] and SECRET in line["exception"]


def test_an_exception_escaping_an_extension_is_masked_too(db, monkeypatch, caplog):
    def fail(*args):
        raise KeyError(SECRET)

    monkeypatch.setattr("schema.limits.check_cost", fail)
    body = post("{ topics { totalCount } }")
    assert body["errors"][0]["message"] == "Internal server error"
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert len(logged_errors(caplog)) == 1


def test_errors_raised_on_purpose_are_shown_as_written_and_not_logged(db, caplog):
    body = post('{ talk(id: "nonsense") { title } }')
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["message"].startswith("`id` is not a valid ID")
    syntax = post("{ talk(")["errors"][0]
    assert syntax["message"].startswith("Syntax Error")
    assert logged_errors(caplog) == []
