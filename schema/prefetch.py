"""Loading what a query is about to ask of a list of objects, before graphql-core walks it.

A resolver that returns objects (a page, a lookup, search hits) awaits `prefetch` on
them. It reads the selection set and, level by level, starts the DataLoader calls of
every relation and count asked of all those objects together (one batch per loader),
awaits them, and goes on with the objects just loaded. The relation fields then find
their values in the loaders' caches (`resolve_relation`) and return them without
awaiting, so graphql-core completes the tree synchronously instead of making an
asyncio task for every field of every object.

Nested talk pages take arguments and are left to their own resolver, which prefetches
its pages in turn. A field the prefetch did not foresee still loads through its
DataLoader on its own: prefetching saves time and never changes an answer.
"""

from collections.abc import Callable, Hashable, Iterable
from operator import attrgetter
from typing import Any, NamedTuple

from django.db.models import Model

from schema.loaders import MISSING, Loaders, TalkCountKey, loaded
from schema.lookahead import SelectedField, subfields
from talks.models import Event, Speaker, Talk
from talks.selectors import TalkParent


class Relation(NamedTuple):
    loader: str  # the attribute of `Loaders`
    key: Callable[[Any], Hashable]  # the loader's key for an object
    # The value the object already holds (`MISSING` if none), e.g. an event joined in.
    joined: Callable[[Any], Any] | None = None


def _joined_event(talk: Talk) -> Any:
    # An event joined into a page of talks holds the columns that page's query reads,
    # so it stays with its talks rather than going into the event loader.
    return talk._state.fields_cache.get("event", MISSING)


def _talk_count(parent: TalkParent) -> Relation:
    unfiltered = TalkCountKey(parent, None)
    return Relation("talk_count", lambda obj: (unfiltered, obj.id))


_pk = attrgetter("id")  # every model's primary key; cheaper to read than `pk`

# Per model, the GraphQL fields that a DataLoader answers with one key per object.
RELATIONS: dict[type[Model], dict[str, Relation]] = {
    Talk: {
        "event": Relation("event", attrgetter("event_id"), _joined_event),
        "speakers": Relation("speakers_of_talk", _pk),
        "topics": Relation("topics_of_talk", _pk),
    },
    Speaker: {"events": Relation("events_of_speaker", _pk)},
    Event: {
        "talkCount": _talk_count("event"),
        "speakers": Relation("speakers_of_event", _pk),
    },
}


# The metadata that marks a strawberry field as the relation of that name, so that the
# executor can take its short path for it (see `schema.execution`).
RELATION_METADATA = "relation"


def relation(field: str) -> dict[str, str]:
    """`strawberry.field` metadata for the field that resolves `RELATIONS[...][field]`."""
    return {RELATION_METADATA: field}


def resolve_relation(loaders: Loaders, obj: Model, field: str) -> Any:
    """The value of a relation field: at once if it was prefetched, else an awaitable."""
    found = RELATIONS[type(obj)][field]
    if found.joined is not None and (value := found.joined(obj)) is not MISSING:
        return value
    return loaded(getattr(loaders, found.loader), found.key(obj))


def loaded_relation(loaders: Loaders, obj: Model, field: str) -> Any:
    """The value of a relation field if it is loaded, else `MISSING`; loads nothing."""
    found = RELATIONS[type(obj)][field]
    if found.joined is not None and (value := found.joined(obj)) is not MISSING:
        return value
    return getattr(loaders, found.loader).values.get(found.key(obj), MISSING)


async def prefetch(loaders: Loaders, objects: Iterable[Any], fields: list[SelectedField]) -> None:
    level = [(list(objects), fields)]
    while level:
        started = []  # (loader, keys, the fields selected on their values)
        level_values = []  # (values already held, the fields selected on them)
        waits = []
        for parents, selected in level:
            for model, group in _by_model(parents).items():
                relations = RELATIONS.get(model)
                if not relations:
                    continue
                wanted: dict[str, list[SelectedField]] = {}
                for field in selected:
                    if field.name in relations:
                        wanted.setdefault(field.name, []).extend(subfields([field]))
                for name, children in wanted.items():
                    relation = relations[name]
                    to_load = group
                    if relation.joined is not None:
                        joined = [relation.joined(obj) for obj in group]
                        if children:
                            level_values.append(([v for v in joined if v is not MISSING], children))
                        to_load = [
                            obj for obj, v in zip(group, joined, strict=True) if v is MISSING
                        ]
                        if not to_load:
                            continue
                    loader = getattr(loaders, relation.loader)
                    keys = list(dict.fromkeys(map(relation.key, to_load)))
                    wait = loader.request(keys)
                    if wait is not None:
                        waits.append(wait)
                    started.append((loader, keys, children))
        for wait in waits:
            await wait  # a failed batch keeps its error for the fields to raise
        level = [(list(_objects(found)), children) for found, children in level_values]
        for loader, keys, children in started:
            if children:
                values = loader.values
                found = (values[key] for key in keys if key in values)
                level.append((list(_objects(found)), children))


def _by_model(objects: list) -> dict[type, list]:
    groups: dict[type, list] = {}
    for obj in objects:
        groups.setdefault(type(obj), []).append(obj)
    return groups


def _objects(values: Iterable[Any]) -> Iterable[Model]:
    for value in values:
        if isinstance(value, list):
            yield from value
        elif isinstance(value, Model):
            yield value
