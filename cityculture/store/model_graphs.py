"""Put the model (ontology, indicator scheme, cube structure) into a store beside the data.

A store then answers every bundled query on its own, and a researcher's SPARQL can join data
with the ontology (labels, elements, roles) in one query.
"""

from __future__ import annotations

import pyoxigraph as ox

from cityculture.model import model_graph_files
from cityculture.store.backends import Backend, sorted_ntriples


def store_model_graphs(backend: Backend) -> list[str]:
    """Write each model graph that is missing or out of date; return the graphs written."""
    written = []
    for graph, path in model_graph_files().items():
        data = ox.serialize(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE),
                            format=ox.RdfFormat.N_TRIPLES) or b""
        if sorted_ntriples(backend.graph_ntriples(graph)) != sorted_ntriples(data):
            backend.replace_graph(graph, data)
            written.append(graph)
    return written
