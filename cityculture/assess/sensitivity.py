"""Uncertainty and sensitivity: rank intervals under random weights and normalisations.

As the JRC reports for the Cultural and Creative Cities Monitor: each Monte Carlo sample
multiplies every weight of the framework by a factor drawn uniformly from [1 - d, 1 + d]
(d = 0.25 by default) and picks a normalisation method at random; the assessment is re-run
on the store and each city's rank on the top index recorded. The result per city is the
median rank and the 5-95 % interval. Seeded, so runs repeat. The weights are changed by
SPARQL Update on a copy of the framework graph: the recipe is data here too.
"""

from __future__ import annotations

import random
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal
from rdflib.namespace import RDF

from cityculture.assess.frameworks import Framework, resolve_framework
from cityculture.assess.results import city_results
from cityculture.assess.run import AssessmentStore, run_assessment
from cityculture.namespaces import CSP

METHODS = [CSP.minMax, CSP.zScore]


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


def perturbed_framework(framework: Framework, rng: random.Random, spread: float,
                        vary_normalisation: bool, outdir: Path, sample: int) -> Framework:
    """Write a copy of the framework with perturbed weights (and maybe another normalisation)."""
    graph = Graph().parse(framework.path, format="turtle")
    for node, weight in list(graph.subject_objects(CSP.weight)):
        factor = rng.uniform(1 - spread, 1 + spread)
        graph.set((node, CSP.weight, Literal(round(float(weight) * factor, 6))))
    if vary_normalisation:
        for fw in graph.subjects(RDF.type, CSP.AssessmentFramework):
            current = graph.value(fw, CSP.normalisation)
            if current in METHODS:
                graph.set((fw, CSP.normalisation, rng.choice(METHODS)))
    path = outdir / f"{framework.path.stem}-sample-{sample}.ttl"
    graph.serialize(path, format="turtle")
    resolved = resolve_framework(path)
    return Framework(iri=resolved.iri, path=path, graph=f"{framework.graph}/sample/{sample}",
                     top_level=resolved.top_level)


def rank_intervals(
    store: AssessmentStore,
    framework: Framework,
    *,
    samples: int = 50,
    spread: float = 0.25,
    seed: int = 1,
    year: int | None = None,
    vary_normalisation: bool = True,
    drop_runs: bool = True,
) -> list[RankInterval]:
    """Run the Monte Carlo and return each city's median rank and 5-95 % rank interval."""
    rng = random.Random(seed)
    nominal_run = run_assessment(store, framework, year=year)
    nominal = city_results(store, nominal_run.iri, year)
    if not nominal:
        return []
    year = year if year is not None else max(r.year for r in nominal)  # one year's ranks
    nominal = [r for r in nominal if r.year == year]
    code = nominal[0].top_code()
    ranks: dict[str, list[int]] = {r.city: [] for r in nominal}
    runs = [nominal_run.iri]
    with tempfile.TemporaryDirectory(prefix="cityculture-sensitivity-") as tmp:
        for sample in range(samples):
            variant = perturbed_framework(framework, rng, spread, vary_normalisation,
                                          Path(tmp), sample)
            run = run_assessment(store, variant, year=year)
            runs.append(run.iri)
            for result in city_results(store, run.iri, year):
                rank = result.ranks.get(code)
                if rank is not None and result.city in ranks:
                    ranks[result.city].append(rank)
            store.update(f"DROP SILENT GRAPH <{variant.graph}>")
    if drop_runs:
        for run in runs:
            store.update(f"DROP SILENT GRAPH <{run}>")
    intervals = []
    for result in nominal:
        values = sorted(ranks[result.city])
        if not values:
            continue
        intervals.append(RankInterval(
            city=result.city, name=result.name, nominal=result.ranks.get(code),
            median=statistics.median(values), low=_percentile(values, 0.05),
            high=_percentile(values, 0.95)))
    return sorted(intervals, key=lambda i: (i.median, i.name))
