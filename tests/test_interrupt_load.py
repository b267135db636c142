"""Ctrl-C (SIGINT) and SIGTERM during ``cityculture load``: quick stop, store as before.

``cityculture load`` runs as a child process and gets a signal at a random moment (the seed
is in the test's parameters, so a failure can be replayed), and once exactly while the bulk
loader is writing. Each time, it must exit within 2 s with 130 (SIGINT) or 143 (SIGTERM), and
the store must afterwards hold exactly the N-Quads it held before, take no more room on disk
than before, and leave no checkpoint or discarded folder next to it. A load the signal came
too late for must have stored the file whole.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cityculture.store.backends import OxigraphBackend

DATA = Path(__file__).resolve().parent / "data"
TINY = DATA / "tiny-cities.csv"
CITYCULTURE = [sys.executable, "-m", "cityculture"]
STOP_SECONDS = 2.0
# the load of the big file, with the bulk loader's reads announced on stdout
STORING_CHILD = """
import sys
import time
from cityculture import pipeline
from cityculture.cli import main
from cityculture.ingest import serialised
parts = pipeline.submission_parts
def announced(triples, current):
    print("storing", flush=True)
    for part in parts(triples, current):
        yield part
        time.sleep(0.1)  # the store stage outlasts the signal's random delay
pipeline.submission_parts = announced
serialised.BLOCK = 2_000  # small blocks and parts: several bulk loads, the signal comes
pipeline.PART = 5_000  # between and during them
main(sys.argv[1:])
"""


def _csv(path: Path, rows: int) -> Path:
    """A national-style CSV of ``rows`` rows (values that pass validation)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    try:
        from national import generate  # the benchmark's generator
    finally:
        sys.path.pop(0)
    generate(path, rows)
    return path


def _disk_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _nquads(store: Path) -> bytes:
    with OxigraphBackend(store) as opened:
        return opened.dump_nquads()


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _csv(tmp_path_factory.mktemp("national") / "national.csv", 4000)


@pytest.fixture()
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store"
    done = subprocess.run([*CITYCULTURE, "load", str(TINY), "--store", str(path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return path


def _signal_and_wait(child: subprocess.Popen[str], sig: signal.Signals) -> float:
    """Send ``sig``; return the seconds until the child exited."""
    sent = time.monotonic()
    child.send_signal(sig)
    child.communicate(timeout=60)
    return time.monotonic() - sent


def _check_as_before(store: Path, before: bytes, size_before: int) -> None:
    assert _nquads(store) == before
    # opening a store adds RocksDB bookkeeping (info log, options: a few hundred kB); the
    # load's data (about 10 MB for the 4,000 rows) must be gone
    assert _disk_size(store) <= size_before + 1024 * 1024, (size_before, _disk_size(store))
    assert [p.name for p in store.parent.iterdir() if p.name.startswith(".")] == []


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_the_bulk_loader_writes(store: Path, big_csv: Path,
                                               sig: signal.Signals) -> None:
    before, size_before = _nquads(store), _disk_size(store)
    child = subprocess.Popen([sys.executable, "-c", STORING_CHILD, "load", str(big_csv),
                              "--store", str(store)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "storing"
    time.sleep(random.Random(int(sig)).uniform(0.0, 0.3))
    seconds = _signal_and_wait(child, sig)
    assert child.returncode == 128 + int(sig), child.stderr
    assert seconds <= STOP_SECONDS
    _check_as_before(store, before, size_before)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [11, 12, 13])
def test_a_signal_at_a_random_moment(store: Path, big_csv: Path, seed: int) -> None:
    rng = random.Random(seed)
    sig = rng.choice([signal.SIGINT, signal.SIGTERM])
    before, size_before = _nquads(store), _disk_size(store)
    child = subprocess.Popen([*CITYCULTURE, "load", str(big_csv), "--store", str(store)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(rng.uniform(0.5, 8.0))
    if child.poll() is not None:  # the load won the race: it must have stored the file
        assert child.returncode == 0
        assert len(_nquads(store)) > len(before)
        return
    seconds = _signal_and_wait(child, sig)
    if child.returncode == 0:
        assert len(_nquads(store)) > len(before)
        return
    # -sig: the signal came while Python was still starting, before the command's handlers
    # (a shell shows that as 128 + sig too); nothing had been done
    assert child.returncode in (128 + int(sig), -int(sig)), child.stderr
    assert seconds <= STOP_SECONDS
    _check_as_before(store, before, size_before)


@pytest.mark.slow
def test_an_interrupted_load_into_a_new_store_leaves_no_store(tmp_path: Path,
                                                              big_csv: Path) -> None:
    target = tmp_path / "new-store"
    child = subprocess.Popen([sys.executable, "-c", STORING_CHILD, "load", str(big_csv),
                              "--store", str(target)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "storing"
    seconds = _signal_and_wait(child, signal.SIGINT)
    assert child.returncode == 130 and seconds <= STOP_SECONDS
    assert not target.exists()
    assert os.listdir(tmp_path) == []
