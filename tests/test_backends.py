"""The same SPARQL on four backends: embedded Oxigraph, rdflib, Oxigraph server, Virtuoso.

Remote backends run against real servers started for the session (``tests/conftest_servers.py``);
they are skipped only when a server cannot be started (binary missing, no answer in time).
rdflib is the reference: every other backend must give the same rows, numbers equal within
1e-9 (Virtuoso's doubles within 1e-5: it prints six significant digits, see
``cityculture/store/remote.py``).
"""

from __future__ import annotations

import collections
import math
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from typing import Any

import pyoxigraph as ox
import pytest
from rdflib import RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.term import Identifier

from cityculture.queries import load_query
from cityculture.store.backends import (
    Backend,
    InvalidRDFError,
    OxigraphBackend,
    RdflibBackend,
    Row,
    canonical_literal,
)
from cityculture.store.opening import open_backend
from cityculture.store.remote import (
    USER_AGENT,
    BasicAuth,
    BearerAuth,
    DigestAuth,
    EndpointError,
    RemoteBackend,
)
from tests.conftest_servers import FakeServer, answer
from tests.servers import VirtuosoEndpoints, edit_ini, free_port

EX = Namespace("http://example.org/cc-test/")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")  # not rdflib.XSD: pytest probes globals
BACKENDS = ["embedded-oxigraph", "rdflib", "remote-oxigraph-server", "remote-virtuoso"]
EVIL = 'Bei"jing"} ; DROP ALL ; INSERT DATA { <http://x/a> <http://x/b> "c" } #\n\t\\ {}\'; }'
PREFIXES = """PREFIX ex: <http://example.org/cc-test/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""


# --- data -----------------------------------------------------------------------------------

def analytic_ntriples() -> bytes:
    """12 cities in 3 countries (one without), 2 years, integer/decimal/double indicators."""
    g = Graph()
    countries = ["CN", "FR", "JP"]
    for i in range(12):
        city = EX[f"city/{i:02d}"]
        g.add((city, RDF.type, EX.City))
        g.add((city, RDFS.label, Literal(f"City {i}", lang="en")))
        if i != 11:
            g.add((city, EX.country, Literal(countries[i % 3])))
        if i % 4 == 0:
            g.add((city, RDFS.label, Literal(f"城市{i}", lang="zh")))
        for year in (2022, 2023):
            obs = EX[f"obs/{i:02d}-{year}"]
            g.add((obs, EX.city, city))
            g.add((obs, EX.year, Literal(year)))
            g.add((obs, EX.museums, Literal((i * 7 + year) % 23)))
            budget = Decimal(f"{(i * 37 + year) % 100}.{(i * 13) % 100:02d}")
            g.add((obs, EX.budgetShare, Literal(budget, datatype=XSD.decimal)))
            g.add((obs, EX.visitors, Literal((i + 1) * 1234.5678 / (year - 2019))))
    evil = EX["city/evil"]
    g.add((evil, RDF.type, EX.City))
    g.add((evil, RDFS.label, Literal(EVIL)))
    return g.serialize(format="nt", encoding="utf-8")


BIG_ROWS = 12_000


def big_ntriples() -> bytes:
    """12,000 triples: more rows than Virtuoso's default ResultSetMaxRows (10,000)."""
    return "".join(f"<{EX}item/{i}> <{EX}value> \"{i}\"^^<{XSD.integer}> .\n"
                   for i in range(BIG_ROWS)).encode()


# --- comparing rows -------------------------------------------------------------------------

NUMERIC = {str(XSD[t]) for t in ("integer", "decimal", "double", "float", "int", "long")}


def _cell(term: Identifier | None) -> tuple[Any, ...]:
    if term is None:
        return ("unbound",)
    if isinstance(term, BNode):
        return ("bnode",)  # blank node labels may differ between backends
    if isinstance(term, Literal) and term.datatype and str(term.datatype) in NUMERIC:
        return ("number", float(Decimal(str(term))), str(term.datatype))
    if isinstance(term, Literal):
        return ("literal", str(term), str(term.datatype or ""), term.language or "")
    return ("iri", str(term))


def _sort_key(row: tuple[tuple[Any, ...], ...]) -> tuple[Any, ...]:
    return tuple((c[0], float(f"{c[1]:.4g}")) if c[0] == "number" else c for c in row)


def assert_same_rows(got: list[Row], want: list[Row], *, ordered: bool = False,
                     double_rel: float = 1e-9) -> None:
    """Rows equal cell by cell; numbers by value within 1e-9 (doubles within ``double_rel``)."""
    assert len(got) == len(want), f"{len(got)} rows, expected {len(want)}"
    if not want:
        return
    names = sorted(want[0])
    assert sorted(got[0]) == names, f"columns {sorted(got[0])}, expected {names}"
    a = [tuple(_cell(r[n]) for n in names) for r in got]
    b = [tuple(_cell(r[n]) for n in names) for r in want]
    if not ordered:
        a, b = sorted(a, key=_sort_key), sorted(b, key=_sort_key)
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        for name, cx, cy in zip(names, x, y, strict=True):
            if cx[0] == cy[0] == "number":
                rel = double_rel if _DOUBLE in (cx[2], cy[2]) else 1e-9
                assert math.isclose(cx[1], cy[1], rel_tol=rel, abs_tol=1e-9), \
                    f"row {i} ?{name}: {cx[1]!r} != {cy[1]!r}"
            else:
                assert cx == cy, f"row {i} ?{name}: {cx} != {cy}"


_DOUBLE = str(XSD.double)


# --- backends -------------------------------------------------------------------------------

def make_backend(kind: str, request: pytest.FixtureRequest, *, timeout: float = 60,
                 **options: Any) -> Backend:
    """A backend of ``kind``; remote ones on the session's servers (skip if unavailable)."""
    if kind == "embedded-oxigraph":
        return OxigraphBackend()
    if kind == "rdflib":
        return RdflibBackend()
    if kind == "remote-oxigraph-server":
        base = request.getfixturevalue("oxigraph_server_url")
        return RemoteBackend.for_oxigraph_server(base, timeout=timeout, retries=1, **options)
    endpoints: VirtuosoEndpoints = request.getfixturevalue("virtuoso")
    return RemoteBackend.for_virtuoso(endpoints.sparql, timeout=timeout, retries=1,
                                      **options)


def tolerance(backend: Backend) -> float:
    """Relative tolerance for doubles: Virtuoso prints them with six significant digits."""
    return 1e-5 if backend.name == "virtuoso" else 1e-9


class Reference(RdflibBackend):
    """The rdflib backend, remembering its answers (each is asked once per backend)."""

    def __init__(self) -> None:
        super().__init__()
        self._answers: dict[tuple[str, str], list[Row]] = {}

    def select(self, query: str, bindings: Any = None) -> list[Row]:
        key = (query, repr(sorted((k, v.n3()) for k, v in (bindings or {}).items())))
        if key not in self._answers:
            self._answers[key] = super().select(query, bindings)
        return self._answers[key]


@pytest.fixture(scope="module")
def reference() -> Reference:
    """rdflib with the analytic and the big graph: the expected answers."""
    ref = Reference()
    ref.replace_graph(str(EX["graph/analytic"]), analytic_ntriples())
    ref.replace_graph(str(EX["graph/big"]), big_ntriples())
    return ref


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(request: pytest.FixtureRequest, reference: Reference) -> Iterator[Backend]:
    """Each backend with the analytic and the big graph loaded (rdflib: the reference)."""
    if request.param == "rdflib":
        yield reference
        return
    backend = make_backend(request.param, request)
    try:
        backend.replace_graph(str(EX["graph/analytic"]), analytic_ntriples())
        backend.replace_graph(str(EX["graph/big"]), big_ntriples())
        yield backend
    finally:
        for name in (EX["graph/analytic"], EX["graph/big"]):
            backend.drop_graph(str(name))
        backend.close()


@pytest.fixture(params=BACKENDS, name="fresh")
def fresh_fixture(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """Each backend, for tests that write; the test's graphs are dropped afterwards.

    Other modules import it (as ``fresh_fixture``) and ask for it by name (``fresh``).
    """
    backend = make_backend(request.param, request)
    before = set(backend.graph_names())
    try:
        yield backend
    finally:
        for name in set(backend.graph_names()) - before:
            backend.drop_graph(name)
        backend.close()


ANALYTIC = {"g": EX["graph/analytic"]}
BIG = {"g": EX["graph/big"]}

QUERIES = {
    "aggregates-group-by": ("""
SELECT ?country (COUNT(DISTINCT ?city) AS ?cities) (SUM(?museums) AS ?museumSum)
       (AVG(?budget) AS ?budgetAvg) (MIN(?visitors) AS ?minVisitors)
       (MAX(?visitors) AS ?maxVisitors) (SUM(?visitors) AS ?visitorSum)
WHERE { GRAPH ?g { ?obs ex:city ?city ; ex:museums ?museums ; ex:budgetShare ?budget ;
                        ex:visitors ?visitors . ?city ex:country ?country } }
GROUP BY ?country ORDER BY ?country""", True),
    "optional-filter": ("""
SELECT ?city ?label ?zh ?country
WHERE { GRAPH ?g { ?city a ex:City ; rdfs:label ?label . FILTER (lang(?label) = "en")
                   OPTIONAL { ?city rdfs:label ?zh FILTER (lang(?zh) = "zh") }
                   OPTIONAL { ?city ex:country ?country } } }
ORDER BY ?city""", True),
    "arithmetic": ("""
SELECT ?obs (?budget * 2.5 AS ?scaled) (?museums + ?budget AS ?sum)
       (?visitors / 1000.0e0 AS ?thousands) (?budget / 3 AS ?third)
       (xsd:decimal(?museums) / 7 AS ?perWeek) (?visitors * ?budget AS ?weighted)
       (?museums * 3 AS ?tripled) (?visitors - ?budget AS ?diff)
WHERE { GRAPH ?g { ?obs ex:museums ?museums ; ex:budgetShare ?budget ; ex:visitors ?visitors } }
ORDER BY ?obs""", True),
    "having": ("""
SELECT ?city (COUNT(?obs) AS ?n) (SUM(?museums) AS ?m)
WHERE { GRAPH ?g { ?obs ex:city ?city ; ex:museums ?museums } }
GROUP BY ?city HAVING (SUM(?museums) > 20) ORDER BY DESC(?m) ?city""", True),
    "order-limit-offset": ("""
SELECT ?city ?visitors
WHERE { GRAPH ?g { ?obs ex:city ?city ; ex:year 2023 ; ex:visitors ?visitors } }
ORDER BY DESC(?visitors) ?city LIMIT 5 OFFSET 1""", True),
    "filter-numeric-and-string": ("""
SELECT ?obs ?budget
WHERE { GRAPH ?g { ?obs ex:budgetShare ?budget ; ex:city ?city . ?city rdfs:label ?label
                   FILTER (?budget > 40.5 && ?budget <= 90 && STRSTARTS(STR(?label), "City 1")) } }
ORDER BY ?obs""", True),
    "stored-values": ("""
SELECT ?obs ?year ?museums ?budget ?visitors
WHERE { GRAPH ?g { ?obs ex:year ?year ; ex:museums ?museums ; ex:budgetShare ?budget ;
                        ex:visitors ?visitors } }""", False),
}


@pytest.mark.parametrize("query", sorted(QUERIES))
def test_same_answers_on_every_backend(loaded: Backend, reference: Reference,
                                       query: str) -> None:
    text, ordered = QUERIES[query]
    want = reference.select(PREFIXES + text, ANALYTIC)
    assert want, "the reference answer must not be empty"
    got = loaded.select(PREFIXES + text, ANALYTIC)
    assert_same_rows(got, want, ordered=ordered, double_rel=tolerance(loaded))


def test_parameter_inside_a_subquery(loaded: Backend, reference: Reference) -> None:
    text = PREFIXES + """
SELECT ?country ?total WHERE {
  { SELECT ?country (SUM(?m) AS ?total) WHERE {
      GRAPH ?g { ?obs ex:city ?c ; ex:year ?year ; ex:museums ?m . ?c ex:country ?country } }
    GROUP BY ?country }
} ORDER BY ?country"""
    params = {**ANALYTIC, "year": Literal(2023)}
    want = reference.select(text, params)
    assert len(want) == 3
    assert_same_rows(loaded.select(text, params), want, ordered=True)
    everything = reference.select(text, ANALYTIC)
    assert [r["total"] for r in want] != [r["total"] for r in everything]


def test_numbers_keep_their_datatype(loaded: Backend) -> None:
    rows = loaded.select(PREFIXES + QUERIES["stored-values"][0], ANALYTIC)
    assert len(rows) == 24
    for row in rows:
        assert row["year"].datatype == XSD.integer  # type: ignore[union-attr]
        assert row["museums"].datatype == XSD.integer  # type: ignore[union-attr]
        assert row["budget"].datatype == XSD.decimal  # type: ignore[union-attr]
        assert row["visitors"].datatype == XSD.double  # type: ignore[union-attr]
    if loaded.name != "virtuoso":  # Virtuoso prints doubles with 6 significant digits
        one = next(r for r in rows if str(r["obs"]).endswith("obs/03-2022"))
        assert str(one["visitors"]) == "1646.0904"
        assert str(one["budget"]) == "33.39"


def test_more_rows_than_virtuosos_default_limit(loaded: Backend) -> None:
    rows = loaded.select("SELECT ?s ?v WHERE { GRAPH ?g { ?s ?p ?v } }", BIG)
    assert len(rows) == BIG_ROWS
    assert sum(int(r["v"]) for r in rows) == BIG_ROWS * (BIG_ROWS - 1) // 2  # type: ignore[arg-type]
    count = loaded.select("SELECT (COUNT(*) AS ?n) (SUM(?v) AS ?sum) "
                          "WHERE { GRAPH ?g { ?s ?p ?v } }", BIG)
    assert count == [{"n": Literal(BIG_ROWS),
                      "sum": Literal(BIG_ROWS * (BIG_ROWS - 1) // 2)}]


def test_ask_and_graph_names(loaded: Backend) -> None:
    assert loaded.ask("ASK { GRAPH ?g { ?s ?p ?o } }", ANALYTIC)
    assert not loaded.ask("ASK { GRAPH ?g { ?s <http://example.org/nope> ?o } }", ANALYTIC)
    names = loaded.graph_names()
    assert str(EX["graph/analytic"]) in names and str(EX["graph/big"]) in names


# --- the project's own query files ----------------------------------------------------------

@pytest.fixture(scope="module")
def assessed_graphs() -> tuple[dict[str, bytes], str]:
    """The tiny assessment of tests/test_cq04_to_cq12.py, as N-Triples per named graph."""
    from pathlib import Path

    from cityculture.assess.frameworks import resolve_framework
    from cityculture.assess.run import run_assessment
    from cityculture.ingest.reader import read_submission
    data = Path(__file__).resolve().parent / "data"
    store = OxigraphBackend()
    submission = read_submission(data / "tiny-cities.csv")
    store.replace_graph(submission.iri, submission.ntriples())
    run = run_assessment(store, resolve_framework(data / "tiny-framework.ttl"))
    triples: dict[str, list[ox.Triple]] = collections.defaultdict(list)
    for quad in store.oxigraph:
        assert isinstance(quad.graph_name, ox.NamedNode)
        triples[quad.graph_name.value].append(ox.Triple(quad.subject, quad.predicate,
                                                        quad.object))
    store.close()
    return ({g: ox.serialize(t, format=ox.RdfFormat.N_TRIPLES) for g, t in triples.items()},
            run.iri)


@pytest.fixture(scope="module", params=BACKENDS)
def assessed(request: pytest.FixtureRequest, assessed_graphs: tuple[dict[str, bytes], str],
             assessed_reference: Reference) -> Iterator[Backend]:
    if request.param == "rdflib":
        yield assessed_reference
        return
    backend = make_backend(request.param, request)
    graphs, _ = assessed_graphs
    try:
        for name, data in graphs.items():
            backend.replace_graph(name, data)
        yield backend
    finally:
        for name in graphs:
            backend.drop_graph(name)
        backend.close()


@pytest.fixture(scope="module")
def assessed_reference(assessed_graphs: tuple[dict[str, bytes], str]) -> Reference:
    ref = Reference()
    for name, data in assessed_graphs[0].items():
        ref.replace_graph(name, data)
    return ref


ALPHA = URIRef("https://w3id.org/cityculture/city/Q1001")
QUERY_FILES = {
    "cq04-city-scores": {"city": ALPHA, "year": Literal(2023)},
    "cq05-soft-hard-balance": {"year": Literal(2023)},
    "cq06-peer-learning": {"city": ALPHA, "year": Literal(2023)},
    "cq07-national-share": {"year": Literal(2023)},
    "cq10-provenance": {},
    "cq11-failed-validations": {},
    "cq12-year-change": {"city": ALPHA, "from": Literal(2022), "to": Literal(2023)},
    "indicator-scores": {"city": ALPHA},
    "compare-runs": {},
}
"""Query files and their parameters, compared row by row with rdflib's answers. Not list-runs:
rdflib rewrites a dateTime's "Z" as "+00:00" (tests/test_assess_frameworks.py runs it)."""


@pytest.mark.parametrize("name", sorted(QUERY_FILES))
def test_query_files_run_unchanged(assessed: Backend, assessed_reference: Reference,
                                   assessed_graphs: tuple[dict[str, bytes], str],
                                   name: str) -> None:
    params: dict[str, Identifier] = dict(QUERY_FILES[name])
    if name == "compare-runs":
        params |= {"runA": URIRef(assessed_graphs[1]), "runB": URIRef(assessed_graphs[1])}
    elif name not in ("cq10-provenance", "cq11-failed-validations"):
        params["run"] = URIRef(assessed_graphs[1])
    text = load_query(name).text
    want = assessed_reference.select(text, params)
    assert_same_rows(assessed.select(text, params), want, double_rel=tolerance(assessed))


# --- engine differences, pinned -------------------------------------------------------------

def test_known_engine_differences(loaded: Backend) -> None:
    """What each engine computes where they disagree (see cityculture/store/backends.py)."""
    row = loaded.select(PREFIXES + """
SELECT (1/2 AS ?half) (2 = 2 AS ?eq) (?d * 2 AS ?dbl) (7 * 2 AS ?int)
WHERE { VALUES ?d { "2.5"^^xsd:double } }""")[0]
    got = {k: (str(v), str(v.datatype).split("#")[1]) for k, v in row.items()}  # type: ignore[union-attr]
    expected = {"half": ("0.5", "decimal"), "eq": ("true", "boolean"), "dbl": ("5", "double"),
                "int": ("14", "integer")}
    if loaded.name == "rdflib":
        expected |= {"dbl": ("5", "decimal"), "int": ("14", "decimal")}
    if loaded.name == "virtuoso":
        expected |= {"half": ("0", "integer"), "eq": ("1", "integer")}
    assert got == expected


@pytest.mark.usefixtures("virtuoso")
def test_virtuoso_prints_doubles_with_six_digits(request: pytest.FixtureRequest) -> None:
    """Stored doubles keep their precision; Virtuoso prints six digits, STR() gives them all."""
    backend = make_backend("remote-virtuoso", request)
    graph = str(EX["graph/doubles"])
    backend.replace_graph(graph, f'<{EX}a> <{EX}v> "0.1234567890123"^^<{XSD.double}> .\n'.encode())
    try:
        row = backend.select("SELECT ?v (STR(?v) AS ?s) WHERE { GRAPH ?g { ?a ?p ?v } }",
                             {"g": URIRef(graph)})[0]
        assert b'"0.123457"' in backend.graph_ntriples(graph)
    finally:
        backend.drop_graph(graph)
    assert row == {"v": canonical_literal("0.123457", str(XSD.double)),
                   "s": Literal("0.1234567890123")}


# --- parameters cannot inject ---------------------------------------------------------------

def test_parameters_cannot_inject(fresh: Backend) -> None:
    graph = str(EX["graph/injection"])
    fresh.replace_graph(graph, analytic_ntriples())
    before = fresh.graph_ntriples(graph)
    names_before = fresh.graph_names()
    query = PREFIXES + "SELECT ?city WHERE { GRAPH ?g { ?city rdfs:label ?name } }"
    params = {"g": URIRef(graph)}
    nasty = [EVIL + "x", EVIL.replace("\n", "\r\n"), '"} } ; DROP ALL ; SELECT * { {"',
             "\\\"} }\nDROP ALL", "}};DROP GRAPH <" + graph + ">;#"]
    for text in nasty:
        assert fresh.select(query, {**params, "name": Literal(text)}) == []
        assert fresh.select(query, {**params, "name": Literal(text, lang="en")}) == []
    assert fresh.select(query, {**params, "name": Literal(EVIL)}) == [{"city": EX["city/evil"]}]
    assert fresh.ask("ASK { GRAPH ?g { ?c ?p ?name } }", {**params, "name": Literal(EVIL)})
    assert not fresh.ask("ASK { GRAPH ?g { ?c ?p ?name } }", {**params, "name": Literal(EVIL[1:])})
    with pytest.raises(ValueError, match="no 'WHERE"):
        fresh.select("SELECT ?c { GRAPH ?g { ?c ?p ?name } }", {**params, "name": Literal("x")})
    for iri in ("http://x/> } ; DROP ALL ; <http://y", "http://x/a b", "http://x/{a}",
                'http://x/"', "http://x/\n", "http://x/|", "http://x/^", "http://x/`",
                "http://x/\\"):
        with pytest.raises(ValueError, match="not a valid IRI"):
            fresh.select(query, {**params, "city": URIRef(iri)})
    with pytest.raises(TypeError):
        fresh.select(query, {**params, "city": BNode()})
    with pytest.raises(ValueError):
        fresh.select(query, {"g} ; DROP ALL": URIRef(graph)})
    assert fresh.graph_ntriples(graph) == before
    assert fresh.graph_names() == names_before


# --- replacing graphs -----------------------------------------------------------------------

V1 = b'<http://example.org/cc-test/a> <http://example.org/cc-test/p> "one" .\n' \
     b'<http://example.org/cc-test/a> <http://example.org/cc-test/q> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'  # noqa: E501
V2 = b'<http://example.org/cc-test/b> <http://example.org/cc-test/p> "two"@en .\n'
BROKEN = (b'<http://example.org/cc-test/c> <http://example.org/cc-test/p> "three" .\n'
          b'<http://example.org/cc-test/c> <http://example.org/cc-test/p  BROKEN .\n'
          b'<http://example.org/cc-test/d> <http://example.org/cc-test/p> "four" .\n')


def _values(backend: Backend, graph: str) -> list[str]:
    rows = backend.select("SELECT ?o WHERE { GRAPH ?g { ?s <http://example.org/cc-test/p> ?o } }",
                          {"g": URIRef(graph)})
    return sorted(str(r["o"]) for r in rows)


def test_replace_graph_replaces(fresh: Backend) -> None:
    graph = str(EX["graph/replace"])
    fresh.replace_graph(graph, V1)
    assert _values(fresh, graph) == ["one"]
    assert fresh.graph_ntriples(graph) == b"".join(sorted(V1.splitlines(keepends=True)))
    fresh.replace_graph(graph, V2)
    assert _values(fresh, graph) == ["two"]
    assert fresh.graph_ntriples(graph) == V2
    assert graph in fresh.graph_names()
    fresh.drop_graph(graph)
    assert graph not in fresh.graph_names()
    assert fresh.graph_ntriples(graph) == b""
    fresh.drop_graph(graph)  # dropping again is not an error


def test_failed_replace_leaves_previous_graph(fresh: Backend) -> None:
    graph = str(EX["graph/failing"])
    fresh.replace_graph(graph, V1)
    names = fresh.graph_names()
    with pytest.raises(InvalidRDFError, match="line 2"):
        fresh.replace_graph(graph, BROKEN)
    assert _values(fresh, graph) == ["one"]
    assert fresh.graph_ntriples(graph) == b"".join(sorted(V1.splitlines(keepends=True)))
    assert fresh.graph_names() == names  # no staging graph left behind


def test_replace_graph_in_parts(fresh: Backend) -> None:
    """Parts (read one at a time from a generator) give the graph their joined text gives."""
    graph = str(EX["graph/parts"])
    scored = (b'_:s1 <http://example.org/cc-test/p> "s" .\n'
              b'_:s1 <http://example.org/cc-test/q> "t" .\n')
    read: list[int] = []

    def parts() -> Iterator[bytes]:
        for k, part in enumerate([*V1.splitlines(keepends=True), scored]):
            read.append(k)
            yield part

    fresh.replace_graph(graph, parts())
    assert read == [0, 1, 2]
    assert _values(fresh, graph) == ["one", "s"]
    assert fresh.graph_ntriples(graph).count(b"\n") == 4
    assert len(fresh.select(f"SELECT DISTINCT ?s WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")) == 2
    fresh.replace_graph(graph, iter([V2]))
    assert fresh.graph_ntriples(graph) == V2


def test_failed_replace_in_parts_leaves_previous_graph(fresh: Backend) -> None:
    """A bad part, or parts that stop with an error, change nothing: not even a new graph."""
    graph, new = str(EX["graph/parts-failing"]), str(EX["graph/parts-never"])
    fresh.replace_graph(graph, V1)
    names = fresh.graph_names()

    def failing() -> Iterator[bytes]:
        yield V2
        raise RuntimeError("stopped while writing")

    with pytest.raises(InvalidRDFError):
        fresh.replace_graph(graph, iter([V2, BROKEN]))
    for target in (graph, new):
        with pytest.raises(RuntimeError, match="stopped while writing"):
            fresh.replace_graph(target, failing())
    assert _values(fresh, graph) == ["one"]
    assert fresh.graph_names() == names  # no staging graph, no part of the new graph


def test_replace_graph_refuses_text(fresh: Backend) -> None:
    with pytest.raises(TypeError, match="not str"):
        fresh.replace_graph(str(EX["graph/text"]), V1.decode())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not str"):
        fresh.replace_graph(str(EX["graph/text"]), iter([V1.decode()]))  # type: ignore[arg-type]
    assert str(EX["graph/text"]) not in fresh.graph_names()


@pytest.mark.parametrize("kind", ["remote-oxigraph-server", "remote-virtuoso"])
def test_failed_replace_on_the_server_leaves_previous_graph(
        request: pytest.FixtureRequest, kind: str) -> None:
    """Without the local check, the server itself must refuse the data all-or-nothing."""
    backend = make_backend(kind, request, check_rdf=False)
    graph = str(EX[f"graph/server-failing-{kind}"])
    backend.replace_graph(graph, V1)
    try:
        with pytest.raises(EndpointError, match=r"HTTP (400|500)") as caught:
            backend.replace_graph(graph, BROKEN)
        assert caught.value.attempts == 1 or caught.value.status == 500
        assert _values(backend, graph) == ["one"]
        assert graph in backend.graph_names()
        assert not [n for n in backend.graph_names() if "staging" in n]
    finally:
        backend.drop_graph(graph)


@pytest.mark.usefixtures("virtuoso")
def test_virtuoso_put_alone_is_not_atomic(request: pytest.FixtureRequest) -> None:
    """Why Virtuoso replaces through a staging graph: its GSP PUT loads up to the error."""
    backend = make_backend("remote-virtuoso", request, check_rdf=False, replace_mode="put")
    graph = str(EX["graph/virtuoso-put"])
    backend.replace_graph(graph, V1)
    try:
        with pytest.raises(EndpointError):
            backend.replace_graph(graph, BROKEN)
        assert _values(backend, graph) == ["three"]  # the old graph is gone, half the new one
    finally:
        backend.drop_graph(graph)


@pytest.mark.parametrize("kind", ["embedded-oxigraph", "rdflib", "remote-oxigraph-server"])
def test_readers_never_see_a_half_replaced_graph(request: pytest.FixtureRequest,
                                                 kind: str) -> None:
    """Concurrent readers see the old or the new graph. (Not Virtuoso 7.2: readers there
    were seen counting a half-swapped graph; see cityculture/store/remote.py.)"""
    backend = make_backend(kind, request)
    graph = str(EX[f"graph/isolation-{kind}"])
    small = "".join(f"<{EX}s{i}> <{EX}p> \"{i}\" .\n" for i in range(600)).encode()
    large = "".join(f"<{EX}t{i}> <{EX}p> \"{i}\" .\n" for i in range(1000)).encode()
    backend.replace_graph(graph, small)
    seen: collections.Counter[int] = collections.Counter()
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            row = backend.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
                                 {"g": URIRef(graph)})[0]
            seen[int(row["n"])] += 1  # type: ignore[arg-type]

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(6):
            backend.replace_graph(graph, large if i % 2 == 0 else small)
    finally:
        done.set()
        reader.join()
        backend.drop_graph(graph)
    assert set(seen) <= {600, 1000}, seen
    assert sum(seen.values()) > 0


# --- remote: real-server features -----------------------------------------------------------

def test_virtuoso_truncation_is_detected(virtuoso: VirtuosoEndpoints) -> None:
    """Virtuoso marks a cut result with X-SPARQL-MaxRows, for its ResultSetMaxRows (seen with
    a server left at the default) and for a ``maxrows`` request parameter alike: the
    parameter lets this test see it without starting a second server."""
    backend = RemoteBackend.for_virtuoso(virtuoso.sparql, timeout=30,
                                         query_params={"maxrows": "100"})
    graph = str(EX["graph/truncation"])
    backend.replace_graph(graph, "".join(
        f"<{EX}s{i}> <{EX}p> \"{i}\" .\n" for i in range(150)).encode())
    try:
        query = "SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } }"
        with pytest.raises(EndpointError, match="truncated at 100 rows") as caught:
            backend.select(query, {"g": URIRef(graph)})
        assert virtuoso.sparql in str(caught.value)
        assert len(backend.select(query + " LIMIT 99", {"g": URIRef(graph)})) == 99
        count = backend.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
                               {"g": URIRef(graph)})
        assert count == [{"n": Literal(150)}]
        lenient = RemoteBackend.for_virtuoso(virtuoso.sparql, allow_truncated=True,
                                             query_params={"maxrows": "100"})
        assert len(lenient.select(query, {"g": URIRef(graph)})) == 100
    finally:
        backend.drop_graph(graph)


def test_virtuoso_with_digest_auth(virtuoso: VirtuosoEndpoints) -> None:
    backend = RemoteBackend.for_virtuoso(
        virtuoso.sparql_auth, gsp_endpoint=virtuoso.gsp_auth,
        auth=DigestAuth(virtuoso.user, virtuoso.password), timeout=30)
    graph = str(EX["graph/digest"])
    backend.replace_graph(graph, V1)
    try:
        assert _values(backend, graph) == ["one"]
    finally:
        backend.drop_graph(graph)
    wrong = RemoteBackend.for_virtuoso(
        virtuoso.sparql_auth, gsp_endpoint=virtuoso.gsp_auth,
        auth=DigestAuth(virtuoso.user, "wrong"), timeout=30, retries=0)
    with pytest.raises(EndpointError, match="HTTP 401"):
        wrong.replace_graph(graph, V1)


@pytest.mark.usefixtures("oxigraph_server_url")
def test_open_backend_kinds(request: pytest.FixtureRequest, tmp_path: Any) -> None:
    on_disk = open_backend("oxigraph", path=tmp_path / "store")
    on_disk.replace_graph(str(EX["graph/disk"]), V1)
    on_disk.close()
    reopened = open_backend("oxigraph", path=tmp_path / "store")
    assert reopened.graph_names() == [str(EX["graph/disk"])]
    reopened.close()
    assert open_backend("rdflib").name == "rdflib"
    base = request.getfixturevalue("oxigraph_server_url")
    server = open_backend("oxigraph-server", endpoint=base, timeout=5, retries=0)
    assert isinstance(server, RemoteBackend) and server.replace_mode == "put"
    generic = open_backend("remote", endpoint=base + "/query", update_endpoint=base + "/update",
                           gsp_endpoint=base + "/store")
    assert isinstance(generic, RemoteBackend) and generic.replace_mode == "staging"
    generic.replace_graph(str(EX["graph/generic"]), V1)
    assert _values(server, str(EX["graph/generic"])) == ["one"]
    generic.drop_graph(str(EX["graph/generic"]))
    with pytest.raises(ValueError, match="unknown backend kind"):
        open_backend("sqlite")
    with pytest.raises(ValueError, match="needs an endpoint"):
        open_backend("remote")


# --- remote: faults, against fake servers ----------------------------------------------------

QUERY = "SELECT ?s WHERE { ?s ?p ?o }"
GOOD = (b'{"head": {"vars": ["s"]}, "results": {"bindings": '
        b'[{"s": {"type": "uri", "value": "http://x/a"}}]}}')


def remote(url: str, **options: Any) -> RemoteBackend:
    options.setdefault("retries", 2)
    options.setdefault("backoff", 0.01)
    options.setdefault("timeout", 5)
    return RemoteBackend(url + "/query", update_endpoint=url + "/update",
                         gsp_endpoint=url + "/store", **options)


def test_endpoint_down() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    backend = remote(url)
    with pytest.raises(EndpointError) as caught:
        backend.select(QUERY)
    message = str(caught.value)
    assert url + "/query" in message and "connection refused" in message
    assert "\n" not in message and caught.value.attempts == 3
    with pytest.raises(EndpointError, match="connection refused"):
        backend.update("INSERT DATA { <http://x/a> <http://x/b> <http://x/c> }")


def test_endpoint_slower_than_the_timeout(fake_server: Any) -> None:
    def slow(handler: BaseHTTPRequestHandler, body: bytes) -> None:
        time.sleep(2)
        answer(handler, 200, GOOD)

    server: FakeServer = fake_server(slow)
    started = time.monotonic()
    with pytest.raises(EndpointError) as caught:
        remote(server.url, timeout=0.3).select(QUERY)
    assert time.monotonic() - started < 1.5
    assert server.url in str(caught.value) and "timed out after 0.3 s" in str(caught.value)
    assert caught.value.attempts == 1  # a timeout is not retried


def test_http_500_is_retried_then_reported(fake_server: Any) -> None:
    server: FakeServer = fake_server(
        lambda h, b: answer(h, 500, b"<html><body><h1>Internal\nerror</h1> SR172</body></html>",
                            content_type="text/html"))
    with pytest.raises(EndpointError) as caught:
        remote(server.url, retries=3).select(QUERY)
    assert server.attempts == 4 and caught.value.attempts == 4
    message = str(caught.value)
    assert server.url + "/query" in message and "HTTP 500" in message and "SR172" in message
    assert "\n" not in message and caught.value.status == 500


def test_updates_are_retried_only_when_not_applied(fake_server: Any) -> None:
    failing: FakeServer = fake_server(lambda h, b: answer(h, 500, b"boom", "text/plain"))
    with pytest.raises(EndpointError, match="update failed: HTTP 500"):
        remote(failing.url).update("INSERT DATA { <http://x/a> <http://x/b> <http://x/c> }")
    assert failing.attempts == 1
    busy: FakeServer = fake_server(lambda h, b: answer(h, 503, b"busy", "text/plain"))
    with pytest.raises(EndpointError, match="HTTP 503"):
        remote(busy.url).update("INSERT DATA { <http://x/a> <http://x/b> <http://x/c> }")
    assert busy.attempts == 3


@pytest.mark.parametrize("body", [b"<html>not json</html>", b'{"head": {"vars": ["s"]}}',
                                  b'{"head": {"vars": ["s"]}, "results": {"bindings": '
                                  b'[{"s": {"type": "wat", "value": "x"}}]}}',
                                  b"\xff\xfe garbage", b"[1, 2]"])
def test_garbage_answer(fake_server: Any, body: bytes) -> None:
    server: FakeServer = fake_server(lambda h, b: answer(h, 200, body))
    with pytest.raises(EndpointError) as caught:
        remote(server.url).select(QUERY)
    assert server.url in str(caught.value) and "unparseable answer" in str(caught.value)
    assert "\n" not in str(caught.value)
    with pytest.raises(EndpointError, match="unparseable answer"):
        remote(server.url).ask("ASK {}")


def test_connection_dropped_mid_answer(fake_server: Any) -> None:
    def drop(handler: BaseHTTPRequestHandler, body: bytes) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/sparql-results+json")
        handler.send_header("Content-Length", str(len(GOOD) * 10))
        handler.end_headers()
        handler.wfile.write(GOOD[:40])
        handler.wfile.flush()
        handler.close_connection = True
        handler.connection.shutdown(2)

    server: FakeServer = fake_server(drop)
    with pytest.raises(EndpointError) as caught:
        remote(server.url).select(QUERY)
    assert server.url in str(caught.value)
    assert "connection dropped mid-answer" in str(caught.value)
    assert server.attempts == 3  # queries are retried after a dropped connection


def test_truncation_header_is_an_error(fake_server: Any) -> None:
    server: FakeServer = fake_server(
        lambda h, b: answer(h, 200, GOOD, headers={"X-SPARQL-MaxRows": "1"}))
    with pytest.raises(EndpointError, match="truncated at 1 rows"):
        remote(server.url).select(QUERY)
    partial: FakeServer = fake_server(
        lambda h, b: answer(h, 200, GOOD, headers={"X-SQL-State": "S1TAT",
                                                   "X-SQL-Message": "RC...: timeout"}))
    with pytest.raises(EndpointError, match="partial answer"):
        remote(partial.url).select(QUERY)


@pytest.mark.parametrize("auth, header", [
    (("ann", "s3cret"), "Basic YW5uOnMzY3JldA=="),
    (BasicAuth("ann", "s3cret"), "Basic YW5uOnMzY3JldA=="),
    (BearerAuth("tok-123"), "Bearer tok-123"),
])
def test_auth_and_user_agent(fake_server: Any, auth: Any, header: str) -> None:
    def respond(handler: BaseHTTPRequestHandler, body: bytes) -> None:
        if handler.command == "PUT":
            answer(handler, 201, b"")
        elif "/update" in handler.path:
            answer(handler, 200, b"ok", "text/plain")
        else:
            answer(handler, 200, GOOD)

    server: FakeServer = fake_server(respond)
    backend = remote(server.url, auth=auth, replace_mode="put")
    assert backend.select(QUERY) == [{"s": URIRef("http://x/a")}]
    backend.update("INSERT DATA { <http://x/a> <http://x/b> <http://x/c> }")
    backend.replace_graph("http://x/g", V1)
    assert [r["method"] for r in server.requests] == ["POST", "POST", "PUT"]
    for sent in server.requests:
        headers = sent["headers"]
        assert isinstance(headers, dict)
        assert headers["Authorization"] == header
        assert headers["User-Agent"] == USER_AGENT and USER_AGENT.startswith("cityculture/")
    assert server.requests[2]["path"] == "/store?graph=http%3A%2F%2Fx%2Fg"
    assert server.requests[2]["body"] == V1


def test_virtuoso_ini_editing() -> None:
    text = "[Database]\nDatabaseFile = a.db\n[Parameters]\nServerPort = 1111\n" \
           "IndexTreeMaps = 256\nIndexTreeMaps = 64\n; ServerPort = comment\n[SPARQL]\n"
    edited = edit_ini(text, {"Parameters": {"ServerPort": "127.0.0.1:5", "IndexTreeMaps": "8",
                                            "DirsAllowed": "/tmp"},
                             "SPARQL": {"ResultSetMaxRows": "99"}, "New": {"k": "v"}})
    assert edited.splitlines() == [
        "[Database]", "DatabaseFile = a.db", "[Parameters]", "ServerPort = 127.0.0.1:5",
        "IndexTreeMaps = 8", "; ServerPort = comment", "DirsAllowed = /tmp", "[SPARQL]",
        "ResultSetMaxRows = 99", "[New]", "k = v"]


def test_servers_report_why_they_are_unavailable(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Any) -> None:
    import tests.servers as servers

    monkeypatch.setattr(servers, "find_binary", lambda name: None)
    with pytest.raises(servers.ServerUnavailable, match="no 'oxigraph' binary"):
        servers.oxigraph_server(tmp_path / "a").__enter__()
    with pytest.raises(servers.ServerUnavailable, match="virtuoso-t"):
        servers.virtuoso_server(tmp_path / "b").__enter__()
    hang = tmp_path / "hang.sh"
    hang.write_text("#!/bin/sh\nexec sleep 30\n")
    hang.chmod(0o755)
    monkeypatch.setattr(servers, "find_binary", lambda name: str(hang))
    started = time.monotonic()
    with pytest.raises(servers.ServerUnavailable, match="did not answer within"):
        servers.oxigraph_server(tmp_path / "c", startup_timeout=0.5).__enter__()
    assert time.monotonic() - started < 5
    monkeypatch.setattr(servers, "find_binary", lambda name: "/bin/false")
    with pytest.raises(servers.ServerUnavailable, match="exited with status 1"):
        servers.oxigraph_server(tmp_path / "d").__enter__()
