"""Every term of the method vocabulary (ontology/methods.ttl), each with a worked example.

One framework: node P (level 1) aggregates A (CO-01, weight 1) and B (AP-03, weight 3), both
higher-is-better, four cities (Q3001-Q3004), year 2023:
  A = 10, 20, 40, 30      B = 40, 10, 10, 20 (city 4: none in 2023; 16 in 2021)
Each test sets one method on the framework or a node and checks the numbers worked out by
hand in its docstring, through the whole run (select, compute, write, read back by the
bundled queries).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from cityculture.assess.frameworks import FrameworkError, resolve_framework
from cityculture.assess.run import assess
from cityculture.queries import load_query
from cityculture.store.backends import OxigraphBackend

CSP = "https://w3id.org/cityculture/ontology/"
IND = "https://w3id.org/cityculture/indicator/"
CITY = "https://w3id.org/cityculture/city/Q300{}"
A = [10, 20, 40, 30]
B = [40, 10, 10, None]
FRAMEWORK = """@prefix csp: <https://w3id.org/cityculture/ontology/> .
@prefix ind: <https://w3id.org/cityculture/indicator/> .
@prefix m: <https://example.org/methods/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://example.org/methods> a csp:AssessmentFramework ; rdfs:label "methods"@en {fw} .
m:P a csp:FrameworkNode ; csp:inFramework <https://example.org/methods> ; csp:level 1 ;
    rdfs:label "P"@en ; skos:notation "P" {p} .
m:A a csp:FrameworkNode ; csp:inFramework <https://example.org/methods> ; csp:level 0 ;
    csp:parentNode m:P ; csp:weight 1 ; csp:standsFor ind:CO-01 ; skos:notation "A" {a} .
m:B a csp:FrameworkNode ; csp:inFramework <https://example.org/methods> ; csp:level 0 ;
    csp:parentNode m:P ; csp:weight 3 ; csp:standsFor ind:AP-03 ; skos:notation "B" {b} .
"""


def observations() -> bytes:
    rows = [(code, city, 2023, value) for code, values in (("CO-01", A), ("AP-03", B))
            for city, value in enumerate(values, start=1) if value is not None]
    rows.append(("AP-03", 4, 2021, 16))
    lines = []
    for n, (code, city, year, value) in enumerate(rows):
        obs = f"<https://example.org/methods/obs/{n}>"
        lines += [f"{obs} <{CSP}city> <{CITY.format(city)}> .",
                  f"{obs} <{CSP}indicator> <{IND}{code}> .",
                  f'{obs} <{CSP}refYear> "{year}"^^<http://www.w3.org/2001/XMLSchema#integer> .',
                  f'{obs} <{CSP}value> "{value}"^^<http://www.w3.org/2001/XMLSchema#decimal> .']
    return ("\n".join(lines) + "\n").encode()


class Result:
    """What a run wrote: scores per node code and city number (2023), imputation marks and
    not-scored reasons."""

    def __init__(self, store: OxigraphBackend, run: str) -> None:
        self.scores: dict[str, dict[int, float]] = {}
        self.imputed: dict[str, dict[int, str]] = {}
        self.reasons: dict[int, str] = {}
        self.ranks: dict[int, int] = {}
        for row in store.select(load_query("indicator-scores").text,
                                {"run": URIRef(run), "year": Literal(2023)}):
            city = int(str(row["city"])[-1])
            self.scores.setdefault(str(row["code"]), {})[city] = float(row["score"])  # type: ignore[arg-type]
            if row["imputedBy"] is not None:
                self.imputed.setdefault(str(row["code"]), {})[city] = \
                    str(row["imputedBy"]).rsplit("/", 1)[-1]
        for row in store.select(load_query("cq04-city-scores").text,
                                {"run": URIRef(run), "year": Literal(2023)}):
            city = int(str(row["city"])[-1])
            if row["score"] is not None:
                self.scores.setdefault("P", {})[city] = float(row["score"])  # type: ignore[arg-type]
                self.ranks[city] = int(row["rank"])  # type: ignore[arg-type]
            else:
                self.reasons[city] = str(row["notScoredReason"])
        rows = store.select(f"""PREFIX csp: <{CSP}> SELECT ?s ?m WHERE {{ GRAPH <{run}> {{
            ?s csp:frameworkNode <https://example.org/methods/P> ; csp:imputedBy ?m ;
               csp:refYear 2023 }} }}""")
        for row in rows:
            self.imputed.setdefault("P", {})[len(self.imputed.get("P", {})) + 1] = \
                str(row["m"]).rsplit("/", 1)[-1]

    def of(self, code: str) -> list[float | None]:
        found = self.scores.get(code, {})
        return [None if found.get(c) is None else round(found[c], 4) for c in range(1, 5)]


def run(tmp_path: Path, *, fw: str = "", p: str = "", a: str = "", b: str = "") -> Result:
    path = tmp_path / "methods.ttl"
    path.write_text(FRAMEWORK.format(fw=fw, p=p, a=a, b=b), encoding="utf-8")
    store = OxigraphBackend()
    store.replace_graph("https://example.org/methods/data", observations())
    return Result(store, assess(store, resolve_framework(path)).iri)


# --- normalisation ------------------------------------------------------------------------

def test_min_max_is_the_default(tmp_path: Path) -> None:
    """csp:minMax: A on 10..40 -> 0, 33.33, 100, 66.67."""
    assert run(tmp_path).of("A") == [0.0, 33.3333, 100.0, 66.6667]
    assert run(tmp_path, fw="; csp:normalisation csp:minMax").of("A") == \
        [0.0, 33.3333, 100.0, 66.6667]


def test_z_score(tmp_path: Path) -> None:
    """csp:zScore: mean 25, sample sd sqrt(500 / 3) = 12.9099 -> -1.1619, -0.3873, ..."""
    assert run(tmp_path, fw="; csp:normalisation csp:zScore").of("A") == \
        [-1.1619, -0.3873, 1.1619, 0.3873]


def test_no_normalisation(tmp_path: Path) -> None:
    """csp:noNormalisation: the values as they are."""
    assert run(tmp_path, fw="; csp:normalisation csp:noNormalisation").of("A") == \
        [10.0, 20.0, 40.0, 30.0]


def test_goalposts_clamped_and_inverted(tmp_path: Path) -> None:
    """csp:goalposts 0..50: 20, 40, 80, 60; lower is better on the node (csp:direction):
    100 (50 - x) / 50 = 80, 60, 20, 40; bounds 15..35: clamped to 0 and 100."""
    bounds = "; csp:normalisation csp:goalposts ; csp:lowerBound 0 ; csp:upperBound 50"
    assert run(tmp_path, a=bounds).of("A") == [20.0, 40.0, 80.0, 60.0]
    assert run(tmp_path, a=bounds + " ; csp:direction csp:lowerIsBetter").of("A") == \
        [80.0, 60.0, 20.0, 40.0]
    tight = "; csp:normalisation csp:goalposts ; csp:lowerBound 15 ; csp:upperBound 35"
    assert run(tmp_path, a=tight).of("A") == [0.0, 25.0, 100.0, 75.0]


def test_goalposts_target_replaces_the_better_bound(tmp_path: Path) -> None:
    """csp:target 30 (higher is better: in place of the upper bound 50): 100 x / 30 ->
    33.33, 66.67, 100 (clamped), 100."""
    target = ("; csp:normalisation csp:goalposts ; csp:lowerBound 0 ; csp:upperBound 50 ; "
              "csp:target 30")
    assert run(tmp_path, a=target).of("A") == [33.3333, 66.6667, 100.0, 100.0]


def test_rank_score(tmp_path: Path) -> None:
    """csp:rankScore: 40 is best -> ranks 4, 3, 1, 2."""
    assert run(tmp_path, fw="; csp:normalisation csp:rankScore").of("A") == [4.0, 3.0, 1.0, 2.0]


def test_percentile_rank(tmp_path: Path) -> None:
    """csp:percentileRank: cities worse / (n - 1) -> 0, 33.33, 100, 66.67; B has ties
    (40, 10, 10): 100, 0, 0."""
    found = run(tmp_path, fw="; csp:normalisation csp:percentileRank")
    assert found.of("A") == [0.0, 33.3333, 100.0, 66.6667]
    assert found.of("B") == [100.0, 0.0, 0.0, None]


def test_distance_to_reference(tmp_path: Path) -> None:
    """csp:distanceToReference r = 20: 100 x / 20 = 50, 100, 200, 150; lower is better:
    100 (2 - x / 20) = 150, 100, 0, 50."""
    reference = "; csp:normalisation csp:distanceToReference ; csp:referenceValue 20"
    assert run(tmp_path, a=reference).of("A") == [50.0, 100.0, 200.0, 150.0]
    assert run(tmp_path, a=reference + " ; csp:direction csp:lowerIsBetter").of("A") == \
        [150.0, 100.0, 0.0, 50.0]


def test_a_node_setting_wins_over_the_framework(tmp_path: Path) -> None:
    """The framework says z-score, node A says none: A as it is, B as z-scores."""
    found = run(tmp_path, fw="; csp:normalisation csp:zScore",
                a="; csp:normalisation csp:noNormalisation")
    assert found.of("A") == [10.0, 20.0, 40.0, 30.0]
    assert found.of("B")[0] == pytest.approx(1.1547, abs=1e-4)  # (40 - 20) / sqrt(300)


# --- transformation ----------------------------------------------------------------------

def test_logarithm(tmp_path: Path) -> None:
    """csp:logarithm, then none: ln(x - 10 + 1) = 0, 2.3979, 3.434, 3.0445; the run keeps
    the value before and after (indicator-scores.rq: originalValue, treatedValue)."""
    found = run(tmp_path, fw="; csp:transformation csp:logarithm ; "
                             "csp:normalisation csp:noNormalisation")
    assert found.of("A") == [0.0, 2.3979, 3.434, 3.0445]
    assert run(tmp_path, fw="; csp:transformation csp:noTransformation ; "
                            "csp:normalisation csp:noNormalisation").of("A") == \
        [10.0, 20.0, 40.0, 30.0]


# --- aggregation -------------------------------------------------------------------------

NONE = "; csp:normalisation csp:noNormalisation ; csp:imputation csp:fixedValueImputation ; " \
       "csp:imputationValue 20"
"""A and B as they are, B of city 4 filled with 20: B = 40, 10, 10, 20."""


def test_weighted_arithmetic_mean(tmp_path: Path) -> None:
    """csp:weightedMean: (a + 3b) / 4 = 32.5, 12.5, 17.5, 22.5."""
    assert run(tmp_path, fw=NONE + " ; csp:aggregation csp:weightedMean").of("P") == \
        [32.5, 12.5, 17.5, 22.5]


def test_weighted_sum(tmp_path: Path) -> None:
    """csp:sum: a + 3b = 130, 50, 70, 90."""
    assert run(tmp_path, fw=NONE + " ; csp:aggregation csp:sum").of("P") == \
        [130.0, 50.0, 70.0, 90.0]


def test_weighted_geometric_mean(tmp_path: Path) -> None:
    """csp:geometricMean: (a b^3)^(1/4): city 1 (10 x 64000)^(1/4) = 28.2843, ..."""
    assert run(tmp_path, fw=NONE + " ; csp:aggregation csp:geometricMean").of("P") == \
        [28.2843, 11.8921, 14.1421, 22.1336]


def test_weighted_harmonic_mean(tmp_path: Path) -> None:
    """csp:harmonicMean: 4 / (1/a + 3/b): city 1 4 / (0.1 + 0.075) = 22.8571, ..."""
    assert run(tmp_path, fw=NONE + " ; csp:aggregation csp:harmonicMean").of("P") == \
        [22.8571, 11.4286, 12.3077, 21.8182]


def test_geometric_mean_of_a_negative_score_is_an_error(tmp_path: Path) -> None:
    """z-scores are negative: the geometric mean refuses them, naming node, child and city."""
    with pytest.raises(ValueError, match=r"node P: .*geometricMean.* negative score \(A, 2023"):
        run(tmp_path, fw="; csp:normalisation csp:zScore ; csp:aggregation csp:geometricMean")


# --- missing data ------------------------------------------------------------------------

AS_IS = "; csp:normalisation csp:noNormalisation"


def test_no_imputation_and_the_coverage_rule(tmp_path: Path) -> None:
    """csp:noImputation: P of city 4 is A alone (30, coverage 1/2); with csp:minimumCoverage
    0.75 it is not scored, with the reason."""
    found = run(tmp_path, fw=AS_IS + " ; csp:imputation csp:noImputation")
    assert found.of("P") == [32.5, 12.5, 17.5, 30.0]
    assert found.imputed == {}
    strict = run(tmp_path, fw=AS_IS + " ; csp:minimumCoverage 0.75")
    assert strict.of("P") == [32.5, 12.5, 17.5, None]
    assert strict.reasons == {4: "data for 1 of 2 parts; at least 75 % are needed"}


def test_mean_imputation(tmp_path: Path) -> None:
    """csp:meanImputation on B: (40 + 10 + 10) / 3 = 20 for city 4, marked; P4 = 22.5."""
    found = run(tmp_path, fw=AS_IS, b="; csp:imputation csp:meanImputation")
    assert found.of("B") == [40.0, 10.0, 10.0, 20.0]
    assert found.imputed == {"B": {4: "meanImputation"}}
    assert found.of("P")[3] == 22.5


def test_latest_earlier_year(tmp_path: Path) -> None:
    """csp:latestEarlierYear: city 4 has B = 16 in 2021; a window of 2 years reaches it
    (P4 = (30 + 48) / 4 = 19.5), the default window of 1 does not (2022 is empty)."""
    found = run(tmp_path, fw=AS_IS, b="; csp:imputation csp:latestEarlierYear ; "
                                      "csp:imputationWindow 2")
    assert found.of("B")[3] == 16.0
    assert found.imputed == {"B": {4: "latestEarlierYear"}}
    assert found.of("P")[3] == 19.5
    assert run(tmp_path, fw=AS_IS, b="; csp:imputation csp:latestEarlierYear").of("B")[3] is None


def test_fixed_value_imputation(tmp_path: Path) -> None:
    """csp:fixedValueImputation with csp:imputationValue 0: P4 = 30 / 4 = 7.5."""
    found = run(tmp_path, fw=AS_IS, b="; csp:imputation csp:fixedValueImputation ; "
                                      "csp:imputationValue 0")
    assert found.of("B")[3] == 0.0 and found.of("P")[3] == 7.5
    assert found.imputed == {"B": {4: "fixedValueImputation"}}


def test_mean_imputation_above_the_indicators(tmp_path: Path) -> None:
    """Imputation on P fills P only (it is not passed down: B4 stays missing): P4 is not
    scored at coverage 0.75, then filled with the mean of P1..P3 = (32.5 + 12.5 + 17.5) / 3
    = 20.8333, marked; ranks count it (32.5 first, 20.83 second)."""
    found = run(tmp_path, fw=AS_IS + " ; csp:minimumCoverage 0.75",
                p="; csp:imputation csp:meanImputation")
    assert found.of("B")[3] is None
    assert found.of("P") == [32.5, 12.5, 17.5, 20.8333]
    assert found.imputed == {"P": {1: "meanImputation"}}
    assert found.ranks == {1: 1, 2: 4, 3: 3, 4: 2}


def test_a_term_without_a_formula_is_refused(tmp_path: Path) -> None:
    """An undefined normalisation is a finding of the framework check, never a default."""
    with pytest.raises(FrameworkError, match="UNKNOWN-TERM"):
        run(tmp_path, fw="; csp:normalisation csp:minMaxx")
