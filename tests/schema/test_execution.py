"""The executor's short paths and the prefetch give exactly graphql-core's answers.

Each query runs through the API's schema and through a twin built with strawberry's
own execution context; data and errors (messages, paths, null propagation) must be
identical. Then: every field of every type reads only columns its list loaded, so
selecting everything still costs the same statements at any page size.
"""

import gc

import pytest
import strawberry
import strawberry_django
from asgiref.sync import async_to_sync, sync_to_async
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test.utils import CaptureQueriesContext
from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission
from strawberry.types import Info
from strawberry.utils.str_converters import to_snake_case

from schema.context import Context
from schema.execution import ExecutionContext
from schema.ids import global_id
from schema.lookahead import COMPUTED, columns, own_fields
from schema.mutations import Mutation
from schema.queries import Query
from schema.relations import prefetch, relation, relations_of
from schema.schema import schema
from schema.types import (
    NODE_TYPES,
    EventType,
    RoomType,
    SpeakerType,
    TalkType,
    TopicType,
    TrackType,
)
from talks import selectors
from talks.models import Event, Room, Speaker, Talk, Topic, Track
from talks.selectors import RELATED_COLUMNS
from tests.schema.test_query_counts import Q2, Q3, catalogue  # noqa: F401 - a fixture

reference = strawberry.Schema(query=Query, mutation=Mutation, types=list(NODE_TYPES.values()))


class Deny(BasePermission):
    message = "Nobody may read this."

    def has_permission(self, source, info, **kwargs) -> bool:
        return False


class Shout(FieldExtension):
    def resolve(self, next_, source, info, **kwargs):
        return next_(source, info, **kwargs).upper()


@strawberry_django.type(Talk, name="ProbedTalk")
class ProbedTalk(TalkType):
    """A talk with fields of every kind the short paths must leave to strawberry."""

    secret: str | None = strawberry_django.field(field_name="title", permission_classes=[Deny])
    shouted: str = strawberry_django.field(field_name="title", extensions=[Shout()])
    old_title: str = strawberry_django.field(field_name="title", deprecation_reason="Use title.")
    guarded_speakers: list[SpeakerType] | None = relation(
        selectors.speakers_of_talks, permission_classes=[Deny]
    )


@strawberry.type
class ProbeQuery(Query):
    @strawberry.field
    async def probed_talks(self, info: Info, first: int) -> list[ProbedTalk]:
        talks = await sync_to_async(list)(Talk.objects.order_by("id")[:first])
        await prefetch(info.context.loaders, own_fields(info), {ProbedTalk: talks})
        return talks


probed = strawberry.Schema(
    query=ProbeQuery, types=list(NODE_TYPES.values()), execution_context_class=ExecutionContext
)
probed_reference = strawberry.Schema(query=ProbeQuery, types=list(NODE_TYPES.values()))

PROBED = """{ probedTalks(first: 6) { id title secret shouted oldTitle
  guardedSpeakers { name } speakers { name } event { name } } }"""

EVERYTHING = """
query ($yes: Boolean!, $n: Int) {
  talks(first: $n) { totalCount edges { cursor node { ...TalkFields
    again: title __typename
    event { __typename ...EventFields talkCount }
    speakers { ...SpeakerFields events { name } talks(first: 2) { totalCount edges { node { title } } } }
    topics { ...TopicFields talkCount @include(if: $yes) slug @skip(if: $yes) } } } }
}
fragment TalkFields on Talk { id slug title abstract kind level language recordedOn
  durationMinutes videoUrl slidesUrl createdAt updatedAt }
fragment SpeakerFields on Speaker { id slug name bio affiliation website twitter github talkCount }
fragment EventFields on Event { id slug name kind startsOn endsOn city country url description }
fragment TopicFields on Topic { id slug name description }
"""

ERROR_BELOW_SHORT_PATHS = """
{ talks(first: 3) { edges { node { title speakers { name talks(first: -1) { totalCount } } } } } }
"""

NESTED_ERROR_IN_NULLABLE = """
{ events(first: 2) { edges { node { name speakers { name talks(after: "nonsense") { totalCount } } } } } }
"""


def run(target: strawberry.Schema, query: str, variables: dict | None = None) -> dict:
    request = HttpRequest()
    request.method = "POST"
    context = Context(request=request, response=HttpResponse())
    result = async_to_sync(target.execute)(query, variable_values=variables, context_value=context)
    return {
        "data": result.data,
        "errors": [(e.message, e.path) for e in result.errors or []],
    }


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        pytest.param(EVERYTHING, {"yes": True, "n": 15}, id="every-field-fragments-aliases"),
        pytest.param(EVERYTHING, {"yes": False, "n": 7}, id="skip-and-include"),
        pytest.param(Q2, {"slug": "big", "n": 20}, id="event-page"),
        pytest.param(Q3, {"n": 20}, id="speakers-nested-pages"),
        pytest.param(ERROR_BELOW_SHORT_PATHS, None, id="error-under-a-loaded-list"),
        pytest.param(NESTED_ERROR_IN_NULLABLE, None, id="bad-cursor-deep-down"),
    ],
)
def test_same_answer_as_graphql_core(catalogue, query, variables):  # noqa: F811
    ours, theirs = run(schema, query, variables), run(reference, query, variables)
    assert ours == theirs
    if "-1" in query or "nonsense" in query:
        assert ours["errors"], "the query was meant to fail somewhere below a short path"
    else:
        assert not ours["errors"] and ours["data"]


def test_permissions_extensions_and_deprecations_answer_as_strawberry_does(catalogue):  # noqa: F811
    ours, theirs = run(probed, PROBED), run(probed_reference, PROBED)
    assert ours == theirs
    talks = ours["data"]["probedTalks"]
    assert len(talks) == 6
    assert all(t["secret"] is None and t["guardedSpeakers"] is None for t in talks)
    assert {t["shouted"] for t in talks} == {t["title"].upper() for t in talks}
    assert all(t["oldTitle"] == t["title"] for t in talks)
    assert [message for message, _ in ours["errors"]] == ["Nobody may read this."] * 12


def test_same_answer_when_nothing_was_prefetched(catalogue, monkeypatch):  # noqa: F811
    """Every relation still loading: the short paths hand every object to graphql-core."""

    async def no_prefetch(*args):
        return None

    monkeypatch.setattr("schema.queries.prefetch", no_prefetch)
    monkeypatch.setattr("schema.pagination.prefetch", no_prefetch)
    ours = run(schema, EVERYTHING, {"yes": True, "n": 10})
    assert ours == run(reference, EVERYTHING, {"yes": True, "n": 10})
    assert not ours["errors"] and len(ours["data"]["talks"]["edges"]) == 10


def test_objects_met_again_share_one_answer_and_stay_correct(catalogue):  # noqa: F811
    """A topic under many talks is completed once per selection; aliases that select
    different fields of it still get their own answers."""
    query = """{ talks(first: 30) { edges { node { topics { name }
      t: topics { slug talkCount } } } } }"""
    ours = run(schema, query)
    assert ours == run(reference, query)
    topics = [t for e in ours["data"]["talks"]["edges"] for t in e["node"]["t"]]
    assert len({t["slug"] for t in topics}) < len(topics), "no topic was met twice"


def test_events_joined_into_nested_pages_carry_every_column_asked_of_them(catalogue):  # noqa: F811
    """A nested page joins only the event columns its selection reads; aliases and
    fragments add theirs, and other parts of the query still see whole events."""
    query = """{ speakers(first: 5) { edges { node { talks(first: 3) { edges { node {
        a: event { name } b: event { city ... on Event { description startsOn } } } } } } } }
      events(first: 5) { edges { node { name url country talks(first: 2) { edges { node {
        event { slug kind } } } } } } } }"""
    ours = run(schema, query)
    assert ours == run(reference, query)
    assert not ours["errors"]
    node = ours["data"]["speakers"]["edges"][0]["node"]["talks"]["edges"][0]["node"]
    assert set(node["b"]) == {"city", "description", "startsOn"}


def test_same_answer_for_nodes_and_search_hits(catalogue):  # noqa: F811
    talk = Talk.objects.order_by("id").first()
    query = """query ($id: ID!, $q: String!) {
      node(id: $id) { ... on Talk { title event { name } speakers { name talkCount } } }
      search(query: $q, first: 5) { __typename ... on Talk { title topics { name } }
        ... on Speaker { name talkCount } ... on Event { name speakers { name } }
        ... on Topic { name talkCount } } }"""
    variables = {"id": global_id("Talk", talk.pk), "q": talk.title.split()[0]}
    ours = run(schema, query, variables)
    assert ours == run(reference, query, variables)
    assert ours["data"]["node"]["title"] == talk.title


@pytest.mark.parametrize(
    ("graphql_type", "model"),
    [
        (TalkType, Talk),
        (SpeakerType, Speaker),
        (EventType, Event),
        (TopicType, Topic),
        (RoomType, Room),
        (TrackType, Track),
    ],
)
def test_every_field_reads_a_loaded_column_or_a_loader(graphql_type, model):
    """A field outside these groups would read a deferred column: one query per object."""
    definition = graphql_type.__strawberry_definition__
    names = [schema.config.name_converter.get_graphql_name(f) for f in definition.fields]
    loaded_by_relations = set(RELATED_COLUMNS[model])
    # (lists of talks read by their own statement, whatever their parent holds)
    own_reads = ("id", "talks", "now", "next")
    for name in names:
        if name in own_reads or (name in relations_of(graphql_type) and name != "slot"):
            continue
        computed = COMPUTED.get((model, to_snake_case(name)))
        if computed is not None:
            needed = [model._meta.get_field(column).attname for column in computed]
            assert set(needed) <= loaded_by_relations, f"{model.__name__}.{name} is not loaded"
            continue
        column = model._meta.get_field(to_snake_case(name)).attname
        assert column in loaded_by_relations, f"{model.__name__}.{name} is not loaded"


def test_columns_follow_the_selection():
    from strawberry.types.nodes import SelectedField

    def field(name):
        return SelectedField(name=name, directives={}, arguments={}, selections=[])

    chosen = columns(Talk, [field(n) for n in ("title", "event", "speakers", "__typename")])
    assert chosen == ("event", "id", "title")


def test_selecting_every_field_costs_the_same_at_any_page_size(gql, catalogue, settings):  # noqa: F811
    settings.GRAPHQL_MAX_COST = 10**6  # 50 talks' speakers' events are counted as 100 each
    counts = []
    for n in (5, 50):
        with CaptureQueriesContext(connection) as captured:
            data = gql(EVERYTHING, {"yes": True, "n": n})
        counts.append(len(captured.captured_queries))
        assert len(data["talks"]["edges"]) == n
    assert counts[0] == counts[1], f"{counts}: a deferred column or relation was read per row"


def test_a_response_leaves_nothing_it_loaded_to_the_cyclic_collector(gql, catalogue):  # noqa: F811
    # graphql-core's execution context is a reference cycle that holds our context: what
    # the context still held after the response waited for a full collection (8,900
    # objects a request for the deep speakers query), the main cost of its throughput.
    gql(Q3, {})  # warm: first-use caches are not garbage
    gc.collect()
    gc.disable()
    try:
        assert gql(Q3, {})["speakers"]["edges"][0]["node"]["talks"]["edges"]
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        left = [o for o in gc.garbage if isinstance(o, Talk | Speaker | Event | Topic)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert left == [], f"{len(left)} model instances outlived the request"


def test_the_short_paths_run_on_the_releases_they_were_tested_with():
    assert schema.execution_context_class is ExecutionContext


def test_untested_releases_fall_back_to_strawberrys_executor(monkeypatch, caplog):
    from schema import execution

    monkeypatch.setitem(execution.TESTED_WITH, "graphql-core", "3.2")
    assert execution.execution_context_class() is None
    assert "GraphQL short paths off" in caplog.text
