"""HTTP caching of public reads, and the shared cache of their answers.

A GET query without credentials (no Authorization header, no session cookie) is
public: everyone gets the same answer. Its entity tag is a hash of the catalogue's
version (talks_catalogueversion, which every write moves on by database triggers), the
operation, its variables and the media type of the answer. So:
- a matching `If-None-Match` is answered 304 from that tag alone: one indexed read of
  the version row, none of talks, speakers, events or topics;
- an answer is kept in Django's cache (Redis when REDIS_URL is set) under its tag, and
  served from there while the version stands; a write changes every tag at once, so
  nothing is ever invalidated one by one, and stale entries expire by their timeout.
Answers with errors, larger than GRAPHQL_CACHE_MAX_BYTES, or to anything that is not a
public GET are not kept and are sent with `Cache-Control: no-store`. A cache that does
not answer is logged and skipped: the query runs as if it were not there.
"""

import hashlib
import json
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from edge.shared import cache_get_now, cache_set
from talks.selectors import catalogue_version

ANSWER_PREFIX = "answer:"
VARY = "Accept, Origin"
NOT_MODIFIED = "not modified"  # what a look-up finds when If-None-Match holds the tag


def is_public(request: HttpRequest) -> bool:
    """A GET that no credentials come with, for an operation (not GraphiQL's page)."""
    return (
        request.method == "GET"
        and settings.GRAPHQL_CACHE_MAX_AGE > 0
        and "HTTP_AUTHORIZATION" not in request.META
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and ("query" in request.GET or "extensions" in request.GET)
    )


def entity_tag(version: int, media_type: str, identity: str, variables, operation_name) -> str:
    """The tag of an answer: `identity` is the query's text, or `sha256:<hash>` for a
    query sent by hash alone."""
    key = json.dumps(
        [version, media_type, identity, variables, operation_name], sort_keys=True, default=str
    )
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:40] + '"'


def look_up_now(media_type, identity, variables, operation_name, if_none_match):
    """`look_up`, for code already on a worker thread."""
    version = catalogue_version()
    tag = entity_tag(version, media_type, identity, variables, operation_name)
    if matches(if_none_match, tag):
        return version, tag, NOT_MODIFIED
    kept = cache_get_now(ANSWER_PREFIX + tag)
    return version, tag, None if kept is None else Answer(*kept)


async def look_up(request: HttpRequest, media_type: str, identity: str, data):
    """The catalogue version, the public GET's tag, and NOT_MODIFIED, the kept Answer or
    None (execute it): the version read and the cache read in one trip to a worker
    thread."""
    return await sync_to_async(look_up_now)(
        media_type,
        identity,
        data.variables,
        data.operation_name,
        request.headers.get("If-None-Match"),
    )


def matches(if_none_match: str | None, tag: str) -> bool:
    if not if_none_match:
        return False
    return tag in {candidate.strip().removeprefix("W/") for candidate in if_none_match.split(",")}


@dataclass(frozen=True)
class PublicRead:
    """A public GET's entity tag, and the catalogue version it names."""

    tag: str
    version: int


@dataclass(frozen=True)
class Answer:
    body: bytes
    content_type: str


async def keep(tag: str, response: HttpResponse) -> None:
    if len(response.content) <= settings.GRAPHQL_CACHE_MAX_BYTES:
        value = (response.content, response["Content-Type"])
        await cache_set(ANSWER_PREFIX + tag, value)


def mark_public(response: HttpResponse, tag: str) -> HttpResponse:
    response["Cache-Control"] = f"public, max-age={settings.GRAPHQL_CACHE_MAX_AGE}"
    response["ETag"] = tag
    response["Vary"] = VARY
    return response


def not_modified(tag: str) -> HttpResponse:
    return mark_public(HttpResponse(status=304), tag)


def mark_private(response: HttpResponse) -> HttpResponse:
    if "Cache-Control" not in response:
        response["Cache-Control"] = "no-store"
    return response
