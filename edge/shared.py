"""What every worker shares through Redis (persisted queries, cached answers, rate-limit
buckets, replica pins) is an optimisation, never a dependency: when Redis does not
answer, each user of it logs once and goes on without it for a few seconds, instead of
every request waiting for Redis's timeout."""

import functools
import logging
import time

from asgiref.sync import sync_to_async
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from redis.exceptions import RedisError

RETRY_AFTER_SECONDS = 5.0

logger = logging.getLogger("talks.redis")


class Outage:
    def __init__(self, what: str) -> None:
        self.what = what
        self.until = 0.0

    def ongoing(self) -> bool:
        return time.monotonic() < self.until

    def began(self) -> None:
        self.until = time.monotonic() + RETRY_AFTER_SECONDS
        logger.warning(
            "Redis unavailable: %s for %.0f s", self.what, RETRY_AFTER_SECONDS, exc_info=True
        )


@functools.cache
def shared_cache():
    """One cache backend for the process. Django gives each request (each async context)
    a backend of its own, whose Redis connection pool, and so connection, would be new
    for every request."""
    return caches.create_connection(DEFAULT_CACHE_ALIAS)


cache_outage = Outage("persisted queries and cached answers are skipped")


def cache_get_now(key: str):
    """What the cache holds under `key` (None when nothing, or when it does not answer),
    for code already on a worker thread."""
    if cache_outage.ongoing():
        return None
    try:
        return shared_cache().get(key)
    except (RedisError, OSError):
        cache_outage.began()
        return None


# What Django's own `aget` does: the same read on a worker thread.
cache_get = sync_to_async(cache_get_now)


async def cache_set(key: str, value) -> None:
    if cache_outage.ongoing():
        return
    try:
        await shared_cache().aset(key, value)
    except (RedisError, OSError):
        cache_outage.began()
