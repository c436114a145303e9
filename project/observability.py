"""Structured logs: one JSON object a line, a request id on every line of a request, and
one `request` line per request with its operation, status, duration and SQL count.

Nothing from headers, bodies or variables is logged, so tokens and passwords never are.
"""

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar
from dataclasses import dataclass

from asgiref.sync import iscoroutinefunction
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.utils.decorators import sync_and_async_middleware
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension


@dataclass
class RequestState:
    request_id: str
    sql_statements: int = 0


current: ContextVar[RequestState | None] = ContextVar("current_request", default=None)
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
        state = current.get()
        if state is not None:
            entry["request_id"] = state.request_id
        for name in self.FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


JsonFormatter.converter = time.gmtime


def _count_statement(execute, sql, params, many, context):
    state = current.get()
    if state is not None:
        state.sql_statements += 1
    return execute(sql, params, many, context)


@receiver(connection_created)
def _install_statement_counter(sender, connection, **kwargs) -> None:
    if _count_statement not in connection.execute_wrappers:
        connection.execute_wrappers.append(_count_statement)


def _begin(request) -> tuple[RequestState, float]:
    given = request.headers.get("X-Request-ID", "")
    state = RequestState(given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex)
    current.set(state)
    request.request_id = state.request_id
    return state, time.perf_counter()


def _finish(request, response, state: RequestState, started: float) -> None:
    response["X-Request-ID"] = state.request_id
    status = response.status_code
    if request.path in QUIET_PATHS and status < 400:
        return
    user = getattr(request, "graphql_user_id", None)
    db = getattr(request, "graphql_db", None)  # where a GraphQL operation read from
    logger.log(
        logging.WARNING if status >= 500 else logging.INFO,
        "request",
        extra={
            "method": request.method,
            "path": request.path,
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            "sql": state.sql_statements,
            "operation": getattr(request, "graphql_operation", None),
            **({"db": db} if db is not None else {}),
            **({"user": user} if user is not None else {}),
        },
    )


@sync_and_async_middleware
def request_log_middleware(get_response):
    """Gives each request an id (X-Request-ID, or a new one) and logs how it went."""
    if iscoroutinefunction(get_response):

        async def middleware(request):
            state, started = _begin(request)
            response = await get_response(request)
            _finish(request, response, state, started)
            return response

    else:

        def middleware(request):
            state, started = _begin(request)
            response = get_response(request)
            _finish(request, response, state, started)
            return response

    return middleware


def current_request_id() -> str | None:
    state = current.get()
    return None if state is None else state.request_id


def operation_label(execution_context) -> str | None:
    """What a GraphQL request runs ("query Recent", "mutation"), from the document
    strawberry parsed; None when it did not parse."""
    document = execution_context.graphql_document
    operation = document and get_operation_ast(document, execution_context.operation_name)
    if operation is None:
        return None
    name = operation.name.value if operation.name else ""
    return f"{operation.operation.value} {name}".strip()


class OperationLog(SchemaExtension):
    """Puts what a GraphQL request runs on the request's log line."""

    def on_operation(self):
        try:
            yield
        finally:
            request = getattr(self.execution_context.context, "request", None)
            label = operation_label(self.execution_context)
            if request is not None and label is not None:
                request.graphql_operation = label
