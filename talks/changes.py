"""Reading and trimming the change log (`talks.models.Change`).

Its ids only grow and are handed out in commit order: every write to the catalogue
first takes the catalogue version's row lock (migration 0010's trigger, which runs
before the change log's: PostgreSQL runs a statement's triggers in name order,
"..._bumps_version" before "..._logs_..."), and holds it until it commits, so a writer
that logs change N has committed before any writer can log change N + 1. A reader that
has seen change N has therefore seen every change before it: resuming "after N" loses
nothing and repeats nothing.
"""

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from talks.models import Change

BATCH = 500
# The Redis channel on which writers say "the log has grown" (REDIS_URL set), so that
# the processes following it read it at once rather than at their next tick.
WAKE_CHANNEL = "talks:changes"
logger = logging.getLogger("talks.redis")
_redis = None


def announce() -> None:
    """Once the current transaction commits, tell the processes that follow the log.

    Only a wake-up: the log holds the changes, so a lost message (Redis down) delays
    them to the followers' next tick and loses nothing, and a write never fails for it."""
    if settings.REDIS_URL:
        transaction.on_commit(_publish)


def _publish() -> None:
    global _redis
    try:
        if _redis is None:
            import redis

            _redis = redis.Redis.from_url(
                settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5
            )
        _redis.publish(WAKE_CHANNEL, b"1")
    except Exception as error:  # redis.RedisError, OSError: the tick will do
        logger.warning("could not announce a change: %s", error)


def changes_after(
    after_id: int,
    *,
    kinds: Iterable[str] | None = None,
    event_id: int | None = None,
    limit: int = BATCH,
) -> list[Change]:
    """The first `limit` changes after `after_id`, oldest first: of some kinds, and of
    one event (a talk's changes by its event, the event's own; speakers and topics
    belong to no event and are left out then)."""
    changes = Change.objects.filter(id__gt=after_id)
    if kinds is not None:
        changes = changes.filter(kind__in=list(kinds))
    if event_id is not None:
        changes = changes.filter(event_id=event_id)
    return list(changes.order_by("id")[:limit])


def last_change_id() -> int:
    """The id of the latest change; 0 when there is none."""
    return Change.objects.order_by("-id").values_list("id", flat=True).first() or 0


def prune_changes(days: int | None = None) -> int:
    """Delete the changes older than `days` (CHANGES_RETENTION_DAYS); how many."""
    days = settings.CHANGES_RETENTION_DAYS if days is None else days
    deleted, _ = Change.objects.filter(at__lt=timezone.now() - timedelta(days=days)).delete()
    return deleted
