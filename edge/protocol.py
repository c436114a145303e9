"""GraphQL over HTTP: what a request must look like, and how errors and answers are
written, by the GraphQL-over-HTTP specification.

- The answer is `application/graphql-response+json` when the client accepts it and
  `application/json` otherwise (406 if it accepts neither).
- A request that is not GraphQL at all (bad JSON, no query, wrong types, a batch, an
  unsupported Content-Type, a body over the size limit) is answered 400/413/415 with a
  GraphQL error body, where strawberry answers with text.
"""

import json
from typing import Any

import orjson
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.serializers.json import DjangoJSONEncoder
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from graphql import GraphQLError
from strawberry.http import GraphQLRequestData

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
# How deep `variables` and `extensions` may nest; none of our inputs needs more than 3.
MAX_NESTING = 32
DATABASE_DOWN = "The database is unavailable; please retry shortly."


class RequestError(Exception):
    """A request that cannot be run as GraphQL; answered with `status` and one error."""

    def __init__(self, status: int, message: str, code: str = "BAD_REQUEST", headers=None):
        super().__init__(message)
        self.status, self.message, self.code = status, message, code
        self.headers = headers or {}


def database_unavailable() -> RequestError:
    return RequestError(503, DATABASE_DOWN, "SERVICE_UNAVAILABLE", {"Retry-After": "5"})


def database_error(errors: list[GraphQLError]) -> Exception | None:
    """The error of a database that did not answer, if one of `errors` was one."""
    for error in errors:
        if isinstance(error.original_error, OperationalError | InterfaceError):
            return error.original_error
    return None


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
    return _json(body, "The request body is not valid JSON.")


def _json(text, problem: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise RequestError(400, problem) from error
    except RecursionError as error:  # deeper than Python's parser goes
        raise RequestError(400, f"{problem} It nests too deeply.") from error


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether JSON `value` nests lists and objects more than `limit` deep."""
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth >= limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return False


def request_parameters(request: HttpRequest) -> GraphQLRequestData:
    """query, variables, operationName and extensions of the request, checked."""
    if request.method == "GET":
        data: Any = dict(request.GET.items())
        for name in ("variables", "extensions"):
            if data.get(name):
                data[name] = _json(data[name], f"`{name}` must be a JSON object.")
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
        if _deeper_than(data.get(name), MAX_NESTING + 1):
            raise RequestError(
                400, f"`{name}` nests deeper than {MAX_NESTING} levels.", "BAD_USER_INPUT"
            )
    if data.get("operationName") is not None and not isinstance(data["operationName"], str):
        raise RequestError(400, "`operationName` must be a string.")
    return GraphQLRequestData(
        # A blank text is no text: a persisted query's hash may stand in for it.
        query=query if query and query.strip() else None,
        variables=data.get("variables"),
        operation_name=data.get("operationName"),
        extensions=data.get("extensions"),
    )


def is_shared(response: HttpResponse) -> bool:
    """Whether a shared cache (a CDN) may keep the answer and give it to anyone: then it
    must carry nothing of the client it was made for."""
    return response.get("Cache-Control", "").startswith("public")


def error_response(request: HttpRequest, error: RequestError) -> HttpResponse:
    """A request error as a GraphQL error body."""
    body = {"errors": [{"message": error.message, "extensions": {"code": error.code}}]}
    media_type = response_media_type(request) or JSON
    response = HttpResponse(
        json_bytes(body), status=error.status, content_type=f"{media_type}; charset=utf-8"
    )
    for name, value in error.headers.items():
        response[name] = value
    return response
