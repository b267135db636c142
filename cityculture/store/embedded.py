"""The embedded store: Oxigraph (pyoxigraph) in memory or in a directory, no server needed.

:class:`OxigraphBackend` is the store interface's (:class:`~cityculture.store.interface.
Backend`) embedded engine. Each accepted submission is one named graph, written all-or-nothing:

* a graph that does not exist yet (the usual case: submissions are named by the digest of
  their content) is bulk-loaded straight into place, at the speed of Oxigraph's bulk
  loader. A marker graph (``<graph>#loading``) is written before and removed after; if the
  process dies in between, the next open finds the marker and removes the half-loaded graph;
* a graph that exists is replaced through a staging graph (``<graph>#staging``, bulk-loaded),
  then a single SPARQL Update request (one transaction in Oxigraph) swaps it in. A process
  killed in between leaves the previous version intact; a leftover staging graph is never
  read as accepted data and is removed the next time the store is opened. On disk this
  swap is a large transaction and takes much longer than the bulk load.

Marker and staging graphs are hidden from :meth:`OxigraphBackend.graph_names`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from cityculture.namespaces import SUBMISSION_BASE
from cityculture.query_text import has_dataset_clause
from cityculture.rdf_terms import solution_rows
from cityculture.store.interface import (
    Bindings,
    InvalidRDFError,
    NTriples,
    Row,
    bind_values,
    canonical_ox_term,
    check_graph_name,
    ntriples_parts,
)

STAGING_SUFFIX = "#staging"
LOADING_SUFFIX = "#loading"
HIDDEN_SUFFIXES = (STAGING_SUFFIX, LOADING_SUFFIX)
_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")


def is_store_directory(path: Path) -> bool:
    """Tell whether ``path`` is a directory holding an on-disk store (RocksDB's ``CURRENT``)."""
    return path.is_dir() and (path / "CURRENT").is_file()


class OxigraphBackend:
    """The embedded pyoxigraph store, in memory (``path=None``) or in a directory.

    ``replace_graph`` is all-or-nothing (see the module's description); a failed load leaves
    the previous version of the graph untouched.
    """

    name = "oxigraph"

    def __init__(self, path: Path | None = None, *, union_default_graph: bool = False) -> None:
        """Open (or create) a store in ``path``, or in memory when ``path`` is None.

        ``union_default_graph``: queries see the union of all named graphs as their default
        graph (as Virtuoso does by default), so a query without ``GRAPH`` reads every graph;
        a query with ``FROM`` or ``FROM NAMED`` gets the dataset it names.
        """
        self.path = path
        self.union_default_graph = union_default_graph
        self.guarded = False
        """True while an all-or-nothing block (:mod:`cityculture.store.checkpoint`) runs."""
        self._store = ox.Store(str(path)) if path is not None else ox.Store()
        self._recover()

    def _recover(self) -> None:
        """Undo what a process killed during a load left: half-loaded and staging graphs."""
        for name in self._named_graphs():
            if name.endswith(LOADING_SUFFIX):
                self._store.remove_graph(ox.NamedNode(name.removesuffix(LOADING_SUFFIX)))
        for name in self._named_graphs():
            if name.endswith(HIDDEN_SUFFIXES):
                self._store.remove_graph(ox.NamedNode(name))
        if self.path is not None:
            self._store.flush()

    def _named_graphs(self) -> list[str]:
        """Every named graph Oxigraph knows, marker and staging graphs included."""
        return [g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode)]

    @property
    def oxigraph(self) -> ox.Store:
        """The underlying pyoxigraph store."""
        return self._store

    # --- the store interface ------------------------------------------------------------------

    def _query(self, query: str, bindings: Bindings) -> Any:
        union = self.union_default_graph and not has_dataset_clause(query)
        return self._store.query(bind_values(query, bindings), use_default_graph_as_union=union)

    def select(self, query: str, bindings: Bindings = None) -> list[Row]:
        """Run a SELECT query; parameters go in as escaped terms (:func:`bind_values`)."""
        solutions = self._query(query, bindings)
        if not isinstance(solutions, ox.QuerySolutions):
            raise ValueError("not a SELECT query")
        return solution_rows(solutions, canonical_ox_term)

    def ask(self, query: str, bindings: Bindings = None) -> bool:
        """Run an ASK query."""
        answer = self._query(query, bindings)
        if not isinstance(answer, ox.QueryBoolean):
            raise ValueError("not an ASK query")
        return bool(answer)

    def update(self, update: str) -> None:
        """Run a SPARQL Update request (one transaction)."""
        self._store.update(update)

    def replace_graph(self, graph: str, ntriples: NTriples) -> None:
        """Replace the content of one named graph atomically with N-Triples data.

        ``ntriples``: bytes (or text), or parts of N-Triples (each whole lines) bulk-loaded one
        after the other: Oxigraph's bulk loader holds what it is given in memory to sort it, so
        a large graph loaded in parts takes memory for one part, not for the whole graph.

        :raises InvalidRDFError: the data do not parse (the store is left as it was).
        """
        name = ox.NamedNode(check_graph_name(graph))
        try:
            self._replace(name, ntriples_parts(ntriples))
        except SyntaxError as err:
            raise InvalidRDFError(f"invalid N-Triples for <{graph}>: {err}") from err
        finally:
            staging = ox.NamedNode(graph + STAGING_SUFFIX)
            if self._store.contains_named_graph(staging):
                self._store.remove_graph(staging)

    def graph_ntriples(self, graph: str) -> bytes:
        """Return ``graph`` as sorted N-Triples."""
        data = self._store.dump(format=ox.RdfFormat.N_TRIPLES,
                                from_graph=ox.NamedNode(check_graph_name(graph))) or b""
        return b"".join(sorted(data.splitlines(keepends=True)))

    def drop_graph(self, graph: str) -> None:
        """Remove ``graph`` (no error when absent)."""
        name = ox.NamedNode(check_graph_name(graph))
        if self._store.contains_named_graph(name):
            self._store.remove_graph(name)

    def graph_names(self, *, include_staging: bool = False) -> list[str]:
        """Return the named graphs holding triples, sorted.

        ``include_staging``: list the marker and staging graphs too (hidden otherwise).
        """
        store = self._store
        return sorted(
            name for name in self._named_graphs()
            if (include_staging or not name.endswith(HIDDEN_SUFFIXES))
            and next(iter(store.quads_for_pattern(None, None, None, ox.NamedNode(name))),
                     None) is not None)

    def close(self) -> None:
        """Flush and release the store (and its directory lock); closing twice does nothing."""
        if not hasattr(self, "_store"):
            return
        if self.path is not None and self.path.exists():
            self._store.flush()
        del self._store

    # --- the embedded store's own operations ---------------------------------------------------

    def reopen(self) -> None:
        """Open the store directory again (after :meth:`close` and a change on disk)."""
        self.close()
        self._store = ox.Store(str(self.path)) if self.path is not None else ox.Store()

    def __enter__(self) -> OxigraphBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _replace(self, name: ox.NamedNode, ntriples: bytes | Iterable[bytes]) -> None:
        """Replace one named graph: bulk-load a new one, or swap a staging graph in.

        Each part is parsed as its own document: a blank-node label names one node within a
        part only. An iterator of parts is read one part at a time, as the loader takes them.

        :raises SyntaxError: the data do not parse (the store is left as it was).
        """
        parts = [ntriples] if isinstance(ntriples, bytes) else ntriples
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
