"""The local engines of the store interface (:mod:`cityculture.store.interface`).

* :class:`~cityculture.store.embedded.OxigraphBackend`: embedded pyoxigraph store, in memory
  or in a directory (default; importable from here too).
* :class:`RdflibBackend`: an rdflib ``Dataset`` in memory, the reference engine in tests.

Endpoints are :class:`~cityculture.store.remote.RemoteBackend`; :func:`~cityculture.store.
opening.open_backend` opens any of them by kind. The interface's names are importable from
here too.
"""

from __future__ import annotations

import threading

import pyoxigraph as ox
from rdflib import Dataset, Graph, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.term import Identifier

from cityculture.namespaces import SUBMISSION_BASE
from cityculture.store.embedded import OxigraphBackend
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
        return list(backend.accepted_triples(exclude))
    triples: list[ox.Triple] = []
    for graph in backend.graph_names():
        if graph.startswith(SUBMISSION_BASE) and graph not in exclude:
            triples.extend(ox.parse(backend.graph_ntriples(graph),
                                    format=ox.RdfFormat.N_TRIPLES))
    return triples
