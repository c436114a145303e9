"""Traces with the OpenTelemetry SDK, captured by its in-memory exporter: one trace per
request, one span per DataLoader batch with its SQL statements below it, none per field."""

import json
import re

import pytest
from django.test import Client
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import SpanKind

from edge import tracing
from tests.factories import SpeakerFactory, TalkFactory, TopicFactory

pytestmark = pytest.mark.django_db

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"
NESTED = """query Nested($first: Int!) {
  talks(first: $first) {
    edges { node { title event { name } speakers { name } topics { name } } }
  }
}"""


def provider_with(exporter: InMemorySpanExporter, **options) -> TracerProvider:
    provider = TracerProvider(**options)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    tracing.configure(provider_with(exporter))
    yield exporter
    tracing.configure(None)


@pytest.fixture
def catalogue():
    speakers = SpeakerFactory.create_batch(3)
    topics = TopicFactory.create_batch(2)
    for n in range(6):
        TalkFactory(speakers=speakers[n % 3 :][:2], topics=topics, title=f"Secret title {n}")


def post(query: str, variables: dict | None = None, **headers):
    body = json.dumps({"query": query, "variables": variables or {}})
    return Client().post("/graphql/", body, "application/json", headers=headers)


def tree(finished) -> dict:
    """Each span's children, by the parent's span id (None: the root)."""
    children: dict = {}
    for span in finished:
        parent = span.parent.span_id if span.parent is not None else None
        children.setdefault(parent, []).append(span)
    return children


def only(spans, name: str):
    (span,) = [span for span in spans if span.name == name]
    return span


def test_a_nested_query_is_one_trace_down_to_each_batch_and_its_statements(spans, catalogue):
    answer = post(NESTED, {"first": 5}, traceparent=TRACEPARENT)
    assert answer.status_code == 200 and "errors" not in answer.json()
    finished = spans.get_finished_spans()
    assert {format(span.context.trace_id, "032x") for span in finished} == {TRACE_ID}
    assert answer["X-Request-ID"] == TRACE_ID  # the log line's request id too

    children = tree(finished)
    (server,) = children[int(PARENT_ID, 16)]  # the caller's span is the parent
    assert server.kind is SpanKind.SERVER
    assert server.name == "POST /graphql/"
    assert server.attributes["http.response.status_code"] == 200
    assert server.attributes["http.route"] == "/graphql/"

    operation = only(children[server.context.span_id], "graphql.operation")
    assert operation.attributes["graphql.operation.name"] == "Nested"
    assert operation.attributes["graphql.operation.type"] == "query"
    assert re.fullmatch(r"[0-9a-f]{64}", operation.attributes["graphql.document.hash"])
    assert operation.attributes["graphql.cost"] > 5
    assert operation.attributes["talks.db.alias"] == "primary"
    below_operation = [span.name for span in children[operation.context.span_id]]
    assert below_operation == ["graphql.parse", "graphql.validate", "graphql.execute"]

    execute = only(children[operation.context.span_id], "graphql.execute")
    batches = [
        span for span in children[execute.context.span_id] if span.name == "dataloader.batch"
    ]
    names = sorted(span.attributes["dataloader.name"] for span in batches)
    # One batch each for speakers and topics; the page's statement joins the events.
    assert names == ["speakers_of_talks", "topics_of_talks"]
    for batch in batches:
        assert batch.attributes["dataloader.keys"] >= 1
        statements = children[batch.context.span_id]
        assert statements and all(span.kind is SpanKind.CLIENT for span in statements)
    statements = [span for span in finished if span.kind is SpanKind.CLIENT]
    for statement in statements:
        system = statement.attributes["db.system.name"]
        assert system in ("postgresql", "sqlite") and statement.attributes["db.system"] == system
        assert statement.name.startswith("SELECT ")
        assert "Secret title" not in statement.attributes["db.query.text"]  # no values
        assert statement.attributes["talks.db.alias"] == "default"
    assert any("%s" in span.attributes["db.query.text"] for span in statements)


def test_there_is_no_span_per_field_or_per_row(spans, catalogue):
    post(NESTED, {"first": 2})
    two = sorted(span.name for span in spans.get_finished_spans())
    spans.clear()
    post(NESTED, {"first": 6})
    six = sorted(span.name for span in spans.get_finished_spans())
    assert two == six


def test_a_request_without_a_traceparent_starts_a_trace_of_its_own(spans, catalogue):
    answer = post("{ topics { totalCount } }")
    (server,) = [span for span in spans.get_finished_spans() if span.parent is None]
    assert answer["X-Request-ID"] == format(server.context.trace_id, "032x")
    assert answer["X-Request-ID"] != TRACE_ID


def test_errors_mark_the_operation_span(spans, catalogue):
    post("{ talk(id: 12) { title } }")
    operation = only(spans.get_finished_spans(), "graphql.operation")
    assert operation.status.is_ok is False
    assert operation.attributes["graphql.errors"] == 1


def test_a_cached_answer_is_an_operation_span_that_executed_nothing(spans, catalogue, settings):
    query = "{ topics { totalCount } }"
    first = Client().get("/graphql/", {"query": query}, headers={"Accept": "application/json"})
    assert first.status_code == 200
    executed = only(spans.get_finished_spans(), "graphql.operation")
    assert executed.attributes["graphql.response_cache"] == "miss"
    spans.clear()
    again = Client().get("/graphql/", {"query": query}, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    finished = spans.get_finished_spans()
    cached = only(finished, "graphql.operation")
    assert cached.attributes["graphql.response_cache"] == "not_modified"
    assert (
        cached.attributes["graphql.document.hash"] == executed.attributes["graphql.document.hash"]
    )
    assert not [span for span in finished if span.name == "graphql.execute"]


def test_an_unsampled_request_exports_nothing_and_still_has_a_trace_id(catalogue):
    exporter = InMemorySpanExporter()
    tracing.configure(provider_with(exporter, sampler=ALWAYS_OFF))
    try:
        answer = post(NESTED, {"first": 3})
    finally:
        tracing.configure(None)
    assert answer.status_code == 200
    assert exporter.get_finished_spans() == ()
    assert re.fullmatch(r"[0-9a-f]{32}", answer["X-Request-ID"])


def test_tracing_off_makes_no_spans_and_keeps_the_clients_request_id(catalogue):
    assert tracing.tracer is None
    answer = post("{ topics { totalCount } }", **{"X-Request-ID": "req-7"})
    assert answer["X-Request-ID"] == "req-7"
