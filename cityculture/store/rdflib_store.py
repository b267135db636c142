"""rdflib's in-memory Dataset behind the same small interface as the embedded store.

For small graphs, and as the reference engine in tests: the same query and update files
must give the same results here as on Oxigraph.
"""

from __future__ import annotations

from pathlib import Path

from rdflib import Dataset, Graph, URIRef
from rdflib.term import Identifier


class RdflibStore:
    """An rdflib Dataset with named graphs, answering SELECT and UPDATE."""

    def __init__(self) -> None:
        """Create an empty in-memory dataset."""
        self.dataset = Dataset()

    def select(self, query: str) -> list[dict[str, Identifier | None]]:
        """Run a SELECT query; return rows of rdflib terms (unbound variables are None)."""
        result = self.dataset.query(query)
        names = [str(v) for v in result.vars or []]
        return [{n: row[n] for n in names} for row in result]  # type: ignore[index]

    def update(self, update: str) -> None:
        """Run a SPARQL Update."""
        self.dataset.update(update)

    def replace_graph(self, name: str, ntriples: bytes) -> None:
        """Replace a named graph with N-Triples data (parsed first, then swapped in)."""
        fresh = Graph().parse(data=ntriples.decode("utf-8"), format="nt")
        self.dataset.remove_graph(URIRef(name))
        graph = self.dataset.graph(URIRef(name))
        for triple in fresh:
            graph.add(triple)

    def load_graph(self, name: str, path: Path) -> None:
        """Replace a named graph with the content of a Turtle file."""
        fresh = Graph().parse(path, format="turtle")
        self.dataset.remove_graph(URIRef(name))
        graph = self.dataset.graph(URIRef(name))
        for triple in fresh:
            graph.add(triple)
