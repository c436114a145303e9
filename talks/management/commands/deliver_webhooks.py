"""`manage.py deliver_webhooks`: the worker that sends the change log to webhooks."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand

from talks.changes import WAKE_CHANNEL
from talks.webhooks import deliver_due


class Command(BaseCommand):
    help = (
        "Deliver the change log to every webhook, in order, retrying failures, until "
        "stopped (run one such worker: compose's `webhooks` service). --once: one round."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="One round, then exit.")

    def handle(self, *args, **options) -> None:
        if options["once"]:
            self.stdout.write(f"{deliver_due()} deliveries done")
            return
        wake = self._wake_ups()
        while True:
            deliver_due()
            if wake is None:
                time.sleep(1)
                continue
            try:  # a change announced, or a second gone: retries come due by time
                wake.get_message(timeout=1)
            except Exception:  # Redis went away: go on ticking
                wake = None

    def _wake_ups(self):
        if not settings.REDIS_URL:
            return None
        import redis

        try:
            pubsub = redis.Redis.from_url(settings.REDIS_URL).pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(WAKE_CHANNEL)
            return pubsub
        except (OSError, redis.RedisError):
            return None
