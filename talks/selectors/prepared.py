"""Reads compiled once: a read whose SQL is the same at every call but for its keys
(`field__any`, `talks.lookups`) keeps the SQL Django compiled for it, and each call
sends that SQL with its own keys.

For the few rows a request reads by key (a talk, its speakers, its topics), building and
compiling the queryset cost more than running its statement: 0.4-0.65 ms each against
0.2-0.4 ms (20,000 talks). The rows come back as the queryset's `values_list` gives them.
On SQLite, `__any` writes one placeholder per key, so the SQL changes with their number:
there the queryset is built at every call, as it is on PostgreSQL the first time. A page
of a list has no keys: the same page of the same list is the same SQL on either
database (`rows_of`).
"""

import threading
from collections.abc import Callable, Hashable
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import QuerySet

from internals import compiled_rows

# Keys the queryset is compiled with, found again among its parameters: values no real
# key has, of the key's type (primary keys are positive; a slug has no NUL).
_PLACEHOLDERS = {int: -2_000_000_001, str: "\x00keys"}


class _Compiled:
    def __init__(self, queryset: QuerySet, placeholder: Any = None) -> None:
        self.sql, params, self.converted = compiled_rows(queryset)
        self.params = list(params)
        self.keys_at = [i for i, value in enumerate(params) if value == [placeholder]]
        if placeholder is not None and not self.keys_at:
            raise ValueError(f"the keys are no parameter of {self.sql!r}")

    def rows(self, keys: list, connection: Any) -> list[tuple]:
        params = list(self.params)
        for position in self.keys_at:
            params[position] = keys
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            return self.converted(cursor.fetchall(), connection)


KEPT = 1024  # statements kept, at most
_compiled: dict[tuple[Hashable, str], _Compiled] = {}
_keeping = threading.Lock()


def rows_by_keys(
    name: Hashable, model: type, build: Callable[[list], QuerySet], keys: list
) -> list[tuple]:
    """The rows of `build(keys)`, a `values_list` queryset of `model` whose SQL varies
    with nothing but the keys (each a parameter, such as `field__any=keys`): `name` says
    which read it is, the same name always building the same SQL but for the keys."""
    if not keys:
        return []
    alias = router.db_for_read(model) or "default"
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return list(build(keys).using(alias))
    compiled = _compiled.get((name, alias))
    if compiled is None:
        placeholder = _PLACEHOLDERS[type(keys[0])]
        compiled = _keep(name, alias, _Compiled(build([placeholder]).using(alias), placeholder))
    return compiled.rows(keys, connection)


def rows_of(name: Hashable, model: type, build: Callable[[], QuerySet]) -> list[tuple]:
    """The rows of `build()`, a `values_list` queryset of `model` whose SQL is the same
    at every call (a page of a list: its offsets are written into the SQL), compiled
    once on either database: `name` says which it is."""
    alias = router.db_for_read(model) or "default"
    compiled = _compiled.get((name, alias))
    if compiled is None:
        try:
            compiled = _keep(name, alias, _Compiled(build().using(alias)))
        except EmptyResultSet:  # a condition nothing meets: no statement, as Django does
            return []
    return compiled.rows([], connections[alias])


def _keep(name: Hashable, alias: str, compiled: _Compiled) -> _Compiled:
    with _keeping:
        if len(_compiled) >= KEPT:  # pages of many shapes: the oldest go first
            del _compiled[next(iter(_compiled))]
        _compiled[(name, alias)] = compiled
    return compiled
