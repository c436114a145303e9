"""The schedule as iCalendar (RFC 5545), built with the `icalendar` library: an event's
programme, or a speaker's scheduled talks, for a calendar app to subscribe to.

Each talk is one VEVENT whose UID never changes (the talk's primary key and the site's
host) and whose SEQUENCE is the talk's version, which every change of the talk raises,
its slot's first: a subscribed calendar replaces what it holds. Times are written in the
event's time zone (DTSTART;TZID=...), with that zone's VTIMEZONE in the calendar.
"""

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vUri

from talks.models import Event as ConferenceEvent
from talks.models import Talk

PRODUCT = "-//conference-talks//schedule//EN"


def talk_url(talk: Talk, event: ConferenceEvent, fallback: str) -> str:
    """Where a person reads about the talk: its recording, its event's site, or the feed."""
    return talk.video_url or event.url or fallback


def calendar(
    name: str,
    talks: Iterable[Talk],
    *,
    host: str,
    url: str,
    zone_name: str | None = None,
    stamp: datetime,
) -> bytes:
    """A calendar named `name` of the scheduled `talks` (each with its event, room, track
    and speakers loaded); `url` is the feed's own address."""
    cal = Calendar()
    cal.add("prodid", PRODUCT)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    if zone_name:
        cal.add("x-wr-timezone", zone_name)
    years: dict[str, tuple[int, int]] = {}  # each zone's first and last year of talks
    for talk in talks:
        event = talk.event
        zone = event.zone
        first, last = years.get(event.timezone, (talk.starts_at.year, talk.ends_at.year))
        years[event.timezone] = (min(first, talk.starts_at.year), max(last, talk.ends_at.year))
        item = Event()
        item.add("uid", f"talk-{talk.pk}@{host}")
        item.add("sequence", talk.version)
        item.add("dtstamp", stamp)
        item.add("last-modified", talk.updated_at)
        item.add("dtstart", talk.starts_at.astimezone(zone))
        item.add("dtend", talk.ends_at.astimezone(zone))
        item.add("summary", talk.title)
        speakers = ", ".join(speaker.name for speaker in talk.billed)
        description = "\n\n".join(part for part in (speakers, talk.abstract) if part)
        if description:
            item.add("description", description)
        if talk.room is not None:
            item.add("location", talk.room.name)
        if talk.track is not None:
            item.add("categories", [talk.track.name])
        item.add("url", vUri(talk_url(talk, event, url)))
        cal.add_component(item)
    for name, (first, last) in sorted(years.items()):
        cal.add_component(_vtimezone(name, first, last))
    return cal.to_ical()


def _vtimezone(name: str, first: int, last: int) -> Timezone:
    """The zone's VTIMEZONE for the years its talks are in (from January of the year
    before): each change of offset as its own component. A zone's whole history as
    RDATE lists is valid too, but parsers read it wrongly (dateutil's, which vobject
    and Radicale use, gave May in Berlin +01:00)."""
    return Timezone.from_tzinfo(
        ZoneInfo(name),
        name,
        first_date=date(first - 1, 1, 1),
        last_date=date(last + 1, 12, 31),
    )
