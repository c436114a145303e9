"""Looking ahead at the selection set, to join what the query is about to ask for."""

from collections.abc import Iterator, Sequence

from strawberry.types import Info
from strawberry.types.nodes import SelectedField, Selection


def _fields(selections: Sequence[Selection]) -> Iterator[SelectedField]:
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        else:  # a fragment spread or inline fragment
            yield from _fields(selection.selections)


def selects(info: Info, *path: str) -> bool:
    """Whether the current field's selection reaches `path`, through any fragments.

    Directives are ignored: a field under `@skip` still counts, which costs at most a
    join that was not needed, never a wrong answer.
    """
    level: list[SelectedField] = list(info.selected_fields)
    for name in path:
        level = [
            child for field in level for child in _fields(field.selections) if child.name == name
        ]
        if not level:
            return False
    return True
