"""Client mistakes as GraphQL errors with a machine-readable code."""

from graphql import GraphQLError

BAD_USER_INPUT = "BAD_USER_INPUT"


class BadUserInput(GraphQLError):
    """A request the client can fix: reported with `extensions.code = BAD_USER_INPUT`."""

    def __init__(self, message: str, *, argument: str | None = None) -> None:
        extensions: dict[str, str] = {"code": BAD_USER_INPUT}
        if argument is not None:
            extensions["argument"] = argument
        super().__init__(message, extensions=extensions)
