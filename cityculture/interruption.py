"""Ctrl-C and SIGTERM: stop at once, undo what the command was writing, exit 130 or 143.

Python runs a signal handler only between bytecodes of the main thread, so a command waiting
inside one long call into Oxigraph (a bulk load, a SPARQL update of a million triples) would
notice Ctrl-C only when that call returns, minutes later. Instead, the signal wakes a watcher
thread (through :func:`signal.set_wakeup_fd`; Oxigraph releases the interpreter lock while it
works, so the thread runs at once). The watcher runs the undo actions registered by what is
running (most recent first: put the store back as it was, remove a half-written folder), says
so on standard error, and ends the process with ``128 + signal number``: 130 for SIGINT, 143
for SIGTERM, as shells do. A second signal while undoing is ignored: the undo must finish.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

SIGNALS = (signal.SIGINT, signal.SIGTERM)
_undo: list[tuple[str, Callable[[], None]]] = []
_lock = threading.Lock()
_installed = False
_deferred: list[list[int]] = []


def _ignore(_signum: int, _frame: object) -> None:
    """Keep Python from raising KeyboardInterrupt: the watcher thread does the work."""


def _stop(signum: int) -> None:
    with _lock:  # the main thread cannot register or drop an undo action meanwhile
        for message, action in reversed(_undo):
            try:
                action()
            except Exception as exc:  # one failed undo must not keep the others from running
                sys.stderr.write(f"\ninterrupted: could not {message}: {exc}\n")
            else:
                sys.stderr.write(f"\ninterrupted: {message}\n")
        name = signal.Signals(signum).name
        sys.stderr.write(f"interrupted by {name}\n")
        sys.stderr.flush()
        os._exit(128 + signum)


def _watch(read_fd: int) -> None:
    while True:
        data = os.read(read_fd, 1)
        if not data or data[0] not in {int(s) for s in SIGNALS}:
            continue
        with _lock:
            if _deferred:  # the code running handles the signal itself
                _deferred[-1].append(data[0])
                continue
        _stop(data[0])  # later signals only write to the pipe: nobody reads it any more


def install() -> None:
    """Stop the process promptly on SIGINT and SIGTERM (from the main thread, once)."""
    global _installed
    if _installed or threading.current_thread() is not threading.main_thread():
        return
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    for sig in SIGNALS:
        signal.signal(sig, _ignore)
    signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    threading.Thread(target=_watch, args=(read_fd,), daemon=True,
                     name="cityculture-interruption").start()
    _installed = True


@contextmanager
def undo_on_interrupt(message: str, action: Callable[[], None]) -> Iterator[None]:
    """Run ``action`` if the process is interrupted inside the ``with`` block.

    ``message`` says what the action achieves (``the store is as it was``).
    """
    entry = (message, action)
    with _lock:
        _undo.append(entry)
    try:
        yield
    finally:
        with _lock:
            _undo.remove(entry)


@contextmanager
def deferred() -> Iterator[list[int]]:
    """Leave SIGINT and SIGTERM to the code inside (a server's graceful shutdown).

    Yields the list of the signals that came meanwhile, for the caller to exit with
    ``128 + signal`` once it has cleaned up.
    """
    caught: list[int] = []
    with _lock:
        _deferred.append(caught)
    try:
        yield caught
    finally:
        with _lock:
            _deferred.remove(caught)
