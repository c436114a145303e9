"""`manage.py load_demo`: load the demo catalogue, creating or updating by slug."""

from pathlib import Path

from django.core.management.base import BaseCommand

from talks.catalogue import load_records, read_jsonl

DEMO_CATALOGUE = Path(__file__).resolve().parents[2] / "demo" / "catalogue.jsonl"


class Command(BaseCommand):
    help = (
        "Load the demo catalogue (talks from DjangoCon, EuroPython and Python Bytes). Idempotent."
    )

    def handle(self, *args, **options) -> None:
        report = load_records(read_jsonl(DEMO_CATALOGUE))
        self.stdout.write(f"Demo catalogue loaded: {report}")
