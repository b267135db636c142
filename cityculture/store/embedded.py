"""The embedded store: Oxigraph (pyoxigraph) in memory or in a directory, no server needed.

Each accepted submission is one named graph. A graph is replaced all-or-nothing: the new
triples are written to a staging graph in one transaction, then a single SPARQL Update
request (one transaction in Oxigraph) swaps it in. A process killed in between leaves the
previous version intact; a leftover staging graph is never read as accepted data and is
removed the next time the store is opened.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
from rdflib.term import Identifier

from cityculture.ingest.submission import SUBMISSION_BASE
from cityculture.rdf_terms import to_rdflib

STAGING_SUFFIX = "#staging"


class EmbeddedStore:
    """An Oxigraph store holding accepted submissions as named graphs."""

    def __init__(self, path: Path | None = None) -> None:
        """Open (or create) a store in ``path``, or in memory when ``path`` is None."""
        self.path = path
        self._store = ox.Store(str(path)) if path is not None else ox.Store()
        for name in self.graph_names(include_staging=True):
            if name.endswith(STAGING_SUFFIX):
                self._store.remove_graph(ox.NamedNode(name))

    @property
    def oxigraph(self) -> ox.Store:
        """The underlying pyoxigraph store."""
        return self._store

    def graph_names(self, *, include_staging: bool = False) -> list[str]:
        """Return the names of the named graphs, sorted."""
        names = sorted(g.value for g in self._store.named_graphs()
                       if isinstance(g, ox.NamedNode))
        return [n for n in names if include_staging or not n.endswith(STAGING_SUFFIX)]

    def close(self) -> None:
        """Release the store (and its directory lock)."""
        if self.path is not None:
            self._store.flush()
        del self._store

    def __enter__(self) -> EmbeddedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def replace_graph(self, name: ox.NamedNode, ntriples: bytes) -> None:
        """Replace the content of one named graph atomically with N-Triples data."""
        staging = ox.NamedNode(name.value + STAGING_SUFFIX)
        if self._store.contains_named_graph(staging):
            self._store.remove_graph(staging)
        self._store.bulk_load(input=ntriples, format=ox.RdfFormat.N_TRIPLES, to_graph=staging)
        self._store.update(
            f"DROP SILENT GRAPH <{name.value}> ; "
            f"ADD SILENT GRAPH <{staging.value}> TO GRAPH <{name.value}> ; "
            f"DROP SILENT GRAPH <{staging.value}>"
        )
        if self.path is not None:
            self._store.flush()

    def select(self, query: str) -> list[dict[str, Identifier | None]]:
        """Run a SELECT query; return rows of rdflib terms (unbound variables are None)."""
        solutions = self._store.query(query)
        if not isinstance(solutions, ox.QuerySolutions):
            raise ValueError("not a SELECT query")
        names = [v.value for v in solutions.variables]
        return [{n: to_rdflib(s[n]) for n in names} for s in solutions]

    def update(self, update: str) -> None:
        """Run a SPARQL Update (one transaction)."""
        self._store.update(update)

    def load_graph(self, name: str, path: Path) -> None:
        """Replace a named graph with the content of a Turtle file."""
        data = ox.serialize(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE),
                            format=ox.RdfFormat.N_TRIPLES)
        self.replace_graph(ox.NamedNode(name), data)

    def graph_turtle(self, name: str) -> str:
        """Return one named graph as Turtle."""
        data = self._store.dump(format=ox.RdfFormat.TURTLE, from_graph=ox.NamedNode(name))
        return data.decode("utf-8")

    def accepted_triples(self) -> Iterator[ox.Triple]:
        """Yield the triples of every accepted submission graph."""
        for name in self.graph_names():
            if name.startswith(SUBMISSION_BASE):
                for quad in self._store.quads_for_pattern(None, None, None, ox.NamedNode(name)):
                    yield ox.Triple(quad.subject, quad.predicate, quad.object)

    def dump_nquads(self) -> bytes:
        """Return the whole store as N-Quads, sorted (to compare two states of a store)."""
        data = self._store.dump(format=ox.RdfFormat.N_QUADS)
        return b"\n".join(sorted(data.splitlines()))

    def count(self, graph: str | None = None) -> int:
        """Count the triples of one named graph, or of all graphs (with a SPARQL COUNT)."""
        scope = f"GRAPH <{graph}> {{ ?s ?p ?o }}" if graph else "GRAPH ?g { ?s ?p ?o }"
        solutions = self._store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {scope} }}")
        return int(next(iter(solutions))["n"].value)  # type: ignore[arg-type,index]
