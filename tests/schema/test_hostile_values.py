"""Values no database stores alike and numbers outside their domain are client errors,
the same on SQLite and PostgreSQL, and write nothing."""

import base64

import pytest
from django.test import Client

from talks.models import Event, Speaker
from tests.factories import EventFactory

NUL = "m\u0000x"
SURROGATE = "\ud800abc"  # a lone surrogate: JSON can carry it, no database can store it
ARGUMENT_CASES = [
    ('{ talk(slug: "m\\u0000x") { title } }', None, "slug"),
    ("query ($s: String!) { talk(slug: $s) { title } }", {"s": NUL}, "slug"),
    ("query ($s: String!) { talk(slug: $s) { title } }", {"s": SURROGATE}, "slug"),
    ('query ($s: String = "\\u0000") { event(slug: $s) { name } }', None, "slug"),
    (
        "query ($q: String!) { talks(filter: {search: $q}) { totalCount } }",
        {"q": NUL},
        "filter.search",
    ),
    (
        "query ($f: TalkFilter) { talks(filter: $f) { totalCount } }",
        {"f": {"speaker": SURROGATE}},
        "filter.speaker",
    ),
    ("query ($q: String!) { search(query: $q) { __typename } }", {"q": f"async{NUL}"}, "query"),
    (
        '{ events { edges { node { talks(filter: {topic: "a\\u0000"}) { totalCount } } } } }',
        None,
        "filter.topic",
    ),
    ("query ($id: ID!) { node(id: $id) { id } }", {"id": SURROGATE}, "id"),
]


@pytest.mark.parametrize(("query", "variables", "argument"), ARGUMENT_CASES)
def test_unstorable_text_in_a_query_is_a_client_error(gql, db, query, variables, argument):
    EventFactory()
    error = gql.error(query, variables)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": argument}
    assert error["message"].startswith(f"`{argument}`: ")


@pytest.mark.parametrize("year", [2147483647, 10000, 0, -5])
def test_a_year_outside_the_calendar_is_a_client_error(gql, db, year):
    error = gql.error(f"{{ events(filter: {{year: {year}}}) {{ totalCount }} }}")
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "filter.year"}
    assert error["message"] == f"`filter.year` must be from 1 to 9999 (got {year})."


def test_a_page_size_beyond_32_bits_is_a_client_error(gql, db):
    literal = gql.error("{ talks(first: 2147483648) { totalCount } }")
    variable = gql.error("query ($n: Int) { talks(last: $n) { totalCount } }", {"n": 2**31})
    for error in (literal, variable):
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "non 32-bit signed integer value: 2147483648" in error["message"]


CREATE_EVENT = """mutation ($input: CreateEventInput!) { createEvent(input: $input) {
  __typename ... on OperationInfo { messages { kind field code } } } }"""


@pytest.mark.parametrize(
    ("given", "field", "code"),
    [
        ({"name": "a\u0000b"}, "name", "null_characters_not_allowed"),
        ({"name": "Fine", "city": SURROGATE}, "city", "invalid_characters"),
        ({"name": "Fine", "slug": f"fine{NUL}"}, "slug", "null_characters_not_allowed"),
    ],
)
def test_unstorable_text_in_a_mutation_is_an_operation_info(staff_gql, given, field, code):
    result = staff_gql(CREATE_EVENT, {"input": given})["createEvent"]
    assert result["__typename"] == "OperationInfo"
    assert {"kind": "VALIDATION", "field": field, "code": code} in result["messages"]
    assert not Event.objects.exists()


def test_unstorable_text_in_an_update_changes_nothing(staff_gql):
    from schema.ids import global_id

    speaker = Speaker.objects.create(slug="ada", name="Ada")
    mutation = """mutation ($input: UpdateSpeakerInput!) { updateSpeaker(input: $input) {
      __typename ... on OperationInfo { messages { field code } } } }"""
    variables = {"input": {"id": global_id("Speaker", speaker.pk), "name": "Ada", "bio": NUL}}
    result = staff_gql(mutation, variables)["updateSpeaker"]
    assert result["messages"] == [{"field": "bio", "code": "null_characters_not_allowed"}]
    speaker.refresh_from_db()
    assert speaker.bio == ""


def encoded(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "node_id",
    [
        "Talk:²",
        "Talk:\u0661",
        "Talk:007",
        "Talk:0",
        "Talk:9223372036854775808",
        "Talk:-1",
        "Talk: 1",
    ],
)
def test_an_id_not_written_as_the_api_writes_them_is_a_client_error(gql, db, node_id):
    for query in (
        "query ($id: ID!) { node(id: $id) { id } }",
        "query ($id: ID) { talk(id: $id) { id } }",
    ):
        error = gql.error(query, {"id": encoded(node_id)})
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert error["message"].startswith("`id` is not a valid ID")


@pytest.mark.parametrize(
    "offset", ["9223372036854775807", "99999999999999999999", "²", "\u0661", "007", "-1", "1e3"]
)
def test_a_cursor_not_written_as_the_api_writes_them_is_a_client_error(gql, db, offset):
    error = gql.error(
        "query ($c: String) { talks(after: $c) { totalCount } }", {"c": encoded(f"offset:{offset}")}
    )
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "after"}
    assert error["message"].startswith("`after` is not a valid cursor")


@pytest.mark.parametrize(
    ("levels", "code", "says"),
    [
        (40, "BAD_USER_INPUT", "`variables` nests deeper than 32 levels."),
        (5000, "BAD_REQUEST", "The request body is not valid JSON. It nests too deeply."),
    ],
)
def test_variables_nested_too_deep_are_a_400_in_json(db, levels, code, says):
    nested = '{"a": ' * levels + "{}" + "}" * levels
    text = '{"query": "query ($f: TalkFilter) { talks(filter: $f) { totalCount } }", '
    text += '"variables": {"f": ' + nested + "}}"
    response = Client().post("/graphql/", text, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    (error,) = response.json()["errors"]
    assert error == {"message": says, "extensions": {"code": code}}
