"""The object types: talks, speakers, events, topics, and the connections that page them.

Resolvers receive Django model instances as `self`; every relation and count goes
through the request's DataLoaders (`info.context.loaders`), usually prefetched by the
resolver that returned the objects (see `schema.prefetch`), so these resolvers are plain
functions that return a loaded value, or an awaitable when it is not loaded yet.
"""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, Any, ClassVar

import strawberry
from strawberry import relay
from strawberry.types import Info

from schema.filters import (
    EventKind,
    TalkFilter,
    TalkKind,
    TalkLevel,
    TalkOrder,
    list_order,
    talk_filters,
)
from schema.loaders import TalkCountKey, TalkPageKey, loaded
from schema.lookahead import SelectedField, columns, node_fields, subfields
from schema.pagination import build_connection, row_range
from schema.prefetch import prefetch, relation, resolve_relation
from talks import models
from talks.selectors import TalkParent


class ModelNode(relay.Node):
    """A Node whose resolvers get Django model instances of `model` as their root."""

    model: ClassVar[type]

    @classmethod
    def is_type_of(cls, obj: Any, info: Info) -> bool:
        return isinstance(obj, cls.model | cls)


@strawberry.type(name="Talk", description="A recorded talk, keynote, workshop or episode.")
class TalkType(ModelNode):
    model = models.Talk

    id: relay.NodeID[int]
    slug: str = strawberry.field(description="Stable, human-readable key; unique among talks.")
    title: str = strawberry.field(description="The title as billed.")
    abstract: str = strawberry.field(description='The talk\'s description; "" when unknown.')
    kind: TalkKind = strawberry.field(description="Talk, keynote, lightning talk, episode, ...")
    level: TalkLevel | None = strawberry.field(description="Intended audience; null if unknown.")
    language: str = strawberry.field(description='BCP 47 language code, "en" by default.')
    recorded_on: date | None = strawberry.field(description="Day of recording; null if unknown.")
    duration_minutes: int | None = strawberry.field(description="Length; null if unknown.")
    video_url: str = strawberry.field(description='Recording; "" when there is none.')
    slides_url: str = strawberry.field(description='Slides; "" when there are none.')
    created_at: datetime = strawberry.field(description="When this record was created.")
    updated_at: datetime = strawberry.field(description="When this record last changed.")

    @strawberry.field(description="The event the talk was given at.", metadata=relation("event"))
    def event(self, info: Info) -> "EventType":
        return resolve_relation(info.context.loaders, self, "event")

    @strawberry.field(description="The speakers in billing order.", metadata=relation("speakers"))
    def speakers(self, info: Info) -> list["SpeakerType"]:
        return resolve_relation(info.context.loaders, self, "speakers")

    @strawberry.field(description="The talk's topics, by name.", metadata=relation("topics"))
    def topics(self, info: Info) -> list["TopicType"]:
        return resolve_relation(info.context.loaders, self, "topics")


@strawberry.type(description="A page of a list, with the size of the whole list.")
class CountedConnection(relay.Connection[relay.NodeType]):
    # Returns the count, or an awaitable of it when it is not known yet.
    count: strawberry.Private[Callable[[], Any]]

    @strawberry.field(description="How many items match, over all pages.")
    def total_count(self) -> int:
        return self.count()


@strawberry.type(name="TalkConnection", description="A page of talks.")
class TalkConnection(CountedConnection[TalkType]):
    pass


def joined_event_columns(talk_fields: list[SelectedField]) -> tuple[str, ...]:
    """The event columns a page of talks joins in: those its `event` field reads, or none
    when `event` is not selected."""
    event_fields = [field for field in talk_fields if field.name == "event"]
    return columns(models.Event, subfields(event_fields)) if event_fields else ()


async def nested_talks(
    info: Info,
    parent: TalkParent,
    parent_id: int,
    *,
    filter: TalkFilter | None,
    order_by: TalkOrder | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> TalkConnection:
    """A parent's page of talks; every parent in the request shares one query.

    What the page is (its key, the fields read) depends only on the field's nodes and
    arguments, the same for every parent: the first parent works it out and hands it,
    through a future in the context, to the others (see `skip_argument_conversion`).
    """
    context = info.context
    field_nodes = info._raw_info.field_nodes  # no public accessor in strawberry's Info
    memo = (parent, *map(id, field_nodes))
    shared = context.talk_pages.get(memo)
    if shared is None or shared.done():
        shared = context.talk_pages[memo] = _shared_page_future()
    try:
        rows = row_range(first=first, after=after, last=last, before=before)
        filters = talk_filters(filter)
        fields = node_fields(info)
        order = list_order(info, order_by, TalkOrder.RECORDED_ON_DESC, filters)
        key = TalkPageKey(
            parent, filters, order, rows, columns(models.Talk, fields), joined_event_columns(fields)
        )
    except BaseException as error:
        shared.set_exception(error)
        raise
    # The nodes are held so that their ids stay unique while the request runs.
    shared.set_result((field_nodes, key, fields))
    return await _talk_page(context, parent, parent_id, shared)


def _shared_page_future() -> asyncio.Future:
    future = asyncio.get_running_loop().create_future()
    # An error the other parents never wait for is not worth a warning in the log.
    future.add_done_callback(lambda done: done.cancelled() or done.exception())
    return future


async def _talk_page(
    context, parent: TalkParent, parent_id: int, shared: asyncio.Future
) -> TalkConnection:
    _, key, fields = await shared
    rows, filters = key.rows, key.filters
    loaders = context.loaders
    talks = await loaders.talk_page.load((key, parent_id))
    if rows.stop is None:
        start = talks[0].row_number - 1 if talks else rows.start
        page, has_next_page = talks, False
    else:
        size = rows.stop - rows.start
        start, page, has_next_page = rows.start, talks[:size], len(talks) > size
    await prefetch(loaders, page, fields)
    return build_connection(
        TalkConnection,
        rows=page,
        start=start,
        has_next_page=has_next_page,
        total_count=lambda: loaded(loaders.talk_count, (TalkCountKey(parent, filters), parent_id)),
    )


def skip_argument_conversion(parent: TalkParent, resolve: Callable) -> Callable:
    """A graphql-core resolver for a `talks` field of `parent` that lets the first parent
    work out the page through strawberry (see nested_talks) and serves the others from
    it, without strawberry converting the same arguments again for each of them."""

    def resolve_talks(source: Any, info: Any, **arguments: Any) -> Any:
        context = info.context
        memo = (parent, *map(id, info.field_nodes))
        shared = context.talk_pages.get(memo)
        if shared is None:  # the first parent: nested_talks will answer the others
            shared = context.talk_pages[memo] = _shared_page_future()
            return _first_page(resolve(source, info, **arguments), shared)
        return _talk_page(context, parent, source.id, shared)

    return resolve_talks


async def _first_page(page: Awaitable, shared: asyncio.Future) -> Any:
    try:
        return await page
    except BaseException as error:  # failed before nested_talks could answer the others
        if not shared.done():
            shared.set_exception(error)
        raise


def talks_field(parent: TalkParent, description: str):
    async def resolve(
        self,
        info: Info,
        filter: TalkFilter | None = None,
        order_by: TalkOrder | None = TalkOrder.RECORDED_ON_DESC,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> TalkConnection:
        return await nested_talks(
            info,
            parent,
            self.id,
            filter=filter,
            order_by=order_by,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    return strawberry.field(resolver=resolve, description=description)


def talk_count_field(description: str):
    def resolve(self, info: Info) -> int:
        return resolve_relation(info.context.loaders, self, "talkCount")

    return strawberry.field(
        resolver=resolve, description=description, metadata=relation("talkCount")
    )


@strawberry.type(name="Event", description="A conference, meetup, sprint or podcast.")
class EventType(ModelNode):
    model = models.Event

    id: relay.NodeID[int]
    slug: str = strawberry.field(description="Stable, human-readable key; unique among events.")
    name: str = strawberry.field(description='The event\'s name, e.g. "DjangoCon US 2011".')
    kind: EventKind = strawberry.field(description="Conference, meetup, podcast, sprint or other.")
    starts_on: date | None = strawberry.field(description="First day; null if unknown.")
    ends_on: date | None = strawberry.field(description="Last day; null if unknown.")
    city: str = strawberry.field(description='"" when unknown, never null.')
    country: str = strawberry.field(description='"" when unknown, never null.')
    url: str = strawberry.field(description='The event\'s website; "" when unknown.')
    description: str = strawberry.field(description='About the event; "" when unknown.')
    talk_count = talk_count_field("How many talks the event has.")
    talks = talks_field("event", "The event's talks, newest first unless ordered otherwise.")

    @strawberry.field(
        description="The distinct speakers of the event's talks, by name.",
        metadata=relation("speakers"),
    )
    def speakers(self, info: Info) -> list["SpeakerType"]:
        return resolve_relation(info.context.loaders, self, "speakers")


@strawberry.type(name="Speaker", description="A person who gave at least one talk.")
class SpeakerType(ModelNode):
    model = models.Speaker

    id: relay.NodeID[int]
    slug: str = strawberry.field(description="Stable, human-readable key; unique among speakers.")
    name: str = strawberry.field(description="The speaker's name as billed.")
    bio: str = strawberry.field(description='"" when unknown.')
    affiliation: str = strawberry.field(description='Employer or project; "" when unknown.')
    website: str = strawberry.field(description='"" when unknown.')
    twitter: str = strawberry.field(description='Handle without "@"; "" when unknown.')
    github: str = strawberry.field(description='User name; "" when unknown.')
    talk_count: int = strawberry.field(description="How many talks the speaker gave.")
    talks = talks_field("speaker", "The speaker's talks, newest first unless ordered otherwise.")

    @strawberry.field(
        description="The distinct events the speaker spoke at, newest first.",
        metadata=relation("events"),
    )
    def events(self, info: Info) -> list[EventType]:
        return resolve_relation(info.context.loaders, self, "events")


@strawberry.type(name="Topic", description="A subject that talks are tagged with.")
class TopicType(ModelNode):
    model = models.Topic

    id: relay.NodeID[int]
    slug: str = strawberry.field(description="Stable, human-readable key; unique among topics.")
    name: str = strawberry.field(description="The topic's display name.")
    description: str = strawberry.field(description='"" when there is none.')
    talk_count: int = strawberry.field(description="How many talks have this topic.")
    talks = talks_field("topic", "Talks on this topic, newest first unless ordered otherwise.")


@strawberry.type(name="SpeakerConnection", description="A page of speakers.")
class SpeakerConnection(CountedConnection[SpeakerType]):
    pass


@strawberry.type(name="EventConnection", description="A page of events.")
class EventConnection(CountedConnection[EventType]):
    pass


@strawberry.type(name="TopicConnection", description="A page of topics.")
class TopicConnection(CountedConnection[TopicType]):
    pass


SearchHit = Annotated[
    TalkType | SpeakerType | EventType | TopicType,
    strawberry.union("SearchHit", description="A talk, speaker, event or topic that matched."),
]
