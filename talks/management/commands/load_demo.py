"""`manage.py load_demo`: import the demo catalogue, creating or updating by slug."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from talks.importer import import_catalogue

DEMO_CATALOGUE = Path(__file__).resolve().parents[2] / "demo" / "catalogue.jsonl"


class Command(BaseCommand):
    help = (
        "Load the demo catalogue (talks from DjangoCon, EuroPython and Python Bytes). Idempotent."
    )

    def handle(self, *args, **options) -> None:
        report = import_catalogue([str(DEMO_CATALOGUE)], strict=True)
        if report.bad_count:
            raise CommandError(f"The demo catalogue has bad records: {report.bad[0]}")
        self.stdout.write(f"Demo catalogue loaded: {report}")
