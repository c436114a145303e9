"""What a subscriber holds: at most SUBSCRIPTION_BUFFER changes; one that falls further
behind is told so and ends, rather than growing the server's memory."""

import asyncio

from schema.subscriptions import Subscriber
from talks.models import Change


def change(number: int, kind: str = "TALK", event_id: int | None = 1) -> Change:
    return Change(
        id=number, kind=kind, object_id=number, action="UPDATED", version=2, event_id=event_id
    )


def test_a_subscriber_takes_only_what_it_asked_for(settings):
    async def run():
        subscriber = Subscriber(frozenset({"TALK"}), 1, after=0)
        for offered in (change(1), change(2, kind="TOPIC"), change(3, event_id=2), change(4)):
            subscriber.offer(offered)
        return [subscriber.queue.get_nowait().id for _ in range(subscriber.queue.qsize())]

    assert asyncio.run(run()) == [1, 4]


def test_a_subscriber_that_falls_behind_is_ended_not_grown(settings):
    settings.SUBSCRIPTION_BUFFER = 3

    async def run():
        subscriber = Subscriber(None, None, after=0)
        waiting = asyncio.ensure_future(subscriber.queue.get())  # as a consumer would
        await asyncio.sleep(0)
        for number in range(1, 10):
            subscriber.offer(change(number))
        first = await waiting
        rest = [subscriber.queue.get_nowait() for _ in range(subscriber.queue.qsize())]
        return first, rest, subscriber.behind

    first, rest, behind = asyncio.run(run())
    delivered = [first, *rest]
    assert behind and delivered[-1] is None  # the end, which the subscription raises
    assert len(delivered) <= 3  # never more than the buffer held
