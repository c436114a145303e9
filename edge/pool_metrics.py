"""The database pools' gauges (project/pooled_postgresql reports to them): how many
connections each alias's pools may hold, hold checked out, and how many requests wait
for one, all processes together (`edge.metrics` serves them with the rest)."""

from prometheus_client import Gauge

POOL_SIZE = Gauge(
    "database_pool_size",
    "Connections the pools may hold, per database alias (all processes together).",
    ["database"],
    multiprocess_mode="livesum",
)
POOL_IN_USE = Gauge(
    "database_pool_connections_in_use",
    "Pooled connections checked out by requests now.",
    ["database"],
    multiprocess_mode="livesum",
)
POOL_WAITING = Gauge(
    "database_pool_waiting",
    "Requests waiting for a pooled connection now.",
    ["database"],
    multiprocess_mode="livesum",
)
