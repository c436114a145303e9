"""`manage.py generate_catalogue --talks N --seed S FILE`: a synthetic catalogue."""

import gzip
import json
from contextlib import nullcontext

from django.core.management.base import BaseCommand, CommandError

from talks.generator import generate


class Command(BaseCommand):
    help = "Write a realistic synthetic catalogue (deterministic for a seed) for scale tests."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", metavar="FILE", help="Output; gzipped if it ends in .gz.")
        parser.add_argument("--talks", type=int, default=20_000)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, file: str, talks: int, seed: int, **options) -> None:
        if talks < 1:
            raise CommandError("--talks must be at least 1.")
        count = 0
        with open(file, "wb") as raw:
            # No name and mtime 0 in the gzip header: the same seed gives the same bytes.
            writer = (
                gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0)
                if file.endswith(".gz")
                else nullcontext(raw)
            )
            with writer as out:
                for record in generate(talks, seed):
                    out.write((json.dumps(record, ensure_ascii=False) + "\n").encode())
                    count += 1
        self.stderr.write(f"Wrote {count:,} records ({talks:,} talks) to {file}.")
