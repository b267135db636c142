"""Every Turtle file of the project parses with rdflib and with an independent parser (Oxigraph)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

ROOT = Path(__file__).resolve().parent.parent
TURTLE_FILES = sorted(
    p for folder in ("ontology", "shapes", "examples", "tests")
    for p in (ROOT / folder).rglob("*.ttl")
    if "bad" not in p.parts
)


LARGE = 100_000
"""Bytes from which rdflib's Turtle parser takes seconds (the ontology)."""


@pytest.mark.parametrize("path", [
    pytest.param(p, marks=[pytest.mark.large_file] if p.stat().st_size > LARGE else [])
    for p in TURTLE_FILES], ids=lambda p: str(p.relative_to(ROOT)))
def test_parses_with_rdflib_and_oxigraph_alike(path: Path) -> None:
    rdflib_graph = Graph().parse(path, format="turtle")
    triples = list(pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.TURTLE))
    assert len(triples) == len(rdflib_graph)
    # round-trip Oxigraph's triples through N-Triples and compare graphs up to blank nodes
    ntriples = "".join(f"{t} .\n" for t in triples)
    assert isomorphic(rdflib_graph, Graph().parse(data=ntriples, format="nt"))


def test_there_are_turtle_files() -> None:
    assert any(p.name == "cityculture.ttl" for p in TURTLE_FILES)
