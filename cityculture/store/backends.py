"""The local engines of the store interface (:mod:`cityculture.store.interface`).

* :class:`OxigraphBackend`: embedded pyoxigraph store, in memory or in a directory (default).
* :class:`RdflibBackend`: an rdflib ``Dataset`` in memory, the reference engine in tests.

Endpoints are :class:`~cityculture.store.remote.RemoteBackend`; :func:`~cityculture.store.
opening.open_backend` opens any of them by kind. The interface's names are importable from
here too.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Dataset, Graph, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.term import Identifier

from cityculture.namespaces import SUBMISSION_BASE
from cityculture.query_text import has_dataset_clause
from cityculture.rdf_terms import solution_rows
from cityculture.store.embedded import HIDDEN_SUFFIXES, STAGING_SUFFIX, EmbeddedStore
from cityculture.store.interface import (
    Backend,
    Bindings,
    InvalidRDFError,
    NTriples,
    Row,
    _with_where,
    bind_values,
    canonical_literal,
    canonical_ox_term,
    canonical_term,
    check_bindings,
    check_graph_name,
    check_ntriples,
    ntriples_document,
    ntriples_parts,
    sorted_ntriples,
)

__all__ = ["Backend", "Bindings", "InvalidRDFError", "NTriples", "OxigraphBackend",
           "RdflibBackend", "Row", "accepted_triples", "bind_values", "canonical_literal",
           "canonical_ox_term", "canonical_term", "check_bindings", "check_graph_name",
           "check_ntriples", "ntriples_document", "ntriples_parts", "sorted_ntriples"]


# --- embedded Oxigraph ------------------------------------------------------------------------

class OxigraphBackend:
    """The embedded pyoxigraph store, in memory (``path=None``) or in a directory.

    Wraps :class:`~cityculture.store.embedded.EmbeddedStore`: ``replace_graph`` loads into a
    staging graph and swaps it in with one SPARQL update (one transaction); a failed load
    removes the staging graph and leaves the previous version untouched.
    """

    name = "oxigraph"

    def __init__(self, path: Path | None = None, *, store: EmbeddedStore | None = None,
                 union_default_graph: bool = False) -> None:
        """Open a store in ``path`` (created if needed), in memory, or wrap ``store``.

        ``union_default_graph``: queries see the union of all named graphs as their default
        graph (as Virtuoso does by default), so a query without ``GRAPH`` reads every graph;
        a query with ``FROM`` or ``FROM NAMED`` gets the dataset it names.
        """
        self.store = store if store is not None else EmbeddedStore(path)
        self.union_default_graph = union_default_graph

    def _query(self, query: str, bindings: Bindings) -> Any:
        union = self.union_default_graph and not has_dataset_clause(query)
        return self.store.oxigraph.query(bind_values(query, bindings),
                                         use_default_graph_as_union=union)

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
        self.store.update(update)

    def replace_graph(self, graph: str, ntriples: NTriples) -> None:
        """Replace ``graph`` atomically: staging graph, then one swapping update.

        Parts (an iterator) are bulk-loaded one at a time, as they come
        (:meth:`~cityculture.store.embedded.EmbeddedStore.replace_graph`).
        """
        name = ox.NamedNode(check_graph_name(graph))
        try:
            self.store.replace_graph(name, ntriples_parts(ntriples))
        except SyntaxError as err:
            raise InvalidRDFError(f"invalid N-Triples for <{graph}>: {err}") from err
        finally:
            staging = ox.NamedNode(graph + STAGING_SUFFIX)
            if self.store.oxigraph.contains_named_graph(staging):
                self.store.oxigraph.remove_graph(staging)

    def graph_ntriples(self, graph: str) -> bytes:
        """Return ``graph`` as sorted N-Triples."""
        data = self.store.oxigraph.dump(format=ox.RdfFormat.N_TRIPLES,
                                        from_graph=ox.NamedNode(check_graph_name(graph))) or b""
        return b"".join(sorted(data.splitlines(keepends=True)))

    def drop_graph(self, graph: str) -> None:
        """Remove ``graph`` (no error when absent)."""
        name = ox.NamedNode(check_graph_name(graph))
        if self.store.oxigraph.contains_named_graph(name):
            self.store.oxigraph.remove_graph(name)

    def graph_names(self) -> list[str]:
        """Return the named graphs holding triples (staging graphs excluded), sorted."""
        store = self.store.oxigraph
        names = [g.value for g in store.named_graphs()
                 if isinstance(g, ox.NamedNode) and not g.value.endswith(HIDDEN_SUFFIXES)
                 and next(iter(store.quads_for_pattern(None, None, None, g)), None) is not None]
        return sorted(names)

    def close(self) -> None:
        """Flush and release the store."""
        self.store.close()


# --- rdflib -----------------------------------------------------------------------------------

class RdflibBackend:
    """An rdflib ``Dataset`` in memory: slow, but the engine the reference tests trust.

    Every operation holds one lock, so ``replace_graph`` (parse into a new graph, then swap the
    triples in under the lock) is all-or-nothing for every other caller of this backend.
    """

    name = "rdflib"

    def __init__(self, dataset: Dataset | None = None) -> None:
        """Use ``dataset`` or a new empty one (``default_union=False``)."""
        self.dataset = dataset if dataset is not None else Dataset(default_union=False)
        self._lock = threading.RLock()

    def select(self, query: str, bindings: Bindings = None) -> list[Row]:
        """Run a SELECT query; parameters go in through rdflib's ``initBindings``."""
        with self._lock:
            result = self.dataset.query(query, initBindings=_init_bindings(query, bindings))
            if result.type != "SELECT":
                raise ValueError("not a SELECT query")
            names = [str(v) for v in result.vars or []]
            return [{n: canonical_term(row[n]) for n in names}  # type: ignore[index,call-overload,arg-type]
                    for row in result]

    def ask(self, query: str, bindings: Bindings = None) -> bool:
        """Run an ASK query."""
        with self._lock:
            result = self.dataset.query(query, initBindings=_init_bindings(query, bindings))
            if result.type != "ASK":
                raise ValueError("not an ASK query")
            return bool(result.askAnswer)

    def update(self, update: str) -> None:
        """Run a SPARQL Update request."""
        with self._lock:
            self.dataset.update(update)

    def replace_graph(self, graph: str, ntriples: NTriples) -> None:
        """Parse into a fresh graph first; swap it in only when parsing succeeded.

        Parts are joined into one document first.
        """
        name = URIRef(check_graph_name(graph))
        ntriples = ntriples_document(ntriples)
        check_ntriples(ntriples)  # the same strict parser, and message, as the other backends
        fresh = Graph()
        try:
            fresh.parse(data=ntriples, format="nt")
        except Exception as err:  # rdflib raises several parser error types
            raise InvalidRDFError(f"invalid N-Triples for <{graph}>: {err}") from err
        with self._lock:
            self.dataset.remove_graph(name)
            target = self.dataset.graph(name)
            target.addN((s, p, o, target) for s, p, o in fresh)

    def load_graph(self, graph: str, path: Path) -> None:
        """Replace ``graph`` with the content of a Turtle file (what an assessment loads)."""
        self.replace_graph(graph, Graph().parse(path, format="turtle").serialize(
            format="nt", encoding="utf-8"))

    def graph_ntriples(self, graph: str) -> bytes:
        """Return ``graph`` as sorted N-Triples."""
        with self._lock:
            data = self.dataset.graph(URIRef(check_graph_name(graph))).serialize(
                format="nt", encoding="utf-8")
        return sorted_ntriples(data)

    def drop_graph(self, graph: str) -> None:
        """Remove ``graph`` (no error when absent)."""
        with self._lock:
            self.dataset.remove_graph(URIRef(check_graph_name(graph)))

    def graph_names(self) -> list[str]:
        """Return the named graphs holding triples, sorted."""
        with self._lock:
            return sorted(
                str(g.identifier) for g in self.dataset.graphs()
                if isinstance(g.identifier, URIRef) and g.identifier != DATASET_DEFAULT_GRAPH_ID
                and len(g) > 0
            )

    def close(self) -> None:
        """Nothing to release (memory only)."""


def _init_bindings(query: str, bindings: Bindings) -> dict[str, Identifier]:
    """Parameters for rdflib's ``initBindings``, refusing what the other backends refuse."""
    checked = check_bindings(bindings)
    if checked:
        _with_where(query)
    return checked


def accepted_triples(backend: Backend, *, exclude: tuple[str, ...] = ()) -> list[ox.Triple]:
    """Return the triples of every accepted submission graph (to validate new ones against).

    ``exclude``: graphs left out (the submissions about to be replaced).
    """
    if isinstance(backend, OxigraphBackend):
        return list(backend.store.accepted_triples(exclude))
    triples: list[ox.Triple] = []
    for graph in backend.graph_names():
        if graph.startswith(SUBMISSION_BASE) and graph not in exclude:
            triples.extend(ox.parse(backend.graph_ntriples(graph),
                                    format=ox.RdfFormat.N_TRIPLES))
    return triples
