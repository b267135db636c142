"""CQ4-CQ12 on a small hand-checked dataset (tests/data/tiny-cities.csv, tiny-framework.ttl).

Hand computation, 2023 (min-max within indicator and year; EC-04 lower is better):
  CO-01  Alpha 10 -> 50, Beta 0 -> 0, Gamma 5 -> 25, Delta 20 -> 100, Epsilon 7 -> 35
  AP-03  Alpha 80 -> 100, Beta 40 -> 33.33, Gamma 60 -> 66.67, Delta 20 -> 0
  EC-04  Alpha 5 -> 100, Beta 10 -> 50, Gamma 15 -> 0, Delta 5 -> 100
  SOFT = mean(CO, AP): Alpha 75, Beta 16.67, Gamma 45.83, Delta 50, Epsilon 35 (CO only:
         coverage 1/2 meets the minimum 0.5); HARD = EC; Epsilon has no hard power index.
2022 differs only in CO-01 Alpha 20 -> CO Alpha 100 (tied with Delta), SOFT Alpha 100.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, URIRef

from cityculture.assess.frameworks import resolve_framework
from cityculture.assess.run import run_assessment
from cityculture.ingest.observations import CITY_BASE
from cityculture.ingest.reader import read_submission
from cityculture.queries import bind_parameters, load_query
from cityculture.store.backends import OxigraphBackend
from cityculture.validate.engine import validate_submissions

DATA = Path(__file__).resolve().parent / "data"
ALPHA, BETA, GAMMA, DELTA, EPSILON = (URIRef(CITY_BASE + q) for q in
                                      ("Q1001", "Q1002", "Q1003", "Q1004", "Q1005"))


@pytest.fixture(scope="module")
def assessed() -> tuple[OxigraphBackend, str]:
    store = OxigraphBackend()
    submission = read_submission(DATA / "tiny-cities.csv")
    store.replace_graph(submission.iri, submission.ntriples())
    run = run_assessment(store, resolve_framework(DATA / "tiny-framework.ttl"))
    return store, run.iri


def ask(store: OxigraphBackend, name: str, **params: object) -> list[dict]:
    bindings = {k: (v if isinstance(v, URIRef | Literal) else Literal(v))
                for k, v in params.items()}
    return store.select(load_query(name).text, bindings)


def test_cq4_scores_indices_and_ranks(assessed: tuple[OxigraphBackend, str]) -> None:
    store, run = assessed
    rows = ask(store, "cq04-city-scores", run=URIRef(run), city=ALPHA, year=2023)
    got = {str(r["code"]): (round(float(r["score"]), 4), int(r["rank"])) for r in rows}
    assert got == {"SOFT": (75.0, 1), "HARD": (100.0, 1), "CO": (50.0, 2), "AP": (100.0, 1),
                   "EC": (100.0, 1)}
    beta = {str(r["code"]): (round(float(r["score"]), 4), int(r["rank"]))
            for r in ask(store, "cq04-city-scores", run=URIRef(run), city=BETA, year=2023)}
    assert beta["SOFT"] == (16.6667, 5)
    assert beta["HARD"] == (50.0, 3)  # Alpha and Delta tie at 100, rank 1


def test_cq4_not_scored_with_reason(assessed: tuple[OxigraphBackend, str]) -> None:
    store, run = assessed
    rows = ask(store, "cq04-city-scores", run=URIRef(run), city=EPSILON, year=2023)
    by_code = {str(r["code"]): r for r in rows}
    assert float(by_code["SOFT"]["score"]) == pytest.approx(35.0)
    assert float(by_code["SOFT"]["coverage"]) == pytest.approx(0.5)
    assert by_code["AP"]["score"] is None
    assert "0 of 1" in str(by_code["AP"]["notScoredReason"])
    assert by_code["HARD"]["score"] is None and by_code["HARD"]["notScoredReason"] is not None


def test_cq5_balance_quadrants_and_dislocation(assessed: tuple[OxigraphBackend, str]) -> None:
    store, run = assessed
    rows = ask(store, "cq05-soft-hard-balance", run=URIRef(run), year=2023)
    got = {r["city"]: (round(float(r["gap"]), 2), str(r["quadrant"]), r["dislocated"].toPython())
           for r in rows}
    assert got == {
        ALPHA: (-25.0, "strong-strong", False),
        BETA: (-33.33, "hard-led", True),
        GAMMA: (45.83, "weak-weak", True),
        DELTA: (-50.0, "strong-strong", True),
    }
    ratios = {r["city"]: r["ratio"] for r in rows}
    assert float(ratios[ALPHA]) == pytest.approx(0.75)
    assert ratios[GAMMA] is None  # hard power index 0


def test_cq6_peer_learning(assessed: tuple[OxigraphBackend, str]) -> None:
    store, run = assessed
    rows = ask(store, "cq06-peer-learning", run=URIRef(run), city=GAMMA, year=2023)
    got = {(str(r["elementLabel"]), r["peer"], str(r["comparable"]), str(r["relation"]))
           for r in rows}
    assert got == {
        ("cohesion of city culture", DELTA, "same nation", "draws lessons from"),
        ("appeal of city culture", DELTA, "same nation", "stronger than"),
        ("cohesion of city culture", EPSILON, "same nation", "draws lessons from"),
    }
    beta = ask(store, "cq06-peer-learning", run=URIRef(run), city=BETA, year=2023)
    assert {(r["peer"], str(r["relation"])) for r in beta} == {(ALPHA, "draws lessons from")}


def test_cq7_national_share(assessed: tuple[OxigraphBackend, str]) -> None:
    store, run = assessed
    rows = ask(store, "cq07-national-share", run=URIRef(run), year=2023)
    got = {r["city"]: (str(r["country"]), round(float(r["share"]), 4), r["leads"].toPython())
           for r in rows}
    assert got == {
        ALPHA: ("FR", 0.8182, True), BETA: ("FR", 0.1818, False),
        DELTA: ("DE", 0.3822, True), GAMMA: ("DE", 0.3503, False),
        EPSILON: ("DE", 0.2675, False),
    }


def test_cq10_provenance_down_to_file_and_row(assessed: tuple[OxigraphBackend, str]) -> None:
    store, run = assessed
    (soft,) = [r for r in ask(store, "cq04-city-scores", run=URIRef(run), city=ALPHA, year=2023)
               if str(r["code"]) == "SOFT"]
    score_iri = store.select("""
        PREFIX csp: <https://w3id.org/cityculture/ontology/>
        SELECT ?s WHERE { GRAPH ?run { ?s csp:frameworkNode ?node ; csp:city ?city ;
                                          csp:refYear 2023 } }""",
        {"run": URIRef(run), "node": soft["node"], "city": ALPHA})[0]["s"]
    rows = ask(store, "cq10-provenance", score=score_iri)
    got = {(str(r["indicator"]).rsplit("/", 1)[-1], str(r["file"]), int(r["row"]),
            float(r["value"])) for r in rows}
    assert got == {("CO-01", "tiny-cities.csv", 2, 10.0), ("AP-03", "tiny-cities.csv", 6, 80.0)}
    assert {str(r["normalisation"]) for r in rows} == {
        "https://w3id.org/cityculture/ontology/minMax"}


def test_cq12_change_between_years(assessed: tuple[OxigraphBackend, str]) -> None:
    store, run = assessed
    rows = ask(store, "cq12-year-change", run=URIRef(run), city=ALPHA, **{"from": 2022, "to": 2023})
    got = {str(r["code"]): (round(float(r["change"]), 2), int(r["rankChange"])) for r in rows}
    assert got["CO"] == (-50.0, -1)  # tied first in 2022, second in 2023
    assert got["SOFT"] == (-25.0, 0)
    assert got["HARD"] == (0.0, 0)


def test_compare_runs_after_a_weight_change(assessed: tuple[OxigraphBackend, str],
                                            tmp_path: Path) -> None:
    store, run = assessed
    text = (DATA / "tiny-framework.ttl").read_text(encoding="utf-8")
    heavier = text.replace('csp:standsFor csp:appeal ; csp:parentNode t:SOFT ; csp:weight 1 ;',
                           'csp:standsFor csp:appeal ; csp:parentNode t:SOFT ; csp:weight 3 ;')
    assert heavier != text
    path = tmp_path / "tiny-heavy-appeal.ttl"
    path.write_text(heavier, encoding="utf-8")
    second = run_assessment(store, resolve_framework(path))
    rows = ask(store, "compare-runs", runA=URIRef(run), runB=URIRef(second.iri))
    soft = {r["city"]: (int(r["rankA"]), int(r["rankB"])) for r in rows
            if str(r["code"]) == "SOFT" and int(r["year"]) == 2023}
    # appeal x3: Gamma (25, 66.67) -> 56.25 passes Delta (100, 0) -> 25
    assert soft[GAMMA] == (3, 2)
    assert soft[DELTA] == (2, 4)


def test_cq8_and_cq9_activities_heritage_products() -> None:
    data = Graph().parse(DATA / "paris-culture.ttl")
    dataset = Dataset()
    dataset.graph(URIRef("urn:data")).__iadd__(data)
    from cityculture.model import load_model

    dataset.graph(URIRef("urn:model")).__iadd__(load_model())
    paris = URIRef(CITY_BASE + "Q90")
    rows = dataset.query(bind_parameters(load_query("cq08-cultural-activities").text,
                                         {"city": paris}))
    got = {(str(r.activityLabel), str(r.kindLabel), str(r.organiserKind), str(r.elementLabel))
           for r in rows}
    assert got == {
        ("Fête de la Musique", "cultural celebration", "government",
         "integration force of city culture"),
        ("Paris Photo", "commercial cultural activity", "non-governmental organiser",
         "integration force of city culture"),
        ("Neighbourhood art show", "exhibition", "civilians",
         "integration force of city culture"),
    }
    rows = dataset.query(bind_parameters(load_query("cq09-heritage-and-products").text,
                                         {"city": paris}))
    got = {(str(r.heritageLabel), str(r.productLabel) if r.productLabel else None,
            str(r.enterpriseLabel) if r.enterpriseLabel else None) for r in rows}
    assert got == {
        ("Paris, Banks of the Seine", "Seine river heritage guidebook", "Éditions Lutèce"),
        ("Paris, Banks of the Seine", "Notre-Dame in virtual reality", "Studio Quai"),
        ("Palace of Versailles", None, None),
    }


def test_cq11_failed_validations_from_report_graphs(tmp_path: Path) -> None:
    from .test_validation import CASES, write_csv

    first = write_csv(tmp_path / "city-a.csv", CASES["VALUE-OUT-OF-RANGE"][0])
    second = write_csv(tmp_path / "city-b.csv", CASES["UNIT-MISMATCH"][0])
    dataset = Dataset()
    for path in (first, second):
        report = validate_submissions([read_submission(path)])
        dataset.graph(URIRef(f"urn:report:{path.name}")).__iadd__(report.to_graph())
    rows = dataset.query(load_query("cq11-failed-validations").text)
    got = {(str(r.file), int(r.row), str(r.column), str(r.code)) for r in rows}
    assert got == {("city-a.csv", 5, "F (value)", "VALUE-OUT-OF-RANGE"),
                   ("city-b.csv", 3, "G (unit)", "UNIT-MISMATCH")}


@pytest.mark.reasoner
def test_hermit_classifies_cities_from_their_balance(assessed: tuple[OxigraphBackend, str]) -> None:
    from cityculture.assess.classify import classify_cities

    store, run = assessed
    classes = classify_cities(store, run, 2023)
    short = {URIRef(city): {c.rsplit("/", 1)[-1] for c in found}
             for city, found in classes.items()}
    assert short == {
        ALPHA: {"CityInHarmony"},
        BETA: {"HardPowerLedCity", "CityInDislocation"},
        GAMMA: {"CityInDislocation"},
        DELTA: {"CityInDislocation"},
    }
    written = store.select("""
        PREFIX csp: <https://w3id.org/cityculture/ontology/>
        SELECT ?city WHERE { GRAPH ?run { ?city a csp:CityInDislocation } }""",
        {"run": URIRef(run)})
    assert {r["city"] for r in written} == {BETA, GAMMA, DELTA}
