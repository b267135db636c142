"""A run's graph appears whole or not at all, even when the process is killed (SIGKILL).

A child process assesses a store on disk again and again; it is killed at some moment; the
store is opened again and every run graph in it must be complete: the triples of a run
computed on the same data in memory, no more and no fewer, and no marker or staging graph
left behind. The runs the child reported finished must all be there.
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

from cityculture.assess.frameworks import resolve_framework
from cityculture.assess.run import RUN_BASE, assess
from cityculture.store.backends import OxigraphBackend

DATA = "https://example.org/killtest/data"
CSP = "https://w3id.org/cityculture/ontology/"
XSD = "http://www.w3.org/2001/XMLSchema#"
CHILD = """
import sys
from pathlib import Path
from cityculture.assess.frameworks import resolve_framework
from cityculture.assess.run import assess
from cityculture.store.backends import OxigraphBackend
backend = OxigraphBackend(Path(sys.argv[1]))
framework = resolve_framework("paper")
print("started", flush=True)
while True:
    print("done", assess(backend, framework).iri, flush=True)
"""


def corpus(cities: int = 120, years: int = 4) -> bytes:
    """Observations of every indicator of the bundled paper framework."""
    rng = random.Random(5)
    indicators = sorted({n.stands_for for n in resolve_framework("paper").nodes.values()
                         if n.level == 0 and n.stands_for})
    lines = []
    count = 0
    for c in range(cities):
        for indicator in indicators:
            for y in range(years):
                obs = f"<https://example.org/killtest/obs/{count}>"
                count += 1
                lines += [f"{obs} <{CSP}city> <https://w3id.org/cityculture/city/Q{9000 + c}> .",
                          f"{obs} <{CSP}indicator> <{indicator}> .",
                          f'{obs} <{CSP}refYear> "{2020 + y}"^^<{XSD}integer> .',
                          f'{obs} <{CSP}value> "{rng.uniform(1, 90):.3f}"'
                          f"^^<{XSD}decimal> ."]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def data() -> tuple[bytes, int]:
    """The corpus, and how many triples a complete run graph of it has."""
    payload = corpus()
    memory = OxigraphBackend()
    memory.replace_graph(DATA, payload)
    run = assess(memory, resolve_framework("paper")).iri
    return payload, memory.graph_ntriples(run).count(b"\n")


def run_graphs(backend: OxigraphBackend) -> list[str]:
    return [g for g in backend.graph_names() if g.startswith(RUN_BASE)]


@pytest.mark.parametrize("delay", [0.7, 1.9, 3.1])
def test_killed_during_runs(tmp_path: Path, data: tuple[bytes, int], delay: float) -> None:
    payload, complete = data
    store = tmp_path / "store"
    backend = OxigraphBackend(store)
    backend.replace_graph(DATA, payload)
    backend.close()
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(store)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "started"
    time.sleep(delay)
    assert child.poll() is None, child.stderr.read() if child.stderr else ""
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    finished = [line.split()[1] for line in child.stdout.read().splitlines()
                if line.startswith("done ")]
    backend = OxigraphBackend(store)
    try:
        found = run_graphs(backend)
        assert set(finished) <= set(found)
        assert len(found) - len(finished) <= 1  # at most the run whose write completed last
        for run in found:
            assert backend.graph_ntriples(run).count(b"\n") == complete, run
        assert not [g for g in backend.graph_names(include_staging=True) if "#" in g]
    finally:
        backend.close()
