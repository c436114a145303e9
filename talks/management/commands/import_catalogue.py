"""`manage.py import_catalogue FILE [FILE ...]`: bulk import of JSON Lines catalogues."""

import resource
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
        phases = PhaseTimes(self.stdout) if options["verbosity"] >= 2 else None
        try:
            report = import_catalogue(
                files, strict=strict, batch_size=batch_size, on_progress=progress, on_phase=phases
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


class PhaseTimes:
    """At -v 2: each phase of the import as it ends, with its wall time, the CPU time of
    this process (its threads included) in it, and the process's peak memory so far."""

    def __init__(self, stdout) -> None:
        self.stdout = stdout
        self.name: str | None = None
        self.wall = self.cpu = 0.0

    @staticmethod
    def _cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def __call__(self, name: str) -> None:
        wall, cpu = time.monotonic(), self._cpu()
        if self.name is not None:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            self.stdout.write(
                f"phase {self.name}: {wall - self.wall:.1f} s, {cpu - self.cpu:.1f} s CPU,"
                f" {peak:.0f} MB peak so far"
            )
            self.stdout.flush()
        self.name, self.wall, self.cpu = name, wall, cpu
