"""Benchmark: republish a store after one more load, against a fresh publish of the same store.

Builds an embedded store the way a publisher does (``cityculture load`` of the bundled GPCI
2023 example, then ``cityculture assess --store``), publishes it, loads one more submission
(``tests/data/tiny-cities.csv``) and publishes again into the same folder. The baseline is a
fresh publish of the grown store into an empty folder, in the same process. Prints wall
time, files written and removed for each step, and the ratios (republish / fresh).

Usage:
    python bench/republish.py [--workdir DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cityculture.publish.site import publish_site
from cityculture.publish.source import store_source

ROOT = Path(__file__).resolve().parent.parent
COMMAND = [sys.executable, "-c", "from cityculture.cli import main; main()"]


def cli(*args: str) -> None:
    subprocess.run([*COMMAND, *args], check=True, capture_output=True, cwd=ROOT)


def publish(store: Path, site: Path) -> tuple[float, float, int, int, int]:
    """Publish; return wall and CPU seconds, files written, removed, and in the site."""
    start, cpu = time.perf_counter(), time.process_time()
    done = publish_site(store_source(store), site)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    files = sum(1 for p in site.rglob("*") if p.is_file())
    return seconds, cpu, done.rewritten, len(done.removed), files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="cityculture-republish-"))
    work.mkdir(parents=True, exist_ok=True)
    store, site, fresh = work / "store", work / "site", work / "fresh"
    cli("load", str(ROOT / "examples" / "gpci-2023-submission.csv"), "--store", str(store),
        "--body", "Mori Memorial Foundation")
    cli("assess", "--store", str(store), "--format", "json")
    rows = [("first publish", *publish(store, site)),
            ("republish, store unchanged", *publish(store, site))]
    cli("load", str(ROOT / "tests" / "data" / "tiny-cities.csv"), "--store", str(store),
        "--body", "Test body")
    rows.append(("republish after one more load", *publish(store, site)))
    rows.append(("fresh publish of the grown store (baseline)", *publish(store, fresh)))
    print(f"{'step':46} {'wall s':>7} {'CPU s':>7} {'written':>8} {'removed':>8} {'files':>6}")
    for name, seconds, cpu, written, removed, files in rows:
        print(f"{name:46} {seconds:7.1f} {cpu:7.1f} {written:8d} {removed:8d} {files:6d}")
    again, baseline = rows[2], rows[3]
    print(f"republish after one more load / fresh publish: wall {again[1] / baseline[1]:.2f}, "
          f"CPU {again[2] / baseline[2]:.2f}, files written {again[3] / baseline[3]:.3f} "
          f"({again[3]} of {baseline[3]})")


if __name__ == "__main__":
    main()
