"""GraphQL over Server-Sent Events at /graphql/: the graphql-sse protocol's distinct
connections mode, as the `graphql-sse` client speaks it. A POST (or GET) that accepts
`text/event-stream` runs its subscription and streams each result as an `event: next`
whose `id:` is the change's id in the log, then `event: complete`. A client that
reconnects with `Last-Event-ID` resumes after that change (as `since:` does).

Like the WebSocket side (`edge.websocket`), it acts for no one, serves what is public,
and runs its schema: the limits hold and each operation is charged as a query; a comment line
is sent every SSE_KEEPALIVE_SECONDS so that proxies keep an idle stream open.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from graphql import GraphQLError, OperationType, get_operation_ast, parse
from strawberry.http import process_result
from strawberry.types import ExecutionResult

from edge import persisted, ratelimit, state
from edge.protocol import GRAPHQL_RESPONSE, JSON, RequestError, json_bytes, request_parameters
from edge.websocket import AnonymousContext, schema
from schema.errors import for_client

EVENT_STREAM = "text/event-stream"


def wants_events(request: HttpRequest) -> bool:
    """Whether the client prefers an event stream. Clients that take one result or a
    stream alike (urql sends `application/graphql-response+json, ..., text/event-stream`)
    get JSON, which can be cached and persisted."""
    preferred = request.get_preferred_type([GRAPHQL_RESPONSE, JSON, EVENT_STREAM])
    return preferred == EVENT_STREAM


def _event(name: str, data: bytes = b"", event_id: int | None = None) -> bytes:
    head = b"" if event_id is None else b"id: %d\n" % event_id
    return head + b"event: " + name.encode() + b"\ndata: " + data + b"\n\n"


def _payload(result: ExecutionResult) -> bytes:
    if result.errors:
        result.errors = [for_client(error) for error in result.errors]
    return json_bytes(process_result(result))


async def event_stream(request: HttpRequest) -> HttpResponse:
    current = state.current()
    if current is not None:
        standing = await ratelimit.charge(request, current, ratelimit.CACHED_COST)
        if standing is not None and not standing.allowed:
            raise ratelimit.request_error(standing)
    data = request_parameters(request)
    operation = await persisted.operation_of(request, current, data.query, data.extensions)
    client = request.META.get("REMOTE_ADDR")
    context = AnonymousContext(request=request, response=None, client=client)
    context.last_event_id = request.headers.get("Last-Event-ID")
    arguments = {
        "variable_values": data.variables,
        "context_value": context,
        "operation_name": data.operation_name,
    }
    kind = _operation_type(operation.query, data.operation_name)
    if kind == OperationType.MUTATION and request.method == "GET":
        raise RequestError(405, "Mutations must be sent with POST.", "METHOD_NOT_ALLOWED")
    if kind != OperationType.SUBSCRIPTION:
        # graphql-sse carries queries and mutations too: one result, then complete
        return _single(_payload(await schema.execute(operation.query, **arguments)))
    result = await schema.subscribe(operation.query, **arguments)
    if isinstance(result, ExecutionResult):  # refused before it ran
        return _single(_payload(result))
    response = StreamingHttpResponse(_stream(result, context), content_type=EVENT_STREAM)
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"  # nginx: pass events on as they come
    return response


def _operation_type(query: str, operation_name: str | None) -> OperationType | None:
    try:
        document = parse(query, max_tokens=settings.GRAPHQL_MAX_TOKENS)
    except GraphQLError:
        return None  # executing it reports why
    operation = get_operation_ast(document, operation_name)
    return None if operation is None else operation.operation


def _single(payload: bytes) -> HttpResponse:
    body = _event("next", payload) + _event("complete")
    response = HttpResponse(body, content_type=EVENT_STREAM)
    response["Cache-Control"] = "no-store"
    return response


async def _stream(results: AsyncIterator, context: AnonymousContext) -> AsyncIterator[bytes]:
    """Each result as it comes, a comment while none does; the subscription ends with the
    stream, the client's disconnect included."""
    waiting: asyncio.Future | None = None
    try:
        yield b": connected\n\n"
        while True:
            if waiting is None:
                waiting = asyncio.ensure_future(results.__anext__())
            done, _ = await asyncio.wait({waiting}, timeout=settings.SSE_KEEPALIVE_SECONDS)
            if not done:
                yield b": keep-alive\n\n"
                continue
            try:
                result = waiting.result()
            except StopAsyncIteration:
                break
            finally:
                waiting = None
            yield _event("next", _payload(result), context.last_change_id)
        yield _event("complete")
    finally:
        if waiting is not None:
            waiting.cancel()
        with contextlib.suppress(Exception):
            await results.aclose()
