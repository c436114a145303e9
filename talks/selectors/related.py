"""The batched reads behind every relation and count: each takes the ids of many parents
and answers for all of them with one SQL statement, so callers (the GraphQL DataLoaders)
never query once per row; and the instances they build from rows."""

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import connection, router
from django.db.models import Count, F, OrderBy, OuterRef, QuerySet, Subquery, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, RowNumber

from internals import model_instance
from talks.models import Event, Room, Speaker, Talk, TalkSpeaker, Topic, Track
from talks.selectors.filters import (
    EVENT_ORDERINGS,
    SPEAKER_ORDERINGS,
    TALK_ORDERINGS,
    TALK_PARENT_PATHS,
    TOPIC_ORDERINGS,
    RowRange,
    TalkFilters,
    TalkParent,
    conditions,
    ranked,
)
from talks.selectors.prepared import rows_by_keys

TALK_EVENT = Talk._meta.get_field("event")


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


def with_talk_counts(events: QuerySet) -> QuerySet:
    """`events`, each with `talks_counted`: a count over the talks' event index, which
    PostgreSQL runs for the rows returned only (a page), not for every event."""
    return events.annotate(talks_counted=_talks_of_event("pk"))


def objects_by_key(model: type, field: str, keys: Iterable) -> dict:
    """Objects of `model` whose unique `field` is one of `keys`, keyed by it, holding
    RELATED_COLUMNS.

    Objects looked up by key are few, so what they usually come with is read in the
    same statement: a talk comes with its event, and an event with its talk count
    (`talks_counted`, one index range of the talks' event column), which saves the
    statement that would count it."""
    keys = [key for key in keys if key is not None]  # a talk without a room or track
    columns = RELATED_COLUMNS[model]
    if model is Talk:
        extra = ("event_talks_counted", *(f"event__{c}" for c in EVENT_COLUMNS))

        def annotated(talks: QuerySet) -> QuerySet:
            return talks.annotate(event_talks_counted=_talks_of_event("event_id"))

    elif model is Event:
        extra, annotated = ("talks_counted",), with_talk_counts
    else:
        extra, annotated = (), lambda objects: objects

    def build(keys: list) -> QuerySet:
        found = annotated(model.objects.filter(**{f"{field}__any": keys}))
        return found.values_list(*columns, *extra)

    rows = rows_by_keys((objects_by_key, model, field), model, build, keys)
    objects, split, db = [], len(columns), router.db_for_read(model) or "default"
    for row in rows:
        obj = model_instance(model, columns, row[:split], db)
        if model is Talk:
            event = model_instance(Event, EVENT_COLUMNS, row[split + 1 :], db)
            event.talks_counted = row[split]
            TALK_EVENT.set_cached_value(obj, event)
        elif model is Event:
            obj.talks_counted = row[split]
        objects.append(obj)
    attname = model._meta.pk.attname if field == "pk" else model._meta.get_field(field).attname
    return {getattr(obj, attname): obj for obj in objects}


# The columns a relation loads for the objects it returns: everything the API shows.
# Only talks show their timestamps, so the other models leave them deferred.
# (The `event` of a talk is its column; an event's timezone comes with it.)
RELATED_COLUMNS: dict[type, list[str]] = {
    model: [
        field.attname
        for field in model._meta.concrete_fields
        if model is Talk or field.name not in ("created_at", "updated_at")
    ]
    for model in (Talk, Speaker, Event, Topic, Room, Track)
}
EVENT_COLUMNS = tuple(RELATED_COLUMNS[Event])


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
    layout = instance_layout(
        queryset.model, columns, queryset.query.annotation_select, event_columns
    )
    rows = instance_values(queryset, *layout)
    return instances_of(queryset.model, rows, *layout, rows.db)


def instance_layout(
    model: type, columns: Iterable[str], annotations: Iterable[str], event_columns: tuple
) -> tuple[list[str], tuple[str, ...]]:
    """The names of what `instances` reads: the model's columns and the annotations, and
    the event's columns, its id first (it is how talks share their event)."""
    attnames = [model._meta.get_field(name).attname for name in columns]
    attnames += [name for name in annotations if name not in attnames]
    if event_columns:
        event_columns = ("id", *(column for column in event_columns if column != "id"))
    return attnames, event_columns


def instance_values(queryset: QuerySet, attnames: list[str], event_columns: tuple) -> QuerySet:
    return queryset.values_list(*attnames, *(f"event__{column}" for column in event_columns))


def instances_of(
    model: type, rows: Iterable[tuple], attnames: list[str], event_columns: tuple, db: str
) -> list:
    split = len(attnames)
    events: dict[int, Event] = {}
    result = []
    for row in rows:
        obj = model_instance(model, attnames, row[:split], db)
        if event_columns:
            event = events.get(row[split])
            if event is None:
                event = events[row[split]] = model_instance(Event, event_columns, row[split:], db)
            TALK_EVENT.set_cached_value(obj, event)
        result.append(obj)
    return result


def _related(model, rows: Iterable[tuple]) -> dict[int, list]:
    """Rows of `(parent_id, *RELATED_COLUMNS[model])` as each parent's list of objects.

    An object appearing under many parents (a topic of many talks) is built once and
    shared, which is most of the cost of reading these rows.
    """
    columns = RELATED_COLUMNS[model]
    objects: dict[int, object] = {}
    result: dict[int, list] = defaultdict(list)
    db = router.db_for_read(model) or "default"
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

    def build(talk_ids: list) -> QuerySet:
        return (
            TalkSpeaker.objects.filter(talk_id__any=talk_ids)
            .order_by("talk_id", "position")
            .values_list("talk_id", *_columns(Speaker, "speaker__"))
        )

    return _related(Speaker, rows_by_keys(speakers_of_talks, TalkSpeaker, build, list(talk_ids)))


def _related_through(
    model: type, path: str, parent_ids: Iterable[int], ordering: tuple, *, distinct: bool = False
) -> dict[int, list]:
    """The `model` rows whose `path` reaches one of `parent_ids`, in `ordering`, as each
    parent's list (each row once per parent with `distinct`)."""

    def build(parent_ids: list) -> QuerySet:
        rows = (
            model.objects.filter(**{f"{path}__any": parent_ids})
            .order_by(*ordering)
            .values_list(path, *_columns(model))
        )
        return rows.distinct() if distinct else rows

    name = (_related_through, model, path, ordering, distinct)
    return _related(model, rows_by_keys(name, model, build, list(parent_ids)))


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
    newest_first = order == "recorded_on_desc" and not conditions(filters)
    # Only each speaker's first rows can be on the page: read just those. (SQLite has no
    # LATERAL; its catalogues are small.)
    newest_links = (
        parent == "speaker"
        and newest_first
        and rows.stop is not None
        and connection.vendor == "postgresql"
    )
    annotations = ["rank"] if filters is not None and filters.search is not None else []
    annotations += ["parent_id", "row_number"] + (["rows_after"] if rows.stop is None else [])
    columns = list(columns or RELATED_COLUMNS[Talk])
    layout = instance_layout(Talk, columns, annotations, tuple(event_columns))

    def build(ids: list) -> QuerySet:
        of_parents: dict[str, Any] = {f"{path}__any": ids}
        if newest_links:
            of_parents["talk_speakers__id__in"] = newest_links_of_speakers(ids, rows.stop + 1)
        queryset = (
            ranked(Talk.objects.filter(conditions(filters)), filters)
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
        return instance_values(queryset, *layout)

    ids = list(parent_ids)
    if filters is not None and filters.search is not None:
        # A search's SQL holds its words' corrections, which may change: built each time.
        found = list(build(ids))
    else:
        key = ("talk_pages", parent, filters, order, rows, *map(tuple, layout))
        found = rows_by_keys(key, Talk, build, ids)
    db = router.db_for_read(Talk) or "default"
    talks = instances_of(Talk, found, *layout, db)
    return _by_parent(sorted(talks, key=lambda t: (t.parent_id, t.row_number)))


def _reverse(order: OrderBy) -> OrderBy:
    return OrderBy(
        order.expression,
        descending=not order.descending,
        nulls_first=True if order.nulls_last else None,
        nulls_last=True if order.nulls_first else None,
    )
