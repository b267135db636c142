"""A researcher's own indicators: declared in RDF, they validate and load like bundled ones."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from cityculture.cli import main
from cityculture.ingest.errors import UnusableInput
from cityculture.ingest.reader import read_submission
from cityculture.ingest.scheme import load_scheme
from cityculture.ingest.vocabulary import vocabulary
from cityculture.resources import resource_path
from cityculture.store.backends import OxigraphBackend
from cityculture.validate.engine import validate_submissions

SCHEME = resource_path("examples", "own-indicators/scheme.ttl")
CSV = resource_path("examples", "own-indicators/submission.csv")
TTL = resource_path("examples", "own-indicators/submission.ttl")
HEADER = "city_qid,city_name,country,indicator,year,value,unit,source"


def _validate(path: Path, scheme_files: list[Path]) -> list[tuple[str, int | None]]:
    scheme = load_scheme(scheme_files, bundled=vocabulary().indicators)
    vocab = vocabulary().with_scheme(scheme)
    report = validate_submissions([read_submission(path, vocab=vocab)], scheme=scheme.triples)
    return [(f.code, f.row) for f in report.findings]


def _csv(path: Path, *rows: str) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_scheme_declares_two_indicators_and_a_unit() -> None:
    scheme = load_scheme([SCHEME])
    assert sorted(i.notation for i in scheme.indicators) == ["MS-01", "MS-02"]
    assert scheme.units == {"VISITS-PER-RESIDENT": "https://example.org/museum-survey/"
                                                   "visitsPerResident"}
    ms02 = next(i for i in scheme.indicators if i.notation == "MS-02")
    assert ms02.unit_notation == "PERCENT" and ms02.direction.endswith("lowerIsBetter")


@pytest.mark.parametrize("path", [CSV, TTL], ids=["csv", "turtle"])
def test_example_submissions_validate_only_with_the_scheme(path: Path) -> None:
    assert _validate(path, [SCHEME]) == []
    assert {code for code, _ in _validate(path, [])} == {"UNKNOWN-INDICATOR"}


def test_xlsx_with_own_indicators_validates(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Data"
    with CSV.open(encoding="utf-8") as handle:
        for row in csv.reader(handle):
            sheet.append(row)
    path = tmp_path / "own.xlsx"
    workbook.save(path)
    assert _validate(path, [SCHEME]) == []


def test_unit_and_range_are_checked_for_own_indicators(tmp_path: Path) -> None:
    path = _csv(tmp_path / "bad.csv",
                "Q90,Paris,FR,MS-01,2023,2.41,PERCENT,survey",       # row 2: wrong unit
                "Q90,Paris,FR,MS-02,2023,120,PERCENT,survey",        # row 3: above 100 %
                "Q456,Lyon,FR,MS-01,2023,-1,VISITS-PER-RESIDENT,survey")  # row 4: negative
    assert _validate(path, [SCHEME]) == [("UNIT-MISMATCH", 2), ("VALUE-OUT-OF-RANGE", 3),
                                         ("VALUE-OUT-OF-RANGE", 4)]


def _scheme_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "mine.ttl"
    path.write_text("""
@prefix csp: <https://w3id.org/cityculture/ontology/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix unit: <http://qudt.org/vocab/unit/> .
@prefix my: <https://example.org/my/> .
""" + body, encoding="utf-8")
    return path


COMPLETE = ('skos:notation "MY-01" ; skos:prefLabel "Mine"@en ; csp:unit unit:PERCENT ; '
            'csp:valueKind csp:percentage ; csp:direction csp:higherIsBetter')


@pytest.mark.parametrize(("change", "expected"), [
    (("csp:valueKind csp:percentage ; ", ""), "my:MY-01 has no csp:valueKind"),
    (("csp:percentage", "csp:percentag"), "csp:valueKind <https://w3id.org/cityculture/"
                                          "ontology/percentag> is not a value kind"),
    (("csp:higherIsBetter", "csp:higherIsBest"), "is not a direction"),
    (("unit:PERCENT", "my:furlong"), "csp:unit <https://example.org/my/furlong> is neither"),
    (('skos:prefLabel "Mine"@en ; ', ""), "has no skos:prefLabel"),
    (('"MY-01"', '"CO-01"'), "the notation is already used by "
                             "<https://w3id.org/cityculture/indicator/CO-01>"),
], ids=["no-kind", "misspelt-kind", "bad-direction", "undeclared-unit", "no-label",
        "bundled-notation"])
def test_incomplete_declarations_are_refused_naming_file_concept_and_property(
        tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    path = _scheme_file(tmp_path, "my:MY-01 a skos:Concept ; "
                        + COMPLETE.replace(*change) + " .")
    with pytest.raises(UnusableInput) as caught:
        load_scheme([path], bundled=vocabulary().indicators)
    message = str(caught.value)
    assert message.startswith(str(path)) and "<https://example.org/my/MY-01>" in message
    assert expected.replace("my:MY-01", "<https://example.org/my/MY-01>") in str(caught.value)
    data = _csv(tmp_path / "d.csv", "Q90,Paris,FR,MY-01,2023,4,PERCENT,x")
    result = CliRunner().invoke(main, ["validate", str(data), "--scheme", str(path)])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "Traceback" not in result.output


def test_cli_validate_and_load_with_scheme(tmp_path: Path) -> None:
    store = tmp_path / "store"
    runner = CliRunner()
    refused = runner.invoke(main, ["load", str(CSV), "--store", str(store)])
    assert refused.exit_code == 1 and "UNKNOWN-INDICATOR" in refused.output
    with OxigraphBackend(store) as embedded:
        assert embedded.graph_names() == []  # the refused load left the store as it was
    ok = runner.invoke(main, ["validate", str(CSV), str(TTL), "--scheme", str(SCHEME),
                              "--format", "json"])
    assert ok.exit_code == 0 and json.loads(ok.output)["conforms"] is True
    loaded = runner.invoke(main, ["load", str(CSV), "--store", str(store), "--scheme",
                                  str(SCHEME)])
    assert loaded.exit_code == 0, loaded.output
    with OxigraphBackend(store) as embedded:
        names = embedded.graph_names()
        assert any(n.startswith("https://w3id.org/cityculture/graph/scheme/") for n in names)
        rows = embedded.select("""
            PREFIX csp: <https://w3id.org/cityculture/ontology/>
            PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
            SELECT ?notation (SUM(?v) AS ?total) WHERE {
              GRAPH ?g { ?o csp:indicator ?i ; csp:value ?v }
              GRAPH ?s { ?i skos:notation ?notation }
            } GROUP BY ?notation ORDER BY ?notation""")
    assert [(str(r["notation"]), round(float(r["total"]), 2)) for r in rows] == [
        ("MS-01", 4.28), ("MS-02", 82.5)]


def test_template_for_a_framework_lists_its_indicators(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["template", str(tmp_path), "--framework", str(SCHEME)])
    assert result.exit_code == 0, result.output
    with (tmp_path / "indicators.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["indicator"], r["unit"], r["higher_is_better"]) for r in rows] == [
        ("MS-01", "VISITS-PER-RESIDENT", "true"), ("MS-02", "PERCENT", "false")]
    listing = load_workbook(tmp_path / "submission-template.xlsx")["Indicators"]
    assert [row[0] for row in listing.iter_rows(min_row=2, values_only=True)] == ["MS-01",
                                                                                   "MS-02"]
    header = (tmp_path / "submission-template.csv").read_text(encoding="utf-8").strip()
    assert header == HEADER
    assert not (tmp_path / "cities.csv").exists()


def test_template_refuses_a_file_without_indicators(tmp_path: Path) -> None:
    path = _scheme_file(tmp_path, "my:x a skos:ConceptScheme .")
    result = CliRunner().invoke(main, ["template", str(tmp_path / "out"), "--framework",
                                       str(path)])
    assert result.exit_code == 2 and "declares no indicator" in result.output


def test_a_bundled_indicator_keeps_its_unit(tmp_path: Path) -> None:
    path = _scheme_file(tmp_path, """
@prefix ind: <https://w3id.org/cityculture/indicator/> .
ind:CO-06 a skos:Concept ; skos:notation "CO-06" ; skos:prefLabel "Culture share"@en ;
    csp:unit unit:NUM ; csp:valueKind csp:percentage ; csp:direction csp:higherIsBetter .""")
    with pytest.raises(UnusableInput, match=r"CO-06 .* is a bundled indicator with csp:unit "
                                             r"<http://qudt.org/vocab/unit/PERCENT>"):
        load_scheme([path], bundled=vocabulary().indicators)
    restated = _scheme_file(tmp_path, """
@prefix ind: <https://w3id.org/cityculture/indicator/> .
ind:CO-06 a skos:Concept ; skos:notation "CO-06" ; skos:prefLabel "Culture share"@en ;
    csp:unit unit:PERCENT ; csp:valueKind csp:percentage ; csp:direction csp:higherIsBetter .""")
    assert [i.notation for i in load_scheme([restated], bundled=vocabulary().indicators)
            .indicators] == ["CO-06"]


def test_a_declaration_given_twice_counts_once(tmp_path: Path) -> None:
    scheme = load_scheme([SCHEME, SCHEME], bundled=vocabulary().indicators)
    assert [i.notation for i in scheme.indicators] == ["MS-01", "MS-02"]


FRAMEWORK_NODES = """
@prefix ms:   <https://example.org/museum-survey/> .
@prefix fw:   <https://example.org/museum-index/> .
<https://example.org/museum-index> a csp:AssessmentFramework ;
    rdfs:label "museum index"@en ; csp:normalisation csp:minMax ; csp:minimumCoverage 0.5 .
fw:INDEX a csp:FrameworkNode ; csp:inFramework <https://example.org/museum-index> ;
    csp:level 1 ; csp:aggregation csp:weightedMean ; rdfs:label "museums"@en ;
    skos:notation "MUSEUMS" .
fw:MS-01 a csp:FrameworkNode ; csp:inFramework <https://example.org/museum-index> ;
    csp:level 0 ; csp:standsFor ms:MS-01 ; csp:parentNode fw:INDEX ; csp:weight 1 ;
    skos:notation "MS-01" .
fw:MS-02 a csp:FrameworkNode ; csp:inFramework <https://example.org/museum-index> ;
    csp:level 0 ; csp:standsFor ms:MS-02 ; csp:parentNode fw:INDEX ; csp:weight 1 ;
    skos:notation "MS-02" .
"""


def test_assess_with_a_framework_that_declares_its_indicators(tmp_path: Path) -> None:
    framework = tmp_path / "museum-index.ttl"
    framework.write_text(SCHEME.read_text(encoding="utf-8") + FRAMEWORK_NODES, encoding="utf-8")
    runner = CliRunner()
    refused = runner.invoke(main, ["assess", str(CSV), "--format", "json"])
    assert refused.exit_code == 1  # the bundled paper framework does not know MS-01, MS-02
    result = runner.invoke(main, ["assess", str(CSV), "--framework", str(framework),
                                  "--format", "json"])
    assert result.exit_code == 0, result.output
    scores = {r["name"]: r["scores"]["MUSEUMS"]
              for r in json.loads(result.stdout[result.stdout.index("["):])}
    # Paris visits more museums (2.41 > 1.87) and fewer of its residents visit none
    # (38.5 % < 44 %, lower is better): min-max gives it 100 on both, Lyon 0
    assert scores == {"Paris": 100.0, "Lyon": 0.0}
