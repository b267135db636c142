"""The numbers of an assessment: every formula of the method vocabulary, each written once.

SPARQL 1.1 has no logarithm, power, square root or ordering function, so the assessment
selects its observation table with SPARQL (:mod:`cityculture.assess.run`) and computes here,
with numpy, over arrays of (year, city): imputation, transformation, the outlier check and
winsorisation, normalisation, aggregation up the framework's levels, imputation above the
indicators, and ranks. The terms and their parameters are read from the framework
(:class:`~cityculture.assess.frameworks.FrameworkNode`); ``ontology/methods.ttl`` defines
each, and :data:`NORMALISATIONS`, :data:`AGGREGATIONS`, :data:`IMPUTATIONS` and
:data:`TRANSFORMATIONS` map each term to its formula. A term without a formula here is an
error naming it, never a silent default.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

import numpy as np
from rdflib import URIRef

from cityculture.assess.frameworks import Framework, FrameworkNode
from cityculture.namespaces import CSP

RANK_TOLERANCE_DIGITS = 9
"""Scores equal to 9 decimals share a rank (sums of the same numbers in another order differ
in the last bits)."""


class AssessmentError(ValueError):
    """The data cannot be assessed with the framework (names the node, city or term)."""


@dataclass(frozen=True)
class ObservationTable:
    """One value per (indicator, year, city): the mean of the city's numeric observations."""

    cities: list[str]
    years: list[int]
    values: dict[str, np.ndarray]
    """Indicator IRI -> array (years, cities), NaN where the city has no observation."""
    counts: dict[str, np.ndarray]
    """Indicator IRI -> number of observations averaged, same shape."""

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, int, float]]) -> ObservationTable:
        """Build the table from (indicator, city, year, value) rows, averaging repeats.

        The rows are read once and not kept (a national corpus has hundreds of thousands):
        each is stored as two indexes and a value, in arrays per indicator.
        """
        city_seen: dict[str, int] = {}
        year_seen: dict[int, int] = {}
        by_indicator: dict[str, tuple[array, array, array]] = {}
        for indicator, city, year, value in rows:
            entries = by_indicator.get(indicator)
            if entries is None:
                entries = by_indicator[indicator] = (array("q"), array("q"), array("d"))
            entries[0].append(year_seen.setdefault(year, len(year_seen)))
            entries[1].append(city_seen.setdefault(city, len(city_seen)))
            entries[2].append(value)
        cities, years = sorted(city_seen), sorted(year_seen)
        # from the order first seen to the sorted order
        city_at = np.empty(len(cities), dtype=np.intp)
        city_at[[city_seen[c] for c in cities]] = np.arange(len(cities))
        year_at = np.empty(len(years), dtype=np.intp)
        year_at[[year_seen[y] for y in years]] = np.arange(len(years))
        values, counts = {}, {}
        shape = (len(years), len(cities))
        for indicator, (year_of, city_of, value_of) in by_indicator.items():
            at = (year_at[np.frombuffer(year_of, dtype=np.int64)],
                  city_at[np.frombuffer(city_of, dtype=np.int64)])
            sums, count = np.zeros(shape), np.zeros(shape)
            np.add.at(sums, at, np.frombuffer(value_of, dtype=float))
            np.add.at(count, at, 1)
            with np.errstate(invalid="ignore", divide="ignore"):
                values[indicator] = np.where(count > 0, sums / np.maximum(count, 1), np.nan)
            counts[indicator] = count
        return cls(cities=cities, years=years, values=values, counts=counts)


@dataclass
class NodeScores:
    """The results of one framework node: arrays of (year, city)."""

    node: FrameworkNode
    score: np.ndarray
    imputed: np.ndarray
    """True where the score rests on an imputed value (the node's own imputation)."""
    recorded: np.ndarray
    """Per year: True where some compared city has a score or a not-scored record."""
    coverage: np.ndarray | None = None
    """Above the indicators: share of the children with a score (NaN: no record)."""
    have: np.ndarray | None = None
    selected: np.ndarray | None = None
    rank: np.ndarray | None = None
    original: np.ndarray | None = None
    """Indicators: the value before transformation and treatment."""
    treated: np.ndarray | None = None
    """Indicators: the value normalised, where transformation or treatment changed it."""
    winsorised: np.ndarray | None = None


@dataclass(frozen=True)
class OutlierCheck:
    """A distribution that breaks the outlier rule, before treatment."""

    node: str
    year: int
    skewness: float
    kurtosis: float
    winsorised_points: int


@dataclass
class Assessment:
    """Everything a run computed, before it is written as RDF."""

    cities: list[str]
    years: list[int]
    compared: np.ndarray
    """(years, cities): True where the city has data on some indicator of the framework."""
    nodes: dict[str, NodeScores] = field(default_factory=dict)
    outliers: list[OutlierCheck] = field(default_factory=list)
    methods: dict[str, set[str]] = field(default_factory=dict)
    """Step name -> the method terms it applied."""


# --- statistics ---------------------------------------------------------------------------

def skewness(x: np.ndarray) -> float:
    """Sample skewness, e1071 type 2 (as COINr and Excel): n sqrt(n-1)/(n-2) m3/m2^1.5."""
    n = x.size
    d = x - x.mean()
    m2, m3 = (d * d).sum(), (d ** 3).sum()
    if m2 == 0:
        return 0.0
    return float(n * np.sqrt(n - 1) / (n - 2) * m3 / m2 ** 1.5)


def kurtosis(x: np.ndarray) -> float:
    """Sample excess kurtosis, e1071 type 2: ((n+1)(n m4/m2^2 - 3) + 6)(n-1)/((n-2)(n-3))."""
    n = x.size
    d = x - x.mean()
    m2, m4 = (d * d).sum(), (d ** 4).sum()
    if m2 == 0:
        return 0.0
    return float(((n + 1) * (n * m4 / m2 ** 2 - 3) + 6) * (n - 1) / ((n - 2) * (n - 3)))


def breaks_outlier_rule(x: np.ndarray, node: FrameworkNode) -> bool:
    """Apply the JRC rule with the framework's thresholds: |skewness| > s, kurtosis > k."""
    return (x.size >= 4 and abs(skewness(x)) > _number(node, CSP.skewnessThreshold)
            and kurtosis(x) > _number(node, CSP.kurtosisThreshold))


def winsorise(x: np.ndarray, node: FrameworkNode) -> tuple[np.ndarray, np.ndarray]:
    """Winsorise as COINr does; return the treated values and a mask of the points changed.

    While the rule breaks and fewer than the limit of points are treated, the most extreme
    value(s) on the side of the skew are set to the next value.
    """
    limit = _number(node, CSP.winsorisationLimit)
    x = x.copy()
    changed = np.zeros(x.size, dtype=bool)
    while changed.sum() < limit and breaks_outlier_rule(x, node):
        high = skewness(x) >= 0
        extreme = x.max() if high else x.min()
        others = x[x != extreme]
        if others.size == 0:
            break
        at = x == extreme
        x[at] = others.max() if high else others.min()
        changed |= at
    return x, changed


# --- normalisation --------------------------------------------------------------------------

def _min_max(x: np.ndarray, node: FrameworkNode, higher: bool) -> np.ndarray:
    low, high = x.min(), x.max()
    if high == low:
        return np.full(x.size, 50.0)
    return 100 * ((x - low) if higher else (high - x)) / (high - low)


def _z_score(x: np.ndarray, node: FrameworkNode, higher: bool) -> np.ndarray:
    sd = x.std(ddof=1) if x.size > 1 else 0.0
    z = (x - x.mean()) / sd if sd > 0 else np.zeros(x.size)
    return z if higher else -z


def _goalposts(x: np.ndarray, node: FrameworkNode, higher: bool) -> np.ndarray:
    bounds = dict(node.bounds)
    if "target" in bounds:
        bounds["upperBound" if higher else "lowerBound"] = bounds["target"]
    if "lowerBound" not in bounds or "upperBound" not in bounds:
        raise AssessmentError(f"node {node.code}: csp:goalposts needs csp:lowerBound and "
                              "csp:upperBound (or csp:target for the better side)")
    low, high = bounds["lowerBound"], bounds["upperBound"]
    score = 100 * ((x - low) if higher else (high - x)) / (high - low)
    return np.clip(score, 0.0, 100.0)


def _better_counts(x: np.ndarray, higher: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per value: how many values are better, and how many are worse."""
    ordered = np.sort(x)
    below = np.searchsorted(ordered, x, side="left")
    above = x.size - np.searchsorted(ordered, x, side="right")
    return (above, below) if higher else (below, above)


def _rank_score(x: np.ndarray, node: FrameworkNode, higher: bool) -> np.ndarray:
    better, _ = _better_counts(x, higher)
    return 1.0 + better


def _percentile_rank(x: np.ndarray, node: FrameworkNode, higher: bool) -> np.ndarray:
    if x.size == 1:
        return np.full(1, 50.0)
    _, worse = _better_counts(x, higher)
    return 100.0 * worse / (x.size - 1)


def _distance_to_reference(x: np.ndarray, node: FrameworkNode, higher: bool) -> np.ndarray:
    reference = node.number(CSP.referenceValue)
    if not reference:
        raise AssessmentError(f"node {node.code}: csp:distanceToReference needs a non-zero "
                              "csp:referenceValue")
    return 100 * x / reference if higher else 100 * (2 - x / reference)


def _as_is(x: np.ndarray, node: FrameworkNode, higher: bool) -> np.ndarray:
    return x.astype(float)


Normalisation = Callable[[np.ndarray, FrameworkNode, bool], np.ndarray]
NORMALISATIONS: dict[URIRef, Normalisation] = {
    CSP.minMax: _min_max, CSP.zScore: _z_score, CSP.goalposts: _goalposts,
    CSP.rankScore: _rank_score, CSP.percentileRank: _percentile_rank,
    CSP.distanceToReference: _distance_to_reference, CSP.noNormalisation: _as_is,
}


# --- transformation -------------------------------------------------------------------------

TRANSFORMATIONS: dict[URIRef, Callable[[np.ndarray], np.ndarray] | None] = {
    CSP.logarithm: lambda x: np.log(x - x.min() + 1),
    CSP.noTransformation: None,
}


# --- aggregation ----------------------------------------------------------------------------

def _weighted_mean(s: np.ndarray, w: np.ndarray) -> np.ndarray:
    return np.nansum(s * w, axis=1) / np.sum(np.where(np.isnan(s), 0.0, w), axis=1)


def _weighted_sum(s: np.ndarray, w: np.ndarray) -> np.ndarray:
    return np.nansum(s * w, axis=1)


def _geometric_mean(s: np.ndarray, w: np.ndarray) -> np.ndarray:
    weights = np.where(np.isnan(s), 0.0, w)
    with np.errstate(divide="ignore"):
        logs = np.where(np.isnan(s), 0.0, np.log(np.where(np.isnan(s), 1.0, s)))
    return np.exp(np.sum(weights * logs, axis=1) / weights.sum(axis=1))


def _harmonic_mean(s: np.ndarray, w: np.ndarray) -> np.ndarray:
    weights = np.where(np.isnan(s), 0.0, w)
    with np.errstate(divide="ignore"):
        inverse = np.where(np.isnan(s), 0.0, weights / np.where(np.isnan(s), 1.0, s))
    total = inverse.sum(axis=1)
    with np.errstate(divide="ignore"):
        return np.where(np.isinf(total), 0.0, weights.sum(axis=1) / total)


AGGREGATIONS: dict[URIRef, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    CSP.weightedMean: _weighted_mean, CSP.sum: _weighted_sum,
    CSP.geometricMean: _geometric_mean, CSP.harmonicMean: _harmonic_mean,
}
POSITIVE_ONLY = {CSP.geometricMean, CSP.harmonicMean}


# --- imputation -----------------------------------------------------------------------------

def _impute_mean(values: np.ndarray, years: list[int], node: FrameworkNode,
                 missing: np.ndarray) -> np.ndarray:
    present = ~np.isnan(values)
    counts = present.sum(axis=1, keepdims=True)
    sums = np.where(present, values, 0.0).sum(axis=1, keepdims=True)
    means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return np.where(missing, np.broadcast_to(means, values.shape), values)


def _impute_earlier(values: np.ndarray, years: list[int], node: FrameworkNode,
                    missing: np.ndarray) -> np.ndarray:
    window = int(node.number(CSP.imputationWindow) or 1)
    filled = values.copy()
    index = {year: i for i, year in enumerate(years)}
    for i, year in enumerate(years):
        for back in range(1, window + 1):
            j = index.get(year - back)
            if j is None:
                continue
            take = missing[i] & np.isnan(filled[i]) & ~np.isnan(values[j])
            filled[i, take] = values[j, take]
    return filled


def _impute_fixed(values: np.ndarray, years: list[int], node: FrameworkNode,
                  missing: np.ndarray) -> np.ndarray:
    value = node.number(CSP.imputationValue)
    if value is None:
        raise AssessmentError(f"node {node.code}: csp:fixedValueImputation needs "
                              "csp:imputationValue")
    return np.where(missing, value, values)


IMPUTATIONS: dict[URIRef, Callable[[np.ndarray, list[int], FrameworkNode, np.ndarray],
                                   np.ndarray] | None] = {
    CSP.noImputation: None, CSP.meanImputation: _impute_mean,
    CSP.latestEarlierYear: _impute_earlier, CSP.fixedValueImputation: _impute_fixed,
}


# --- ranks ----------------------------------------------------------------------------------

def ranks(scores: np.ndarray) -> np.ndarray:
    """Rank per row (year): 1 + the number of higher scores (equal at 9 decimals tie)."""
    result = np.full(scores.shape, np.nan)
    for i, row in enumerate(scores):
        present = ~np.isnan(row)
        if present.any():
            keys = np.round(row[present], RANK_TOLERANCE_DIGITS)
            better, _ = _better_counts(keys, higher=True)
            result[i, present] = 1 + better
    return result


# --- the assessment -------------------------------------------------------------------------

def _method(node: FrameworkNode, prop: URIRef, table: dict[URIRef, object]) -> URIRef:
    term = node.method(prop)
    if term is None or term not in table:
        raise AssessmentError(f"node {node.code}: {prop.n3()} {term.n3() if term else 'unset'}"
                              " has no formula (see ontology/methods.ttl)")
    return term


def _number(node: FrameworkNode, prop: URIRef) -> float:
    value = node.number(prop)
    if value is None:
        raise AssessmentError(f"node {node.code}: {prop.n3()} is not set")
    return value


def _direction(node: FrameworkNode, directions: dict[str, str]) -> bool:
    """Return True where higher is better (the node's csp:direction, else the indicator's)."""
    direction = node.method(CSP.direction) or directions.get(node.stands_for or "")
    if direction is None:
        raise AssessmentError(f"node {node.code}: no csp:direction for indicator "
                              f"<{node.stands_for}>")
    return URIRef(direction) == CSP.higherIsBetter


def _impute(result: NodeScores, years: list[int], compared: np.ndarray,
            assessment: Assessment, step: str) -> None:
    term = _method(result.node, CSP.imputation, IMPUTATIONS)  # type: ignore[arg-type]
    assessment.methods.setdefault(step, set()).add(str(term))
    impute = IMPUTATIONS[term]
    if impute is None:
        return
    missing = compared & np.isnan(result.score)
    filled = impute(result.score, years, result.node, missing)
    now = missing & ~np.isnan(filled)
    result.score = np.where(now, filled, result.score)
    result.imputed |= now


def _indicator_scores(node: FrameworkNode, table: ObservationTable, compared: np.ndarray,
                      directions: dict[str, str], assessment: Assessment) -> NodeScores:
    raw = table.values.get(node.stands_for or "")
    shape = compared.shape
    values = raw.copy() if raw is not None else np.full(shape, np.nan)
    result = NodeScores(node=node, score=values, imputed=np.zeros(shape, dtype=bool),
                        recorded=~np.all(np.isnan(values), axis=1))
    _impute(result, table.years, compared & result.recorded[:, None], assessment, "imputation")
    original = result.score.copy()
    transform_term = _method(node, CSP.transformation, TRANSFORMATIONS)  # type: ignore[arg-type]
    treatment = node.method(CSP.outlierTreatment)
    if treatment not in (CSP.winsorisation, CSP.noOutlierTreatment):
        raise AssessmentError(f"node {node.code}: csp:outlierTreatment "
                              f"{treatment.n3() if treatment else 'unset'} has no formula")
    normalisation = _method(node, CSP.normalisation, NORMALISATIONS)  # type: ignore[arg-type]
    assessment.methods.setdefault("transformation", set()).add(str(transform_term))
    assessment.methods.setdefault("outlierTreatment", set()).add(str(treatment))
    assessment.methods.setdefault("normalisation", set()).add(str(normalisation))
    higher = True if normalisation == CSP.noNormalisation else _direction(node, directions)
    transform = TRANSFORMATIONS[transform_term]
    treated = original.copy()
    winsorised = np.zeros(shape, dtype=bool)
    score = np.full(shape, np.nan)
    for i, year in enumerate(table.years):
        present = ~np.isnan(original[i])
        if not present.any():
            continue
        x = original[i, present]
        if transform is not None:
            x = transform(x)
        if breaks_outlier_rule(x, node):
            check = OutlierCheck(node=node.iri, year=year, skewness=skewness(x),
                                 kurtosis=kurtosis(x), winsorised_points=0)
            if treatment == CSP.winsorisation:
                x, changed = winsorise(x, node)
                winsorised[i, np.flatnonzero(present)[changed]] = True
                check = replace(check, winsorised_points=int(changed.sum()))
            assessment.outliers.append(check)
        treated[i, present] = x
        score[i, present] = NORMALISATIONS[normalisation](x, node, higher)
    result.score = score
    result.original = original
    changed_any = transform is not None or winsorised.any()
    result.treated = treated if changed_any else None
    result.winsorised = winsorised
    return result


def _aggregate(node: FrameworkNode, children: list[NodeScores], years: list[int],
               compared: np.ndarray, assessment: Assessment) -> NodeScores:
    shape = compared.shape
    rule = _method(node, CSP.aggregation, AGGREGATIONS)  # type: ignore[arg-type]
    assessment.methods.setdefault(f"aggregation-{node.level}", set()).add(str(rule))
    minimum = _number(node, CSP.minimumCoverage)
    weights = np.array([child.node.weight for child in children])
    stacked = np.stack([child.score for child in children], axis=-1)  # (years, cities, kids)
    recorded = np.stack([child.recorded for child in children], axis=-1)  # (years, kids)
    selected = recorded.sum(axis=1).astype(float)  # per year
    have = (~np.isnan(stacked)).sum(axis=2).astype(float)
    if rule in POSITIVE_ONLY and np.any(stacked < 0):
        year, city, kid = (int(v[0]) for v in np.nonzero(stacked < 0))
        raise AssessmentError(
            f"node {node.code}: {rule.n3()} of a negative score ({children[kid].node.code}, "
            f"{years[year]}, <{assessment.cities[city]}>); choose a normalisation with "
            "non-negative scores")
    score = np.full(shape, np.nan)
    for i in range(len(years)):
        rows = have[i] > 0
        if rows.any():
            with np.errstate(invalid="ignore", divide="ignore"):
                score[i, rows] = AGGREGATIONS[rule](stacked[i, rows], weights)
    with np.errstate(invalid="ignore", divide="ignore"):
        coverage = np.where(selected[:, None] > 0, have / selected[:, None], np.nan)
    scored = (have > 0) & (coverage >= minimum) & ~np.isnan(score)
    score = np.where(scored, score, np.nan)
    result = NodeScores(node=node, score=score, imputed=np.zeros(shape, dtype=bool),
                        recorded=np.zeros(len(years), dtype=bool), coverage=coverage,
                        have=have, selected=np.broadcast_to(selected[:, None], shape))
    _impute(result, years, compared & (selected[:, None] > 0), assessment, "imputation")
    reported = compared & (selected[:, None] > 0) & ((have > 0) | (minimum > 0))
    result.recorded = np.any(reported | ~np.isnan(result.score), axis=1)
    return result


def assess_table(framework: Framework, table: ObservationTable,
                 directions: dict[str, str]) -> Assessment:
    """Compute every score of ``framework`` on the observation table."""
    indicators = [n for n in framework.nodes.values() if n.level == 0]
    shape = (len(table.years), len(table.cities))
    compared = np.zeros(shape, dtype=bool)
    for node in indicators:
        if node.stands_for in table.values:
            compared |= ~np.isnan(table.values[node.stands_for])
    assessment = Assessment(cities=table.cities, years=table.years, compared=compared)
    for node in sorted(indicators, key=lambda n: n.iri):
        assessment.nodes[node.iri] = _indicator_scores(node, table, compared, directions,
                                                       assessment)
    for level in range(1, framework.top_level + 1):
        for node in sorted((n for n in framework.nodes.values() if n.level == level),
                           key=lambda n: n.iri):
            children = [assessment.nodes[c.iri] for c in framework.children(node.iri)
                        if c.iri in assessment.nodes]
            if not children:
                raise AssessmentError(f"node {node.code}: no child below level {level}")
            assessment.nodes[node.iri] = _aggregate(node, children, table.years, compared,
                                                    assessment)
    for result in assessment.nodes.values():
        if result.node.level > 0:
            result.rank = ranks(result.score)
    assessment.methods["ranking"] = set()
    return assessment
