"""Outliers: the JRC rule flagged, and winsorisation as COINr does it, on a hand-checked example.

Ten cities, one year (2023), tests/data/outlier-framework.ttl (min-max, winsorisation, limit 5).

CO-01 = 0 0 0 0 0 0 0 0 1 10 (cities 1..10). n = 10, mean 1.1; deviations -1.1 (x8), -0.1, 8.9:
  m2 = 8(1.21) + 0.01 + 79.21 = 88.9
  m3 = 8(-1.331) - 0.001 + 704.969 = 694.32
  m4 = 8(1.4641) + 0.0001 + 6274.2241 = 6285.937
  skewness = n sqrt(n-1)/(n-2) m3/m2^1.5 = 3.75 * 694.32 / (88.9 * 9.42868) = 3.10626
  kurtosis = ((n+1)(n m4/m2^2 - 3) + 6)(n-1)/((n-2)(n-3))
           = (11 (62859.37/7903.21 - 3) + 6) * 9/56 = (11 * 4.953650 + 6) * 9/56 = 9.72163
  |3.106| > 2 and 9.72 > 3.5: the rule is broken. Positive skew: the maximum (10, city 10) is
  set to the next value, 1. Now 0 (x8), 1, 1: mean 0.2, m2 = 8(0.04) + 2(0.64) = 1.6,
  m3 = 8(-0.008) + 2(0.512) = 0.96, skewness = 3.75 * 0.96 / 1.6^1.5 = 1.7788 < 2: done,
  one point winsorised. Min-max on 0..1: cities 1-8 score 0, cities 9 and 10 score 100.
AP-03 = 10 (x8), 9, 0: the mirror image: skewness -3.10626, kurtosis 9.72163; negative skew:
  the minimum (0, city 10) is set to the next value, 9. Min-max on 9..10: cities 1-8 score 100,
  cities 9 and 10 score 0.
Without treatment, CO-01 is min-max on 0..10: city 9 scores 10, city 10 scores 100.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import URIRef

from cityculture.assess.frameworks import resolve_framework
from cityculture.assess.run import run_assessment
from cityculture.queries import load_query
from cityculture.store.backends import Backend, OxigraphBackend
from tests.test_backends import fresh_fixture  # noqa: F401 (``fresh``: each backend in turn)

DATA = Path(__file__).resolve().parent / "data"
CSP = "https://w3id.org/cityculture/ontology/"
IND = "https://w3id.org/cityculture/indicator/"
CITY = "https://w3id.org/cityculture/city/Q20{:02d}"
VALUES = {"CO-01": [0, 0, 0, 0, 0, 0, 0, 0, 1, 10], "AP-03": [10, 10, 10, 10, 10, 10, 10, 10, 9, 0]}


def observations() -> bytes:
    lines = []
    for code, values in VALUES.items():
        for number, value in enumerate(values, start=1):
            obs = f"<https://example.org/outliers/obs/{code}/{number}>"
            lines += [f"{obs} <{CSP}city> <{CITY.format(number)}> .",
                      f"{obs} <{CSP}indicator> <{IND}{code}> .",
                      f'{obs} <{CSP}refYear> "2023"^^<http://www.w3.org/2001/XMLSchema#integer> .',
                      f'{obs} <{CSP}value> "{value}"^^<http://www.w3.org/2001/XMLSchema#decimal> .']
    return ("\n".join(lines) + "\n").encode()


def assess(tmp_path: Path, treatment: str,
           store: Backend | None = None) -> tuple[Backend, str]:
    text = (DATA / "outlier-framework.ttl").read_text(encoding="utf-8")
    path = tmp_path / f"outliers-{treatment}.ttl"
    path.write_text(text.replace("csp:winsorisation ;", f"csp:{treatment} ;"), encoding="utf-8")
    store = store or OxigraphBackend()
    store.replace_graph("https://example.org/outliers/data", observations())
    run = run_assessment(store, resolve_framework(path))
    return store, run.iri


def indicator_scores(store: Backend, run: str) -> dict[tuple[str, int], tuple]:
    """The run's indicator scores (queries/indicator-scores.rq), with the winsorised values."""
    rows = store.select(load_query("indicator-scores").text, {"run": URIRef(run)})
    return {(str(r["node"]).rsplit("/", 1)[-1], int(str(r["city"])[-2:])):
            (round(float(r["score"]), 9),
             None if r.get("treatedValue") is None else float(r["value"]),
             None if r.get("treatedValue") is None else float(r["treatedValue"]))
            for r in rows}


def winsorised(store: Backend, run: str) -> dict[tuple[str, int], tuple[float, float]]:
    """The run's csp:WinsorisedValue records: (node code, city number) -> (original, treated)."""
    rows = store.select(f"""PREFIX csp: <{CSP}>
        SELECT ?node ?city ?original ?treated WHERE {{ GRAPH <{run}> {{
          ?w a csp:WinsorisedValue ; csp:frameworkNode ?node ; csp:city ?city ;
             csp:originalValue ?original ; csp:treatedValue ?treated . }} }}""")
    return {(str(r["node"]).rsplit("/", 1)[-1], int(str(r["city"])[-2:])):
            (float(r["original"]), float(r["treated"])) for r in rows}


def checks(store: Backend, run: str) -> dict[str, tuple]:
    rows = store.select(f"""PREFIX csp: <{CSP}>
        SELECT ?node ?year ?skewness ?kurtosis ?points WHERE {{ GRAPH <{run}> {{
          ?c a csp:OutlierCheck ; csp:frameworkNode ?node ; csp:refYear ?year ;
             csp:skewness ?skewness ; csp:kurtosis ?kurtosis .
          OPTIONAL {{ ?c csp:winsorisedPoints ?points }} }} }}""")
    return {str(r["node"]).rsplit("/", 1)[-1]:
            (int(r["year"]), float(r["skewness"]), float(r["kurtosis"]),
             None if r["points"] is None else int(r["points"])) for r in rows}


def test_winsorisation_caps_the_extreme_point(tmp_path: Path, fresh: Backend) -> None:
    store, run = assess(tmp_path, "winsorisation", fresh)
    found = checks(store, run)
    assert set(found) == {"CO-01", "AP-03"}
    year, skewness, kurtosis, points = found["CO-01"]
    assert (year, points) == (2023, 1)
    assert skewness == pytest.approx(3.10626, abs=1e-5)
    assert kurtosis == pytest.approx(9.72163, abs=1e-5)
    assert found["AP-03"][1] == pytest.approx(-3.10626, abs=1e-5)
    assert found["AP-03"][2] == pytest.approx(9.72163, abs=1e-5)
    assert found["AP-03"][3] == 1
    scores = indicator_scores(store, run)
    assert scores[("CO-01", 10)] == (100.0, 10.0, 1.0)  # original value kept, treated value
    assert scores[("CO-01", 9)] == (100.0, None, None)
    assert all(scores[("CO-01", c)] == (0.0, None, None) for c in range(1, 9))
    assert scores[("AP-03", 10)] == (0.0, 0.0, 9.0)
    assert scores[("AP-03", 9)] == (0.0, None, None)
    assert all(scores[("AP-03", c)] == (100.0, None, None) for c in range(1, 9))
    assert winsorised(store, run) == {("CO-01", 10): (10.0, 1.0), ("AP-03", 10): (0.0, 9.0)}
    # the run wrote its own graph and the framework's copy, no working graphs
    runs = [g for g in store.graph_names() if g.startswith("https://w3id.org/cityculture/run/")]
    assert runs == [run]
    assert not [g for g in store.graph_names() if "#" in g or g.endswith("/stage")]


def test_without_treatment_outliers_are_only_flagged(tmp_path: Path) -> None:
    store, run = assess(tmp_path, "noOutlierTreatment")
    found = checks(store, run)
    assert found["CO-01"][1] == pytest.approx(3.10626, abs=1e-5)
    assert found["CO-01"][3] is None
    scores = indicator_scores(store, run)
    assert scores[("CO-01", 10)] == (100.0, None, None)
    assert scores[("CO-01", 9)] == (10.0, None, None)


def test_a_limit_of_zero_treats_nothing(tmp_path: Path) -> None:
    text = (DATA / "outlier-framework.ttl").read_text(encoding="utf-8")
    path = tmp_path / "limit-0.ttl"
    path.write_text(text.replace("csp:winsorisationLimit 5", "csp:winsorisationLimit 0"),
                    encoding="utf-8")
    store = OxigraphBackend()
    store.replace_graph("https://example.org/outliers/data", observations())
    run = run_assessment(store, resolve_framework(path)).iri
    assert indicator_scores(store, run)[("CO-01", 9)] == (10.0, None, None)
    assert checks(store, run)["CO-01"][3] is None


def test_the_thresholds_are_framework_triples(tmp_path: Path) -> None:
    """csp:skewnessThreshold 4: |3.106| is not above it, so nothing is flagged or treated;
    csp:kurtosisThreshold 10 (kurtosis 9.72) does the same."""
    text = (DATA / "outlier-framework.ttl").read_text(encoding="utf-8")
    for setting in ("csp:skewnessThreshold 4", "csp:kurtosisThreshold 10"):
        path = tmp_path / "thresholds.ttl"
        path.write_text(text.replace("csp:winsorisationLimit 5",
                                     f"csp:winsorisationLimit 5 ; {setting}"), encoding="utf-8")
        store = OxigraphBackend()
        store.replace_graph("https://example.org/outliers/data", observations())
        run = run_assessment(store, resolve_framework(path)).iri
        assert checks(store, run) == {}, setting
        assert indicator_scores(store, run)[("CO-01", 9)] == (10.0, None, None), setting
