"""The one door to private API of strawberry, graphql-core and Django.

Everything here reaches past what those libraries document: a name that starts with an
underscore, or one their public packages do not export. Each use says what it relies
on; the releases are pinned in the lock files (strawberry-graphql 0.341, strawberry-
graphql-django 0.93, graphql-core 3.3, Django 5.2), and `tests/test_internals.py` fails
when an upgrade changes any of it. No other module of the product touches such a name
(`tests/test_layers.py` checks that), so an upgrade is checked here and nowhere else.

The executor's short paths (`schema.execution`) also override and call graphql-core's
`ExecutionContext` methods (`execute_fields`, `execute_field`, `collect_subfields`, ...),
which are public names but not a documented contract: that module is the one place the
product goes around graphql-core, with its own pins and twin tests against strawberry's
executor.
"""

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db.models import Model
from django.db.models.base import ModelState

# --- strawberry ---------------------------------------------------------------------


def graphql_schema(schema: Any) -> Any:
    """The graphql-core schema a strawberry `Schema` executes.

    Relies on: `strawberry.Schema._schema`, the `GraphQLSchema` strawberry builds and
    runs (strawberry has no public accessor; its own extensions read this attribute)."""
    return schema._schema


def is_relay_node_id(resolver: Any) -> bool:
    """Whether `resolver` is relay's own resolver of `Node.id`, which answers the global
    ID of the type's name and its `resolve_id`.

    Relies on: `strawberry.relay.Node._id`, the method strawberry declares as the
    resolver of every node's `id` field (a strawberry field's `base_resolver.wrapped_func`
    is that function)."""
    from strawberry import relay

    return getattr(resolver, "__func__", None) is relay.Node._id.__func__


def pass_subscription_events(schema: Any) -> None:
    """Let subscription fields take an argument named `event`.

    Relies on: strawberry resolving each event of a subscription field with
    `lambda event, *_, **__: event` (`GraphQLCoreConverter.from_field`), which graphql-core
    calls with the field's arguments as keywords: an argument named `event` is then given
    twice (TypeError). The resolve function here passes the event on and takes any
    arguments, which is what strawberry's does otherwise."""
    subscriptions = graphql_schema(schema).subscription_type
    for field in (subscriptions.fields if subscriptions else {}).values():
        field.resolve = _the_event


def _the_event(event: Any, info: Any, /, **arguments: Any) -> Any:
    return event


# --- graphql-core -------------------------------------------------------------------


def field_nodes(field_details_list: Sequence[Any]) -> list[Any]:
    """The field nodes of one field's group, as graphql-core's resolve info wants them.

    Relies on: graphql-core 3.3's `FieldDetails.node` (`graphql.execution.collect_fields`),
    which its own `to_nodes` reads (not exported)."""
    return [details.node for details in field_details_list]


def merging_rule_with_budget(budget: int) -> type:
    """graphql-core's `OverlappingFieldsCanBeMergedRule`, allowed `budget` comparisons
    of fields per document (its own default is 500,000) before it aborts validation
    with a `ValidationAbortedError`.

    Relies on: the rule keeping its budget in `self.rule_context.remaining_complexity_
    budget`, set in its `__init__` and spent by each comparison (graphql-core 3.3;
    its module constant `MAX_COMPLEXITY_BUDGET` sets it for every user of the rule)."""
    from graphql.validation import OverlappingFieldsCanBeMergedRule

    class BudgetedMerging(OverlappingFieldsCanBeMergedRule):
        def __init__(self, context) -> None:
            super().__init__(context)
            self.rule_context.remaining_complexity_budget = budget

    return BudgetedMerging


# --- Django -------------------------------------------------------------------------


def model_instance(model: type[Model], attnames: Iterable[str], values: Iterable, db: str):
    """An instance of `model` holding `values` for `attnames`, as `Model.from_db` builds
    it (fields not given stay deferred), in a third of the time: `Model.__init__` checks
    every field and sends two signals that nothing here receives. Worth it: with
    `Model.from_db` instead, the benchmark's pages took 10-16% longer at p50 (talk list
    1.13-1.16x, event page 1.10x, speakers with their talks 1.14-1.15x; search and one
    talk 1.00-1.03x; `bench/internals.py`, 20,000 talks, two runs of 2026-12-07).

    Relies on: `Model._state` being a `ModelState` whose `adding` and `db` say that the
    object came from database `db` (`_state` and those two attributes are documented;
    `ModelState()` built by hand is not), and deferred fields being those absent from
    the instance's `__dict__` (`Model.get_deferred_fields`)."""
    obj = model.__new__(model)
    obj.__dict__.update(zip(attnames, values, strict=True))
    state = obj._state = ModelState()
    state.adding, state.db = False, db
    return obj


def mark_saved(obj: Model, saved: Model) -> None:
    """Tell `obj` that its row is stored, where `saved` (another instance of the row,
    which a service wrote) says, as `Model.save` would have told it.

    Relies on: the documented `Model._state.adding` and `Model._state.db`."""
    obj._state.adding, obj._state.db = False, saved._state.db


def compiled_rows(queryset: Any) -> tuple[str, tuple, Callable[[list, Any], list]]:
    """The SQL and parameters a `values_list` queryset sends, and the function that turns
    the rows that SQL returns (and the connection that ran it) into the rows the
    queryset itself would give: Django's converters of the selected columns applied.

    Relies on: `SQLCompiler.as_sql()`, which compiles the query and fills the compiler's
    `select` and `col_count`, and `SQLCompiler.get_converters`, applied to each row as
    `SQLCompiler.apply_converters` applies them (Django 5.2), but with the connection
    that ran the statement rather than the compiler's."""
    compiler = queryset.query.get_compiler(queryset.db)
    sql, params = compiler.as_sql()
    converters = compiler.get_converters([s[0] for s in compiler.select[: compiler.col_count]])

    def converted(rows: list, connection: Any) -> list:
        if not converters:
            return rows
        return [tuple(row) for row in _converted(rows, converters, connection)]

    return sql, tuple(params), converted


def _converted(rows: Iterable, converters: dict, connection: Any) -> Iterable[list]:
    for row in rows:
        row = list(row)
        for position, (functions, expression) in converters.items():
            value = row[position]
            for function in functions:
                value = function(value, expression, connection)
            row[position] = value
        yield row
