"""The executable schema."""

import strawberry

from schema.execution import ExecutionContext
from schema.limits import RequestLimits
from schema.mutations import Mutation
from schema.queries import Query
from schema.types import EventType, SpeakerType, TalkType, TopicType

schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    types=[TalkType, SpeakerType, EventType, TopicType],
    extensions=[RequestLimits],
    execution_context_class=ExecutionContext,
)
