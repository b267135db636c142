"""Benchmark: load and assess a national-scale corpus, against a bare baseline in the same run.

Generates 700 cities x 40 indicators x 20 years (560,000 observations, about 5 million
triples) in the same RDF shape the ingest stage writes. Two child processes then each
bulk-load it into an embedded Oxigraph store (in memory, or on disk with --store disk) and
assess it with the paper's framework, all years and all cities:

* ``baseline``: the least any assessment must do on this engine: the bulk load; one SELECT
  of the observations; min-max per indicator and year (inverted where lower is better);
  weighted means up the framework's levels; the scores and ranks written back as one graph;
* ``cityculture``: :func:`cityculture.assess.run.assess` as a user runs it: the framework
  checked, the model and framework graphs stored, every method resolved per node, indicator
  scores, coverage, not-scored records, outlier checks and PROV written in the run graph.

Prints each one's load and assess time (wall clock, and the process's CPU time, which other
work on a shared machine disturbs less) and peak memory (the child's maximum resident set,
store included), and the ratios of load + assess of the two.

Usage:
    python bench/assess.py [--cities 700] [--indicators 40] [--years 20] [--store memory|disk]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rdflib.namespace import RDF, SKOS

from cityculture.model import load_indicators
from cityculture.namespaces import CSP

SUB = "https://w3id.org/cityculture/submission/bench"
CSPNS = str(CSP)


def pick_indicators(count: int) -> list[tuple[str, str, str, str]]:
    """Return (IRI, unit IRI, value kind, direction) of ``count`` indicators, every aspect first."""
    scheme = load_indicators()
    by_aspect: dict[str, list[tuple[str, str, str, str]]] = {}
    for ind in sorted(scheme.subjects(RDF.type, CSP.Indicator), key=str):
        entry = (str(ind), str(scheme.value(ind, CSP.unit)),
                 str(scheme.value(ind, CSP.valueKind)).rsplit("/", 1)[-1],
                 str(scheme.value(ind, CSP.direction)))
        aspect = scheme.value(ind, CSP.measures) or scheme.value(ind, CSP.proxyFor)
        by_aspect.setdefault(str(aspect), []).append(entry)
        del entry
    chosen: list[tuple[str, str, str, str]] = []
    while len(chosen) < count and any(by_aspect.values()):
        for entries in by_aspect.values():
            if entries and len(chosen) < count:
                chosen.append(entries.pop(0))
    assert SKOS  # the scheme is SKOS; kept for readers of this file
    return chosen


def generate(path: Path, cities: int, indicators: int, years: int, seed: int = 3) -> int:
    """Write the corpus as N-Triples; return the number of observations."""
    rng = random.Random(seed)
    chosen = pick_indicators(indicators)
    t = CSPNS
    count = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(f"<{SUB}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{t}Submission> .\n")
        for c in range(cities):
            city = f"https://w3id.org/cityculture/city/Q{200000 + c}"
            country = ["FR", "DE", "IT", "ES", "PL", "NL", "CN"][c % 7]
            out.write(f'<{city}> <{t}countryCode> "{country}" .\n'
                      f'<{city}> <http://www.w3.org/2000/01/rdf-schema#label> "City {c}" .\n')
            for ind, unit, kind, _direction in chosen:
                value = rng.uniform(5, 60) if kind in ("percentage", "score") else rng.uniform(1, 900)
                for y in range(years):
                    value *= rng.uniform(0.97, 1.03)
                    shown = f"{round(value)}" if kind == "count" else f"{value:.3f}"
                    obs = f"<{SUB}/obs/{count:09d}>"
                    count += 1
                    out.write(
                        f"{obs} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{t}Observation> .\n"
                        f"{obs} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://purl.org/linked-data/cube#Observation> .\n"
                        f"{obs} <http://purl.org/linked-data/cube#dataSet> <{SUB}> .\n"
                        f"{obs} <{t}city> <{city}> .\n"
                        f"{obs} <{t}indicator> <{ind}> .\n"
                        f'{obs} <{t}refYear> "{2004 + y}"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
                        f'{obs} <{t}value> "{shown}"^^<http://www.w3.org/2001/XMLSchema#decimal> .\n'
                        f"{obs} <{t}unitMeasure> <{unit}> .\n"
                        f'{obs} <{t}sourceRow> "{count + 1}"^^<http://www.w3.org/2001/XMLSchema#integer> .\n')
    return count


def baseline(store: object, framework_name: str = "paper") -> int:
    """Assess the bare way; return the number of scores written back.

    ``store`` is a pyoxigraph ``Store`` holding the corpus.
    """
    import numpy as np
    import pyoxigraph as ox
    from rdflib import Graph

    from cityculture.assess.frameworks import framework_path

    framework = Graph().parse(framework_path(framework_name), format="turtle")
    scheme = load_indicators()
    parent = {str(n): str(p) for n, p in framework.subject_objects(CSP.parentNode)}
    weight = {str(n): float(w) for n, w in framework.subject_objects(CSP.weight)}
    level = {str(n): int(v) for n, v in framework.subject_objects(CSP.level)}
    stands = {str(n): str(i) for n, i in framework.subject_objects(CSP.standsFor)}
    lower = {str(i) for i in scheme.subjects(CSP.direction, CSP.lowerIsBetter)}
    rows = [(s["i"].value, s["c"].value, int(s["y"].value), float(s["v"].value))
            for s in store.query(  # type: ignore[attr-defined]
                f"SELECT ?i ?c ?y ?v WHERE {{ GRAPH ?g {{ ?o <{CSPNS}indicator> ?i ; "
                f"<{CSPNS}city> ?c ; <{CSPNS}refYear> ?y ; <{CSPNS}value> ?v }} }}")]
    cities = sorted({r[1] for r in rows})
    years = sorted({r[2] for r in rows})
    ci, yi = {c: k for k, c in enumerate(cities)}, {y: k for k, y in enumerate(years)}
    values: dict[str, np.ndarray] = {}
    for indicator, city, year, value in rows:
        values.setdefault(indicator, np.full((len(years), len(cities)), np.nan))[
            yi[year], ci[city]] = value
    scores: dict[str, np.ndarray] = {}
    for node, lv in level.items():
        if lv == 0 and stands[node] in values:
            x = values[stands[node]]
            low, high = np.nanmin(x, axis=1, keepdims=True), np.nanmax(x, axis=1, keepdims=True)
            span = np.where(high > low, high - low, 1.0)
            scaled = 100 * ((high - x) if stands[node] in lower else (x - low)) / span
            scores[node] = scaled
    out = []
    for lv in range(1, max(level.values()) + 1):
        for node in (n for n, v in level.items() if v == lv):
            kids = [k for k, p in parent.items() if p == node and k in scores]
            stacked = np.stack([scores[k] for k in kids], axis=-1)
            w = np.array([weight[k] for k in kids])
            have = ~np.isnan(stacked)
            score = np.nansum(stacked * w, axis=-1) / np.where(have, w, 0).sum(axis=-1)
            scores[node] = score
            ranks = 1 + (score[:, None, :] > score[:, :, None]).sum(axis=-1)
            for y in range(len(years)):
                for c in range(len(cities)):
                    s = f"<{SUB}/run/{node.rsplit('/', 1)[-1]}/{c}/{y}>"
                    out += [f"{s} <{CSPNS}frameworkNode> <{node}> .",
                            f"{s} <{CSPNS}city> <{cities[c]}> .",
                            f'{s} <{CSPNS}refYear> "{years[y]}"^^<http://www.w3.org/2001/XMLSchema#integer> .',
                            f'{s} <{CSPNS}scoreValue> "{score[y, c]!r}"^^<http://www.w3.org/2001/XMLSchema#double> .',
                            f'{s} <{CSPNS}rankValue> "{ranks[y, c]}"^^<http://www.w3.org/2001/XMLSchema#integer> .']
    store.bulk_load(("\n".join(out) + "\n").encode(), format=ox.RdfFormat.N_TRIPLES,  # type: ignore[attr-defined]
                    to_graph=ox.NamedNode(f"{SUB}/run"))
    return len(out) // 5


def run_engine(engine: str, corpus: Path, store_kind: str) -> dict[str, object]:
    """Load the corpus and assess it with ``engine`` (``baseline`` or ``cityculture``)."""
    import pyoxigraph as ox

    from cityculture.store.embedded import OxigraphBackend

    directory = (Path(tempfile.mkdtemp(prefix="cityculture-bench-store-"))
                 if store_kind == "disk" else None)
    start, cpu_start = time.perf_counter(), time.process_time()
    store = OxigraphBackend(directory)
    store.oxigraph.bulk_load(path=str(corpus), format=ox.RdfFormat.N_TRIPLES,
                             to_graph=ox.NamedNode(SUB))
    loaded = time.perf_counter()
    if engine == "baseline":
        scores = baseline(store.oxigraph)
    else:
        from cityculture.assess.frameworks import resolve_framework
        from cityculture.assess.run import assess

        run = assess(store, resolve_framework("paper"))
        scores = store.count(run.iri)
    assessed, cpu = time.perf_counter(), time.process_time() - cpu_start
    peak = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    store.close()
    if directory is not None:
        shutil.rmtree(directory, ignore_errors=True)
    return {"engine": engine, "load_seconds": round(loaded - start, 1),
            "assess_seconds": round(assessed - loaded, 1),
            "total_seconds": round(assessed - start, 1), "cpu_seconds": round(cpu, 1),
            "written": scores, "peak_mib": peak}


def measure(engine: str, corpus: Path, store_kind: str) -> dict[str, object]:
    """Run one engine in a child process (its own peak memory)."""
    try:
        done = subprocess.run([sys.executable, __file__, "--child", engine, str(corpus),
                               "--store", store_kind],
                              capture_output=True, text=True, timeout=3600, check=True)
    except subprocess.CalledProcessError as exc:
        return {"engine": engine, "failed": exc.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Generate the corpus, run the baseline and the assessment, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cities", type=int, default=700)
    parser.add_argument("--indicators", type=int, default=40)
    parser.add_argument("--years", type=int, default=20)
    parser.add_argument("--store", choices=["memory", "disk"], default="memory",
                        help="Oxigraph in memory, or on disk in a temporary directory")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_engine(args.child[0], Path(args.child[1]), args.store)))
        return
    with tempfile.TemporaryDirectory(prefix="cityculture-bench-") as tmp:
        corpus = Path(tmp) / "corpus.nt"
        observations = generate(corpus, args.cities, args.indicators, args.years)
        bare = measure("baseline", corpus, args.store)
        ours = measure("cityculture", corpus, args.store)
        ratios = {f"{key}_over_baseline": round(float(ours[key]) / float(bare[key]), 2)  # type: ignore[arg-type]
                  for key in ("total_seconds", "cpu_seconds") if key in bare and key in ours}
        print(json.dumps({"observations": observations, "store": args.store,
                          "baseline": bare, "cityculture": ours, **ratios}, indent=2))


if __name__ == "__main__":
    main()
