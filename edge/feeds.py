"""The schedule's feeds: an event's programme as iCalendar, Frab XML and Frab JSON, and a
speaker's talks as iCalendar. Public GETs, cached as public GET queries are
(`edge.caching`): the entity tag is a hash of the catalogue's version, the path and the
media type, so a 304 costs one read of the version row, an answer is kept in the shared
cache until the next write, and a client is charged as for a cached answer.
"""

import json
from collections.abc import Callable
from urllib.parse import urlsplit

from asgiref.sync import sync_to_async
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from edge import caching, metrics, ratelimit, state
from talks import calendar, frab, selectors

ICS = "text/calendar; charset=utf-8"
XML = "application/xml; charset=utf-8"
JSON = "application/json"
NO_SCHEDULE = "No event has this slug."


def _event_ics(slug: str, version: int, url: str) -> bytes | None:
    programme = selectors.event_programme(slug)
    if programme is None:
        return None
    event = programme.event
    return calendar.calendar(
        event.name,
        programme.talks,
        host=urlsplit(url).hostname or "localhost",
        url=url,
        zone_name=event.timezone,
        stamp=timezone.now(),
    )


def _speaker_ics(slug: str, version: int, url: str) -> bytes | None:
    found = selectors.speaker_programme(slug)
    if found is None:
        return None
    speaker, talks = found
    host = urlsplit(url).hostname or "localhost"
    return calendar.calendar(
        f"Talks by {speaker.name}", talks, host=host, url=url, stamp=timezone.now()
    )


def _frab_xml(slug: str, version: int, url: str) -> bytes | None:
    programme = selectors.event_programme(slug)
    return None if programme is None else frab.schedule_xml(programme, version, url)


def _frab_json(slug: str, version: int, url: str) -> bytes | None:
    programme = selectors.event_programme(slug)
    if programme is None:
        return None
    document = frab.schedule_json(programme, version, url)
    return json.dumps(document, ensure_ascii=False, indent=1).encode()


FEEDS: dict[str, tuple[str, Callable[[str, int, str], bytes | None], str]] = {
    # name: (media type, what renders it, the file name a download gets)
    "schedule.ics": (ICS, _event_ics, "schedule.ics"),
    "schedule.xml": (XML, _frab_xml, "schedule.xml"),
    "schedule.json": (JSON, _frab_json, "schedule.json"),
    "talks.ics": (ICS, _speaker_ics, "talks.ics"),
}


def _answer(request: HttpRequest, name: str, slug: str):
    """On a worker thread: NOT_MODIFIED, a kept Answer, or a new answer (its tag and
    body; no body: no such event or speaker)."""
    media_type, render, _ = FEEDS[name]
    if_none_match = request.headers.get("If-None-Match")
    identity = f"{request.scheme}://{request.get_host()}{request.path}"  # links name the host
    version, tag, found = caching.look_up_now(media_type, identity, None, None, if_none_match)
    if found is not None:
        return tag, found, None
    body = render(slug, version, request.build_absolute_uri())
    return tag, None, body


@require_safe
async def feed(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    current = state.current()
    if current is not None:
        standing = await ratelimit.charge(request, current, ratelimit.CACHED_COST)
        if standing is not None and not standing.allowed:
            refused = ratelimit.request_error(standing)
            response = HttpResponse(refused.message, status=429, content_type="text/plain")
            for header, value in refused.headers.items():
                response[header] = value
            return response
    media_type, _, filename = FEEDS[name]
    tag, found, body = await sync_to_async(_answer)(request, name, slug)
    if found is caching.NOT_MODIFIED:
        metrics.CACHE_HITS.labels("not_modified").inc()
        return caching.not_modified(tag)
    if found is not None:
        metrics.CACHE_HITS.labels("answer").inc()
        response = HttpResponse(found.body, content_type=found.content_type)
        return caching.mark_public(response, tag)
    if body is None:
        raise Http404(NO_SCHEDULE)
    response = HttpResponse(body, content_type=media_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    caching.mark_public(response, tag)
    await caching.keep(tag, response)
    return response
