"""Abuse limits, checked before any resolver runs, and the caches that make them free.

One schema extension parses each distinct query text once (with a token limit) and
validates each distinct document once (GraphQL's rules plus ours: depth, aliases, cost,
and introspection when it is switched off). Both results are kept in bounded LRU caches,
so a frontend repeating its queries pays for neither on later requests.

Cost counts the objects a query can return at most: a connection multiplies what is
below it by its page size (`first`/`last`, literal or from a variable, the default page
size when absent, never more than the page cap, which the resolvers enforce), any other
list by LIST_ESTIMATE. Scalars are free; introspection fields are not counted. Cost
needs the variables, so it is computed for each request, after validation and before
execution: a walk over the document, no SQL.
"""

from collections.abc import Iterator
from functools import lru_cache

from django.conf import settings
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    VariableNode,
    get_named_type,
    parse,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document as strawberry_validate

LIST_ESTIMATE = 10  # items assumed in a list without a page size (a talk's speakers, ...)
CACHE_SIZE = 512  # distinct query texts whose parse and validation results are kept


def limit_error(message: str, node=None) -> GraphQLError:
    return GraphQLError(message, node, extensions={"code": "QUERY_TOO_COMPLEX"})


def _unwrap(type_):
    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return type_


class _Walker:
    """Depth and cost of one operation, fragments expanded."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict | None = None,
    ):
        self.schema = schema
        self.fragments = fragments
        self.variables = variables or {}

    def selection(
        self, selection_set: SelectionSetNode, parent, seen: frozenset[str]
    ) -> tuple[int, int]:
        depth = cost = 0
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                d, c = self.field(node, parent, seen)
            elif isinstance(node, InlineFragmentNode):
                target = parent
                if node.type_condition is not None:
                    target = self.schema.get_type(node.type_condition.name.value) or parent
                d, c = self.selection(node.selection_set, target, seen)
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:
                    continue
                target = self.schema.get_type(fragment.type_condition.name.value) or parent
                d, c = self.selection(fragment.selection_set, target, seen | {name})
            else:
                continue
            depth, cost = max(depth, d), cost + c
        return depth, cost

    def field(self, node: FieldNode, parent, seen: frozenset[str]) -> tuple[int, int]:
        name = node.name.value
        if name.startswith("__") or node.selection_set is None:
            return 0, 0
        definition = getattr(parent, "fields", {}).get(name)
        if definition is None:  # unknown fields are reported by GraphQL's own rules
            return 0, 0
        type_ = _unwrap(definition.type)
        named = get_named_type(type_)
        multiplier = 1
        if isinstance(named, GraphQLObjectType) and named.name.endswith("Connection"):
            multiplier = self.page_size(node)
        elif isinstance(type_, GraphQLList) and not parent.name.endswith("Connection"):
            # (a connection's edges are already counted by the connection's page size)
            multiplier = self.page_size(node) if _argument(node, "first") else LIST_ESTIMATE
        depth, cost = self.selection(node.selection_set, named, seen)
        return depth + 1, multiplier * (1 + cost)

    def page_size(self, node: FieldNode) -> int:
        sizes = []
        for name in ("first", "last"):
            value = _argument(node, name)
            if isinstance(value, VariableNode):
                value = self.variables.get(value.name.value)
            elif isinstance(value, IntValueNode):
                value = int(value.value)
            if isinstance(value, int):
                sizes.append(value)
        if not sizes:
            return settings.GRAPHQL_DEFAULT_PAGE_SIZE
        return max(0, min(*sizes, settings.GRAPHQL_MAX_PAGE_SIZE))


def _argument(node: FieldNode, name: str):
    for argument in node.arguments or ():
        if argument.name.value == name:
            return argument.value
    return None


class OperationLimitsRule(ValidationRule):
    """Maximum depth and aliases of every operation in the document."""

    def enter_document(self, document: DocumentNode, *_args):
        walker = _Walker(self.context.schema, _fragments(document))
        for definition in document.definitions:
            if not isinstance(definition, OperationDefinitionNode):
                continue
            root = self.context.schema.get_root_type(definition.operation)
            if root is None:
                continue
            depth, _ = walker.selection(definition.selection_set, root, frozenset())
            if depth > settings.GRAPHQL_MAX_DEPTH:
                self.report_error(
                    limit_error(
                        f"{_label(definition)} is {depth} levels deep; the limit is "
                        f"{settings.GRAPHQL_MAX_DEPTH}.",
                        definition,
                    )
                )

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args):
        aliases = _count_aliases(node.selection_set)
        if aliases > settings.GRAPHQL_MAX_ALIASES:
            self.report_error(
                limit_error(
                    f"{_label(node)} uses {aliases} aliases; the limit is "
                    f"{settings.GRAPHQL_MAX_ALIASES}.",
                    node,
                )
            )


def _label(definition: OperationDefinitionNode) -> str:
    return f"'{definition.name.value}'" if definition.name else "The operation"


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def find_operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    """The operation a request runs: the one named `name`, or the first."""
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            name is None or (definition.name and definition.name.value == name)
        ):
            return definition
    return None


def check_cost(schema: GraphQLSchema, operation: OperationDefinitionNode, document, variables):
    """Raise a GraphQL error if the operation could return more objects than allowed."""
    root = schema.get_root_type(operation.operation)
    if root is None:
        return
    walker = _Walker(schema, _fragments(document), variables)
    _, cost = walker.selection(operation.selection_set, root, frozenset())
    if cost > settings.GRAPHQL_MAX_COST:
        raise limit_error(
            f"{_label(operation)} could return up to {cost:,} objects; the limit is "
            f"{settings.GRAPHQL_MAX_COST:,}. Ask for smaller pages or fewer nested lists.",
            operation,
        )


def _count_aliases(selection_set: SelectionSetNode | None) -> int:
    if selection_set is None:
        return 0
    count = 0
    for node in selection_set.selections:
        if isinstance(node, FieldNode) and node.alias is not None:
            count += 1
        count += _count_aliases(getattr(node, "selection_set", None))
    return count


@lru_cache(maxsize=CACHE_SIZE)
def parse_document(query: str, max_tokens: int) -> DocumentNode:
    return parse(query, max_tokens=max_tokens)


@lru_cache(maxsize=CACHE_SIZE)
def validate_document(
    schema: GraphQLSchema, document: DocumentNode, rules: tuple, introspection: bool
) -> list[GraphQLError]:
    rules = (*rules, OperationLimitsRule)
    if not introspection:
        rules = (*rules, NoSchemaIntrospectionCustomRule)
    return strawberry_validate(schema, document, rules)


class RequestLimits(SchemaExtension):
    """Parses and validates through the caches above, with the limits from settings."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query:
            try:
                context.graphql_document = parse_document(
                    context.query, settings.GRAPHQL_MAX_TOKENS
                )
            except GraphQLError as error:
                if "tokens" in error.message:
                    error.extensions = {"code": "QUERY_TOO_COMPLEX"}
                raise
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        errors = validate_document(
            context.schema._schema,
            context.graphql_document,
            tuple(context.validation_rules),
            settings.GRAPHQL_INTROSPECTION,
        )
        context.pre_execution_errors = list(errors)
        yield

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        operation = find_operation(document, context.operation_name)
        if operation is not None:
            check_cost(context.schema._schema, operation, document, context.variables)
        yield
