"""The Spanish Cities SDG Index 2018 example: rebuilt from the workbook, validated whole."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner

from cityculture.cli import main
from cityculture.ingest.reader import read_submission
from cityculture.ingest.scheme import load_scheme
from cityculture.ingest.vocabulary import vocabulary
from cityculture.resources import resource_dir
from cityculture.validate.engine import validate_submissions

EXAMPLE = resource_dir("examples") / "sdg-es-2018"
WORKBOOK = (Path(__file__).resolve().parents[2] / "shared" / "data" / "sdg-es-cities"
            / "ods-es-cities-by-regions-2018.xlsx")
needs_workbook = pytest.mark.skipif(not WORKBOOK.is_file(), reason="../shared workbook absent")


def _build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sdg_build", EXAMPLE / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["sdg_build"] = module
    spec.loader.exec_module(module)
    return module


@needs_workbook
def test_build_reproduces_the_committed_files(tmp_path: Path) -> None:
    _build().main(WORKBOOK, tmp_path)
    for name in ("submission.csv", "framework.ttl", "framework-wo14.ttl"):
        assert (tmp_path / name).read_bytes() == (EXAMPLE / name).read_bytes(), name


@needs_workbook
def test_verification_names_an_indicator_whose_bounds_are_off() -> None:
    build = _build()
    keys, _, cities = build.read_workbook(WORKBOOK)
    indicators = [build.derive_indicator(key, f"{key[:5].upper()}-{n:02d}", key, cities)
                  for n, key in enumerate(keys)]
    assert build.verify(indicators, cities) == []
    indicators[5].upper += 0.01
    problems = build.verify(indicators, cities)
    assert problems and problems[0].startswith(f"indicator {keys[5][:5].upper()}-05 "
                                               f"({keys[5]}): off by")


@pytest.mark.large_file
def test_submission_validates_with_its_framework() -> None:
    scheme = load_scheme([EXAMPLE / "framework.ttl"], bundled=vocabulary().indicators)
    assert len(scheme.indicators) == 85
    assert [len(codes.codes) for codes in scheme.code_lists] == [100]
    submission = read_submission(EXAMPLE / "submission.csv",
                                 vocab=vocabulary().with_scheme(scheme))
    observations = [t for t in submission.triples
                    if t.predicate.value.endswith("#type")
                    and t.object.value == "https://w3id.org/cityculture/ontology/Observation"]
    assert len(observations) == 7906
    report = validate_submissions([submission], scheme=scheme.triples)
    assert report.accepted and report.count("Violation") == 0, report.to_table()
    # outlier warnings only: some indicators are far apart between cities
    assert {f.code for f in report.findings} <= {"SUSPICIOUS-OUTLIER"}
    cities = {t.object.value for t in submission.triples
              if t.predicate.value == "https://w3id.org/cityculture/ontology/city"}
    assert len(cities) == 100
    assert all(c.startswith("https://w3id.org/cityculture/city/reds-sdg-es-2018/")
               for c in cities)


@pytest.mark.large_file
def test_without_its_framework_the_summary_names_both_causes() -> None:
    result = CliRunner().invoke(main, ["validate", str(EXAMPLE / "submission.csv")])
    assert result.exit_code == 1
    summary = result.output.split("summary by code:")[1]
    lines = [line for line in summary.splitlines() if line.startswith("UNKNOWN-")]
    assert [line.split()[:3] for line in lines] == [
        ["UNKNOWN-CITY-CODE", "Violation", "7,906"], ["UNKNOWN-INDICATOR", "Violation", "7,906"]]
    assert all("submission.csv rows 2, 3, 4, 5, 6, ..." in line for line in lines)
    assert "--scheme" in lines[1]


def test_template_for_the_sdg_framework_names_cities_by_code(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["template", str(tmp_path), "--framework",
                                       str(EXAMPLE / "framework.ttl")])
    assert result.exit_code == 0, result.output
    header = (tmp_path / "submission-template.csv").read_text(encoding="utf-8").split(",")
    assert header[0] == "city_code" and "city_qid" not in header
    indicators = (tmp_path / "indicators.csv").read_text(encoding="utf-8").splitlines()
    assert len(indicators) == 1 + 85 and indicators[1].startswith("SDG01-01,20:20 ratio,")
    cities = (tmp_path / "cities.csv").read_text(encoding="utf-8").splitlines()
    assert len(cities) == 1 + 100 and "Alcala_de_Henares,Alcalá de Henares," in cities[2]
