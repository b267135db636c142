"""The REDS Spanish Cities SDG Index 2018 reproduced by the engine, from the raw values.

examples/sdg-es-2018/ holds the raw values (submission.csv) and the REDS method as
frameworks (framework.ttl, framework-wo14.ttl: goalposts, means of the available scores,
goal 14 filled with the mean of the cities that have it). Every published indicator score
(the workbook's ``n_`` columns), goal score and ``avg`` (``avg (wo SDG14)`` for the second
framework) of the 100 cities must come out within 1e-6, and the index ranks must be 1 + the
number of higher published scores. The observations are loaded as the ingest stage writes
them (city IRIs from the framework's city code list). Skipped where the example or the
workbook (../shared) is absent.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from cityculture.assess.frameworks import resolve_framework
from cityculture.assess.run import assess
from cityculture.queries import load_query
from cityculture.resources import resource_dir
from cityculture.store.backends import OxigraphBackend

EXAMPLE = resource_dir("examples") / "sdg-es-2018"
WORKBOOK = (Path(__file__).resolve().parents[2] / "shared" / "data" / "sdg-es-cities"
            / "ods-es-cities-by-regions-2018.xlsx")
CSP = "https://w3id.org/cityculture/ontology/"
XSD = "http://www.w3.org/2001/XMLSchema#"
VOID_URI_SPACE = URIRef("http://rdfs.org/ns/void#uriSpace")
GOALS = [f"SDG{n:02d}" for n in range(1, 18)]

pytestmark = pytest.mark.skipif(
    not (EXAMPLE / "framework.ttl").is_file() or not WORKBOOK.is_file(),
    reason="examples/sdg-es-2018 or the REDS workbook in ../shared is absent")


def published() -> dict[str, dict[str, float | None]]:
    """City id -> the workbook's published columns (n_ scores, goals, avg)."""
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.load_workbook(WORKBOOK, read_only=True, data_only=True)
    rows = list(book["100 Cities Index"].iter_rows(values_only=True))
    header = [str(h) if h is not None else "" for h in rows[0]]
    wanted = [h for h in header if h.startswith("n_")] + [g.lower() for g in GOALS] + [
        "avg", "avg (wo SDG14)"]
    at = {name: header.index(name) for name in ["id", *wanted]}
    book.close()
    return {str(row[at["id"]]): {name: None if row[at[name]] is None else float(row[at[name]])
                                  for name in wanted}
            for row in rows[1:] if row[at["id"]]}


def observations(framework: Graph) -> bytes:
    """Return the submission's rows as observations (cities and indicators by notation)."""
    codes = next(framework.subjects(VOID_URI_SPACE, None))
    city = {str(framework.value(c, SKOS.notation)): c
            for c in framework.subjects(SKOS.inScheme, codes)}
    indicator = {str(n): s for s, n in framework.subject_objects(SKOS.notation)
                 if (s, DCTERMS.identifier, None) in framework}
    lines = []
    with (EXAMPLE / "submission.csv").open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle)):
            obs = f"<https://example.org/sdg-es-2018/obs/{number}>"
            lines += [f"{obs} <{CSP}city> <{city[row['city_code']]}> .",
                      f"{obs} <{CSP}indicator> <{indicator[row['indicator']]}> .",
                      f'{obs} <{CSP}refYear> "{row["year"]}"^^<{XSD}integer> .',
                      f'{obs} <{CSP}value> "{row["value"]}"^^<{XSD}double> .']
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def store() -> OxigraphBackend:
    backend = OxigraphBackend()
    framework = Graph().parse(EXAMPLE / "framework.ttl", format="turtle")
    backend.replace_graph("https://example.org/sdg-es-2018/data", observations(framework))
    return backend


def city_ids() -> dict[str, str]:
    """City IRI -> the workbook's id (the framework's code list)."""
    framework = Graph().parse(EXAMPLE / "framework.ttl", format="turtle")
    codes = next(framework.subjects(VOID_URI_SPACE, None))
    return {str(c): str(framework.value(c, SKOS.notation))
            for c in framework.subjects(SKOS.inScheme, codes)}


def run_scores(store: OxigraphBackend, run: str) -> tuple[dict[tuple[str, str], float],
                                                           dict[tuple[str, str], int]]:
    """(city id, code) -> score, for indicator scores and the nodes above; and ranks."""
    ids = city_ids()
    scores: dict[tuple[str, str], float] = {}
    ranks: dict[tuple[str, str], int] = {}
    for row in store.select(load_query("indicator-scores").text, {"run": URIRef(run)}):
        scores[ids[str(row["city"])], str(row["code"])] = float(row["score"])  # type: ignore[arg-type]
    for row in store.select(load_query("cq04-city-scores").text, {"run": URIRef(run),
                                                                   "year": Literal(2018)}):
        key = (ids[str(row["city"])], str(row["code"]))
        if row["score"] is not None:
            scores[key] = float(row["score"])  # type: ignore[arg-type]
            ranks[key] = int(row["rank"])  # type: ignore[arg-type]
    return scores, ranks


def index_checks(scores: dict[tuple[str, str], float], ranks: dict[tuple[str, str], int],
                 expected: dict[str, dict[str, float | None]], column: str) -> None:
    totals = {city: columns[column] for city, columns in expected.items()}
    assert all(total is not None for total in totals.values())
    for city, total in totals.items():
        assert scores[city, "SDGI"] == pytest.approx(total, abs=1e-6), city
        higher = sum(other > total + 1e-9 for other in totals.values())  # type: ignore[operator]
        assert ranks[city, "SDGI"] == 1 + higher, city


def test_every_published_score_is_reproduced(store: OxigraphBackend) -> None:
    expected = published()
    assert len(expected) == 100
    framework = Graph().parse(EXAMPLE / "framework.ttl", format="turtle")
    code = {str(key): str(framework.value(s, SKOS.notation))
            for s, key in framework.subject_objects(DCTERMS.identifier)}
    scores, ranks = run_scores(store, assess(store, resolve_framework(
        EXAMPLE / "framework.ttl")).iri)
    compared = 0
    for city, columns in expected.items():
        for name, value in columns.items():
            if name.startswith("n_"):
                key = (city, code[name[2:]])
            elif name.startswith("sdg"):
                key = (city, name.upper())
            else:
                continue
            if value is None:
                assert key not in scores, key
            else:
                assert scores[key] == pytest.approx(value, abs=1e-6), key
                compared += 1
    assert compared > 100 * 80
    index_checks(scores, ranks, expected, "avg")


def test_the_index_without_goal_14(store: OxigraphBackend) -> None:
    expected = published()
    scores, ranks = run_scores(store, assess(store, resolve_framework(
        EXAMPLE / "framework-wo14.ttl")).iri)
    index_checks(scores, ranks, expected, "avg (wo SDG14)")
    assert not [key for key in scores if key[1] == "SDG14"]
