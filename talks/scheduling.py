"""A talk's slot in its event's schedule, and the checks that keep the schedule whole.

A slot is written by `services.talk_update` (and `talk_create`) with `start`, `end`,
`room` and `track`, which `scheduled` applies and checks here: end after start, times
with an offset, inside the event's days in its time zone, a room and track of the
talk's event, no other talk in the room at an overlapping time, none of its speakers
elsewhere then. The rows those checks read are locked first (the room, the speakers),
so two writers scheduling into one room or for one speaker take turns and the second
sees the first's slot. Nothing is written when any check fails.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from talks.models import Event, Room, Speaker, Talk, Track
from talks.models.catalogue import time_zone_names
from talks.problems import Problem

KEEP: Any = object()  # a slot argument not given: left as it is

NAIVE = "Give the time with its offset, e.g. 2026-05-14T09:00:00+02:00."
ENDS_FIRST = "A slot ends after it starts."
HALF_A_SLOT = "A slot has both a start and an end."
ROOM_WITHOUT_SLOT = "A room is given with a start and an end."
OTHER_EVENT = "This {model} belongs to another event than the talk."
NO_DAYS = "The event has no dates yet; give it its first and last day before scheduling."
OUTSIDE = "The slot is outside the event's days ({first} to {last}, {zone})."
ROOM_TAKEN = "“{room}” already has “{title}” from {start} to {end}."
SPEAKER_BUSY = "{speaker} speaks in “{title}” from {start} to {end}."


def event_days(event: Event) -> list:
    """The event's days, first to last; none if it has no dates."""
    if event.starts_on is None or event.ends_on is None:
        return []
    return [
        event.starts_on + timedelta(days=n)
        for n in range((event.ends_on - event.starts_on).days + 1)
    ]


def day_bounds(event: Event, day) -> tuple[datetime, datetime]:
    """When `day` begins and ends in the event's time zone (23 or 25 hours on a change)."""
    zone = event.zone
    start = datetime.combine(day, time(), tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)


def _local(moment: datetime, event: Event) -> str:
    return moment.astimezone(event.zone).strftime("%Y-%m-%d %H:%M")


def slot_problems(talk: Talk, speaker_ids: Sequence[int]) -> list[Problem]:
    """What is wrong with the slot `talk` holds, given its speakers; locks the room and
    the speakers' rows (in a transaction) while checking."""
    start, end = talk.starts_at, talk.ends_at
    if start is None and end is None:
        return [] if talk.room_id is None else [Problem(ROOM_WITHOUT_SLOT, "room", "required")]
    if start is None or end is None:
        return [Problem(HALF_A_SLOT, "start" if start is None else "end", "required")]
    problems = [
        Problem(NAIVE, name, "invalid")
        for name, moment in (("start", start), ("end", end))
        if timezone.is_naive(moment)
    ]
    if problems:
        return problems
    if end <= start:
        return [Problem(ENDS_FIRST, "end", "invalid")]
    event = talk.event
    if talk.room_id is not None and talk.room.event_id != event.pk:
        problems.append(Problem(OTHER_EVENT.format(model="room"), "room", "other_event"))
    days = event_days(event)
    if not days:
        problems.append(Problem(NO_DAYS, "start", "outside_event"))
    elif start < day_bounds(event, days[0])[0] or end > day_bounds(event, days[-1])[1]:
        message = OUTSIDE.format(first=days[0], last=days[-1], zone=event.timezone)
        problems.append(Problem(message, "start", "outside_event"))
    if problems:
        return problems
    overlapping = Talk.objects.filter(starts_at__lt=end, ends_at__gt=start).exclude(pk=talk.pk)
    if talk.room_id is not None:
        Room.objects.select_for_update().filter(pk=talk.room_id).first()
        other = overlapping.filter(room_id=talk.room_id).order_by("starts_at").first()
        if other is not None:
            message = ROOM_TAKEN.format(
                room=talk.room.name,
                title=other.title,
                start=_local(other.starts_at, event),
                end=_local(other.ends_at, event),
            )
            problems.append(Problem(message, "room", "room_overlap"))
    if speaker_ids:
        speakers = {
            s.pk: s
            for s in Speaker.objects.select_for_update().filter(pk__in=speaker_ids).order_by("pk")
        }
        busy = (
            overlapping.filter(talk_speakers__speaker_id__in=list(speakers))
            .values_list("talk_speakers__speaker_id", "title", "starts_at", "ends_at")
            .order_by("starts_at")
        )
        for speaker_id, title, other_start, other_end in busy:
            message = SPEAKER_BUSY.format(
                speaker=speakers[speaker_id].name,
                title=title,
                start=_local(other_start, event),
                end=_local(other_end, event),
            )
            problems.append(Problem(message, None, "speaker_overlap"))
    return problems


def scheduled(
    talk: Talk,
    problems: list[Problem],
    *,
    start: Any = KEEP,
    end: Any = KEEP,
    room: Any = KEEP,
    track: Any = KEEP,
    speakers: Sequence[int] | None = None,
    moved: bool = False,
) -> list[str]:
    """Apply the slot arguments given to `talk` (`room` and `track` by primary key, None
    to clear) and check the slot it then has: what changed, the problems in `problems`.

    The slot is checked when it changed, or the talk has one and its `speakers` (the new
    billing) or its event (`moved`) changed."""
    changed = []
    for name, value in (("starts_at", start), ("ends_at", end)):
        if isinstance(value, datetime) and timezone.is_aware(value):
            value = value.astimezone(UTC)  # as the database gives it back
        if value is not KEEP and getattr(talk, name) != value:
            setattr(talk, name, value)
            changed.append(name)
    for name, model, value in (("room", Room, room), ("track", Track, track)):
        if value is KEEP or value == getattr(talk, f"{name}_id"):
            continue
        found = None if value is None else model.objects.filter(pk=value).first()
        if value is not None and found is None:
            problems.append(Problem(f"No {name} has this ID.", name, "not_found"))
        setattr(talk, name, found)
        changed.append(name)
    has_slot = talk.starts_at is not None or talk.room_id is not None
    track = talk.track if talk.track_id is not None else None
    if (moved or "track" in changed) and track is not None and track.event_id != talk.event_id:
        problems.append(Problem(OTHER_EVENT.format(model="track"), "track", "other_event"))
    if changed or (has_slot and (speakers is not None or moved)):
        if speakers is None:
            speakers = list(talk.talk_speakers.values_list("speaker_id", flat=True))
        problems += slot_problems(talk, speakers) if talk.event_id else []
    return changed


def event_slot_problems(event: Event) -> list[Problem]:
    """Problems of an event whose days or time zone changed: talks scheduled outside."""
    if event.timezone not in time_zone_names():
        return []  # reported by the field's own validation
    days = event_days(event)
    slots = Talk.objects.filter(event_id=event.pk, starts_at__isnull=False)
    if not slots.exists():
        return []
    if not days:
        message = "The event's talks are scheduled; it keeps its first and last day."
        return [Problem(message, "starts_on", "outside_event")]
    first, last = day_bounds(event, days[0])[0], day_bounds(event, days[-1])[1]
    outside = slots.exclude(starts_at__gte=first, ends_at__lte=last).order_by("starts_at")
    found = outside.values_list("title", flat=True)[:3]
    if not found:
        return []
    message = (
        f"Talks are scheduled outside the event's new days ({days[0]} to {days[-1]}, "
        f"{event.timezone}): " + ", ".join(f"“{title}”" for title in found)
    )
    return [Problem(message, "starts_on", "outside_event")]
