"""`import_frab`: a Frab XML schedule (what frab, pretalx, osem and our own
`schedule.xml` publish) into one event, through the services, so every rule holds.

What organisers really publish varies, and is taken as it comes: a talk's `<date>` with
its offset, or only the day's date and a `<start>` in the conference's time zone (older
frab); durations as `0:30`, `00:30` or `00:30:00`; empty tracks; the same person under
one name in several talks; types in any case ("Talk", "lecture", "Lightning Talk").
A talk whose slot clashes with another (a room or a speaker twice at once: schedules do
have such mistakes) is imported without its slot and reported; one that cannot be read
at all is reported and skipped. Importing the same schedule again updates by slug.
"""

import datetime
import re
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element
from zoneinfo import ZoneInfo

from defusedxml import ElementTree
from django.db import transaction
from django.utils.text import slugify

from talks import event_parts, services
from talks.languages import bcp47
from talks.models import Event, Room, Speaker, Talk, TalkKind, Track
from talks.models.catalogue import time_zone_names
from talks.problems import ApplicationError

MAX_BYTES = 50 * 1024 * 1024  # a schedule of several thousand talks is a few MB
TIMEOUT = 30
SLOT_CODES = {"room_overlap", "speaker_overlap", "outside_event", "other_event"}
KINDS = {
    "lecture": TalkKind.TALK,
    "talk": TalkKind.TALK,
    "keynote": TalkKind.KEYNOTE,
    "lightning": TalkKind.LIGHTNING,
    "lightning talk": TalkKind.LIGHTNING,
    "lightningtalk": TalkKind.LIGHTNING,
    "workshop": TalkKind.WORKSHOP,
    "tutorial": TalkKind.TUTORIAL,
    "panel": TalkKind.PANEL,
    "podium": TalkKind.PANEL,
}
DURATION = re.compile(r"^(\d{1,3}):(\d{2})(?::(\d{2}))?$")


class FrabError(Exception):
    """The input is not a Frab schedule that can be imported at all."""


@dataclass
class FrabReport:
    event: str = ""
    created: int = 0
    updated: int = 0
    unscheduled: list[str] = field(default_factory=list)  # talks imported without a slot
    skipped: list[str] = field(default_factory=list)  # talks not imported, with why

    def __str__(self) -> str:
        return (
            f"{self.event}: {self.created} talks created, {self.updated} updated, "
            f"{len(self.unscheduled)} without their slot, {len(self.skipped)} skipped"
        )


def read_source(source: str) -> bytes:
    """The schedule's bytes from an http(s) URL or a file."""
    if source.startswith(("http://", "https://")):
        request = urllib.request.Request(source, headers={"Accept": "application/xml"})
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            data = answer.read(MAX_BYTES + 1)
    elif "://" in source:
        raise FrabError("Give a file or an http(s) URL.")
    else:
        with open(source, "rb") as file:
            data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise FrabError(f"The schedule is larger than {MAX_BYTES // 2**20} MB.")
    return data


def _text(element: Element | None, tag: str) -> str:
    found = None if element is None else element.find(tag)
    return (found.text or "").strip() if found is not None and found.text else ""


def _date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _minutes(text: str) -> int | None:
    match = DURATION.match(text.strip())
    if match is None:
        return None
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 60 + minutes + (1 if seconds else 0)


@dataclass
class FrabTalk:
    slug: str
    title: str
    kind: str
    language: str
    abstract: str
    room: str
    track: str
    persons: list[str]
    start: datetime.datetime | None
    minutes: int | None


def _zone_of(conference: Element | None) -> str:
    name = _text(conference, "time_zone_name")
    return name if name in time_zone_names() else "UTC"


def _talks(root: Element, acronym: str, zone: str) -> Iterator[FrabTalk | str]:
    """Each `<event>` of the schedule, read; a string says why one cannot be."""
    for day in root.iter("day"):
        for room in day.iter("room"):
            for item in room.iter("event"):
                title = _text(item, "title")
                if not title:
                    yield f"event {item.get('id') or '?'}: it has no title"
                    continue
                start = None
                when = _text(item, "date")
                try:
                    start = datetime.datetime.fromisoformat(when) if when else None
                except ValueError:
                    start = None
                if start is None or start.tzinfo is None:
                    day_date, hour = _date(day.get("date", "")), _text(item, "start")
                    if day_date and re.match(r"^\d{1,2}:\d{2}$", hour):
                        clock = datetime.time.fromisoformat(hour.zfill(5))
                        start = datetime.datetime.combine(day_date, clock, ZoneInfo(zone))
                    else:
                        start = None
                slug = slugify(_text(item, "slug") or "")
                if not slug:
                    slug = slugify(f"{acronym}-{item.get('id') or ''}-{title}")
                kind = KINDS.get(_text(item, "type").lower(), TalkKind.OTHER)
                persons = [
                    (person.text or "").strip()
                    for person in item.iter("person")
                    if (person.text or "").strip()
                ]
                abstract = "\n\n".join(
                    part for part in (_text(item, "abstract"), _text(item, "description")) if part
                )
                yield FrabTalk(
                    slug=slug[:255],
                    title=title,
                    kind=kind,
                    language=bcp47(_text(item, "language") or "en"),
                    abstract=abstract,
                    room=_text(item, "room") or room.get("name", ""),
                    track=_text(item, "track"),
                    persons=list(dict.fromkeys(persons)),
                    start=start,
                    minutes=_minutes(_text(item, "duration")),
                )


def _parse(data: bytes) -> Element:
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise FrabError(f"Not XML: {error}.") from None
    if root.tag != "schedule":
        raise FrabError(f"Not a Frab schedule: the root element is <{root.tag}>.")
    return root


def _upsert_event(root: Element, slug: str | None) -> Event:
    conference = root.find("conference")
    acronym = _text(conference, "acronym") or _text(conference, "title")
    slug = slug or slugify(acronym)
    if not slug:
        raise FrabError("The schedule's conference has no acronym or title.")
    fields = {
        "name": _text(conference, "title") or acronym,
        "starts_on": _date(_text(conference, "start")),
        "ends_on": _date(_text(conference, "end")),
        "timezone": _zone_of(conference),
    }
    url = _text(conference, "url") or _text(conference, "base_url")
    if url.startswith(("http://", "https://")):
        fields["url"] = url
    days = [_date(day.get("date", "")) for day in root.iter("day")]
    days = [day for day in days if day]
    if days:  # the schedule's days, where the conference's dates are missing or narrower
        fields["starts_on"] = min([*days, *filter(None, [fields["starts_on"]])])
        fields["ends_on"] = max([*days, *filter(None, [fields["ends_on"]])])
    event = Event.objects.filter(slug=slug).first()
    if event is None:
        return services.event_create(slug=slug, **fields)
    return services.event_update(event, **fields)


class Known:
    """The event's rooms and tracks and the speakers an import has met, by name: each
    looked up (or created) once, not once per talk that names it."""

    def __init__(self, event: Event) -> None:
        self.event, self.found = event, {}

    def part(self, model: type, name: str, **fields) -> int:
        key = (model, name)
        if key not in self.found:
            writes = event_parts.ROOMS if model is Room else event_parts.TRACKS
            slug = slugify(name)[:100] or model._meta.model_name
            found = model.objects.filter(event=self.event, slug=slug).first()
            if found is None:
                found = writes.create(event=self.event.pk, name=name, slug=slug, **fields)
            self.found[key] = found.pk
        return self.found[key]

    def speaker(self, name: str) -> int:
        key = (Speaker, name)
        if key not in self.found:
            slug = slugify(name)[:255] or "speaker"
            found = Speaker.objects.filter(slug=slug).first()
            self.found[key] = (found or services.speaker_create(name=name, slug=slug)).pk
        return self.found[key]


def import_frab(source: str, *, event_slug: str | None = None, strict: bool = False) -> FrabReport:
    """Import the Frab XML schedule at `source` (a file or an http(s) URL)."""
    root = _parse(read_source(source))
    report = FrabReport()
    with transaction.atomic():
        event = _upsert_event(root, event_slug)
        report.event = event.slug
        conference = root.find("conference")
        known = Known(event)
        rooms = dict.fromkeys(room.get("name", "") for room in root.iter("room"))
        for position, name in enumerate(rooms):
            if name:
                known.part(Room, name, position=position)
        for track in conference.iter("track") if conference is not None else ():
            name = (track.get("name") or track.text or "").strip()
            if name:
                known.part(Track, name, color=track.get("color") or None)
        for read in _talks(root, _text(conference, "acronym") or event.slug, event.timezone):
            if isinstance(read, str):
                if strict:
                    raise FrabError(read)
                report.skipped.append(read)
                continue
            _import_talk(read, known, report, strict)
    return report


def _import_talk(read: FrabTalk, known: Known, report: FrabReport, strict: bool) -> None:
    event = known.event
    speakers = [known.speaker(name) for name in read.persons]
    fields = {
        "title": read.title,
        "kind": read.kind,
        "language": read.language,
        "abstract": read.abstract,
        "event": event.pk,
        "speakers": speakers,
    }
    if read.start is not None:
        fields["recorded_on"] = read.start.astimezone(event.zone).date()
    slot: dict = {}
    if read.start is not None and read.minutes:
        slot = {
            "start": read.start,
            "end": read.start + datetime.timedelta(minutes=read.minutes),
            "room": known.part(Room, read.room) if read.room else None,
        }
    if read.track:
        slot["track"] = known.part(Track, read.track)
    existing = Talk.objects.filter(slug=read.slug).first()
    try:
        with transaction.atomic():
            _write(existing, read.slug, fields, slot)
    except ApplicationError as error:
        slot_only = all(problem.code in SLOT_CODES for problem in error.problems)
        if strict or not slot_only:
            if strict:
                raise FrabError(f"{read.slug}: {error}") from None
            report.skipped.append(f"{read.slug}: {error}")
            return
        kept = {"start": None, "end": None, "room": None}
        if "track" in slot:
            kept["track"] = slot["track"]
        _write(existing, read.slug, fields, kept)
        codes = ", ".join(sorted({problem.code for problem in error.problems}))
        report.unscheduled.append(f"{read.slug} ({codes}): {error}")
    if existing is None:
        report.created += 1
    else:
        report.updated += 1


def _write(existing: Talk | None, slug: str, fields: dict, slot: dict) -> Talk:
    if existing is None:
        return services.talk_create(slug=slug, **fields, **slot)
    return services.talk_update(existing, **fields, **slot)
