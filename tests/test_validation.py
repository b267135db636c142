"""A bad submission for every finding code: code, row and column are reported exactly.

Each case starts from a clean CSV, changes one thing, and expects exactly one finding. The
same cases run through pySHACL (the reference engine) and must give the same findings.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.namespace import SH

from cityculture.cli import main
from cityculture.ingest.reader import read_submission
from cityculture.validate.engine import result_keys, validate_submissions

HEADER = "city_qid,city_name,country,indicator,year,value,unit,source"
CLEAN = [
    "Q90,Paris,FR,CO-01,2023,4,NUM,UNESCO",          # row 2
    "Q90,Paris,FR,EC-04,2023,7.1,PERCENT,INSEE",     # row 3
    "Q64,Berlin,DE,CO-01,2023,3,NUM,UNESCO",         # row 4
    "Q64,Berlin,DE,EC-04,2023,5.2,PERCENT,Destatis",  # row 5
]


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def replace(row: int, column: str, value: str, rows: list[str] | None = None) -> list[str]:
    rows = list(rows or CLEAN)
    cells = rows[row - 2].split(",")
    cells[HEADER.split(",").index(column)] = value
    rows[row - 2] = ",".join(cells)
    return rows


# code -> (rows, expected row, expected column name)
CASES = {
    "MISSING-CITY": (replace(3, "city_qid", ""), 3, "city_qid"),
    "MISSING-INDICATOR": (replace(3, "indicator", ""), 3, "indicator"),
    "MISSING-YEAR": (replace(3, "year", ""), 3, "year"),
    "MISSING-VALUE": (replace(3, "value", ""), 3, "value"),
    "MISSING-UNIT": (replace(3, "unit", ""), 3, "unit"),
    "MISSING-SOURCE": (replace(3, "source", ""), 3, "source"),
    "YEAR-NOT-INTEGER": (replace(4, "year", "20x3"), 4, "year"),
    "YEAR-OUT-OF-RANGE": (replace(4, "year", "1850"), 4, "year"),
    "UNKNOWN-INDICATOR": (replace(5, "indicator", "XX-99"), 5, "indicator"),
    "VALUE-NOT-NUMBER": (replace(3, "value", '"7,1"'), 3, "value"),
    "UNIT-MISMATCH": (replace(3, "unit", "NUM"), 3, "unit"),
    "VALUE-OUT-OF-RANGE": (replace(5, "value", "120"), 5, "value"),
    "COUNT-NOT-WHOLE": (replace(2, "value", "2.5"), 2, "value"),
    "DUPLICATE-KEY": ([*CLEAN, "Q90,Paris,FR,CO-01,2023,5,NUM,Other"], 6, "year"),
    "BAD-QID": (replace(5, "city_qid", "X64", replace(4, "city_qid", "X64")), 4, "city_qid"),
    "MISSING-COUNTRY": (replace(5, "country", "", replace(4, "country", "")), 4, "country"),
    "BAD-COUNTRY": (replace(5, "country", "deu", replace(4, "country", "deu")), 4, "country"),
    # the row that holds the second country, not the city's first row
    "CITY-IN-TWO-COUNTRIES": (replace(3, "country", "DE"), 3, "country"),
    "MISSING-CITY-NAME": (replace(5, "city_name", "", replace(4, "city_name", "")), 4,
                          "city_name"),
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_finding_code_is_located(tmp_path: Path, code: str) -> None:
    rows, row, column = CASES[code]
    path = write_csv(tmp_path / f"{code.lower()}.csv", rows)
    report = validate_submissions([read_submission(path)])
    assert [(f.code, f.row) for f in report.findings] == [(code, row)], report.to_table()
    (finding,) = report.findings
    assert finding.severity == str(SH.Violation)
    assert finding.file == path.name
    assert finding.column is not None and finding.column.endswith(f"({column})")
    assert finding.message and finding.message_zh
    assert finding.shape.startswith("https://w3id.org/cityculture/shapes/")
    assert not report.conforms


def test_clean_submission_conforms(tmp_path: Path) -> None:
    report = validate_submissions([read_submission(write_csv(tmp_path / "ok.csv", CLEAN))])
    assert report.findings == []
    assert report.conforms


def test_message_names_the_value(tmp_path: Path) -> None:
    rows, _, _ = CASES["UNIT-MISMATCH"]
    report = validate_submissions([read_submission(write_csv(tmp_path / "u.csv", rows))])
    (finding,) = report.findings
    assert finding.value == "http://qudt.org/vocab/unit/NUM"
    assert "EC-04" in finding.message and "PERCENT" in finding.message


def test_conflict_across_submissions_is_a_warning(tmp_path: Path) -> None:
    first = write_csv(tmp_path / "a.csv", CLEAN)
    second = write_csv(tmp_path / "b.csv", replace(2, "value", "5", CLEAN[:1]))
    report = validate_submissions([read_submission(first), read_submission(second)])
    codes = {(f.code, f.file, f.row) for f in report.findings}
    assert codes == {("CONFLICTING-VALUE", "a.csv", 2), ("CONFLICTING-VALUE", "b.csv", 2)}
    assert not report.conforms  # SHACL: any result
    assert report.accepted  # the project's policy: warnings do not block


def test_year_over_year_change_warning(tmp_path: Path) -> None:
    rows = [*CLEAN, "Q90,Paris,FR,CO-01,2022,40,NUM,UNESCO"]
    report = validate_submissions([read_submission(write_csv(tmp_path / "y.csv", rows))])
    assert [(f.code, f.row, f.severity) for f in report.findings] == [
        ("SUSPICIOUS-CHANGE", 2, str(SH.Warning))]
    assert "by 90 %" in report.findings[0].message


def test_outlier_warning(tmp_path: Path) -> None:
    rows = [f"Q{100 + i},City {i},FR,IS-04,2023,{30 + i % 3},MIN,survey" for i in range(12)]
    rows.append("Q999,Far,FR,IS-04,2023,3000,MIN,survey")
    report = validate_submissions([read_submission(write_csv(tmp_path / "o.csv", rows))])
    assert [(f.code, f.row) for f in report.findings] == [("SUSPICIOUS-OUTLIER", 14)]


RDF_PREFIXES = """
@prefix csp: <https://w3id.org/cityculture/ontology/> .
@prefix ind: <https://w3id.org/cityculture/indicator/> .
@prefix qb: <http://purl.org/linked-data/cube#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix unit: <http://qudt.org/vocab/unit/> .
@prefix ex: <https://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:paris a csp:City ; csp:qid "Q90" ; csp:countryCode "FR" ; rdfs:label "Paris" .
"""
GOOD_OBS = ("csp:city ex:paris ; csp:indicator ind:CO-01 ; csp:refYear 2023 ; csp:value 4 ; "
            "csp:unitMeasure unit:NUM ; dcterms:source \"UNESCO\"")
RDF_CASES = {
    "QB-IC1-DATASET": f"ex:o1 a csp:Observation ; {GOOD_OBS} .",
    "MULTIPLE-VALUES": f"ex:o1 a csp:Observation ; qb:dataSet ex:ds ; {GOOD_OBS} ; csp:value 5 .",
    "QB-IC2-STRUCTURE": f"ex:ds a csp:Submission . ex:o1 a csp:Observation ; qb:dataSet ex:ds ; "
                        f"{GOOD_OBS} .",
}


@pytest.mark.parametrize("code", sorted(RDF_CASES))
def test_rdf_findings_name_focus_and_path(tmp_path: Path, code: str) -> None:
    path = tmp_path / f"{code.lower()}.ttl"
    path.write_text(RDF_PREFIXES + RDF_CASES[code], encoding="utf-8")
    report = validate_submissions([read_submission(path)])
    assert {f.code for f in report.findings} == {code}, report.to_table()
    finding = report.findings[0]
    assert finding.row is None and finding.focus is not None
    assert finding.focus.startswith("https://example.org/")


ALL_BAD = [code for code in sorted(CASES)]


@pytest.mark.pyshacl
def test_fast_engine_agrees_with_pyshacl(tmp_path: Path) -> None:
    submissions = [read_submission(write_csv(tmp_path / f"{c.lower()}.csv", CASES[c][0]))
                   for c in ALL_BAD]
    fast = validate_submissions(submissions)
    reference = validate_submissions(submissions, engine="pyshacl")
    assert result_keys(fast.findings) == result_keys(reference.findings)
    assert len(fast.findings) >= len(ALL_BAD)


def test_cli_validate_json_and_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = write_csv(tmp_path / "bad.csv", CASES["VALUE-OUT-OF-RANGE"][0])
    result = runner.invoke(main, ["validate", "--format", "json", str(bad)])
    assert result.exit_code == 1
    payload = json.loads(result.output)
    assert payload["conforms"] is False
    (finding,) = payload["findings"]
    for key in ("code", "severity", "file", "row", "column", "value", "message", "shape"):
        assert key in finding
    assert (finding["code"], finding["row"], finding["value"]) == ("VALUE-OUT-OF-RANGE", 5, "120")
    good = write_csv(tmp_path / "good.csv", CLEAN)
    assert runner.invoke(main, ["validate", str(good)]).exit_code == 0
    turtle = runner.invoke(main, ["validate", "--format", "turtle", str(bad)])
    assert "sh:ValidationReport" in turtle.output and turtle.exit_code == 1


@pytest.mark.parametrize("content,suffix,needle", [
    ("city_qid,city_name\nQ90,Paris\n", ".csv", "row 1"),
    ("x", ".pdf", "unknown format"),
    ("@prefix : <x> .\n:a :b", ".ttl", "line"),
])
def test_cli_unusable_input_exits_2_with_one_line(tmp_path: Path, content: str, suffix: str,
                                                  needle: str) -> None:
    path = tmp_path / f"input{suffix}"
    path.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert needle in result.output and path.name in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_cli_wrong_encoding_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "\nQ90,Montréal,FR,CO-01,2023,4,NUM,x\n").encode("cp1252"))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2 and "UTF-8" in result.output


def test_every_finding_code_has_a_bad_submission() -> None:
    from rdflib import Graph

    from cityculture.namespaces import CSP
    from cityculture.validate.engine import shape_files

    shapes = Graph()
    for path in shape_files():
        shapes.parse(path)
    codes = {str(code) for code in shapes.objects(None, CSP.findingCode)}
    tested = set(CASES) | set(RDF_CASES) | {"CONFLICTING-VALUE", "SUSPICIOUS-CHANGE",
                                            "SUSPICIOUS-OUTLIER",
                                            "UNKNOWN-CITY-CODE"}  # test_city_codes.py
    assert codes == tested


def test_city_finding_names_the_row_holding_the_value(tmp_path: Path) -> None:
    # Berlin's first row (4) is fine; row 5 holds the bad country
    path = write_csv(tmp_path / "later.csv", replace(5, "country", "deu"))
    report = validate_submissions([read_submission(path)])
    located = {(f.code, f.row, f.column) for f in report.findings}
    assert located == {("BAD-COUNTRY", 5, "C (country)"),
                       ("CITY-IN-TWO-COUNTRIES", 5, "C (country)")}, report.to_table()


def _rdf(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(RDF_PREFIXES + body, encoding="utf-8")
    return path


def test_rdf_observation_without_fields_fails(tmp_path: Path) -> None:
    path = _rdf(tmp_path, "empty-obs.ttl", "[] a csp:Observation .")
    for engine in ("fast", "pyshacl"):
        report = validate_submissions([read_submission(path)], engine=engine)
        codes = {f.code for f in report.findings}
        assert {"MISSING-CITY", "MISSING-INDICATOR", "MISSING-YEAR", "MISSING-VALUE"} <= codes
        assert all(f.focus and f.focus.startswith("_:") for f in report.findings)
        assert not report.conforms and not report.accepted
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1 and "MISSING-CITY" in result.output


def test_load_refuses_observation_without_fields(tmp_path: Path) -> None:
    path = _rdf(tmp_path, "empty-obs.ttl", "[] a csp:Observation .")
    store = tmp_path / "store"
    result = CliRunner().invoke(main, ["load", "--store", str(store), str(path)])
    assert result.exit_code == 1 and "refused" in result.output


def test_literals_are_judged_as_written(tmp_path: Path) -> None:
    # xsd:int is not xsd:integer, and "02023" keeps its form
    body = (f"ex:o1 a csp:Observation ; qb:dataSet ex:ds ; {GOOD_OBS} ; "
            "csp:refYear \"2023\"^^<http://www.w3.org/2001/XMLSchema#int> .")
    body = body.replace("csp:refYear 2023 ;", "")
    path = _rdf(tmp_path, "int-year.ttl", body)
    for engine in ("fast", "pyshacl"):
        report = validate_submissions([read_submission(path)], engine=engine)
        assert [(f.code, f.value) for f in report.findings] == [("YEAR-NOT-INTEGER", "2023")]
        (finding,) = report.findings
        assert finding.result is not None and str(finding.result.value.datatype).endswith("#int")


EXTRA_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix csp: <https://w3id.org/cityculture/ontology/> .
@prefix ex: <https://example.org/> .
<#CityShape> a sh:NodeShape ; sh:targetClass csp:City ;
    sh:severity ex:Critical ;
    sh:property [ sh:path ( [ sh:inversePath csp:city ] csp:unitMeasure ) ;
                  sh:maxCount 0 ] ;
    sh:node [ sh:property [ sh:path csp:countryCode ; sh:in ( "DE" ) ] ] .
"""


def test_extra_shapes_relative_iris_paths_details_and_custom_severity(tmp_path: Path) -> None:
    shapes = tmp_path / "extra.ttl"
    shapes.write_text(EXTRA_SHAPES, encoding="utf-8")
    data = write_csv(tmp_path / "ok.csv", CLEAN)
    for engine in ("fast", "pyshacl"):
        report = validate_submissions([read_submission(data)], extra_shapes=[shapes],
                                      engine=engine)
        by_component = {f.component.rsplit("#")[-1]: f for f in report.findings}
        assert set(by_component) == {"MaxCountConstraintComponent", "NodeConstraintComponent"}
        sequence = by_component["MaxCountConstraintComponent"]
        assert sequence.path == ("(^(<https://w3id.org/cityculture/ontology/city>)/"
                                 "<https://w3id.org/cityculture/ontology/unitMeasure>)")
        node = by_component["NodeConstraintComponent"]
        assert node.severity == "https://example.org/Critical"
        assert node.shape == (tmp_path / "extra.ttl").resolve().as_uri() + "#CityShape"
        (detail,) = node.details
        assert (detail.component, detail.value) == (str(SH.InConstraintComponent), "FR")
        assert not report.accepted
    result = CliRunner().invoke(main, ["validate", "--format", "turtle", "--shapes",
                                       str(shapes), str(data)])
    assert result.exit_code == 1, result.output
    graph = Graph().parse(data=result.output, format="turtle")
    assert len(list(graph.objects(None, SH.detail))) == 1
    paths = list(graph.objects(None, SH.resultPath))
    assert any((p, None, None) in graph for p in paths)  # a path structure, not a bare node


def test_unrunnable_shape_is_an_error_naming_it(tmp_path: Path) -> None:
    shapes = tmp_path / "js.ttl"
    shapes.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
                      "<https://example.org/JsShape> a sh:NodeShape ; sh:js [ "
                      "sh:jsFunctionName \"check\" ] .\n", encoding="utf-8")
    data = write_csv(tmp_path / "ok.csv", CLEAN)
    result = CliRunner().invoke(main, ["validate", "--shapes", str(shapes), str(data)])
    assert result.exit_code == 2
    assert "https://example.org/JsShape" in result.output and "Traceback" not in result.output


def test_warnings_only_are_accepted_by_the_exit_code(tmp_path: Path) -> None:
    rows = [*CLEAN, "Q90,Paris,FR,CO-01,2022,40,NUM,UNESCO"]
    path = write_csv(tmp_path / "y.csv", rows)
    result = CliRunner().invoke(main, ["validate", "--format", "json", str(path)])
    payload = json.loads(result.output)
    assert (payload["conforms"], payload["accepted"], result.exit_code) == (False, True, 0)


def test_user_shapes_run_in_a_process_without_network(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import cityculture.pipeline as pipeline

    calls: list[str] = []
    real = pipeline.run_without_network

    def spy(function, *args):  # the real child process, recorded
        calls.append(function.__name__)
        return real(function, *args)

    monkeypatch.setattr(pipeline, "run_without_network", spy)
    shapes = tmp_path / "extra.ttl"
    shapes.write_text(EXTRA_SHAPES, encoding="utf-8")
    data = [read_submission(write_csv(tmp_path / "ok.csv", CLEAN))]
    plain = pipeline.validate_against(data)
    assert calls == [] and plain.accepted
    report = pipeline.validate_against(data, extra_shapes=[shapes], engine="fast")
    assert calls == ["_validate"]
    assert not report.accepted  # the child's findings come back whole
    assert {f.component.rsplit("#")[-1] for f in report.findings} == {
        "MaxCountConstraintComponent", "NodeConstraintComponent"}
