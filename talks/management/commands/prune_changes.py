"""`manage.py prune_changes`: trim the change log to its retention."""

from django.conf import settings
from django.core.management.base import BaseCommand

from talks.changes import prune_changes


class Command(BaseCommand):
    help = (
        "Delete the change log's entries older than --days (CHANGES_RETENTION_DAYS, 30 by "
        "default). Run it daily; a client resuming from a pruned change id gets what is left."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=settings.CHANGES_RETENTION_DAYS)

    def handle(self, *args, **options) -> None:
        deleted = prune_changes(options["days"])
        self.stdout.write(f"Pruned {deleted} change(s) older than {options['days']} days.")
