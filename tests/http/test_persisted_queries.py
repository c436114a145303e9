"""Automatic persisted queries (Apollo's protocol) and the safelist, through the view."""

import hashlib
import json
import uuid

import pytest
from django.test import Client

from talks.models import PersistedOperation

pytestmark = pytest.mark.django_db


def fresh_query() -> str:
    """A text no cache has seen: its hash is unknown everywhere."""
    return f"# {uuid.uuid4()}\n{{ talks(first: 1) {{ totalCount }} }}"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def persisted(text_hash: str) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": text_hash}}


def get(client: Client, **params):
    encoded = {
        name: json.dumps(value) if isinstance(value, dict) else value
        for name, value in params.items()
    }
    return client.get("/graphql/", encoded, headers={"Accept": "application/json"})


def post(client: Client, **body):
    return client.post("/graphql/", json.dumps(body), content_type="application/json")


def code_of(response) -> str:
    return response.json()["errors"][0]["extensions"]["code"]


@pytest.mark.parametrize("send", [get, post], ids=["GET", "POST"])
def test_an_unknown_hash_asks_for_the_query_then_the_hash_alone_runs(send):
    client, query = Client(), fresh_query()
    unknown = send(client, extensions=persisted(sha256(query)))
    assert unknown.status_code == 200
    assert unknown.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    assert code_of(unknown) == "PERSISTED_QUERY_NOT_FOUND"

    registered = send(client, query=query, extensions=persisted(sha256(query)))
    assert registered.json() == {"data": {"talks": {"totalCount": 0}}}
    by_hash = send(client, extensions=persisted(sha256(query)))
    assert by_hash.json() == {"data": {"talks": {"totalCount": 0}}}


def test_a_hash_that_is_not_the_querys_is_refused_and_nothing_is_kept():
    client, query, other = Client(), fresh_query(), fresh_query()
    wrong = post(client, query=query, extensions=persisted(sha256(other)))
    assert wrong.status_code == 400
    assert "is not the SHA-256 of `query`" in wrong.json()["errors"][0]["message"]
    for text in (query, other):
        assert code_of(post(client, extensions=persisted(sha256(text)))) == (
            "PERSISTED_QUERY_NOT_FOUND"
        )


def test_a_query_that_does_not_validate_is_not_kept():
    client = Client()
    broken = f"# {uuid.uuid4()}\n{{ talks {{ nope }} }}"
    answer = post(client, query=broken, extensions=persisted(sha256(broken)))
    assert "nope" in answer.json()["errors"][0]["message"]
    again = post(client, extensions=persisted(sha256(broken)))
    assert code_of(again) == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.parametrize(
    "extension",
    [
        {"persistedQuery": {"version": 2, "sha256Hash": "0" * 64}},
        {"persistedQuery": {"version": 1, "sha256Hash": "not-a-hash"}},
        {"persistedQuery": {"version": 1, "sha256Hash": "A" * 64}},
        {"persistedQuery": "yes"},
    ],
)
def test_a_malformed_persisted_query_extension_is_a_clear_400(extension):
    answer = post(Client(), extensions=extension)
    assert answer.status_code == 400
    assert "persistedQuery" in answer.json()["errors"][0]["message"]


def test_without_query_or_hash_the_request_is_refused():
    answer = post(Client(), extensions={})
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["message"] == "The request has no GraphQL `query` string."


class TestSafelist:
    QUERY = "query TalkCount { talks { totalCount } }"

    @pytest.fixture(autouse=True)
    def registered(self, db, settings):
        settings.GRAPHQL_PERSISTED_ONLY = True
        PersistedOperation.objects.create(
            sha256=sha256(self.QUERY), query=self.QUERY, name="TalkCount"
        )

    def test_a_registered_operation_runs_by_hash_or_text(self):
        client = Client()
        expected = {"data": {"talks": {"totalCount": 0}}}
        assert get(client, extensions=persisted(sha256(self.QUERY))).json() == expected
        assert post(client, query=self.QUERY).json() == expected

    def test_any_other_document_is_refused_before_it_is_parsed(self):
        client = Client()
        for query in ("{ talks { totalCount } }", "{ talks(", "{ nope }"):
            answer = post(client, query=query)
            assert answer.status_code == 400
            assert code_of(answer) == "PERSISTED_QUERY_NOT_ALLOWED", query

    def test_clients_cannot_register_operations_themselves(self):
        client, query = Client(), fresh_query()
        attempt = post(client, query=query, extensions=persisted(sha256(query)))
        assert code_of(attempt) == "PERSISTED_QUERY_NOT_ALLOWED"
        unknown = post(client, extensions=persisted(sha256(query)))
        assert code_of(unknown) == "PERSISTED_QUERY_NOT_FOUND"

    def test_a_staff_token_may_send_any_query(self, staff_gql, gql):
        assert staff_gql("{ topics { totalCount } }") == {"topics": {"totalCount": 0}}
        assert gql.raw("{ topics { totalCount } }")["errors"][0]["extensions"]["code"] == (
            "PERSISTED_QUERY_NOT_ALLOWED"
        )
