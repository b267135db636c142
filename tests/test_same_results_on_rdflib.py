"""The assessment and the CQ queries give the same results on rdflib and on Oxigraph."""

from __future__ import annotations

from pathlib import Path

from rdflib import Literal, URIRef

from cityculture.assess.frameworks import resolve_framework
from cityculture.assess.run import run_assessment
from cityculture.ingest.reader import read_submission
from cityculture.queries import bind_parameters, load_query
from cityculture.store.backends import OxigraphBackend, RdflibBackend

DATA = Path(__file__).resolve().parent / "data"
RUN = "https://w3id.org/cityculture/run/cross-backend"


def normalise(rows: list[dict]) -> list[tuple]:
    def key(term: object) -> object:
        if isinstance(term, Literal) and isinstance(term.toPython(), int | float):
            return round(float(term.toPython()), 9)
        if isinstance(term, Literal) and term.datatype and str(term.datatype).endswith("decimal"):
            return round(float(term), 9)
        return str(term) if term is not None else None
    return sorted(tuple(sorted((k, key(v)) for k, v in row.items())) for row in rows)


def assessed(store: OxigraphBackend | RdflibBackend) -> None:
    submission = read_submission(DATA / "tiny-cities.csv")
    store.replace_graph(submission.iri, submission.ntriples())
    run_assessment(store, resolve_framework(DATA / "tiny-framework.ttl"), run_iri=RUN)


def test_cq_results_equal_on_both_engines() -> None:
    oxigraph, reference = OxigraphBackend(), RdflibBackend()
    assessed(oxigraph)
    assessed(reference)
    run = URIRef(RUN)
    gamma = URIRef("https://w3id.org/cityculture/city/Q1003")
    for name, params in [
        ("cq04-city-scores", {"run": run}),
        ("cq05-soft-hard-balance", {"run": run}),
        ("cq06-peer-learning", {"run": run, "city": gamma}),
        ("cq07-national-share", {"run": run}),
        ("cq12-year-change", {"run": run, "from": Literal(2022), "to": Literal(2023)}),
    ]:
        query = bind_parameters(load_query(name).text, params)
        left, right = normalise(oxigraph.select(query)), normalise(reference.select(query))
        assert left == right, name
        assert left, name
