"""Relation fields, each declared once on its type, and the prefetch that reads them.

`relation(read, ...)` declares a field whose value a DataLoader reads in batches (a
talk's speakers, an event's talk count): the read (a selector answering `{key: value}`
for many keys), the key of an object, and the value an object may already hold. The
DataLoader, the prefetch below and the executor's short path (`schema.execution`) all
follow from that one declaration.

A resolver that returns objects (a page, a lookup, search hits) awaits `prefetch` on
them. It reads the selection set and, level by level, starts the DataLoader calls of
every relation asked of all those objects together (one batch per loader), awaits them,
and goes on with the objects just loaded. The relation fields then find their values in
the loaders' caches and return them without awaiting, so graphql-core completes the
tree synchronously instead of making an asyncio task for every field of every object.

Fields with arguments (nested talk pages) are left to their own resolver, which
prefetches its pages in turn. A field the prefetch did not foresee still loads through
its DataLoader on its own: prefetching saves time and never changes an answer.
"""

from collections.abc import Callable, Hashable, Iterable
from functools import cache, cached_property
from operator import attrgetter
from typing import Any

from django.db.models import Model
from strawberry.schema.name_converter import NameConverter
from strawberry.types.base import StrawberryList, StrawberryOptional
from strawberry_django.fields.field import StrawberryDjangoField

from schema.loaders import MISSING, NONE, DataLoader, Loaders
from schema.lookahead import SelectedField, subfields

_id = attrgetter("id")  # every model's primary key; cheaper to read than `pk`


class RelationField(StrawberryDjangoField):
    """A field answered by a DataLoader over `read`, one key per object (`key`).

    `joined`, if given, returns the value an object already holds (an event joined into
    a page of talks), or MISSING. A key the read leaves out is an empty list, 0 or null,
    by the field's type. A list's `estimate` is how many items the query cost counts it
    as (`schema.limits`): the most a catalogue's object has had, not a typical number.
    """

    def __init__(
        self,
        read: Callable[[list], dict] | None = None,  # None only while strawberry copies it
        *,
        key: Callable[[Any], Hashable] = _id,
        joined: Callable[[Any], Any] | None = None,
        estimate: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.read, self.key, self.joined, self.estimate = read, key, joined, estimate

    def __copy__(self) -> "RelationField":  # strawberry_django copies inherited fields
        new = super().__copy__()
        new.read, new.key, new.joined = self.read, self.key, self.joined
        new.estimate = self.estimate
        return new

    @cached_property
    def empty(self) -> Callable[[], Any]:
        """The value of an object the read has nothing for."""
        if isinstance(self.type, StrawberryList):
            return list
        return int if self.type is int else NONE

    @cached_property
    def node_type(self) -> type | None:
        """The object type of the field's values, whose relations prefetch goes on to."""
        inner = self.type
        while isinstance(inner, StrawberryList | StrawberryOptional):
            inner = inner.of_type
        return inner if hasattr(inner, "__strawberry_definition__") else None

    def loader(self, loaders: Loaders) -> DataLoader:
        return loaders.of(self.read, self.empty)

    def resolve(self, loaders: Loaders, obj: Model) -> Any:
        """The field's value: at once if it was loaded, else an awaitable."""
        value = self.loaded(loaders, obj)
        return self.loader(loaders).load(self.key(obj)) if value is MISSING else value

    def loaded(self, loaders: Loaders, obj: Model) -> Any:
        """The field's value if it is loaded, else MISSING; loads nothing."""
        if self.joined is not None and (value := self.joined(obj)) is not MISSING:
            return value
        return self.loader(loaders).values.get(self.key(obj), MISSING)

    def get_result(self, source: Any, info: Any, args: list, kwargs: dict) -> Any:
        return self.resolve(info.context.loaders, source)


def relation(read: Callable[[list], dict], **options: Any) -> Any:
    """Declares a relation field: `speakers: list[SpeakerType] = relation(selector)`.
    Takes `key`, `joined` and `estimate` (see RelationField) and `strawberry_django.field`'s options
    (`description`, `permission_classes`, `extensions`, ...)."""
    return RelationField(read, **options)


_names = NameConverter()


@cache
def relations_of(node_type: type) -> dict[str, RelationField]:
    """The relation fields of a GraphQL type, by their GraphQL names."""
    return {
        _names.get_graphql_name(field): field
        for field in node_type.__strawberry_definition__.fields
        if isinstance(field, RelationField)
    }


async def prefetch(
    loaders: Loaders, fields: list[SelectedField], objects: dict[type, list]
) -> None:
    """Load the relations `fields` ask of `objects` (by their GraphQL type), all levels."""
    level = [(node_type, group, fields) for node_type, group in objects.items()]
    while level:
        started = []  # (the relation, its loader, keys, the fields selected on its values)
        held = []  # (node type, values the objects already held, the fields selected on them)
        waits = []
        for node_type, parents, selected in level:
            relations = relations_of(node_type)
            if not relations or not parents:
                continue
            wanted: dict[str, list[SelectedField]] = {}
            for field in selected:
                if field.name in relations:
                    wanted.setdefault(field.name, []).extend(subfields([field]))
            for name, children in wanted.items():
                relation = relations[name]
                to_load = parents
                if relation.joined is not None:
                    joined = [relation.joined(obj) for obj in parents]
                    if children:
                        values = [value for value in joined if value is not MISSING]
                        held.append((relation.node_type, values, children))
                    to_load = [
                        obj for obj, value in zip(parents, joined, strict=True) if value is MISSING
                    ]
                    if not to_load:
                        continue
                loader = relation.loader(loaders)
                keys = list(dict.fromkeys(map(relation.key, to_load)))
                wait = loader.request(keys)
                if wait is not None:
                    waits.append(wait)
                started.append((relation, loader, keys, children))
        for wait in waits:
            await wait  # a failed batch keeps its error for the fields to raise
        level = [
            (node_type, list(_objects(values)), children) for node_type, values, children in held
        ]
        for relation, loader, keys, children in started:
            if children and relation.node_type is not None:
                values = loader.values
                found = (values[key] for key in keys if key in values)
                level.append((relation.node_type, list(_objects(found)), children))


def _objects(values: Iterable[Any]) -> Iterable[Model]:
    for value in values:
        if isinstance(value, list):
            yield from value
        elif isinstance(value, Model):
            yield value
