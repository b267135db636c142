"""Benchmark: assess a national-scale corpus in the embedded store (and on rdflib, as a ratio).

Generates 700 cities x 40 indicators x 20 years (560,000 observations, about 5 million
triples) in the same RDF shape the ingest stage writes, bulk-loads it into an embedded
Oxigraph store, and runs the full assessment with the paper's framework (all years, all
cities): normalisation, aggregation, ranks, all as SPARQL updates. Prints wall time and
peak memory; then runs the same assessment on rdflib's in-memory engine in a child process
with a time limit and prints the ratio (or the time-out).

Usage:
    python bench/assess.py [--cities 700] [--indicators 40] [--years 20] [--rdflib-timeout 600]
                           [--store memory|disk]
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


def run_engine(engine: str, corpus: Path) -> dict[str, object]:
    """Load the corpus and assess it on one engine (in this process).

    ``engine`` is ``oxigraph`` (in memory), ``oxigraph-disk`` (a store in a temporary
    directory) or ``rdflib``.
    """
    from cityculture.assess.frameworks import resolve_framework
    from cityculture.assess.results import city_results
    from cityculture.assess.run import run_assessment

    start = time.perf_counter()
    if engine.startswith("oxigraph"):
        import pyoxigraph as ox

        from cityculture.store.embedded import EmbeddedStore

        directory = (Path(tempfile.mkdtemp(prefix="cityculture-bench-store-"))
                     if engine == "oxigraph-disk" else None)
        store = EmbeddedStore(directory)
        store.oxigraph.bulk_load(path=str(corpus), format=ox.RdfFormat.N_TRIPLES,
                                 to_graph=ox.NamedNode(SUB))
    else:
        from cityculture.store.backends import RdflibBackend

        store = RdflibBackend()
        store.dataset.graph(SUB).parse(corpus, format="nt")
    loaded = time.perf_counter()
    run = run_assessment(store, resolve_framework("paper"))
    assessed = time.perf_counter()
    results = city_results(store, run.iri)
    done = time.perf_counter()
    peak = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if engine == "oxigraph-disk" and directory is not None:
        store.close()
        shutil.rmtree(directory, ignore_errors=True)
    return {"engine": engine, "load_seconds": round(loaded - start, 1),
            "assess_seconds": round(assessed - loaded, 1),
            "results_seconds": round(done - assessed, 1),
            "city_years": len(results),
            "peak_mib": peak}


def measure(engine: str, corpus: Path, timeout: float) -> dict[str, object]:
    """Run one engine in a child process with a time limit."""
    try:
        done = subprocess.run([sys.executable, __file__, "--child", engine, str(corpus)],
                              capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return {"engine": engine, "timed_out_after": timeout}
    except subprocess.CalledProcessError as exc:
        return {"engine": engine, "failed": exc.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Generate the corpus, assess it on Oxigraph and on rdflib, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cities", type=int, default=700)
    parser.add_argument("--indicators", type=int, default=40)
    parser.add_argument("--years", type=int, default=20)
    parser.add_argument("--rdflib-timeout", type=float, default=600.0)
    parser.add_argument("--store", choices=["memory", "disk"], default="memory",
                        help="Oxigraph in memory, or on disk in a temporary directory")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_engine(args.child[0], Path(args.child[1]))))
        return
    with tempfile.TemporaryDirectory(prefix="cityculture-bench-") as tmp:
        corpus = Path(tmp) / "corpus.nt"
        observations = generate(corpus, args.cities, args.indicators, args.years)
        engine = "oxigraph" if args.store == "memory" else "oxigraph-disk"
        oxigraph = measure(engine, corpus, timeout=3600)
        reference = measure("rdflib", corpus, timeout=args.rdflib_timeout)
        total = (float(oxigraph.get("load_seconds", 0)) + float(oxigraph.get("assess_seconds", 0))
                 if "assess_seconds" in oxigraph else None)
        ratio: object = None
        if "assess_seconds" in reference and "assess_seconds" in oxigraph:
            ratio = round(float(reference["assess_seconds"]) / float(oxigraph["assess_seconds"]), 1)
        elif "timed_out_after" in reference and total:
            ratio = f"> {round(float(reference['timed_out_after']) / total, 1)} (rdflib timed out)"
        print(json.dumps({"observations": observations, "oxigraph": oxigraph,
                          "oxigraph_total_seconds": total, "rdflib": reference,
                          "rdflib_over_oxigraph": ratio}, indent=2))


if __name__ == "__main__":
    main()
