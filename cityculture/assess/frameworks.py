"""Assessment frameworks: which one a user means, and the graph that holds it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, Graph, URIRef

from cityculture.model import framework_files
from cityculture.namespaces import CSP

BUILTIN = {"paper": "paper.ttl", "gpci-2023": "gpci-2023.ttl"}
FRAMEWORK_GRAPH = "https://w3id.org/cityculture/graph/framework/"


@dataclass(frozen=True)
class Framework:
    """A framework: its IRI, the Turtle file that defines it and its deepest level."""

    iri: str
    path: Path
    graph: str
    top_level: int


def resolve_framework(name_or_path: str | Path) -> Framework:
    """Resolve ``paper``, ``gpci-2023`` or a Turtle file defining one csp:AssessmentFramework."""
    builtin = {p.name: p for p in framework_files()}
    if str(name_or_path) in BUILTIN:
        path = builtin[BUILTIN[str(name_or_path)]]
    else:
        path = Path(name_or_path)
        if not path.is_file():
            raise ValueError(f"no framework {str(name_or_path)!r}: expected "
                             f"{', '.join(BUILTIN)} or a Turtle file")
    graph = Graph().parse(path, format="turtle")
    frameworks = [s for s in graph.subjects(RDF.type, CSP.AssessmentFramework)
                  if isinstance(s, URIRef)]
    if len(frameworks) != 1:
        raise ValueError(f"{path}: expected one csp:AssessmentFramework, found {len(frameworks)}")
    (iri,) = frameworks
    levels = [int(level) for node in graph.subjects(CSP.inFramework, iri)
              for level in graph.objects(node, CSP.level)]
    if not levels:
        raise ValueError(f"{path}: the framework has no nodes with csp:level")
    return Framework(iri=str(iri), path=path, graph=FRAMEWORK_GRAPH + path.stem,
                     top_level=max(levels))
