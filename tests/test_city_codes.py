"""Cities by a declared code list instead of Wikidata QIDs: IRIs minted from the list."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from cityculture.cli import main
from cityculture.ingest.errors import UnusableInput
from cityculture.ingest.reader import read_submission
from cityculture.ingest.scheme import load_scheme
from cityculture.ingest.vocabulary import vocabulary
from cityculture.validate.causes import likely_causes
from cityculture.validate.engine import result_keys, validate_submissions

HEADER = "city_code,city_name,country,indicator,year,value,unit,source"
SPACE = "https://example.org/ine/municipio/"
CODE_LIST = f"""
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix void: <http://rdfs.org/ns/void#> .
<https://example.org/ine/municipios> a skos:ConceptScheme ;
    skos:prefLabel "INE municipality codes"@en ;
    void:uriSpace "{SPACE}" .
<https://example.org/ine/28079> a skos:Concept ;
    skos:inScheme <https://example.org/ine/municipios> ;
    skos:notation "28079" ; skos:prefLabel "Madrid"@es .
<https://example.org/ine/08019> a skos:Concept ;
    skos:inScheme <https://example.org/ine/municipios> ;
    skos:notation "08019" ; skos:prefLabel "Barcelona"@es .
"""
ROWS = [
    "28079,Madrid,ES,EC-04,2023,7.1,PERCENT,INE",    # row 2
    "08019,Barcelona,ES,EC-04,2023,6.2,PERCENT,INE",  # row 3
    "28079,Madrid,ES,CO-01,2023,4,NUM,UNESCO",       # row 4
]


def _files(tmp_path: Path, rows: list[str]) -> tuple[Path, Path]:
    codes = tmp_path / "codes.ttl"
    codes.write_text(CODE_LIST, encoding="utf-8")
    data = tmp_path / "by-code.csv"
    data.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return codes, data


def _report(codes: Path | None, data: Path, engine: str = "fast"):  # type: ignore[no-untyped-def]
    scheme = load_scheme([codes] if codes else [])
    submission = read_submission(data, vocab=vocabulary().with_scheme(scheme))
    return submission, validate_submissions([submission], scheme=scheme.triples, engine=engine)


def test_cities_by_code_validate_and_get_minted_iris(tmp_path: Path) -> None:
    codes, data = _files(tmp_path, ROWS)
    submission, report = _report(codes, data)
    assert report.findings == [], report.to_table()
    cities = {t.object.value for t in submission.triples
              if t.predicate.value == "https://w3id.org/cityculture/ontology/city"}
    assert cities == {SPACE + "28079", SPACE + "08019"}
    identifiers = {(t.subject.value, t.object.value) for t in submission.triples
                   if t.predicate.value == "http://purl.org/dc/terms/identifier"}
    assert identifiers == {(SPACE + "28079", "28079"), (SPACE + "08019", "08019")}


@pytest.mark.parametrize("engine", ["fast", "pyshacl"])
def test_unknown_code_is_named_with_row_and_column(tmp_path: Path, engine: str) -> None:
    codes, data = _files(tmp_path, [*ROWS, "41091,Sevilla,ES,EC-04,2023,5.0,PERCENT,INE"])
    _, report = _report(codes, data, engine)
    assert [(f.code, f.row, f.column, f.value) for f in report.findings] == [
        ("UNKNOWN-CITY-CODE", 5, "A (city_code)", "41091")]
    assert "41091" in report.findings[0].message
    if engine == "fast":  # pySHACL's results keep one message, without its language
        assert "41091" in (report.findings[0].message_zh or "")


def test_xlsx_codes_and_a_lost_leading_zero(tmp_path: Path) -> None:
    codes, _ = _files(tmp_path, [])
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    sheet.append(["28079", "Madrid", "ES", "EC-04", 2023, 7.1, "PERCENT", "INE"])
    sheet.append([8019, "Barcelona", "ES", "EC-04", 2023, 6.2, "PERCENT", "INE"])  # a number
    path = tmp_path / "by-code.xlsx"
    workbook.save(path)
    _, report = _report(codes, path)
    assert [(f.code, f.row, f.value) for f in report.findings] == [
        ("UNKNOWN-CITY-CODE", 3, "8019")]
    assert "leading zeros" in likely_causes()["UNKNOWN-CITY-CODE"]


def test_both_engines_agree_on_unknown_codes(tmp_path: Path) -> None:
    codes, data = _files(tmp_path, [*ROWS, "99999,Nowhere,ES,EC-04,2023,5.0,PERCENT,INE"])
    fast = _report(codes, data, "fast")[1]
    reference = _report(codes, data, "pyshacl")[1]
    assert result_keys(fast.findings) == result_keys(reference.findings)


def test_without_the_code_list_every_code_is_unknown(tmp_path: Path) -> None:
    _, data = _files(tmp_path, ROWS)
    _, report = _report(None, data)
    assert {(f.code, f.row) for f in report.findings} == {
        ("UNKNOWN-CITY-CODE", 2), ("UNKNOWN-CITY-CODE", 3), ("UNKNOWN-CITY-CODE", 4)}


def test_qid_wins_where_a_row_has_both(tmp_path: Path) -> None:
    codes, _ = _files(tmp_path, [])
    data = tmp_path / "both.csv"
    data.write_text("city_qid,city_code,city_name,country,indicator,year,value,unit,source\n"
                    "Q2807,28079,Madrid,ES,EC-04,2023,7.1,PERCENT,INE\n", encoding="utf-8")
    submission, report = _report(codes, data)
    assert report.findings == []
    cities = {t.object.value for t in submission.triples
              if t.predicate.value == "https://w3id.org/cityculture/ontology/city"}
    assert cities == {"https://w3id.org/cityculture/city/Q2807"}
    assert ("https://w3id.org/cityculture/city/Q2807", "28079") in {
        (t.subject.value, t.object.value) for t in submission.triples
        if t.predicate.value == "http://purl.org/dc/terms/identifier"}


def test_a_file_without_city_qid_or_city_code_is_unusable(tmp_path: Path) -> None:
    data = tmp_path / "none.csv"
    data.write_text("city_name,country,indicator,year,value,unit,source\n"
                    "Madrid,ES,EC-04,2023,7.1,PERCENT,INE\n", encoding="utf-8")
    with pytest.raises(UnusableInput) as caught:
        read_submission(data)
    assert "required column missing: city_qid or city_code" in str(caught.value)
    result = CliRunner().invoke(main, ["validate", str(data)])
    assert result.exit_code == 2


def test_a_code_in_two_code_lists_is_refused(tmp_path: Path) -> None:
    codes, _ = _files(tmp_path, [])
    other = tmp_path / "other.ttl"
    other.write_text(CODE_LIST.replace("https://example.org/ine/municipios",
                                       "https://example.org/other/list"), encoding="utf-8")
    with pytest.raises(UnusableInput, match="'28079' is in two code lists"):
        load_scheme([codes, other])


@pytest.mark.parametrize("space", ["urn:x:", "https://exa mple.org/"])
def test_a_code_list_must_mint_http_iris(tmp_path: Path, space: str) -> None:
    codes = tmp_path / "codes.ttl"
    codes.write_text(CODE_LIST.replace(SPACE, space), encoding="utf-8")
    with pytest.raises(UnusableInput, match=r"void:uriSpace .* is not an http"):
        load_scheme([codes])


def test_cli_validate_with_code_list(tmp_path: Path) -> None:
    codes, data = _files(tmp_path, ROWS)
    runner = CliRunner()
    assert runner.invoke(main, ["validate", str(data), "--scheme", str(codes)]).exit_code == 0
    refused = runner.invoke(main, ["validate", str(data)])
    assert refused.exit_code == 1 and "UNKNOWN-CITY-CODE" in refused.output
