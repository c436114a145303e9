"""The Query root: lookups by global ID or slug, the four top-level lists, and search."""

from typing import Any

import strawberry
from asgiref.sync import sync_to_async
from django.conf import settings
from strawberry import relay
from strawberry.types import Info

from schema.errors import BadUserInput, a
from schema.filters import checked_search
from schema.ids import INVALID_ID, parse_global_id
from schema.loaders import ByKey
from schema.lookahead import own_fields
from schema.pagination import check_page_size, top_level_list
from schema.relations import prefetch
from schema.types import (
    EVENTS,
    NODE_TYPES,
    SPEAKERS,
    TALKS,
    TOPICS,
    EventType,
    SearchHit,
    SpeakerType,
    TalkType,
    TopicType,
    model_of,
)
from talks import selectors


def decode_global_id(value: str, *, argument: str = "id") -> tuple[type, int]:
    """The node type and primary key inside a global ID, or a client error."""
    parsed = parse_global_id(value, NODE_TYPES)
    if parsed is None:
        raise BadUserInput(INVALID_ID.format(argument=argument), argument=argument)
    return NODE_TYPES[parsed[0]], parsed[1]


async def with_relations(info: Info, node_type: type, found: Any | None) -> Any | None:
    """`found`, once the relations the query asks of it are loaded (see `prefetch`)."""
    if found is not None:
        await prefetch(info.context.loaders, own_fields(info), {node_type: [found]})
    return found


def lookup(node_type: type, description: str) -> Any:
    """A field that finds one object by exactly one of its global ID or its slug."""
    name, model = node_type.__strawberry_definition__.name, model_of(node_type)

    async def resolve(
        root, info: Info, id: strawberry.ID | None = None, slug: str | None = None
    ) -> node_type | None:
        if (id is None) == (slug is None):
            raise BadUserInput(f"Look {a(name)} up by exactly one of `id` or `slug`.")
        if slug is not None:
            read, key = ByKey(model, "slug"), slug
        else:
            found_type, key = decode_global_id(id)
            if found_type is not node_type:
                found_name = found_type.__strawberry_definition__.name
                message = f"`id` is the ID of {a(found_name)}, not of {a(name)}."
                raise BadUserInput(message, argument="id")
            read = ByKey(model)
        found = await info.context.loaders.of(read).load(key)
        return await with_relations(info, node_type, found)

    return strawberry.field(resolver=resolve, description=description)


@strawberry.type
class Query:
    @strawberry.field(description="Any object by its global ID; null if it does not exist.")
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        node_type, pk = decode_global_id(id)
        found = await info.context.loaders.of(ByKey(model_of(node_type))).load(pk)
        return await with_relations(info, node_type, found)

    talk = lookup(TalkType, "One talk by exactly one of `id` or `slug`; null if unknown.")
    speaker = lookup(SpeakerType, "One speaker by exactly one of `id` or `slug`; null if unknown.")
    event = lookup(EventType, "One event by exactly one of `id` or `slug`; null if unknown.")
    topic = lookup(TopicType, "One topic by exactly one of `id` or `slug`; null if unknown.")

    talks = top_level_list(TALKS, "Talks, newest first unless ordered otherwise.")
    speakers = top_level_list(SPEAKERS, "Speakers, by name unless ordered otherwise.")
    events = top_level_list(EVENTS, "Events, newest first unless ordered otherwise.")
    topics = top_level_list(TOPICS, "Topics, by name unless ordered otherwise.")

    @strawberry.field(
        description="The best matches among talks, speakers, events and topics, best first."
    )
    async def search(self, info: Info, query: str, first: int | None = 20) -> list[SearchHit]:
        text = checked_search(query)
        limit = settings.GRAPHQL_DEFAULT_PAGE_SIZE if first is None else first
        check_page_size(limit, "first")
        hits = await sync_to_async(selectors.search_everything)(text, limit)
        by_type: dict[type, list] = {node_type: [] for node_type in NODE_TYPES.values()}
        types_of_models = {model_of(node_type): node_type for node_type in by_type}
        for hit in hits:
            by_type[types_of_models[type(hit)]].append(hit)
        await prefetch(info.context.loaders, own_fields(info), by_type)
        return hits
