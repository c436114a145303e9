"""Documents are parsed and validated once per text, off the event loop, as strawberry's
own validation would judge them, and what a new one cost is left for the rate limit."""

import asyncio
import threading
import uuid

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from graphql import parse, specified_rules
from strawberry.schema.schema import validate_document

from internals import graphql_schema, merging_rule_with_budget
from schema import documents
from schema.context import Context
from schema.schema import schema

DOCUMENTS = [
    "{ talks(first: 2) { totalCount edges { node { title speakers { name } } } } }",
    "{ nope }",
    "query ($a: Int) { __typename }",
    '{ talk(slug: "x") { title title: slug } }',
    "{ talks { totalCount } talks(first: 3) { totalCount } }",
    "fragment F on Talk { title } { __typename }",
    "query ($f: TalkFilter) { talks(filter: $f) { totalCount } } query { __typename }",
]


@pytest.mark.parametrize("text", DOCUMENTS)
def test_validation_judges_as_strawberrys_own(text):
    built, document = graphql_schema(schema), parse(text)
    rules = tuple(specified_rules)
    ours = documents.validate_now(built, document, rules)
    theirs = validate_document(built, document, rules)
    assert [e.message for e in ours] == [e.message for e in theirs]
    assert all(e.extensions["code"] == "GRAPHQL_VALIDATION_FAILED" for e in ours)


def test_the_merge_budget_is_spent_by_comparisons_and_aborts_validation():
    built = graphql_schema(schema)
    repeated = parse("{ " + "talks { totalCount } " * 40 + "}")  # 780 pairs
    rules = (merging_rule_with_budget(100),)
    assert [e.message for e in documents.validate_now(built, repeated, ())] == []
    (error,) = documents.validate_now(built, repeated, rules)
    assert error.message == documents.TOO_COSTLY_TO_VALIDATE
    assert error.extensions == {"code": "QUERY_TOO_COMPLEX"}
    assert documents.validate_now(built, parse("{ talks { totalCount } }"), rules) == []


def run(query: str) -> tuple[dict, Context, set]:
    """Execute `query`, noting the threads that parsed and validated it."""
    threads: set = set()
    parse_, validate_ = documents.parse, documents.validate_now

    def parse_on(*args, **kwargs):
        threads.add(("parse", threading.current_thread()))
        return parse_(*args, **kwargs)

    def validate_on(*args, **kwargs):
        threads.add(("validate", threading.current_thread()))
        return validate_(*args, **kwargs)

    documents.parse, documents.validate_now = parse_on, validate_on
    try:
        context = Context(request=RequestFactory().get("/"), response=HttpResponse())
        result = asyncio.run(schema.execute(query, context_value=context))
    finally:
        documents.parse, documents.validate_now = parse_, validate_
    return result, context, threads


@pytest.mark.django_db
def test_a_new_document_is_parsed_and_validated_off_the_event_loop_and_its_cost_kept():
    query = f"{{ t{uuid.uuid4().hex}: talks(first: 1) {{ totalCount }} }}"  # a new document
    result, context, threads = run(query)
    assert result.errors is None
    assert {step for step, _ in threads} == {"parse", "validate"}
    assert threading.main_thread() not in {thread for _, thread in threads}
    assert context.document_cpu_ms > 0
    again, context, threads = run(query)  # the same text: both kept, nothing spent
    assert again.errors is None and threads == set() and context.document_cpu_ms == 0


@pytest.mark.django_db
def test_a_document_that_does_not_parse_costs_its_parsing_too():
    result, context, threads = run(f"# {uuid.uuid4()}\n{{ talks(")
    assert result.errors[0].extensions["code"] == "GRAPHQL_PARSE_FAILED"
    assert {step for step, _ in threads} == {"parse"} and context.document_cpu_ms > 0
