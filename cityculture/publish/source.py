"""What a site is published from: an Oxigraph store with the toolkit's named graphs.

Either the bundled example, run through the same pipeline as ``cityculture example``
(ingest, validate, assess with the bundled framework of equal weights over the paper's
elements), or an embedded store directory that
``cityculture load`` and ``cityculture assess --store`` filled. The store keeps the default
IRIs, so that the bundled queries run on it unchanged; IRIs are rewritten to the
publisher's base only on the way out.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pyoxigraph as ox
from rdflib.term import Identifier, Node

from cityculture.assess.frameworks import resolve_framework
from cityculture.assess.run import RUN_BASE, assess
from cityculture.ingest.reader import read_submission
from cityculture.model import MODEL_GRAPH, model_graph_files
from cityculture.queries import bind_parameters, load_query
from cityculture.rdf_terms import to_rdflib
from cityculture.store.embedded import EmbeddedStore
from cityculture.validate.engine import validate_submissions

EXAMPLE_RUN = RUN_BASE + "example-paper"
"""The run IRI of the published example (fixed, so that republishing gives the same IRIs)."""
EXAMPLE_BODY = "Mori Memorial Foundation"


class InvalidExample(RuntimeError):
    """The bundled example did not validate (it always should)."""


class SiteSource:
    """A store to publish, with SELECT helpers over the bundled queries."""

    def __init__(self, store: ox.Store) -> None:
        """Publish what ``store`` holds (default IRIs)."""
        self.store = store
        self._quads: list[ox.Quad] | None = None

    def select(self, query: str) -> list[dict[str, Identifier | None]]:
        """Run a SELECT query; return rows of rdflib terms (unbound variables are None)."""
        solutions = self.store.query(query, use_default_graph_as_union=True)
        if not isinstance(solutions, ox.QuerySolutions):
            raise ValueError("not a SELECT query")
        names = [v.value for v in solutions.variables]
        return [{n: to_rdflib(s[n]) for n in names} for s in solutions]

    def run(self, name: str, bindings: Mapping[str, Node] | None = None
            ) -> list[dict[str, Identifier | None]]:
        """Run a bundled query by name with parameters bound as typed terms."""
        return self.select(bind_parameters(load_query(name).text, bindings))

    def quads(self) -> list[ox.Quad]:
        """Return every quad of every named graph (the model graphs as the bundle has them)."""
        if self._quads is None:
            self._quads = self._read_quads()
        return self._quads

    def _read_quads(self) -> list[ox.Quad]:
        model = {graph: path for graph, path in _model_files()}
        quads = [q for q in self.store.quads_for_pattern(None, None, None, None)
                 if not (isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value in model)]
        for graph in self.store.named_graphs():
            if isinstance(graph, ox.NamedNode) and graph.value in model:
                quads.extend(ox.Quad(t.subject, t.predicate, t.object, graph)
                             for t in _parse_stable(model[graph.value]))
        return quads

    def graph_triples(self, graphs: list[str]) -> list[ox.Triple]:
        """Return the distinct triples of some named graphs, in a stable order.

        The model graphs (ontology, scheme, cube) are read from the bundled files: an
        Oxigraph store keeps ``"1"^^xsd:nonNegativeInteger`` as ``xsd:integer``, which would
        publish the ontology's cardinalities outside OWL 2 DL.
        """
        wanted = set(graphs)
        seen: dict[str, ox.Triple] = {}
        for quad in self.quads():
            if isinstance(quad.graph_name, ox.NamedNode) and quad.graph_name.value in wanted:
                triple = ox.Triple(quad.subject, quad.predicate, quad.object)
                seen.setdefault(str(triple), triple)
        return [seen[key] for key in sorted(seen)]


def example_source() -> SiteSource:
    """Ingest, validate and assess the bundled GPCI 2023 example, as ``cityculture example``."""
    from cityculture.resources import resource_path

    path = resource_path("examples", "gpci-2023-submission.csv")
    submission = read_submission(path, body=EXAMPLE_BODY)
    report = validate_submissions([submission])
    if not report.accepted:
        raise InvalidExample(report.to_table())
    store = EmbeddedStore()
    store.replace_graph(submission.graph_name, submission.ntriples())
    assess(store, resolve_framework("paper"), run_iri=EXAMPLE_RUN)
    return SiteSource(store.oxigraph)


def store_source(path: Path) -> SiteSource:
    """Copy an embedded store directory into memory (the model graphs from the bundle)."""
    if not path.is_dir():
        raise FileNotFoundError(f"no store directory at {path}")
    memory = ox.Store()
    with EmbeddedStore(path) as stored:
        memory.bulk_extend(stored.oxigraph.quads_for_pattern(None, None, None, None))
    source = SiteSource(memory)
    if not memory.contains_named_graph(ox.NamedNode(MODEL_GRAPH)):
        # A store that only holds loaded submissions: add the ontology and scheme, which
        # every page needs, as an assessment would.
        store = _Loader(memory)
        for graph, file in _model_files():
            store.load_graph(graph, file)
    return source


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


def _model_files() -> list[tuple[str, Path]]:
    return list(model_graph_files().items())


class _Loader:
    """Loads Turtle files into named graphs of an in-memory store."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store

    def load_graph(self, name: str, path: Path) -> None:
        self.store.remove_graph(ox.NamedNode(name))
        self.store.load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(name))


__all__ = ["EXAMPLE_RUN", "InvalidExample", "SiteSource", "example_source",
           "store_source"]
