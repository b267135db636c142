"""A process killed (SIGKILL) in the middle of a load leaves the previous version intact.

A child process loads a large graph into an on-disk embedded store and is killed while the
load is running; the store is then opened again and must hold exactly what it held before,
be queryable, and hold no half-loaded, marker or staging graph. Both ways a graph is written
are covered: a graph that did not exist (bulk-loaded in place, named in a marker file) and
a graph that is replaced (staging graph, then one swapping transaction).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from cityculture.store.backends import InvalidRDFError, OxigraphBackend
from cityculture.store.embedded import LOADING_MARKER, LOADING_SUFFIX, STAGING_SUFFIX

OLD = "https://w3id.org/cityculture/submission/killtest-old"
NEW = "https://w3id.org/cityculture/submission/killtest-new"

CHILD = """
import sys
from pathlib import Path
from cityculture.store.backends import OxigraphBackend
store, graph, data = sys.argv[1:]
backend = OxigraphBackend(Path(store))
payload = Path(data).read_bytes()
print("loading", flush=True)
backend.replace_graph(graph, payload)
print("done", flush=True)
backend.close()
"""


def _ntriples(tag: str, count: int) -> bytes:
    return "".join(
        f'<https://example.org/{tag}/s{i}> <https://example.org/p> "{tag} {i}" .\n'
        for i in range(count)).encode()


def _kill_while_loading(store: Path, graph: str, data: Path, delay: float) -> None:
    """Start the child, wait until it is loading, wait ``delay`` s more, then SIGKILL it."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(store), graph, str(data)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line.strip() == "loading", child.stderr.read() if child.stderr else line
    time.sleep(delay)
    still_running = child.poll() is None
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert still_running, "the load finished before the kill: make the payload larger"
    assert child.returncode == -signal.SIGKILL


def _raw_graphs(store: Path) -> set[str]:
    """Graph names as a plain pyoxigraph store sees them, before any recovery."""
    raw = ox.Store(str(store))
    try:
        return {g.value for g in raw.named_graphs() if isinstance(g, ox.NamedNode)}
    finally:
        del raw


@pytest.fixture(scope="module")
def big_payload(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("payload") / "big.nt"
    path.write_bytes(_ntriples("new", 400_000))
    return path


@pytest.fixture()
def store_with_old_version(tmp_path: Path) -> tuple[Path, bytes]:
    store = tmp_path / "store"
    backend = OxigraphBackend(store)
    backend.replace_graph(OLD, _ntriples("old", 500))
    before = backend.graph_ntriples(OLD)
    backend.close()
    return store, before


def _check_intact(store: Path, before: bytes, *, absent: str | None = None) -> None:
    backend = OxigraphBackend(store)
    try:
        assert backend.graph_ntriples(OLD) == before
        assert backend.graph_names() == [OLD]
        rows = backend.select(
            "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        assert int(rows[0]["n"]) == 500
        if absent:
            assert not backend.select(
                f"SELECT ?s WHERE {{ GRAPH <{absent}> {{ ?s ?p ?o }} }} LIMIT 1")
    finally:
        backend.close()
    assert not {g for g in _raw_graphs(store) if g.endswith((LOADING_SUFFIX, STAGING_SUFFIX))}


@pytest.mark.parametrize("delay", [0.3, 1.5])
def test_killed_while_loading_a_new_graph(store_with_old_version: tuple[Path, bytes],
                                          big_payload: Path, delay: float) -> None:
    store, before = store_with_old_version
    _kill_while_loading(store, NEW, big_payload, delay)
    # The kill really hit a load in progress: its marker file still names the graph.
    marker = store / LOADING_MARKER
    assert marker.read_text(encoding="utf-8").split() == [NEW]
    _check_intact(store, before, absent=NEW)
    assert not marker.exists()  # the next open removed the half-loaded graph, then the marker


def test_a_marker_graph_of_an_earlier_version_is_honoured(
        store_with_old_version: tuple[Path, bytes]) -> None:
    """Stores written before the marker file marked a loading graph with a graph."""
    store, before = store_with_old_version
    raw = ox.Store(str(store))
    half = ox.NamedNode(NEW)
    raw.add(ox.Quad(ox.NamedNode("https://example.org/s"), ox.NamedNode("https://example.org/p"),
                    ox.Literal("half"), half))
    raw.add(ox.Quad(half, ox.NamedNode("https://example.org/p"), ox.Literal("loading"),
                    ox.NamedNode(NEW + LOADING_SUFFIX)))
    raw.flush()
    del raw
    _check_intact(store, before, absent=NEW)


@pytest.mark.parametrize("delay", [0.3, 1.5, 4.0])
def test_killed_while_replacing_a_graph(store_with_old_version: tuple[Path, bytes],
                                        big_payload: Path, delay: float) -> None:
    store, before = store_with_old_version
    _kill_while_loading(store, OLD, big_payload, delay)
    _check_intact(store, before)


def test_a_finished_load_is_kept(store_with_old_version: tuple[Path, bytes],
                                 tmp_path: Path) -> None:
    """The control case: the same child, not killed, stores the new graph whole."""
    store, _ = store_with_old_version
    data = tmp_path / "small.nt"
    data.write_bytes(_ntriples("new", 1000))
    done = subprocess.run([sys.executable, "-c", CHILD, str(store), NEW, str(data)],
                          capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split() == ["loading", "done"]
    backend = OxigraphBackend(store)
    try:
        assert backend.graph_names() == sorted([OLD, NEW])
        assert backend.graph_ntriples(NEW).count(b"\n") == 1000
    finally:
        backend.close()


def test_parts_that_fail_leave_no_graph_and_no_marker(
        store_with_old_version: tuple[Path, bytes]) -> None:
    """On disk: parts that stop with an error, or do not parse, leave the store as it was."""
    store, before = store_with_old_version

    def failing() -> Iterator[bytes]:
        yield _ntriples("new", 30_000)
        raise RuntimeError("stopped while writing")

    backend = OxigraphBackend(store)
    try:
        with pytest.raises(RuntimeError, match="stopped while writing"):
            backend.replace_graph(NEW, failing())
        with pytest.raises(InvalidRDFError):
            backend.replace_graph(NEW, iter([_ntriples("new", 30_000), b"<broken .\n"]))
        assert not (store / LOADING_MARKER).exists()
    finally:
        backend.close()
    _check_intact(store, before, absent=NEW)
