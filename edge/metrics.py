"""Prometheus metrics, and `GET /metrics` to scrape them.

Several server processes (gunicorn's uvicorn workers) each count their own; with
PROMETHEUS_MULTIPROC_DIR set (the image's entrypoint sets and empties it), prometheus-
client's multiprocess mode writes each process's values to files there and a scrape of
any process adds them all up. Without it (`dev.py serve`, one process) the default
registry answers.

Operation names are labels only when they are registered (`register_operations`): any
other operation counts as `other`, so no client can grow the label space by inventing
names. The registered names are read at a worker's start and at each scrape, never on a
request's path, so a name registered since shows from the next scrape on.

`/metrics` answers only `Authorization: Bearer $METRICS_TOKEN` or an address in
METRICS_ALLOWED_IPS; anyone else gets a 404, as if it were not there.
"""

import hmac
import os
import time

from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client import REGISTRY as DEFAULT_REGISTRY
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from strawberry.extensions import SchemaExtension

from edge import pool_metrics  # noqa: F401  (the pools' gauges: served with these)
from edge.replicas import replicas
from schema import loaders, subscriptions
from schema.errors import operation_label
from talks.models import PersistedOperation

OPERATIONS = Counter(
    "graphql_operations_total",
    "GraphQL operations by name (registered ones; others: other), type and outcome.",
    ["operation", "type", "outcome"],
)
DURATION = Histogram(
    "graphql_operation_duration_seconds",
    "How long GraphQL operations took, parsing to result.",
    ["operation", "type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
COST = Histogram(
    "graphql_query_cost",
    "What the query cost counted operations as (schema.limits).",
    ["operation"],
    buckets=(1, 10, 50, 100, 500, 1000, 5000, 10000, 20000),
)
RATE_LIMITED = Counter("graphql_rate_limited_total", "Requests refused by the rate limit.")
CACHE_HITS = Counter(
    "http_cache_hits_total",
    "Public GETs answered without executing: 304s and answers from the shared cache.",
    ["kind"],
)
BATCHES = Histogram(
    "dataloader_batch_size",
    "Keys per DataLoader batch (one SQL statement each).",
    ["loader"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
)
SUBSCRIPTIONS = Gauge(
    "graphql_subscriptions_open",
    "Open subscriptions.",
    multiprocess_mode="livesum",
)
ROUTING = Counter(
    "graphql_read_routing_total",
    "Where operations read from, with replicas configured, and why (edge.routing).",
    ["database", "reason"],
)

# The names of registered operations, as the last scrape (or the process's start) read
# them: the request path reads this set and never the database.
registered: frozenset[str] = frozenset()


def refresh_registered_names() -> None:
    global registered
    try:
        names = PersistedOperation.objects.exclude(name="").values_list("name", flat=True)
        registered = frozenset(names)
    except DatabaseError:  # the database is away: keep what we had
        pass


def operation_name(name: str | None, registered: frozenset[str]) -> str:
    return name if name and name in registered else "other"


def record_operation(name: str, kind: str, outcome: str, seconds: float, cost: int | None):
    OPERATIONS.labels(name, kind, outcome).inc()
    DURATION.labels(name, kind).observe(seconds)
    if cost is not None:
        COST.labels(name).observe(cost)


class OperationMetrics(SchemaExtension):
    """Counts each operation: by name if registered, type, outcome, duration and cost."""

    def on_operation(self):
        began = time.perf_counter()
        try:
            yield
        finally:
            label = operation_label(self.execution_context)
            if label is not None:
                kind, _, name = label.partition(" ")
                result = self.execution_context.result
                outcome = "error" if result is not None and result.errors else "ok"
                record_operation(
                    operation_name(name, registered),
                    kind,
                    outcome,
                    time.perf_counter() - began,
                    getattr(self.execution_context.context, "cost", None),
                )


loaders.BATCH_OBSERVERS.append(lambda name, size: BATCHES.labels(name).observe(size))
subscriptions.OPEN_OBSERVERS.append(lambda change: SUBSCRIPTIONS.inc(change))


class ReplicaCollector(Collector):
    """Each replica's health and lag as this process last checked them (every process
    checks each replica every DATABASE_REPLICA_CHECK_SECONDS, so any one of them can say)."""

    def collect(self):
        up = GaugeMetricFamily(
            "database_replica_up", "Whether a replica is in rotation.", labels=["database"]
        )
        lag = GaugeMetricFamily(
            "database_replica_lag_seconds",
            "How far behind the primary a replica replays, at its last check.",
            labels=["database"],
        )
        for alias in replicas.aliases:
            standing = replicas.standing(alias)
            up.add_metric([alias], 1 if standing.healthy else 0)
            if standing.lag_seconds is not None:
                lag.add_metric([alias], standing.lag_seconds)
        return [up, lag]


REPLICAS = ReplicaCollector()
DEFAULT_REGISTRY.register(REPLICAS)


def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    sent = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    return request.META.get("REMOTE_ADDR") in settings.METRICS_ALLOWED_IPS


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        raise Http404
    refresh_registered_names()  # a name registered since shows from the next operation
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(REPLICAS)
    else:
        registry = DEFAULT_REGISTRY
    response = HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
