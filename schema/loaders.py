"""Every DataLoader of the API, built fresh for each request.

A batch function makes one trip to a worker thread and runs one selector there, so a
field costs one SQL statement per level of the query however many parents it has.
"""

import asyncio
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, NamedTuple

from asgiref.sync import sync_to_async
from strawberry.dataloader import AbstractCache, DataLoader

from talks import selectors
from talks.models import Event, Speaker, Talk, Topic
from talks.selectors import RowRange, TalkFilters, TalkParent


class _Cache(AbstractCache):
    """The loader's futures by key, in a dict `loaded` can read without indirection."""

    def __init__(self) -> None:
        self.futures: dict[Hashable, asyncio.Future] = {}

    def get(self, key: Hashable) -> asyncio.Future | None:
        return self.futures.get(key)

    def set(self, key: Hashable, value: asyncio.Future) -> None:
        self.futures[key] = value

    def delete(self, key: Hashable) -> None:
        del self.futures[key]

    def clear(self) -> None:
        self.futures.clear()


def _loader(fetch: Callable[[list], dict], default: Callable[[], Any] = lambda: None) -> DataLoader:
    """A DataLoader over a selector that answers `{key: value}` for a list of keys."""

    async def load(keys: list) -> Sequence:
        found = await sync_to_async(fetch)(keys)
        return [found[key] if key in found else default() for key in keys]

    return DataLoader(load_fn=load, cache_map=_Cache())


def _grouped_loader(fetch: Callable[[Hashable, list], dict], default: Callable[[], Any]):
    """A DataLoader whose keys are `(group, parent_id)`: one selector call per group.

    The group carries what the rows depend on besides the parent (filters, order,
    page), so parents asking the same question are answered by one statement.
    """

    def fetch_all(keys: list[tuple[Hashable, int]]) -> dict:
        by_group: dict[Hashable, list[int]] = defaultdict(list)
        for group, parent_id in keys:
            by_group[group].append(parent_id)
        found = {}
        for group, parent_ids in by_group.items():
            for parent_id, value in fetch(group, parent_ids).items():
                found[(group, parent_id)] = value
        return found

    return _loader(fetch_all, default)


def loaded(loader: DataLoader, key: Hashable) -> Any:
    """The value for `key` if `loader` already holds it, else the awaitable that loads it.

    Resolvers return this so that graphql-core completes an already-loaded value on its
    synchronous path; awaiting a finished future would still cost it a task per field.
    """
    future = loader.cache_map.futures.get(key)
    if future is not None and future.done() and not future.cancelled() and not future.exception():
        return future.result()
    return loader.load(key)


def is_pending(value: Any) -> bool:
    """Whether `value`, as returned by `loaded`, still has to be awaited."""
    return isinstance(value, asyncio.Future)


class TalkCountKey(NamedTuple):
    parent: TalkParent
    filters: TalkFilters | None


class TalkPageKey(NamedTuple):
    parent: TalkParent
    filters: TalkFilters | None
    order: str
    rows: RowRange
    columns: tuple[str, ...]
    with_event: bool


class Loaders:
    def __init__(self) -> None:
        # A talk looked up alone comes with its event: one statement instead of two.
        talks = Talk.objects.select_related("event")
        self.talk = _loader(lambda ids: selectors.objects_by_key(talks, "pk", ids))
        self.speaker = _loader(lambda ids: selectors.objects_by_key(Speaker, "pk", ids))
        self.event = _loader(lambda ids: selectors.objects_by_key(Event, "pk", ids))
        self.topic = _loader(lambda ids: selectors.objects_by_key(Topic, "pk", ids))
        self.talk_by_slug = _loader(lambda slugs: selectors.objects_by_key(talks, "slug", slugs))
        self.speaker_by_slug = _loader(
            lambda slugs: selectors.objects_by_key(Speaker, "slug", slugs)
        )
        self.event_by_slug = _loader(lambda slugs: selectors.objects_by_key(Event, "slug", slugs))
        self.topic_by_slug = _loader(lambda slugs: selectors.objects_by_key(Topic, "slug", slugs))

        self.speakers_of_talk = _loader(selectors.speakers_of_talks, list)
        self.topics_of_talk = _loader(selectors.topics_of_talks, list)
        self.speakers_of_event = _loader(selectors.speakers_of_events, list)
        self.events_of_speaker = _loader(selectors.events_of_speakers, list)

        self.talk_count = _grouped_loader(
            lambda key, ids: selectors.talk_counts(key.parent, ids, key.filters), int
        )
        self.talk_page = _grouped_loader(
            lambda key, ids: selectors.talk_pages(
                key.parent,
                ids,
                filters=key.filters,
                order=key.order,
                rows=key.rows,
                columns=key.columns,
                with_event=key.with_event,
            ),
            list,
        )

    def prime_events(self, talks: Iterable[Talk]) -> None:
        """Hand the events joined into a talk query to the event loader.

        Call it on the event loop (futures are not thread-safe), before the talks'
        `event` fields resolve.
        """
        event_field = Talk._meta.get_field("event")
        for talk in talks:
            if isinstance(talk, Talk) and event_field.is_cached(talk):
                self.event.prime(talk.event_id, talk.event)

    def prime_talk_counts(self, parent: TalkParent, objects: Iterable[Any]) -> None:
        """Hand talk counts annotated onto a list query to the talk-count loader."""
        for obj in objects:
            self.talk_count.prime((TalkCountKey(parent, None), obj.pk), obj.talk_count)
