"""Lists: Relay cursor pagination, the list fields (top-level lists and the nested talk
pages of events, speakers and topics) and the connections they return.

Every list field takes the same arguments (`filter`, `orderBy`, `first`, `after`,
`last`, `before`), declared once in `list_field`. Cursors are opaque offsets.
"""

import asyncio
import base64
import binascii
import inspect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache, partial
from typing import Any, TypeVar

import strawberry
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db.models import QuerySet
from strawberry import relay
from strawberry.types import Info
from strawberry.types.field import StrawberryField

from schema.errors import BadUserInput
from schema.filters import list_order, selector_filters
from schema.loaders import TALK_COUNTS, TALK_PAGES, Loaders, TalkCountKey, TalkPageKey, loaded
from schema.lookahead import SelectedField, columns, field_key, node_fields, subfields
from schema.relations import prefetch
from talks import models, selectors
from talks.selectors import RowRange, TalkParent

CURSOR_PREFIX = "offset:"
# An offset as `encode_cursor` writes it, and no further than a list can reach.
OFFSET = re.compile(r"0|[1-9][0-9]{0,9}")
MAX_OFFSET = 2**31 - 1

C = TypeVar("C")


@lru_cache(maxsize=4096)  # every page's edges ask for the same few offsets
def encode_cursor(offset: int) -> str:
    return base64.b64encode(f"{CURSOR_PREFIX}{offset}".encode()).decode()


def decode_cursor(cursor: str, argument: str) -> int:
    try:
        raw = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeError, ValueError):
        raw = ""
    prefix, _, number = raw.partition(":")
    if f"{prefix}:" != CURSOR_PREFIX or not OFFSET.fullmatch(number) or int(number) > MAX_OFFSET:
        raise BadUserInput(
            f"`{argument}` is not a valid cursor: pass a cursor from this connection's "
            "edges or pageInfo.",
            argument=argument,
        )
    return int(number)


def check_page_size(value: int | None, argument: str) -> None:
    if value is None:
        return
    limit = settings.GRAPHQL_MAX_PAGE_SIZE
    if value < 0:
        raise BadUserInput(f"`{argument}` must not be negative (got {value}).", argument=argument)
    if value > limit:
        raise BadUserInput(
            f"`{argument}` must be at most {limit} (got {value}); page with `after`/`before`.",
            argument=argument,
        )


def row_range(
    *, first: int | None, after: str | None, last: int | None, before: str | None
) -> RowRange:
    """The rows a Relay page asks for, following the spec's cursor algorithm."""
    check_page_size(first, "first")
    check_page_size(last, "last")
    if first is None and last is None:
        first = settings.GRAPHQL_DEFAULT_PAGE_SIZE
    start = decode_cursor(after, "after") + 1 if after is not None else 0
    stop = decode_cursor(before, "before") if before is not None else None
    if first is not None:
        stop = start + first if stop is None else min(stop, start + first)
    if last is not None and stop is not None:
        start = max(start, stop - last)
        return RowRange(start=start, stop=max(stop, start))
    if stop is not None:
        return RowRange(start=start, stop=max(stop, start))
    return RowRange(start=start, stop=None, last=last)


def build_connection(
    connection_cls: type[C],
    *,
    rows: Sequence[Any],
    start: int,
    has_next_page: bool,
    total_count: Callable[[], Any],  # a selectors.Counted, or an awaitable of one
    exact_total_count: Callable[[], Any] | None = None,  # likewise; None: total_count's
) -> C:
    edges = [
        relay.Edge(cursor=encode_cursor(start + index), node=row) for index, row in enumerate(rows)
    ]
    page_info = relay.PageInfo(
        has_next_page=has_next_page,
        has_previous_page=start > 0,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
    return connection_cls(
        edges=edges,
        page_info=page_info,
        count=total_count,
        exact_count=exact_total_count or total_count,
    )


def _part_of(counted: Any, part: str) -> Any:
    """`part` of a Counted, or an awaitable of it when the count is still coming."""
    if not inspect.isawaitable(counted):
        return getattr(counted, part)

    async def later() -> Any:
        return getattr(await counted, part)

    return later()


@strawberry.type(description="A page of a list, with the size of the whole list.")
class CountedConnection(relay.Connection[relay.NodeType]):
    # Each returns a selectors.Counted, or an awaitable of one when it is not known yet:
    # the count `totalCount` shows, and the exact one.
    count: strawberry.Private[Callable[[], Any]]
    exact_count: strawberry.Private[Callable[[], Any]]

    @strawberry.field(
        description=f"How many items match, over all pages: exact up to "
        f"{selectors.COUNT_EXACT_UP_TO:,} matches of a top-level list, the database's "
        "estimate above that (see `totalCountIsExact`)."
    )
    def total_count(self) -> int:
        return _part_of(self.count(), "rows")

    @strawberry.field(
        description="Whether `totalCount` is exact. It is an estimate when a filtered "
        f"top-level list matches more than {selectors.COUNT_EXACT_UP_TO:,} items, as search "
        "engines count their hits; the pages themselves are always exact."
    )
    def total_count_is_exact(self) -> bool:
        return _part_of(self.count(), "exact")

    @strawberry.field(
        description="How many items match, over all pages, counted exactly however many "
        "there are. Fast where an index can count (a whole list, one event's or speaker's "
        "talks); a broad filter or search over a large catalogue counts every match, so "
        "ask for it only when `totalCount`'s estimate will not do."
    )
    def exact_total_count(self) -> int:
        return _part_of(self.exact_count(), "rows")


@dataclass(frozen=True)
class Listing:
    """What a list of one type is: its node and connection types, its filter input, the
    order by default (of the order enum it takes), the selector whose queryset it pages."""

    node_type: type
    connection: type
    filter_input: type
    default_order: Enum
    select: Callable[..., QuerySet]

    @property
    def model(self) -> type:
        return self.node_type.__strawberry_django_definition__.model


@dataclass(frozen=True)
class Page:
    """What a list field was asked for, in the selectors' terms."""

    filters: Any  # the selector's filters, None for none
    order: str
    rows: RowRange


def list_field(
    listing: Listing,
    run: Callable[..., Any],
    description: str,
    field_class: type[StrawberryField] = StrawberryField,
) -> Any:
    """A field with the list arguments, answered by `run(root, info, ask)`, where `ask()`
    reads the arguments as a `Page`."""
    filter_input, order = listing.filter_input, type(listing.default_order)

    def resolve(
        root,
        info: Info,
        filter: filter_input | None = None,
        order_by: order | None = listing.default_order,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> listing.connection:
        def ask() -> Page:
            rows = row_range(first=first, after=after, last=last, before=before)
            filters = selector_filters(filter)
            return Page(filters, list_order(info, order_by, listing.default_order, filters), rows)

        return run(root, info, ask)

    return field_class(description=description)(resolve)


def joined_event_columns(model: type, fields: list[SelectedField]) -> tuple[str, ...]:
    """The event columns a page of talks joins in: those its `event` field reads, or none
    when `event` is not selected (or the page is not of talks)."""
    event_fields = [field for field in fields if field.name == "event"]
    if model is not models.Talk or not event_fields:
        return ()
    return columns(models.Event, subfields(event_fields))


def top_level_list(listing: Listing, description: str) -> Any:
    """A list of the Query root: OFFSET/LIMIT on the indexed ordering, COUNT on demand."""
    return list_field(listing, partial(_top_level_page, listing), description)


async def _top_level_page(listing: Listing, root, info: Info, ask: Callable[[], Page]) -> Any:
    page = ask()
    fields = node_fields(info)
    rows = page.rows

    def fetch() -> tuple[int, int, list, selectors.Counted | None]:
        # Here, not on the event loop: a search may look its words up first.
        model = listing.model
        total, start, stop = None, rows.start, rows.stop
        if stop is None:  # "the last N rows": where the list ends decides where they start
            queryset = listing.select(filters=page.filters, order=page.order)
            total = selectors.counted(queryset, exact=True)
            start, stop = max(start, total.rows - rows.last), total.rows
        stop = max(stop, start)
        # One row past the page tells whether a next page exists.
        objects = selectors.page_instances(
            listing.select,
            model,
            page.filters,
            page.order,
            start,
            stop + 1,
            columns(model, fields),
            joined_event_columns(model, fields),
        )
        return start, stop, objects, total

    start, stop, objects, total = await sync_to_async(fetch)()
    has_next_page = len(objects) > stop - start
    objects = objects[: stop - start]
    await prefetch(info.context.loaders, fields, {listing.node_type: objects})

    counts: dict[bool, Any] = {}

    def total_count(exact: bool = False) -> Any:
        # The whole list's length is kept by the database (a million talks are not
        # counted per request); a filtered one is counted up to a cap, then estimated,
        # unless `exactTotalCount` asks for every match to be counted.
        if total is not None:
            return total
        if exact not in counts:  # one COUNT, however many times `totalCount` is selected
            work = partial(selectors.list_total, listing.select, page.filters, exact)
            counts[exact] = asyncio.ensure_future(sync_to_async(work)())
        return counts[exact]

    return build_connection(
        listing.connection,
        rows=objects,
        start=start,
        has_next_page=has_next_page,
        total_count=total_count,
        exact_total_count=partial(total_count, True),
    )


def _exactly(count: Any) -> Any:
    """A nested list's count (an int or an awaitable of one), which is always exact."""
    if not inspect.isawaitable(count):
        return selectors.Counted(count, exact=True)

    async def later() -> selectors.Counted:
        return selectors.Counted(await count, exact=True)

    return later()


class TalkPagesField(StrawberryField):
    """The `talks` of an event, speaker or topic: a page for each parent, the pages of all
    parents in the request read by one statement.

    What the page is (its key, the fields read) depends only on the field and its
    arguments, the same for every parent (the talks of 50 speakers): it is worked out
    for the first parent and kept in the request's context, by the field's path, for
    the others. With it kept, `serve` answers a parent without reading the arguments
    again, which the executor's short path uses (`schema.execution`).
    """

    parent: TalkParent
    listing: Listing

    def __copy__(self) -> "TalkPagesField":
        new = super().__copy__()
        new.parent, new.listing = self.parent, self.listing
        return new

    def run(self, root, info: Info, ask: Callable[[], Page]) -> Any:
        context = info.context
        served = self.serve(context, root, info.path)
        if served is not None:
            return served
        page = ask()
        fields = node_fields(info)
        key = TalkPageKey(
            self.parent,
            page.filters,
            page.order,
            page.rows,
            columns(models.Talk, fields),
            joined_event_columns(models.Talk, fields),
        )
        context.pages[(self.parent, field_key(info.path))] = (key, fields)
        return _talk_page(context.loaders, self.listing, root.id, key, fields)

    def serve(self, context: Any, root: Any, path: Any) -> Any:
        """The awaitable page of `root` at `path` if the field's page is worked out."""
        found = context.pages.get((self.parent, field_key(path)))
        return None if found is None else _talk_page(context.loaders, self.listing, root.id, *found)


def talk_pages(parent: TalkParent, listing: Listing, description: str) -> Any:
    field = list_field(listing, lambda *args: field.run(*args), description, TalkPagesField)
    field.parent, field.listing = parent, listing
    return field


async def _talk_page(
    loaders: Loaders, listing: Listing, parent_id: int, key: TalkPageKey, fields: list
) -> Any:
    rows = key.rows
    talks = await loaders.of(TALK_PAGES, list).load((key, parent_id))
    if rows.stop is None:
        start = talks[0].row_number - 1 if talks else rows.start
        page, has_next_page = talks, False
    else:
        size = rows.stop - rows.start
        start, page, has_next_page = rows.start, talks[:size], len(talks) > size
    await prefetch(loaders, fields, {listing.node_type: page})
    count_key = (TalkCountKey(key.parent, key.filters), parent_id)
    return build_connection(
        listing.connection,
        rows=page,
        start=start,
        has_next_page=has_next_page,
        total_count=lambda: _exactly(loaded(loaders.of(TALK_COUNTS, int), count_key)),
    )
