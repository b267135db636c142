"""Benchmark: a national collection from CSV to published site, as a user runs it.

Generates a national submission CSV (by default 240,000 rows: 600 cities x 40 indicators x
10 years, about 15 MB, in the columns of ``cityculture template``), then runs the commands a
statistics office runs, each in its own child process, and reports wall time and the peak
resident memory of the command's process tree:

1. ``cityculture validate FILE``;
2. ``cityculture load FILE --store DIR`` (into a new store);
3. ``cityculture assess --store DIR`` (the paper's framework, every year);
4. ``cityculture publish OUT --store DIR``;
5. ``cityculture serve --store DIR``: seconds until its SPARQL endpoint answers.

The baseline, run in the same process tree on the same file, is what the work cannot go
below: reading the CSV with Python's ``csv`` module and bulk-loading the N-Triples that
``load`` stores with ``pyoxigraph.Store.bulk_load`` (no validation, no atomic write). Each
command's time is printed with its ratio to that baseline, and against the targets.

Usage:
    python bench/national.py [--rows 240000] [--keep DIR] [--skip assess,publish,...] [--store DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

TARGETS = {  # seconds, MiB: what a national collection must stay under on 2 cores
    "validate": (25, 1536),
    "load": (40, 2048),
    "publish": (300, None),
    "serve start-up": (3, None),
}
COUNTRY = "CN"


def indicators(count: int) -> list[tuple[str, str]]:
    """Return (notation, unit) of ``count`` indicators of the bundled scheme, in order."""
    from cityculture.ingest.template import indicator_rows

    rows = indicator_rows()
    return [(r[0], r[2]) for r in rows[:count]]


def _value(value: float, unit: str) -> str:
    return str(round(value)) if unit == "NUM" else f"{value:.3f}"


def generate(path: Path, rows: int, *, indicator_count: int = 40, years: int = 10,
             seed: int = 7) -> int:
    """Write the national CSV; return the number of data rows written."""
    rng = random.Random(seed)
    chosen = indicators(indicator_count)
    cities = -(-rows // (len(chosen) * years))
    written = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["city_qid", "city_name", "country", "indicator", "year", "value",
                      "unit", "source"])
        for c in range(cities):
            qid, name = f"Q{300000 + c}", f"City {c:04d}"
            for notation, unit in chosen:
                value = rng.uniform(5, 60)  # inside every value kind's range
                for year in range(2014, 2014 + years):
                    if written == rows:
                        return written
                    value *= rng.uniform(0.97, 1.03)  # under the year-on-year change warning
                    out.writerow([qid, name, COUNTRY, notation, year, _value(value, unit), unit,
                                  "National statistics office"])
                    written += 1
    return written


def _measured(argv: list[str]) -> dict[str, object]:
    """Run ``argv`` in a child process tree; return seconds, peak MiB and the exit code."""
    code = ("import resource, subprocess, sys, time, json\n"
            "start = time.perf_counter()\n"
            "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL,"
            " stderr=subprocess.PIPE, text=True)\n"
            "print(json.dumps({'seconds': time.perf_counter() - start, 'exit': done.returncode,"
            " 'peak_mib': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024,"
            " 'stderr': done.stderr[-400:]}))\n")
    done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout)


def _cli(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("cityculture")
    return [str(script) if script.exists() else "cityculture", *args]


def _baseline(csv_path: Path, workdir: Path) -> dict[str, object]:
    """Read the CSV and bulk-load its N-Triples (made beforehand), in a child process."""
    nt = workdir / "baseline.nt"
    subprocess.run([sys.executable, "-c", (
        "import sys; from pathlib import Path;"
        "from cityculture.ingest.reader import read_submission;"
        "s = read_submission(Path(sys.argv[1])); Path(sys.argv[2]).write_bytes(s.ntriples())"),
        str(csv_path), str(nt)], check=True)
    code = ("import csv, sys, pyoxigraph as ox\n"
            "rows = sum(1 for _ in csv.reader(open(sys.argv[1], encoding='utf-8')))\n"
            "store = ox.Store(sys.argv[3])\n"
            "store.bulk_load(path=sys.argv[2], format=ox.RdfFormat.N_TRIPLES,"
            " to_graph=ox.NamedNode('https://example.org/g'))\n"
            "store.flush()\n")
    result = _measured([sys.executable, "-c", code, str(csv_path), str(nt),
                        str(workdir / "baseline-store")])
    result["triples"] = nt.read_bytes().count(b"\n")
    return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve_start(store: Path) -> dict[str, object]:
    """Start ``serve --store``; return the seconds until /sparql answers an ASK."""
    port = _free_port()
    start = time.perf_counter()
    child = subprocess.Popen(_cli("serve", "--store", str(store), "--port", str(port)),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             start_new_session=True)
    url = f"http://127.0.0.1:{port}/sparql?query=ASK%7B%7D"
    seconds = None
    try:
        while time.perf_counter() - start < 600 and child.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:
                    if answer.status == 200:
                        seconds = time.perf_counter() - start
                        break
            except OSError:
                time.sleep(0.05)
    finally:
        with contextlib.suppress(ProcessLookupError):  # it may have ended on its own
            os.killpg(child.pid, signal.SIGTERM)
        child.wait(timeout=30)
    return {"seconds": seconds, "exit": 0 if seconds is not None else 1, "peak_mib": None}


def main() -> None:
    """Generate the national CSV, run each command on it and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=240_000)
    parser.add_argument("--keep", type=Path, default=None,
                        help="Work in this folder and keep it (default: a temporary one).")
    parser.add_argument("--skip", default="", help="Comma-separated steps to leave out.")
    parser.add_argument("--store", type=Path, default=None,
                        help="A store that an earlier run of this script loaded and assessed "
                             "(with the same --rows): publish and serve it, without "
                             "validating, loading or assessing again.")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    if args.store is not None:
        if not args.store.is_dir():
            parser.error(f"--store: no store directory at {args.store}")
        skip |= {"validate", "load", "assess"}
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="cityculture-national-"))
    workdir.mkdir(parents=True, exist_ok=True)
    csv_path = workdir / "national.csv"
    rows = generate(csv_path, args.rows)
    size = csv_path.stat().st_size
    print(f"national CSV: {rows} rows, {size / 1e6:.1f} MB ({csv_path})", flush=True)
    store = args.store or workdir / "store"
    if args.store is None:
        shutil.rmtree(store, ignore_errors=True)
    steps: list[tuple[str, list[str] | None]] = [
        ("validate", _cli("validate", str(csv_path), "--format", "json")),
        ("load", _cli("load", str(csv_path), "--store", str(store), "--format", "json")),
        ("assess", _cli("assess", "--store", str(store), "--format", "json")),
        ("publish", _cli("publish", str(workdir / "site"), "--store", str(store))),
        ("serve start-up", None),
    ]
    baseline = _baseline(csv_path, workdir)
    print(f"baseline (csv read + bulk_load of {baseline['triples']} triples): "
          f"{baseline['seconds']:.1f} s, {baseline['peak_mib']} MiB", flush=True)
    results: dict[str, dict[str, object]] = {"baseline": baseline}
    for name, argv in steps:
        if name in skip:
            continue
        result = _serve_start(store) if argv is None else _measured(argv)
        results[name] = result
        seconds = result["seconds"]
        target_s, target_mib = TARGETS.get(name, (None, None))
        shown = "no answer" if seconds is None else f"{seconds:.1f} s"
        line = f"{name:15} {shown:>10}"
        if result.get("peak_mib") is not None:
            line += f" {result['peak_mib']:>6} MiB"
        if seconds is not None:
            line += f"  x{seconds / float(baseline['seconds']):.1f} baseline"  # type: ignore[arg-type]
        if target_s is not None:
            line += f"  (target < {target_s} s" + (f", {target_mib} MiB)" if target_mib
                                                   else ")")
        if result["exit"] not in (0, None) and name != "validate":
            line += f"  EXIT {result['exit']}: {str(result.get('stderr', '')).strip()[-200:]}"
        print(line, flush=True)
    print(json.dumps({k: {x: v for x, v in r.items() if x != "stderr"}
                      for k, r in results.items()}))
    if args.keep is None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
