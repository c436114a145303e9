"""graphql-core's executor with short paths for the fields a large response is made of.

The one place the API goes around strawberry and graphql-core for speed, and so longer
than our other modules: it is one mechanism, read as a whole. It overrides graphql-core
3.3's `ExecutionContext.execute_fields` (through strawberry's subclass) and calls its
`execute_field`, `collect_subfields`, `collect_and_execute_subfields`,
`build_resolve_info`, `complete_awaitable_value`, `handle_field_error` and
`settle_in_background`; it reads strawberry's and strawberry-django's field
definitions; the private names it needs come through `internals`. `TESTED_WITH` and
pyproject.toml hold those packages to the releases this was tested with
(`execution_context_class` falls back to strawberry's executor otherwise), and
`tests/schema/test_execution.py` runs every kind of query through it and through
strawberry's own executor, which must give the same answers and errors.

graphql-core resolves every field alike: a resolve info, the arguments, strawberry's
resolver with its own `Info`, argument conversion and extension chain, then ours. A page
of 500 talks has thousands of fields, and that was most of its time. A field without
extensions or permission classes skips it when it is:

- a field without a resolver or arguments, of strawberry's own class (an edge's `node`)
  or strawberry-django's reading a plain model column (`title`): the attribute is read;
- relay's `id` on a strawberry-django type whose id is the model's `id`;
- a relation (`schema.relations.RelationField`) already loaded: the DataLoader's value;
- a nested talk page (`schema.pagination.TalkPagesField`) that an earlier parent worked
  out: it is served without reading the arguments again.

Anything else runs as strawberry runs it. A scalar is coerced; objects are type-checked
and their fields executed without graphql-core's general value completion. When every
field below an object takes a short path (a "shape": `title event { name }`), the object
is completed by one plain function, and an object met again under the same selection (a
topic of many talks) reuses its answer. Anything unusual (a null where none is allowed,
a failed coercion, a value still loading) takes graphql-core's normal path, which gives
the same answer and errors; short-path object fields are typed `Object`, `Object!` or
`[Object!]!`, so an error below one of their objects propagates to the field itself,
where the short path handles it as graphql-core would.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from importlib.metadata import version
from typing import Any

from django.conf import settings
from django.db.models.query_utils import DeferredAttribute
from graphql import (
    GraphQLBoolean,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLString,
    OperationType,
    TypeNameMetaFieldDef,
    is_leaf_type,
)
from graphql.pyutils import Path, Undefined, gather_with_cancel
from strawberry import relay
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.field import StrawberryField
from strawberry_django.fields.field import StrawberryDjangoField
from strawberry_django.relay import resolve_model_id

from internals import field_nodes, is_relay_node_id
from schema.ids import global_id
from schema.loaders import MISSING
from schema.pagination import TalkPagesField
from schema.relations import RelationField

# The releases this module was written for and tested with, as pyproject.toml pins them.
TESTED_WITH = {
    "graphql-core": "3.3",
    "strawberry-graphql": "0.341",
    "strawberry-graphql-django": "0.93",
}

LEAF, ONE, MANY, GLOBAL_ID, TYPENAME, PAGE = "leaf", "one", "many", "global_id", "typename", "page"

# Output types whose Python values graphql-core passes through unchanged, by type.
_SAME_OUTPUT = {
    GraphQLString: str,
    GraphQLBoolean: bool,
    GraphQLFloat: float,
    GraphQLID: str,
    GraphQLInt: int,
}
_INT_RANGE = range(-(2**31), 2**31)


@dataclass(slots=True)
class _Plan:
    """How a field can take a short path: `kind` is LEAF, ONE, MANY, GLOBAL_ID, TYPENAME
    or PAGE."""

    field: GraphQLField
    kind: str
    leaf_type: Any = None
    attribute: str | None = None
    relation: Any = None
    object_type: Any = None
    type_name: str | None = None
    page: Any = None
    nullable: bool = dataclass_field(init=False)
    same_output: type | None = dataclass_field(init=False)

    def __post_init__(self) -> None:
        self.nullable = not isinstance(self.field.type, GraphQLNonNull)
        self.same_output = _SAME_OUTPUT.get(self.leaf_type)


# The plans of each object type's fields, by field name; None: no short path.
_plans: dict[GraphQLObjectType, dict[str, _Plan | None]] = {}


def _plan(parent_type: GraphQLObjectType, field: GraphQLField) -> _Plan | None:
    definition = (field.extensions or {}).get("strawberry-definition")
    if definition is None or definition.extensions or definition.permission_classes:
        return None
    if type(definition) is TalkPagesField:
        return _Plan(field, PAGE, page=definition)
    if field.args:
        return None
    if type(definition) is RelationField:
        source: dict[str, Any] = {"relation": definition}
    elif (attribute := _plain_attribute(definition)) is not None:
        source = {"attribute": attribute}
    elif _is_model_node_id(parent_type, definition):
        return _Plan(field, GLOBAL_ID, type_name=parent_type.name)
    else:
        return None
    field_type = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    if is_leaf_type(field_type):
        return _Plan(field, LEAF, leaf_type=field_type, **source)
    if isinstance(field_type, GraphQLObjectType):
        return _Plan(field, ONE, object_type=field_type, **source)
    item_type = field_type.of_type if isinstance(field_type, GraphQLList) else None
    if (
        isinstance(field.type, GraphQLNonNull)
        and isinstance(item_type, GraphQLNonNull)
        and isinstance(item_type.of_type, GraphQLObjectType)
    ):
        return _Plan(field, MANY, object_type=item_type.of_type, **source)
    return None


def _plain_attribute(definition: Any) -> str | None:
    """The attribute a field without a resolver only reads, or None if it does more."""
    if definition.base_resolver is not None:
        return None
    kind = type(definition)
    if kind is StrawberryField:
        return definition.python_name
    if kind is StrawberryDjangoField and not definition.is_relation:
        model = definition.origin_django_type.model
        column = getattr(model, definition.django_name, None)
        if type(column) is DeferredAttribute:  # not a file, a property, a relation
            return column.field.attname
    return None


def _is_model_node_id(parent_type: GraphQLObjectType, definition: Any) -> bool:
    """Whether the field is relay's `id` on a strawberry-django type, which resolves it as
    the global ID of the type's name and the model's `id`."""
    resolver = getattr(definition.base_resolver, "wrapped_func", None)
    origin = getattr((parent_type.extensions or {}).get("strawberry-definition"), "origin", None)
    django = getattr(origin, "__strawberry_django_definition__", None)
    return (
        is_relay_node_id(resolver)
        and django is not None
        and django.model._meta.pk.attname == "id"
        and origin.resolve_id_attr() in ("pk", "id")
        and getattr(origin.resolve_id, "__func__", None) is resolve_model_id
        and origin.resolve_typename.__func__ is relay.Node.resolve_typename.__func__
    )


def _field_plan(parent_type: GraphQLObjectType, name: str, field: GraphQLField) -> _Plan | None:
    plans = _plans.get(parent_type)
    if plans is None:
        plans = _plans[parent_type] = {}
    if name not in plans:
        plans[name] = _plan(parent_type, field)
    return plans[name]


_TYPENAME_PLAN = _Plan(TypeNameMetaFieldDef, TYPENAME)


class _Shape:
    """A selection on an object type whose every field, all the way down, has a short
    path: its value for an object is a pure function of the object and the loaders'
    caches, computed without graphql-core (see `ExecutionContext._complete_shape`)."""

    __slots__ = ("accepted", "fields", "is_type_of")

    def __init__(self, object_type: GraphQLObjectType, fields: list) -> None:
        self.is_type_of = object_type.is_type_of
        self.accepted: set[type] = set()  # Python types `is_type_of` said yes to
        self.fields: list[tuple[str, _Plan, _Shape | None]] = fields


class _Fallback(Exception):
    """This object needs graphql-core's normal path."""


def _all_of_type(object_type: GraphQLObjectType, items: Any) -> bool:
    """Whether `items` is a list of non-null values that `object_type` accepts."""
    if not isinstance(items, list):
        return False
    is_type_of = object_type.is_type_of
    try:
        return all(
            item is not None and (is_type_of is None or is_type_of(item, None) is True)
            for item in items
        )
    except Exception:  # a check that needs more than the object: the normal path
        return False


def _coerced(leaf_type: Any, value: Any) -> Any:
    """`value` as the leaf type's output, or None if the normal path has to deal with it."""
    if value is None:
        return None
    try:
        coerced = leaf_type.coerce_output_value(value)
    except Exception:  # the normal path reports it
        return None
    return None if coerced is Undefined else coerced


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Any:
        # Errors in variables say nothing of the schema that introspection would not.
        kwargs["hide_suggestions"] = not settings.GRAPHQL_INTROSPECTION
        return super().build(*args, **kwargs)

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        manager = self.middleware_manager
        if manager is not None and manager.middlewares:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        fields = parent_type.fields
        is_awaitable = self.is_awaitable
        results: dict[str, Any] = {}
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list in grouped_field_set.items():
                name = field_details_list[0].node.name.value
                field = fields.get(name)
                plan = None if field is None else _field_plan(parent_type, name, field)
                result = Undefined
                if plan is not None:
                    result = self._short_path(
                        plan,
                        parent_type,
                        source_value,
                        path,
                        response_name,
                        field_details_list,
                        position_context,
                    )
                if result is Undefined:
                    result = self.execute_field(
                        parent_type,
                        source_value,
                        field_details_list,
                        Path(path, response_name, parent_type.name),
                        position_context,
                    )
                    if result is Undefined:
                        continue
                results[response_name] = result
                if is_awaitable(result):
                    awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[name] for name in awaitable_fields])
            raise
        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            awaited = await gather_with_cancel(*(results[name] for name in awaitable_fields))
            results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()

    def _serve_page(
        self,
        plan: _Plan,
        parent_type: GraphQLObjectType,
        source: Any,
        field_path: Path,
        field_details_list: Sequence[Any],
        position_context: Any,
    ) -> Any:
        """A nested talk page from what the field's first parent worked out, without
        reading the arguments again; Undefined for the first parent."""
        served = plan.page.serve(self.context_value, source, field_path)
        if served is None:
            return Undefined
        field = plan.field
        info = self.build_resolve_info(
            field, field_nodes(field_details_list), parent_type, field_path
        )
        return self.complete_awaitable_value(
            field.type, field_details_list, info, field_path, served, position_context
        )

    def _short_path(
        self,
        plan: _Plan,
        parent_type: GraphQLObjectType,
        source: Any,
        path: Path | None,
        response_name: str,
        field_details_list: Sequence[Any],
        position_context: Any,
    ) -> Any:
        """The field's completed value, or Undefined to take the normal path."""
        if plan.kind is PAGE:
            field_path = Path(path, response_name, parent_type.name)
            return self._serve_page(
                plan, parent_type, source, field_path, field_details_list, position_context
            )
        if plan.kind == GLOBAL_ID:
            pk = getattr(source, "__dict__", {}).get("id")
            return Undefined if pk is None else global_id(plan.type_name, pk)
        if plan.attribute is not None:
            value = getattr(source, "__dict__", {}).get(plan.attribute, MISSING)
        else:
            value = plan.relation.loaded(self.context_value.loaders, source)
        if value is MISSING:
            return Undefined
        if plan.kind == LEAF:
            coerced = _coerced(plan.leaf_type, value)
            return Undefined if coerced is None else coerced
        object_type = plan.object_type
        # A null, even where allowed, and anything of the wrong type: the normal path.
        items = value if plan.kind == MANY else [value]
        if not _all_of_type(object_type, items):
            return Undefined
        field_path = Path(path, response_name, parent_type.name)
        return self._complete_objects(
            plan,
            object_type,
            items,
            field_path,
            field_details_list,
            position_context,
            many=plan.kind == MANY,
        )

    def _complete_objects(
        self,
        plan: _Plan,
        object_type: GraphQLObjectType,
        items: list,
        field_path: Path,
        field_details_list: Any,
        position_context: Any,
        *,
        many: bool,
    ) -> Any:
        return_type: GraphQLOutputType = plan.field.type
        is_awaitable = self.is_awaitable
        shape = self._shape(object_type, field_details_list)
        completed: list[Any] = []
        awaitable_indices: list[int] = []
        try:
            for index, item in enumerate(items):
                if shape is not None:
                    try:
                        completed.append(self._complete_shape(shape, item))
                        continue
                    except _Fallback:
                        pass
                item_path = field_path.add_key(index, None) if many else field_path
                result = self.collect_and_execute_subfields(
                    object_type, field_details_list, item_path, item, position_context
                )
                if is_awaitable(result):
                    awaitable_indices.append(index)
                completed.append(result)
        except Exception as raw_error:
            if awaitable_indices:
                self.settle_in_background([completed[i] for i in awaitable_indices])
            self.handle_field_error(raw_error, return_type, field_details_list, field_path)
            return None
        if not awaitable_indices:
            return completed if many else completed[0]

        async def await_completed() -> Any:
            try:
                awaited = await gather_with_cancel(*(completed[i] for i in awaitable_indices))
            except Exception as raw_error:
                self.handle_field_error(raw_error, return_type, field_details_list, field_path)
                return None
            for index, result in zip(awaitable_indices, awaited, strict=True):
                completed[index] = result
            return completed if many else completed[0]

        return await_completed()

    def _shape(self, object_type: GraphQLObjectType, field_details_list: Any) -> _Shape | None:
        """The pure shape of this selection on `object_type`, or None if some field
        below it needs graphql-core (arguments, a resolver of its own, @defer)."""
        if self.operation.operation is not OperationType.QUERY:
            return None  # a mutation's objects can change between its fields
        shapes = self.context_value.shapes
        key = (object_type, id(field_details_list))
        if key in shapes:
            return shapes[key][1]
        shapes[key] = (field_details_list, None)  # None while it is being built
        shape = self._build_shape(object_type, field_details_list)
        shapes[key] = (field_details_list, shape)
        return shape

    def _build_shape(
        self, object_type: GraphQLObjectType, field_details_list: Any
    ) -> _Shape | None:
        grouped_field_set, new_defer_usages, _ = self.collect_subfields(
            object_type, field_details_list
        )
        if new_defer_usages:
            return None
        fields = []
        for response_name, details in grouped_field_set.items():
            name = details[0].node.name.value
            if name == "__typename":
                fields.append((response_name, _TYPENAME_PLAN, object_type.name))
                continue
            field = object_type.fields.get(name)
            plan = None if field is None else _field_plan(object_type, name, field)
            if plan is None or plan.kind is PAGE:
                return None
            child = None
            if plan.kind in (ONE, MANY):
                child = self._shape(plan.object_type, details)
                if child is None:
                    return None
            fields.append((response_name, plan, child))
        return _Shape(object_type, fields)

    def _complete_shape(self, shape: _Shape, obj: Any) -> dict[str, Any]:
        """`obj` completed for `shape`; raises _Fallback for anything unusual.

        A query's data cannot change while it runs, so an object met again under the
        same selection (a topic of many talks) shares its first completion.
        """
        completed = self.context_value.completed_shapes
        key = (shape, id(obj))
        if key in completed:
            return completed[key][1]
        kind = type(obj)
        if kind not in shape.accepted:
            is_type_of = shape.is_type_of
            if obj is None or (is_type_of is not None and is_type_of(obj, None) is not True):
                raise _Fallback
            shape.accepted.add(kind)
        loaders = self.context_value.loaders
        values = getattr(obj, "__dict__", None)
        if values is None:
            raise _Fallback
        result: dict[str, Any] = {}
        for response_name, plan, child in shape.fields:
            kind = plan.kind
            if kind is TYPENAME:
                result[response_name] = child
                continue
            if kind is GLOBAL_ID:
                pk = values.get("id")
                if pk is None:
                    raise _Fallback
                result[response_name] = global_id(plan.type_name, pk)
                continue
            if plan.attribute is not None:
                value = values.get(plan.attribute, MISSING)
            else:
                value = plan.relation.loaded(loaders, obj)
            if value is MISSING:
                raise _Fallback
            if value is None:
                if not plan.nullable:
                    raise _Fallback
                result[response_name] = None
            elif kind is LEAF:
                if type(value) is not plan.same_output:
                    value = _coerced(plan.leaf_type, value)
                    if value is None:
                        raise _Fallback
                elif value.__class__ is int and value not in _INT_RANGE:
                    raise _Fallback
                result[response_name] = value
            elif kind is ONE:
                result[response_name] = self._complete_shape(child, value)
            else:
                if type(value) is not list:
                    raise _Fallback
                result[response_name] = [self._complete_shape(child, item) for item in value]
        completed[key] = (obj, result)
        return result


def execution_context_class() -> type | None:
    """This module's ExecutionContext if the installed releases are those it was tested
    with; otherwise None (strawberry's own executor: slower, never wrong), and a warning."""
    found = {name: version(name) for name in TESTED_WITH}
    untested = {
        name: found[name]
        for name, tested in TESTED_WITH.items()
        if found[name].split(".")[:2] != tested.split(".")
    }
    if untested:
        logging.getLogger(__name__).warning(
            "GraphQL short paths off: untested releases %s (tested with %s)", untested, TESTED_WITH
        )
        return None
    return ExecutionContext
