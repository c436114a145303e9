"""The schedule as iCalendar (RFC 5545), built with the `icalendar` library: an event's
programme, or a speaker's scheduled talks, for a calendar app to subscribe to.

Each talk is one VEVENT whose UID never changes (the talk's primary key and the site's
host) and whose SEQUENCE is the talk's version, which every change of the talk raises,
its slot's first: a subscribed calendar replaces what it holds. Times are written in the
event's time zone (DTSTART;TZID=...), with that zone's VTIMEZONE in the calendar.
"""

from collections.abc import Iterable
from datetime import datetime

from icalendar import Calendar, Event, vUri

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
    for talk in talks:
        event = talk.event
        zone = event.zone
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
    cal.add_missing_timezones()
    return cal.to_ical()
