"""Compile SHACL shapes into whole-graph SPARQL SELECT queries.

pySHACL evaluates each constraint once per focus node, which is what makes it slow on large
submissions. A SHACL constraint on the instances of a class is the same question as one
SPARQL query over the whole graph that finds every violating focus node at once; Oxigraph
answers such queries in well under a second on a million triples.

Supported here: node shapes with ``sh:targetClass`` and their property shapes with a single
IRI ``sh:path`` and ``sh:minCount``, ``sh:maxCount``, ``sh:datatype``, ``sh:class``,
``sh:pattern`` (with ``sh:flags``), ``sh:in``, ``sh:minInclusive``, ``sh:maxInclusive``,
``sh:minExclusive``, ``sh:maxExclusive``; and SPARQL-based constraints (``sh:sparql`` with
``sh:select``). A SPARQL constraint may also carry ``csp:wholeGraphSelect``: the same test
written for the whole graph at once (for example statistics computed once per group rather
than once per focus node), which the compiler then prefers; the tests check that both forms
give the same findings. A shape with anything else is reported as not compilable, and the engine
hands it to pySHACL unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH
from rdflib.term import Node

from cityculture.namespaces import CSP

TYPE_PATH = (
    "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>/"
    "<http://www.w3.org/2000/01/rdf-schema#subClassOf>*"
)

_COMPARISONS = {
    SH.minInclusive: (">=", SH.MinInclusiveConstraintComponent),
    SH.maxInclusive: ("<=", SH.MaxInclusiveConstraintComponent),
    SH.minExclusive: (">", SH.MinExclusiveConstraintComponent),
    SH.maxExclusive: ("<", SH.MaxExclusiveConstraintComponent),
}
_SUPPORTED_PROPERTY_KEYS = {
    SH.path, SH.minCount, SH.maxCount, SH.datatype, SH["class"], SH.pattern, SH.flags, SH["in"],
    SH.message, SH.severity, SH.name, SH.description, CSP.findingCode, RDF.type,
    *_COMPARISONS,
}
_SUPPORTED_NODE_KEYS = {SH.targetClass, SH.property, SH.sparql, SH.severity, SH.message,
                        SH.name, SH.description, RDF.type}
_LABEL_KEYS = {URIRef("http://www.w3.org/2000/01/rdf-schema#label"),
               URIRef("http://www.w3.org/2000/01/rdf-schema#comment")}


@dataclass(frozen=True)
class CompiledCheck:
    """One whole-graph query standing for one constraint of one shape.

    The query projects ``?this`` (the focus node) and, where they apply, ``?value`` and
    ``?path``, plus any variable the message template uses.
    """

    query: str
    source_shape: Node
    component: URIRef
    severity: URIRef
    code: str
    messages: tuple[Literal, ...]
    path: URIRef | None = None
    source_constraint: Node | None = None


@dataclass
class CompiledShapes:
    """The checks compiled from a shapes graph, and the node shapes that did not compile."""

    checks: list[CompiledCheck] = field(default_factory=list)
    not_compiled: list[Node] = field(default_factory=list)


class NotCompilable(Exception):
    """A shape uses a feature this compiler does not translate."""


def _n3(term: Node) -> str:
    return term.n3()


def _code(shapes: Graph, *nodes: Node) -> str:
    for node in nodes:
        code = shapes.value(node, CSP.findingCode)
        if code is not None:
            return str(code)
    return "SHACL"


def _messages(shapes: Graph, node: Node) -> tuple[Literal, ...]:
    return tuple(m for m in shapes.objects(node, SH.message) if isinstance(m, Literal))


def _target(target_class: URIRef) -> str:
    return f"?this {TYPE_PATH} {_n3(target_class)} ."


def _count_query(target_class: URIRef, path: URIRef, test: str) -> str:
    return (
        "SELECT ?this WHERE { { SELECT ?this (COUNT(?v) AS ?n) WHERE { "
        f"{_target(target_class)} OPTIONAL {{ ?this {_n3(path)} ?v }} }} GROUP BY ?this }} "
        f"FILTER (?n {test}) }}"
    )


def _value_query(target_class: URIRef, path: URIRef, condition: str) -> str:
    return (
        f"SELECT ?this ?value WHERE {{ {_target(target_class)} ?this {_n3(path)} ?value . "
        f"FILTER ({condition}) }}"
    )


def _compile_property(
    shapes: Graph, node_shape: Node, prop: Node, target_class: URIRef
) -> list[CompiledCheck]:
    keys = set(shapes.predicates(prop)) - _LABEL_KEYS
    unsupported = keys - _SUPPORTED_PROPERTY_KEYS
    path = shapes.value(prop, SH.path)
    if unsupported or not isinstance(path, URIRef):
        raise NotCompilable(f"property shape {prop} uses {sorted(map(str, unsupported))}"
                            if unsupported else f"property shape {prop} has a complex path")
    severity = shapes.value(prop, SH.severity) or SH.Violation
    code = _code(shapes, prop, node_shape)
    messages = _messages(shapes, prop)
    checks: list[tuple[str, URIRef]] = []
    min_count = shapes.value(prop, SH.minCount)
    if min_count is not None and int(min_count) == 1:  # the common case, without grouping
        checks.append((f"SELECT ?this WHERE {{ {_target(target_class)} "
                       f"FILTER NOT EXISTS {{ ?this {_n3(path)} ?v }} }}",
                       SH.MinCountConstraintComponent))
    elif min_count is not None:
        checks.append((_count_query(target_class, path, f"< {int(min_count)}"),
                       SH.MinCountConstraintComponent))
    max_count = shapes.value(prop, SH.maxCount)
    if max_count is not None:
        checks.append((f"SELECT ?this WHERE {{ {_target(target_class)} ?this {_n3(path)} ?v }} "
                       f"GROUP BY ?this HAVING (COUNT(?v) > {int(max_count)})",
                       SH.MaxCountConstraintComponent))
    datatype = shapes.value(prop, SH.datatype)
    if datatype is not None:
        checks.append((_value_query(
            target_class, path, f"!isLiteral(?value) || datatype(?value) != {_n3(datatype)}"),
            SH.DatatypeConstraintComponent))
    cls = shapes.value(prop, SH["class"])
    if cls is not None:
        checks.append((_value_query(
            target_class, path, f"!EXISTS {{ ?value {TYPE_PATH} {_n3(cls)} }}"),
            SH.ClassConstraintComponent))
    pattern = shapes.value(prop, SH.pattern)
    if pattern is not None:
        flags = shapes.value(prop, SH.flags)
        flag_arg = f", {Literal(str(flags)).n3()}" if flags is not None else ""
        checks.append((_value_query(
            target_class, path,
            f"isBlank(?value) || !REGEX(STR(?value), {Literal(str(pattern)).n3()}{flag_arg})"),
            SH.PatternConstraintComponent))
    allowed = shapes.value(prop, SH["in"])
    if allowed is not None:
        members = ", ".join(_n3(m) for m in Collection(shapes, allowed))
        checks.append((_value_query(target_class, path, f"?value NOT IN ({members})"),
                       SH.InConstraintComponent))
    for key, (operator, component) in _COMPARISONS.items():
        bound = shapes.value(prop, key)
        if bound is not None:
            checks.append((_value_query(
                target_class, path, f"!COALESCE(?value {operator} {_n3(bound)}, false)"),
                component))
    return [
        CompiledCheck(query=query, source_shape=prop, component=component,
                      severity=severity, code=code, messages=messages, path=path)
        for query, component in checks
    ]


def _prefixes(shapes: Graph, constraint: Node) -> str:
    lines = []
    for declarer in shapes.objects(constraint, SH.prefixes):
        for declaration in shapes.objects(declarer, SH.declare):
            prefix = shapes.value(declaration, SH.prefix)
            namespace = shapes.value(declaration, SH.namespace)
            lines.append(f"PREFIX {prefix}: <{namespace}>")
    return "\n".join(sorted(set(lines)))


def _compile_sparql(
    shapes: Graph, node_shape: Node, constraint: Node, target_class: URIRef
) -> CompiledCheck:
    select = shapes.value(constraint, CSP.wholeGraphSelect) or shapes.value(constraint, SH.select)
    if select is None:
        raise NotCompilable(f"SPARQL constraint {constraint} has no sh:select")
    text = str(select)
    if any(var in text for var in ("$PATH", "$currentShape", "$shapesGraph", "$value")):
        raise NotCompilable(f"SPARQL constraint {constraint} uses a pre-bound variable "
                            "other than $this")
    body = text.replace("$this", "?this")
    query = (
        f"{_prefixes(shapes, constraint)}\n"
        f"SELECT * WHERE {{ {_target(target_class)} {{ {body} }} }}"
    )
    return CompiledCheck(
        query=query, source_shape=node_shape, component=SH.SPARQLConstraintComponent,
        severity=shapes.value(node_shape, SH.severity) or SH.Violation,
        code=_code(shapes, constraint, node_shape), messages=_messages(shapes, constraint),
        source_constraint=constraint,
    )


def compile_shapes(shapes: Graph) -> CompiledShapes:
    """Compile every node shape of a shapes graph; collect those that cannot be compiled."""
    compiled = CompiledShapes()
    node_shapes = set(shapes.subjects(RDF.type, SH.NodeShape)) | set(
        shapes.subjects(SH.targetClass, None))
    for node_shape in sorted(node_shapes, key=str):
        try:
            keys = set(shapes.predicates(node_shape)) - _LABEL_KEYS
            targets = list(shapes.objects(node_shape, SH.targetClass))
            if keys - _SUPPORTED_NODE_KEYS or len(targets) != 1:
                raise NotCompilable(f"node shape {node_shape}: unsupported targets or keys")
            (target_class,) = targets
            assert isinstance(target_class, URIRef)
            checks = []
            for prop in shapes.objects(node_shape, SH.property):
                checks.extend(_compile_property(shapes, node_shape, prop, target_class))
            for constraint in shapes.objects(node_shape, SH.sparql):
                checks.append(_compile_sparql(shapes, node_shape, constraint, target_class))
        except NotCompilable:
            compiled.not_compiled.append(node_shape)
            continue
        compiled.checks.extend(checks)
    return compiled
