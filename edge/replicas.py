"""Read replicas: which database a GraphQL operation reads from, and which replicas can.

One decision, made once per operation by `edge.routing.ReadRouting` and kept in the
request's state while the operation executes (`RequestState.reads_from`: every thread
and task of the request sees it, no other request does): a query reads from a healthy
replica, everything else (mutations, with the reads that build their payload; the
admin, commands, migrations, the importer) from the primary, because nothing else sets
it. A client that has just written is pinned to the primary for
DATABASE_REPLICA_PIN_SECONDS.

Health is checked at most every DATABASE_REPLICA_CHECK_SECONDS per process, on a
connection of its own: a replica that does not answer, or replays more than
DATABASE_REPLICA_MAX_LAG_SECONDS behind, is out of rotation until a later check finds it
well. A query whose replica fails while it runs is run again on the primary.
"""

import itertools
import logging
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import connections

from edge import state

PRIMARY = "default"
logger = logging.getLogger("talks.replicas")

# How far behind the primary the replica's replay is: 0 when it has replayed all it
# received (an idle primary sends nothing, and its data is then current). Not only when
# the two are equal: a restarted replica replays what it kept, then streams again from
# the start of that WAL segment, so that what it has received is behind what it has
# replayed until the primary writes again (an idle primary kept it out of rotation).
LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0
    ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0)
END
"""
CHECK_CONNECT_TIMEOUT = 1  # seconds: a check must not hold up the request that runs it


class ReplicaRouter:
    """Django's database router: reads where the request's operation reads from, writes
    to the primary, migrations only on the primary (replicas follow it by streaming
    replication)."""

    def db_for_read(self, model, **hints) -> str | None:
        current = state.current()
        return None if current is None else current.reads_from

    def db_for_write(self, model, **hints) -> str:
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db == PRIMARY


@dataclass
class Standing:
    """What the last check of a replica found."""

    healthy: bool = True
    lag_seconds: float | None = None
    problem: str | None = None
    checked_at: float = -math.inf

    def as_json(self) -> dict:
        status = "ok" if self.healthy else "unavailable"
        lag = None if self.lag_seconds is None else round(self.lag_seconds, 3)
        return {
            "status": status,
            "lag_seconds": lag,
            **({"problem": self.problem} if self.problem else {}),
        }


class Replicas:
    """This process's view of its replicas' health."""

    def __init__(self) -> None:
        self.standings: dict[str, Standing] = {}
        self._checking: dict[str, threading.Lock] = {}
        self._turns: Iterator[int] = itertools.count()

    @property
    def aliases(self) -> list[str]:
        return list(settings.DATABASE_REPLICAS)

    def standing(self, alias: str) -> Standing:
        return self.standings.setdefault(alias, Standing())

    def due(self) -> list[str]:
        """The replicas whose last check is older than the check interval."""
        since = time.monotonic() - settings.DATABASE_REPLICA_CHECK_SECONDS
        return [alias for alias in self.aliases if self.standing(alias).checked_at <= since]

    def check_due(self) -> None:
        """Check each replica whose check is due, unless another thread is checking it."""
        for alias in self.due():
            lock = self._checking.setdefault(alias, threading.Lock())
            if lock.acquire(blocking=False):
                try:
                    self.check(alias)
                finally:
                    lock.release()

    def check(self, alias: str) -> Standing:
        """Ask the replica how far behind it is, on a connection of the check's own."""
        import psycopg2

        params = connections[alias].get_connection_params()
        params["connect_timeout"] = CHECK_CONNECT_TIMEOUT
        problem, lag = None, None
        try:
            connection = psycopg2.connect(**params)
            try:
                with connection.cursor() as cursor:
                    cursor.execute(LAG_SQL)
                    lag = float(cursor.fetchone()[0])
            finally:
                connection.close()
        except psycopg2.Error as error:
            problem = f"{type(error).__name__}: does not answer"
        if problem is None and lag > settings.DATABASE_REPLICA_MAX_LAG_SECONDS:
            problem = f"replays {lag:.1f} s behind the primary"
        return self._record(alias, Standing(problem is None, lag, problem, time.monotonic()))

    def mark_down(self, alias: str, error: BaseException) -> None:
        """Take a replica out of rotation until its next check (it failed a query)."""
        standing = Standing(False, None, f"{type(error).__name__} during a query", time.monotonic())
        self._record(alias, standing)

    def _record(self, alias: str, standing: Standing) -> Standing:
        before = self.standings.get(alias)
        self.standings[alias] = standing
        if before is not None and before.healthy != standing.healthy:
            if standing.healthy:
                logger.info("replica back in rotation", extra={"db": alias})
            else:
                logger.warning(
                    "replica out of rotation", extra={"db": alias, "problem": standing.problem}
                )
        return standing

    def pick(self) -> str | None:
        """A healthy replica, in turn; None when there is none (read from the primary)."""
        current = state.current()
        if current is not None and current.primary_only:
            return None
        healthy = [alias for alias in self.aliases if self.standing(alias).healthy]
        if not healthy:
            return None
        return healthy[next(self._turns) % len(healthy)]


replicas = Replicas()
