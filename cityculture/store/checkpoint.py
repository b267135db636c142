"""All-or-nothing writes to an on-disk embedded store: a checkpoint before, put back on failure.

Before a command writes, the store is checkpointed next to itself (Oxigraph's ``backup``: hard
links to RocksDB's immutable files, so it is quick and takes almost no space). If the command
fails or is interrupted, the checkpoint replaces the store directory: the store holds exactly
what it held before, and the space the half-done write took goes with the discarded
directory (deleting triples would only mark them deleted until a later compaction). If the
command succeeds, the checkpoint is deleted. A store the command created is removed whole.

Swapping directories rather than deleting graphs also works while a write is still running in
another thread (when a signal arrives): the writer keeps writing into the discarded directory.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cityculture.interruption import undo_on_interrupt
from cityculture.store.embedded import OxigraphBackend


def _beside(path: Path, what: str) -> Path:
    return path.parent / f".{path.name}.{what}-{os.getpid()}"


def swap_back(path: Path, saved: Path) -> None:
    """Put the checkpoint ``saved`` in the place of the store directory ``path``."""
    discarded = _beside(path, "discarded")
    shutil.rmtree(discarded, ignore_errors=True)
    os.rename(path, discarded)
    os.rename(saved, path)
    for _ in range(3):  # a writer still running may add files while they are removed
        shutil.rmtree(discarded, ignore_errors=True)
        if not discarded.exists():
            break


def _remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


@contextmanager
def all_or_nothing(store: OxigraphBackend, *, created: bool = False) -> Iterator[None]:
    """Keep what the block writes to ``store`` only if the block finishes.

    ``created``: the store was created by this command; on failure it is removed. A store in
    memory needs nothing (it ends with the process): the block just runs.
    """
    path = store.path
    if path is None or store.guarded:  # in memory, or inside an outer all-or-nothing block
        yield
        return
    store.guarded = True
    try:
        with _guarded(store, path, created=created):
            yield
    finally:
        store.guarded = False


@contextmanager
def _guarded(store: OxigraphBackend, path: Path, *, created: bool) -> Iterator[None]:
    if created:
        with undo_on_interrupt(f"removed the new store {path}", lambda: _remove(path)):
            try:
                yield
            except BaseException:
                store.close()
                _remove(path)
                raise
        return
    saved = _beside(path, "checkpoint")
    shutil.rmtree(saved, ignore_errors=True)
    with undo_on_interrupt("removed the unfinished checkpoint", lambda: _remove(saved)):
        store.oxigraph.backup(str(saved))
    with undo_on_interrupt(f"the store {path} is as it was", lambda: swap_back(path, saved)):
        try:
            yield
        except BaseException:
            store.close()
            swap_back(path, saved)
            store.reopen()
            raise
    shutil.rmtree(saved, ignore_errors=True)
