"""Public reads over GET: Cache-Control, ETag, 304 without executing, the shared answer
cache, and no-store for everything else."""

import json
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from talks import services
from tests.factories import TalkFactory

pytestmark = pytest.mark.django_db

CATALOGUE_TABLES = ("talks_talk", "talks_speaker", "talks_event", "talks_topic")


def query_text() -> str:
    """The same operation under a new text, so no earlier test's kept answer applies."""
    return f"# {uuid.uuid4()}\n{{ talks(first: 5) {{ totalCount edges {{ node {{ title }} }} }} }}"


def public_get(client: Client, query: str, **headers):
    return client.get(
        "/graphql/", {"query": query}, headers={"Accept": "application/json", **headers}
    )


def tables_read(queries) -> set[str]:
    return {table for table in CATALOGUE_TABLES for q in queries if table in q["sql"]}


def test_a_public_get_is_cacheable_with_an_etag(settings):
    TalkFactory(title="Caching")
    response = public_get(Client(), query_text())
    assert response.status_code == 200
    assert response["Cache-Control"] == f"public, max-age={settings.GRAPHQL_CACHE_MAX_AGE}"
    assert response["ETag"].startswith('"') and len(response["ETag"]) > 20
    assert {"accept", "origin"} <= {part.strip().lower() for part in response["Vary"].split(",")}


def test_a_matching_if_none_match_is_a_304_that_reads_no_catalogue_table():
    TalkFactory()
    client, query = Client(), query_text()
    tag = public_get(client, query)["ETag"]
    with CaptureQueriesContext(connection) as queries:
        revalidated = public_get(client, query, **{"If-None-Match": tag})
    assert revalidated.status_code == 304
    assert revalidated.content == b""
    assert revalidated["ETag"] == tag
    assert tables_read(queries.captured_queries) == set()
    assert len(queries.captured_queries) == 1  # the catalogue's version


def test_a_repeated_public_query_is_answered_from_the_cache_until_a_write():
    talk = TalkFactory(title="Before")
    client, query = Client(), query_text()
    first = public_get(client, query)
    with CaptureQueriesContext(connection) as queries:
        again = public_get(client, query)
    assert again.content == first.content and again["ETag"] == first["ETag"]
    assert tables_read(queries.captured_queries) == set()

    services.TALKS.update(talk, title="After")
    changed = public_get(client, query, **{"If-None-Match": first["ETag"]})
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]
    assert changed.json()["data"]["talks"]["edges"][0]["node"]["title"] == "After"


def test_a_write_by_raw_sql_also_makes_cached_answers_stale():
    talk = TalkFactory(title="Before")
    client, query = Client(), query_text()
    tag = public_get(client, query)["ETag"]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE talks_talk SET title = %s WHERE id = %s", ["Raw", talk.pk])
    answer = public_get(client, query, **{"If-None-Match": tag})
    assert answer.status_code == 200
    assert answer.json()["data"]["talks"]["edges"][0]["node"]["title"] == "Raw"


def test_the_tag_depends_on_variables_and_media_type():
    client = Client()
    query = f"# {uuid.uuid4()}\nquery ($n: Int) {{ talks(first: $n) {{ totalCount }} }}"
    one = client.get("/graphql/", {"query": query, "variables": json.dumps({"n": 1})})
    two = client.get("/graphql/", {"query": query, "variables": json.dumps({"n": 2})})
    strict = client.get(
        "/graphql/",
        {"query": query, "variables": json.dumps({"n": 1})},
        headers={"Accept": "application/graphql-response+json"},
    )
    assert len({one["ETag"], two["ETag"], strict["ETag"]}) == 3
    assert strict["Content-Type"].startswith("application/graphql-response+json")


def test_everything_but_a_public_successful_get_is_no_store(staff_user, settings):
    from talks.tokens import token_create

    query = query_text()
    _, secret = token_create(user=staff_user, name="tests")
    logged_in = Client()
    logged_in.force_login(staff_user)
    answers = {
        "POST": Client().post(
            "/graphql/", json.dumps({"query": query}), content_type="application/json"
        ),
        "token": public_get(Client(), query, Authorization=f"Bearer {secret}"),
        "session": public_get(logged_in, query),
        "errors": public_get(Client(), "{ talks(first: 1000) { totalCount } }"),
        "mutation": public_get(
            Client(), 'mutation { deleteTopic(input: {id: "x"}) { __typename } }'
        ),
    }
    for name, response in answers.items():
        assert response["Cache-Control"] == "no-store", name
        assert "ETag" not in response, name
    settings.GRAPHQL_CACHE_MAX_AGE = 0
    assert public_get(Client(), query)["Cache-Control"] == "no-store"


def test_an_answer_with_errors_is_not_kept():
    TalkFactory()
    client = Client()
    query = f'# {uuid.uuid4()}\n{{ talks(first: 1) {{ totalCount }} talk(id: "nope") {{ title }} }}'
    first = public_get(client, query)
    assert first.json()["errors"] and first.json()["data"]["talks"]["totalCount"] == 1
    with CaptureQueriesContext(connection) as queries:
        again = public_get(client, query)
    assert "talks_talk" in tables_read(queries.captured_queries)  # executed again
    assert again["Cache-Control"] == "no-store"


def test_answers_from_the_cache_carry_the_headers_of_executed_ones(settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://frontend.example"]
    client, query = Client(), query_text()
    origin = {"Origin": "https://frontend.example"}
    executed = public_get(client, query, **origin)
    cached = public_get(client, query, **origin)
    revalidated = public_get(client, query, **origin, **{"If-None-Match": executed["ETag"]})
    assert revalidated.status_code == 304
    for name in (
        "X-Frame-Options",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "Access-Control-Allow-Origin",
        "Vary",
        "Cache-Control",
        "ETag",
    ):
        assert executed[name] == cached[name] == revalidated[name], name
    assert cached["Content-Type"] == executed["Content-Type"]
    assert cached["Content-Length"] == str(len(executed.content))
    exposed = executed["Access-Control-Expose-Headers"].lower().split(", ")
    assert {"etag", "retry-after", "ratelimit-remaining", "x-request-id"} <= set(exposed)


def test_a_public_answer_carries_nothing_of_the_client_it_was_made_for(settings):
    """A shared cache gives it to every client: not one client's id or rate limit."""
    settings.GRAPHQL_RATE_LIMIT_ANONYMOUS = 1000
    client, query = Client(), query_text()
    executed = public_get(client, query, **{"X-Request-ID": "mine"})
    cached = public_get(client, query, **{"X-Request-ID": "mine"})
    for answer in (executed, cached):
        assert answer["Cache-Control"].startswith("public")
        assert "X-Request-ID" not in answer
        assert not [name for name in answer.headers if name.lower().startswith("ratelimit")]
    private = Client().post(
        "/graphql/",
        json.dumps({"query": query}),
        content_type="application/json",
        headers={"X-Request-ID": "mine"},
    )
    assert private["Cache-Control"] == "no-store"
    assert private["X-Request-ID"] == "mine" and private["RateLimit-Limit"] == "1000"


def test_an_answer_about_now_is_not_kept_but_one_about_a_given_moment_is():
    from tests.factories import EventFactory

    event = EventFactory()
    now = f'# {uuid.uuid4()}\n{{ event(slug: "{event.slug}") {{ now {{ title }} }} }}'
    answer = public_get(Client(), now)
    assert answer.status_code == 200 and answer["Cache-Control"] == "no-store"
    assert "ETag" not in answer
    moment = now.replace("now {", 'now(at: "2026-05-14T09:00:00Z") {')
    assert public_get(Client(), moment)["Cache-Control"].startswith("public")
