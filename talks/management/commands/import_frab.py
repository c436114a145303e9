"""`manage.py import_frab URL_OR_FILE`: a Frab XML schedule into one event."""

from django.core.management.base import BaseCommand, CommandError

from talks.frab_import import FrabError, import_frab
from talks.problems import ApplicationError


class Command(BaseCommand):
    help = (
        "Import a Frab XML schedule (frab, pretalx, osem) from a file or an http(s) URL into "
        "one event: its rooms, tracks, speakers and talks with their slots. Updates by slug "
        "when run again. A talk whose slot clashes is imported without it and reported."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("source", metavar="URL_OR_FILE")
        parser.add_argument("--event", help="The event's slug (default: from the acronym).")
        parser.add_argument(
            "--strict", action="store_true", help="Stop at the first problem; write nothing."
        )

    def handle(self, *args, **options) -> None:
        try:
            report = import_frab(
                options["source"], event_slug=options["event"], strict=options["strict"]
            )
        except (FrabError, ApplicationError, OSError) as error:
            raise CommandError(f"{error}\nNothing was imported.") from None
        for line in report.unscheduled:
            self.stderr.write(f"without its slot: {line}")
        for line in report.skipped:
            self.stderr.write(f"skipped: {line}")
        self.stdout.write(f"Imported {report}")
