"""What clients see of errors: our own with a machine-readable code, any other masked.

Errors raised on purpose are GraphQL errors: ours (`BadUserInput`, the limits), graphql-
core's (syntax, validation, values of the wrong type) and strawberry's (permissions).
They reach the client as written. Any other exception (a bug, a database error naming
tables, a driver's message) reaches it as "Internal server error", and is logged once
with its traceback (`schema.schema.Schema`); the HTTP edge adds the request's id to both.
"""

import logging
from collections.abc import Iterator

from graphql import (
    GraphQLError,
    GraphQLSyntaxError,
    ValuesOfCorrectTypeRule,
    VariableDefinitionNode,
)
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

BAD_USER_INPUT = "BAD_USER_INPUT"
QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
# The codes Apollo Server gives documents that do not parse or validate, which Apollo
# Client and urql users match on.
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
INTERNAL_MESSAGE = "Internal server error"

logger = logging.getLogger("talks.errors")


class BadUserInput(GraphQLError):
    """A request the client can fix: reported with `extensions.code = BAD_USER_INPUT`."""

    def __init__(self, message: str, *, argument: str | None = None) -> None:
        extensions: dict[str, str] = {"code": BAD_USER_INPUT}
        if argument is not None:
            extensions["argument"] = argument
        super().__init__(message, extensions=extensions)


class QueryTooComplex(GraphQLError):
    """A document over one of the abuse limits: `extensions.code = QUERY_TOO_COMPLEX`."""

    def __init__(self, message: str, node=None) -> None:
        super().__init__(message, node, extensions={"code": QUERY_TOO_COMPLEX})


def a(noun: str) -> str:
    """The noun with its indefinite article, for messages: "a Talk", "an Event"."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def is_deliberate(error: GraphQLError) -> bool:
    """Whether an error was raised on purpose, as a GraphQL error, rather than escaping."""
    original = error.original_error
    return original is None or isinstance(original, GraphQLError)


class _ValuesOfCorrectType(ValuesOfCorrectTypeRule):
    """graphql-core's rule for the values written in a document, its errors coded as the
    client's input."""

    def report_error(self, error: GraphQLError) -> None:
        error.extensions = {**(error.extensions or {}), "code": BAD_USER_INPUT}
        super().report_error(error)


class InputErrorCodes(SchemaExtension):
    """A value of the wrong type, written in the document or sent as a variable, is a
    BAD_USER_INPUT error like any other the client can fix."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = tuple(
            _ValuesOfCorrectType if rule is ValuesOfCorrectTypeRule else rule
            for rule in context.validation_rules
        )
        yield


# What graphql-core's parser says when it refuses a document for its size (the token
# limit of strawberry's MaxTokensLimiter, or nesting), rather than its syntax.
_PARSER_LIMITS = ("more than", "nested too deeply")


def _code_of(error: GraphQLError) -> str:
    """The code of a graphql-core error that has none: a variable's value is the
    client's input; a document the parser refuses for its size is too complex, for its
    syntax unparsable. Validation errors have theirs (`schema.documents`); anything else
    raised while executing is the server's (a null where the schema promises none)."""
    if any(isinstance(node, VariableDefinitionNode) for node in error.nodes or ()):
        return BAD_USER_INPUT
    if isinstance(error, GraphQLSyntaxError):
        too_large = any(words in error.message for words in _PARSER_LIMITS)
        return QUERY_TOO_COMPLEX if too_large else PARSE_FAILED
    return INTERNAL_SERVER_ERROR


def with_code(error: GraphQLError, code: str) -> GraphQLError:
    if not (error.extensions or {}).get("code"):
        error.extensions = {**(error.extensions or {}), "code": code}
    return error


def for_client(error: GraphQLError) -> GraphQLError:
    """The error as the client may see it, always with a code. A masked error keeps its
    original (the view still tells a database outage by it); the client sees only
    message, place, code."""
    if is_deliberate(error):
        return with_code(error, _code_of(error))
    return GraphQLError(
        INTERNAL_MESSAGE,
        error.nodes,
        error.source,
        error.positions,
        error.path,
        error.original_error,
        {"code": INTERNAL_SERVER_ERROR},
    )


def operation_label(execution_context) -> str | None:
    """What a GraphQL request runs ("query Recent", "mutation"), from the document
    strawberry parsed; None when it did not parse."""
    document = execution_context.graphql_document
    operation = document and get_operation_ast(document, execution_context.operation_name)
    if operation is None:
        return None
    name = operation.name.value if operation.name else ""
    return f"{operation.operation.value} {name}".strip()


def log_unexpected(errors: list[GraphQLError], execution_context) -> None:
    """Log each error that was not raised on purpose, with its traceback."""
    for error in errors:
        if is_deliberate(error):
            continue
        original = error.original_error
        logger.error(
            "unexpected error",
            exc_info=(type(original), original, original.__traceback__),
            extra={
                "operation": execution_context and operation_label(execution_context),
                "field": ".".join(map(str, error.path or ())) or None,
            },
        )
