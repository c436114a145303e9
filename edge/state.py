"""The state of one HTTP request: one typed object, made by the first middleware
(`edge.logs.request_log_middleware`, through `request`) and reached through `current()`
anywhere the request runs, its worker threads and tasks included (a context variable,
which asgiref and asyncio copy into both). The GraphQL context carries it too
(`edge.context`)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from edge.caching import PublicRead
    from edge.persisted import OperationText
    from edge.ratelimit import Standing


@dataclass(eq=False)
class RequestState:
    request_id: str
    started: float = field(default_factory=time.perf_counter)
    # SQL statements the request ran, on any thread (`edge.logs`).
    sql_statements: int = 0
    # The user of a valid `Authorization: Bearer` token; None: anonymous, or a session.
    token_user: Any = None
    # A public GET's entity tag and the catalogue version it names (`edge.public`).
    public: PublicRead | None = None
    # The GraphQL text the request runs, once the view or `edge.public` worked it out.
    operation_text: OperationText | None = None
    # What the request runs ("query Recent"), once its document parsed.
    operation: str | None = None
    # Where the operation read from: "primary" or a replica's alias (`edge.routing`).
    database: str | None = None
    # The replica the operation's reads go to while it executes; None: the primary
    # (`edge.replicas.ReplicaRouter`).
    reads_from: str | None = None
    # Set when the operation runs again on the primary after its replica failed.
    primary_only: bool = False
    # Where the client's rate-limit bucket stands after this request, and the points the
    # request paid so far (`edge.ratelimit`).
    rate: Standing | None = None
    charged: int = 0
    # Whether the executed operation's answer has errors (answers with errors are not kept).
    had_errors: bool = True
    depends_on_now: bool = False  # the answer is right only now: not kept


_current: ContextVar[RequestState | None] = ContextVar("request_state", default=None)


def current() -> RequestState | None:
    """The state of the request this code runs for; None outside a request (a command,
    a test calling a function directly)."""
    return _current.get()


@contextmanager
def request(request_id: str) -> Iterator[RequestState]:
    """The state of a new request, current while the request runs."""
    state = RequestState(request_id)
    token = _current.set(state)
    try:
        yield state
    finally:
        _current.reset(token)
