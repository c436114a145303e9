"""Looking ahead at the selection set, to load and join what the query is about to ask for.

Directives are ignored: a field under `@skip` still counts, which costs at most a load
or a join that was not needed, never a wrong answer. So are the type conditions of
fragments, for the same reason.
"""

from collections.abc import Iterable, Iterator, Sequence

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from graphql.pyutils import Path
from strawberry.types import Info
from strawberry.types.nodes import SelectedField, Selection
from strawberry.utils.str_converters import to_snake_case

from talks.models import Event, Talk

__all__ = ["SelectedField", "columns", "field_key", "node_fields", "own_fields", "subfields"]


def _fields(selections: Sequence[Selection]) -> Iterator[SelectedField]:
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        else:  # a fragment spread or inline fragment
            yield from _fields(selection.selections)


def subfields(fields: Iterable[SelectedField]) -> list[SelectedField]:
    """The fields selected on the values of `fields`, through any fragments."""
    return [child for field in fields for child in _fields(field.selections)]


def field_key(path: Path) -> tuple:
    """What names a field in its operation, the same for every parent that resolves it
    (the `talks` of 50 speakers): its path without list indices, with the type of each
    step (two fragments on a union may select the same name)."""
    key = []
    while path is not None:
        if not isinstance(path.key, int):
            key.append((path.key, path.typename))
        path = path.prev
    return tuple(key)


def _path(info: Info, path: Sequence[str]) -> list[SelectedField]:
    """The fields at `path` below the current field, worked out once per request."""
    cache = info.context.lookahead
    key = (field_key(info.path), *path)
    found = cache.get(key)
    if found is None:
        found = list(info.selected_fields)
        for name in path:
            found = [child for child in subfields(found) if child.name == name]
        cache[key] = found
    return found


def own_fields(info: Info) -> list[SelectedField]:
    """The fields selected on the current field's value."""
    return subfields(_path(info, ()))


def node_fields(info: Info) -> list[SelectedField]:
    """The fields selected on the nodes of the current field's connection."""
    return subfields(_path(info, ("edges", "node")))


# The columns of the fields that are no model field but are computed from columns.
COMPUTED: dict[tuple[type[Model], str], tuple[str, ...]] = {
    (Talk, "slot"): ("starts_at", "ends_at", "room"),
    (Event, "days"): ("starts_on", "ends_on"),
    (Event, "schedule"): ("timezone",),
}


def columns(model: type[Model], fields: Iterable[SelectedField]) -> tuple[str, ...]:
    """The model fields that `fields` read, for `QuerySet.only`: the primary key, every
    selected column, and the foreign key of every selected to-one relation.

    Other fields (relations to many, counts, `__typename`) are computed from the primary
    key. A test checks that every field of every type falls in one of these groups, so an
    object loaded this way never fetches a deferred column on its own.
    """
    wanted = {model._meta.pk.name}
    for field in fields:
        name = to_snake_case(field.name)
        wanted.update(COMPUTED.get((model, name), ()))
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if model_field.concrete and not model_field.many_to_many:
            wanted.add(name)
    return tuple(sorted(wanted))
