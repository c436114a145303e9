"""Rate limits per client in query-cost points: a bucket per API token or address, in
this process or shared through the real Redis, with the RateLimit headers and 429s."""

import json
import logging
import os
import socket
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from graphql import parse
from graphql.utilities import get_operation_ast

from internals import graphql_schema
from schema.limits import check_cost
from schema.schema import schema
from talks.tokens import token_create

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PAGE = "{ talks(first: 20) { totalCount edges { node { title speakers { name } } } } }"


def cost_of(query: str) -> int:
    document = parse(query)
    return check_cost(graphql_schema(schema), get_operation_ast(document), document, {})


def redis_is_up() -> bool:
    host, port = REDIS_URL.split("//")[1].split("/")[0].split(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.fixture(params=["in-process", "redis"])
def limits(request, settings):
    """Limits on, the buckets in this process or in Redis."""
    if request.param == "redis":
        if not redis_is_up():
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(f"Redis is needed at {REDIS_URL}")
            pytest.skip(f"no Redis at {REDIS_URL}")
        settings.REDIS_URL = REDIS_URL
    else:
        settings.REDIS_URL = ""
    settings.GRAPHQL_RATE_LIMIT_ANONYMOUS = 1000
    settings.GRAPHQL_RATE_LIMIT_TOKEN = 5000
    return settings


def a_client(**headers) -> Client:
    """A client with an address of its own, so no other test shares its bucket."""
    return Client(REMOTE_ADDR=f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7", **headers)


def post(client: Client, query: str, **headers):
    return client.post(
        "/graphql/", json.dumps({"query": query}), content_type="application/json", headers=headers
    )


def test_every_answer_says_where_the_client_stands(limits):
    client, cost = a_client(), cost_of(PAGE)
    post(a_client(), PAGE)  # parsed and validated: later requests pay its cost alone
    first, second = post(client, PAGE), post(client, PAGE)
    assert first["RateLimit-Limit"] == second["RateLimit-Limit"] == "1000"
    # Less what refilled in between (1000 / 60 a second).
    assert cost - 5 <= 1000 - int(first["RateLimit-Remaining"]) <= cost
    assert (
        cost - 5 <= int(first["RateLimit-Remaining"]) - int(second["RateLimit-Remaining"]) <= cost
    )
    assert 0 < int(second["RateLimit-Reset"]) <= 60


def test_a_document_the_server_has_not_seen_also_pays_for_its_parsing_and_validation(limits):
    client, query = a_client(), f"# {uuid.uuid4()}\n{PAGE}"
    new = 1000 - int(post(client, query)["RateLimit-Remaining"])
    before = int(post(client, PAGE)["RateLimit-Remaining"])
    seen = before - int(post(client, PAGE)["RateLimit-Remaining"])
    assert new >= seen + 1  # a millisecond or part of one: a point
    assert cost_of(PAGE) - 5 <= seen <= cost_of(PAGE)


def test_a_refused_document_is_charged_and_a_client_without_points_is_not_even_parsed(limits):
    limits.GRAPHQL_RATE_LIMIT_ANONYMOUS = 60  # a point a second comes back
    client, bad = a_client(), "{ nope }"
    refused = post(client, f"# {uuid.uuid4()}\n{bad}")
    assert refused.status_code == 200 and refused.json()["errors"]
    assert 60 - int(refused["RateLimit-Remaining"]) >= 1
    while post(client, "{ __typename }").status_code == 200:  # down to the last point
        pass
    with CaptureQueriesContext(connection) as queries:
        answer = post(client, f"# {uuid.uuid4()}\n{bad}")
    assert answer.status_code == 429
    assert answer.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert "Cannot query field" not in answer.content.decode()  # never parsed nor validated
    assert not [q for q in queries.captured_queries if "talks_talk" in q["sql"]]


def test_over_the_limit_is_a_429_that_runs_nothing(limits):
    client, cost = a_client(), cost_of(PAGE)
    post(a_client(), PAGE)  # parsed and validated once
    answers = [post(client, PAGE) for _ in range(1000 // cost)]
    assert all(answer.status_code == 200 for answer in answers)
    with CaptureQueriesContext(connection) as queries:
        refused = post(client, PAGE)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert "1,000 query-cost points a minute" in error["message"]
    assert not [q for q in queries.captured_queries if "talks_talk" in q["sql"]]
    # Another client is not held back by this one.
    assert post(a_client(), PAGE).status_code == 200


def test_a_token_has_its_own_larger_bucket(limits, staff_user):
    _, secret = token_create(user=staff_user, name="limits")
    client = a_client()
    with_token = post(client, PAGE, Authorization=f"Bearer {secret}")
    assert with_token["RateLimit-Limit"] == "5000"
    anonymous = post(client, PAGE)
    assert anonymous["RateLimit-Limit"] == "1000"
    assert int(anonymous["RateLimit-Remaining"]) > 1000 - 2 * cost_of(PAGE)


def test_a_cached_answer_or_a_304_costs_one_point(limits):
    """Public answers do not say where their client stands (a shared cache would replay
    it to everyone): the client's next private request does."""
    client = a_client()
    query = f"# {uuid.uuid4()}\n{PAGE}"

    def remaining() -> int:
        return int(post(client, "{ __typename }")["RateLimit-Remaining"])  # costs 1

    start = remaining()
    cached = client.get("/graphql/", {"query": query})  # executed, and kept
    after_execution = remaining()
    client.get("/graphql/", {"query": query})  # from the cache
    after_cached = remaining()
    revalidated = client.get(
        "/graphql/", {"query": query}, headers={"If-None-Match": cached["ETag"]}
    )
    assert revalidated.status_code == 304
    after_revalidated = remaining()
    assert start - after_execution >= cost_of(PAGE)
    assert after_execution - after_cached <= 2  # its point and the probe's
    assert after_cached - after_revalidated <= 2


def test_a_limit_of_zero_turns_limiting_off(limits):
    limits.GRAPHQL_RATE_LIMIT_ANONYMOUS = 0
    answer = post(a_client(), PAGE)
    assert answer.status_code == 200
    assert "RateLimit-Limit" not in answer


def test_an_unreachable_redis_lets_requests_through_and_says_so(settings, caplog):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    settings.GRAPHQL_RATE_LIMIT_ANONYMOUS = 1
    with caplog.at_level(logging.WARNING, logger="talks.redis"):
        answers = [post(a_client(), PAGE) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert "Redis unavailable" in caplog.text
