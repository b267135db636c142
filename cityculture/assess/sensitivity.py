"""Uncertainty and sensitivity: rank intervals under random weights and normalisations.

As the JRC reports for the Cultural and Creative Cities Monitor: each Monte Carlo sample
multiplies every weight of the framework by a factor drawn uniformly from [1 - d, 1 + d]
(d = 0.25 by default) and, where a node's normalisation is one of the framework's
``csp:sensitivityNormalisation`` terms (min-max and z-score by default, in
``ontology/methods.ttl``), draws one of them for the sample; each city's rank on the top
index is recorded. The result per city is the median rank and the 5-95 % interval. Seeded,
so runs repeat.

The observation table is read from the store once; every sample is computed in memory by
the same module as a run (:mod:`cityculture.assess.numerics`), so the time is linear in the
number of samples and nothing of the samples is written to the store.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from rdflib import Graph, URIRef

from cityculture.assess.frameworks import Framework
from cityculture.assess.numerics import Assessment, assess_table
from cityculture.assess.run import read_inputs
from cityculture.model import load_ontology
from cityculture.namespaces import CSP
from cityculture.store.interface import Backend


@dataclass(frozen=True)
class RankInterval:
    """A city's rank on the top index across the samples."""

    city: str
    name: str
    nominal: int | None
    median: float
    low: int
    high: int


def _percentile(sorted_values: list[int], share: float) -> int:
    index = min(len(sorted_values) - 1, max(0, round(share * (len(sorted_values) - 1))))
    return sorted_values[index]


def alternative_normalisations(framework: Framework) -> list[URIRef]:
    """Return the normalisations samples draw from: the framework's, else the defaults."""
    graph = Graph().parse(data=framework.turtle, format="turtle")
    own = sorted(o for o in graph.objects(URIRef(framework.iri), CSP.sensitivityNormalisation)
                 if isinstance(o, URIRef))
    if own:
        return own
    return sorted(o for o in load_ontology().objects(CSP.defaultMethodSettings,
                                                     CSP.sensitivityNormalisation)
                  if isinstance(o, URIRef))


def perturbed_framework(framework: Framework, rng: random.Random, spread: float,
                        methods: list[URIRef]) -> Framework:
    """Return a copy of the framework with perturbed weights and maybe other normalisations.

    One normalisation is drawn per sample (from ``methods``; none when empty) and set on
    every node whose own normalisation is one of ``methods``.
    """
    drawn = rng.choice(methods) if methods else None
    nodes = {}
    for iri, node in sorted(framework.nodes.items()):
        settings = node.settings
        if drawn is not None and node.method(CSP.normalisation) in methods:
            settings = settings | {str(CSP.normalisation): drawn}
        weight = node.weight * rng.uniform(1 - spread, 1 + spread)
        nodes[iri] = replace(node, weight=weight, settings=settings)
    return replace(framework, nodes=nodes)


def top_node(framework: Framework) -> str:
    """Return the node cities are ranked by: of the top level, the last by notation."""
    top = framework.top_level
    return sorted((n for n in framework.nodes.values() if n.level == top),
                  key=lambda n: n.code)[-1].iri


def _year_index(assessment: Assessment, year: int | None) -> int | None:
    if not assessment.years:
        return None
    return assessment.years.index(year) if year in assessment.years else (
        None if year is not None else len(assessment.years) - 1)


def city_names(store: Backend, cities: list[str]) -> dict[str, str]:
    """Return the English (or any) rdfs:label of each city, the IRI where it has none."""
    rows = store.select("""PREFIX csp: <https://w3id.org/cityculture/ontology/>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT DISTINCT ?city ?name WHERE { GRAPH ?g { ?o csp:city ?city } GRAPH ?h {
          ?city rdfs:label ?name } }""")
    names = {str(r["city"]): str(r["name"]) for r in rows}
    return {city: names.get(city, city) for city in cities}


def rank_intervals(
    store: Backend,
    framework: Framework,
    *,
    samples: int = 50,
    spread: float = 0.25,
    seed: int = 1,
    year: int | None = None,
    vary_normalisation: bool = True,
    progress: Callable[[int], None] | None = None,
) -> list[RankInterval]:
    """Run the Monte Carlo and return each city's median rank and 5-95 % rank interval.

    ``year``: the year ranked (default: the latest). ``progress`` is called with 1 after
    each sample (for a progress bar).
    """
    rng = random.Random(seed)
    table, directions, _ = read_inputs(store, framework)
    nominal = assess_table(framework, table, directions)
    at = _year_index(nominal, year)
    if at is None:
        return []
    node = top_node(framework)
    nominal_ranks = nominal.nodes[node].rank[at]  # type: ignore[index]
    cities = [c for i, c in enumerate(nominal.cities) if not np.isnan(nominal_ranks[i])]
    ranks: dict[str, list[int]] = {city: [] for city in cities}
    methods = alternative_normalisations(framework) if vary_normalisation else []
    for _ in range(samples):
        variant = perturbed_framework(framework, rng, spread, methods)
        sample = assess_table(variant, table, directions).nodes[node].rank[at]  # type: ignore[index]
        for i, city in enumerate(nominal.cities):
            if city in ranks and not np.isnan(sample[i]):
                ranks[city].append(int(sample[i]))
        if progress is not None:
            progress(1)
    names = city_names(store, cities)
    index = {city: i for i, city in enumerate(nominal.cities)}
    intervals = []
    for city in cities:
        values = sorted(ranks[city])
        if not values:
            continue
        intervals.append(RankInterval(
            city=city, name=names[city], nominal=int(nominal_ranks[index[city]]),
            median=statistics.median(values), low=_percentile(values, 0.05),
            high=_percentile(values, 0.95)))
    return sorted(intervals, key=lambda i: (i.median, i.name))
