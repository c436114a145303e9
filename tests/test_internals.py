"""What `internals` relies on in strawberry, graphql-core and Django, checked against the
installed releases: each test fails when an upgrade changes what one of its functions
assumes."""

import pytest
from django.contrib.auth.models import User
from django.db import connection
from graphql import GraphQLSchema, parse, validate
from graphql.execution.collect_fields import FieldDetails
from graphql.execution.executor import to_nodes
from strawberry import relay

from internals import (
    compiled_rows,
    field_nodes,
    graphql_schema,
    is_relay_node_id,
    mark_saved,
    model_instance,
)
from schema.schema import schema
from talks.models import Talk
from tests.factories import TalkFactory


def test_graphql_schema_is_the_graphql_core_schema_strawberry_built_and_runs():
    built = graphql_schema(schema)
    assert isinstance(built, GraphQLSchema)
    talks = built.query_type.fields["talks"]
    assert talks.extensions["strawberry-definition"].python_name == "talks"
    assert validate(built, parse("{ talks(first: 1) { totalCount } }")) == []
    assert validate(built, parse("{ nope }")) != []


def test_relay_node_id_is_the_resolver_strawberry_gives_every_node_id():
    for type_name in ("Talk", "Speaker"):
        id_field = graphql_schema(schema).get_type(type_name).fields["id"]
        definition = id_field.extensions["strawberry-definition"]
        assert is_relay_node_id(definition.base_resolver.wrapped_func)
    assert not is_relay_node_id(relay.Node.resolve_id)
    assert not is_relay_node_id(None)


def test_field_nodes_are_what_graphql_core_gives_a_resolve_info():
    operation = parse("{ a: talks { totalCount } talks { totalCount } }").definitions[0]
    details = [FieldDetails(node, None) for node in operation.selection_set.selections]
    assert field_nodes(details) == to_nodes(details) == list(operation.selection_set.selections)


@pytest.mark.django_db
def test_compiled_rows_run_and_convert_as_the_queryset_does():
    talk = TalkFactory(duration_minutes=30)
    queryset = Talk.objects.filter(pk=talk.pk).values_list(
        "id", "recorded_on", "created_at", "duration_minutes", "event__starts_on"
    )
    sql, params, converted = compiled_rows(queryset)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = converted(cursor.fetchall(), connection)
    expected = list(queryset)
    assert rows == expected
    assert [type(value) for value in rows[0]] == [type(value) for value in expected[0]]


@pytest.mark.django_db
def test_model_instance_is_what_from_db_builds():
    talk = TalkFactory(title="Built by hand", duration_minutes=30)
    columns = ["id", "title", "event_id"]
    values = [talk.id, talk.title, talk.event_id]
    built = model_instance(Talk, columns, values, "default")
    stock = Talk.from_db("default", columns, values)
    assert type(built) is type(stock) is Talk
    assert {name: built.__dict__[name] for name in columns} == {
        name: stock.__dict__[name] for name in columns
    }
    assert built.get_deferred_fields() == stock.get_deferred_fields()
    assert "duration_minutes" in built.get_deferred_fields()
    assert (built._state.adding, built._state.db) == (stock._state.adding, stock._state.db)
    assert built.duration_minutes == 30  # a deferred field loads on first use
    assert built.event == talk.event
    built.title = "Renamed"
    built.save(update_fields=["title"])  # an update of the row, not an insert
    assert Talk.objects.get(pk=talk.pk).title == "Renamed"
    assert Talk.objects.count() == 1


@pytest.mark.django_db
def test_mark_saved_makes_an_instance_update_the_row_it_stands_for():
    saved = User.objects.create_user("stored")
    twin = User(pk=saved.pk, username="stored", password=saved.password)
    assert twin._state.adding and twin._state.db is None
    mark_saved(twin, saved)
    assert (twin._state.adding, twin._state.db) == (False, "default")
    twin.first_name = "Edited"
    twin.save()
    assert User.objects.count() == 1
    assert User.objects.get(pk=saved.pk).first_name == "Edited"


def test_strawberry_still_resolves_subscription_events_by_a_parameter_named_event():
    # pass_subscription_events exists because of this: when it fails, strawberry has
    # changed its resolver and the workaround can go (schema.schema.build_schema).
    import asyncio

    import strawberry

    @strawberry.type
    class Query:
        ok: bool = True

    @strawberry.type
    class Subscription:
        @strawberry.subscription
        async def ticks(self, event: int | None = None) -> int:
            yield 1

    stock = strawberry.Schema(query=Query, subscription=Subscription)

    async def first(built) -> object:
        results = await built.subscribe("subscription { ticks(event: 3) }")
        async for result in results:
            return result

    failed = asyncio.run(first(stock))
    assert "multiple values for argument 'event'" in str(failed.errors[0])
    from internals import pass_subscription_events

    pass_subscription_events(stock)
    assert asyncio.run(first(stock)).data == {"ticks": 1}
