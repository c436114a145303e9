"""Reads: the querysets for lists and the batched reads behind every relation and count.

Each batched read takes the ids of many parents and answers for all of them with one
SQL statement, so callers (the GraphQL DataLoaders) never query once per row.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import date
from functools import cached_property
from typing import Any, Literal

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    F,
    FloatField,
    OrderBy,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, RowNumber

from internals import model_instance
from talks import search
from talks.models import (
    CatalogueVersion,
    Event,
    EventKind,
    RowCount,
    Speaker,
    Talk,
    TalkKind,
    TalkLevel,
    TalkSpeaker,
    Topic,
)
from talks.search import TalkMatch

TalkTopic = Talk.topics.through
TALK_EVENT = Talk._meta.get_field("event")

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
    def total(self) -> "Counted":
        """How many talks these filters let through (`counted`), counted once for the
        page that needs it and the `totalCount` that shows it."""
        return counted(Talk.objects.filter(conditions(self)), searched=self.search is not None)


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


def _ranked(queryset: QuerySet, filters: TalkFilters | None) -> QuerySet:
    if filters is None or (matching := filters.matching) is None:
        return queryset
    return queryset.annotate(
        rank=RawSQL(matching.rank, matching.rank_params, output_field=FloatField())
    )


def _by_name(queryset: QuerySet, text: str | None) -> QuerySet:
    """Only rows whose name is like `text`, annotated with their `similarity`."""
    if text is None:
        return queryset
    table = queryset.model._meta.db_table
    match, similarity, params = search.name_match(text, f'"{table}"."name"')
    return queryset.filter(RawSQL(match, params, output_field=BooleanField())).annotate(
        similarity=RawSQL(similarity, params, output_field=FloatField())
    )


def talk_list(*, filters: TalkFilters | None = None, order: str = "recorded_on_desc") -> QuerySet:
    queryset = _ranked(Talk.objects.filter(conditions(filters)), filters)
    return queryset.order_by(*TALK_ORDERINGS[order])


# A search that matches more talks than COUNT_EXACT_UP_TO does not rank every one (a word
# in 80% of a million talks: ~1 s of ts_rank_cd alone). Its pages that end within
# BEST_DEPTH rank candidates instead, by the same rank: talks with the words in their
# title, read from the title index alone (migrations 0013 and 0014; at most
# TITLE_CANDIDATES of them; a word still being typed stands for the catalogue words it
# starts, migration 0016), and the NEWEST_CANDIDATES newest matches. The title carries
# the heaviest weight, so the best matches are nearly always among them; a candidate
# still has to match the whole search to be shown. Smaller searches, deeper pages and
# SQLite rank every match. Measured at 1,000,000 talks ("async", 100,000 matches):
# ranking 20,000 title candidates found with the whole search took 470 ms a page, the
# bitmap of both indexes spilling to whole pages whose titles PostgreSQL parsed again;
# 4,000 from the title index alone 62 ms, 1,000 of them 34 ms. The newest matches are
# found by walking the talks newest first and testing each one's vector (3,000 talks
# for 300 "async" matches, 8 ms): 100 of them, five pages, cost a third of that.
BEST_DEPTH = 1_000
TITLE_CANDIDATES = 1_000
NEWEST_CANDIDATES = 100


def page(queryset: QuerySet, filters: Any, start: int, stop: int) -> QuerySet:
    """Rows `start` to `stop` of a list of `selectors`: of a large search by relevance,
    from its best candidates."""
    if (
        connection.vendor == "postgresql"
        and isinstance(filters, TalkFilters)
        and filters.matching is not None
        and stop <= BEST_DEPTH
        and tuple(queryset.query.order_by) == TALK_ORDERINGS["relevance"]
        and not filters.total.exact
    ):
        queryset = queryset.filter(_best_candidates(filters, stop))
    return queryset[start:stop]


def _best_candidates(filters: TalkFilters, stop: int) -> Q:
    matching = filters.matching
    matches = Talk.objects.filter(conditions(filters)).values("id")
    # At least as many as the page reaches, so that the page is always full.
    newest = matches.order_by(*TALK_ORDERINGS["recorded_on_desc"])[: max(NEWEST_CANDIDATES, stop)]
    newest_sql, newest_params = newest.query.sql_with_params()
    # One set for the planner to join the talks to by primary key (an OR of two IN
    # lists would be checked against every match instead). The title candidates come
    # from talks_title_matches (migration 0014), the same ones for the same catalogue.
    return Q(
        RawSQL(
            f'"talks_talk"."id" IN (SELECT talks_title_matches({matching.candidates}, %s)'
            f" UNION ({newest_sql}))",
            (*matching.candidates_params, TITLE_CANDIDATES, *newest_params),
            output_field=BooleanField(),
        )
    )


def list_total(select: Callable[..., QuerySet], filters: Any) -> "Counted":
    """How many rows the list `select` (talk_list, speaker_list, ...) has for `filters`."""
    if isinstance(filters, TalkFilters):
        return filters.total
    return counted(select(filters=filters))


def _named_list(model: type, filters: Any, orderings: tuple) -> QuerySet:
    queryset = model.objects.filter(conditions(filters))
    return _by_name(queryset, filters and filters.search).order_by(*orderings)


def speaker_list(*, filters: SpeakerFilters | None = None, order: str = "name_asc") -> QuerySet:
    return _named_list(Speaker, filters, SPEAKER_ORDERINGS[order])


def event_list(*, filters: EventFilters | None = None, order: str = "starts_on_desc") -> QuerySet:
    return _named_list(Event, filters, EVENT_ORDERINGS[order])


def topic_list(*, filters: TopicFilters | None = None, order: str = "name_asc") -> QuerySet:
    return _named_list(Topic, filters, TOPIC_ORDERINGS[order])


def _talks_of_event(event_id: str) -> Coalesce:
    """How many talks the event `event_id` (a column of the outer query) has."""
    counted = (
        Talk.objects.filter(event_id=OuterRef(event_id))
        .order_by()
        .values("event_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(counted), 0)


def objects_by_key(model: type, field: str, keys: Iterable) -> dict:
    """Objects of `model` whose unique `field` is one of `keys`, keyed by it.

    Objects looked up by key are few, so what they usually come with is read in the
    same statement: a talk comes with its event, and an event with its talk count
    (`talks_counted`, one index range of the talks' event column), which saves the
    statement that would count it."""
    if model is Talk:
        queryset = Talk.objects.select_related("event").annotate(
            event_talks_counted=_talks_of_event("event_id")
        )
    elif model is Event:
        queryset = with_talk_counts(Event.objects.all())
    else:
        queryset = model.objects.all()
    found = {getattr(obj, field): obj for obj in queryset.filter(**{f"{field}__any": list(keys)})}
    if model is Talk:
        for talk in found.values():
            talk.event.talks_counted = talk.event_talks_counted
    return found


# The columns a relation loads for the objects it returns: everything the API shows.
# Only talks show their timestamps, so the other models leave them deferred.
RELATED_COLUMNS: dict[type, list[str]] = {
    model: [
        field.attname
        for field in model._meta.concrete_fields
        if model is Talk or field.name not in ("created_at", "updated_at")
    ]
    for model in (Talk, Speaker, Event, Topic)
}


def _by_parent(objects: Iterable) -> dict[int, list]:
    """Rows annotated with `parent_id`, grouped by it, in the rows' order."""
    result: dict[int, list] = defaultdict(list)
    for obj in objects:
        result[obj.parent_id].append(obj)
    return result


def instances(
    queryset: QuerySet, columns: Iterable[str], *, event_columns: tuple[str, ...] = ()
) -> list:
    """The rows of `queryset` as instances that hold `columns` and its annotations, the
    other fields deferred as with `QuerySet.only`, built by `internals.model_instance`.

    With `event_columns` (of a talk queryset), each talk holds its event, joined in with
    those columns; talks of one event share one instance.
    """
    model = queryset.model
    attnames = [model._meta.get_field(name).attname for name in columns]
    attnames += [name for name in queryset.query.annotation_select if name not in attnames]
    if event_columns:  # the event's id first: it is how talks share their event
        event_columns = ("id", *(column for column in event_columns if column != "id"))
    rows = queryset.values_list(*attnames, *(f"event__{column}" for column in event_columns))
    split = len(attnames)
    events: dict[int, Event] = {}
    result = []
    db = rows.db
    for row in rows:
        obj = model_instance(model, attnames, row[:split], db)
        if event_columns:
            event = events.get(row[split])
            if event is None:
                event = events[row[split]] = model_instance(Event, event_columns, row[split:], db)
            TALK_EVENT.set_cached_value(obj, event)
        result.append(obj)
    return result


def _related(model, rows: QuerySet) -> dict[int, list]:
    """Rows of `(parent_id, *RELATED_COLUMNS[model])` as each parent's list of objects.

    An object appearing under many parents (a topic of many talks) is built once and
    shared, which is most of the cost of reading these rows.
    """
    columns = RELATED_COLUMNS[model]
    objects: dict[int, object] = {}
    result: dict[int, list] = defaultdict(list)
    db = rows.db
    for parent_id, *values in rows:
        obj = objects.get(values[0])
        if obj is None:
            obj = objects[values[0]] = model_instance(model, columns, values, db)
        result[parent_id].append(obj)
    return result


def _columns(model, prefix: str = "") -> list[str]:
    return [prefix + column for column in RELATED_COLUMNS[model]]


def speakers_of_talks(talk_ids: Iterable[int]) -> dict[int, list[Speaker]]:
    """Each talk's speakers in billing order."""
    rows = (
        TalkSpeaker.objects.filter(talk_id__any=list(talk_ids))
        .order_by("talk_id", "position")
        .values_list("talk_id", *_columns(Speaker, "speaker__"))
    )
    return _related(Speaker, rows)


def _related_through(
    model: type, path: str, parent_ids: Iterable[int], ordering: tuple, *, distinct: bool = False
) -> dict[int, list]:
    """The `model` rows whose `path` reaches one of `parent_ids`, in `ordering`, as each
    parent's list (each row once per parent with `distinct`)."""
    rows = (
        model.objects.filter(**{f"{path}__any": list(parent_ids)})
        .order_by(*ordering)
        .values_list(path, *_columns(model))
    )
    return _related(model, rows.distinct() if distinct else rows)


def topics_of_talks(talk_ids: Iterable[int]) -> dict[int, list[Topic]]:
    """Each talk's topics by name."""
    return _related_through(Topic, "talks__id", talk_ids, TOPIC_ORDERINGS["name_asc"])


def speakers_of_events(event_ids: Iterable[int]) -> dict[int, list[Speaker]]:
    """Each event's distinct speakers, by name."""
    path, ordering = "talk_speakers__talk__event_id", SPEAKER_ORDERINGS["name_asc"]
    return _related_through(Speaker, path, event_ids, ordering, distinct=True)


def topics_of_events(event_ids: Iterable[int]) -> dict[int, list[Topic]]:
    """Each event's distinct topics (of its talks), by name."""
    ordering = TOPIC_ORDERINGS["name_asc"]
    return _related_through(Topic, "talks__event_id", event_ids, ordering, distinct=True)


def events_of_speakers(speaker_ids: Iterable[int]) -> dict[int, list[Event]]:
    """Each speaker's distinct events, newest first."""
    path, ordering = "talks__talk_speakers__speaker_id", EVENT_ORDERINGS["starts_on_desc"]
    return _related_through(Event, path, speaker_ids, ordering, distinct=True)


def talk_counts(
    parent: TalkParent, parent_ids: Iterable[int], filters: TalkFilters | None = None
) -> dict[int, int]:
    """How many talks (matching `filters`) each parent has; parents with none are absent."""
    ids = list(parent_ids)
    if not conditions(filters) and parent != "event":
        # Speakers and topics keep their unfiltered counts (see Speaker.talk_count).
        model = Speaker if parent == "speaker" else Topic
        return dict(model.objects.filter(id__any=ids).values_list("id", "talk_count"))
    path = TALK_PARENT_PATHS[parent]
    rows = (
        Talk.objects.filter(conditions(filters))
        .filter(**{f"{path}__any": ids})
        .values(path)
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row[path]: row["n"] for row in rows}


def newest_links_of_speakers(speaker_ids: list[int], n: int) -> RawSQL:
    """PostgreSQL: the ids of each speaker's first `n` links to talks, newest talk first,
    read from the start of the `talkspeaker_speaker_newest` index (LATERAL, LIMIT n)
    rather than by sorting every link of every speaker."""
    return RawSQL(
        "SELECT l.id FROM unnest(%s::bigint[]) AS s(speaker_id) CROSS JOIN LATERAL"
        " (SELECT id FROM talks_talkspeaker WHERE speaker_id = s.speaker_id"
        " ORDER BY recorded_on DESC NULLS LAST, talk_id DESC LIMIT %s) AS l",
        (speaker_ids, n),
    )


def talk_pages(
    parent: TalkParent,
    parent_ids: Iterable[int],
    *,
    filters: TalkFilters | None,
    order: str,
    rows: RowRange,
    columns: Iterable[str] | None = None,
    event_columns: Iterable[str] = (),
) -> dict[int, list[Talk]]:
    """One page of talks for each parent, all in one statement.

    Rows are numbered per parent with a window function and the page is cut out by
    those numbers. Each talk carries `row_number` (1-based) and, for "last N" pages,
    `rows_after` (how many of the parent's rows follow it, plus one). `columns` limits
    the talk's fields loaded (all by default); with `event_columns`, each talk holds its
    event (one instance per event), joined in with those columns.
    """
    path = TALK_PARENT_PATHS[parent]
    ordering = TALK_ORDERINGS[order]
    ids = list(parent_ids)
    of_parents = {f"{path}__any": ids}
    newest_first = order == "recorded_on_desc" and not conditions(filters)
    if (
        parent == "speaker"
        and newest_first
        and rows.stop is not None
        and connection.vendor == "postgresql"
    ):
        # Only each speaker's first rows can be on the page: read just those. (SQLite has
        # no LATERAL; its catalogues are small.)
        of_parents["talk_speakers__id__in"] = newest_links_of_speakers(ids, rows.stop + 1)
    queryset = (
        _ranked(Talk.objects.filter(conditions(filters)), filters)
        .filter(**of_parents)  # one filter() call: one join of the link table
        .annotate(
            parent_id=F(path),
            row_number=Window(RowNumber(), partition_by=F(path), order_by=list(ordering)),
        )
    )
    if rows.stop is None:
        queryset = queryset.annotate(
            rows_after=Window(
                RowNumber(), partition_by=F(path), order_by=[_reverse(o) for o in ordering]
            )
        ).filter(row_number__gt=rows.start, rows_after__lte=rows.last)
    else:
        # One row past the page tells whether a next page exists.
        queryset = queryset.filter(row_number__gt=rows.start, row_number__lte=rows.stop + 1)
    talks = instances(
        queryset, columns or RELATED_COLUMNS[Talk], event_columns=tuple(event_columns)
    )
    return _by_parent(sorted(talks, key=lambda t: (t.parent_id, t.row_number)))


def _reverse(order: OrderBy) -> OrderBy:
    return OrderBy(
        order.expression,
        descending=not order.descending,
        nulls_first=True if order.nulls_last else None,
        nulls_last=True if order.nulls_first else None,
    )


def search_everything(text: str, limit: int) -> list:
    """The best `limit` talks, speakers, events and topics for `text`, best first.

    Ranks of talks and similarities of names are not on one scale, so names that match
    closely come first (someone typing a name wants that person), then talks by rank,
    then looser name matches, then talks found only through a corrected typo.
    """
    filters = TalkFilters(search=text)
    talks = list(page(talk_list(filters=filters, order="relevance"), filters, 0, limit))
    as_typed, corrected = [], []
    for talk in talks:
        (as_typed if filters.matching.as_typed(talk.rank) else corrected).append(talk)
    names = [
        *speaker_list(filters=SpeakerFilters(search=text), order="relevance")[:limit],
        *event_list(filters=EventFilters(search=text), order="relevance")[:limit],
        *topic_list(filters=TopicFilters(search=text), order="relevance")[:limit],
    ]
    names.sort(key=lambda obj: -obj.similarity)
    strong = [obj for obj in names if obj.similarity >= search.STRONG_NAME_MATCH]
    weak = [obj for obj in names if obj.similarity < search.STRONG_NAME_MATCH]
    return [*strong, *as_typed, *weak, *corrected][:limit]


def catalogue_version() -> int:
    """The number every catalogue write moves on (`CatalogueVersion`); 0 while no write
    has happened since the table was emptied."""
    return CatalogueVersion.objects.filter(id=1).values_list("version", flat=True).first() or 0


def row_count(model: type) -> int:
    """How many rows `model`'s table has: its trigger-kept count (migration 0012), one
    indexed read, or a real count while that row is missing."""
    rows = RowCount.objects.filter(table=model._meta.db_table).values_list("rows", flat=True)
    counted = rows.first()
    return model.objects.count() if counted is None else counted


# A count of more rows than this is estimated, not counted (the convention Elasticsearch
# follows for its hit counts): counting every one of 800,000 matches costs as much as
# finding them.
COUNT_EXACT_UP_TO = 10_000


@dataclass(frozen=True)
class Counted:
    rows: int
    exact: bool


# A full-text search that the planner expects to match more than this many talks is not
# counted at all: finding the first 10,001 matches of a common prefix is itself 100 ms
# at a million talks ("machine learn", 34,000 matches), and the planner's estimates of
# searches (from the lexeme statistics ANALYZE keeps) overshoot by far less than this
# factor, so a search shown as estimated is one with more than COUNT_EXACT_UP_TO matches.
SEARCH_ESTIMATE_TRUSTED_FROM = 3 * COUNT_EXACT_UP_TO


def counted(queryset: QuerySet, exact: bool = False, searched: bool = False) -> Counted:
    """How many rows `queryset` has: the trigger-kept count of a whole table, an exact
    count up to COUNT_EXACT_UP_TO (or always, if `exact`), and above that the planner's
    estimate (never less than what was counted). A `searched` queryset is not counted
    when the planner expects far more rows than the cap. One statement."""
    queryset = queryset.order_by()
    if not queryset.query.where:
        return Counted(row_count(queryset.model), exact=True)
    if exact:
        return Counted(queryset.count(), exact=True)
    if connection.vendor != "postgresql":
        rows = queryset[: COUNT_EXACT_UP_TO + 1].count()
        return Counted(rows, exact=rows <= COUNT_EXACT_UP_TO)
    try:
        sql, params = queryset.values("pk").query.sql_with_params()
    except EmptyResultSet:  # a condition that nothing can meet, such as `pk__in=[]`
        return Counted(0, exact=True)
    with connection.cursor() as cursor:
        # Quoted by the driver: the function runs it as it is (migration 0015).
        query = cursor.mogrify(sql, params).decode()
        cursor.execute(
            "SELECT rows, exact FROM talks_counted(%s, %s, %s)",
            [query, COUNT_EXACT_UP_TO, SEARCH_ESTIMATE_TRUSTED_FROM if searched else None],
        )
        rows, is_exact = cursor.fetchone()
    return Counted(rows, exact=is_exact)


def with_talk_counts(events: QuerySet) -> QuerySet:
    """`events`, each with `talks_counted`: a count over the talks' event index, which
    PostgreSQL runs for the rows returned only (a page), not for every event."""
    return events.annotate(talks_counted=_talks_of_event("pk"))
