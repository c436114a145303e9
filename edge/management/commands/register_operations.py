"""`manage.py register_operations FILE`: the operations GRAPHQL_PERSISTED_ONLY lets run."""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from edge.persisted import operations_of_manifest, register_operations


class Command(BaseCommand):
    help = (
        "Register the operations of a persisted-query manifest (Apollo's "
        "apollo-persisted-query-manifest, or a JSON object of sha256 hash to query) for "
        "GRAPHQL_PERSISTED_ONLY. All or nothing: every hash must be its query's SHA-256 and "
        "every query must validate."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="The manifest (JSON); - reads standard input.")
        parser.add_argument(
            "--prune", action="store_true", help="Also remove operations the file does not list."
        )

    def handle(self, *args, file: str, prune: bool, **options) -> None:
        try:
            if file == "-":
                manifest = json.load(sys.stdin)
            else:
                with open(file, encoding="utf-8") as handle:
                    manifest = json.load(handle)
        except (OSError, ValueError) as error:
            raise CommandError(f"Cannot read {file}: {error}") from error
        try:
            counts = register_operations(operations_of_manifest(manifest), prune=prune)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(", ".join(f"{count} {what}" for what, count in counts.items()))
