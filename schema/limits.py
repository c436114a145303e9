"""Abuse limits, checked before any resolver runs, on strawberry's own extensions.

Strawberry's `MaxTokensLimiter`, `ParserCache` and `ValidationCache` parse each distinct
query text once (with the token limit) and validate each distinct document once, in
bounded LRU caches, so a frontend repeating its queries pays for neither on later
requests. `AddValidationRules` adds our rule for depth and aliases to GraphQL's, and the
introspection rule when introspection is switched off. What strawberry's
`QueryDepthLimiter` and `MaxAliasesLimiter` report (no error code, and not the depth
reached) is less than clients are promised here, hence `OperationLimitsRule`.

Cost counts the objects a query can return at most: a connection multiplies what is
below it by its page size (`first`/`last`, literal or from a variable, the default page
size when absent, never more than the page cap, which the resolvers enforce), any other
list by LIST_ESTIMATE. Scalars are free; introspection fields are not counted. Cost
needs the variables, so it is computed for each request, after validation and before
execution: a walk over the document, no SQL.
"""

from collections.abc import Callable, Iterator

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
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    ValidationRule,
    ValueNode,
    VariableNode,
    get_named_type,
)
from graphql.utilities import get_operation_ast
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)

from schema.errors import BadUserInput
from talks.text import bad_text

QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
LIST_ESTIMATE = 10  # items assumed in a list without a page size (a talk's speakers, ...)
CACHE_SIZE = 512  # distinct query texts whose parse and validation results are kept


def limit_error(message: str, node=None) -> GraphQLError:
    return GraphQLError(message, node, extensions={"code": QUERY_TOO_COMPLEX})


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


class CostLimit(SchemaExtension):
    """Refuses, before execution, an operation that could return too many objects."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        operation = get_operation_ast(document, context.operation_name)
        if operation is not None:
            check_cost(context.schema._schema, operation, document, context.variables)
        yield


def _arguments(
    selection_set: SelectionSetNode, fragments: dict, seen: frozenset[str], skip: bool
) -> Iterator[tuple[str, ValueNode]]:
    """(name, value) of the arguments of every field selected, fragments expanded; those
    of the fields right in `selection_set` left out if `skip`."""
    for node in selection_set.selections:
        if isinstance(node, FieldNode):
            if not skip:
                for argument in node.arguments or ():
                    yield argument.name.value, argument.value
            if node.selection_set is not None:
                yield from _arguments(node.selection_set, fragments, seen, False)
        elif isinstance(node, InlineFragmentNode):
            yield from _arguments(node.selection_set, fragments, seen, skip)
        elif isinstance(node, FragmentSpreadNode) and node.name.value not in seen:
            fragment = fragments.get(node.name.value)
            if fragment is not None:
                seen = seen | {node.name.value}
                yield from _arguments(fragment.selection_set, fragments, seen, skip)


def _value(node: ValueNode, variables: dict, defaults: dict) -> object:
    """What an argument's value holds that could be text, variables put in."""
    if isinstance(node, StringValueNode):
        return node.value
    if isinstance(node, VariableNode):
        name = node.name.value
        if name in variables:
            return variables[name]
        default = defaults.get(name)
        return None if default is None else _value(default, variables, defaults)
    if isinstance(node, ListValueNode):
        return [_value(item, variables, defaults) for item in node.values]
    if isinstance(node, ObjectValueNode):
        return {item.name.value: _value(item.value, variables, defaults) for item in node.fields}
    return None


class UnstorableText(SchemaExtension):
    """Refuses, before execution, text in an operation's arguments that no database
    stores alike (`talks.text`): one client error, whichever database answers. The input
    of a mutation itself is the services' to judge: they answer with an OperationInfo."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        operation = get_operation_ast(document, context.operation_name)
        if operation is not None:
            variables = context.variables or {}
            defaults = {
                definition.variable.name.value: definition.default_value
                for definition in operation.variable_definitions or ()
            }
            skip_root = operation.operation is OperationType.MUTATION
            found = _arguments(
                operation.selection_set, _fragments(document), frozenset(), skip_root
            )
            for name, node in found:
                for where, error in bad_text(_value(node, variables, defaults), name):
                    raise BadUserInput(f"`{where}`: {error.messages[0]}", argument=where)
        yield


class TokenLimitCode(SchemaExtension):
    """Gives the token limit's error (graphql-core's, raised while parsing) our code."""

    def on_operation(self) -> Iterator[None]:
        try:
            yield
        except GraphQLError as error:
            if "tokens" in error.message and error.extensions.get("code") is None:
                error.extensions = {**error.extensions, "code": QUERY_TOO_COMPLEX}
            raise


def _rules() -> AddValidationRules:
    rules = [OperationLimitsRule]
    if not settings.GRAPHQL_INTROSPECTION:
        rules.append(NoSchemaIntrospectionCustomRule)
    return AddValidationRules(rules)


def limit_extensions() -> list[type[SchemaExtension] | Callable[[], SchemaExtension]]:
    """The schema's extensions for the limits, in the order they must run; each is built
    per request, so the settings are read when a request comes."""
    return [
        TokenLimitCode,
        lambda: MaxTokensLimiter(max_token_count=settings.GRAPHQL_MAX_TOKENS),
        lambda: ParserCache(maxsize=CACHE_SIZE),
        _rules,
        lambda: ValidationCache(maxsize=CACHE_SIZE),
        CostLimit,
        UnstorableText,
    ]
