"""Rate limits per client, in the query-cost points the limits compute (schema/limits.py).

Each client has a token bucket: it holds up to a minute's allowance
(GRAPHQL_RATE_LIMIT_ANONYMOUS, or GRAPHQL_RATE_LIMIT_TOKEN for an API token's requests),
refills continuously at that rate, and each request takes its cost out of it, as its
work becomes known:
- one point before anything else (`charge_entry`): a client with none left is refused
  before its document is even parsed; a public GET answered from the cache or with a
  304 costs no more;
- an executed operation its query cost, at least 1 (`RateLimit`);
- a document the process had not parsed and validated before, the CPU time that took,
  one point a millisecond (`schema.documents`), whether it then runs or is refused.
A request that finds too few points is refused with 429, a RATE_LIMITED error and
Retry-After; every answer says where its client stands in `RateLimit-Limit`,
`RateLimit-Remaining` and `RateLimit-Reset` (seconds until full).

A client is its API token, else its address. The address is the peer's, which uvicorn
takes from `X-Forwarded-For` only when the peer is in FORWARDED_ALLOW_IPS (its
`--forwarded-allow-ips`), so a client cannot choose its own bucket.

With REDIS_URL the buckets live in Redis, one atomic script per request using Redis's
clock, so all workers and app servers share them. Without it each process keeps its own.
If Redis does not answer, requests are let through unlimited (and that is logged); it is
tried again a few seconds later.
"""

import asyncio
import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from graphql import GraphQLError
from redis.asyncio import Redis
from redis.exceptions import RedisError
from strawberry.extensions import SchemaExtension

from edge import metrics
from edge.protocol import RequestError, is_shared
from edge.shared import Outage
from edge.state import RequestState

RATE_LIMITED = "RATE_LIMITED"
CACHED_COST = 1  # a 304 or an answer from the cache

# KEYS[1]: the bucket; ARGV: capacity, refill per second, cost. Returns whether the cost
# was taken, and the points left (as text: Lua numbers become integers on the way out).
TAKE = """
local capacity, rate, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local bucket = redis.call('HMGET', KEYS[1], 'points', 'at')
local points = tonumber(bucket[1]) or capacity
local at = tonumber(bucket[2]) or now
points = math.min(capacity, points + math.max(0, now - at) * rate)
local taken = 0
if points >= cost then
  points = points - cost
  taken = 1
end
redis.call('HSET', KEYS[1], 'points', tostring(points), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 1)
return {taken, tostring(points)}
"""


@dataclass(frozen=True)
class Standing:
    """Where a client's bucket stands after a request."""

    limit: int
    remaining: float
    allowed: bool
    cost: int

    @property
    def rate(self) -> float:
        return self.limit / 60

    def seconds_until_full(self) -> int:
        return math.ceil((self.limit - self.remaining) / self.rate)

    def retry_after(self) -> int:
        return max(1, math.ceil((self.cost - self.remaining) / self.rate))


class LocalBuckets:
    """This process's buckets, when there is no Redis to share them through."""

    MAX_CLIENTS = 10_000

    def __init__(self) -> None:
        self.buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str, capacity: int, cost: int) -> tuple[bool, float]:
        now = time.monotonic()
        points, at = self.buckets.pop(key, (capacity, now))
        points = min(capacity, points + (now - at) * capacity / 60)
        taken = points >= cost
        if taken:
            points -= cost
        if len(self.buckets) >= self.MAX_CLIENTS:  # the longest unseen goes first
            del self.buckets[next(iter(self.buckets))]
        self.buckets[key] = (points, now)
        return taken, points


class SharedBuckets:
    """The buckets in Redis; None from `take` when Redis does not answer."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.scripts: dict = {}  # by event loop: an asyncio connection belongs to one
        self.outage = Outage("requests are not rate limited")

    def script(self):
        """TAKE on this event loop's client, sent by EVALSHA (its text only once)."""
        loop = asyncio.get_running_loop()
        script = self.scripts.get(id(loop))
        if script is None:
            redis = Redis.from_url(self.url, socket_connect_timeout=0.25, socket_timeout=0.25)
            script = redis.register_script(TAKE)
            self.scripts = {id(loop): script}  # a new loop (tests) replaces the old ones
        return script

    async def take(self, key: str, capacity: int, cost: int) -> tuple[bool, float] | None:
        if self.outage.ongoing():
            return None
        try:
            take = self.script()
            taken, points = await take(keys=[key], args=[capacity, capacity / 60, cost])
        except (RedisError, OSError):
            self.outage.began()
            return None
        return bool(taken), float(points)


_local = LocalBuckets()
_shared: SharedBuckets | None = None


def _buckets() -> SharedBuckets | None:
    global _shared
    if not settings.REDIS_URL:
        return None
    if _shared is None or _shared.url != settings.REDIS_URL:
        _shared = SharedBuckets(settings.REDIS_URL)
    return _shared


def client_of(request: HttpRequest, state: RequestState) -> tuple[str, int]:
    """The client's bucket name and its allowance per minute (0: not limited)."""
    token_user = state.token_user
    if token_user is not None:
        return f"talks:rate:token:{token_user.api_token.pk}", settings.GRAPHQL_RATE_LIMIT_TOKEN
    address = request.META.get("REMOTE_ADDR") or "unknown"
    return f"talks:rate:address:{address}", settings.GRAPHQL_RATE_LIMIT_ANONYMOUS


async def charge(request: HttpRequest, state: RequestState, cost: int) -> Standing | None:
    """Take `cost` points from the request's client, if it has them; None when the client
    is not limited (or Redis is away)."""
    key, limit = client_of(request, state)
    if limit <= 0:
        return None
    cost = max(1, cost)
    shared = _buckets()
    outcome = await shared.take(key, limit, cost) if shared else _local.take(key, limit, cost)
    if outcome is None:
        return None
    standing = state.rate = Standing(
        limit=limit, remaining=outcome[1], allowed=outcome[0], cost=cost
    )
    if standing.allowed:
        state.charged += cost
    return standing


async def charge_entry(request: HttpRequest, state: RequestState) -> None:
    """Take the point every request costs, unless it was taken already (a public GET);
    a RequestError (429) when the client has none left."""
    if state.charged == 0:
        standing = await charge(request, state, CACHED_COST)
        if standing is not None and not standing.allowed:
            raise request_error(standing)


def owed(state: RequestState, cost: int, document_cpu_ms: float) -> int:
    """What the request still owes: its query cost (at least 1) and the CPU its new
    document took, less what it paid already."""
    return max(1, cost) + math.ceil(document_cpu_ms) - state.charged


def refusal(standing: Standing) -> str:
    """What a refused client is told (every refusal comes by here, so it is counted)."""
    metrics.RATE_LIMITED.inc()
    return (
        f"This client's rate limit is {standing.limit:,} query-cost points a minute; this "
        f"request costs {standing.cost:,} and {math.floor(standing.remaining):,} are left. "
        f"Retry in {standing.retry_after()} s."
    )


def refused(state: RequestState) -> Standing | None:
    """The standing of a request its client had too few points for."""
    standing = state.rate
    return standing if standing is not None and not standing.allowed else None


def request_error(standing: Standing) -> RequestError:
    return RequestError(
        429, refusal(standing), RATE_LIMITED, {"Retry-After": str(standing.retry_after())}
    )


def add_headers(state: RequestState, response: HttpResponse) -> HttpResponse:
    """Where the client stands, on its answer; not on a public one, which a shared cache
    would give to every client."""
    standing = state.rate
    if standing is not None and not is_shared(response):
        response["RateLimit-Limit"] = str(standing.limit)
        response["RateLimit-Remaining"] = str(math.floor(standing.remaining))
        response["RateLimit-Reset"] = str(standing.seconds_until_full())
    return response


class RateLimit(SchemaExtension):
    """Charges an operation's cost (`schema.limits`, which works it out first) and its
    document's parsing and validation to its client before it runs, and refuses it when
    the client has too few points left."""

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        if context.cost is not None:
            due = owed(context.state, context.cost, context.document_cpu_ms)
            standing = await charge(context.request, context.state, due) if due > 0 else None
            if standing is not None and not standing.allowed:
                raise GraphQLError(refusal(standing), extensions={"code": RATE_LIMITED})
        yield


class ConnectionRateLimit(SchemaExtension):
    """The same charge for each operation sent over a WebSocket (`edge.websocket`): its
    cost and its document's CPU, from the bucket of the connection's address, as the
    anonymous client it is over HTTP."""

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        limit = settings.GRAPHQL_RATE_LIMIT_ANONYMOUS
        if context.cost is not None and limit > 0:
            cost = max(1, context.cost) + math.ceil(context.document_cpu_ms)
            key = f"talks:rate:address:{context.client or 'unknown'}"
            shared = _buckets()
            taken = shared.take(key, limit, cost) if shared else None
            outcome = await taken if taken is not None else _local.take(key, limit, cost)
            if outcome is not None and not outcome[0]:
                standing = Standing(limit=limit, remaining=outcome[1], allowed=False, cost=cost)
                raise GraphQLError(refusal(standing), extensions={"code": RATE_LIMITED})
        yield
