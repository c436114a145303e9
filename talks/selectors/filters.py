"""What a list is asked for, in the selectors' terms: its filters (each declared once,
with the condition it adds and what clients read of it), its orders and its rows."""

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date
from functools import cached_property
from typing import Any, Literal

from django.db.models import BooleanField, F, FloatField, OrderBy, Q, QuerySet
from django.db.models.expressions import RawSQL

from talks import search
from talks.models import EventKind, Talk, TalkKind, TalkLevel, TalkSpeaker
from talks.search import TalkMatch
from talks.selectors.counts import Counted, counted

TalkTopic = Talk.topics.through

# Every ordering ends on the primary key so that rows with equal sort keys keep one
# order, and offset pages never repeat or skip a row.
TALK_ORDERINGS: dict[str, tuple[OrderBy, ...]] = {
    "recorded_on_desc": (F("recorded_on").desc(nulls_last=True), F("id").desc()),
    "recorded_on_asc": (F("recorded_on").asc(nulls_last=True), F("id").asc()),
    "title_asc": (F("title").asc(), F("id").asc()),
    # Only with a search; ties go to the newer talk.
    "relevance": (F("rank").desc(), F("recorded_on").desc(nulls_last=True), F("id").desc()),
}
BY_SIMILARITY = (F("similarity").desc(), F("name").asc(), F("id").asc())
SPEAKER_ORDERINGS: dict[str, tuple[OrderBy, ...]] = {
    "name_asc": (F("name").asc(), F("id").asc()),
    "talk_count_desc": (F("talk_count").desc(), F("name").asc(), F("id").asc()),
    "relevance": BY_SIMILARITY,
}
EVENT_ORDERINGS: dict[str, tuple[OrderBy, ...]] = {
    "starts_on_desc": (F("starts_on").desc(nulls_last=True), F("id").desc()),
    "starts_on_asc": (F("starts_on").asc(nulls_last=True), F("id").asc()),
    "name_asc": (F("name").asc(), F("id").asc()),
    "relevance": BY_SIMILARITY,
}
TOPIC_ORDERINGS: dict[str, tuple[OrderBy, ...]] = {
    "name_asc": (F("name").asc(), F("id").asc()),
    "talk_count_desc": (F("talk_count").desc(), F("name").asc(), F("id").asc()),
    "relevance": BY_SIMILARITY,
}

# A talk list nested under a parent: which column of a talk row names the parent.
TalkParent = Literal["event", "speaker", "topic"]
TALK_PARENT_PATHS: dict[TalkParent, str] = {
    "event": "event_id",
    "speaker": "talk_speakers__speaker_id",
    "topic": "topics__id",
}


def condition(
    where: Callable[[Any], Q] | None, description: str | None = None, *, within: range | None = None
) -> Any:
    """A filter: `where(value)` is the condition rows must meet when it is given (None:
    the selector applies it itself); a number must be `within` the range, if one is given.
    The description is what API clients read of it."""
    metadata = {"where": where, "description": description, "within": within}
    return field(default=None, metadata=metadata)


# Many-to-many filters are subqueries, not joins: a join would repeat rows and tangle
# with the join a nested list partitions by.
@dataclass(frozen=True)
class TalkFilters:
    search: str | None = condition(None, search.TALK_SEARCH)  # applied through `matching`
    event: str | None = condition(lambda slug: Q(event__slug=slug), "Event slug.")
    speaker: str | None = condition(
        lambda slug: Q(id__in=TalkSpeaker.objects.filter(speaker__slug=slug).values("talk_id")),
        "Speaker slug.",
    )
    topic: str | None = condition(
        lambda slug: Q(id__in=TalkTopic.objects.filter(topic__slug=slug).values("talk_id")),
        "Topic slug.",
    )
    kind: TalkKind | None = condition(lambda kind: Q(kind=kind))
    level: TalkLevel | None = condition(lambda level: Q(level=level))
    language: str | None = condition(lambda code: Q(language=code), 'BCP 47 code, e.g. "en".')
    recorded_from: date | None = condition(lambda day: Q(recorded_on__gte=day), "Inclusive.")
    recorded_to: date | None = condition(lambda day: Q(recorded_on__lte=day), "Inclusive.")
    duration_min: int | None = condition(
        lambda minutes: Q(duration_minutes__gte=minutes),
        "At least this many minutes long; talks of unknown length are left out.",
    )
    duration_max: int | None = condition(
        lambda minutes: Q(duration_minutes__lte=minutes),
        "At most this many minutes long; talks of unknown length are left out.",
    )

    @cached_property
    def matching(self) -> TalkMatch | None:
        """The search, its vocabulary looked up once for every list these filters narrow."""
        return None if self.search is None else search.talk_match(self.search)

    @cached_property
    def total(self) -> Counted:
        """How many talks these filters let through (`counted`), counted once for the
        page that needs it and the `totalCount` that shows it."""
        return counted(Talk.objects.filter(conditions(self)), searched=self.search is not None)

    @cached_property
    def exact_total(self) -> Counted:
        """How many talks these filters let through, counted however many there are (or
        `total`, when that was counted exactly already)."""
        known = self.__dict__.get("total")
        if known is not None and known.exact:
            return known
        return counted(Talk.objects.filter(conditions(self)), exact=True)


@dataclass(frozen=True)
class SpeakerFilters:
    search: str | None = condition(None, search.NAME_SEARCH)
    event: str | None = condition(
        lambda slug: Q(
            id__in=TalkSpeaker.objects.filter(talk__event__slug=slug).values("speaker_id")
        ),
        "Spoke at this event (slug).",
    )
    topic: str | None = condition(
        lambda slug: Q(
            id__in=TalkSpeaker.objects.filter(talk__topics__slug=slug).values("speaker_id")
        ),
        "Gave a talk on this topic (slug).",
    )


@dataclass(frozen=True)
class EventFilters:
    search: str | None = condition(None, search.NAME_SEARCH)
    kind: EventKind | None = condition(lambda kind: Q(kind=kind))
    year: int | None = condition(
        lambda year: Q(starts_on__year=year),
        "The year the event starts in.",
        within=range(1, 10000),
    )
    country: str | None = condition(
        lambda country: Q(country__iexact=country), "Country, any letter case."
    )


@dataclass(frozen=True)
class TopicFilters:
    search: str | None = condition(None, search.NAME_SEARCH)
    event: str | None = condition(
        lambda slug: Q(id__in=TalkTopic.objects.filter(talk__event__slug=slug).values("topic_id")),
        "Topics of talks at this event (slug).",
    )
    speaker: str | None = condition(
        lambda slug: Q(
            id__in=TalkTopic.objects.filter(talk__talk_speakers__speaker__slug=slug).values(
                "topic_id"
            )
        ),
        "Topics of talks by this speaker (slug).",
    )


def conditions(filters: Any) -> Q:
    """What rows must meet for `filters` (a TalkFilters, SpeakerFilters, ... or None)."""
    q = Q()
    for declared in fields(filters) if filters is not None else ():
        value = getattr(filters, declared.name)
        where = declared.metadata["where"]
        if value is not None and where is not None:
            q &= where(value)
    if isinstance(filters, TalkFilters) and (matching := filters.matching) is not None:
        q &= Q(RawSQL(matching.condition, matching.condition_params, output_field=BooleanField()))
    return q


@dataclass(frozen=True)
class RowRange:
    """Which rows of an ordered list a page wants, as offsets.

    `start` rows are skipped; `stop` is the offset one past the last row wanted, or
    None when the page is "the last `last` rows" and the list's end is not known yet.
    """

    start: int
    stop: int | None
    last: int | None = None


def ranked(queryset: QuerySet, filters: TalkFilters | None) -> QuerySet:
    """`queryset` with each row's search `rank`, when `filters` search."""
    if filters is None or (matching := filters.matching) is None:
        return queryset
    return queryset.annotate(
        rank=RawSQL(matching.rank, matching.rank_params, output_field=FloatField())
    )
