"""`manage.py snapshot_schema`: rewrite schema.graphql, the printed schema snapshot."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

SNAPSHOT = Path(settings.BASE_DIR) / "schema.graphql"


def printed_schema() -> str:
    from schema.schema import schema

    return schema.as_str().rstrip() + "\n"


class Command(BaseCommand):
    help = "Write the printed GraphQL schema to schema.graphql (a test checks it is current)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--check", action="store_true", help="Fail if the file is stale.")

    def handle(self, *args, check: bool = False, **options) -> None:
        current = printed_schema()
        if check:
            if not SNAPSHOT.exists() or SNAPSHOT.read_text() != current:
                self.stderr.write("schema.graphql is stale: run `manage.py snapshot_schema`.")
                raise SystemExit(1)
            self.stdout.write("schema.graphql is current.")
            return
        SNAPSHOT.write_text(current)
        self.stdout.write(f"Wrote {SNAPSHOT}")
