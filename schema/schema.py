"""The executable schema."""

import strawberry

from project.observability import OperationLog
from schema.execution import execution_context_class
from schema.limits import limit_extensions
from schema.mutations import Mutation
from schema.queries import Query
from schema.types import NODE_TYPES

schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    types=list(NODE_TYPES.values()),
    extensions=[OperationLog, *limit_extensions()],
    execution_context_class=execution_context_class(),
)
