"""How many rows a list has: kept counts of whole tables, exact counts up to a cap and
the planner's estimate above it, in one statement; and the catalogue's version."""

from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet

from talks.models import CatalogueVersion, RowCount
from talks.selectors.prepared import rows_by_keys


def catalogue_version() -> int:
    """The number every catalogue write moves on (`CatalogueVersion`); 0 while no write
    has happened since the table was emptied."""
    return CatalogueVersion.objects.filter(id=1).values_list("version", flat=True).first() or 0


def row_count(model: type) -> int:
    """How many rows `model`'s table has: its trigger-kept count (migration 0012), one
    indexed read, or a real count while that row is missing."""

    def build(tables: list) -> QuerySet:
        return RowCount.objects.filter(table__any=tables).values_list("rows")

    kept = rows_by_keys(row_count, RowCount, build, [model._meta.db_table])
    return kept[0][0] if kept else model.objects.count()


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
