"""SHACL validation results as terms, and the SHACL report graph they make.

Both engines produce :class:`ShaclResult` values: the focus node, value and source shape
are the very RDF terms of the data and shapes graphs (blank nodes, lexical forms and
datatypes included); the result path is a :data:`ShaclPath`, the SHACL path written as a
small Python structure so that paths compare by value whichever graph they came from.
:func:`report_graph` writes results as a standard ``sh:ValidationReport`` and
:func:`comparable_report` reduces any report graph to what the W3C SHACL test suite compares.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.namespace import SH
from rdflib.term import Node

ShaclPath = URIRef | tuple[str, object]
"""A SHACL path: a predicate IRI, or ``(kind, sub)`` where kind is ``inverse``,
``zeroOrMore``, ``oneOrMore``, ``zeroOrOne`` (sub: a path) or ``sequence``,
``alternative`` (sub: a tuple of paths)."""

_UNARY = {SH.inversePath: "inverse", SH.zeroOrMorePath: "zeroOrMore",
          SH.oneOrMorePath: "oneOrMore", SH.zeroOrOnePath: "zeroOrOne"}
_UNARY_PREDICATE = {kind: predicate for predicate, kind in _UNARY.items()}
_SPARQL_SUFFIX = {"zeroOrMore": "*", "oneOrMore": "+", "zeroOrOne": "?"}


class MalformedPath(ValueError):
    """A shape's ``sh:path`` is not a well-formed SHACL path."""


def read_path(graph: Graph, node: Node) -> ShaclPath:
    """Read the SHACL path at ``node`` of ``graph`` into a :data:`ShaclPath`.

    :raises MalformedPath: naming the node.
    """
    if isinstance(node, URIRef):
        return node
    if not isinstance(node, BNode):
        raise MalformedPath(f"{node.n3()} is not a SHACL path")
    if graph.value(node, RDF.first) is not None:
        members = tuple(read_path(graph, m) for m in Collection(graph, node))
        if len(members) < 2:
            raise MalformedPath("a sequence path needs at least two members")
        return ("sequence", members)
    for predicate, kind in _UNARY.items():
        inner = graph.value(node, predicate)
        if inner is not None:
            return (kind, read_path(graph, inner))
    alternatives = graph.value(node, SH.alternativePath)
    if alternatives is not None:
        members = tuple(read_path(graph, m) for m in Collection(graph, alternatives))
        if len(members) < 2:
            raise MalformedPath("an alternative path needs at least two members")
        return ("alternative", members)
    raise MalformedPath(f"blank node {node.n3()} is not a SHACL path")


def write_path(graph: Graph, path: ShaclPath) -> Node:
    """Write a :data:`ShaclPath` into ``graph`` and return its node."""
    if isinstance(path, URIRef):
        return path
    kind, sub = path
    node = BNode()
    if kind in ("sequence", "alternative"):
        assert isinstance(sub, tuple)
        head = BNode()
        Collection(graph, head, [write_path(graph, p) for p in sub])
        if kind == "sequence":
            return head
        graph.add((node, SH.alternativePath, head))
        return node
    graph.add((node, _UNARY_PREDICATE[kind], write_path(graph, sub)))  # type: ignore[arg-type]
    return node


def path_text(path: ShaclPath) -> str:
    """Write a path in SPARQL property-path syntax (a predicate IRI alone stays bare)."""
    if isinstance(path, URIRef):
        return str(path)
    return _sparql_path(path)


def _sparql_path(path: ShaclPath) -> str:
    if isinstance(path, URIRef):
        return path.n3()
    kind, sub = path
    if kind == "inverse":
        return f"^({_sparql_path(sub)})"  # type: ignore[arg-type]
    if kind in _SPARQL_SUFFIX:
        return f"({_sparql_path(sub)}){_SPARQL_SUFFIX[kind]}"  # type: ignore[arg-type]
    joiner = "/" if kind == "sequence" else "|"
    return "(" + joiner.join(_sparql_path(p) for p in sub) + ")"  # type: ignore[union-attr]


@dataclass(frozen=True)
class ShaclResult:
    """One ``sh:ValidationResult``, its terms taken from the data and shapes graphs."""

    focus: Node
    source_shape: Node
    component: URIRef
    severity: URIRef
    path: ShaclPath | None = None
    value: Node | None = None
    messages: tuple[Literal, ...] = ()
    source_constraint: Node | None = None
    code: str = "SHACL"
    details: tuple[ShaclResult, ...] = field(default=())

    def key(self) -> tuple[object, ...]:
        """Return what is compared: focus, path, value, shape, component, severity, details."""
        return (self.focus, self.path, self.value, self.source_shape, self.component,
                self.severity, frozenset(d.key() for d in self.details))


def finding_code(shapes: Graph, *nodes: Node | None) -> str:
    """Return the ``csp:findingCode`` of the first node having one (``SHACL`` otherwise)."""
    from cityculture.namespaces import CSP

    for node in nodes:
        if node is not None:
            code = shapes.value(node, CSP.findingCode)
            if code is not None:
                return str(code)
    return "SHACL"


def results_from_report(report: Graph, shapes: Graph) -> list[ShaclResult]:
    """Read the top-level results (with their ``sh:detail`` results nested) of a report graph."""
    results = []
    for node in report.subjects(RDF.type, SH.ValidationReport):
        results.extend(_read_result(report, shapes, r) for r in report.objects(node, SH.result))
    return results


def _read_result(report: Graph, shapes: Graph, node: Node) -> ShaclResult:
    path = report.value(node, SH.resultPath)
    # a complex path is written into the report, or left as the shapes graph's own node
    path_graph = report if (path, None, None) in report else shapes
    shape = report.value(node, SH.sourceShape)
    constraint = report.value(node, SH.sourceConstraint)
    return ShaclResult(
        focus=report.value(node, SH.focusNode),  # type: ignore[arg-type]
        source_shape=shape,  # type: ignore[arg-type]
        component=report.value(node, SH.sourceConstraintComponent),  # type: ignore[arg-type]
        severity=report.value(node, SH.resultSeverity),  # type: ignore[arg-type]
        path=read_path(path_graph, path) if path is not None else None,
        value=report.value(node, SH.value),
        messages=tuple(m for m in report.objects(node, SH.resultMessage)
                       if isinstance(m, Literal)),
        source_constraint=constraint,
        code=finding_code(shapes, constraint, shape),
        details=tuple(_read_result(report, shapes, d) for d in report.objects(node, SH.detail)),
    )


def write_result(graph: Graph, result: ShaclResult) -> BNode:
    """Add one result (and its details) to a report graph; return its node."""
    node = BNode()
    graph.add((node, RDF.type, SH.ValidationResult))
    graph.add((node, SH.focusNode, result.focus))
    graph.add((node, SH.resultSeverity, result.severity))
    graph.add((node, SH.sourceShape, result.source_shape))
    graph.add((node, SH.sourceConstraintComponent, result.component))
    if result.path is not None:
        graph.add((node, SH.resultPath, write_path(graph, result.path)))
    if result.value is not None:
        graph.add((node, SH.value, result.value))
    if result.source_constraint is not None:
        graph.add((node, SH.sourceConstraint, result.source_constraint))
    for message in result.messages:
        graph.add((node, SH.resultMessage, message))
    for detail in result.details:
        graph.add((node, SH.detail, write_result(graph, detail)))
    return node


_COMPARED = (SH.focusNode, SH.resultSeverity, SH.sourceShape, SH.sourceConstraintComponent,
             SH.value)


def comparable_report(graph: Graph, report: Node) -> Graph:
    """Reduce a report to what the SHACL test suite compares, as a graph of its own.

    Kept: ``sh:conforms``, and per top-level result the focus node, the result path (as a
    path structure), the value, the source shape, the constraint component and the severity.
    Left out: messages, ``sh:sourceConstraint`` and ``sh:detail`` (which SHACL leaves to the
    processor: the suite's expected reports have none). Language tags are compared without
    regard to case, as RDF 1.1 says they are.
    """
    out = Graph()
    root = BNode()
    out.add((root, RDF.type, SH.ValidationReport))
    conforms = graph.value(report, SH.conforms)
    out.add((root, SH.conforms, Literal(bool(conforms is not None and conforms.toPython()))))
    for result in graph.objects(report, SH.result):
        out.add((root, SH.result, _copy_result(graph, result, out)))
    return out


def _copy_result(graph: Graph, result: Node, out: Graph) -> BNode:
    node = BNode()
    out.add((node, RDF.type, SH.ValidationResult))
    for predicate in _COMPARED:
        for obj in graph.objects(result, predicate):
            out.add((node, predicate, _lower_language(obj)))
    path = graph.value(result, SH.resultPath)
    if path is not None:
        out.add((node, SH.resultPath, write_path(out, read_path(graph, path))))
    return node


def _lower_language(term: Node) -> Node:
    if isinstance(term, Literal) and term.language:
        return Literal(str(term), lang=term.language.lower())
    return term


def same_report(actual: Graph, expected: Graph, expected_node: Node) -> bool:
    """Tell whether a report graph equals the expected report, under the test suite's rules."""
    (actual_node,) = actual.subjects(RDF.type, SH.ValidationReport)
    return isomorphic(comparable_report(actual, actual_node),
                      comparable_report(expected, expected_node))


def iter_results(results: Iterable[ShaclResult]) -> Iterator[ShaclResult]:
    """Yield results and, after each, its detail results (depth first)."""
    for result in results:
        yield result
        yield from iter_results(result.details)
