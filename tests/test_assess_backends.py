"""The whole assessment runs unchanged on every backend and gives the same results.

The bundled example (the GPCI 2023 submission of 48 cities, as ``cityculture example``
ingests it) is assessed with the bundled paper framework on embedded Oxigraph, rdflib, a real
Oxigraph server and a real Virtuoso
(``tests/conftest_servers.py``; skipped where a server is unavailable). Every score, coverage,
rank, not-scored reason and indicator score of the run graph must be equal, numbers within
1e-9 (read through STR()), as must the provenance links.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
from rdflib import URIRef

from cityculture.assess.frameworks import resolve_framework
from cityculture.assess.run import run_assessment
from cityculture.ingest.reader import read_submission
from cityculture.queries import load_query
from cityculture.resources import resource_path
from cityculture.store.backends import Backend, OxigraphBackend
from cityculture.store.remote import EndpointError
from tests.test_backends import BACKENDS, make_backend

RUN = "https://w3id.org/cityculture/run/test-assess-backends"
CITIES = 48
RESULTS = """PREFIX csp: <https://w3id.org/cityculture/ontology/>
SELECT ?node ?city ?year ?class (STR(?value) AS ?valueText) ?rank (STR(?coverage) AS ?cov)
       ?reason
WHERE {
  GRAPH <RUN> {
    ?s csp:frameworkNode ?node ; csp:refYear ?year ; a ?class .
    OPTIONAL { ?s csp:city ?city }
    OPTIONAL { ?s csp:scoreValue ?value }
    OPTIONAL { ?s csp:rankValue ?rank }
    OPTIONAL { ?s csp:coverage ?coverage }
    OPTIONAL { ?s csp:reason ?reason }
  }
}""".replace("RUN", RUN)
LINKS = """PREFIX csp: <https://w3id.org/cityculture/ontology/>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?node ?city ?year (COUNT(?from) AS ?links) WHERE {
  GRAPH <RUN> { ?s csp:frameworkNode ?node ; csp:city ?city ; csp:refYear ?year ;
                  prov:wasDerivedFrom ?from . }
}
GROUP BY ?node ?city ?year""".replace("RUN", RUN)


NUMBERS = ("valueText", "cov", "rank", "year", "links")
IDENTITY = ("node", "city", "year", "class")


def normalise(rows: list[dict]) -> dict[tuple, dict[str, object]]:
    """Rows by what they are about (node, city, year, class): numbers as floats, the rest as
    text; a row about the same thing twice is an error."""
    table: dict[tuple, dict[str, object]] = {}
    for row in rows:
        fields = {name: None if term is None
                  else float(str(term)) if name in NUMBERS else str(term)
                  for name, term in row.items()}
        key = tuple(fields.get(name) for name in IDENTITY)
        assert key not in table, f"two rows about {key}"
        table[key] = fields
    return table


def differences(got: dict[tuple, dict], expected: dict[tuple, dict]) -> list[tuple]:
    """What differs: rows missing or extra, and fields unequal (numbers beyond 1e-9)."""
    found = [("missing", key) for key in expected.keys() - got.keys()]
    found += [("extra", key) for key in got.keys() - expected.keys()]
    for key in expected.keys() & got.keys():
        for name in expected[key].keys() | got[key].keys():
            a, b = got[key].get(name), expected[key].get(name)
            if isinstance(a, float) and isinstance(b, float):
                if not math.isclose(a, b, rel_tol=0, abs_tol=1e-9):
                    found.append((key, name, a, b))
            elif a != b:
                found.append((key, name, a, b))
    return found


@pytest.fixture(scope="module")
def submission() -> tuple[str, bytes]:
    """The bundled example submission: its graph name and its triples."""
    sub = read_submission(resource_path("examples", "gpci-2023-submission.csv"),
                          body="Mori Memorial Foundation")
    return str(sub.iri), sub.ntriples()


@pytest.fixture(scope="module")
def reference(submission: tuple[str, bytes]) -> dict[str, dict[tuple, dict]]:
    store = OxigraphBackend()
    store.replace_graph(*submission)
    run_assessment(store, resolve_framework("paper"), run_iri=RUN)
    return {"results": normalise(store.select(RESULTS)), "links": normalise(store.select(LINKS))}


@pytest.fixture(scope="module", params=BACKENDS)
def assessed(request: pytest.FixtureRequest,
             submission: tuple[str, bytes]) -> Iterator[Backend]:
    backend = make_backend(request.param, request, timeout=300)
    before = set(backend.graph_names())
    try:
        backend.replace_graph(*submission)
        run_assessment(backend, resolve_framework("paper"), run_iri=RUN)
        yield backend
    finally:
        try:
            for name in set(backend.graph_names()) - before:
                backend.drop_graph(name)
        except EndpointError:
            pass  # the server is gone: nothing left to clean
        backend.close()


def test_same_results_on_every_backend(assessed: Backend,
                                       reference: dict[str, dict[tuple, dict]]) -> None:
    got = normalise(assessed.select(RESULTS))
    assert len(got) == len(reference["results"]) > CITIES * 10
    assert differences(got, reference["results"]) == [], assessed.name
    assert differences(normalise(assessed.select(LINKS)), reference["links"]) == [], \
        assessed.name


def test_the_run_is_one_graph(assessed: Backend) -> None:
    assert RUN in assessed.graph_names()
    assert not [g for g in assessed.graph_names() if g.startswith(RUN + "/") or "#" in g]


WEIGHTS = """PREFIX csp: <https://w3id.org/cityculture/ontology/>
SELECT DISTINCT ?node ?parent ?weight WHERE { GRAPH ?g {
  ?node csp:inFramework <https://w3id.org/cityculture/framework/paper> ; csp:level 0 ;
        csp:parentNode ?parent ; csp:weight ?weight } }"""
LEVEL_ONE = """PREFIX csp: <https://w3id.org/cityculture/ontology/>
SELECT ?node ?city ?year ?value WHERE { GRAPH <RUN> {
  ?s a csp:ElementScore ; csp:frameworkNode ?node ; csp:city ?city ; csp:refYear ?year ;
     csp:scoreValue ?value } }""".replace("RUN", RUN)


def test_indicator_scores_query_agrees_with_the_first_level(assessed: Backend) -> None:
    """queries/indicator-scores.rq lists the indicator scores the run aggregated: their
    weighted means are the run's element and dimension scores."""
    parents = {str(r["node"]): (str(r["parent"]), float(str(r["weight"])))
               for r in assessed.select(WEIGHTS)}
    sums: dict[tuple[str, str, int], list[float]] = {}
    rows = assessed.select(load_query("indicator-scores").text, {"run": URIRef(RUN)})
    for row in rows:
        parent, weight = parents[str(row["node"])]
        entry = sums.setdefault((parent, str(row["city"]), int(str(row["year"]))), [0.0, 0.0])
        entry[0] += weight * float(str(row["score"]))
        entry[1] += weight
    scores = {(str(r["node"]), str(r["city"]), int(str(r["year"]))): float(str(r["value"]))
              for r in assessed.select(LEVEL_ONE)}
    assert len(rows) > CITIES * 20 and len(scores) > CITIES * 5
    for key, value in scores.items():
        weighted, weights = sums[key]
        expected = pytest.approx(value, rel=0, abs=1e-9)
        assert weighted / weights == expected, (assessed.name, key)
