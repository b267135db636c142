"""The paper's model as data: the ontology and the indicator scheme as rdflib graphs.

This is the knowledge every later stage (ingest, validate, assess, publish) reads; nothing
about elements, roles, indicators or units is hard-coded in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rdflib import Graph

from cityculture.namespaces import MODEL_GRAPH, bind_prefixes
from cityculture.resources import resource_dir, resource_path

ONTOLOGY_FILE = "cityculture.ttl"
INDICATORS_FILE = "indicators.ttl"
METHODS_FILE = "methods.ttl"


def _parse_turtle(path: Path) -> Graph:
    graph = Graph()
    bind_prefixes(graph.namespace_manager)
    graph.parse(path, format="turtle")
    return graph


def ontology_path() -> Path:
    """Return the path of the bundled OWL ontology (Turtle)."""
    return resource_path("ontology", ONTOLOGY_FILE)


def methods_path() -> Path:
    """Return the path of the method vocabulary of assessment frameworks (Turtle)."""
    return resource_path("ontology", METHODS_FILE)


def indicators_path() -> Path:
    """Return the path of the bundled SKOS indicator scheme (Turtle)."""
    return resource_path("ontology", INDICATORS_FILE)


def framework_files() -> list[Path]:
    """Return the bundled assessment frameworks (Turtle), which also define their indicators."""
    return sorted((resource_dir("ontology") / "frameworks").glob("*.ttl"))


def model_graph_files() -> dict[str, Path]:
    """Return the named graphs the model is stored in, with the Turtle file of each."""
    return {MODEL_GRAPH: ontology_path(),
            MODEL_GRAPH + "/methods": methods_path(),
            MODEL_GRAPH + "/indicators": indicators_path(),
            MODEL_GRAPH + "/cube": resource_path("ontology", "cube.ttl")}


def load_ontology() -> Graph:
    """Load the OWL ontology of the soft power of city culture (with its method vocabulary).

    >>> from cityculture.namespaces import CSP
    >>> from rdflib import RDF, OWL
    >>> (CSP.City, RDF.type, OWL.Class) in load_ontology()
    True
    """
    graph = _parse_turtle(ontology_path())
    graph.parse(methods_path(), format="turtle")
    return graph


def load_indicators() -> Graph:
    """Load the SKOS indicator scheme as a new rdflib graph."""
    return _parse_turtle(indicators_path())


def load_model() -> Graph:
    """Load the ontology and the indicator scheme together in one new graph."""
    graph = load_ontology()
    graph.parse(indicators_path(), format="turtle")
    return graph


@cache
def _cached_model() -> Graph:
    return load_model()


def model_graph() -> Graph:
    """Return a shared, read-only view of the model (ontology + scheme), parsed once.

    Callers must not modify it; use :func:`load_model` for a private copy.
    """
    return _cached_model()


@dataclass(frozen=True)
class ElementSummary:
    """One element of the soft power of city culture, as the ontology states it."""

    iri: str
    notation: str
    label: str
    label_zh: str
    role: str | None
    section: str
    definition: str
    indicator_count: int


def elements() -> list[ElementSummary]:
    """Return the five elements with their roles, in the paper's order (answers CQ1).

    >>> [e.notation for e in elements()]
    ['CO', 'AP', 'IN', 'IF', 'RA']
    >>> [e.role for e in elements()]
    ['core', 'foundation', 'multiplication', None, 'presentation']
    """
    from cityculture.queries import run_query  # late import: queries depends on model

    rows = run_query("cq01-elements-and-roles", model_graph())
    return [
        ElementSummary(
            iri=str(row["element"]),
            notation=str(row["notation"]),
            label=str(row["label"]),
            label_zh=str(row["labelZh"]) if row.get("labelZh") is not None else "",
            role=str(row["roleLabel"]) if row.get("roleLabel") is not None else None,
            section=str(row["section"]),
            definition=str(row["definition"]),
            indicator_count=int(row["indicatorCount"]),
        )
        for row in rows
    ]
