"""Benchmark: validate large generated submissions, fast engine vs plain pySHACL.

Generates submissions in the long CSV format with about 1 % injected errors (seeded),
validates each (reading the file included) with cityculture's fast engine and with pySHACL
on the same data graph and shapes, each in its own process, and prints wall time, peak
memory (max RSS), the number of findings, whether both engines found the same findings, and
seconds per 1000 rows (linearity). Once pySHACL times out on a size it is not run on larger
ones. With ``--baseline DIR`` the fast engine of another checkout of the project (e.g. the
main branch) is run on the same files in the same process tree, and the ratios are printed:
on a shared machine the ratio is the figure to trust.

Usage:
    python bench/validate.py [--rows 10000 100000 240000] [--pyshacl-timeout 600]
                             [--pyshacl-max-rows 10000] [--baseline /path/to/other/checkout]
"""

from __future__ import annotations

import argparse
import csv
import inspect
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# (notation, kind) of indicators the generator reports; kinds drive plausible values
INDICATORS = [
    ("CO-01", "count"), ("CO-02", "quantity"), ("CO-03", "quantity"), ("CO-04", "quantity"),
    ("CO-06", "percentage"), ("AP-01", "quantity"), ("AP-02", "quantity"),
    ("AP-03", "percentage"), ("IN-01", "quantity"), ("IN-05", "percentage"),
    ("IF-02", "count"), ("IF-03", "count"), ("IF-04", "percentage"), ("RA-01", "percentage"),
    ("RA-03", "count"), ("EC-02", "quantity"), ("EC-03", "amount"), ("EC-04", "percentage"),
    ("TE-02", "percentage"), ("IS-04", "quantity"),
]
UNITS = {"CO-01": "NUM", "CO-02": "USD-PER-CAPITA", "CO-03": "PER-100K-INHABITANTS",
         "CO-04": "PER-100K-INHABITANTS", "CO-06": "PERCENT", "AP-01": "PER-1000-INHABITANTS",
         "AP-02": "PER-1000-INHABITANTS", "AP-03": "PERCENT", "IN-01": "PER-1000-INHABITANTS",
         "IN-05": "PERCENT", "IF-02": "NUM", "IF-03": "NUM", "IF-04": "PERCENT",
         "RA-01": "PERCENT", "RA-03": "NUM", "EC-02": "USD-PER-CAPITA", "EC-03": "PERCENT",
         "EC-04": "PERCENT", "TE-02": "PERCENT", "IS-04": "MIN"}
HEADER = ["city_qid", "city_name", "country", "indicator", "year", "value", "unit", "source"]
ERRORS = ["range", "not-number", "unknown-indicator", "unit", "bad-qid", "missing-value",
          "duplicate", "year"]


def base_value(kind: str, rng: random.Random) -> float:
    """Return a plausible starting value for an indicator of a value kind."""
    if kind == "count":
        return float(rng.randint(5, 60))
    if kind == "percentage":
        return rng.uniform(10, 60)
    if kind == "amount":
        return rng.uniform(-2, 6)
    return rng.uniform(50, 900)


def generate(rows: int, path: Path, seed: int = 7) -> int:
    """Write a submission of about ``rows`` rows with ~1 % injected errors; return errors."""
    rng = random.Random(seed)
    years = list(range(2014, 2024))
    per_city = len(INDICATORS) * len(years)
    cities = max(1, rows // per_city)
    injected = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for c in range(cities):
            qid, name, country = f"Q{100000 + c}", f"City {c}", rng.choice(["FR", "DE", "CN"])
            for notation, kind in INDICATORS:
                value = base_value(kind, rng)
                for year in years:
                    value = value * rng.uniform(0.97, 1.03) if kind != "amount" else value
                    shown = str(round(value)) if kind == "count" else f"{value:.3f}"
                    row = [qid, name, country, notation, str(year), shown, UNITS[notation],
                           "generated benchmark data"]
                    if rng.random() < 0.01:
                        injected += 1
                        error = rng.choice(ERRORS)
                        row = inject(row, error)
                        if error == "duplicate":
                            writer.writerow(row)
                    writer.writerow(row)
    return injected


def inject(row: list[str], error: str) -> list[str]:
    """Return the row with one error of the given kind."""
    row = list(row)
    if error == "range":
        row[5] = "-5"
    elif error == "not-number":
        row[5] = row[5].replace(".", ",")
        if "," not in row[5]:
            row[5] += ",5"
    elif error == "unknown-indicator":
        row[3] = "XX-99"
    elif error == "unit":
        row[6] = "MIN" if row[6] != "MIN" else "NUM"
    elif error == "bad-qid":
        row[0] = row[0].replace("Q", "X")
    elif error == "missing-value":
        row[5] = ""
    elif error == "year":
        row[4] = row[4] + "a"
    return row


def _key(finding: object) -> str:
    """A finding's identity, the same in every process (no blank-node labels)."""
    parts = [getattr(finding, name) for name in ("code", "severity", "focus", "path", "value",
                                                "component")]
    parts[1] = str(parts[1]).rsplit("#", 1)[-1]
    parts[5] = str(parts[5]).rsplit("#", 1)[-1]
    return json.dumps(parts)


def run_one(engine: str, csv_path: Path, tag: str) -> dict[str, object]:
    """Read and validate in this process and return figures (called in a child process)."""
    from cityculture.ingest.reader import read_submission
    from cityculture.validate.engine import validate_submissions

    start = time.perf_counter()
    try:  # files past the per-file read limits are read with the limits raised
        from cityculture.ingest.limits import ReadLimits
        from cityculture.ingest.observations import submission_from_tables
        from cityculture.ingest.tabular import read_table

        raised = ReadLimits(max_rows=10**7, max_cells=10**9, max_text_chars=10**10)
        options = ({"preload": True}  # as the pipeline reads: the store fills while reading
                   if "preload" in inspect.signature(submission_from_tables).parameters else {})
        submission = submission_from_tables(read_table(csv_path, limits=raised), **options)
    except ImportError:  # a checkout without read limits
        submission = read_submission(csv_path)
    read_seconds = time.perf_counter() - start
    report = validate_submissions([submission], engine=engine)
    seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    keys = sorted({_key(f) for f in report.findings})
    csv_path.with_suffix(f".{tag}.keys.json").write_text(json.dumps(keys), encoding="utf-8")
    return {"engine": engine, "seconds": round(seconds, 2), "read_seconds": round(read_seconds, 2),
            "peak_mib": round(peak_mib), "findings": len(report.findings),
            "triples": len(submission.triples),
            "violations": sum(1 for f in report.findings if str(f.severity).endswith("Violation"))}


def measure(engine: str, csv_path: Path, timeout: float, tag: str,
            checkout: Path | None = None) -> dict[str, object]:
    """Run one engine on one file in a child process, with a time limit."""
    env = dict(os.environ)
    if checkout is not None:  # the other checkout's package comes first on the path
        env["PYTHONPATH"] = os.pathsep.join([str(checkout), env.get("PYTHONPATH", "")])
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--child", engine, str(csv_path), tag],
            capture_output=True, text=True, timeout=timeout, check=True, env=env,
        )
    except subprocess.TimeoutExpired:
        return {"engine": engine, "timed_out_after": timeout}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _same(path: Path, a: str, b: str) -> bool:
    return (path.with_suffix(f".{a}.keys.json").read_text(encoding="utf-8")
            == path.with_suffix(f".{b}.keys.json").read_text(encoding="utf-8"))


def main() -> None:
    """Generate, validate, print figures per size (JSON), then a summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 240_000])
    parser.add_argument("--pyshacl-timeout", type=float, default=600.0)
    parser.add_argument("--pyshacl-max-rows", type=int, default=10_000,
                        help="do not run pySHACL on larger files")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="another checkout of the project whose fast engine to compare")
    parser.add_argument("--child", nargs=3, metavar=("ENGINE", "CSV", "TAG"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child[0], Path(args.child[1]), args.child[2])))
        return
    largest_same = None
    pyshacl_gave_up = False
    with tempfile.TemporaryDirectory(prefix="cityculture-bench-") as tmp:
        for rows in args.rows:
            path = Path(tmp) / f"submission-{rows}.csv"
            injected = generate(rows, path)
            fast = measure("fast", path, timeout=3600, tag="fast")
            figures: dict[str, object] = {"rows": rows, "injected_errors": injected,
                                          "fast": fast,
                                          "fast_seconds_per_1000_rows":
                                              round(float(fast["seconds"]) * 1000 / rows, 3)}
            if args.baseline is not None:
                base = measure("fast", path, timeout=3600, tag="baseline",
                               checkout=args.baseline)
                figures["baseline"] = base
                if "seconds" in base:
                    figures["time_ratio_to_baseline"] = round(
                        float(fast["seconds"]) / float(base["seconds"]), 2)
                    figures["memory_ratio_to_baseline"] = round(
                        float(fast["peak_mib"]) / float(base["peak_mib"]), 2)
                    figures["same_findings_as_baseline"] = _same(path, "fast", "baseline")
            if not pyshacl_gave_up and rows <= args.pyshacl_max_rows:
                reference = measure("pyshacl", path, timeout=args.pyshacl_timeout,
                                    tag="pyshacl")
                figures["pyshacl"] = reference
                if "seconds" in reference:
                    same = _same(path, "fast", "pyshacl")
                    figures["same_findings"] = same
                    figures["pyshacl_time_ratio"] = round(
                        float(reference["seconds"]) / float(fast["seconds"]), 1)
                    if same:
                        largest_same = rows
                else:
                    pyshacl_gave_up = True
                    figures["pyshacl_time_ratio"] = (
                        f"> {round(args.pyshacl_timeout / float(fast['seconds']), 1)}")
            print(json.dumps(figures, indent=2), flush=True)
    print(json.dumps({"largest_rows_with_identical_findings": largest_same}))


if __name__ == "__main__":
    main()
