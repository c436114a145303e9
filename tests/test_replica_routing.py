"""The database router and the replicas' rotation, in process (the e2e tests run them
against a real streaming replica)."""

import time

from django.test import override_settings

from edge import state
from edge.replicas import ReplicaRouter, Replicas, Standing
from talks.models import Talk


def in_a_request(check) -> None:
    """Run `check(current)` in a request of its own, as the first middleware runs one."""
    with state.request("test") as current:
        check(current)


def test_reads_go_where_the_operation_says_and_writes_to_the_primary():
    router = ReplicaRouter()

    def check(current: state.RequestState) -> None:
        assert router.db_for_read(Talk) is None  # no operation: the primary
        current.reads_from = "replica-1"
        assert router.db_for_read(Talk) == "replica-1"
        assert router.db_for_write(Talk) == "default"

    in_a_request(check)
    assert router.allow_migrate("default", "talks") and not router.allow_migrate(
        "replica-1", "talks"
    )


@override_settings(DATABASE_REPLICAS=["replica-1", "replica-2"], DATABASE_REPLICA_CHECK_SECONDS=2)
def test_healthy_replicas_take_turns_and_an_unhealthy_one_sits_out():
    replicas = Replicas()
    now = time.monotonic()
    for alias in ("replica-1", "replica-2"):
        replicas.standings[alias] = Standing(True, 0.0, None, now)
    assert not replicas.due()
    assert {replicas.pick() for _ in range(4)} == {"replica-1", "replica-2"}
    replicas.mark_down("replica-2", ConnectionError())
    assert {replicas.pick() for _ in range(4)} == {"replica-1"}

    def retried_on_the_primary(current: state.RequestState) -> None:
        current.primary_only = True
        assert replicas.pick() is None

    in_a_request(retried_on_the_primary)
    replicas.mark_down("replica-1", ConnectionError())
    assert replicas.pick() is None  # none healthy: the primary
    replicas.standings["replica-1"].checked_at -= 3
    assert replicas.due()


def test_readiness_reports_a_replica_as_its_last_check_found_it():
    assert Standing(True, 0.25, None, 0).as_json() == {"status": "ok", "lag_seconds": 0.25}
    down = Standing(False, None, "replays 12.0 s behind the primary", 0).as_json()
    assert down == {
        "status": "unavailable",
        "lag_seconds": None,
        "problem": "replays 12.0 s behind the primary",
    }
