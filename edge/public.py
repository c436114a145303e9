"""Public GETs of /graphql/ answered without executing anything: a 304 while the
client's copy is current, or the answer kept in the shared cache (`edge.caching`).

`public_read_middleware` gives them before the session, CSRF, authentication and
messages middleware, which such a request has no use for: it is placed after
CorsMiddleware, so the answer still gets the CORS, security and request-id headers of
every other.
"""

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import async_only_middleware

from edge import caching, metrics, persisted, ratelimit, state, tracing
from edge.protocol import (
    RequestError,
    database_unavailable,
    error_response,
    request_parameters,
    response_media_type,
)

GRAPHQL_PATH = "/graphql/"


async def public_answer(request: HttpRequest, current: state.RequestState) -> HttpResponse | None:
    """A 304 or the kept answer for a public GET while the catalogue is unchanged; None
    when the view must execute it (it then keeps the answer under `current.public`).

    A query sent by hash alone is tagged by its hash, so its text is looked up only when
    it has to run; under GRAPHQL_PERSISTED_ONLY the hash is checked against the safelist
    first, every time."""
    media_type = response_media_type(request)
    if media_type is None:
        return None  # the view answers 406
    data = request_parameters(request)
    standing = await ratelimit.charge(request, current, ratelimit.CACHED_COST)
    if standing is not None and not standing.allowed:
        raise ratelimit.request_error(standing)
    sha256 = persisted.persisted_hash(data.extensions)
    if settings.GRAPHQL_PERSISTED_ONLY or data.query is not None:
        operation = await persisted.operation_of(request, current, data.query, data.extensions)
        current.operation_text, identity = operation, operation.query
    elif sha256 is not None:
        identity = f"sha256:{sha256}"
    else:
        return None  # no query: the view says so
    try:
        version, tag, found = await caching.look_up(request, media_type, identity, data)
    except (OperationalError, InterfaceError) as error:
        raise database_unavailable() from error
    current.public = caching.PublicRead(tag, version)
    if found is caching.NOT_MODIFIED:
        metrics.CACHE_HITS.labels("not_modified").inc()
        tracing.cached_answer("not_modified", identity)
        return caching.not_modified(tag)
    if found is None:
        return None
    metrics.CACHE_HITS.labels("answer").inc()
    tracing.cached_answer("answer", identity)
    return caching.mark_public(HttpResponse(found.body, content_type=found.content_type), tag)


@async_only_middleware
def public_read_middleware(get_response):
    async def middleware(request: HttpRequest) -> HttpResponse:
        if request.path_info != GRAPHQL_PATH or not caching.is_public(request):
            return await get_response(request)
        current = state.current()
        try:
            answer = await public_answer(request, current)
        except RequestError as error:
            answer = caching.mark_private(error_response(request, error))
        if answer is None:
            return await get_response(request)
        answer["X-Frame-Options"] = settings.X_FRAME_OPTIONS
        answer["Content-Length"] = str(len(answer.content))
        return ratelimit.add_headers(current, answer)

    return middleware
