"""Compile SHACL shapes into whole-graph SPARQL queries (the fast engine's plan).

pySHACL evaluates every constraint once per focus node, which is what makes it slow on
large submissions. Here each constraint of each shape becomes one SPARQL SELECT over the
whole data graph that finds every violating (focus node, value node) pair at once; Oxigraph
answers such queries in well under a second on a million triples.

The unit of compilation is a *root*: a shape with targets (``sh:targetClass``,
``sh:targetNode``, ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``, or a shape that is also an
``rdfs:Class``). A root compiles when every constraint of it and of its ``sh:property``
shapes is one of: ``sh:class``, ``sh:datatype`` (for the datatypes whose well-formedness
SPARQL can test), ``sh:nodeKind``, ``sh:minCount``, ``sh:maxCount``, ``sh:pattern`` (with
``sh:flags``), ``sh:in``, ``sh:minInclusive``, ``sh:maxInclusive``, ``sh:minExclusive``,
``sh:maxExclusive``, ``sh:minLength``, ``sh:maxLength``, ``sh:uniqueLang``, and SPARQL-based
constraints of node shapes (``sh:sparql`` with ``sh:select``), on a predicate or
inverse-predicate path. Any other root is *handed over*: the engine gives it, whole, to
pySHACL. A SPARQL constraint may carry ``csp:wholeGraphSelect``: the same test written for
the whole graph at once (statistics computed once per group rather than once per focus
node), which the compiler then prefers; the tests check that both forms give the same
results. Such a query binds ``?this`` in every solution, so its (few) solutions are kept
where ``?this`` is a focus node (``FILTER EXISTS``) instead of being joined with every focus
node of the shape.

Oxigraph stores numbers, booleans and dates in canonical form (``"01"^^xsd:integer`` is kept
as ``"1"``, ``xsd:int`` as ``xsd:integer``). Each check therefore says whether its outcome
depends on the exact term (:attr:`CompiledCheck.term_sensitive`) and through which
predicates its value nodes come, so the engine can hand a root over when the data holds
literals the store would rewrite there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH, XSD
from rdflib.term import Node

from cityculture.namespaces import CSP
from cityculture.validate.shacl_results import ShaclPath, finding_code, read_path

TYPE_PATH = (
    "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>/"
    "<http://www.w3.org/2000/01/rdf-schema#subClassOf>*"
)
TARGET_KEYS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)

_COMPARISONS = {
    SH.minInclusive: (">=", SH.MinInclusiveConstraintComponent),
    SH.maxInclusive: ("<=", SH.MaxInclusiveConstraintComponent),
    SH.minExclusive: (">", SH.MinExclusiveConstraintComponent),
    SH.maxExclusive: ("<", SH.MaxExclusiveConstraintComponent),
}
_LENGTHS = {SH.minLength: ("<", SH.MinLengthConstraintComponent),
            SH.maxLength: (">", SH.MaxLengthConstraintComponent)}
_NODE_KINDS = {
    SH.IRI: "isIRI(?value)", SH.BlankNode: "isBlank(?value)", SH.Literal: "isLiteral(?value)",
    SH.BlankNodeOrIRI: "(isBlank(?value) || isIRI(?value))",
    SH.BlankNodeOrLiteral: "(isBlank(?value) || isLiteral(?value))",
    SH.IRIOrLiteral: "(isIRI(?value) || isLiteral(?value))",
}
# Datatypes whose lexical space a SPARQL cast checks (an ill-typed literal fails the cast).
_CASTABLE = {XSD.integer, XSD.decimal, XSD.double, XSD.float, XSD.boolean, XSD.dateTime,
             XSD.date, XSD.string}
_UNCHECKED_LEXICAL = {RDF.langString, RDF.HTML, RDF.XMLLiteral}
_VALUE_KEYS = {SH["class"], SH.datatype, SH.nodeKind, SH.pattern, SH.flags, SH["in"],
               *_COMPARISONS, *_LENGTHS}
_PROPERTY_ONLY_KEYS = {SH.path, SH.minCount, SH.maxCount, SH.uniqueLang}
_TRUE = Literal("true", datatype=XSD.boolean)
_DESCRIPTIVE_KEYS = {SH.message, SH.severity, SH.name, SH.description, SH.order, SH.group,
                     SH.defaultValue, SH.deactivated, CSP.findingCode, RDF.type, RDFS.label,
                     RDFS.comment, RDFS.isDefinedBy, *TARGET_KEYS}


@dataclass(frozen=True)
class CompiledCheck:
    """One whole-graph query standing for one constraint of one shape.

    The query projects ``?this`` (the focus node), ``?value`` where the constraint has value
    nodes, ``?path`` where a SPARQL constraint binds it, and any variable a message uses.
    """

    query: str
    root: Node
    source_shape: Node
    component: URIRef
    severity: URIRef
    code: str
    messages: tuple[Literal, ...]
    path: ShaclPath | None = None
    source_constraint: Node | None = None
    term_sensitive: bool = False
    """The outcome depends on lexical forms, datatypes or term identity of value nodes."""
    counts: bool = False
    """The outcome depends on how many distinct value nodes there are."""
    value_predicates: frozenset[str] = frozenset()
    """Predicates whose objects can be value nodes of this check."""
    value_literals: frozenset[Literal] = frozenset()
    """Literals named as focus nodes (``sh:targetNode``) that can be value nodes."""


@dataclass
class CompiledShapes:
    """The checks compiled from a shapes graph, and the roots handed over to pySHACL."""

    checks: list[CompiledCheck] = field(default_factory=list)
    handed_over: dict[Node, str] = field(default_factory=dict)
    """Root shape -> why it was not compiled."""


class NotCompilable(Exception):
    """A shape uses a feature this compiler does not translate."""


def root_shapes(shapes: Graph) -> list[Node]:
    """Return the shapes that have targets (explicit, or implicit as an ``rdfs:Class``)."""
    roots: set[Node] = set()
    for key in TARGET_KEYS:
        roots.update(shapes.subjects(key, None))
    classes = {RDFS.Class, *shapes.subjects(RDFS.subClassOf, RDFS.Class)}
    for shape_type in (SH.NodeShape, SH.PropertyShape):
        for shape in shapes.subjects(RDF.type, shape_type):
            if any(t in classes for t in shapes.objects(shape, RDF.type)):
                roots.add(shape)
    return sorted(roots, key=lambda n: (type(n).__name__, str(n)))


def _deactivated(shapes: Graph, shape: Node) -> bool:
    flag = shapes.value(shape, SH.deactivated)
    return isinstance(flag, Literal) and flag.toPython() is True


@dataclass(frozen=True)
class _Focus:
    """The focus nodes of a root: a SPARQL group binding ``?this``, and where they come from."""

    pattern: str
    predicates: frozenset[str]
    literals: frozenset[Literal]


def _focus(shapes: Graph, root: Node) -> _Focus:
    parts = []
    predicates: set[str] = set()
    literals: set[Literal] = set()
    for cls in shapes.objects(root, SH.targetClass):
        parts.append(f"?this {TYPE_PATH} {_term(cls)} .")
    classes = {RDFS.Class, *shapes.subjects(RDFS.subClassOf, RDFS.Class)}
    if any(t in classes for t in shapes.objects(root, RDF.type)):
        parts.append(f"?this {TYPE_PATH} {_term(root)} .")
    nodes = list(shapes.objects(root, SH.targetNode))
    if nodes:
        parts.append("VALUES ?this { " + " ".join(_term(n) for n in nodes) + " }")
        literals.update(n for n in nodes if isinstance(n, Literal))
    for predicate in shapes.objects(root, SH.targetSubjectsOf):
        parts.append(f"?this {_term(predicate)} ?targetObject .")
    for predicate in shapes.objects(root, SH.targetObjectsOf):
        parts.append(f"?targetSubject {_term(predicate)} ?this .")
        predicates.add(str(predicate))
    if len(parts) == 1 and parts[0].startswith(f"?this {TYPE_PATH}"):  # each node once already
        return _Focus(parts[0], frozenset(predicates), frozenset(literals))
    union = " UNION ".join("{ " + p + " }" for p in parts)
    return _Focus(f"{{ SELECT DISTINCT ?this WHERE {{ {union} }} }}", frozenset(predicates),
                  frozenset(literals))


def _term(node: Node) -> str:
    if isinstance(node, URIRef | Literal):
        return node.n3()
    raise NotCompilable(f"{node.n3()} where an IRI or a literal was expected")


def _values(shapes: Graph, shape: Node) -> tuple[str, ShaclPath | None, frozenset[str] | None]:
    """Return the pattern binding ``?value`` to the value nodes, the path, its predicate.

    The predicate is None for a node shape (the value node is the focus node itself).
    """
    node = shapes.value(shape, SH.path)
    if node is None:
        return "BIND (?this AS ?value)", None, None
    path = read_path(shapes, node)
    if isinstance(path, URIRef):
        return f"?this {path.n3()} ?value .", path, frozenset({str(path)})
    kind, inner = path
    if kind == "inverse" and isinstance(inner, URIRef):
        return f"?value {inner.n3()} ?this .", path, frozenset()
    raise NotCompilable(f"the path of {shape.n3()} is not a predicate or an inverse predicate")


def _value_checks(shapes: Graph, shape: Node) -> list[tuple[str, URIRef, bool]]:
    """(violation condition on ?value, component, term-sensitive) of a shape's value constraints."""
    checks: list[tuple[str, URIRef, bool]] = []
    for cls in shapes.objects(shape, SH["class"]):
        checks.append((f"NOT EXISTS {{ ?value {TYPE_PATH} {_term(cls)} }}",
                       SH.ClassConstraintComponent, False))
    for datatype in shapes.objects(shape, SH.datatype):
        checks.append((_datatype_condition(datatype), SH.DatatypeConstraintComponent, True))
    for kind in shapes.objects(shape, SH.nodeKind):
        if kind not in _NODE_KINDS:
            raise NotCompilable(f"sh:nodeKind {kind.n3()}")
        checks.append((f"!{_NODE_KINDS[kind]}", SH.NodeKindConstraintComponent, False))
    flags = shapes.value(shape, SH.flags)
    for pattern in shapes.objects(shape, SH.pattern):
        flag_arg = f", {Literal(str(flags)).n3()}" if flags is not None else ""
        checks.append((f"isBlank(?value) || !REGEX(STR(?value), {Literal(str(pattern)).n3()}"
                       f"{flag_arg})", SH.PatternConstraintComponent, True))
    for allowed in shapes.objects(shape, SH["in"]):
        members = [_term(m) for m in Collection(shapes, allowed)]
        same = " || ".join(f"sameTerm(?value, {m})" for m in members) or "false"
        checks.append((f"!({same})", SH.InConstraintComponent, True))
    for key, (operator, component) in _COMPARISONS.items():
        for bound in shapes.objects(shape, key):
            checks.append((f"!COALESCE(?value {operator} {_term(bound)}, false)", component,
                           False))
    for key, (operator, component) in _LENGTHS.items():
        for length in shapes.objects(shape, key):
            checks.append((f"isBlank(?value) || STRLEN(STR(?value)) {operator} {int(length)}",
                           component, True))
    return checks


def _datatype_condition(datatype: Node) -> str:
    if not isinstance(datatype, URIRef):
        raise NotCompilable(f"sh:datatype {datatype.n3()}")
    wrong = f"!isLiteral(?value) || datatype(?value) != {datatype.n3()}"
    if datatype in _CASTABLE:
        return f"{wrong} || !BOUND(?wellFormed)"
    if datatype in _UNCHECKED_LEXICAL or not str(datatype).startswith(str(XSD)):
        return wrong
    raise NotCompilable(f"sh:datatype {datatype.n3()}: its lexical space is not checked here")


def _well_formed_binding(datatype: Node | None) -> str:
    if datatype in _CASTABLE:
        return f"BIND ({datatype.n3()}(STR(?value)) AS ?wellFormed)"  # type: ignore[union-attr]
    return ""


def _compile_shape(shapes: Graph, root: Node, shape: Node, focus: _Focus,
                   code_holders: tuple[Node, ...]) -> list[CompiledCheck]:
    """Compile the value and count constraints of one shape for the root's focus nodes."""
    keys = set(shapes.predicates(shape))
    allowed = _VALUE_KEYS | _DESCRIPTIVE_KEYS | _PROPERTY_ONLY_KEYS
    if shape == root:
        allowed = allowed | {SH.property, SH.sparql}
    unknown = sorted(str(k) for k in keys - allowed if str(k).startswith(str(SH)))
    if unknown:
        raise NotCompilable(f"{shape.n3()} uses {', '.join(unknown)}")
    value_pattern, path, predicate = _values(shapes, shape)
    severity = shapes.value(shape, SH.severity) or SH.Violation
    messages = tuple(m for m in shapes.objects(shape, SH.message) if isinstance(m, Literal))
    if predicate is None:  # node shape: the focus nodes are the value nodes
        value_predicates, value_literals = focus.predicates, focus.literals
    else:
        value_predicates, value_literals = predicate, frozenset()

    def check(query: str, component: URIRef, *, term_sensitive: bool = False,
              counts: bool = False) -> CompiledCheck:
        return CompiledCheck(
            query=query, root=root, source_shape=shape, component=component,
            severity=severity, code=finding_code(shapes, shape, *code_holders),  # type: ignore[arg-type]
            messages=messages, path=path, term_sensitive=term_sensitive, counts=counts,
            value_predicates=value_predicates, value_literals=value_literals)

    compiled = []
    datatypes = list(shapes.objects(shape, SH.datatype))
    for condition, component, sensitive in _value_checks(shapes, shape):
        binding = _well_formed_binding(datatypes[0]) if (
            component == SH.DatatypeConstraintComponent and len(datatypes) == 1) else ""
        if component == SH.DatatypeConstraintComponent and len(datatypes) > 1:
            raise NotCompilable(f"{shape.n3()} has more than one sh:datatype")
        compiled.append(check(
            f"SELECT ?this ?value WHERE {{ {focus.pattern} {value_pattern} {binding} "
            f"FILTER ({condition}) }}", component, term_sensitive=sensitive))
    if path is not None:
        traverse = value_pattern.replace("?value", "?counted")
        # a predicate or inverse-predicate path gives each value node once: no DISTINCT needed
        for minimum in shapes.objects(shape, SH.minCount):
            query = (f"SELECT ?this WHERE {{ {focus.pattern} FILTER NOT EXISTS {{ {traverse} }} }}"
                     if int(minimum) == 1 else  # the common case, without grouping
                     f"SELECT ?this WHERE {{ {{ SELECT ?this (COUNT(?counted) AS ?n) WHERE {{ "
                     f"{focus.pattern} OPTIONAL {{ {traverse} }} }} GROUP BY ?this }} "
                     f"FILTER (?n < {int(minimum)}) }}")
            compiled.append(check(query, SH.MinCountConstraintComponent, counts=True))
        for maximum in shapes.objects(shape, SH.maxCount):
            second = value_pattern.replace("?value", "?second")
            query = (f"SELECT DISTINCT ?this WHERE {{ {focus.pattern} {traverse} {second} "
                     f"FILTER (!sameTerm(?counted, ?second)) }}"
                     if int(maximum) == 1 else  # the common case: two values, without grouping
                     f"SELECT ?this WHERE {{ {focus.pattern} {traverse} }} GROUP BY ?this "
                     f"HAVING (COUNT(?counted) > {int(maximum)})")
            compiled.append(check(query, SH.MaxCountConstraintComponent, counts=True))
        # only the term "true"^^xsd:boolean switches it on ("1" does not, says the suite)
        if any(flag == _TRUE for flag in shapes.objects(shape, SH.uniqueLang)):
            other = value_pattern.replace("?value", "?other")
            compiled.append(check(
                f"SELECT DISTINCT ?this (LCASE(LANG(?value)) AS ?language) WHERE {{ "
                f"{focus.pattern} {value_pattern} {other} FILTER (isLiteral(?value) && "
                f"isLiteral(?other) && LANG(?value) != \"\" && "
                f"LCASE(LANG(?value)) = LCASE(LANG(?other)) && !sameTerm(?value, ?other)) }}",
                SH.UniqueLangConstraintComponent, term_sensitive=True, counts=True))
    return compiled


def _prefixes(shapes: Graph, constraint: Node) -> str:
    lines = []
    for declarer in shapes.objects(constraint, SH.prefixes):
        for declaration in shapes.objects(declarer, SH.declare):
            prefix = shapes.value(declaration, SH.prefix)
            namespace = shapes.value(declaration, SH.namespace)
            lines.append(f"PREFIX {prefix}: <{namespace}>")
    return "\n".join(sorted(set(lines)))


def _compile_sparql(shapes: Graph, root: Node, constraint: Node, focus: _Focus
                    ) -> CompiledCheck:
    if _deactivated(shapes, constraint):
        raise NotCompilable(f"deactivated SPARQL constraint {constraint.n3()}")
    whole_graph = shapes.value(constraint, CSP.wholeGraphSelect)
    select = whole_graph or shapes.value(constraint, SH.select)
    if select is None:
        raise NotCompilable(f"SPARQL constraint {constraint.n3()} has no sh:select")
    text = str(select)
    if any(var in text for var in ("$PATH", "$currentShape", "$shapesGraph", "$value")):
        raise NotCompilable(f"SPARQL constraint {constraint.n3()} uses a pre-bound variable "
                            "other than $this")
    body = text.replace("$this", "?this")
    if whole_graph is not None:  # binds ?this in every solution: its few solutions are tested
        where = f"{{ {body} }} FILTER EXISTS {{ {focus.pattern} }}"
    else:  # ?this may be unbound in a solution: joined with every focus node, as pre-bound
        where = f"{focus.pattern} {{ {body} }}"
    query = f"{_prefixes(shapes, constraint)}\nSELECT * WHERE {{ {where} }}"
    return CompiledCheck(
        query=query, root=root, source_shape=root, component=SH.SPARQLConstraintComponent,
        severity=shapes.value(root, SH.severity) or SH.Violation,  # type: ignore[arg-type]
        code=finding_code(shapes, constraint, root),
        messages=tuple(m for m in shapes.objects(constraint, SH.message)
                       if isinstance(m, Literal)),
        source_constraint=constraint, value_predicates=focus.predicates,
        value_literals=focus.literals,
    )


def compile_root(shapes: Graph, root: Node) -> list[CompiledCheck]:
    """Compile one root shape (and its property shapes) into checks.

    :raises NotCompilable: the root uses something this compiler does not translate.
    """
    if _deactivated(shapes, root):
        return []
    focus = _focus(shapes, root)
    checks = _compile_shape(shapes, root, root, focus, ())
    if shapes.value(root, SH.path) is None:
        for prop in shapes.objects(root, SH.property):
            if _deactivated(shapes, prop):
                continue
            if shapes.value(prop, SH.path) is None:
                raise NotCompilable(f"property shape {prop.n3()} has no sh:path")
            checks.extend(_compile_shape(shapes, root, prop, focus, (root,)))
        for constraint in shapes.objects(root, SH.sparql):
            checks.append(_compile_sparql(shapes, root, constraint, focus))
    elif (root, SH.property, None) in shapes or (root, SH.sparql, None) in shapes:
        raise NotCompilable(f"property shape {root.n3()} has nested shapes")
    return checks


def compile_shapes(shapes: Graph) -> CompiledShapes:
    """Compile every root shape of a shapes graph; hand over those that do not compile."""
    compiled = CompiledShapes()
    for root in root_shapes(shapes):
        try:
            checks = compile_root(shapes, root)
        except NotCompilable as exc:
            compiled.handed_over[root] = str(exc)
            continue
        compiled.checks.extend(checks)
    return compiled
