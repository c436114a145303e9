"""Which requests get an event stream: those that prefer one (graphql-sse's), not those
that merely accept one beside JSON (urql's), whose answers stay cacheable JSON."""

import pytest
from django.test import Client

from tests.factories import TopicFactory

pytestmark = pytest.mark.django_db
QUERY = "{ topics(first: 1) { totalCount } }"


def test_a_client_that_accepts_json_first_gets_json():
    TopicFactory()
    urql = "application/graphql-response+json, application/graphql+json, application/json, "
    urql += "text/event-stream, multipart/mixed"
    answer = Client().post(
        "/graphql/", {"query": QUERY}, "application/json", headers={"Accept": urql}
    )
    assert answer["Content-Type"].startswith("application/graphql-response+json")


def test_a_query_sent_for_an_event_stream_is_one_event_then_complete():
    TopicFactory()
    answer = Client().post(
        "/graphql/", {"query": QUERY}, "application/json", headers={"Accept": "text/event-stream"}
    )
    assert answer["Content-Type"] == "text/event-stream"
    text = answer.content.decode()
    assert text.startswith('event: next\ndata: {"data":{"topics":{"totalCount":1}}}')
    assert text.endswith("event: complete\ndata: \n\n")


def test_a_mutation_is_not_run_from_a_get_event_stream():
    mutation = 'mutation { createTopic(input: {name: "X"}) { __typename } }'
    answer = Client().get("/graphql/", {"query": mutation}, headers={"Accept": "text/event-stream"})
    assert answer.status_code == 405
