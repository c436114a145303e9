"""The Frab schedule, the format video teams, the C3VOC tooling, Giggity, Confclerk and
most conference apps read: written as XML (`schedule.xml`) and JSON (`schedule.json`),
valid against the C3VOC's schema and JSON schema, and read from any Frab XML (pretalx's
and frab's exports) by `import_frab`.

What Frab requires and the catalogue has no field for is derived, stably: an event's
`acronym` from its slug (lower case, `_` for anything else, at least four characters),
GUIDs as UUID 5 of the object's kind and primary key, a talk's Frab slug from the
acronym, its primary key and its slug. `<version>` is the catalogue's version, which
every change to the schedule raises.
"""

import re
import uuid
from datetime import timedelta
from xml.etree import ElementTree

from talks.calendar import talk_url
from talks.models import Event, Talk
from talks.scheduling import day_bounds, event_days
from talks.selectors import Programme

GENERATOR = "conference-talks"
GUIDS = uuid.UUID("6f1c3a4e-5b0d-4f7e-9a51-2d8c0b7e4a10")  # the namespace of our GUIDs
TIMESLOT = "00:05"
UNASSIGNED = "TBA"  # the room of a talk scheduled without one
# What the C3VOC's JSON schema takes as a time zone name.
ZONE_NAME = re.compile(r"^([A-Z][a-z]+/[A-Z][a-z]+)|UTC$")
TRACK_SLUG = re.compile(r"[a-z][a-z0-9-]*[a-z0-9]")


def guid(kind: str, pk: int) -> str:
    return str(uuid.uuid5(GUIDS, f"{kind}:{pk}"))


def acronym(event: Event) -> str:
    return re.sub(r"[^a-z0-9_]", "_", event.slug.lower()).ljust(4, "_")


def frab_slug(event: Event, talk: Talk) -> str:
    rest = re.sub(r"[^a-z0-9_-]", "-", talk.slug.lower())[:150].strip("-_")
    return f"{acronym(event)}-{talk.pk}-talk-{rest}".rstrip("-_")


def _hours(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _days(programme: Programme) -> list[tuple[int, object, list[Talk]]]:
    """Each of the event's days: (index from 1, date, talks starting that day in the
    event's time zone)."""
    zone = programme.event.zone
    by_day: dict = {}
    for talk in programme.talks:
        by_day.setdefault(talk.starts_at.astimezone(zone).date(), []).append(talk)
    days = event_days(programme.event)
    return [(index, day, by_day.get(day, [])) for index, day in enumerate(days, start=1)]


def _rooms_of(talks: list[Talk]) -> list[tuple[str, str | None, list[Talk]]]:
    """The day's rooms in their order (talks without a room last): name, guid, talks."""
    rooms: dict = {}
    for talk in talks:
        room = talk.room
        key = (0, room.position, room.pk) if room else (1, 0, 0)
        name, room_guid = (room.name, guid("room", room.pk)) if room else (UNASSIGNED, None)
        rooms.setdefault(key, (name, room_guid, []))[2].append(talk)
    return [rooms[key] for key in sorted(rooms)]


def _talk(talk: Talk, room_name: str, url: str) -> dict:
    event = talk.event
    zone = event.zone
    start = talk.starts_at.astimezone(zone)
    return {
        "guid": guid("talk", talk.pk),
        "id": talk.pk,
        "date": start.isoformat(),
        "start": start.strftime("%H:%M"),
        "end": talk.ends_at.astimezone(zone).isoformat(),
        "duration": _hours(talk.ends_at - talk.starts_at),
        "room": room_name,
        "slug": frab_slug(event, talk),
        "url": talk_url(talk, event, url),
        "title": talk.title,
        "subtitle": "",
        "track": talk.track.name if talk.track else "",
        "type": talk.kind,
        "language": talk.language,
        "abstract": talk.abstract,
        "description": "",
        "persons": [
            {"id": speaker.pk, "guid": guid("speaker", speaker.pk), "public_name": speaker.name}
            for speaker in talk.billed
        ],
        "links": [
            {"url": link, "title": title, "type": kind}
            for link, title, kind in (
                (talk.video_url, "Recording", "media"),
                (talk.slides_url, "Slides", "slides"),
            )
            if link
        ],
    }


def _conference(programme: Programme, version: int) -> dict:
    event = programme.event
    days = [day for day in (event.starts_on, event.ends_on) if day is not None]
    conference = {
        "acronym": acronym(event),
        "title": event.name,
        "start": str(days[0]) if days else "",
        "end": str(days[-1]) if days else "",
        "daysCount": (days[-1] - days[0]).days + 1 if days else 0,
        "timeslot_duration": TIMESLOT,
    }
    if ZONE_NAME.search(event.timezone):
        conference["time_zone_name"] = event.timezone
    if event.url.startswith(("http://", "https://")):
        conference["url"] = event.url
    conference["tracks"] = [
        {"name": track.name, **({"color": track.color} if track.color else {})}
        | ({"slug": track.slug} if TRACK_SLUG.fullmatch(track.slug) else {})
        for track in programme.tracks
    ]
    conference["rooms"] = [
        {"name": room.name, "guid": guid("room", room.pk), "capacity": room.capacity}
        for room in programme.rooms
    ]
    return conference


def schedule_json(programme: Programme, version: int, url: str) -> dict:
    """The Frab JSON schedule (C3VOC's schema.json) of an event's programme."""
    conference = _conference(programme, version)
    conference["days"] = [
        {
            "index": index,
            "date": str(day),
            "day_start": day_bounds(programme.event, day)[0].isoformat(),
            "day_end": day_bounds(programme.event, day)[1].isoformat(),
            "rooms": {
                name: [_talk(talk, name, url) for talk in talks]
                for name, _, talks in _rooms_of(day_talks)
            },
        }
        for index, day, day_talks in _days(programme)
    ]
    return {
        "$schema": "https://c3voc.de/schedule/schema.json",
        "generator": {"name": GENERATOR},
        "schedule": {"version": str(version), "conference": conference},
    }


def _text(parent: ElementTree.Element, tag: str, text: object, **attributes: str):
    element = ElementTree.SubElement(parent, tag, attributes)
    element.text = "" if text is None else str(text)
    return element


def schedule_xml(programme: Programme, version: int, url: str) -> bytes:
    """The Frab XML schedule (C3VOC's schedule.xml.xsd) of an event's programme."""
    event = programme.event
    conference = _conference(programme, version)
    root = ElementTree.Element("schedule")
    ElementTree.SubElement(root, "generator", {"name": GENERATOR})
    if url.startswith(("http://", "https://")):
        _text(root, "url", url)
    _text(root, "version", version)
    head = ElementTree.SubElement(root, "conference")
    for tag in ("title", "acronym", "start", "end"):
        if conference[tag]:
            _text(head, tag, conference[tag])
    _text(head, "days", conference["daysCount"])
    _text(head, "timeslot_duration", TIMESLOT)
    if "url" in conference:
        _text(head, "url", conference["url"])
    if "time_zone_name" in conference:
        _text(head, "time_zone_name", conference["time_zone_name"])
    for track in conference["tracks"]:
        _text(head, "track", track["name"], **track)
    for index, day, day_talks in _days(programme):
        start, end = day_bounds(event, day)
        attributes = {"index": str(index), "date": str(day)}
        attributes |= {"start": start.isoformat(), "end": end.isoformat()}
        day_element = ElementTree.SubElement(root, "day", attributes)
        for name, room_guid, talks in _rooms_of(day_talks):
            room_attributes = {"name": name} | ({"guid": room_guid} if room_guid else {})
            room_element = ElementTree.SubElement(day_element, "room", room_attributes)
            for talk in talks:
                _event_xml(room_element, _talk(talk, name, url))
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def _event_xml(room: ElementTree.Element, talk: dict) -> None:
    element = ElementTree.SubElement(room, "event", {"id": str(talk["id"]), "guid": talk["guid"]})
    for tag in ("room", "title", "subtitle", "type", "date", "start", "duration", "abstract"):
        _text(element, tag, talk[tag])
    for tag in ("slug", "track", "language", "description"):
        _text(element, tag, talk[tag])
    persons = ElementTree.SubElement(element, "persons")
    for person in talk["persons"]:
        _text(persons, "person", person["public_name"], id=str(person["id"]), guid=person["guid"])
    links = ElementTree.SubElement(element, "links")
    for link in talk["links"]:
        _text(links, "link", link["title"], href=link["url"], type=link["type"])
    if talk["url"].startswith(("http://", "https://")):
        _text(element, "url", talk["url"])
