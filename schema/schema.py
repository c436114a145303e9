"""The executable schema."""

import strawberry

from project.observability import OperationLog
from schema.execution import ExecutionContext
from schema.limits import limit_extensions
from schema.mutations import Mutation
from schema.queries import Query
from schema.types import EventType, SpeakerType, TalkType, TopicType, skip_argument_conversion

schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    types=[TalkType, SpeakerType, EventType, TopicType],
    extensions=[OperationLog, *limit_extensions()],
    execution_context_class=ExecutionContext,
)

# The nested `talks` of 50 speakers resolve one field with the same arguments: the first
# works the page out, the others reuse it (see skip_argument_conversion).
for type_name, parent in (("Event", "event"), ("Speaker", "speaker"), ("Topic", "topic")):
    talks = schema._schema.type_map[type_name].fields["talks"]
    talks.resolve = skip_argument_conversion(parent, talks.resolve)
