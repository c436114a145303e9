"""Which database a GraphQL operation reads from, decided by its kind, not its HTTP
method (`edge.replicas` keeps the replicas' health and routes the reads).

A query reads from a healthy replica; a mutation runs on the primary, reads included,
and then pins its client (API token or session) to the primary for
DATABASE_REPLICA_PIN_SECONDS, so that the client's next queries see its write. Pins are
kept in the shared cache (Redis), so every app server honours them; when it does not
answer, a client that could be pinned reads from the primary. Anonymous clients cannot
write, so they are never pinned and never looked up.

A public GET, whose answer is cached and tagged by the catalogue version read from the
primary, reads from the replica only if the replica has that version too: an answer
kept under a version always holds that version's data.
"""

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError
from redis.exceptions import RedisError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from edge import metrics
from edge.replicas import replicas
from edge.shared import Outage, shared_cache
from edge.state import RequestState
from talks.models import CatalogueVersion

PIN_PREFIX = "pinned:"
pin_outage = Outage("clients that wrote read from the primary")


def client_key(request, state: RequestState) -> str | None:
    """Who the request's writes belong to: its API token, or its session; None for an
    anonymous client."""
    user = state.token_user
    if user is not None:
        return f"token:{user.api_token.pk}"
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        return f"session:{session.session_key}"
    return None


@sync_to_async
def _is_pinned(key: str) -> bool:
    if pin_outage.ongoing():
        return True
    try:
        return shared_cache().get(PIN_PREFIX + key) is not None
    except (RedisError, OSError):
        pin_outage.began()
        return True


@sync_to_async
def _pin(key: str) -> None:
    if pin_outage.ongoing():
        return
    try:
        shared_cache().set(PIN_PREFIX + key, 1, timeout=settings.DATABASE_REPLICA_PIN_SECONDS)
    except (RedisError, OSError):
        pin_outage.began()


@sync_to_async
def _replica_for(public_version: int | None) -> str | None:
    replicas.check_due()
    alias = replicas.pick()
    if alias is not None and public_version is not None:
        try:
            versions = CatalogueVersion.objects.using(alias).values_list("version", flat=True)
            replica_version = versions.first() or 0
        except DatabaseError as error:
            replicas.mark_down(alias, error)
            return None
        if replica_version != public_version:
            return None
    return alias


async def replica_for(state: RequestState) -> str | None:
    """The replica this query reads from; None: the primary."""
    public_version = state.public.version if state.public is not None else None
    if public_version is None and not replicas.due():
        return replicas.pick()  # no thread needed
    return await _replica_for(public_version)


class ReadRouting(SchemaExtension):
    """Routes the operation's reads (`RequestState.reads_from`) and pins a client that
    wrote; the request's log line says where it read (`db`)."""

    async def on_execute(self):
        context = self.execution_context
        request, state = context.context.request, context.context.state
        if not settings.DATABASE_REPLICAS:
            state.database = "primary"
            yield
            return
        alias, key = None, client_key(request, state)
        kind = context.operation_type
        if kind is not OperationType.QUERY:
            reason = kind.value  # a mutation: writes and reads on the primary
        elif key is not None and await _is_pinned(key):
            reason = "pinned"  # its client wrote a moment ago
        else:
            alias = await replica_for(state)
            if alias is not None:
                reason = "query"
            elif state.primary_only:
                reason = "replica_failed"  # it failed this very query: now on the primary
            else:
                reason = "no_replica_ready"  # none healthy, or behind a public GET's version
        state.database, state.reads_from = alias or "primary", alias
        metrics.ROUTING.labels(state.database, reason).inc()
        try:
            yield
        finally:
            state.reads_from = None
        if kind is OperationType.MUTATION and key is not None:
            await _pin(key)
