"""Assessment frameworks: which one a user means, checked, and read into a tree of nodes.

A framework is a Turtle file (bundled, or a researcher's own). Before anything runs it is
checked against ``shapes/frameworks/framework.ttl`` (:mod:`cityculture.assess.framework_check`);
then its nodes are read with every method setting resolved as ``ontology/methods.ttl`` says: the
setting on the node itself, else the nearest ancestor's, else the framework's, else
``csp:defaultMethodSettings`` (``csp:imputation`` alone is not passed down from a node to the
nodes below it). The framework's graph in a store is named by the digest of the file's content,
so two different files never share a graph and a run reads only its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import SKOS
from rdflib.term import Node as Term

from cityculture.model import framework_files, load_ontology
from cityculture.namespaces import CSP, FRAMEWORK_GRAPH

BUILTIN = {"paper": "paper.ttl", "gpci-2023": "gpci-2023.ttl"}
IMPUTATION = str(CSP.imputation)


@dataclass(frozen=True)
class FrameworkNode:
    """One node of a framework's tree, with its method settings resolved."""

    iri: str
    code: str
    level: int
    parent: str | None
    weight: float
    stands_for: str | None
    settings: dict[str, Term] = field(default_factory=dict)
    """Method property IRI -> value (an IRI or a literal), inherited where not set here."""
    bounds: dict[str, float] = field(default_factory=dict)
    """``lowerBound``, ``upperBound``, ``target`` (the local names) where given on the node."""

    def method(self, prop: URIRef) -> URIRef | None:
        """Return the method term set for ``prop`` (e.g. ``CSP.normalisation``), if any."""
        value = self.settings.get(str(prop))
        return value if isinstance(value, URIRef) else None

    def number(self, prop: URIRef) -> float | None:
        """Return the numeric setting ``prop`` (e.g. ``CSP.winsorisationLimit``), if any."""
        value = self.settings.get(str(prop))
        return float(value.toPython()) if isinstance(value, Literal) else None


@dataclass(frozen=True)
class Framework:
    """A framework: its IRI, its file, the digest of the file's content and its nodes."""

    iri: str
    path: Path
    digest: str
    nodes: dict[str, FrameworkNode]
    turtle: bytes = field(repr=False)

    @property
    def graph(self) -> str:
        """The named graph of this framework's copy in a store (one per file content)."""
        return f"{FRAMEWORK_GRAPH}sha256-{self.digest}"

    @property
    def top_level(self) -> int:
        """The highest level of the tree."""
        return max(node.level for node in self.nodes.values())

    def children(self, iri: str) -> list[FrameworkNode]:
        """Return the nodes whose parent is ``iri``, in a stable order."""
        return sorted((n for n in self.nodes.values() if n.parent == iri), key=lambda n: n.iri)


class FrameworkError(ValueError):
    """A framework that cannot be used: one line per finding (file, node, term)."""

    def __init__(self, findings: list[str]) -> None:
        super().__init__("\n".join(findings))
        self.findings = findings


@cache
def setting_properties() -> frozenset[str]:
    """Return the method properties a framework or node may set (domain csp:MethodScope)."""
    rows = load_ontology().query("""
        PREFIX csp: <https://w3id.org/cityculture/ontology/>
        PREFIX owl: <http://www.w3.org/2002/07/owl#>
        PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT DISTINCT ?p WHERE {
          { ?p rdfs:domain csp:MethodScope }
          UNION { ?p rdfs:domain ?d . ?d owl:unionOf/rdf:rest*/rdf:first csp:MethodScope }
        }""")
    return frozenset(str(row[0]) for row in rows)  # type: ignore[index]


@cache
def default_settings() -> dict[str, Term]:
    """Return the settings of ``csp:defaultMethodSettings``."""
    graph = load_ontology()
    wanted = setting_properties()
    return {str(p): o for p, o in graph.predicate_objects(CSP.defaultMethodSettings)
            if str(p) in wanted}


def framework_path(name_or_path: str | Path) -> Path:
    """Return the file of ``paper``, ``gpci-2023`` or a framework file given by path."""
    if str(name_or_path) in BUILTIN:
        return {p.name: p for p in framework_files()}[BUILTIN[str(name_or_path)]]
    path = Path(name_or_path)
    if not path.is_file():
        raise FrameworkError([f"no framework {str(name_or_path)!r}: expected "
                              f"{', '.join(BUILTIN)} or a Turtle file"])
    return path


def resolve_framework(name_or_path: str | Path, *, check: bool = True,
                      schemes: Sequence[Path] = ()) -> Framework:
    """Resolve ``paper``, ``gpci-2023`` or a Turtle file defining one csp:AssessmentFramework.

    The file is checked first (``check=False`` only for a file already checked), with the
    scheme files that declare indicators it uses (``schemes``).

    :raises FrameworkError: the file is missing, unreadable, or breaks
        ``shapes/frameworks/framework.ttl``.
    """
    path = framework_path(name_or_path)
    content = path.read_bytes()
    if check:
        from cityculture.assess.framework_check import check_framework

        findings = check_framework(path, content, schemes)
        if findings:
            raise FrameworkError(findings)
    return read_framework(path, content)


def read_framework(path: Path, content: bytes) -> Framework:
    """Read a checked framework file into its tree of nodes."""
    graph = Graph().parse(data=content, format="turtle")
    frameworks = [s for s in graph.subjects(RDF.type, CSP.AssessmentFramework)
                  if isinstance(s, URIRef)]
    if len(frameworks) != 1:
        raise FrameworkError([f"{path}: expected one csp:AssessmentFramework, "
                              f"found {len(frameworks)}"])
    (iri,) = frameworks
    wanted = setting_properties()

    def own(subject: Term) -> dict[str, Term]:
        return {str(p): o for p, o in graph.predicate_objects(subject) if str(p) in wanted}

    base = default_settings() | own(iri)
    raw = {}
    for node in graph.subjects(CSP.inFramework, iri):
        parent = graph.value(node, CSP.parentNode)
        raw[str(node)] = (node, str(parent) if parent is not None else None)
    if not raw:
        raise FrameworkError([f"{path}: the framework has no nodes"])
    resolved: dict[str, dict[str, Term]] = {}

    def settings_of(node_iri: str) -> dict[str, Term]:
        if node_iri not in resolved:
            node, parent = raw[node_iri]
            inherited = base
            if parent in raw:
                # an imputation fills the node it is set on: the parent's would fill every
                # part of a missing whole as well as the whole (methods.ttl)
                inherited = settings_of(parent) | {IMPUTATION: base[IMPUTATION]}
            resolved[node_iri] = inherited | own(node)
        return resolved[node_iri]

    nodes = {}
    for node_iri, (node, parent) in raw.items():
        notation = graph.value(node, SKOS.notation)
        weight = graph.value(node, CSP.weight)
        stands_for = graph.value(node, CSP.standsFor)
        bounds = {name: float(value.toPython()) for name in ("lowerBound", "upperBound", "target")
                  if isinstance(value := graph.value(node, CSP[name]), Literal)}
        nodes[node_iri] = FrameworkNode(
            iri=node_iri, code=str(notation) if notation is not None else node_iri,
            level=int(graph.value(node, CSP.level).toPython()),  # type: ignore[union-attr]
            parent=parent,
            weight=float(weight.toPython()) if isinstance(weight, Literal) else 1.0,
            stands_for=str(stands_for) if stands_for is not None else None,
            settings=settings_of(node_iri), bounds=bounds)
    digest = hashlib.sha256(content).hexdigest()
    return Framework(iri=str(iri), path=path, digest=digest, nodes=nodes, turtle=content)
