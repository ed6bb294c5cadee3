"""A progress bar on stderr for long imports: rows, rows/s and time left.

It stays silent when stderr is not a terminal, and until an import has run for half a second,
so quick imports and scripts see nothing. The import reports progress through a plain callback
(service.importing.Progress), which the app's import screen implements its own way.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["ProgressBar", "progress_bar"]

_DELAY = 0.5
_WIDTH = 24


class ProgressBar:
    def __init__(self, label: str, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self.label = label
        self.stream = stream
        self.clock = clock
        self.started = clock()
        self.shown = False
        self.width = 0  # of the line last drawn

    def __call__(self, rows: int, done_bytes: int, total_bytes: int) -> None:
        elapsed = self.clock() - self.started
        if elapsed < _DELAY:
            return
        share = min(1.0, done_bytes / total_bytes) if total_bytes else 0.0
        filled = int(share * _WIDTH)
        rate = rows / elapsed if elapsed else 0.0
        left = elapsed * (1 - share) / share if share > 0 else 0.0
        line = (
            f"{self.label} {share:4.0%} [{'#' * filled}{'.' * (_WIDTH - filled)}] "
            f"{rows:,} rows  {rate:,.0f} rows/s  {left:.0f}s left"
        )
        # padded over whatever a longer line before it left on the screen
        self.stream.write(f"\r{line.ljust(self.width)}")
        self.width = len(line)
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


def progress_bar(label: str, stream: TextIO | None = None) -> ProgressBar | None:
    """A bar on ``stream`` (stderr), or None when that is not a terminal."""
    stream = stream or sys.stderr
    return ProgressBar(label, stream) if stream.isatty() else None
