"""Relay cursor pagination: argument checks, opaque offset cursors, connection building."""

import base64
import binascii
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, TypeVar

from django.conf import settings
from strawberry import relay

from schema.errors import BadUserInput
from talks.selectors import RowRange

CURSOR_PREFIX = "offset:"

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
    if f"{prefix}:" != CURSOR_PREFIX or not number.isdigit():
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
    total_count: Callable[[], Any],  # the count, or an awaitable of it
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
    return connection_cls(edges=edges, page_info=page_info, count=total_count)
