"""/graphql/: strawberry's Django view, held to the GraphQL-over-HTTP specification.

Strawberry's `AsyncGraphQLView` runs the request (context, GraphiQL, parsing the body,
executing, merging the sub-response); its hooks below add what the specification asks
for and strawberry does not do (`edge.protocol`):
- a document that does not parse or validate (including our abuse limits) is 400 under
  `application/graphql-response+json`, without a `data` entry, and 200 under
  `application/json`, as the specification asks for legacy clients;
- GET runs queries only: a mutation over GET is 405 with `Allow: POST`;
- database outages are 503 with a SERVICE_UNAVAILABLE error and `Retry-After`.
And what production clients expect of the endpoint: persisted queries (edge.persisted),
HTTP caching of public GETs (edge.caching, edge.public), rate limits (edge.ratelimit)
and reads from replicas (edge.routing). Everything else is strawberry's, unchanged
(root value, operation extensions, the context's request and response):
`tests/http/test_view_twin.py` runs both views side by side.
"""

from cross_web import HTTPException
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import classonlymethod
from django.views.decorators.csrf import csrf_exempt
from graphql import GraphQLError
from strawberry.django.views import AsyncGraphQLView, TemporalHttpResponse
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLRequestData, process_result
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

from edge import caching, persisted, ratelimit, sse, state
from edge.context import RequestContext, authenticate
from edge.graphiql import graphiql_page
from edge.logs import OperationLog
from edge.metrics import OperationMetrics
from edge.protocol import (
    DATABASE_DOWN,
    GRAPHQL_RESPONSE,
    JSON,
    RequestError,
    database_error,
    error_response,
    json_bytes,
    request_parameters,
    response_media_type,
)
from edge.ratelimit import RateLimit
from edge.replicas import replicas
from edge.routing import ReadRouting
from edge.tracing import OperationTracing
from schema.errors import INTERNAL_SERVER_ERROR
from schema.schema import build_schema


def replica_failure(current: state.RequestState, errors: list[GraphQLError] | None):
    """The database error of an operation that read from a replica, if it had one."""
    if not errors or not (current.database or "primary").startswith("replica"):
        return None
    return database_error(errors)


def _request_error(error: HTTPException) -> RequestError:
    """One of strawberry's refusals, as the specification and our clients expect it."""
    cause = error.__cause__
    if isinstance(cause, InvalidOperationTypeError):  # a mutation over GET
        return RequestError(
            405, "Mutations must be sent with POST.", "METHOD_NOT_ALLOWED", {"Allow": "POST"}
        )
    if isinstance(cause, MissingQueryError):
        return RequestError(400, "The request has no GraphQL `query` string.")
    return RequestError(error.status_code, error.reason)


class GraphQLView(AsyncGraphQLView):
    @classonlymethod
    def for_settings(cls, schema):
        view = cls.as_view(
            schema=schema,
            graphql_ide="graphiql" if settings.GRAPHIQL_ENABLED else None,
            subscription_protocols=(),
        )
        # Frontends POST queries without cookies or CSRF tokens, and a query changes
        # nothing, so Django's CSRF middleware must not answer them with 403. Whatever
        # acts on a session's authority (mutations) has to check CSRF itself.
        return csrf_exempt(view)

    async def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        current = state.current()
        try:
            if request.method not in ("GET", "POST"):
                raise RequestError(
                    405, "Use GET or POST.", "METHOD_NOT_ALLOWED", {"Allow": "GET, POST"}
                )
            if sse.wants_events(request):
                return await sse.event_stream(request)
            response = await self.run(request=request)
            public = current.public  # edge.public's, for a public GET to execute
            keepable = not (current.had_errors or current.depends_on_now)
            if public is not None and response.status_code == 200 and keepable:
                await caching.keep(public.tag, response)
                caching.mark_public(response, public.tag)
            else:
                caching.mark_private(response)
        except HTTPException as error:
            response = caching.mark_private(error_response(request, _request_error(error)))
        except RequestError as error:
            response = caching.mark_private(error_response(request, error))
        return ratelimit.add_headers(current, response)

    async def get_sub_response(self, request: HttpRequest) -> TemporalHttpResponse:
        sub_response = TemporalHttpResponse()
        sub_response["Content-Type"] = f"{response_media_type(request) or JSON}; charset=utf-8"
        return sub_response

    async def get_context(self, request: HttpRequest, response: HttpResponse) -> RequestContext:
        current = state.current()
        await authenticate(request, current)
        await ratelimit.charge_entry(request, current)
        return RequestContext(request=request, response=response, state=current)

    def should_render_graphql_ide(self, request) -> bool:
        # API clients that accept anything (*/*) get JSON; browsers ask for HTML.
        return (
            super().should_render_graphql_ide(request)
            and "text/html" in request.headers.get("Accept", "")
            and "extensions" not in request.query_params  # a persisted query's GET
        )

    async def render_graphql_ide(self, request: HttpRequest) -> HttpResponse:
        return graphiql_page(request)

    async def parse_http_body(self, request_adapter) -> GraphQLRequestData:
        request = request_adapter.request
        if response_media_type(request) is None:
            raise RequestError(406, f"Accept {GRAPHQL_RESPONSE} or {JSON}.", "NOT_ACCEPTABLE")
        data = request_parameters(request)
        current = state.current()
        if current.operation_text is None:  # a public GET has it already
            current.operation_text = await persisted.operation_of(
                request, current, data.query, data.extensions
            )
        return GraphQLRequestData(
            query=current.operation_text.query,
            variables=data.variables,
            operation_name=data.operation_name,
            extensions=data.extensions,
        )

    async def execute_single(
        self, request, request_adapter, sub_response, context, root_value, request_data
    ) -> ExecutionResult:
        current = context.state
        arguments = {
            "request": request,
            "request_adapter": request_adapter,
            "sub_response": sub_response,
            "root_value": root_value,
            "request_data": request_data,
        }
        try:
            result = await super().execute_single(context=context, **arguments)
            if (failed := replica_failure(current, result.errors)) is not None:
                # The replica failed mid-query: out of rotation, and the query again on
                # the primary, with loaders that hold nothing of the failed run.
                replicas.mark_down(current.database, failed)
                context.release()
                context = await self.get_context(request, sub_response)
                current.primary_only = True
                result = await super().execute_single(context=context, **arguments)
        finally:
            current.depends_on_now = context.depends_on_now
            context.release()
        if isinstance(result, PreExecutionError):  # refused, after parsing and validating
            due = ratelimit.owed(current, 0, context.document_cpu_ms)
            if due > 0:
                await ratelimit.charge(request, current, due)
        if result.errors and database_error(result.errors) is not None:
            sub_response.status_code, sub_response["Retry-After"] = 503, "5"
            outage = GraphQLError(DATABASE_DOWN, extensions={"code": "SERVICE_UNAVAILABLE"})
            return ExecutionResult(data=None, errors=[outage])
        if (refused := ratelimit.refused(current)) is not None:
            sub_response.status_code = 429
            sub_response["Retry-After"] = str(refused.retry_after())
        elif not isinstance(result, PreExecutionError):
            await persisted.keep(current.operation_text)
        elif response_media_type(request) == GRAPHQL_RESPONSE:
            sub_response.status_code = 400
        return result

    async def process_result(self, request: HttpRequest, result: ExecutionResult) -> dict:
        current = state.current()
        current.had_errors = bool(result.errors)
        body = process_result(result)
        for error in body.get("errors", ()):
            extensions = error.get("extensions") or {}
            if extensions.get("code") == INTERNAL_SERVER_ERROR:  # its log line has this id
                extensions["requestId"] = current.request_id
        if (
            isinstance(result, PreExecutionError)
            and response_media_type(request) == GRAPHQL_RESPONSE
        ):
            body.pop("data", None)  # a request error: nothing was executed, so there is no data
        return body

    def encode_json(self, data: object) -> bytes:
        return json_bytes(data)


def graphql_view():
    """The view of /graphql/, serving the schema with the edge's own extensions: the
    request's log line, metrics, rate limits, read routing and traces."""
    schema = build_schema(
        extensions=[OperationLog, OperationMetrics, RateLimit, ReadRouting],
        around=[OperationTracing],
    )
    return GraphQLView.for_settings(schema)
