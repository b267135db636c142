"""The likely cause of each kind of finding, read from the shapes folder (RDF, not Python).

A long validation report ends with a summary by finding code; each code's line names the
cause that usually explains many findings of that code at once (``skos:scopeNote`` on a node
with that ``csp:findingCode``, see ``shapes/likely-causes.ttl``).
"""

from __future__ import annotations

from functools import cache

from rdflib import Graph, Literal
from rdflib.namespace import SKOS

from cityculture.namespaces import CSP
from cityculture.resources import resource_dir


@cache
def likely_causes() -> dict[str, str]:
    """Return finding code -> likely cause (English) from the bundled shape files."""
    graph = Graph()
    for path in sorted(resource_dir("shapes").glob("*.ttl")):
        graph.parse(path, format="turtle")
    causes: dict[str, str] = {}
    for node, code in graph.subject_objects(CSP.findingCode):
        for note in graph.objects(node, SKOS.scopeNote):
            if isinstance(note, Literal) and note.language in ("en", None):
                causes[str(code)] = str(note)
    return causes
