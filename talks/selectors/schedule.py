"""The reads of the schedule, batched by event as every relation is: an event's rooms
and tracks, the talks of its schedule (a day, a room, a track), what runs at a moment
and what comes next. Talks come in schedule order: by start, then by their room's
position."""

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from talks.models import Event, Room, Speaker, Talk, Track
from talks.selectors.related import (
    RELATED_COLUMNS,
    TALK_EVENT,
    _by_parent,
    _related_through,
    instances,
    speakers_of_talks,
)

SCHEDULE_ORDER = ("starts_at", F("room__position").asc(nulls_last=True), "room_id", "id")


def rooms_of_events(event_ids: Iterable[int]) -> dict[int, list[Room]]:
    """Each event's rooms, in their position."""
    return _related_through(Room, "event_id", event_ids, ("event_id", "position", "id"))


def tracks_of_events(event_ids: Iterable[int]) -> dict[int, list[Track]]:
    """Each event's tracks, by name."""
    return _related_through(Track, "event_id", event_ids, ("event_id", "name", "id"))


class ScheduleQuery(NamedTuple):
    """Which scheduled talks: starting in [`starts_from`, `starts_before`) when given (a
    day's bounds in the event's time zone), in one room, in one track."""

    starts_from: datetime | None = None
    starts_before: datetime | None = None
    room_id: int | None = None
    track_id: int | None = None


def _talks(queryset) -> dict[int, list[Talk]]:
    queryset = queryset.annotate(parent_id=F("event_id"))
    return _by_parent(instances(queryset, RELATED_COLUMNS[Talk]))


def schedule_of_events(query: ScheduleQuery, event_ids: list[int]) -> dict[int, list[Talk]]:
    """Each event's scheduled talks that `query` asks for, in schedule order."""
    talks = Talk.objects.filter(event_id__any=event_ids, starts_at__isnull=False)
    if query.starts_from is not None:
        talks = talks.filter(starts_at__gte=query.starts_from, starts_at__lt=query.starts_before)
    if query.room_id is not None:
        talks = talks.filter(room_id=query.room_id)
    if query.track_id is not None:
        talks = talks.filter(track_id=query.track_id)
    return _talks(talks.order_by("event_id", *SCHEDULE_ORDER))


def running_at(at: datetime, event_ids: list[int]) -> dict[int, list[Talk]]:
    """Each event's talks running at `at`: started, not yet ended."""
    talks = Talk.objects.filter(event_id__any=event_ids, starts_at__lte=at, ends_at__gt=at)
    return _talks(talks.order_by("event_id", *SCHEDULE_ORDER))


class NextQuery(NamedTuple):
    at: datetime
    first: int


def next_after(query: NextQuery, event_ids: list[int]) -> dict[int, list[Talk]]:
    """Each event's first `query.first` talks that start after `query.at`."""
    placed = (
        Talk.objects.filter(event_id__any=event_ids, starts_at__gt=query.at)
        .annotate(place=Window(RowNumber(), partition_by=[F("event_id")], order_by=SCHEDULE_ORDER))
        .filter(place__lte=query.first)
        .values("pk")
    )
    talks = Talk.objects.filter(pk__in=placed)
    return _talks(talks.order_by("event_id", *SCHEDULE_ORDER))


class Programme(NamedTuple):
    """What a feed shows: an event (or a speaker's events), its rooms and tracks, and
    its scheduled talks in schedule order, each holding its `event`, `room`, `track`
    and `billed` speakers."""

    event: Event | None
    rooms: list[Room]
    tracks: list[Track]
    talks: list[Talk]


def _billed(talks: list[Talk]) -> list[Talk]:
    speakers = speakers_of_talks([talk.pk for talk in talks])
    for talk in talks:
        talk.billed = speakers.get(talk.pk, [])
    return talks


def event_programme(slug: str) -> Programme | None:
    """The event with `slug` and its whole schedule, in five statements; None if none."""
    event = Event.objects.filter(slug=slug).first()
    if event is None:
        return None
    rooms = rooms_of_events([event.pk]).get(event.pk, [])
    tracks = tracks_of_events([event.pk]).get(event.pk, [])
    talks = schedule_of_events(ScheduleQuery(), [event.pk]).get(event.pk, [])
    rooms_by_id, tracks_by_id = {r.pk: r for r in rooms}, {t.pk: t for t in tracks}
    for talk in talks:
        TALK_EVENT.set_cached_value(talk, event)
        talk.room = rooms_by_id.get(talk.room_id)
        talk.track = tracks_by_id.get(talk.track_id)
    return Programme(event, rooms, tracks, _billed(talks))


def speaker_programme(slug: str) -> tuple[Speaker, list[Talk]] | None:
    """The speaker with `slug` and their scheduled talks, soonest first; None if none."""
    speaker = Speaker.objects.filter(slug=slug).first()
    if speaker is None:
        return None
    talks = list(
        Talk.objects.filter(talk_speakers__speaker=speaker, starts_at__isnull=False)
        .select_related("event", "room", "track")
        .order_by("starts_at", "id")
    )
    return speaker, _billed(talks)
