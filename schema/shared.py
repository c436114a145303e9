"""What every worker shares through Redis (persisted queries, cached answers, rate-limit
buckets) is an optimisation, never a dependency: when Redis does not answer, each user
of it logs once and goes on without it for a few seconds, instead of every request
waiting for Redis's timeout."""

import functools
import logging
import time

from django.core.cache import DEFAULT_CACHE_ALIAS, caches

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
