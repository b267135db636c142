"""The whole assessment runs unchanged on every backend and gives the same results.

The bundled example (the GPCI 2023 submission, as ``cityculture example`` ingests it; its
first 12 cities, since Virtuoso is slow on all 48) is assessed with the paper's framework on
embedded Oxigraph, rdflib, a real Oxigraph server and a real Virtuoso
(``tests/conftest_servers.py``; skipped where a server is unavailable). Every score, coverage,
rank and not-scored reason of the run graph must be equal, doubles within 1e-9 (read through
STR(), since Virtuoso prints doubles with six digits), as must the provenance links.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator

import pytest
from rdflib import URIRef

from cityculture.assess.frameworks import resolve_framework
from cityculture.assess.run import run_assessment
from cityculture.ingest.reader import read_submission
from cityculture.resources import resource_path
from cityculture.store.backends import Backend, OxigraphBackend
from cityculture.store.remote import EndpointError
from tests.test_backends import make_backend

RUN = "https://w3id.org/cityculture/run/test-assess-backends"
CITIES = 12
BACKENDS = ["embedded-oxigraph", "rdflib", "remote-oxigraph-server", "remote-virtuoso"]
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


def normalise(rows: list[dict]) -> list[tuple]:
    """Rows as sorted tuples: numbers as floats rounded to 9 decimals, the rest as text."""
    def key(name: str, term: object) -> tuple[int, object]:
        if term is None:
            return (2, "")
        if name in ("valueText", "cov", "rank", "year", "links"):
            number = float(str(term))
            if math.isfinite(number):
                return (0, round(number, 9))
        return (1, str(term))
    return sorted(tuple((k, key(k, v)) for k, v in sorted(row.items())) for row in rows)


@pytest.fixture(scope="module")
def submission(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, bytes]:
    """The first CITIES cities of the bundled GPCI example (Virtuoso is slow on all 48)."""
    rows = list(csv.reader(resource_path("examples", "gpci-2023-submission.csv")
                           .read_text(encoding="utf-8").splitlines()))
    cities = list(dict.fromkeys(row[0] for row in rows[1:]))[:CITIES]
    path = tmp_path_factory.mktemp("gpci") / "gpci-subset.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows([rows[0]] + [row for row in rows[1:] if row[0] in cities])
    sub = read_submission(path, body="Mori Memorial Foundation")
    return str(sub.iri), sub.ntriples()


@pytest.fixture(scope="module")
def reference(submission: tuple[str, bytes]) -> dict[str, list[tuple]]:
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
            pass  # the server gave up (Virtuoso, see above): nothing left to clean
        backend.close()


def test_same_results_on_every_backend(assessed: Backend,
                                       reference: dict[str, list[tuple]]) -> None:
    got = normalise(assessed.select(RESULTS))
    assert len(got) == len(reference["results"]) > CITIES * 10
    mismatched = [(a, b) for a, b in zip(got, reference["results"], strict=True) if a != b]
    assert mismatched == [], assessed.name
    assert normalise(assessed.select(LINKS)) == reference["links"], assessed.name


def test_the_staging_graph_is_dropped(assessed: Backend) -> None:
    assert not [g for g in assessed.graph_names() if g.startswith(RUN + "/")]
    assert URIRef(RUN)
