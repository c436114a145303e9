"""Filter inputs and order enums of the list fields, and their mapping to selectors."""

from datetime import date
from enum import Enum

import strawberry

from talks import models, selectors

EventKind = strawberry.enum(models.EventKind, name="EventKind", description="What kind of event.")
TalkKind = strawberry.enum(models.TalkKind, name="TalkKind", description="What kind of talk.")
TalkLevel = strawberry.enum(
    models.TalkLevel, name="TalkLevel", description="The audience a talk is pitched at."
)


@strawberry.enum(description="Orders for lists of talks; every order is stable across pages.")
class TalkOrder(Enum):
    RECORDED_ON_DESC = "recorded_on_desc"
    RECORDED_ON_ASC = "recorded_on_asc"
    TITLE_ASC = "title_asc"


@strawberry.enum(description="Orders for lists of speakers.")
class SpeakerOrder(Enum):
    NAME_ASC = "name_asc"
    TALK_COUNT_DESC = "talk_count_desc"


@strawberry.enum(description="Orders for lists of events; events without dates come last.")
class EventOrder(Enum):
    STARTS_ON_DESC = "starts_on_desc"
    STARTS_ON_ASC = "starts_on_asc"
    NAME_ASC = "name_asc"


@strawberry.enum(description="Orders for lists of topics.")
class TopicOrder(Enum):
    NAME_ASC = "name_asc"
    TALK_COUNT_DESC = "talk_count_desc"


def _value(member: Enum | None) -> str | None:
    return None if member is None else member.value


@strawberry.input(description="Narrows a list of talks; all given conditions must hold.")
class TalkFilter:
    event: str | None = strawberry.field(default=None, description="Event slug.")
    speaker: str | None = strawberry.field(default=None, description="Speaker slug.")
    topic: str | None = strawberry.field(default=None, description="Topic slug.")
    kind: TalkKind | None = None
    level: TalkLevel | None = None
    language: str | None = strawberry.field(default=None, description='BCP 47 code, e.g. "en".')
    recorded_from: date | None = strawberry.field(default=None, description="Inclusive.")
    recorded_to: date | None = strawberry.field(default=None, description="Inclusive.")

    def to_selector(self) -> selectors.TalkFilters:
        return selectors.TalkFilters(
            event=self.event,
            speaker=self.speaker,
            topic=self.topic,
            kind=_value(self.kind),
            level=_value(self.level),
            language=self.language,
            recorded_from=self.recorded_from,
            recorded_to=self.recorded_to,
        )


@strawberry.input(description="Narrows a list of speakers.")
class SpeakerFilter:
    event: str | None = strawberry.field(default=None, description="Spoke at this event (slug).")
    topic: str | None = strawberry.field(
        default=None, description="Gave a talk on this topic (slug)."
    )

    def to_selector(self) -> selectors.SpeakerFilters:
        return selectors.SpeakerFilters(event=self.event, topic=self.topic)


@strawberry.input(description="Narrows a list of events.")
class EventFilter:
    kind: EventKind | None = None
    year: int | None = strawberry.field(default=None, description="The year the event starts in.")
    country: str | None = strawberry.field(default=None, description="Country, any letter case.")

    def to_selector(self) -> selectors.EventFilters:
        return selectors.EventFilters(kind=_value(self.kind), year=self.year, country=self.country)


@strawberry.input(description="Narrows a list of topics.")
class TopicFilter:
    event: str | None = strawberry.field(
        default=None, description="Topics of talks at this event (slug)."
    )
    speaker: str | None = strawberry.field(
        default=None, description="Topics of talks by this speaker (slug)."
    )

    def to_selector(self) -> selectors.TopicFilters:
        return selectors.TopicFilters(event=self.event, speaker=self.speaker)


def talk_filters(filter: TalkFilter | None) -> selectors.TalkFilters | None:
    filters = filter.to_selector() if filter is not None else None
    # An empty filter asks the same question as none: share its loader batches.
    return None if filters == selectors.TalkFilters() else filters
