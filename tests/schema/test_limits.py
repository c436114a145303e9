"""Abuse limits: each refused with a clear GraphQL error before any SQL runs."""

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from graphql import get_introspection_query

from tests.factories import TalkFactory


def post(query: str, variables: dict | None = None, **headers):
    return Client().post(
        "/graphql/",
        json.dumps({"query": query, "variables": variables or {}}),
        content_type="application/json",
        headers=headers,
    )


def refused_without_sql(query: str, variables: dict | None = None) -> dict:
    """The first error of a refused query, which must have run no SQL at all."""
    with CaptureQueriesContext(connection) as captured:
        response = post(query, variables)
    assert captured.captured_queries == []
    body = response.json()
    assert body.get("data") is None
    assert body["errors"], body
    return body["errors"][0]


def nested(levels: int, first: int = 100) -> str:
    """talks > speakers > talks > ... `levels` connections deep."""
    query = "slug"
    for level in range(levels):
        if level % 2 == 0:
            query = f"talks(first: {first}) {{ edges {{ node {{ {query} }} }} }}"
        else:
            query = f"speakers {{ {query} }}"
    return "{ " + query + " }"


@pytest.fixture
def some_talks(db):
    TalkFactory.create_batch(3)


def test_nested_pages_cannot_multiply_into_billions(some_talks):
    error = refused_without_sql(nested(5))
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "could return up to 301,301,300 objects" in error["message"]
    assert "the limit is 20,000" in error["message"]


def test_cost_sees_page_sizes_given_by_variables(some_talks):
    query = """query ($n: Int) { talks(first: $n) { edges { node {
      speakers { talks(first: $n) { edges { node { slug } } } } } } } }"""
    assert refused_without_sql(query, {"n": 100})["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "errors" not in post(query, {"n": 5}).json()


def test_the_benchmark_workload_fits_the_cost_limit(some_talks):
    q3 = """{ speakers(first: 50, orderBy: TALK_COUNT_DESC) { edges { node { name talkCount
      talks(first: 10) { edges { node { title event { name } topics { name talkCount } } } }
    } } } }"""
    assert "errors" not in post(q3).json()


def event_chain(events: int) -> str:
    """talks > node > event > talks > ...: 4 levels of depth per event hop."""
    query = "slug"
    for _ in range(events):
        query = f"talks(first: 1) {{ edges {{ node {{ event {{ {query} }} }} }} }}"
    return "{ " + query + " }"


def test_depth_limit(some_talks):
    assert "errors" not in post(event_chain(3)).json()  # 12 levels: allowed
    error = refused_without_sql(event_chain(4))
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "is 16 levels deep; the limit is 15" in error["message"]


def test_alias_limit(some_talks):
    fields = " ".join(f"a{i}: __typename" for i in range(21))
    error = refused_without_sql("{ " + fields + " }")
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "uses 21 aliases; the limit is 20" in error["message"]


def test_token_limit(some_talks):
    error = refused_without_sql("{ " + "__typename " * 2500 + "}")
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "more than 2000 tokens" in error["message"]


def test_graphiql_introspection_fits_every_limit(db):
    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )
    body = post(query).json()
    assert "errors" not in body
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


def test_introspection_can_be_switched_off(db, settings):
    settings.GRAPHQL_INTROSPECTION = False
    error = refused_without_sql("{ __schema { queryType { name } } }")
    assert "introspection" in error["message"].lower()
    assert "errors" not in post("{ __typename }").json()


def test_page_size_cap_is_still_a_clear_error(some_talks):
    error = post("{ talks(first: 101) { edges { node { slug } } } }").json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "`first` must be at most 100" in error["message"]


def test_body_size_limit(db):
    response = post("{ __typename }" + " " * 110_000)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"


def test_batched_requests_are_refused(db):
    response = Client().post(
        "/graphql/",
        json.dumps([{"query": "{ __typename }"}, {"query": "{ __typename }"}]),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "Batched requests are not supported" in response.json()["errors"][0]["message"]


def test_a_repeated_query_is_parsed_and_validated_once(db, monkeypatch):
    from schema.limits import OperationLimitsRule

    validated = []
    original = OperationLimitsRule.enter_document
    monkeypatch.setattr(
        OperationLimitsRule,
        "enter_document",
        lambda self, *args: validated.append(1) or original(self, *args),
    )
    query = "{ talks(first: 1) { totalCount } } # only this test sends this text"
    for _ in range(3):
        assert "errors" not in post(query).json()
    assert validated == [1]


def test_aliases_inside_fragments_count(some_talks):
    aliases = " ".join(f"a{i}: __typename" for i in range(21))
    error = refused_without_sql("{ ...Many } fragment Many on Query { " + aliases + " }")
    assert "uses 21 aliases; the limit is 20" in error["message"]


def test_fragments_spread_many_times_are_walked_once(some_talks, monkeypatch, settings):
    """Each fragment spreading the next twice doubles the work at every level if every
    spread is walked again (2**12 walks here; at 40 levels, a document of 400 tokens,
    it would never end). Its cost, 40,960, is refused after walking each fragment once."""
    from schema.limits import _Walker

    settings.GRAPHQL_MAX_FIELDS = 10**6  # past the count of fields, to the cost
    walks = []
    original = _Walker.selection
    monkeypatch.setattr(
        _Walker, "selection", lambda self, *args: walks.append(1) or original(self, *args)
    )
    levels = 12
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    fragments.append(f"fragment F{levels} on Query {{ talks(first: 10) {{ totalCount }} }}")
    error = refused_without_sql("{ ...F0 } " + " ".join(fragments))
    assert "could return up to 40,960 objects" in error["message"]
    assert len(walks) < 10 * levels


def fan_out(levels: int, spreads: int) -> str:
    """Fragments that each spread the next `spreads` times: `spreads ** levels` fields
    once expanded, in a few hundred bytes."""
    fragments = [
        f"fragment F{i} on Talk {{ {f'...F{i + 1} ' * spreads}}}" for i in range(levels - 1)
    ]
    fragments.append(f"fragment F{levels - 1} on Talk {{ title }}")
    return "{ talks(first: 1) { edges { node { ...F0 } } } } " + " ".join(fragments)


def test_fragments_that_fan_out_are_refused_before_validation(some_talks):
    document = fan_out(10, 5)  # 1,953,125 titles from 600 bytes
    assert len(document) < 700
    error = refused_without_sql(document)
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "selects 1,953,128 fields once its fragments are expanded" in error["message"]
    assert "the limit is 1,000" in error["message"]
    assert "errors" not in post(fan_out(3, 5)).json()  # 25 titles: fine


def test_the_same_field_repeated_past_the_merge_budget_is_refused(some_talks):
    """Every pair of fields with one name is compared: 480 copies are 115,000 pairs."""
    error = refused_without_sql("{ " + "talks { totalCount } " * 480 + "}")
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "too costly to check" in error["message"]
    assert "errors" not in post("{ " + "talks { totalCount } " * 20 + "}").json()


def test_introspection_is_costed_and_depth_limited(some_talks):
    full = post(get_introspection_query(descriptions=True))  # GraphiQL's: 14 deep
    assert "errors" not in full.json()
    one = "__schema { types { name fields { name type { name ofType { name } } } } }"
    twenty = "{ " + " ".join(f"s{i}: {one}" for i in range(20)) + " }"
    error = refused_without_sql(
        twenty.replace("ofType { name }", "ofType { name fields { name } }")
    )
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "could return up to" in error["message"]
    deep = "{ __schema { types { " + "ofType { " * 15 + "name" + " }" * 15 + " } } }"
    error = refused_without_sql(deep)
    assert "is 17 levels deep; the limit is 15" in error["message"]


@pytest.mark.parametrize(
    ("document", "code"),
    [
        ("{ talks(", "GRAPHQL_PARSE_FAILED"),
        ("{ " * 400 + "}" * 400, "GRAPHQL_PARSE_FAILED"),
        ("{ talks(first: 1) { " + "edges { node { " * 300 + "}" * 601, "QUERY_TOO_COMPLEX"),
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
        ("query ($a: Int) { __typename }", "GRAPHQL_VALIDATION_FAILED"),
        ("fragment F on Talk { title } { __typename }", "GRAPHQL_VALIDATION_FAILED"),
    ],
)
def test_every_document_error_has_a_code(some_talks, document, code):
    error = refused_without_sql(document)
    assert error["extensions"]["code"] == code, error


def test_suggestions_are_off_when_introspection_is(some_talks, settings):
    assert "Did you mean" in refused_without_sql('{ talk(slug: "x") { titel } }')["message"]
    settings.GRAPHQL_INTROSPECTION = False
    validation = refused_without_sql('{ talk(slug: "x") { titel } }')
    variable = post(
        "query ($o: TalkOrder) { talks(orderBy: $o) { totalCount } }", {"o": "RECORDED_ON"}
    ).json()["errors"][0]
    for error in (validation, variable):
        assert "Did you mean" not in error["message"], error
        assert "RECORDED_ON_DESC" not in error["message"]
