"""The executable schema."""

import strawberry

from schema.queries import Query
from schema.types import EventType, SpeakerType, TalkType, TopicType

schema = strawberry.Schema(query=Query, types=[TalkType, SpeakerType, EventType, TopicType])
