"""RDF serialisation formats the toolkit writes, with one name per format."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from cityculture.namespaces import PREFIXES

# name -> (rdflib format, file suffix, media type)
FORMATS: dict[str, tuple[str, str, str]] = {
    "turtle": ("turtle", ".ttl", "text/turtle"),
    "nt": ("nt", ".nt", "application/n-triples"),
    "xml": ("xml", ".rdf", "application/rdf+xml"),
    "json-ld": ("json-ld", ".jsonld", "application/ld+json"),
}


def local_jsonld_context() -> dict[str, str]:
    """Return the JSON-LD context of the project's prefixes (embedded, never fetched)."""
    return {prefix: str(ns) for prefix, ns in PREFIXES.items()}


def serialize(graph: Graph, fmt: str) -> str:
    """Serialise a graph in one of :data:`FORMATS`; JSON-LD gets an embedded local context."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    rdflib_format = FORMATS[fmt][0]
    if fmt == "json-ld":
        return graph.serialize(format=rdflib_format, context=local_jsonld_context(), indent=2)
    return graph.serialize(format=rdflib_format)


def turtle_ntriples(path: Path) -> bytes:
    """Return a Turtle file's triples as N-Triples (what a store's ``replace_graph`` takes)."""
    return ox.serialize(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE),
                        format=ox.RdfFormat.N_TRIPLES) or b""


def ntriples_as_turtle(ntriples: bytes) -> str:
    """Return N-Triples (a graph as a store gives it) as Turtle with the project's prefixes.

    >>> text = ntriples_as_turtle(b'<https://w3id.org/cityculture/city/Q90> '
    ...                           b'<http://www.w3.org/2000/01/rdf-schema#label> "Paris" .')
    >>> text.splitlines()[-1]
    '<https://w3id.org/cityculture/city/Q90> rdfs:label "Paris" .'
    """
    triples = ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES)
    data = ox.serialize(triples, format=ox.RdfFormat.TURTLE,
                        prefixes={k: str(v) for k, v in PREFIXES.items()})
    return (data or b"").decode("utf-8")
