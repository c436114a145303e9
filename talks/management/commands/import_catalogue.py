"""`manage.py import_catalogue FILE [FILE ...]`: bulk import of JSON Lines catalogues."""

import time

from django.core.management.base import BaseCommand, CommandError

from talks.importer import StrictImportError, import_catalogue
from talks.progress import Progress


class Command(BaseCommand):
    help = (
        "Import catalogue records (JSON Lines, plain or gzipped; '-' reads stdin), "
        "creating or updating by slug. Bad records are reported with file and line and "
        "skipped; the exit code is 1 if there were any. --strict stops at the first and "
        "writes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--strict", action="store_true", help="Stop at the first bad record.")
        parser.add_argument("--quiet", action="store_true", help="No progress, only problems.")
        parser.add_argument("--batch-size", type=int, default=1000, help="Records a batch.")

    def handle(self, *args, files, strict, quiet, batch_size, **options) -> None:
        progress = Progress(self.stderr, label="import", quiet=quiet)
        started = time.monotonic()
        try:
            report = import_catalogue(
                files, strict=strict, batch_size=batch_size, on_progress=progress
            )
        except StrictImportError as error:
            progress.finish()
            raise CommandError(f"{error.bad}\nNothing was imported (--strict).") from error
        except OSError as error:
            raise CommandError(str(error)) from error
        progress.finish()
        for bad in report.bad:
            self.stderr.write(str(bad))
        if report.bad_count > len(report.bad):
            self.stderr.write(f"... and {report.bad_count - len(report.bad)} more bad records")
        seconds = time.monotonic() - started
        if not quiet or report.bad_count:
            self.stdout.write(f"Imported in {seconds:.1f} s: {report}")
        if not report.changed and not report.bad_count and not quiet:
            self.stdout.write("Nothing changed: the database already matched the input.")
        if report.bad_count:
            raise SystemExit(1)
