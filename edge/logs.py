"""Structured logs: one JSON object a line, a request id on every line of a request, and
one `request` line per request with its operation, status, duration and SQL count.

Nothing from headers, bodies or variables is logged, so tokens and passwords never are.
"""

import json
import logging
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.utils.decorators import sync_and_async_middleware
from strawberry.extensions import SchemaExtension

from edge import state as request_state
from edge import tracing
from edge.protocol import is_shared
from schema.errors import operation_label

logger = logging.getLogger("talks.request")
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")  # a client's id is echoed only if tame
QUIET_PATHS = {"/healthz", "/readyz"}  # probes are logged only when they fail


class JsonFormatter(logging.Formatter):
    """A log record as one JSON object: time, level, logger, message, request id, extras."""

    FIELDS = (
        "method",
        "path",
        "status",
        "duration_ms",
        "sql",
        "operation",
        "db",
        "field",
        "user",
        "problem",
    )

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if (request_id := getattr(record, "request_id", None)) is not None:
            entry["request_id"] = request_id
        for name in self.FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


JsonFormatter.converter = time.gmtime

_make_record = logging.getLogRecordFactory()


def _record_with_request_id(*args, **kwargs) -> logging.LogRecord:
    """Every log record made while a request runs carries the request's id, however
    late a handler formats it."""
    record = _make_record(*args, **kwargs)
    state = request_state.current()
    if state is not None:
        record.request_id = state.request_id
    return record


logging.setLogRecordFactory(_record_with_request_id)


def _count_statement(execute, sql, params, many, context):
    state = request_state.current()
    if state is not None:
        state.sql_statements += 1
    return execute(sql, params, many, context)


@receiver(connection_created)
def _install_statement_counter(sender, connection, **kwargs) -> None:
    if _count_statement not in connection.execute_wrappers:
        connection.execute_wrappers.append(_count_statement)


def _request_id(request) -> str:
    given = request.headers.get("X-Request-ID", "")
    return given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


@contextmanager
def _request(request) -> Iterator[tuple[request_state.RequestState, Any]]:
    """The request's state, and its server span when tracing is on (whose trace id is
    then the request's id)."""
    if tracing.tracer is None:
        with request_state.request(_request_id(request)) as state:
            yield state, None
    else:
        with (
            tracing.http_span(request) as span,
            request_state.request(tracing.trace_id(span)) as state,
        ):
            yield state, span


def _finish(request, response, state: request_state.RequestState, span) -> None:
    if span is not None:
        tracing.end_http_span(span, request, response.status_code)
    if not is_shared(response):
        response["X-Request-ID"] = state.request_id
    if request.path not in QUIET_PATHS or response.status_code >= 400:
        _log(request, response, state)


def _log(request, response, state: request_state.RequestState) -> None:
    status = response.status_code
    user = state.token_user.pk if state.token_user is not None else None
    logger.log(
        logging.WARNING if status >= 500 else logging.INFO,
        "request",
        extra={
            "method": request.method,
            "path": request.path,
            "status": status,
            "duration_ms": round((time.perf_counter() - state.started) * 1000, 2),
            "sql": state.sql_statements,
            "operation": state.operation,
            **({"db": state.database} if state.database is not None else {}),
            **({"user": user} if user is not None else {}),
        },
    )


@sync_and_async_middleware
def request_log_middleware(get_response):
    """Begins each request's state, with its id (X-Request-ID, or a new one; the trace
    id when tracing is on), and logs how the request went."""
    if iscoroutinefunction(get_response):

        async def middleware(request):
            with _request(request) as (state, span):
                response = await get_response(request)
                _finish(request, response, state, span)
                return response

    else:

        def middleware(request):
            with _request(request) as (state, span):
                response = get_response(request)
                _finish(request, response, state, span)
                return response

    return middleware


class OperationLog(SchemaExtension):
    """Puts what a GraphQL request runs on the request's log line."""

    def on_operation(self):
        try:
            yield
        finally:
            state = getattr(self.execution_context.context, "state", None)
            label = operation_label(self.execution_context)
            if state is not None and label is not None:
                state.operation = label
