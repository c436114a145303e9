"""OpenTelemetry traces, off unless configured: one trace per HTTP request, down to each
DataLoader batch and the SQL statements it ran.

`configure_from_environment` (each server process, at start: project/asgi.py) turns
tracing on when the standard variables ask for it: OTEL_EXPORTER_OTLP_ENDPOINT or
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (exported over OTLP/HTTP by the official SDK's
exporter, which reads the other OTEL_EXPORTER_OTLP_* variables itself), or
OTEL_TRACES_EXPORTER=console; OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES,
OTEL_TRACES_SAMPLER(_ARG) and OTEL_BSP_* are the SDK's, as documented there. Without them
every hook below returns at its first line: tracing off costs a test of `tracer`.

The tree of one request:

    POST /graphql/                   HTTP server span (`http_span`), continuing the
    │                                caller's W3C traceparent; its trace id is the request
    │                                id of the log line and the X-Request-ID header
    └ graphql.operation              name, type, document hash, cost, persisted query,
      ├ graphql.parse                response cache, database it read from, errors
      ├ graphql.validate
      └ graphql.execute
        ├ SELECT talks_talk          a statement of a top-level field
        └ dataloader.batch           one per batch: dataloader.name, dataloader.keys
          └ SELECT talks_speaker     each statement the batch ran

There is no span per field: strawberry's OpenTelemetryExtension makes one per resolver,
which costs more than the fields themselves on a page of talks. Statements are named and
attributed as OpenTelemetry's database conventions say (`db.system.name`, and the older
`db.system`, `db.query.text` with placeholders, never values), with the connection alias
(`talks.db.alias`: "default" or a replica) and its server.

The server span is ours, not opentelemetry-instrumentation-django's, whose middleware is
sync-only (two thread hops per request under ASGI), nor the ASGI instrumentation's, which
adds a span per message sent and sits outside Django's test client.
"""

import hashlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

from django.db.backends.signals import connection_created
from django.dispatch import receiver
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode, format_trace_id
from strawberry.extensions import SchemaExtension

from schema.errors import operation_label

tracer: trace.Tracer | None = None
_provider: trace.TracerProvider | None = None
SPAN_NAME = re.compile(
    r"\s*(?P<operation>\w+)(?:.*?\b(?:FROM|INTO|UPDATE)\s+\"?(?P<table>\w+))?",
    re.IGNORECASE | re.DOTALL,
)
PLACEHOLDER_RUN = re.compile(r"%s(?:, %s)+")  # `IN (%s, %s, ...)` of a batch, as one
MAX_QUERY_TEXT = 2048
DB_SYSTEMS = {"postgresql": "postgresql", "sqlite": "sqlite"}


def configure(provider: trace.TracerProvider | None) -> None:
    """Trace with `provider` from now on; None turns tracing off."""
    from schema import loaders  # (edge.logs, which the log settings load, imports this)

    global tracer, _provider
    tracer = provider.get_tracer("talks-api") if provider is not None else None
    _provider = provider
    loaders.batch_scope = batch_span if provider is not None else None


def configure_from_environment() -> bool:
    """Turn tracing on if the OTEL_* variables ask for it; whether they did."""
    environ = os.environ
    exporter_name = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    endpoint = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or environ.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    disabled = environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"
    if disabled or exporter_name == "none" or not (endpoint or exporter_name == "console"):
        return False
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    if exporter_name == "console":
        exporter = ConsoleSpanExporter()
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    # The environment's name for the service, if it gives one; attributes given here win.
    named = environ.get("OTEL_SERVICE_NAME") or "service.name=" in environ.get(
        "OTEL_RESOURCE_ATTRIBUTES", ""
    )
    given = {} if named else {SERVICE_NAME: "talks-api"}
    provider = TracerProvider(resource=Resource.create(given))  # the sampler: OTEL_*
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    configure(provider)
    return True


def shutdown() -> None:
    """Export the spans still held, at a server process's end. uvicorn ends a process
    that SIGTERM stopped by raising SIGTERM again, so the SDK's own exit hook never runs:
    project/asgi.py calls this at the ASGI lifespan's shutdown instead."""
    if _provider is not None and hasattr(_provider, "shutdown"):
        _provider.shutdown()


@contextmanager
def http_span(request) -> Iterator[trace.Span]:
    """The request's server span, current while the request runs; its trace id is the
    caller's when the request carries a traceparent."""
    meta = request.META
    attributes = {
        "http.request.method": request.method,
        "url.path": request.path,
        "url.scheme": request.scheme,
        "server.address": meta.get("SERVER_NAME", ""),
        "client.address": meta.get("REMOTE_ADDR", ""),
        "user_agent.original": meta.get("HTTP_USER_AGENT", ""),
    }
    with tracer.start_as_current_span(
        request.method,
        context=propagate.extract(request.headers),
        kind=SpanKind.SERVER,
        attributes=attributes,
        record_exception=True,
    ) as span:
        yield span


def trace_id(span: trace.Span) -> str:
    return format_trace_id(span.get_span_context().trace_id)


def end_http_span(span: trace.Span, request, status: int) -> None:
    match = getattr(request, "resolver_match", None)
    route = f"/{match.route}" if match is not None and match.route else None
    if route is not None:
        span.update_name(f"{request.method} {route}")
        span.set_attribute("http.route", route)
    span.set_attribute("http.response.status_code", status)
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR))


def operation_span(name: str = "graphql.operation", **attributes):
    return tracer.start_as_current_span(name, kind=SpanKind.INTERNAL, attributes=attributes)


def document_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def batch_span(name: str, keys: list):
    return tracer.start_as_current_span(
        "dataloader.batch",
        attributes={"dataloader.name": name, "dataloader.keys": len(keys)},
    )


_statement_names: dict[str, tuple[str, str, str]] = {}


def _described(sql: str) -> tuple[str, str, str]:
    """A statement's span name, operation and text to record, worked out once per text."""
    described = _statement_names.get(sql)
    if described is None:
        match = SPAN_NAME.match(sql)
        operation = match["operation"].upper() if match else "SQL"
        name = f"{operation} {match['table']}" if match and match["table"] else operation
        text = PLACEHOLDER_RUN.sub("%s, ...", sql)[:MAX_QUERY_TEXT]
        described = (name, operation, text)
        if len(_statement_names) < 4096:
            _statement_names[sql] = described
    return described


def _trace_statement(execute, sql, params, many, context):
    if tracer is None or not trace.get_current_span().is_recording():
        return execute(sql, params, many, context)
    connection = context["connection"]
    settings = connection.settings_dict
    name, operation, text = _described(sql)
    system = DB_SYSTEMS.get(connection.vendor, connection.vendor)
    attributes = {
        "db.system.name": system,
        "db.system": system,
        "db.operation.name": operation,
        "db.query.text": text,
        "db.namespace": str(settings.get("NAME") or ""),
        "talks.db.alias": connection.alias,
    }
    if settings.get("HOST"):
        attributes["server.address"] = settings["HOST"]
    if settings.get("PORT"):
        attributes["server.port"] = int(settings["PORT"])
    with tracer.start_as_current_span(name, kind=SpanKind.CLIENT, attributes=attributes):
        return execute(sql, params, many, context)


@receiver(connection_created)
def _install_statement_spans(sender, connection, **kwargs) -> None:
    if _trace_statement not in connection.execute_wrappers:
        connection.execute_wrappers.append(_trace_statement)


def cached_answer(kind: str, identity: str) -> None:
    """A public GET answered from the cache (`kind`: "answer" or "not_modified"): an
    operation span that executed nothing."""
    if tracer is None:
        return
    sha256 = identity[7:] if identity.startswith("sha256:") else document_hash(identity)
    attributes = {"graphql.document.hash": sha256, "graphql.response_cache": kind}
    with operation_span(**attributes):
        pass


class OperationTracing(SchemaExtension):
    """The `graphql.operation` span and its parse, validate and execute children. It runs
    around the schema's own extensions, so that parsing and validating (schema.documents)
    and reading (edge.routing) happen inside its spans."""

    def on_operation(self) -> Iterator[None]:
        if tracer is None:
            yield
            return
        context = self.execution_context
        with operation_span() as span:
            yield
            if span.is_recording():
                span.set_attributes(_operation_attributes(context))
                result = context.result
                if result is not None and result.errors:
                    span.set_attribute("graphql.errors", len(result.errors))
                    span.set_status(Status(StatusCode.ERROR, result.errors[0].message[:200]))

    def on_parse(self) -> Iterator[None]:
        yield from _child("graphql.parse")

    def on_validate(self) -> Iterator[None]:
        yield from _child("graphql.validate")

    def on_execute(self) -> Iterator[None]:
        yield from _child("graphql.execute")


def _child(name: str) -> Iterator[None]:
    if tracer is None:
        yield
        return
    with tracer.start_as_current_span(name):
        yield


def _operation_attributes(context) -> dict:
    attributes = {}
    if context.query:
        attributes["graphql.document.hash"] = document_hash(context.query)
    label = operation_label(context)
    if label is not None:
        kind, _, name = label.partition(" ")
        attributes["graphql.operation.type"] = kind
        if name:
            attributes["graphql.operation.name"] = name
    cost = getattr(context.context, "cost", None)
    if cost is not None:
        attributes["graphql.cost"] = cost
    state = getattr(context.context, "state", None)
    if state is not None:
        text = state.operation_text
        if text is not None and text.sha256 is not None:
            attributes["graphql.persisted_query"] = (
                "registered" if text.keep_after_validation else "stored"
            )
        if state.public is not None:
            attributes["graphql.response_cache"] = "miss"
        if state.database is not None:
            attributes["talks.db.alias"] = state.database
    return attributes
