"""Filter inputs and order enums of the list fields, and their mapping to selectors."""

from datetime import date
from enum import Enum
from typing import Any

import strawberry

from schema.errors import BadUserInput
from talks import models, search, selectors

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
    RELEVANCE = strawberry.enum_value(
        "relevance", description="Best match first; only with `filter.search`, and its default."
    )


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


SEARCH_DESCRIPTION = (
    'Full text: words, "quoted phrases", -excluded words and `or`; the last word may be '
    "cut short. Results come best first unless `orderBy` says otherwise."
)


def checked_search(text: str | None) -> str | None:
    """The search text, or a client error when it has nothing to search for."""
    if text is None:
        return None
    try:
        search.parse(text)
    except search.EmptySearch as error:
        raise BadUserInput(str(error), argument="filter.search") from error
    return text


@strawberry.input(description="Narrows a list of talks; all given conditions must hold.")
class TalkFilter:
    search: str | None = strawberry.field(default=None, description=SEARCH_DESCRIPTION)
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
            search=checked_search(self.search),
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
    search: str | None = strawberry.field(
        default=None, description="Names like this, misspellings included; best first."
    )
    event: str | None = strawberry.field(default=None, description="Spoke at this event (slug).")
    topic: str | None = strawberry.field(
        default=None, description="Gave a talk on this topic (slug)."
    )

    def to_selector(self) -> selectors.SpeakerFilters:
        return selectors.SpeakerFilters(
            search=checked_search(self.search), event=self.event, topic=self.topic
        )


@strawberry.input(description="Narrows a list of events.")
class EventFilter:
    search: str | None = strawberry.field(
        default=None, description="Names like this, misspellings included; best first."
    )
    kind: EventKind | None = None
    year: int | None = strawberry.field(default=None, description="The year the event starts in.")
    country: str | None = strawberry.field(default=None, description="Country, any letter case.")

    def to_selector(self) -> selectors.EventFilters:
        return selectors.EventFilters(
            search=checked_search(self.search),
            kind=_value(self.kind),
            year=self.year,
            country=self.country,
        )


@strawberry.input(description="Narrows a list of topics.")
class TopicFilter:
    search: str | None = strawberry.field(
        default=None, description="Names like this, misspellings included; best first."
    )
    event: str | None = strawberry.field(
        default=None, description="Topics of talks at this event (slug)."
    )
    speaker: str | None = strawberry.field(
        default=None, description="Topics of talks by this speaker (slug)."
    )

    def to_selector(self) -> selectors.TopicFilters:
        return selectors.TopicFilters(
            search=checked_search(self.search), event=self.event, speaker=self.speaker
        )


def selector_filters(filter: Any) -> Any:
    """A filter input as its selector's filters; None for none, or for one that asks
    nothing (so it shares the loader batches of no filter at all)."""
    if filter is None:
        return None
    filters = filter.to_selector()
    return None if filters == type(filters)() else filters


def list_order(info, order_by: Enum | None, default: Enum, filters) -> str:
    """The selector ordering: best match first when searching, unless orderBy was given."""
    searching = filters is not None and filters.search is not None
    given = "orderBy" in info.selected_fields[0].arguments
    if searching and not given:
        return "relevance"
    order = (order_by or default).value
    if order == "relevance" and not searching:
        raise BadUserInput("orderBy: RELEVANCE needs filter.search.", argument="orderBy")
    return order
