"""The executable schema: where every result leaves strawberry, its errors masked."""

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from internals import pass_subscription_events
from schema.errors import InputErrorCodes, for_client, log_unexpected
from schema.execution import execution_context_class
from schema.limits import limit_extensions
from schema.mutations import Mutation as CatalogueMutations
from schema.queries import Query
from schema.subscriptions import Subscription
from schema.types import NODE_TYPES
from schema.webhooks import WebhookMutations


@strawberry.type(name="Mutation")
class Mutation(CatalogueMutations, WebhookMutations):
    pass


class Schema(strawberry.Schema):
    """Strawberry's schema, whose results show clients only the errors raised on purpose.

    Strawberry's MaskErrors extension masks the errors of the results an operation
    produces, but not those of an exception that escapes an extension (a bug in the
    cost walker, say), which strawberry turns into an error outside it. So every result
    is masked here, where `execute` returns it, and errors are logged where strawberry
    processes them, before any masking.
    """

    def process_errors(self, errors, execution_context=None) -> None:
        log_unexpected(errors, execution_context)

    async def execute(self, *args, **kwargs) -> ExecutionResult:
        result = await super().execute(*args, **kwargs)
        if result.errors:
            result.errors = [for_client(error) for error in result.errors]
        return result


def build_schema(
    *, extensions: list[type[SchemaExtension]] = (), around: list[type[SchemaExtension]] = ()
) -> Schema:
    """The schema, with `extensions` run after its own (input error codes, then the
    limits) and `around` them all; the HTTP edge serves it with its own
    (`edge.view.graphql_view`)."""
    built = Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=list(NODE_TYPES.values()),
        extensions=[*around, InputErrorCodes, *limit_extensions(), *extensions],
        execution_context_class=execution_context_class(),
    )
    pass_subscription_events(built)  # Subscription.changes takes `event:`
    return built


# The schema as printed (`snapshot_schema`) and as the tests execute it directly.
schema = build_schema()
