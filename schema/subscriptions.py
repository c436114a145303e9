"""The Subscription root: `changes`, the change log (`talks.changes`) as it grows.

Every process follows the log with one task (`ChangeFeed`): each tick (or sooner, when
a wake-up arrives) it reads the changes after the last it saw, one statement whatever
the number of subscribers, and hands each to the subscriptions that want it. The log is
in the database, so a change made through any process reaches the subscribers of every
other, and nothing is lost while a wake-up channel is down: the next tick reads it.

A subscription resumes with `since` (or SSE's Last-Event-ID): the changes after it are
read from the log first, then the live ones, each once, in log order. A subscriber that
does not keep up (its buffer of SUBSCRIPTION_BUFFER changes is full) is ended with an
error; it resumes from the last id it saw.
"""

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

import strawberry
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError, connections
from graphql import GraphQLError
from strawberry import relay
from strawberry.types import Info

from schema.errors import BadUserInput
from schema.ids import PRIMARY_KEY, global_id, parse_global_id
from schema.loaders import Loaders
from schema.lookahead import own_fields
from schema.relations import prefetch
from schema.types import NODE_TYPES, model_of
from talks import changes as change_log
from talks import selectors
from talks.models import Change as ChangeRow


@strawberry.enum(name="NodeType", description="The kinds of object the change log follows.")
class NodeType(Enum):
    TALK = "TALK"
    SPEAKER = "SPEAKER"
    EVENT = "EVENT"
    TOPIC = "TOPIC"


@strawberry.enum(name="ChangeAction", description="What happened to the object.")
class ChangeAction(Enum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    DELETED = "DELETED"


TYPE_NAMES = {"TALK": "Talk", "SPEAKER": "Speaker", "EVENT": "Event", "TOPIC": "Topic"}


def _released(read):
    """`read`, then let go of the database connections it took: a subscription lives for
    hours, and a connection held all that time would be one less for everyone (the pool
    of 10 ran dry at 10 subscribers before this)."""

    def run(*args, **kwargs):
        try:
            return read(*args, **kwargs)
        finally:
            for connection in connections.all(initialized_only=True):
                connection.close()

    return sync_to_async(run)


last_change_id = _released(change_log.last_change_id)
objects_by_key = _released(selectors.objects_by_key)
changes_after = _released(change_log.changes_after)
release_connections = _released(lambda: None)
SLOW = "This subscription fell behind and was ended; subscribe again with `since`."
TOO_MANY = "This client holds {limit} subscriptions already; end one first."


@strawberry.type(name="Change", description="One entry of the change log.")
class ChangeType:
    row: strawberry.Private[ChangeRow]

    @strawberry.field(description="The change's id in the log: give it as `since` to resume.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field(description="Created, updated or deleted.")
    def action(self) -> ChangeAction:
        return ChangeAction(self.row.action)

    @strawberry.field(description="The global ID of the object that changed.")
    def node_id(self) -> strawberry.ID:
        return strawberry.ID(global_id(TYPE_NAMES[self.row.kind], self.row.object_id))

    @strawberry.field(description="The kind of object that changed.")
    def type(self) -> NodeType:
        return NodeType(self.row.kind)

    @strawberry.field(description="The object's version after the change.")
    def version(self) -> int:
        return self.row.version

    @strawberry.field(description="When the change was made.")
    def at(self) -> datetime:
        return self.row.at

    @strawberry.field(description="The object as it is when delivered; null once deleted.")
    async def node(self, info: Info) -> relay.Node | None:
        node_type = NODE_TYPES[TYPE_NAMES[self.row.kind]]
        found = await objects_by_key(model_of(node_type), "pk", [self.row.object_id])
        obj = found.get(self.row.object_id)
        if obj is not None:
            await prefetch(info.context.loaders, own_fields(info), {node_type: [obj]})
        return obj


@dataclass(eq=False)
class Subscriber:
    kinds: frozenset[str] | None
    event_id: int | None
    after: int  # the feed had handed out every change up to this one when it attached
    queue: asyncio.Queue = field(
        default_factory=lambda: asyncio.Queue(settings.SUBSCRIPTION_BUFFER)
    )
    behind: bool = False

    def wants(self, change: ChangeRow) -> bool:
        return (self.kinds is None or change.kind in self.kinds) and (
            self.event_id is None or change.event_id == self.event_id
        )

    def offer(self, change: ChangeRow) -> None:
        if self.behind or not self.wants(change):
            return
        try:
            self.queue.put_nowait(change)
        except asyncio.QueueFull:  # let what waits go, and say so next
            self.behind = True
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(None)


# Called with +1 or -1 as subscriptions open and close: the edge's metrics.
OPEN_OBSERVERS: list = []


class ChangeFeed:
    """The process's reader of the change log, while anyone subscribes."""

    def __init__(self) -> None:
        self.subscribers: set[Subscriber] = set()
        self.clients: dict[str, int] = {}  # open subscriptions by client
        self.last_id = 0
        self.task: asyncio.Task | None = None
        self.listener: asyncio.Task | None = None
        self.wake = asyncio.Event()
        self.starting = asyncio.Lock()

    async def attach(self, kinds: frozenset[str] | None, event_id: int | None) -> Subscriber:
        # One follower whatever the number of subscribers arriving at once: the first
        # starts it, the others wait for it to know where the log ends.
        async with self.starting:
            if self.task is None or self.task.done():
                self.last_id = await last_change_id()
                self.wake = asyncio.Event()
                loop = asyncio.get_running_loop()
                self.task = loop.create_task(self.follow())
                self.listener = loop.create_task(self.listen())
            subscriber = Subscriber(kinds, event_id, self.last_id)
            self.subscribers.add(subscriber)
        for observe in OPEN_OBSERVERS:
            observe(1)
        return subscriber

    def detach(self, subscriber: Subscriber) -> None:
        if subscriber in self.subscribers:
            for observe in OPEN_OBSERVERS:
                observe(-1)
        self.subscribers.discard(subscriber)
        if not self.subscribers and self.task is not None:
            self.task.cancel()
            self.listener.cancel()
            self.task = None

    async def listen(self) -> None:
        """Wake the follower whenever a writer announces a change (Redis pub/sub, when
        REDIS_URL is set); while Redis is away, try again now and then: the ticks go on."""
        if not settings.REDIS_URL:
            return
        import redis.asyncio as redis

        while self.subscribers:
            client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(change_log.WAKE_CHANNEL)
                    async for message in pubsub.listen():
                        if message["type"] == "message":
                            self.wake.set()
            except (OSError, redis.RedisError):
                await asyncio.sleep(settings.CHANGES_POLL_SECONDS)
            finally:
                await client.aclose()

    async def follow(self) -> None:
        while self.subscribers:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), settings.CHANGES_POLL_SECONDS)
            self.wake.clear()
            try:
                found = await changes_after(self.last_id)
            except DatabaseError:  # the database is away: try again next tick
                continue
            for change in found:
                self.last_id = change.id
                for subscriber in list(self.subscribers):
                    subscriber.offer(change)
            if len(found) == change_log.BATCH:
                self.wake.set()  # more waiting: no pause


FEEDS: dict[asyncio.AbstractEventLoop, ChangeFeed] = {}


def feed() -> ChangeFeed:
    """This event loop's feed (a server has one loop; tests may run several)."""
    loop = asyncio.get_running_loop()
    if loop not in FEEDS:
        FEEDS[loop] = ChangeFeed()
    return FEEDS[loop]


def _since(info: Info, since: strawberry.ID | None) -> int | None:
    value = since if since is not None else getattr(info.context, "last_event_id", None)
    if value is None:
        return None
    if not PRIMARY_KEY.fullmatch(str(value)) and str(value) != "0":
        raise BadUserInput("`since` is the `id` of a change.", argument="since")
    return int(value)


async def follow_changes(
    info: Info, kinds: frozenset[str] | None, event_id: int | None, since: int | None
) -> AsyncGenerator[ChangeRow, None]:
    """The changes after `since` from the log, then the live ones: each once, in order."""
    client, limit = info.context.client, settings.GRAPHQL_MAX_SUBSCRIPTIONS_PER_CLIENT
    counts = feed().clients
    if client is not None and counts.get(client, 0) >= limit:
        message = TOO_MANY.format(limit=limit)
        raise GraphQLError(message, extensions={"code": "TOO_MANY_SUBSCRIPTIONS"})
    subscriber = await feed().attach(kinds, event_id)
    if client is not None:
        counts[client] = counts.get(client, 0) + 1
    try:
        cursor = since if since is not None else subscriber.after
        while cursor < subscriber.after:  # what happened while away, from the log
            missed = await changes_after(cursor, kinds=kinds, event_id=event_id)
            missed = [change for change in missed if change.id <= subscriber.after]
            if not missed:
                break
            for change in missed:
                yield change
                cursor = change.id
        while True:
            change = await subscriber.queue.get()
            if change is None:
                raise GraphQLError(SLOW, extensions={"code": "SUBSCRIBER_TOO_SLOW"})
            if change.id > cursor:
                yield change
                cursor = change.id
    finally:
        feed().detach(subscriber)
        if client is not None:
            counts[client] -= 1
            if not counts[client]:
                del counts[client]


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description=(
            "Each change to talks, speakers, events and topics as it is made: of some "
            "`types`, of one `event`'s talks and the event, after the change `since` (the "
            "log's missed changes first, then live ones; each once, in order)."
        )
    )
    async def changes(
        self,
        info: Info,
        types: list[NodeType] | None = None,
        event: strawberry.ID | None = None,
        since: strawberry.ID | None = None,
    ) -> AsyncGenerator[ChangeType, None]:
        kinds = None if types is None else frozenset(kind.value for kind in types)
        event_id = None
        if event is not None:
            parsed = parse_global_id(event, {"Event"})
            if parsed is None:
                raise BadUserInput("`event` is not the ID of an event.", argument="event")
            event_id = parsed[1]
        await release_connections()  # what the request took before it began
        async for change in follow_changes(info, kinds, event_id, _since(info, since)):
            info.context.loaders = Loaders()  # each change's node as it is now
            info.context.last_change_id = change.id
            yield ChangeType(row=change)
            if info.context.loaders.used:
                await release_connections()  # what its node's relations took
