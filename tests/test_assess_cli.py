"""The assess command: ranking table, JSON per city, charts and report, seeded sensitivity."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from click.testing import CliRunner

from cityculture.assess.frameworks import resolve_framework
from cityculture.assess.sensitivity import rank_intervals
from cityculture.cli import main
from cityculture.ingest.reader import read_submission
from cityculture.resources import resource_path
from cityculture.store.backends import OxigraphBackend

DATA = Path(__file__).resolve().parent / "data"


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


def test_assess_json_one_object_per_city() -> None:
    result = CliRunner().invoke(main, ["assess", str(DATA / "tiny-cities.csv"), "--framework",
                                       str(DATA / "tiny-framework.ttl"), "--year", "2023",
                                       "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    by_name = {item["name"]: item for item in payload}
    assert set(by_name) == {"Alpha", "Beta", "Gamma", "Delta", "Epsilon"}
    assert by_name["Alpha"]["scores"]["SOFT"] == 75.0
    assert by_name["Alpha"]["ranks"]["SOFT"] == 1
    assert by_name["Epsilon"]["scores"]["HARD"] is None
    assert "HARD" in by_name["Epsilon"]["not_scored"]


def test_assess_refuses_invalid_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    text = (DATA / "tiny-cities.csv").read_text(encoding="utf-8")
    text = text.replace(",80,PERCENT", ",180,PERCENT")
    bad.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["assess", str(bad)])
    assert result.exit_code == 1
    assert "VALUE-OUT-OF-RANGE" in result.output


@pytest.mark.charts
def test_assess_writes_charts_and_report(tmp_path: Path) -> None:
    out = tmp_path / "out"
    example = resource_path("examples", "gpci-2023-submission.csv")
    result = CliRunner().invoke(main, ["assess", str(example), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "London" in result.stdout.splitlines()[2]  # first data row of the ranking
    for name in ("results.csv", "results.json", "run.ttl", "report.html",
                 "ranking-SOFT-2023.png", "ranking-SOFT-2023.svg",
                 "radar-Paris-2023.png", "radar-Paris-2023.svg"):
        assert (out / name).stat().st_size > 500, name
    width, height = png_size(out / "radar-Paris-2023.png")
    assert 300 < width < 900 and 300 < height < 900
    width, height = png_size(out / "ranking-SOFT-2023.png")
    assert width > 400 and height > 48 * 15  # one bar per city
    assert (out / "radar-Paris-2023.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "radar-Paris-2023.svg" in page and "ranking-SOFT-2023.svg" in page
    assert len(list(out.glob("radar-*.png"))) == 48


def test_gpci_json_input_with_gpci_framework() -> None:
    result = CliRunner().invoke(main, ["assess", str(DATA / "gpci2023_en.json"),
                                       "--input-format", "gpci-json", "--framework",
                                       "gpci-2023", "--format", "json"])
    assert result.exit_code == 0, result.output
    london = next(i for i in json.loads(result.stdout) if i["name"] == "London")
    assert london["ranks"]["Comprehensive"] == 1
    assert abs(london["scores"]["Comprehensive"] - 1646.7303259914) < 1e-6


def test_sensitivity_repeats_with_the_same_seed() -> None:
    def intervals(seed: int) -> list[tuple[str, float, int, int]]:
        store = OxigraphBackend()
        submission = read_submission(DATA / "tiny-cities.csv")
        store.replace_graph(submission.iri, submission.ntriples())
        found = rank_intervals(store, resolve_framework(DATA / "tiny-framework.ttl"),
                               samples=12, seed=seed, year=2023)
        # the samples are computed in memory: no run graph is left in the store
        assert not [g for g in store.graph_names() if "/run/" in g]
        return [(i.name, i.median, i.low, i.high) for i in found]

    first, again = intervals(7), intervals(7)
    assert first == again
    assert {name for name, *_ in first} == {"Alpha", "Beta", "Gamma", "Delta", "Epsilon"}
    for _name, median, low, high in first:
        assert 1 <= low <= median <= high <= 5
    alpha = next(i for i in first if i[0] == "Alpha")
    beta = next(i for i in first if i[0] == "Beta")
    assert alpha[1] < beta[1]  # Alpha leads, Beta trails, whatever the weights


def test_sensitivity_draws_the_framework_normalisations(tmp_path: Path) -> None:
    """csp:sensitivityNormalisation on the framework replaces the defaults (min-max, z-score)."""
    from cityculture.assess.sensitivity import alternative_normalisations
    from cityculture.namespaces import CSP

    assert alternative_normalisations(resolve_framework(DATA / "tiny-framework.ttl")) == \
        sorted([CSP.minMax, CSP.zScore])
    text = (DATA / "tiny-framework.ttl").read_text(encoding="utf-8")
    path = tmp_path / "one-method.ttl"
    path.write_text(text.replace("csp:normalisation csp:minMax ;",
                                 "csp:normalisation csp:minMax ; "
                                 "csp:sensitivityNormalisation csp:percentileRank ;"),
                    encoding="utf-8")
    assert alternative_normalisations(resolve_framework(path)) == [CSP.percentileRank]
