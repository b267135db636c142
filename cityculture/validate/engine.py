"""Run the submission shapes over submitted data and locate each finding in its file.

The data graph is the union of the model (ontology, indicator scheme, cube structure), the
validation settings, the already-accepted observations (for cross-submission conflicts and
year-over-year checks) and the submissions under test, in one in-memory Oxigraph store.
Each SHACL constraint runs as one whole-graph SPARQL query (see ``shacl_compiler``); shapes
the compiler cannot translate go to pySHACL unchanged. ``engine="pyshacl"`` runs pySHACL on
everything instead: the reference the fast path is tested against.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal
from rdflib.namespace import SH
from rdflib.term import Node

from cityculture.ingest.submission import Submission
from cityculture.model import framework_files, indicators_path, ontology_path
from cityculture.namespaces import CSP
from cityculture.query_text import UnsafeQueryError, check_read_only
from cityculture.resources import resource_dir, resource_path
from cityculture.validate.findings import Finding, ValidationReport
from cityculture.validate.shacl_compiler import TYPE_PATH, CompiledCheck, compile_shapes

CSP_NS = str(CSP)
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDFS_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
PATH_ALIASES = {CSP_NS + "qid": CSP_NS + "city"}
_TEMPLATE = re.compile(r"\{[?$](\w+)\}")


def shape_files() -> list[Path]:
    """Return the bundled SHACL shape files."""
    return sorted(resource_dir("shapes").glob("*.ttl"))


class UnusableShapes(ValueError):
    """An extra shapes file cannot be used: not Turtle, or SPARQL that is not a plain query."""


_SPARQL_TEXT = (SH.select, SH.ask, SH.construct, CSP.wholeGraphSelect)
_REFUSED = {SH.update: "a SPARQL Update (SHACL rule)", SH.jsFunctionName: "JavaScript",
            SH.jsLibraryURL: "a JavaScript library URL"}


def check_shapes(shapes: Graph, path: Path) -> None:
    """Refuse shapes whose SPARQL could change data or reach another server.

    Every ``sh:select``, ``sh:ask``, ``sh:construct`` (and ``csp:wholeGraphSelect``) must be
    a read-only query without ``SERVICE``; ``sh:update`` and SHACL-JS are refused.

    :raises UnusableShapes: naming the file and the shape.
    """
    for prop, what in _REFUSED.items():
        for subject in shapes.subjects(prop, None):
            raise UnusableShapes(f"{path}: <{subject}> uses {what}, which is not run here")
    for prop in _SPARQL_TEXT:
        for subject, text in shapes.subject_objects(prop):
            try:
                check_read_only(str(text))
            except UnsafeQueryError as exc:
                raise UnusableShapes(f"{path}: the SPARQL of {_shape_name(shapes, subject)}: "
                                     f"{exc}") from None


def _shape_name(shapes: Graph, node: Node) -> str:
    """Name a node for a message: its IRI, or the IRI of the shape holding the blank node."""
    seen = {node}
    while isinstance(node, BNode):
        holder = next((s for s in shapes.subjects(None, node) if s not in seen), None)
        if holder is None:
            return "a constraint without a name"
        seen.add(holder)
        node = holder
    return f"<{node}>"


def load_shapes(extra: Sequence[Path] = ()) -> Graph:
    """Load the bundled shapes plus any extra shape files into one rdflib graph.

    :raises UnusableShapes: an extra file is not valid Turtle or fails :func:`check_shapes`.
    """
    shapes = Graph()
    for path in shape_files():
        shapes.parse(path, format="turtle")
    for path in extra:
        part = Graph()
        try:
            part.parse(path, format="turtle")
        except Exception as exc:  # rdflib raises several kinds for bad Turtle
            raise UnusableShapes(f"{path}: not valid Turtle: {exc}") from None
        check_shapes(part, path)
        shapes += part
    return shapes


@cache
def _bundled_compiled() -> tuple[Graph, tuple[CompiledCheck, ...]]:
    shapes = load_shapes()
    compiled = compile_shapes(shapes)
    return shapes, tuple(compiled.checks)


def model_files() -> list[Path]:
    """Return the files that make up the model part of the data graph."""
    return [ontology_path(), indicators_path(), resource_path("ontology", "cube.ttl"),
            *framework_files()]


@dataclass
class DataGraph:
    """The union data graph in an in-memory Oxigraph store, and which nodes are under test."""

    store: ox.Store
    submissions: Sequence[Submission]

    @property
    def files(self) -> dict[str, str]:
        """Submission IRI -> file name."""
        return {s.iri: s.path.name for s in self.submissions}

    def under_test(self, node: str) -> bool:
        """Tell whether a node is a subject of one of the submissions under test."""
        return any(s.owns(node) for s in self.submissions)


def build_data_graph(
    submissions: Sequence[Submission],
    accepted: Iterable[ox.Triple] = (),
    extra_shapes: Sequence[Path] = (),
    scheme: Iterable[ox.Triple] = (),
) -> DataGraph:
    """Put model, settings, accepted data and submissions into one default graph.

    ``scheme`` holds the triples of a researcher's scheme or framework files (their own
    indicators, units and city code lists), which count as part of the model.
    """
    store = ox.Store()
    default = ox.DefaultGraph()
    for path in [*model_files(), *shape_files(), *extra_shapes]:
        store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=default)
    store.extend(ox.Quad(t.subject, t.predicate, t.object, default) for t in scheme)
    accepted = list(accepted)
    if accepted:
        store.bulk_load(input=ox.serialize(accepted, format=ox.RdfFormat.N_TRIPLES),
                        format=ox.RdfFormat.N_TRIPLES, to_graph=default)
    for submission in submissions:
        store.bulk_load(input=submission.ntriples(), format=ox.RdfFormat.N_TRIPLES,
                        to_graph=default)
    return DataGraph(store=store, submissions=submissions)


def _text(term: object) -> str | None:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.Literal | ox.BlankNode):
        return term.value
    return str(term)


def _short(term: object) -> str:
    """How a term appears inside a message: literals as written, IRIs by their last segment."""
    if isinstance(term, ox.NamedNode):
        return re.split(r"[/#]", term.value.rstrip("/"))[-1]
    return _text(term) or ""


def _render(template: Literal, solution: ox.QuerySolution, variables: list[str]) -> str:
    values = {name: solution[name] for name in variables if solution[name] is not None}
    return _TEMPLATE.sub(lambda m: _short(values.get(m.group(1))), str(template))


@dataclass(frozen=True)
class RawResult:
    """A SHACL result before it is located in a file: the keys both engines agree on."""

    code: str
    severity: str
    focus: str
    path: str | None
    value: str | None
    shape: str
    component: str
    message: str
    message_zh: str | None


def _pick(messages: Iterable[Literal], lang: str) -> Literal | None:
    for message in messages:
        if message.language == lang:
            return message
    return None


def _without_subclass_paths(data: DataGraph, query: str) -> str:
    """Use a plain ``rdf:type`` target where the data graph has no subclass of the class.

    ``rdf:type/rdfs:subClassOf*`` is what SHACL means by an instance; where no subclass of
    the target class exists, ``rdf:type`` alone means the same and is cheaper to evaluate.
    """
    for match in set(re.findall(rf"\?this {re.escape(TYPE_PATH)} (<[^>]+>)", query)):
        if not data.store.query(f"ASK {{ ?sub <{RDFS_SUBCLASS}>+ {match} }}"):
            query = query.replace(f"?this {TYPE_PATH} {match}", f"?this <{RDF_TYPE}> {match}")
    return query


def run_fast(data: DataGraph, checks: Iterable[CompiledCheck]) -> list[RawResult]:
    """Evaluate compiled checks on the data graph; keep results about nodes under test."""
    results: list[RawResult] = []
    for check in checks:
        solutions = data.store.query(_without_subclass_paths(data, check.query))
        assert isinstance(solutions, ox.QuerySolutions)
        variables = [v.value for v in solutions.variables]
        en = _pick(check.messages, "en") or Literal(f"{check.code}: constraint not met")
        zh = _pick(check.messages, "zh")
        for solution in solutions:
            focus = _text(solution["this"])
            if focus is None or not data.under_test(focus):
                continue
            path = _text(solution["path"]) if "path" in variables else None
            path = path or (str(check.path) if check.path is not None else None)
            value = _text(solution["value"]) if "value" in variables else None
            results.append(RawResult(
                code=check.code, severity=str(check.severity).rsplit("#", 1)[-1], focus=focus,
                path=path, value=value, shape=str(check.source_shape),
                component=str(check.component),
                message=_render(en, solution, variables),
                message_zh=_render(zh, solution, variables) if zh is not None else None,
            ))
    return results


def to_rdflib(store: ox.Store) -> Graph:
    """Copy an Oxigraph store's default graph into an rdflib graph (for pySHACL)."""
    data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    graph = Graph()
    graph.parse(data=data, format="nt")
    return graph


def run_pyshacl(data: DataGraph, shapes: Graph, only_shapes: set[Node] | None = None
                ) -> list[RawResult]:
    """Validate with pySHACL on the same data graph; the reference for the fast engine."""
    import pyshacl

    graph = to_rdflib(data.store)
    _, report, _ = pyshacl.validate(graph, shacl_graph=shapes, advanced=True,
                                    allow_warnings=True, inference="none")
    results = []
    for result in report.subjects(SH.focusNode, None):
        shape = report.value(result, SH.sourceShape)
        if only_shapes is not None and shape not in only_shapes:
            continue
        focus = report.value(result, SH.focusNode)
        if not data.under_test(str(focus)):
            continue
        constraint = report.value(result, SH.sourceConstraint)
        code = shapes.value(constraint, CSP.findingCode) if constraint is not None else None
        code = code or shapes.value(shape, CSP.findingCode) or "SHACL"
        messages = list(report.objects(result, SH.resultMessage))
        path = report.value(result, SH.resultPath)
        value = report.value(result, SH.value)
        en = _pick(messages, "en") or (messages[0] if messages else Literal(str(code)))
        zh = _pick(messages, "zh")
        results.append(RawResult(
            code=str(code),
            severity=str(report.value(result, SH.resultSeverity)).rsplit("#", 1)[-1],
            focus=str(focus), path=str(path) if path is not None else None,
            value=str(value) if value is not None else None, shape=str(shape),
            component=str(report.value(result, SH.sourceConstraintComponent)),
            message=str(en), message_zh=str(zh) if zh is not None else None,
        ))
    return results


_LOCATE_OBSERVATIONS = """
PREFIX csp: <https://w3id.org/cityculture/ontology/>
PREFIX qb: <http://purl.org/linked-data/cube#>
SELECT ?this ?row ?sheet ?dataSet WHERE {
  ?this csp:sourceRow ?row ; qb:dataSet ?dataSet .
  OPTIONAL { ?this csp:sourceSheet ?sheet }
}"""
_LOCATE_CITIES = """
PREFIX csp: <https://w3id.org/cityculture/ontology/>
PREFIX qb: <http://purl.org/linked-data/cube#>
SELECT ?this (MIN(?row) AS ?first) (SAMPLE(?sheet) AS ?aSheet) (SAMPLE(?dataSet) AS ?aDataSet)
WHERE {
  ?obs csp:city ?this ; csp:sourceRow ?row ; qb:dataSet ?dataSet .
  OPTIONAL { ?obs csp:sourceSheet ?sheet }
} GROUP BY ?this"""
_COLUMNS = """
PREFIX csp: <https://w3id.org/cityculture/ontology/>
SELECT ?dataSet ?sheet ?property ?name ?letter WHERE {
  ?dataSet csp:columnMapping ?m .
  ?m csp:mapsProperty ?property ; csp:columnName ?name ; csp:columnLetter ?letter .
  OPTIONAL { ?m csp:sourceSheet ?sheet }
}"""


def _values_clause(nodes: Iterable[str]) -> str:
    return "VALUES ?this { " + " ".join(f"<{n}>" for n in nodes) + " }"


def locate(data: DataGraph, raw: list[RawResult]) -> list[Finding]:
    """Turn raw results into findings with file, sheet, row and column."""
    focus_nodes = sorted({r.focus for r in raw if not r.focus.startswith("_:")})
    where: dict[str, tuple[int, str | None, str]] = {}
    if focus_nodes:
        for query in (_LOCATE_OBSERVATIONS, _LOCATE_CITIES):
            restricted = query.replace("WHERE {", "WHERE { " + _values_clause(focus_nodes), 1)
            for s in data.store.query(restricted):  # type: ignore[union-attr]
                row = s[1]
                if row is None or s[3] is None:
                    continue
                where.setdefault(s[0].value, (int(row.value), _text(s[2]), s[3].value))
    columns: dict[tuple[str, str | None, str], str] = {}
    for s in data.store.query(_COLUMNS):  # type: ignore[union-attr]
        columns[(s["dataSet"].value, _text(s["sheet"]), s["property"].value)] = (
            f"{s['letter'].value} ({s['name'].value})")
    default_file = next(iter(data.files.values()), "")
    findings = []
    for r in raw:
        located = where.get(r.focus)
        row, sheet, column = None, None, None
        file = default_file
        if located is not None:
            row, sheet, dataset = located
            file = data.files.get(dataset, file)
            if r.path is not None:
                path = PATH_ALIASES.get(r.path, r.path)
                column = columns.get((dataset, sheet, path))
        else:
            file = next((name for iri, name in data.files.items() if r.focus.startswith(iri)),
                        default_file)
        findings.append(Finding(
            code=r.code, severity=r.severity, file=file, row=row, column=column, value=r.value,
            message=r.message, shape=r.shape, sheet=sheet, focus=r.focus, path=r.path,
            component=r.component, message_zh=r.message_zh,
        ))
    findings.sort(key=Finding.sort_key)
    return findings


def validate_submissions(
    submissions: Sequence[Submission],
    *,
    accepted: Iterable[ox.Triple] = (),
    extra_shapes: Sequence[Path] = (),
    engine: str = "fast",
    scheme: Iterable[ox.Triple] = (),
) -> ValidationReport:
    """Validate submissions (together, so conflicts between them show) and locate findings.

    ``accepted`` triples are already-accepted data the submissions are checked against;
    findings are only reported about the submissions' own nodes. ``scheme`` adds the
    triples of a researcher's own indicators and code lists (``Scheme.triples``).
    """
    if extra_shapes:
        load_shapes(extra_shapes)  # refuse unusable or unsafe shapes before anything runs
    data = build_data_graph(submissions, accepted, extra_shapes, scheme)
    if engine == "pyshacl":
        shapes = load_shapes(extra_shapes)
        raw = run_pyshacl(data, shapes)
    elif engine == "fast":
        if extra_shapes:
            shapes = load_shapes(extra_shapes)
            compiled = compile_shapes(shapes)
            checks: tuple[CompiledCheck, ...] = tuple(compiled.checks)
            leftover = set(compiled.not_compiled)
        else:
            shapes, checks = _bundled_compiled()
            leftover = set()
        raw = run_fast(data, checks)
        if leftover:
            raw += run_pyshacl(data, shapes, only_shapes=_shapes_under(shapes, leftover))
    else:
        raise ValueError(f"unknown engine {engine!r}; expected 'fast' or 'pyshacl'")
    return ValidationReport(findings=locate(data, raw))


def _shapes_under(shapes: Graph, node_shapes: set[Node]) -> set[Node]:
    """Return the node shapes and their property shapes (pySHACL names either as source)."""
    found = set(node_shapes)
    for node_shape in node_shapes:
        found.update(shapes.objects(node_shape, SH.property))
    return found


def result_keys(results: Iterable[RawResult | Finding]) -> set[tuple[object, ...]]:
    """Return the keys both engines must agree on: code, severity, focus, path, value."""
    return {(r.code, r.severity, r.focus, r.path, r.value) for r in results}


