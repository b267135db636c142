"""The embedded store: Oxigraph (pyoxigraph) in memory or in a directory, no server needed.

Each accepted submission is one named graph, written all-or-nothing:

* a graph that does not exist yet (the usual case: submissions are named by the digest of
  their content) is bulk-loaded straight into place, at the speed of Oxigraph's bulk
  loader. A marker graph (``<graph>#loading``) is written before and removed after; if the
  process dies in between, the next open finds the marker and removes the half-loaded graph;
* a graph that exists is replaced through a staging graph (``<graph>#staging``, bulk-loaded),
  then a single SPARQL Update request (one transaction in Oxigraph) swaps it in. A process
  killed in between leaves the previous version intact; a leftover staging graph is never
  read as accepted data and is removed the next time the store is opened. On disk this
  swap is a large transaction and takes much longer than the bulk load.

Marker and staging graphs are hidden from :meth:`EmbeddedStore.graph_names`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox
from rdflib.term import Identifier

from cityculture.namespaces import SUBMISSION_BASE
from cityculture.rdf_formats import turtle_ntriples
from cityculture.rdf_terms import solution_rows

STAGING_SUFFIX = "#staging"
LOADING_SUFFIX = "#loading"
HIDDEN_SUFFIXES = (STAGING_SUFFIX, LOADING_SUFFIX)
_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")


def is_store_directory(path: Path) -> bool:
    """Tell whether ``path`` is a directory holding an on-disk store (RocksDB's ``CURRENT``)."""
    return path.is_dir() and (path / "CURRENT").is_file()


class EmbeddedStore:
    """An Oxigraph store holding accepted submissions as named graphs."""

    def __init__(self, path: Path | None = None) -> None:
        """Open (or create) a store in ``path``, or in memory when ``path`` is None."""
        self.path = path
        self.guarded = False
        """True while an all-or-nothing block (:mod:`cityculture.store.checkpoint`) runs."""
        self._store = ox.Store(str(path)) if path is not None else ox.Store()
        self._recover()

    def _recover(self) -> None:
        """Undo what a process killed during a load left: half-loaded and staging graphs."""
        for name in self.graph_names(include_staging=True):
            if name.endswith(LOADING_SUFFIX):
                self._store.remove_graph(ox.NamedNode(name.removesuffix(LOADING_SUFFIX)))
        for name in self.graph_names(include_staging=True):
            if name.endswith(HIDDEN_SUFFIXES):
                self._store.remove_graph(ox.NamedNode(name))
        if self.path is not None:
            self._store.flush()

    @property
    def oxigraph(self) -> ox.Store:
        """The underlying pyoxigraph store."""
        return self._store

    def graph_names(self, *, include_staging: bool = False) -> list[str]:
        """Return the names of the named graphs, sorted."""
        names = sorted(g.value for g in self._store.named_graphs()
                       if isinstance(g, ox.NamedNode))
        return [n for n in names if include_staging or not n.endswith(HIDDEN_SUFFIXES)]

    def close(self) -> None:
        """Release the store (and its directory lock); closing twice does nothing."""
        if not hasattr(self, "_store"):
            return
        if self.path is not None and self.path.exists():
            self._store.flush()
        del self._store

    def reopen(self) -> None:
        """Open the store directory again (after :meth:`close` and a change on disk)."""
        self.close()
        self._store = ox.Store(str(self.path)) if self.path is not None else ox.Store()

    def __enter__(self) -> EmbeddedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def replace_graph(self, name: ox.NamedNode, ntriples: bytes | str | Iterable[bytes]) -> None:
        """Replace the content of one named graph atomically with N-Triples data.

        ``ntriples``: bytes (or text), or parts of N-Triples (each whole lines) bulk-loaded one
        after the other: Oxigraph's bulk loader holds what it is given in memory to sort it, so
        a large graph loaded in parts takes memory for one part, not for the whole graph. Each
        part is parsed as its own document: a blank-node label names one node within a part
        only. An iterator of parts is read one part at a time, as the loader takes them.

        :raises SyntaxError: the data do not parse (the store is left as it was).
        """
        parts = [ntriples] if isinstance(ntriples, bytes | str) else ntriples
        if not self._store.contains_named_graph(name):
            self._load_new_graph(name, parts)
            return
        staging = ox.NamedNode(name.value + STAGING_SUFFIX)
        if self._store.contains_named_graph(staging):
            self._store.remove_graph(staging)
        for part in parts:
            self._store.bulk_load(input=part, format=ox.RdfFormat.N_TRIPLES, to_graph=staging)
        self._store.update(
            f"DROP SILENT GRAPH <{name.value}> ; "
            f"ADD SILENT GRAPH <{staging.value}> TO GRAPH <{name.value}> ; "
            f"DROP SILENT GRAPH <{staging.value}>"
        )
        if self.path is not None:
            self._store.flush()

    def _load_new_graph(self, name: ox.NamedNode, parts: Iterable[bytes]) -> None:
        """Bulk-load a graph that does not exist yet, between two writes of a marker graph.

        In memory there is nothing to recover after a crash, so no marker is written.
        """
        marker = None
        if self.path is not None:
            marker = ox.NamedNode(name.value + LOADING_SUFFIX)
            self._store.add(ox.Quad(name, _COMMENT, ox.Literal("bulk load in progress"),
                                    marker))
            self._store.flush()
        try:
            for part in parts:
                self._store.bulk_load(input=part, format=ox.RdfFormat.N_TRIPLES, to_graph=name)
        except BaseException:
            self._store.remove_graph(name)
            raise
        finally:
            if marker is not None:
                self._store.remove_graph(marker)
                self._store.flush()

    def select(self, query: str) -> list[dict[str, Identifier | None]]:
        """Run a SELECT query; return rows of rdflib terms (unbound variables are None)."""
        solutions = self._store.query(query)
        if not isinstance(solutions, ox.QuerySolutions):
            raise ValueError("not a SELECT query")
        return solution_rows(solutions)

    def update(self, update: str) -> None:
        """Run a SPARQL Update (one transaction)."""
        self._store.update(update)

    def load_graph(self, name: str, path: Path) -> None:
        """Replace a named graph with the content of a Turtle file."""
        self.replace_graph(ox.NamedNode(name), turtle_ntriples(path))

    def accepted_triples(self, exclude: tuple[str, ...] = ()) -> Iterator[ox.Triple]:
        """Yield the triples of every accepted submission graph but those in ``exclude``."""
        for name in self.graph_names():
            if name.startswith(SUBMISSION_BASE) and name not in exclude:
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
