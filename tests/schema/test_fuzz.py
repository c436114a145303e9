"""Operations generated from our own schema, valid and not, with hostile text, through the
real view: whatever a client sends, the answer is a well-formed GraphQL response, never a
5xx, never an exception's or a driver's text, and nothing is written without a staff user;
the same for variables sent as public persisted GETs (the cached path).

Bounded and deterministic for CI (a fixed seed, FUZZ_EXAMPLES examples per test, 60 by
default). After changing the schema, run a larger search:

    FUZZ_EXAMPLES=2000 python3 dev.py test tests/schema/test_fuzz.py
"""

import base64
import hashlib
import io
import json
import os

import graphql
import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, queries

from schema.schema import schema
from talks.models import Event, Speaker, Talk, TalkSpeaker, Topic

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,  # the same examples on every run
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

HOSTILE = [
    "\x00",
    "a\x00b",
    "\ud800",  # lone surrogates: JSON carries them, no database stores them
    "x\udfffy",
    "é" * 10_000,
    "\u202eevil\u200f\u2066",  # right-to-left and isolate marks
    "'; DROP TABLE speakers; --",
    "1 OR 1=1",
    "a & b | !c <-> d:* (e",  # tsquery syntax
    '"unclosed phrase -',
    "%_%\\%\\_",
    "\\",
    "",
    "   ",
    "django",
]
TEXT = st.sampled_from(HOSTILE) | st.text(max_size=30)
# Our exception texts, the drivers', Python's: none of them may reach a client.
LEAKS = [
    "Traceback",
    "psycopg",
    "sqlite3",
    "OperationalError",
    "ProgrammingError",
    "IntegrityError",
    "DataError",
    "codec can't",
    "is out of range",
    "NUL (0x00)",
    "site-packages",
    "talks_talk",
]


def _string(text: str) -> graphql.StringValueNode:
    return graphql.StringValueNode(value=text)


SCALARS = {
    "String": TEXT.map(_string),
    "ID": TEXT.map(_string),
    "Date": (st.dates().map(lambda day: day.isoformat()) | TEXT).map(_string),
    "DateTime": (st.datetimes().map(lambda moment: moment.isoformat()) | TEXT).map(_string),
}
SDL = schema.as_str()


@pytest.fixture(scope="module")
def catalogue(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


def send(query: str, variables: dict | None = None, **headers) -> dict:
    sent = json.dumps({"query": query, "variables": variables or {}})
    response = Client().post("/graphql/", sent, content_type="application/json", headers=headers)
    return checked(response, sent)


def send_get(query: str, variables, *, by_hash: bool) -> dict:
    """A public GET, as persisted-query clients send it: the query with its hash, or the
    hash alone (answered from the cache, or PERSISTED_QUERY_NOT_FOUND)."""
    digest = hashlib.sha256(query.encode()).hexdigest()
    params = {
        "variables": json.dumps(variables),
        "extensions": json.dumps({"persistedQuery": {"version": 1, "sha256Hash": digest}}),
    }
    if not by_hash:
        params["query"] = query
    response = Client().get("/graphql/", params)
    if response.status_code == 304:
        return {}
    return checked(response, json.dumps({"query": query, "variables": variables}))


def checked(response, sent: str) -> dict:
    assert response.status_code < 500, response.content[:500]
    text = response.content.decode()
    for leak in LEAKS:
        # An error may quote what the client sent; anything else came from the server.
        echoed = leak in sent or leak in json.loads(sent)["query"]
        assert echoed or leak not in text, f"{leak!r} reached the client: {text[:500]}"
    body = response.json()
    assert isinstance(body, dict) and ("data" in body or "errors" in body), body
    for error in body.get("errors", []):
        assert isinstance(error["message"], str) and error["message"], error
    return body


def stored() -> list[int]:
    return [model.objects.count() for model in (Event, Speaker, Topic, Talk, TalkSpeaker)]


@FUZZ
@given(query=queries(SDL, custom_scalars=SCALARS))
def test_valid_queries_with_hostile_text(catalogue, db, query):
    send(query)


@FUZZ
@given(query=queries(SDL, custom_scalars=SCALARS, mode=Mode.NEGATIVE))
def test_queries_that_break_the_schema(catalogue, db, query):
    assert send(query, Accept="application/graphql-response+json")["errors"]


VARIABLE_QUERIES = [
    "query ($s: String!) { talk(slug: $s) { title speakers { name } } }",
    "query ($s: String) { talks(filter: {search: $s}, first: 5) { totalCount } }",
    "query ($f: TalkFilter) { talks(filter: $f) { totalCount edges { node { title } } } }",
    "query ($f: SpeakerFilter) { speakers(filter: $f) { totalCount } }",
    "query ($q: String!) { search(query: $q) { __typename } }",
    "query ($id: ID!) { node(id: $id) { id } }",
    "query ($a: String) { topics(after: $a) { totalCount } }",
]
FILTER = st.fixed_dictionaries(
    {},
    optional={
        "search": TEXT,
        "event": TEXT,
        "speaker": TEXT,
        "topic": TEXT,
        "language": TEXT,
        "recordedFrom": TEXT,
        "year": st.integers(),
        "durationMax": st.integers(),
    },
)


@FUZZ
@given(
    query=st.sampled_from(VARIABLE_QUERIES),
    value=TEXT | st.integers() | FILTER | st.lists(TEXT, max_size=3) | st.none(),
)
def test_hostile_variables(catalogue, db, query, value):
    name = query.split("$")[1].split(":")[0]
    send(query, {name: value})


@FUZZ
@given(
    query=st.sampled_from(VARIABLE_QUERIES),
    value=TEXT | st.integers() | FILTER | st.none(),
    by_hash=st.booleans(),
)
def test_hostile_variables_over_public_persisted_gets(catalogue, db, query, value, by_hash):
    name = query.split("$")[1].split(":")[0]
    send_get(query, {name: value}, by_hash=by_hash)
    send_get(query, {name: value}, by_hash=True)  # by hash, perhaps from the cache now


@FUZZ
@given(mutation=mutations(SDL, custom_scalars=SCALARS))
def test_no_write_without_a_staff_user(catalogue, db, mutation):
    before = stored()
    body = send(mutation)
    assert stored() == before
    for payload in (body.get("data") or {}).values():
        if payload is not None and "messages" in payload:
            assert {m.get("kind") for m in payload["messages"]} <= {"PERMISSION", None}


@FUZZ
@given(mutation=mutations(SDL, custom_scalars=SCALARS))
def test_staff_writes_with_hostile_text_are_answered_not_crashed(catalogue, staff_gql, mutation):
    send(mutation, **staff_gql.headers)


@FUZZ
@given(
    raw=st.one_of(
        st.text(max_size=40),
        st.builds(
            lambda t, n: f"{t}:{n}",
            st.sampled_from(["Talk", "offset", "Event"]),
            st.text(max_size=25),
        ),
    )
)
def test_any_id_or_cursor_is_answered_or_refused_as_the_clients(db, raw):
    """Whatever an ID or a cursor holds once decoded, it is an object, null or a
    BAD_USER_INPUT: never an internal error."""
    value = base64.b64encode(raw.encode("utf-8", "surrogatepass")).decode()
    for query, variables in (
        ("query ($id: ID!) { node(id: $id) { id } }", {"id": value}),
        ("query ($c: String) { talks(after: $c) { totalCount } }", {"c": value}),
        ("query ($c: String) { talks(first: 2, before: $c) { totalCount } }", {"c": value}),
    ):
        response = Client().post(
            "/graphql/",
            json.dumps({"query": query, "variables": variables}),
            content_type="application/json",
        )
        assert response.status_code == 200
        codes = {e["extensions"]["code"] for e in response.json().get("errors", [])}
        assert codes <= {"BAD_USER_INPUT"}, (raw, response.json())
