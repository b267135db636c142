"""Work of a publish shared among forked processes: dumps and pages.

A publish reads the whole store into memory first; processes forked after that share what
was read (copy-on-write) and each serialise or render a part. :class:`ForkedMap` hands out
numbered tasks and yields their results in task order, so that what the parent records from
them is what one process would have recorded.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any, Generic, TypeVar

from cityculture.interruption import undo_on_interrupt

T = TypeVar("T")

_task: Callable[[int], object] | None = None
"""The task of the running map, set before the worker processes are forked."""


class ForkedMap(Generic[T]):
    """``task(0)`` ... ``task(count - 1)``, run by ``workers`` forked processes from the start.

    The workers start working when the map is made: this process may do other work before
    it iterates over the results, which come in task order. With one worker (or one task)
    the tasks run in this process as the results are asked for. Otherwise this process must
    run no other thread (a fork copies only the calling one). Tasks are handed out one at a
    time in order: put the longest first. A signal stops the workers (see
    :mod:`cityculture.interruption`); an exception in a task is raised by the iteration.
    Use it in a ``with`` block, which ends the workers however the block ends.
    """

    def __init__(self, task: Callable[[int], T], count: int, workers: int) -> None:
        """Start the tasks (in workers, if more than one)."""
        global _task
        self._task, self._count = task, count
        self._pool: Any = None
        self._stack = ExitStack()
        if workers <= 1 or count <= 1:
            return
        _task = task
        self._stack.enter_context(undo_on_interrupt("stopped the worker processes",
                                                    _stop_workers))
        self._pool = multiprocessing.get_context("fork").Pool(min(workers, count),
                                                              initializer=_worker_signals)
        self._results = self._pool.imap(_run_task, range(count))

    def __iter__(self) -> Iterator[T]:
        """Yield the results in task order."""
        if self._pool is None:
            for number in range(self._count):
                yield self._task(number)
            return
        yield from self._results
        self._pool.close()

    def __enter__(self) -> ForkedMap[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        global _task
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
            _task = None
        self._stack.close()


def _run_task(number: int) -> object:
    """Run one task of the running map, in a worker."""
    if _task is None:
        raise RuntimeError("no forked map is running in this process")
    return _task(number)


def _worker_signals() -> None:
    """Give a worker the default handling of SIGINT and SIGTERM (it has no undo to do).

    A forked worker would otherwise tell the parent's interruption watcher of its own
    signals, through the wake-up pipe they share.
    """
    signal.set_wakeup_fd(-1)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


def _stop_workers() -> None:
    """End the workers of an interrupted publish (they would wait for work forever)."""
    for child in multiprocessing.active_children():
        child.terminate()
