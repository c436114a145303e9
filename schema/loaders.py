"""The request's DataLoaders (one per read, built fresh for each request) and the
DataLoader itself.

A batch runs one selector on a worker thread, so a field costs one SQL statement per
level of the query however many parents it has; the batches of several loaders that
close together go to the thread in one trip (`Trips`).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, NamedTuple

from asgiref.sync import sync_to_async
from django.db.models import Model

from talks import selectors
from talks.selectors import RowRange, TalkFilters, TalkParent

MISSING: Any = object()  # what `DataLoader.values.get` gives for a key not loaded
NONE = type(None)  # the default of a read whose missing keys have no value: None


class _Batch:
    __slots__ = ("done", "keys")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.keys: list[Hashable] = []
        self.done = loop.create_future()  # set, never failed, when the batch has run


class DataLoader:
    """Batches the keys asked for while the event loop goes round into one call of
    `fetch` (one trip to a worker thread, one selector) and keeps what it returned.

    Values are kept in a plain dict, `values`, so that code that finds its keys there
    (the executor's short paths, `prefetch`) reads them without awaiting anything, and
    a batch has one future for all its keys, not one per key. A failed batch keeps its
    exception for each of its keys in `errors`; loading such a key raises it.
    """

    def __init__(
        self,
        fetch: Callable[[list], dict],
        default: Callable[[], Any],
        trips: Trips | None = None,
    ) -> None:
        self.values: dict[Hashable, Any] = {}
        self.errors: dict[Hashable, Exception] = {}
        self._fetch = fetch
        self._default = default
        self._open: _Batch | None = None  # the batch that is still taking keys
        self._pending: dict[Hashable, asyncio.Future] = {}  # key -> its batch's `done`
        self._trips = trips or Trips()

    def request(self, keys: Iterable[Hashable]) -> Awaitable | None:
        """Start loading whichever of `keys` are neither loaded nor loading; an awaitable
        that is done when all of `keys` are, or None if they already are."""
        values, errors, pending = self.values, self.errors, self._pending
        waits: list[asyncio.Future] = []
        for key in keys:
            if key in values or key in errors:
                continue
            wait = pending.get(key)
            if wait is None:
                batch = self._open or self._open_batch()
                batch.keys.append(key)
                wait = pending[key] = batch.done
            if not waits or waits[-1] is not wait:
                waits.append(wait)
        if not waits:
            return None
        return waits[0] if len(set(waits)) == 1 else asyncio.gather(*set(waits))

    async def load(self, key: Hashable) -> Any:
        wait = self.request((key,))
        if wait is not None:
            await wait
        if key in self.values:
            return self.values[key]
        raise self.errors[key]

    def prime(self, key: Hashable, value: Any) -> None:
        """Store a value loaded some other way, unless the key is loaded already."""
        self.values.setdefault(key, value)

    def _open_batch(self) -> _Batch:
        loop = asyncio.get_running_loop()
        batch = self._open = _Batch(loop)
        # The batch closes when its trip starts: every resolver that runs before then,
        # up to two turns of the loop, adds its keys to it.
        loop.call_soon(self._trips.add, self, batch)
        return batch

    def _close(self, batch: _Batch) -> None:
        if self._open is batch:
            self._open = None

    def _finish(self, batch: _Batch, found: dict | None, error: BaseException | None) -> None:
        keys = batch.keys
        if error is not None:
            self.errors.update(dict.fromkeys(keys, error))
        else:
            values, default = self.values, self._default
            for key in keys:
                values[key] = found[key] if key in found else default()
        for key in keys:
            del self._pending[key]
        batch.done.set_result(None)


# Called with (the loader's name, the number of keys) after each batch: the edge's metrics.
BATCH_OBSERVERS: list[Callable[[str, int], None]] = []
# Wraps each batch's fetch on the worker thread when set, called with (the loader's
# name, its keys): the edge's traces, whose SQL spans it becomes the parent of.
batch_scope: Callable[[str, list], AbstractContextManager] | None = None


def loader_name(fetch: Any) -> str:
    """A loader's name, for metrics and traces: its read's function or model."""
    read = getattr(fetch, "fetch", None) or getattr(fetch, "model", None) or fetch
    return getattr(read, "__name__", None) or type(read).__name__


class Trips:
    """Takes the batches of a request's DataLoaders to the worker thread: all the batches
    that close together (a page's speakers and topics, say) in one trip."""

    def __init__(self) -> None:
        self._waiting: list[tuple[DataLoader, _Batch]] = []
        self._running: set[asyncio.Task] = set()

    def add(self, loader: DataLoader, batch: _Batch) -> None:
        if not self._waiting:
            task = asyncio.get_running_loop().create_task(self._go())
            self._running.add(task)  # the loop keeps only a weak reference to a task
            task.add_done_callback(self._running.discard)
        self._waiting.append((loader, batch))

    async def _go(self) -> None:
        batches, self._waiting = self._waiting, []
        for loader, batch in batches:
            loader._close(batch)
        try:
            outcomes = await sync_to_async(_fetch_each)(batches)
        except BaseException as error:  # cancelled, or worse: every batch fails with it
            for loader, batch in batches:
                loader._finish(batch, None, error)
            raise
        for (loader, batch), (found, error) in zip(batches, outcomes, strict=True):
            for observe in BATCH_OBSERVERS:
                observe(loader_name(loader._fetch), len(batch.keys))
            try:
                loader._finish(batch, found, error)
            except Exception as failed:  # a batch left unfinished would hang its request
                loader._finish(batch, None, failed)


def _fetch_each(
    batches: list[tuple[DataLoader, _Batch]],
) -> list[tuple[dict | None, Exception | None]]:
    outcomes: list[tuple[dict | None, Exception | None]] = []
    scope = batch_scope
    for loader, batch in batches:
        try:
            if scope is None:
                outcomes.append((loader._fetch(batch.keys), None))
            else:
                with scope(loader_name(loader._fetch), batch.keys):
                    outcomes.append((loader._fetch(batch.keys), None))
        except Exception as error:
            outcomes.append((None, error))
    return outcomes


def loaded(loader: DataLoader, key: Hashable) -> Any:
    """The value for `key` if `loader` already holds it, else the awaitable that loads it.

    Resolvers return this so that graphql-core completes an already-loaded value on its
    synchronous path; awaiting it would cost a task per field.
    """
    value = loader.values.get(key, MISSING)
    return loader.load(key) if value is MISSING else value


@dataclass(frozen=True)
class ByKey:
    """A read of the objects of `model` whose unique `field` is one of the keys."""

    model: type[Model]
    field: str = "pk"

    def __call__(self, keys: list) -> dict:
        return selectors.objects_by_key(self.model, self.field, keys)


@dataclass(frozen=True)
class PerGroup:
    """A read whose keys are `(group, parent_id)`: one call of `fetch(group, parent_ids)`
    per group.

    The group carries what the rows depend on besides the parent (filters, order,
    page), so parents asking the same question are answered by one statement.
    """

    fetch: Callable[[Any, list[int]], dict]

    def __call__(self, keys: list[tuple[Hashable, int]]) -> dict:
        by_group: dict[Hashable, list[int]] = defaultdict(list)
        for group, parent_id in keys:
            by_group[group].append(parent_id)
        found = {}
        for group, parent_ids in by_group.items():
            for parent_id, value in self.fetch(group, parent_ids).items():
                found[(group, parent_id)] = value
        return found


class TalkCountKey(NamedTuple):
    parent: TalkParent
    filters: TalkFilters | None


class TalkPageKey(NamedTuple):
    parent: TalkParent
    filters: TalkFilters | None
    order: str
    rows: RowRange
    columns: tuple[str, ...]
    event_columns: tuple[str, ...]  # those of an event joined in; () joins none


def _talk_counts(key: TalkCountKey, ids: list[int]) -> dict:
    return selectors.talk_counts(key.parent, ids, key.filters)


def _talk_pages(key: TalkPageKey, ids: list[int]) -> dict:
    return selectors.talk_pages(
        key.parent,
        ids,
        filters=key.filters,
        order=key.order,
        rows=key.rows,
        columns=key.columns,
        event_columns=key.event_columns,
    )


# The reads that more than one field shares; the others are declared with their field.
TALK_COUNTS = PerGroup(_talk_counts)  # keys: (TalkCountKey, parent id)
TALK_PAGES = PerGroup(_talk_pages)  # keys: (TalkPageKey, parent id)


class Loaders:
    """The request's DataLoaders: one per read, built when first used (most requests use
    few). A read is any hashable callable that answers `{key: value}` for a list of keys:
    a selector, a `ByKey`, a `PerGroup`; keys it leaves out get `default()`."""

    def __init__(self) -> None:
        self.trips = Trips()
        self._loaders: dict[tuple[Callable, Callable], DataLoader] = {}

    @property
    def used(self) -> bool:
        """Whether any read was asked for (and may have taken a database connection)."""
        return bool(self._loaders)

    def of(self, read: Callable[[list], dict], default: Callable[[], Any] = NONE) -> DataLoader:
        loader = self._loaders.get((read, default))
        if loader is None:
            loader = self._loaders[(read, default)] = DataLoader(read, default, self.trips)
        return loader
