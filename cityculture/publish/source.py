"""What a site is published from: an Oxigraph store with the toolkit's named graphs.

Any store that the pipeline filled (:mod:`cityculture.pipeline`: ``cityculture load``,
``assess``, ``example``): an embedded store, rdflib or a SPARQL endpoint, read through the
one store interface (:class:`~cityculture.store.interface.Backend`). The
store keeps the default IRIs, so that the bundled queries run on it unchanged; IRIs are
rewritten to the publisher's base only on the way out.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import islice
from pathlib import Path

import pyoxigraph as ox
from rdflib.term import Identifier, Node

from cityculture.model import MODEL_GRAPH, model_graph_files
from cityculture.queries import bind_parameters, load_query
from cityculture.rdf_terms import solution_rows
from cityculture.store.backends import Backend, OxigraphBackend


class SiteSource:
    """A store to publish, with SELECT helpers over the bundled queries."""

    def __init__(self, store: ox.Store) -> None:
        """Publish what ``store`` holds (default IRIs)."""
        self.store = store
        self._quads: list[ox.Quad] | None = None
        self._answers: dict[str, list[dict[str, Identifier | None]]] = {}

    def select(self, query: str) -> list[dict[str, Identifier | None]]:
        """Run a SELECT query; return rows of rdflib terms (unbound variables are None)."""
        solutions = self.store.query(query, use_default_graph_as_union=True)
        if not isinstance(solutions, ox.QuerySolutions):
            raise ValueError("not a SELECT query")
        return solution_rows(solutions)  # each distinct term converted once

    def run(self, name: str, bindings: Mapping[str, Node] | None = None
            ) -> list[dict[str, Identifier | None]]:
        """Run a bundled query by name with parameters bound as typed terms.

        The answers of a query without parameters are kept (the store does not change while
        a site is published): a publish asks some of them several times.
        """
        if bindings:
            return self.select(bind_parameters(load_query(name).text, bindings))
        if name not in self._answers:
            self._answers[name] = self.select(load_query(name).text)
        return self._answers[name]

    def quads(self) -> list[ox.Quad]:
        """Return every quad of every named graph (the model graphs as the bundle has them)."""
        if self._quads is None:
            self._quads = self._read_quads()
        return self._quads

    def _read_quads(self) -> list[ox.Quad]:
        model = model_graph_files()
        quads = [q for q in self.store.quads_for_pattern(None, None, None, None)
                 if not (isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value in model)]
        for graph in self.store.named_graphs():
            if isinstance(graph, ox.NamedNode) and graph.value in model:
                quads.extend(ox.Quad(t.subject, t.predicate, t.object, graph)
                             for t in _parse_stable(model[graph.value]))
        return quads

    def graph_triples(self, graphs: list[str]) -> list[ox.Triple]:
        """Return the distinct triples of some named graphs, in a stable order.

        The order is that of their N-Triples lines (:meth:`sorted_lines`). The model graphs
        (ontology, scheme, cube) are read from the bundled files: an Oxigraph store keeps
        ``"1"^^xsd:nonNegativeInteger`` as ``xsd:integer``, which would publish the
        ontology's cardinalities outside OWL 2 DL.
        """
        lines = self.sorted_lines(graphs)
        if not lines:
            return []
        return list(ox.parse(b"\n".join(lines) + b"\n", format=ox.RdfFormat.N_TRIPLES))

    def sorted_lines(self, graphs: list[str] | None = None) -> list[bytes]:
        """Return the distinct statements of some named graphs as sorted N-Triples lines.

        ``None``: every quad of every graph (:meth:`quads`), as N-Quads lines. The lines are
        written and sorted by Oxigraph and Python's byte sort, not term by term: a national
        dataset has millions. A line is the statement's text (``str``) and `` .``, so they
        sort as the statements' texts do. Blank nodes keep the store's names.
        """
        model = model_graph_files()
        lines: set[bytes] = set()
        if graphs is None:
            default = ox.DefaultGraph()
            if next(iter(self.store.quads_for_pattern(None, None, None, default)),
                    None) is not None:
                return sorted({f"{q} .".encode() for q in self.quads()})  # not told by text
            data = self.store.dump(format=ox.RdfFormat.N_QUADS) or b""
            model_ends = tuple(f" <{graph}> .".encode() for graph in model)
            lines.update(line for line in data.splitlines() if not line.endswith(model_ends))
            del data
            lines.update(f"{q} .".encode() for q in self.quads()
                         if isinstance(q.graph_name, ox.NamedNode)
                         and q.graph_name.value in model)
            return sorted(lines)
        for graph in sorted(set(graphs)):
            if graph in model:  # as the bundle has them (see :meth:`quads`)
                lines.update(f"{ox.Triple(q.subject, q.predicate, q.object)} .".encode()
                             for q in self.quads()
                             if isinstance(q.graph_name, ox.NamedNode)
                             and q.graph_name.value == graph)
            else:  # the store's own, read by graph rather than by scanning every quad
                lines.update((self.store.dump(format=ox.RdfFormat.N_TRIPLES,
                                              from_graph=ox.NamedNode(graph)) or b"").splitlines())
        return sorted(lines)


_COPY_SLICE = 20_000
"""Quads copied per call: a few hundredths of a second each."""


def backend_source(backend: Backend, *, alone: bool = False) -> SiteSource:
    """Copy every named graph of a store (embedded, rdflib or an endpoint) into memory.

    Publishing reads every triple for the dumps anyway; one copy read through the store
    interface (graph names, then each graph as N-Triples) lets the page queries run locally,
    whatever engine holds the data. An embedded Oxigraph store is copied quad by quad,
    without writing and parsing N-Triples. Blank nodes keep the store's names, so that
    publishing the same store again writes the same files. A store that only holds loaded
    submissions gets the model graphs (ontology, scheme, cube), which every page needs, as
    an assessment would.

    ``alone``: no other thread of this process needs to run meanwhile, so an embedded store
    is copied graph by graph in one call each (faster), not in slices that let other
    threads in between.
    """
    memory = ox.Store()
    embedded = backend.oxigraph if isinstance(backend, OxigraphBackend) else None
    for graph in backend.graph_names():
        name = ox.NamedNode(graph)
        if embedded is not None and alone:
            memory.bulk_extend(embedded.quads_for_pattern(None, None, None, name))
            continue
        if embedded is not None:
            quads = embedded.quads_for_pattern(None, None, None, name)
            # in slices: one call holds Python's lock throughout, and `serve` publishes in a
            # thread beside the one answering requests
            while batch := list(islice(quads, _COPY_SLICE)):
                memory.extend(batch)
            continue
        data = backend.graph_ntriples(graph)
        if data:
            memory.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, name)
                               for t in ox.parse(input=data, format=ox.RdfFormat.N_TRIPLES))
    if not memory.contains_named_graph(ox.NamedNode(MODEL_GRAPH)):
        for graph, file in model_graph_files().items():
            memory.load(path=str(file), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(graph))
    return SiteSource(memory)


def store_source(path: Path) -> SiteSource:
    """Copy an embedded store directory into memory (see :func:`backend_source`)."""
    if not path.is_dir():
        raise FileNotFoundError(f"no store directory at {path}")
    backend = OxigraphBackend(path)
    try:
        return backend_source(backend)
    finally:
        backend.close()


def _parse_stable(path: Path) -> list[ox.Triple]:
    """Parse a Turtle file with blank nodes named by their order in the file.

    A parser names blank nodes at random; named in file order they come out the same on
    every publish, so a republished dump changes only when the file does.
    """
    names: dict[str, ox.BlankNode] = {}
    prefix = "".join(ch for ch in path.stem if ch.isascii() and ch.isalnum()) or "m"

    def stable(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
               ) -> ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple:
        if isinstance(term, ox.BlankNode):
            return names.setdefault(term.value, ox.BlankNode(f"{prefix}{len(names)}"))
        return term

    return [ox.Triple(stable(t.subject), t.predicate, stable(t.object))  # type: ignore[arg-type]
            for t in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]


__all__ = ["SiteSource", "backend_source", "store_source"]
