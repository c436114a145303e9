"""Filter inputs and order enums of the list fields, and their mapping to selectors."""

from dataclasses import fields as dataclass_fields
from enum import Enum
from typing import Any

import strawberry
from strawberry.utils.str_converters import to_camel_case

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


def checked_search(text: str | None) -> str | None:
    """The search text, or a client error when it has nothing to search for."""
    if text is None:
        return None
    try:
        search.parse(text)
    except search.EmptySearch as error:
        raise BadUserInput(str(error), argument="filter.search") from error
    return text


def filter_input(filters: type, *, name: str, description: str) -> type:
    """The GraphQL input of a selector's filters: one optional field per filter, with
    its type and description (`selectors.condition`); `to_selector` reads it back."""
    declared = dataclass_fields(filters)
    namespace: dict[str, Any] = {
        "__annotations__": {field.name: field.type for field in declared},
        "to_selector": lambda self: filters(
            **{field.name: getattr(self, field.name) for field in declared},
        ),
    }
    for field in declared:
        namespace[field.name] = strawberry.field(
            default=None, description=field.metadata["description"]
        )
    return strawberry.input(type(name, (), namespace), name=name, description=description)


TalkFilter = filter_input(
    selectors.TalkFilters,
    name="TalkFilter",
    description="Narrows a list of talks; all given conditions must hold.",
)
SpeakerFilter = filter_input(
    selectors.SpeakerFilters, name="SpeakerFilter", description="Narrows a list of speakers."
)
EventFilter = filter_input(
    selectors.EventFilters, name="EventFilter", description="Narrows a list of events."
)
TopicFilter = filter_input(
    selectors.TopicFilters, name="TopicFilter", description="Narrows a list of topics."
)


def selector_filters(filter: Any) -> Any:
    """A filter input as its selector's filters, its search checked; None for none, or
    for one that asks nothing (so it shares the loader batches of no filter at all)."""
    if filter is None:
        return None
    filters = filter.to_selector()
    checked_search(filters.search)
    for declared in dataclass_fields(filters):
        value, within = getattr(filters, declared.name), declared.metadata["within"]
        if value is not None and within is not None and value not in within:
            argument = f"filter.{to_camel_case(declared.name)}"
            raise BadUserInput(
                f"`{argument}` must be from {within.start} to {within.stop - 1} (got {value}).",
                argument=argument,
            )
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
