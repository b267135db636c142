"""Progress on standard error: which stage runs, how far it is, and how long is left.

Long commands (validate, load, assess, publish, serve start-up) report each stage on one
line of standard error, redrawn in place: the stage's name, the work done out of the total
(rows, triples, bytes, pages) when it is known, the time spent and, from the rate so far, the
time left. A line is redrawn at most a few times a second, and at least every second by a
ticker thread, so a stage that spends a long time inside one call (a bulk load, a SPARQL
update) still shows that it is alive.

Progress is shown only when standard error is a terminal and the user did not ask for quiet
(``cityculture --quiet``): a pipe or a log file gets the command's own output and nothing
else. The setting is process-wide (:func:`configure`); library code asks :func:`stage`.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

_REDRAW_SECONDS = 0.25
_TICK_SECONDS = 1.0


class _Settings:
    quiet = False
    stream: TextIO | None = None


def configure(*, quiet: bool = False, stream: TextIO | None = None) -> None:
    """Set whether progress is shown (never when ``quiet``) and where (default: stderr)."""
    _Settings.quiet = quiet
    _Settings.stream = stream


def _enabled(stream: TextIO) -> bool:
    if _Settings.quiet:
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _duration(seconds: float) -> str:
    """Format seconds as ``42 s`` or ``3 min 05 s``.

    >>> _duration(42.4), _duration(185)
    ('42 s', '3 min 05 s')
    """
    whole = round(seconds)
    return f"{whole} s" if whole < 60 else f"{whole // 60} min {whole % 60:02d} s"


class Stage:
    """One stage of a command: advance it as work is done; it redraws its own line."""

    def __init__(self, name: str, total: int | None, unit: str, stream: TextIO | None) -> None:
        """Start the stage (``stream`` None: report nothing)."""
        self.name = name
        self.total = total
        self.unit = unit
        self.done = 0
        self._stream = stream
        self._start = time.monotonic()
        self._drawn = 0.0
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._ticker: threading.Thread | None = None
        if stream is not None:
            self._ticker = threading.Thread(target=self._tick, daemon=True,
                                            name="cityculture-progress")
            self._ticker.start()
            self._draw()

    def advance(self, amount: int = 1) -> None:
        """Record ``amount`` more units of work done."""
        self.update(self.done + amount)

    def update(self, done: int, total: int | None = None) -> None:
        """Record the work done so far (and the total, when it becomes known)."""
        self.done = done
        if total is not None:
            self.total = total
        if self._stream is not None and time.monotonic() - self._drawn >= _REDRAW_SECONDS:
            self._draw()

    def line(self, final: bool = False) -> str:
        """Return the stage's progress line."""
        elapsed = time.monotonic() - self._start
        parts = [self.name]
        if self.total:
            share = min(self.done / self.total, 1.0)
            parts.append(f"{self.done:,}/{self.total:,} {self.unit} ({share:.0%})")
            if not final and 0.02 <= share < 1.0 and elapsed >= 1.0:
                parts.append(f"about {_duration(elapsed / share - elapsed)} left")
        elif self.done:
            parts.append(f"{self.done:,} {self.unit}")
        parts.append(("done in " if final else "") + _duration(elapsed))
        return ": ".join(parts[:2]) + (", " + ", ".join(parts[2:]) if len(parts) > 2 else "")

    def _draw(self, final: bool = False) -> None:
        stream = self._stream
        if stream is None:
            return
        with self._lock:
            self._drawn = time.monotonic()
            stream.write("\r\x1b[K" + self.line(final) + ("\n" if final else ""))
            stream.flush()

    def _tick(self) -> None:
        while not self._stopped.wait(_TICK_SECONDS):
            self._draw()

    def finish(self) -> None:
        """End the stage: stop the ticker and leave its final line."""
        self._stopped.set()
        if self._ticker is not None:
            self._ticker.join()
            self._draw(final=True)


@contextmanager
def stage(name: str, total: int | None = None, unit: str = "rows") -> Iterator[Stage]:
    """Report a stage of a command for as long as the ``with`` block runs.

    >>> with stage("counting", total=3) as s:  # quiet outside a terminal
    ...     s.advance(3)
    >>> s.done
    3
    """
    stream = _Settings.stream or sys.stderr
    current = Stage(name, total, unit, stream if _enabled(stream) else None)
    try:
        yield current
    finally:
        current.finish()

