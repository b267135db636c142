"""Put the model (ontology, indicator scheme, cube structure) into a store beside the data.

A store then answers every bundled query on its own, and a researcher's SPARQL can join data
with the ontology (labels, elements, roles) in one query.
"""

from __future__ import annotations

import re

import pyoxigraph as ox

from cityculture.model import model_graph_files
from cityculture.rdf_formats import turtle_ntriples
from cityculture.store.backends import Backend, sorted_ntriples

_BLANK = re.compile(rb"_:[A-Za-z0-9]+")


def _fingerprint(ntriples: bytes) -> bytes:
    """Sorted N-Triples with blank node labels blanked out (labels differ between parses)."""
    lines = _BLANK.sub(b"_:b", sorted_ntriples(ntriples)).splitlines()
    return b"\n".join(sorted(lines))


def _as_stored(ntriples: bytes) -> bytes:
    """Return the triples as a store gives them back (Oxigraph normalises some literals)."""
    scratch = ox.Store()
    scratch.bulk_load(ntriples, format=ox.RdfFormat.N_TRIPLES)
    return scratch.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()) or b""


def store_model_graphs(backend: Backend) -> list[str]:
    """Write each model graph that is missing or out of date; return the graphs written."""
    written = []
    for graph, path in model_graph_files().items():
        data = turtle_ntriples(path)
        if _fingerprint(backend.graph_ntriples(graph)) != _fingerprint(_as_stored(data)):
            backend.replace_graph(graph, data)
            written.append(graph)
    return written
