"""`manage.py export_catalogue FILE`: the whole catalogue as JSON Lines (gzip by .gz)."""

import gzip
import sys

from django.core.management.base import BaseCommand

from talks.exporter import export_lines


class Command(BaseCommand):
    help = (
        "Export the catalogue in the import format; FILE ending in .gz is gzipped, '-' is stdout."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", metavar="FILE")

    def handle(self, *args, file: str, **options) -> None:
        if file == "-":
            sys.stdout.writelines(export_lines())
            return
        opener = gzip.open if file.endswith(".gz") else open
        count = 0
        with opener(file, "wt", encoding="utf-8") as out:
            for line in export_lines():
                out.write(line)
                count += 1
        self.stderr.write(f"Exported {count:,} records to {file}.")
