"""Benchmark: the Monte Carlo sensitivity analysis on the bundled example, linear in samples.

Loads the bundled example (48 cities, ``examples/gpci-2023-submission.csv``) into an
embedded store and runs ``rank_intervals`` with the paper's framework for 20 and for 200
samples, after one plain assessment as the baseline. Prints the wall-clock and CPU seconds
of each, the time per sample, the ratio 200 / 20 (10 when the cost is linear in the number
of samples) and the ratio of 200 samples to one assessment; checks that the store holds no
graph of a sample afterwards. The target: 200 samples in under 60 s.

Usage:
    python bench/sensitivity.py [--samples 200]
"""

from __future__ import annotations

import argparse
import json
import time

from cityculture.assess.frameworks import resolve_framework
from cityculture.assess.run import assess
from cityculture.assess.sensitivity import rank_intervals
from cityculture.ingest.reader import read_submission
from cityculture.resources import resource_path
from cityculture.store.backends import OxigraphBackend


def timed(call) -> tuple[float, float]:  # noqa: ANN001
    """Run ``call``; return its wall-clock and CPU seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    call()
    return round(time.perf_counter() - wall, 2), round(time.process_time() - cpu, 2)


def main() -> None:
    """Measure one assessment, then the sensitivity analysis at two sample counts."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    store = OxigraphBackend()
    submission = read_submission(resource_path("examples", "gpci-2023-submission.csv"))
    store.replace_graph(submission.graph_name.value, submission.ntriples())
    framework = resolve_framework("paper")
    one_run = timed(lambda: assess(store, framework))
    graphs = set(store.graph_names())
    small = max(1, args.samples // 10)
    few = timed(lambda: rank_intervals(store, framework, samples=small))
    many = timed(lambda: rank_intervals(store, framework, samples=args.samples))
    print(json.dumps({
        "cities": 48, "assessment_seconds": one_run[0],
        f"samples_{small}": {"seconds": few[0], "cpu_seconds": few[1]},
        f"samples_{args.samples}": {"seconds": many[0], "cpu_seconds": many[1],
                                    "per_sample_ms": round(1000 * many[1] / args.samples, 1)},
        "cpu_ratio_many_over_few": round(many[1] / few[1], 1) if few[1] else None,
        "many_over_one_assessment": round(many[0] / one_run[0], 1),
        "graphs_left_by_samples": sorted(set(store.graph_names()) - graphs),
    }, indent=2))


if __name__ == "__main__":
    main()
