"""Run SHACL shapes over submitted data and locate each result in its file.

The data graph is the submissions exactly as submitted (every term, lexical form, datatype
and blank node kept), plus what they are checked against: the model (ontology, indicator
scheme, cube structure, frameworks), the validation settings and the already-accepted
observations. The shapes graph is kept apart: the bundled shapes plus any extra shapes file.

Two engines give the same results:

* ``pyshacl`` runs pySHACL on an rdflib copy of the data graph built term by term (no
  re-parse, so blank nodes keep their identity);
* ``fast`` compiles each root shape into whole-graph SPARQL (``shacl_compiler``) run on an
  in-memory Oxigraph store holding the same terms, and hands the roots the compiler does not
  cover to pySHACL. Oxigraph keeps blank-node labels given through its API but stores
  numbers, booleans and dates in canonical form; the literals it would rewrite are found
  before loading, results are mapped back to the submitted terms, and a root whose outcome
  could depend on such a literal (``sh:datatype``, ``sh:in``, ``sh:pattern``... on a
  predicate that holds one) is handed over to pySHACL too.

Only results whose focus node belongs to a submission (a term of its triples, or a node an
extra shapes file names with ``sh:targetNode``) are reported.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from itertools import compress
from operator import attrgetter
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from cityculture.ingest.errors import UnusableInput
from cityculture.ingest.rdf_input import UnsafeOrInvalidRDF, parse_rdf
from cityculture.ingest.serialised import SerialisedTriples
from cityculture.ingest.submission import Submission
from cityculture.model import framework_files, indicators_path, ontology_path
from cityculture.namespaces import CSP
from cityculture.query_text import UnsafeQueryError, check_read_only
from cityculture.rdf_terms import may_be_rewritten, to_oxigraph, to_rdflib
from cityculture.resources import resource_dir, resource_path
from cityculture.validate.findings import Finding, ValidationReport
from cityculture.validate.shacl_compiler import (
    TARGET_KEYS,
    TYPE_PATH,
    CompiledCheck,
    CompiledShapes,
    compile_shapes,
    root_shapes,
)
from cityculture.validate.shacl_results import (
    MalformedPath,
    ShaclResult,
    iter_results,
    path_text,
    results_from_report,
)

CSP_NS = str(CSP)
RDFS_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
PATH_ALIASES = {CSP_NS + "qid": CSP_NS + "city"}
_TEMPLATE = re.compile(r"\{[?$](\w+)\}")


def shape_files() -> list[Path]:
    """Return the bundled SHACL shapes of submissions (those of frameworks are in a subfolder)."""
    return sorted(resource_dir("shapes").glob("*.ttl"))


def settings_files() -> list[Path]:
    """Return the files of settings the bundled shapes read from the data graph."""
    return sorted((resource_dir("shapes") / "settings").glob("*.ttl"))


_SPARQL_TEXT = (SH.select, SH.ask, SH.construct, CSP.wholeGraphSelect)
_REFUSED = {SH.update: "a SPARQL Update (SHACL rule)", SH.jsFunctionName: "JavaScript",
            SH.jsLibraryURL: "a JavaScript library URL"}


def check_shapes(shapes: Graph, path: Path) -> None:
    """Refuse shapes whose SPARQL could change data or reach another server, or bad paths.

    Every ``sh:select``, ``sh:ask``, ``sh:construct`` (and ``csp:wholeGraphSelect``) must be
    a read-only query without ``SERVICE``; ``sh:update`` and SHACL-JS are refused; every
    ``sh:path`` must be a well-formed SHACL path.

    :raises UnusableInput: naming the file and the shape.
    """
    from cityculture.validate.shacl_results import read_path

    for prop, what in _REFUSED.items():
        for subject in shapes.subjects(prop, None):
            raise UnusableInput(path, f"{_shape_name(shapes, subject)} uses {what}, "
                                 "which no engine here runs")
    for prop in _SPARQL_TEXT:
        for subject, text in shapes.subject_objects(prop):
            try:
                check_read_only(str(text))
            except UnsafeQueryError as exc:
                raise UnusableInput(path, f"the SPARQL of {_shape_name(shapes, subject)}: "
                                     f"{exc}") from None
    for subject, node in shapes.subject_objects(SH.path):
        try:
            read_path(shapes, node)
        except MalformedPath as exc:
            raise UnusableInput(path, f"the sh:path of {_shape_name(shapes, subject)}: "
                                 f"{exc}") from None


def _shape_name(shapes: Graph, node: Node) -> str:
    """Name a node for a message: its IRI, or the IRI of the shape holding the blank node."""
    seen = {node}
    while isinstance(node, BNode):
        holder = next((s for s in shapes.subjects(None, node) if s not in seen), None)
        if holder is None:
            return "a shape without a name"
        seen.add(holder)
        node = holder
    return f"<{node}>"


@cache
def bundled_shapes() -> Graph:
    """Return the bundled shapes (parsed once)."""
    shapes = Graph()
    for path in shape_files():
        shapes.parse(path, format="turtle")
    return shapes


def read_shapes(path: Path) -> Graph:
    """Read an extra shapes file as written (relative IRIs against its location) and check it.

    :raises UnusableInput: the file is not readable RDF or fails :func:`check_shapes`.
    """
    try:
        shapes = parse_rdf(path)
    except UnsafeOrInvalidRDF as exc:
        kind = "Turtle" if path.suffix.lower() == ".ttl" else "RDF"
        where = ", ".join(f"{name} {number}" for name, number in
                          (("line", exc.line), ("column", exc.column)) if number is not None)
        raise UnusableInput(path, f"not valid {kind}: {where + ': ' if where else ''}"
                             f"{exc.message}") from None
    check_shapes(shapes, path)
    return shapes


def load_shapes(extra: Sequence[Path] = ()) -> Graph:
    """Return the bundled shapes plus any extra shape files, as one shapes graph.

    :raises UnusableInput: an extra file cannot be used.
    """
    shapes = Graph()
    shapes += bundled_shapes()
    for path in extra:
        shapes += read_shapes(path)
    return shapes


@cache
def _bundled_compiled() -> CompiledShapes:
    return compile_shapes(bundled_shapes())


def model_files() -> list[Path]:
    """Return the files that make up the model part of the data graph (with the settings)."""
    return [ontology_path(), indicators_path(), resource_path("ontology", "cube.ttl"),
            *framework_files(), *settings_files()]


@cache
def _model_rdflib() -> Graph:
    graph = Graph()
    for path in model_files():
        graph.parse(path, format="turtle")
    return graph


def to_rdflib_term(term: object) -> Node:
    """Convert an Oxigraph term to rdflib keeping it exactly (lexical form, blank-node label)."""
    converted = to_rdflib(term, exact=True)
    if converted is None:
        raise TypeError(f"cannot convert {term!r}")
    return converted


@dataclass
class DataGraph:
    """The data graph in an in-memory Oxigraph store, and what the store could not keep."""

    store: ox.Store
    submissions: Sequence[Submission]
    accepted: Sequence[ox.Triple] = ()
    originals: dict[ox.Literal, ox.Literal | None] = field(default_factory=dict)
    """Stored form -> submitted form, for literals the store rewrites (None: ambiguous)."""
    rewritten: dict[ox.Literal, ox.Literal] = field(default_factory=dict)
    """Submitted form -> stored form, for the literals the store rewrites."""
    rewritten_predicates: set[str] = field(default_factory=set)
    merged_predicates: set[str] = field(default_factory=set)
    """Predicates where two submitted literals of one subject are stored as one."""
    named_targets: set[Node] = field(default_factory=set)
    scheme: Sequence[ox.Triple] = ()
    """Triples of a researcher's own indicators and code lists: part of the model."""
    _terms: set[object] | None = None

    @property
    def files(self) -> dict[str, str]:
        """Submission IRI -> file name."""
        return {s.iri: s.path.name for s in self.submissions}

    def term(self, stored: object) -> Node:
        """Return the submitted rdflib term for a term read back from the store."""
        if isinstance(stored, ox.Literal):
            original = self.originals.get(stored)
            if original is not None:
                return to_rdflib_term(original)
        return to_rdflib_term(stored)

    def owns(self, node: Node) -> bool:
        """Tell whether a focus node belongs to a submission under test."""
        if node in self.named_targets:
            return True
        if isinstance(node, URIRef) and any(s.owns(str(node)) for s in self.submissions):
            return True
        if self._terms is None:
            self._terms = {t.object for s in self.submissions for t in s.triples}
            self._terms.update(t.subject for s in self.submissions for t in s.triples)
        return to_oxigraph(node) in self._terms

    @contextmanager
    def rdflib_graph(self) -> Iterator[Graph]:
        """Lend an rdflib copy of the data graph, term for term (for pySHACL).

        The model is parsed once per process; the submissions' and accepted triples are
        added to it for the duration of the ``with`` block and taken out again after.
        """
        graph = _model_rdflib()
        added = []
        try:
            for triples in (self.scheme, self.accepted, *(s.triples for s in self.submissions)):
                for t in triples:
                    triple = (to_rdflib_term(t.subject), to_rdflib_term(t.predicate),
                              to_rdflib_term(t.object))
                    if triple not in graph:
                        graph.add(triple)
                        added.append(triple)
            yield graph
        finally:
            for triple in added:
                graph.remove(triple)


_LOAD_SLICE = 100_000


def build_data_graph(
    submissions: Sequence[Submission],
    accepted: Iterable[ox.Triple] = (),
    named_targets: Iterable[Node] = (),
    scheme: Iterable[ox.Triple] = (),
) -> DataGraph:
    """Load model, settings, accepted data and submissions into one Oxigraph default graph.

    ``scheme`` holds the triples of a researcher's scheme or framework files (their own
    indicators, units and city code lists), which count as part of the model. A submission
    whose triples were loaded into a store while it was read (``preload``) gives its store,
    and everything else is added to it.
    """
    preloaded = next((s for s in submissions if isinstance(s.triples, SerialisedTriples)
                      and s.triples.preloading), None)
    taken = preloaded.triples.take_preloaded() if preloaded is not None else None  # type: ignore[union-attr]
    store = taken if taken is not None else ox.Store()
    default = ox.DefaultGraph()
    for path in model_files():
        store.load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=default)
    scheme = list(scheme)
    store.extend(ox.Quad(t.subject, t.predicate, t.object, default) for t in scheme)
    accepted = list(accepted)
    data = DataGraph(store=store, submissions=submissions, accepted=accepted,
                     named_targets=set(named_targets), scheme=scheme)
    # in memory, a transactional load is faster than the bulk loader (which sorts for disk)
    for kind, triples in (("accepted", accepted),
                          *((s.kind, s.triples) for s in submissions if s is not preloaded)):
        # the API keeps blank-node labels, a parser would not (tables make no blank nodes)
        if kind != "tabular" and _has_blank_nodes(triples):
            store.extend(ox.Quad(t.subject, t.predicate, t.object, default) for t in triples)
        elif isinstance(triples, SerialisedTriples):  # already N-Triples, block by block
            for block, _count in triples.parts():
                store.load(input=block, format=ox.RdfFormat.N_TRIPLES, to_graph=default)
        else:  # N-Triples in slices: a fraction of the memory of one text
            for start in range(0, len(triples), _LOAD_SLICE):
                text = ox.serialize(triples[start:start + _LOAD_SLICE],
                                    format=ox.RdfFormat.N_TRIPLES)
                store.load(input=text, format=ox.RdfFormat.N_TRIPLES, to_graph=default)
    _find_rewritten(data, [t for s in submissions for t in _literal_triples(s)])
    return data


def _literal_triples(submission: Submission) -> Iterable[ox.Triple]:
    """Return the submission's triples that may hold a literal a store rewrites.

    A serialised (tabular) submission keeps those aside as it is built; it gives each
    observation one literal per property, so two of its literals can never be stored as one.
    """
    if isinstance(submission.triples, SerialisedTriples):
        return submission.triples.rewritable
    return submission.triples


def _has_blank_nodes(triples: Sequence[ox.Triple]) -> bool:
    kinds = set(map(type, map(attrgetter("subject"), triples)))
    kinds.update(map(type, map(attrgetter("object"), triples)))
    return ox.BlankNode in kinds


def _find_rewritten(data: DataGraph, triples: list[ox.Triple]) -> None:
    """Find the submitted literals the store keeps in another form (see the module doc)."""
    objects = set(map(attrgetter("object"), triples))
    named = set(map(_as_oxigraph, data.named_targets))
    candidates = [o for o in objects | named
                  if isinstance(o, ox.Literal) and may_be_rewritten(o)]
    if not candidates:
        return
    probe = ox.Store()
    marker = ox.NamedNode("urn:cityculture:probe")
    probe.bulk_extend(ox.Quad(ox.NamedNode(f"urn:cityculture:probe:{i}"), marker, literal,
                              ox.DefaultGraph()) for i, literal in enumerate(candidates))
    by_stored: dict[ox.Literal, list[ox.Literal]] = {}
    for quad in probe:
        original = candidates[int(quad.subject.value.rsplit(":", 1)[1])]
        if quad.object != original:
            data.rewritten[original] = quad.object
            by_stored.setdefault(quad.object, []).append(original)
    for stored, originals in by_stored.items():
        data.originals[stored] = originals[0] if len(originals) == 1 else None
    rewritten = data.rewritten
    holds = map(rewritten.__contains__, map(attrgetter("object"), triples))
    data.rewritten_predicates = {p.value for p in set(
        compress(map(attrgetter("predicate"), triples), holds))}
    # two submitted literals of one subject and predicate stored as one: only possible where
    # a stored form stands for more than one submitted literal
    shared = {stored for stored, originals in by_stored.items()
              if len(originals) > 1 or stored in objects}
    if shared:
        seen: dict[tuple[object, object, object], object] = {}
        for t in triples:
            stored = rewritten.get(t.object, t.object)
            if stored in shared:
                first = seen.setdefault((t.subject, t.predicate, stored), t.object)
                if first != t.object:
                    data.merged_predicates.add(t.predicate.value)


def _as_oxigraph(node: Node) -> object:
    try:
        return to_oxigraph(node)
    except TypeError:
        return None


def _text(term: object) -> str:
    if isinstance(term, ox.NamedNode | ox.Literal | ox.BlankNode):
        return term.value
    return "" if term is None else str(term)


def _short(term: object) -> str:
    """How a term appears inside a message: literals as written, IRIs by their last segment."""
    if isinstance(term, ox.NamedNode | URIRef):
        return re.split(r"[/#]", _text(term).rstrip("/"))[-1]
    return _text(term)


def _render(template: Literal, values: dict[str, object]) -> Literal:
    text = _TEMPLATE.sub(lambda m: _short(values.get(m.group(1))), str(template))
    return Literal(text, lang=template.language)


def _default_message(check: CompiledCheck) -> Literal:
    component = str(check.component).rsplit("#", 1)[-1].removesuffix("ConstraintComponent")
    return Literal(f"{check.code}: the {component} constraint of "
                   f"{_short(check.source_shape)} is not met", lang="en")


def _without_subclass_paths(data: DataGraph, query: str) -> str:
    """Use a plain ``rdf:type`` target where the data graph has no subclass of the class.

    ``rdf:type/rdfs:subClassOf*`` is what SHACL means by an instance; where no subclass of
    the target class exists, ``rdf:type`` alone means the same and is cheaper to evaluate.
    """
    for match in set(re.findall(rf"\?(?:this|value) {re.escape(TYPE_PATH)} (<[^>]+>)", query)):
        if not data.store.query(f"ASK {{ ?sub <{RDFS_SUBCLASS}>+ {match} }}"):
            query = re.sub(rf"(\?(?:this|value)) {re.escape(TYPE_PATH)} {re.escape(match)}",
                           rf"\1 <{RDF_TYPE}> {match}", query)
    return query


def _unfaithful(data: DataGraph, check: CompiledCheck) -> bool:
    """Tell whether the store's canonical literals could change this check's outcome."""
    if check.counts and check.value_predicates & data.merged_predicates:
        return True
    if not check.term_sensitive:
        return False
    literals = {_as_oxigraph(n) for n in check.value_literals}
    return bool(check.value_predicates & data.rewritten_predicates
                or literals & data.rewritten.keys())


def run_checks(data: DataGraph, checks: Iterable[CompiledCheck]) -> list[ShaclResult]:
    """Evaluate compiled checks on the data graph's store, results in the checks' order.

    Oxigraph evaluates a query without holding Python's global lock, so two threads take the
    checks from one list, longer ones first. A SPARQL constraint that groups the whole graph
    (``GROUP BY``) holds the most memory while it runs: one such check runs at a time,
    started first, the other thread taking the other checks meanwhile, so the memory a
    validation takes follows the data graph, not the number of checks.
    """
    checks = list(checks)
    large: list[int] = []
    small: list[int] = []
    for index, check in enumerate(checks):
        (large if _groups_whole_graph(check) else small).append(index)
    # the longer checks first, so that neither thread is left with one at the end: SPARQL
    # constraints join several patterns, core constraints test one
    small.sort(key=lambda i: checks[i].component != SH.SPARQLConstraintComponent)
    found: dict[int, list[ShaclResult]] = {}
    lock = threading.Lock()
    large_running = False

    def next_check() -> tuple[int, bool] | None:
        nonlocal large_running
        with lock:
            if large and not large_running:
                large_running = True
                return large.pop(0), True
            if small:
                return small.pop(0), False
            return None  # nothing, or only large ones while one runs: the other thread goes on

    def work() -> None:
        nonlocal large_running
        while (taken := next_check()) is not None:
            index, is_large = taken
            try:
                found[index] = _run_check(data, checks[index])
            finally:
                if is_large:
                    with lock:
                        large_running = False

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="shacl") as pool:
        for done in [pool.submit(work) for _ in range(2)]:
            done.result()
    return [result for index in range(len(checks)) for result in found[index]]


def _groups_whole_graph(check: CompiledCheck) -> bool:
    return (check.component == SH.SPARQLConstraintComponent
            and re.search(r"\bGROUP\s+BY\b", check.query, re.IGNORECASE) is not None)


def _run_check(data: DataGraph, check: CompiledCheck) -> list[ShaclResult]:
    """Evaluate one compiled check."""
    results: list[ShaclResult] = []
    solutions = data.store.query(_without_subclass_paths(data, check.query))
    assert isinstance(solutions, ox.QuerySolutions)
    variables = [v.value for v in solutions.variables]
    templates = check.messages or (_default_message(check),)
    sparql = check.component == SH.SPARQLConstraintComponent
    for solution in solutions:
        focus = data.term(solution["this"])
        value = (data.term(solution["value"])
                 if "value" in variables and solution["value"] is not None else None)
        path = check.path
        if sparql:
            bound = solution["path"] if "path" in variables else None
            path = URIRef(bound.value) if isinstance(bound, ox.NamedNode) else None
            value = value if value is not None else focus
        values = {name: solution[name] for name in variables if solution[name] is not None}
        if "value" in values and value is not None:
            values["value"] = to_oxigraph(value)
        results.append(ShaclResult(
            focus=focus, source_shape=check.source_shape, component=check.component,
            severity=check.severity, path=path, value=value,
            messages=tuple(_render(t, values) for t in templates),
            source_constraint=check.source_constraint, code=check.code))
    return results


def _shapes_for_pyshacl(shapes: Graph, handed_over: set[Node]) -> Graph:
    """Copy the shapes graph; only the handed-over roots keep their targets in the copy."""
    copy = Graph()
    copy += shapes
    classes = {RDFS.Class, *shapes.subjects(RDFS.subClassOf, RDFS.Class)}
    for root in root_shapes(shapes):
        if root in handed_over:
            continue
        for key in TARGET_KEYS:
            copy.remove((root, key, None))
        for cls in classes:
            copy.remove((root, RDF.type, cls))
    return copy


_ADVANCED_KEYS = (SH.rule, SH.target, SH.SPARQLFunction)


_PREPARED: dict[tuple[object, ...], object] = {}
_PREPARED_LIMIT = 512


@contextmanager
def _prepared_queries() -> Iterator[None]:
    """Let rdflib parse each SPARQL text once while pySHACL runs.

    pySHACL hands rdflib the text of a SPARQL constraint once per focus node, and parsing
    (pyparsing) costs far more than evaluating it on one node. A translated query is what
    rdflib's own ``prepareQuery`` returns for reuse with other ``initBindings``; they are
    kept for the process (the bundled shapes' queries are the same on every run).
    """
    from rdflib.plugins.sparql import processor

    original = processor.SPARQLProcessor.query
    prepared = _PREPARED

    def query(self: processor.SPARQLProcessor, query: object, initBindings: object = None,
              initNs: dict[str, object] | None = None, base: str | None = None,
              DEBUG: bool = False) -> object:
        if isinstance(query, str):
            key = (query, base, tuple(sorted((initNs or {}).items())))
            if key not in prepared:
                if len(prepared) >= _PREPARED_LIMIT:
                    prepared.clear()
                prepared[key] = processor.translateQuery(processor.parseQuery(query), base,
                                                         initNs)
            query = prepared[key]
        return original(self, query, initBindings, initNs, base, DEBUG)  # type: ignore[arg-type]

    processor.SPARQLProcessor.query = query  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        processor.SPARQLProcessor.query = original  # type: ignore[method-assign]


def run_pyshacl(data: DataGraph, shapes: Graph) -> list[ShaclResult]:
    """Validate with pySHACL on the rdflib copy of the data graph."""
    import pyshacl

    # SHACL-AF (rules, custom targets) may add triples: then pySHACL works on its own copy
    advanced = any((None, key, None) in shapes or (None, RDF.type, key) in shapes
                   for key in _ADVANCED_KEYS)
    with data.rdflib_graph() as graph, _prepared_queries():
        _, report, _ = pyshacl.validate(graph, shacl_graph=shapes, advanced=advanced,
                                        inplace=not advanced, allow_warnings=True,
                                        inference="none")
    return results_from_report(report, shapes)


def evaluate(data: DataGraph, shapes: Graph, engine: str,
             compiled: CompiledShapes | None = None) -> list[ShaclResult]:
    """Run one engine; return the results about nodes of the submissions."""
    if engine == "pyshacl":
        results = run_pyshacl(data, shapes)
    elif engine == "fast":
        compiled = compiled or compile_shapes(shapes)
        handed_over = set(compiled.handed_over)
        handed_over.update(c.root for c in compiled.checks if _unfaithful(data, c))
        results = run_checks(data, [c for c in compiled.checks if c.root not in handed_over])
        if handed_over:
            results += run_pyshacl(data, _shapes_for_pyshacl(shapes, handed_over))
    else:
        raise ValueError(f"unknown engine {engine!r}; expected 'fast' or 'pyshacl'")
    return [r for r in results if data.owns(r.focus)]


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


def _focus_text(node: Node) -> str:
    return str(node) if isinstance(node, URIRef) else node.n3()


def _cell_row(submission: Submission, result: ShaclResult) -> tuple[str | None, int] | None:
    """Return the (sheet, row) holding the value a city result is about (``Submission.cells``)."""
    if not submission.cells or not isinstance(result.path, URIRef):
        return None
    key = (str(result.focus), str(result.path))
    if result.value is not None:
        return submission.cells.get((*key, str(result.value)))
    if result.component == SH.MinCountConstraintComponent:
        return submission.cells.get((*key, ""))
    if result.component == SH.MaxCountConstraintComponent:
        rows = sorted(where for (s, p, v), where in submission.cells.items()
                      if (s, p) == key and v)
        return rows[1] if len(rows) > 1 else None
    return None


def locate(data: DataGraph, results: list[ShaclResult]) -> list[Finding]:
    """Turn results into findings with file, sheet, row and column."""
    focus_nodes = sorted({str(r.focus) for r in iter_results(results)
                          if isinstance(r.focus, URIRef)})
    where: dict[str, tuple[int, str | None, str]] = {}
    if focus_nodes:
        for query in (_LOCATE_OBSERVATIONS, _LOCATE_CITIES):
            restricted = query.replace("WHERE {", "WHERE { " + _values_clause(focus_nodes), 1)
            for s in data.store.query(restricted):  # type: ignore[union-attr]
                if s[1] is None or s[3] is None:
                    continue
                where.setdefault(s[0].value, (int(s[1].value), s[2].value if s[2] else None,
                                              s[3].value))
    columns: dict[tuple[str, str | None, str], str] = {}
    for s in data.store.query(_COLUMNS):  # type: ignore[union-attr]
        columns[(s["dataSet"].value, s["sheet"].value if s["sheet"] else None,
                 s["property"].value)] = f"{s['letter'].value} ({s['name'].value})"
    by_iri = {s.iri: s for s in data.submissions}

    def finding(r: ShaclResult) -> Finding:
        file = next(iter(data.files.values()), "")
        row, sheet, column = None, None, None
        located = where.get(str(r.focus)) if isinstance(r.focus, URIRef) else None
        if located is not None:
            row, sheet, dataset = located
            file = data.files.get(dataset, file)
            submission = by_iri.get(dataset)
            cell = _cell_row(submission, r) if submission is not None else None
            if cell is not None:
                sheet, row = cell
            if isinstance(r.path, URIRef):
                column = columns.get((dataset, sheet, PATH_ALIASES.get(str(r.path),
                                                                       str(r.path))))
        else:
            file = next((s.path.name for s in data.submissions
                         if isinstance(r.focus, URIRef) and s.owns(str(r.focus))), file)
        en = next((m for m in r.messages if m.language == "en"), None)
        zh = next((m for m in r.messages if m.language == "zh"), None)
        message = en if en is not None else (r.messages[0] if r.messages else r.code)
        return Finding(
            code=r.code, severity=str(r.severity), file=file, row=row, column=column,
            value=str(r.value) if r.value is not None else None, message=str(message),
            shape=_focus_text(r.source_shape), sheet=sheet, focus=_focus_text(r.focus),
            path=path_text(r.path) if r.path is not None else None,
            component=str(r.component), message_zh=str(zh) if zh is not None else None,
            details=[finding(d) for d in r.details], result=r,
        )

    findings = [finding(r) for r in results]
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
    """Validate submissions (together, so conflicts between them show) and locate results.

    ``accepted`` triples are already-accepted data the submissions are checked against;
    results are only reported about the submissions' own nodes. ``scheme`` adds the triples
    of a researcher's own indicators and code lists (``Scheme.triples``) to the model.

    :raises UnusableInput: an extra shapes file cannot be used.
    :raises ValueError: an unknown engine.
    """
    if engine not in ("fast", "pyshacl"):
        raise ValueError(f"unknown engine {engine!r}; expected 'fast' or 'pyshacl'")
    extra = [read_shapes(path) for path in extra_shapes]
    named = {n for graph in extra for n in graph.objects(None, SH.targetNode)}
    data = build_data_graph(submissions, accepted, named, scheme)
    if extra:
        shapes = Graph()
        shapes += bundled_shapes()
        for graph in extra:
            shapes += graph
        compiled = None
    else:
        shapes, compiled = bundled_shapes(), _bundled_compiled()
    results = evaluate(data, shapes, engine, compiled)
    return ValidationReport(findings=locate(data, results))


def result_keys(results: Iterable[ShaclResult | Finding]) -> set[tuple[object, ...]]:
    """Return what both engines must agree on, per result (details included)."""
    keys = set()
    for r in results:
        result = r.result if isinstance(r, Finding) else r
        if result is not None:
            keys.add(result.key())
    return keys
