"""The Query root: lookups by global ID or slug, and the four top-level lists."""

import asyncio
from typing import Any

import strawberry
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db.models import QuerySet
from strawberry import relay
from strawberry.types import Info

from schema.errors import BadUserInput
from schema.filters import (
    EventFilter,
    EventOrder,
    SpeakerFilter,
    SpeakerOrder,
    TalkFilter,
    TalkOrder,
    TopicFilter,
    TopicOrder,
    checked_search,
    list_order,
    talk_filters,
)
from schema.ids import INVALID_ID, NODE_TYPES, parse_global_id
from schema.loaders import DataLoader
from schema.lookahead import columns, node_fields, own_fields
from schema.pagination import build_connection, check_page_size, row_range
from schema.prefetch import prefetch
from schema.types import (
    EventConnection,
    EventType,
    SearchHit,
    SpeakerConnection,
    SpeakerType,
    TalkConnection,
    TalkType,
    TopicConnection,
    TopicType,
    joined_event_columns,
)
from talks import selectors
from talks.selectors import RowRange


def decode_global_id(value: str, *, argument: str = "id") -> tuple[str, int]:
    """The type name and primary key inside a global ID, or a client error."""
    parsed = parse_global_id(value)
    if parsed is None:
        raise BadUserInput(INVALID_ID.format(argument=argument), argument=argument)
    return parsed


async def lookup(
    info: Info, type_name: str, id: strawberry.ID | None, slug: str | None
) -> Any | None:
    """One object by exactly one of its global ID or its slug; None if there is none."""
    if (id is None) == (slug is None):
        raise BadUserInput(f"Look a {type_name} up by exactly one of `id` or `slug`.")
    loaders = info.context.loaders
    name = NODE_TYPES[type_name]
    if slug is not None:
        found = await getattr(loaders, f"{name}_by_slug").load(slug)
    else:
        found_type, pk = decode_global_id(id)
        if found_type != type_name:
            raise BadUserInput(
                f"`id` is the ID of a {found_type}, not of a {type_name}.", argument="id"
            )
        found = await getattr(loaders, name).load(pk)
    return await with_relations(info, found)


async def with_relations(info: Info, found: Any | None) -> Any | None:
    """`found`, once the relations the query asks of it are loaded (see `prefetch`)."""
    if found is not None:
        loaders = info.context.loaders
        loaders.prime_events([found])
        await prefetch(loaders, [found], own_fields(info))
    return found


async def paginate(
    info: Info,
    connection_cls: type,
    queryset: QuerySet,
    rows: RowRange,
    *,
    event_columns: tuple[str, ...] = (),
):
    """A page of a top-level list: OFFSET/LIMIT on the indexed ordering, COUNT on demand.

    Only the columns the query reads are fetched; with `event_columns`, each talk holds
    its event, joined in with those columns.
    """
    fields = node_fields(info)
    page_columns = columns(queryset.model, fields)

    def fetch() -> tuple[int, int, list, int | None]:
        total, start, stop = None, rows.start, rows.stop
        if stop is None:  # "the last N rows": where the list ends decides where they start
            total = queryset.count()
            start, stop = max(start, total - rows.last), total
        stop = max(stop, start)
        # One row past the page tells whether a next page exists.
        page = queryset[start : stop + 1]
        return (
            start,
            stop,
            selectors.instances(page, page_columns, event_columns=event_columns),
            total,
        )

    start, stop, objects, total = await sync_to_async(fetch)()
    has_next_page = len(objects) > stop - start
    objects = objects[: stop - start]
    await prefetch(info.context.loaders, objects, fields)

    counting = None

    def total_count() -> Any:
        nonlocal counting
        if total is not None:
            return total
        if counting is None:  # one COUNT, however many times `totalCount` is selected
            counting = asyncio.ensure_future(sync_to_async(queryset.count)())
        return counting

    return build_connection(
        connection_cls,
        rows=objects,
        start=start,
        has_next_page=has_next_page,
        total_count=total_count,
    )


def _loader(info: Info, name: str) -> DataLoader:
    return getattr(info.context.loaders, name)


@strawberry.type
class Query:
    @strawberry.field(description="Any object by its global ID; null if it does not exist.")
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        type_name, pk = decode_global_id(id)
        return await with_relations(info, await _loader(info, NODE_TYPES[type_name]).load(pk))

    @strawberry.field(description="One talk by exactly one of `id` or `slug`; null if unknown.")
    async def talk(
        self, info: Info, id: strawberry.ID | None = None, slug: str | None = None
    ) -> TalkType | None:
        return await lookup(info, "Talk", id, slug)

    @strawberry.field(description="One speaker by exactly one of `id` or `slug`; null if unknown.")
    async def speaker(
        self, info: Info, id: strawberry.ID | None = None, slug: str | None = None
    ) -> SpeakerType | None:
        return await lookup(info, "Speaker", id, slug)

    @strawberry.field(description="One event by exactly one of `id` or `slug`; null if unknown.")
    async def event(
        self, info: Info, id: strawberry.ID | None = None, slug: str | None = None
    ) -> EventType | None:
        return await lookup(info, "Event", id, slug)

    @strawberry.field(description="One topic by exactly one of `id` or `slug`; null if unknown.")
    async def topic(
        self, info: Info, id: strawberry.ID | None = None, slug: str | None = None
    ) -> TopicType | None:
        return await lookup(info, "Topic", id, slug)

    @strawberry.field(description="Talks, newest first unless ordered otherwise.")
    async def talks(
        self,
        info: Info,
        filter: TalkFilter | None = None,
        order_by: TalkOrder | None = TalkOrder.RECORDED_ON_DESC,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> TalkConnection:
        rows = row_range(first=first, after=after, last=last, before=before)
        filters = talk_filters(filter)
        order = list_order(info, order_by, TalkOrder.RECORDED_ON_DESC, filters)
        queryset = selectors.talk_list(filters=filters, order=order)
        event_columns = joined_event_columns(node_fields(info))
        return await paginate(info, TalkConnection, queryset, rows, event_columns=event_columns)

    @strawberry.field(description="Speakers, by name unless ordered otherwise.")
    async def speakers(
        self,
        info: Info,
        filter: SpeakerFilter | None = None,
        order_by: SpeakerOrder | None = SpeakerOrder.NAME_ASC,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> SpeakerConnection:
        rows = row_range(first=first, after=after, last=last, before=before)
        filters = filter.to_selector() if filter is not None else None
        order = list_order(info, order_by, SpeakerOrder.NAME_ASC, filters)
        queryset = selectors.speaker_list(filters=filters, order=order)
        return await paginate(info, SpeakerConnection, queryset, rows)

    @strawberry.field(description="Events, newest first unless ordered otherwise.")
    async def events(
        self,
        info: Info,
        filter: EventFilter | None = None,
        order_by: EventOrder | None = EventOrder.STARTS_ON_DESC,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> EventConnection:
        rows = row_range(first=first, after=after, last=last, before=before)
        filters = filter.to_selector() if filter is not None else None
        order = list_order(info, order_by, EventOrder.STARTS_ON_DESC, filters)
        queryset = selectors.event_list(filters=filters, order=order)
        return await paginate(info, EventConnection, queryset, rows)

    @strawberry.field(description="Topics, by name unless ordered otherwise.")
    async def topics(
        self,
        info: Info,
        filter: TopicFilter | None = None,
        order_by: TopicOrder | None = TopicOrder.NAME_ASC,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> TopicConnection:
        rows = row_range(first=first, after=after, last=last, before=before)
        filters = filter.to_selector() if filter is not None else None
        order = list_order(info, order_by, TopicOrder.NAME_ASC, filters)
        queryset = selectors.topic_list(filters=filters, order=order)
        return await paginate(info, TopicConnection, queryset, rows)

    @strawberry.field(
        description="The best matches among talks, speakers, events and topics, best first."
    )
    async def search(self, info: Info, query: str, first: int | None = 20) -> list[SearchHit]:
        text = checked_search(query)
        limit = settings.GRAPHQL_DEFAULT_PAGE_SIZE if first is None else first
        check_page_size(limit, "first")
        hits = await sync_to_async(selectors.search_everything)(text, limit)
        await prefetch(info.context.loaders, hits, own_fields(info))
        return hits
