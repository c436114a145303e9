"""graphql-core's executor with short paths for the fields a large response is made of.

graphql-core resolves every field the same way: it builds a resolve info, reads the
arguments, and calls strawberry's resolver, which builds its own `Info`, converts the
arguments and runs the field's extension chain before reaching our function. A page of
500 talks has thousands of fields, and that machinery was most of its time. These
fields skip it:

- plain fields (strawberry marks them basic: no resolver, no extensions), such as
  `title`, a connection's `edges` or an edge's `node`: the attribute is read directly;
- relation fields (`Talk.event`, `Speaker.talkCount`, ...; see `schema.prefetch`) whose
  value is already loaded: the value is taken from the DataLoader cache.

A scalar or enum is coerced; an object, or a list of objects, is type-checked and its
own fields executed, skipping graphql-core's general value completion and per-item
bookkeeping. Anything unusual (a null, a failed coercion, a value still loading, an
object of the wrong type) goes through graphql-core's normal path, which gives the same
answer and the same errors it always did. Short-path object fields are typed `Object`,
`Object!` or `[Object!]!`, so an error below one of their objects propagates to the
field itself, which is where the short path handles it, as graphql-core would.
"""

from collections.abc import Sequence
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    is_leaf_type,
)
from graphql.pyutils import Path, Undefined, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.loaders import is_pending
from schema.prefetch import RELATION_METADATA, resolve_relation

LEAF, ONE, MANY = "leaf", "one", "many"


class _Plan:
    """How a field can take a short path: `kind` is LEAF, ONE or MANY."""

    __slots__ = ("attribute", "field", "kind", "leaf_type", "object_type", "relation")

    def __init__(self, field: GraphQLField, kind: str, **details: Any) -> None:
        self.field = field  # held so that the plan's key, the field's id, stays unique
        self.kind = kind
        self.leaf_type = details.get("leaf_type")
        self.attribute = details.get("attribute")
        self.relation = details.get("relation")
        self.object_type = details.get("object_type")


_plans: dict[int, _Plan | None] = {}


def _plan(field: GraphQLField) -> _Plan | None:
    definition = (field.extensions or {}).get("strawberry-definition")
    if definition is None or field.args:
        return None
    relation = definition.metadata.get(RELATION_METADATA)
    if relation is not None:
        source = {"relation": relation}
    elif getattr(field.resolve, "_is_default", False):
        source = {"attribute": definition.python_name}
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
                field = fields.get(field_details_list[0].node.name.value)
                plan = None
                if field is not None:
                    key = id(field)
                    plan = _plans[key] if key in _plans else _plans.setdefault(key, _plan(field))
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
        if plan.attribute is not None:
            value = getattr(source, plan.attribute, None)
        else:
            value = resolve_relation(self.context_value.loaders, source, plan.relation)
            if is_pending(value):
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
        completed: list[Any] = []
        awaitable_indices: list[int] = []
        try:
            for index, item in enumerate(items):
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
