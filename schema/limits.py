"""Abuse limits, checked before any resolver runs, on strawberry's own extensions.

Strawberry's `MaxTokensLimiter`, `ParserCache` and `ValidationCache` parse each distinct
query text once (with the token limit) and validate each distinct document once, in
bounded LRU caches, so a frontend repeating its queries pays for neither on later
requests. `AddValidationRules` adds our rule for depth and aliases to GraphQL's, and the
introspection rule when introspection is switched off. What strawberry's
`QueryDepthLimiter` and `MaxAliasesLimiter` report (no error code, and not the depth
reached) is less than clients are promised here, hence `OperationLimitsRule`.

Cost counts the objects a query can return at most: a connection multiplies what is
below it by its page size (`first`/`last`, literal or from a variable, else the field's
default or the default page size, never more than the page cap, which the resolvers
enforce); a relation list by the `estimate` it declares (`schema.relations.relation`),
any other list by LIST_ESTIMATE. Introspection counts like any query, its lists by this
schema's own sizes (`introspection_sizes`). Scalars are free. Cost needs the variables,
so it is computed for each request, after validation and before execution: a walk over
the document, no SQL. Depth counts every field with a selection, introspection's too.
"""

import math
from collections.abc import Callable, Iterator
from functools import cache

from django.conf import settings
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
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
    SchemaMetaFieldDef,
    SelectionSetNode,
    StringValueNode,
    TypeMetaFieldDef,
    ValidationRule,
    ValueNode,
    VariableNode,
    get_named_type,
    is_enum_type,
    is_input_object_type,
    is_interface_type,
    is_object_type,
    is_union_type,
)
from graphql.utilities import get_operation_ast
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, SchemaExtension

from internals import graphql_schema
from schema.documents import DocumentCache
from schema.errors import BadUserInput, QueryTooComplex
from talks.text import bad_text

LIST_ESTIMATE = 10  # items assumed in a list without a page size (a talk's speakers, ...)


@cache
def introspection_sizes(schema: GraphQLSchema) -> dict[tuple[str, str], int]:
    """How many items each list of introspection returns for this schema, on average
    (`__Type.fields` of a type, ...): the cost of a full introspection is then about the
    number of objects it returns."""
    types = list(schema.type_map.values())
    fields = [
        f for t in types if is_object_type(t) or is_interface_type(t) for f in t.fields.values()
    ]

    def per(total: int, count: int) -> int:
        return max(1, math.ceil(total / max(count, 1)))

    def total(kind, attribute: str) -> int:
        return sum(len(getattr(t, attribute)) for t in types if kind(t))

    def wrappers(type_) -> int:
        count = 0
        while hasattr(type_, "of_type"):
            type_, count = type_.of_type, count + 1
        return count

    typed = [*fields, *(arg for field in fields for arg in field.args.values())]
    directives = schema.directives
    return {
        # A chain of `ofType` is as long as the schema's most wrapped type, then null.
        ("__Type", "ofType"): max(wrappers(item.type) for item in typed),
        ("__Schema", "types"): len(types),
        ("__Schema", "directives"): len(directives),
        ("__Type", "fields"): per(len(fields), len(types)),
        ("__Type", "inputFields"): per(total(is_input_object_type, "fields"), len(types)),
        ("__Type", "interfaces"): per(total(is_object_type, "interfaces"), len(types)),
        ("__Type", "possibleTypes"): per(total(is_union_type, "types"), len(types)),
        ("__Type", "enumValues"): per(total(is_enum_type, "values"), len(types)),
        ("__Field", "args"): per(sum(len(f.args) for f in fields), len(fields)),
        ("__Directive", "args"): per(sum(len(d.args) for d in directives), len(directives)),
    }


def _definition(schema: GraphQLSchema, parent, name: str):
    """The field `name` of `parent`, introspection's entry points included."""
    if name == "__schema" and parent is schema.query_type:
        return SchemaMetaFieldDef
    if name == "__type" and parent is schema.query_type:
        return TypeMetaFieldDef
    return getattr(parent, "fields", {}).get(name)


def _unwrap(type_):
    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return type_


class _Walker:
    """Depth and cost of one operation, fragments expanded. A fragment is walked once per
    type it is spread on, however many times it is spread: a document whose fragments
    each spread the next twice has a cost that doubles with every fragment, but working
    it out must not."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict | None = None,
    ):
        self.schema = schema
        self.fragments = fragments
        self.variables = variables or {}
        self.walked: dict[tuple[str, str, int], tuple[int, int]] = {}
        self.chain = 0  # how many `ofType` the walk is inside: past the schema's wrapping, null

    def selection(self, selection_set: SelectionSetNode, parent) -> tuple[int, int]:
        depth = cost = 0
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                d, c = self.field(node, parent)
            elif isinstance(node, InlineFragmentNode):
                target = parent
                if node.type_condition is not None:
                    target = self.schema.get_type(node.type_condition.name.value) or parent
                d, c = self.selection(node.selection_set, target)
            elif isinstance(node, FragmentSpreadNode):
                d, c = self.fragment(node.name.value, parent)
            else:
                continue
            depth, cost = max(depth, d), cost + c
        return depth, cost

    def fragment(self, name: str, parent) -> tuple[int, int]:
        fragment = self.fragments.get(name)
        if fragment is None:
            return 0, 0
        target = self.schema.get_type(fragment.type_condition.name.value) or parent
        key = (name, target.name, self.chain)
        if key not in self.walked:
            self.walked[key] = (0, 0)  # while it is walked: a cycle, which GraphQL refuses
            self.walked[key] = self.selection(fragment.selection_set, target)
        return self.walked[key]

    def field(self, node: FieldNode, parent) -> tuple[int, int]:
        name = node.name.value
        if node.selection_set is None:
            return 0, 0
        definition = _definition(self.schema, parent, name)
        if definition is None:  # unknown fields are reported by GraphQL's own rules
            return 0, 0
        type_ = _unwrap(definition.type)
        named = get_named_type(type_)
        multiplier = 1
        if isinstance(named, GraphQLObjectType) and named.name.endswith("Connection"):
            multiplier = self.page_size(node, definition)
        elif isinstance(type_, GraphQLList) and not parent.name.endswith("Connection"):
            # (a connection's edges are already counted by the connection's page size)
            multiplier = self.list_size(node, definition, parent)
        if (parent.name, name) == ("__Type", "ofType"):
            self.chain += 1
            try:
                depth, cost = self.selection(node.selection_set, named)
            finally:
                self.chain -= 1
            wrapping = introspection_sizes(self.schema)[parent.name, name]
            return depth + 1, 0 if self.chain >= wrapping else 1 + cost
        depth, cost = self.selection(node.selection_set, named)
        return depth + 1, multiplier * (1 + cost)

    def list_size(self, node: FieldNode, definition, parent) -> int:
        if "first" in definition.args:
            return self.page_size(node, definition)
        if parent.name.startswith("__"):
            return introspection_sizes(self.schema).get((parent.name, node.name.value), 1)
        declared = (definition.extensions or {}).get("strawberry-definition")
        return getattr(declared, "estimate", None) or LIST_ESTIMATE

    def page_size(self, node: FieldNode, definition) -> int:
        sizes = []
        for name in ("first", "last"):
            value = _argument(node, name)
            if isinstance(value, VariableNode):
                value = self.variables.get(value.name.value)
            elif isinstance(value, IntValueNode):
                value = int(value.value)
            elif value is None and name in definition.args:  # not given: the default
                value = definition.args[name].default_value
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
            depth, _ = walker.selection(definition.selection_set, root)
            if depth > settings.GRAPHQL_MAX_DEPTH:
                self.report_error(
                    QueryTooComplex(
                        f"{_label(definition)} is {depth} levels deep; the limit is "
                        f"{settings.GRAPHQL_MAX_DEPTH}.",
                        definition,
                    )
                )

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args):
        fields = _fields(node.selection_set, _fragments(self.context.document))
        aliases = sum(1 for field, _ in fields if field.alias is not None)
        if aliases > settings.GRAPHQL_MAX_ALIASES:
            self.report_error(
                QueryTooComplex(
                    f"{_label(node)} uses {aliases} aliases; the limit is "
                    f"{settings.GRAPHQL_MAX_ALIASES}.",
                    node,
                )
            )


def _label(definition: OperationDefinitionNode) -> str:
    return f"'{definition.name.value}'" if definition.name else "The operation"


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def check_cost(
    schema: GraphQLSchema, operation: OperationDefinitionNode, document, variables
) -> int:
    """The operation's cost; a GraphQL error if it could return more objects than allowed."""
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    walker = _Walker(schema, _fragments(document), variables)
    _, cost = walker.selection(operation.selection_set, root)
    if cost > settings.GRAPHQL_MAX_COST:
        raise QueryTooComplex(
            f"{_label(operation)} could return up to {cost:,} objects; the limit is "
            f"{settings.GRAPHQL_MAX_COST:,}. Ask for smaller pages or fewer nested lists.",
            operation,
        )
    return cost


def _fields(selection_set: SelectionSetNode, fragments: dict) -> Iterator[tuple[FieldNode, bool]]:
    """Every field selected, and each fragment's fields once, however often it is spread;
    with whether the field is a root one (right in `selection_set`)."""
    spread: set[str] = set()
    pending = [(selection_set, True)]
    while pending:
        selections, root = pending.pop()
        for node in selections.selections:
            if isinstance(node, FieldNode):
                yield node, root
                if node.selection_set is not None:
                    pending.append((node.selection_set, False))
            elif isinstance(node, InlineFragmentNode):
                pending.append((node.selection_set, root))
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                if name in fragments and name not in spread:
                    spread.add(name)
                    pending.append((fragments[name].selection_set, root))


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


def check_text(operation: OperationDefinitionNode, document, variables: dict) -> None:
    """Refuse text in the operation's arguments that no database stores alike
    (`talks.text`): one client error, whichever database answers. The input of a mutation
    itself is the services' to judge: they answer with an OperationInfo."""
    defaults = {
        definition.variable.name.value: definition.default_value
        for definition in operation.variable_definitions or ()
    }
    mutation = operation.operation is OperationType.MUTATION
    for field, root in _fields(operation.selection_set, _fragments(document)):
        if mutation and root:
            continue
        for argument in field.arguments or ():
            value = _value(argument.value, variables, defaults)
            for where, error in bad_text(value, argument.name.value):
                raise BadUserInput(f"`{where}`: {error.messages[0]}", argument=where)


class OperationChecks(SchemaExtension):
    """Refuses, before execution, an operation that could return too many objects or
    that asks with text no database stores; its cost is left in the context
    (`Context.cost`), where the HTTP edge charges it to the client's rate limit."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        operation = get_operation_ast(document, context.operation_name)
        if operation is not None:
            variables = context.variables or {}
            cost = check_cost(graphql_schema(context.schema), operation, document, variables)
            check_text(operation, document, variables)
            if hasattr(context.context, "cost"):
                context.context.cost = cost
        yield


def _rules() -> AddValidationRules:
    rules = [OperationLimitsRule]
    if not settings.GRAPHQL_INTROSPECTION:
        rules.append(NoSchemaIntrospectionCustomRule)
    return AddValidationRules(rules)


def limit_extensions() -> list[type[SchemaExtension] | Callable[[], SchemaExtension]]:
    """The schema's extensions for the limits, in the order they must run; each is built
    per request, so the settings are read when a request comes."""
    return [
        lambda: MaxTokensLimiter(max_token_count=settings.GRAPHQL_MAX_TOKENS),
        _rules,
        DocumentCache,
        OperationChecks,
    ]
