"""/graphql/: strawberry's Django view, held to the GraphQL-over-HTTP specification.

Strawberry's `AsyncGraphQLView` runs the request (context, GraphiQL, parsing the body,
executing, merging the sub-response); the hooks below add what the specification asks
for and strawberry does not do:
- the response is `application/graphql-response+json` when the client accepts it and
  `application/json` otherwise (406 if it accepts neither);
- a request that is not GraphQL at all (bad JSON, no query, wrong types, a batch, an
  unsupported Content-Type, a body over the size limit) is answered 400/413/415 with a
  GraphQL error body, where strawberry answers with text;
- a document that does not parse or validate (including our abuse limits) is 400 under
  `application/graphql-response+json`, without a `data` entry, and 200 under
  `application/json`, as the specification asks for legacy clients;
- GET runs queries only: a mutation over GET is 405 with `Allow: POST`;
- database outages are 503 with a SERVICE_UNAVAILABLE error and `Retry-After`.
And what production clients expect of the endpoint: persisted queries (schema.persisted),
HTTP caching of public GETs, whose 304s and kept answers `public_read_middleware` gives
before the session middlewares run (schema.caching), and rate limits (schema.ratelimit).
"""

import json
from pathlib import Path
from typing import Any

import orjson
from asgiref.sync import sync_to_async
from cross_web import HTTPException
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.serializers.json import DjangoJSONEncoder
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.decorators import async_only_middleware, classonlymethod
from django.views.decorators.csrf import csrf_exempt
from graphql import GraphQLError
from strawberry.django.views import AsyncGraphQLView, TemporalHttpResponse
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLRequestData, process_result
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from project.replicas import primary_only, replicas
from project.security import HEADER as CSP_HEADER
from project.security import policy_text
from schema import caching, persisted, ratelimit
from schema.context import Context
from schema.errors import RequestError
from talks.tokens import InvalidToken, token_user

GRAPHQL_PATH = "/graphql/"
GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
DATABASE_DOWN = "The database is unavailable; please retry shortly."

# The query GraphiQL opens on.
EXAMPLE_QUERY = (Path(__file__).parent / "example.graphql").read_text()


# GraphiQL's dialogs lock the page's scrolling with a <style> element of fixed text
# (react-remove-scroll, bundled in graphiql 3.8.3); the page's policy allows exactly that
# text by its hash. The browser tests open the dialogs and fail on any policy violation.
GRAPHIQL_SCROLL_LOCK_STYLE = "'sha256-Y/huXlwoYkVyQlxwSVcCi1RCDGDCSVBzDt0hYP9qlTc='"


def graphiql_page(request: HttpRequest) -> HttpResponse:
    """GraphiQL from our own static files (schema/static/graphiql, see vendored.json),
    opening on the example query, with the CSRF token a logged-in session's mutations
    need."""
    settings_block = {"exampleQuery": EXAMPLE_QUERY, "csrfToken": get_token(request)}
    response = HttpResponse(render_to_string("graphiql/index.html", {"graphiql": settings_block}))
    directives = dict(settings.CONTENT_SECURITY_POLICY)
    directives["style-src"] = [*directives["style-src"], GRAPHIQL_SCROLL_LOCK_STYLE]
    response[CSP_HEADER] = policy_text(directives)
    return response


def database_unavailable() -> RequestError:
    return RequestError(503, DATABASE_DOWN, "SERVICE_UNAVAILABLE", {"Retry-After": "5"})


# orjson writes a large response an order of magnitude faster than json; what it does not
# pass through as the standard encoder would (dates, subclasses, ...) gets Django's encoding.
_ORJSON_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_NON_STR_KEYS
)


def json_bytes(body: Any) -> bytes:
    try:
        return orjson.dumps(body, default=DjangoJSONEncoder().default, option=_ORJSON_OPTIONS)
    except orjson.JSONEncodeError:  # text that is not valid Unicode, echoed in an error
        return json.dumps(body, cls=DjangoJSONEncoder).encode()


def response_media_type(request: HttpRequest) -> str | None:
    """The media type to answer with, by the Accept header (no header or */*: JSON, for
    older clients); None if it allows neither."""
    return request.get_preferred_type([JSON, GRAPHQL_RESPONSE])


def _read_body(request: HttpRequest) -> Any:
    content_type = request.content_type or ""
    if content_type != JSON:
        raise RequestError(
            415,
            "Send GraphQL requests as `Content-Type: application/json`.",
            code="UNSUPPORTED_MEDIA_TYPE",
        )
    limit = settings.GRAPHQL_MAX_BODY_BYTES
    too_large = RequestError(
        413, f"The request body is larger than {limit:,} bytes.", "REQUEST_TOO_LARGE"
    )
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise too_large
    try:
        body = request.body
    except RequestDataTooBig as error:
        raise too_large from error
    if len(body) > limit:
        raise too_large
    try:
        return json.loads(body)
    except ValueError as error:
        raise RequestError(400, "The request body is not valid JSON.") from error


def request_parameters(request: HttpRequest) -> GraphQLRequestData:
    """query, variables, operationName and extensions of the request, checked."""
    if request.method == "GET":
        data: Any = dict(request.GET.items())
        for name in ("variables", "extensions"):
            if data.get(name):
                try:
                    data[name] = json.loads(data[name])
                except ValueError as error:
                    raise RequestError(400, f"`{name}` must be a JSON object.") from error
    else:
        data = _read_body(request)
    if isinstance(data, list):
        raise RequestError(
            400, "Batched requests are not supported; send one operation per request."
        )
    if not isinstance(data, dict):
        raise RequestError(400, "The request body must be a JSON object.")
    query = data.get("query")
    if query is not None and not isinstance(query, str):
        raise RequestError(400, "`query` must be a string.")
    for name in ("variables", "extensions"):
        if data.get(name) is not None and not isinstance(data[name], dict):
            raise RequestError(400, f"`{name}` must be a JSON object.")
    if data.get("operationName") is not None and not isinstance(data["operationName"], str):
        raise RequestError(400, "`operationName` must be a string.")
    return GraphQLRequestData(
        # A blank text is no text: a persisted query's hash may stand in for it.
        query=query if query and query.strip() else None,
        variables=data.get("variables"),
        operation_name=data.get("operationName"),
        extensions=data.get("extensions"),
    )


def database_error(errors: list[GraphQLError]) -> Exception | None:
    """The error of a database that did not answer, if one of `errors` was one."""
    for error in errors:
        if isinstance(error.original_error, OperationalError | InterfaceError):
            return error.original_error
    return None


def replica_failure(request: HttpRequest, errors: list[GraphQLError] | None) -> Exception | None:
    """The database error of an operation that read from a replica, if it had one."""
    if not errors or not getattr(request, "graphql_db", "primary").startswith("replica"):
        return None
    return database_error(errors)


async def bearer_user(request: HttpRequest):
    """The user of the request's bearer token; None without an Authorization header."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise InvalidToken("The Authorization header must be `Bearer <token>`.")
    return await sync_to_async(token_user)(secret.strip())


def error_response(request: HttpRequest, error: Exception) -> HttpResponse:
    """A request error (ours or one of strawberry's refusals) as a GraphQL error body."""
    if isinstance(error, HTTPException):
        error = RequestError(error.status_code, error.reason)
    body = {"errors": [{"message": error.message, "extensions": {"code": error.code}}]}
    media_type = response_media_type(request) or JSON
    response = HttpResponse(
        json_bytes(body), status=error.status, content_type=f"{media_type}; charset=utf-8"
    )
    for name, value in error.headers.items():
        response[name] = value
    return response


async def public_answer(request: HttpRequest) -> HttpResponse | None:
    """A 304 or the kept answer for a public GET while the catalogue is unchanged; None
    when the view must execute it (it then keeps the answer under `request.public_tag`).

    A query sent by hash alone is tagged by its hash, so its text is looked up only when
    it has to run; under GRAPHQL_PERSISTED_ONLY the hash is checked against the safelist
    first, every time."""
    media_type = response_media_type(request)
    if media_type is None:
        return None  # the view answers 406
    data = request_parameters(request)
    standing = await ratelimit.charge(request, ratelimit.CACHED_COST)
    if standing is not None and not standing.allowed:
        raise ratelimit.request_error(standing)
    sha256 = persisted.persisted_hash(data.extensions)
    if settings.GRAPHQL_PERSISTED_ONLY or data.query is not None:
        operation = await persisted.operation_of(request, data.query, data.extensions)
        request.operation_text, identity = operation, operation.query
    elif sha256 is not None:
        identity = f"sha256:{sha256}"
    else:
        return None  # no query: the view says so
    try:
        version, tag, found = await caching.look_up(request, media_type, identity, data)
    except (OperationalError, InterfaceError) as error:
        raise database_unavailable() from error
    request.public_tag, request.public_version = tag, version
    if found is caching.NOT_MODIFIED:
        return caching.not_modified(tag)
    if found is None:
        return None
    return caching.mark_public(HttpResponse(found.body, content_type=found.content_type), tag)


@async_only_middleware
def public_read_middleware(get_response):
    """Answers public GETs of /graphql/ that need no execution (a 304, a kept answer)
    before the session, CSRF, authentication and messages middleware, which such a
    request has no use for: placed after CorsMiddleware, so the answer still gets the
    CORS, security and request-id headers of every other."""

    async def middleware(request: HttpRequest) -> HttpResponse:
        if request.path_info != GRAPHQL_PATH or not caching.is_public(request):
            return await get_response(request)
        try:
            answer = await public_answer(request)
        except RequestError as error:
            answer = caching.mark_private(error_response(request, error))
        if answer is None:
            return await get_response(request)
        answer["X-Frame-Options"] = settings.X_FRAME_OPTIONS
        answer["Content-Length"] = str(len(answer.content))
        return ratelimit.add_headers(request, answer)

    return middleware


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
        try:
            if request.method not in ("GET", "POST"):
                raise RequestError(
                    405, "Use GET or POST.", "METHOD_NOT_ALLOWED", {"Allow": "GET, POST"}
                )
            tag = getattr(request, "public_tag", None)  # public_read_middleware's
            response = await self.run(request=request)
            if (
                tag is not None
                and response.status_code == 200
                and not getattr(request, "graphql_had_errors", True)
            ):
                await caching.keep(tag, response)
                caching.mark_public(response, tag)
            else:
                caching.mark_private(response)
        except (RequestError, HTTPException) as error:
            response = caching.mark_private(error_response(request, error))
        return ratelimit.add_headers(request, response)

    async def get_sub_response(self, request: HttpRequest) -> TemporalHttpResponse:
        sub_response = TemporalHttpResponse()
        sub_response["Content-Type"] = f"{response_media_type(request) or JSON}; charset=utf-8"
        return sub_response

    async def get_context(self, request: HttpRequest, response: HttpResponse) -> Context:
        try:
            # A bad token is refused outright, never treated as anonymous.
            user = await bearer_user(request)
        except InvalidToken as error:
            raise RequestError(
                401,
                str(error),
                "UNAUTHENTICATED",
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            ) from error
        except (OperationalError, InterfaceError) as error:
            raise database_unavailable() from error
        if user is not None:
            request.graphql_user_id = user.pk
        request.graphql_token_user = user
        return Context(request=request, response=response, token_user=user)

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
        operation = getattr(request, "operation_text", None)  # a public GET has it
        if operation is None:
            operation = await persisted.operation_of(request, data.query, data.extensions)
            request.operation_text = operation
        return GraphQLRequestData(
            query=operation.query,
            variables=data.variables,
            operation_name=data.operation_name,
            extensions=data.extensions,
        )

    async def execute_single(
        self, request, request_adapter, sub_response, context, root_value, request_data
    ) -> ExecutionResult:
        allowed = {OperationType.QUERY}
        if request.method == "POST":
            allowed.add(OperationType.MUTATION)

        async def execute(context: Context) -> ExecutionResult:
            return await self.schema.execute(
                request_data.query,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
            )

        try:
            result = await execute(context)
            if (failed := replica_failure(request, result.errors)) is not None:
                # The replica failed mid-query: out of rotation, and the query again on
                # the primary, with loaders that hold nothing of the failed run.
                replicas.mark_down(request.graphql_db, failed)
                context.release()
                context = await self.get_context(request, sub_response)
                with primary_only():
                    result = await execute(context)
        except InvalidOperationTypeError as error:
            raise RequestError(
                405, "Mutations must be sent with POST.", "METHOD_NOT_ALLOWED", {"Allow": "POST"}
            ) from error
        except CannotGetOperationTypeError as error:
            raise RequestError(400, error.as_http_error_reason()) from error
        except MissingQueryError as error:
            raise RequestError(400, "The request has no GraphQL `query` string.") from error
        finally:
            context.release()
        if result.errors and database_error(result.errors) is not None:
            sub_response.status_code, sub_response["Retry-After"] = 503, "5"
            outage = GraphQLError(DATABASE_DOWN, extensions={"code": "SERVICE_UNAVAILABLE"})
            return ExecutionResult(data=None, errors=[outage])
        if (refused := ratelimit.refused(request)) is not None:
            sub_response.status_code = 429
            sub_response["Retry-After"] = str(refused.retry_after())
        elif not isinstance(result, PreExecutionError):
            await persisted.keep(request.operation_text)
        elif response_media_type(request) == GRAPHQL_RESPONSE:
            sub_response.status_code = 400
        return result

    async def process_result(self, request: HttpRequest, result: ExecutionResult) -> dict:
        request.graphql_had_errors = bool(result.errors)
        body = process_result(result)
        if (
            isinstance(result, PreExecutionError)
            and response_media_type(request) == GRAPHQL_RESPONSE
        ):
            body.pop("data", None)  # a request error: nothing was executed, so there is no data
        return body

    def encode_json(self, data: object) -> bytes:
        return json_bytes(data)
