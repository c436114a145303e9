"""The schedule's fields: a talk's slot, an event's days, its schedule, and what is on
now and next. Each list of talks is read for all the events of a request by one
statement (`PerGroup` by the question asked), then its talks' relations by `prefetch`,
so a day's schedule with slots, rooms, tracks and speakers is a few statements
whatever the day's size."""

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from django.utils import timezone
from strawberry.types import Info
from strawberry_django.fields.field import StrawberryDjangoField

from schema.errors import BadUserInput
from schema.ids import parse_global_id
from schema.loaders import PerGroup
from schema.lookahead import own_fields
from schema.pagination import check_page_size
from schema.relations import prefetch
from talks import models, selectors
from talks.scheduling import day_bounds, event_days

if TYPE_CHECKING:
    from schema.types import TalkType

# What the query cost counts lists as: an event's rooms or tracks, and a list of its
# scheduled talks (a day of a large conference: 8 rooms, 12 slots).
EVENT_PARTS = 50
SCHEDULED_TALKS = 100

Talks = list[Annotated["TalkType", strawberry.lazy("schema.types")]]

SCHEDULES = PerGroup(selectors.schedule_of_events)
RUNNING = PerGroup(selectors.running_at)
NEXT = PerGroup(selectors.next_after)

NOT_AN_ID_OF = "`{argument}` is not the ID of a {kind}."
NAIVE_AT = "`at` needs its offset, e.g. 2026-05-14T09:00:00+02:00."


def slot_of(talk: models.Talk) -> models.Talk | None:
    """A talk's slot is the talk itself (its start, end and room), if it has one."""
    return talk if talk.starts_at is not None else None


def slot_read(keys: list) -> dict:
    raise AssertionError("a slot is read with its talk (`slot_of`)")


class TalkListField(StrawberryDjangoField):
    """A list of talks with arguments, which the query cost counts as `estimate` items."""

    estimate = SCHEDULED_TALKS

    def __copy__(self) -> "TalkListField":  # strawberry_django copies inherited fields
        new = super().__copy__()
        new.estimate = self.estimate
        return new


def talk_list(description: str) -> Any:
    def declare(resolver: Any) -> Any:
        return TalkListField(description=description)(resolver)

    return declare


def _pk(value: strawberry.ID | None, kind: str, argument: str) -> int | None:
    if value is None:
        return None
    parsed = parse_global_id(value, {kind})
    if parsed is None:
        message = NOT_AN_ID_OF.format(argument=argument, kind=kind.lower())
        raise BadUserInput(message, argument=argument)
    return parsed[1]


def _moment(info: Info, at: datetime | None) -> datetime:
    if at is None:
        info.context.depends_on_now = True
        return timezone.now()
    if timezone.is_naive(at):
        raise BadUserInput(NAIVE_AT, argument="at")
    return at


async def _talks(info: Info, read: PerGroup, question: Any, event: models.Event) -> list:
    from schema.types import TalkType  # (schema.types declares its fields with these)

    loaders = info.context.loaders
    talks = await loaders.of(read, list).load((question, event.id))
    await prefetch(loaders, own_fields(info), {TalkType: talks})
    return talks


@strawberry.field(description="The event's days, first to last, in its time zone.")
def days_of(root: models.Event) -> list[date]:
    return event_days(root)


@talk_list(
    "The scheduled talks, by start and then room order: of one `day` (in the event's "
    "time zone), one `room`, one `track`, or all."
)
async def events_schedule(
    root: models.Event,
    info: Info,
    day: date | None = None,
    room: strawberry.ID | None = None,
    track: strawberry.ID | None = None,
) -> Talks:
    starts_from, starts_before = day_bounds(root, day) if day is not None else (None, None)
    question = selectors.ScheduleQuery(
        starts_from, starts_before, _pk(room, "Room", "room"), _pk(track, "Track", "track")
    )
    return await _talks(info, SCHEDULES, question, root)


@talk_list("The talks running at `at` (now when omitted), by room order.")
async def events_now(root: models.Event, info: Info, at: datetime | None = None) -> Talks:
    return await _talks(info, RUNNING, _moment(info, at), root)


@talk_list("The next `first` talks to start after `at` (now when omitted).")
async def events_next(
    root: models.Event, info: Info, at: datetime | None = None, first: int | None = 5
) -> Talks:
    first = 5 if first is None else first
    check_page_size(first, "first")
    return await _talks(info, NEXT, selectors.NextQuery(_moment(info, at), first), root)
