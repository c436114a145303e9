"""Progress of a long command: a bar on a terminal, a line every few seconds otherwise."""

import time

from django.core.management.base import OutputWrapper


class Progress:
    def __init__(self, stream: OutputWrapper, *, label: str, quiet: bool = False) -> None:
        self.stream, self.label, self.quiet = stream, label, quiet
        self.tty = stream.isatty()
        self.interval = 0.2 if self.tty else 5.0
        self.started = self.shown = time.monotonic()

    def __call__(self, records: int, done: int, total: int) -> None:
        now = time.monotonic()
        if self.quiet or now - self.shown < self.interval:
            return
        self.shown = now
        elapsed = now - self.started
        fraction = done / total if total else 1.0
        rate = records / elapsed if elapsed else 0.0
        eta = elapsed * (1 - fraction) / fraction if fraction else 0.0
        text = f"{fraction:4.0%} {records:,} records, {rate:,.0f} records/s, ETA {eta:,.0f} s"
        if self.tty:
            bar = "#" * int(fraction * 30)
            self.stream.write(f"\r{self.label} [{bar:<30}] {text}   ", ending="")
        else:
            self.stream.write(f"{self.label}: {text}")
        self.stream.flush()

    def finish(self) -> None:
        if self.tty and not self.quiet:
            self.stream.write("")
