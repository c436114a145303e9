"""The lists: querysets of talks, speakers, events and topics in the order asked, the
page of a large search from its best candidates, and search across all four."""

from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection, router
from django.db.models import BooleanField, FloatField, Q, QuerySet
from django.db.models.expressions import RawSQL

from talks import search
from talks.models import Event, Speaker, Talk, Topic
from talks.selectors.counts import Counted, counted
from talks.selectors.filters import (
    EVENT_ORDERINGS,
    SPEAKER_ORDERINGS,
    TALK_ORDERINGS,
    TOPIC_ORDERINGS,
    EventFilters,
    SpeakerFilters,
    TalkFilters,
    TopicFilters,
    conditions,
    ranked,
)
from talks.selectors.prepared import rows_of
from talks.selectors.related import instance_layout, instance_values, instances_of


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
    queryset = ranked(Talk.objects.filter(conditions(filters)), filters)
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
    by_relevance = tuple(queryset.query.order_by) == TALK_ORDERINGS["relevance"]
    if _from_candidates(filters, by_relevance, stop):
        queryset = queryset.filter(_best_candidates(filters, stop))
    return queryset[start:stop]


def _from_candidates(filters: Any, by_relevance: bool, stop: int) -> bool:
    """Whether a page ending at `stop` ranks the search's best candidates, not every
    match: a large search (its count, one statement, says so) by relevance."""
    return (
        connection.vendor == "postgresql"
        and isinstance(filters, TalkFilters)
        and filters.matching is not None
        and stop <= BEST_DEPTH
        and by_relevance
        and not filters.total.exact
    )


def page_instances(
    select: Callable[..., QuerySet],
    model: type,
    filters: Any,
    order: str,
    start: int,
    stop: int,
    columns: Iterable[str],
    event_columns: tuple[str, ...] = (),
) -> list:
    """`page` of the list `select` (talk_list, speaker_list, ...) as `instances` holding
    `columns`. The same page of the same list is the same SQL at every request: it is
    compiled once (`prepared.rows_of`). A search's SQL also depends on its words'
    corrections and, by relevance, on how many talks it matches: both are part of what
    names it."""
    annotations: tuple[str, ...] = ()
    search: tuple = ()
    if isinstance(filters, TalkFilters) and filters.matching is not None:
        annotations = ("rank",)
        candidates = _from_candidates(filters, order == "relevance", stop)
        search = (tuple(filters.matching.terms), candidates)
    elif filters is not None and filters.search is not None:
        annotations = ("similarity",)
    layout = instance_layout(model, columns, annotations, event_columns)
    name = ("page", select, filters, order, start, stop, *search, *map(tuple, layout))
    rows = rows_of(
        name,
        model,
        lambda: instance_values(
            page(select(filters=filters, order=order), filters, start, stop), *layout
        ),
    )
    return instances_of(model, rows, *layout, router.db_for_read(model) or "default")


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


def list_total(select: Callable[..., QuerySet], filters: Any, exact: bool = False) -> Counted:
    """How many rows the list `select` (talk_list, speaker_list, ...) has for `filters`:
    estimated above the cap (`counted`), or always counted if `exact`."""
    if isinstance(filters, TalkFilters):
        return filters.exact_total if exact else filters.total
    return counted(select(filters=filters), exact=exact)


def _named_list(model: type, filters: Any, orderings: tuple) -> QuerySet:
    queryset = model.objects.filter(conditions(filters))
    return _by_name(queryset, filters and filters.search).order_by(*orderings)


def speaker_list(*, filters: SpeakerFilters | None = None, order: str = "name_asc") -> QuerySet:
    return _named_list(Speaker, filters, SPEAKER_ORDERINGS[order])


def event_list(*, filters: EventFilters | None = None, order: str = "starts_on_desc") -> QuerySet:
    return _named_list(Event, filters, EVENT_ORDERINGS[order])


def topic_list(*, filters: TopicFilters | None = None, order: str = "name_asc") -> QuerySet:
    return _named_list(Topic, filters, TOPIC_ORDERINGS[order])


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
