"""Benchmark: validate large generated submissions, fast engine vs plain pySHACL.

Generates a 10k-row and a 100k-row submission in the long CSV format with about 1 % injected
errors (seeded), validates each with cityculture's fast engine and with plain pySHACL on the
same data graph and shapes, each in its own process, and prints wall time, peak memory
(max RSS), the number of findings and whether both engines found the same findings.

Usage:
    python bench/validate.py [--rows 500 10000 100000] [--pyshacl-timeout 600]
"""

from __future__ import annotations

import argparse
import csv
import json
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


def run_one(engine: str, csv_path: Path) -> dict[str, object]:
    """Validate in this process and return figures (called in a child process)."""
    from cityculture.ingest.reader import read_submission
    from cityculture.validate.engine import (
        build_data_graph,
        result_keys,
        run_pyshacl,
        validate_submissions,
    )

    start = time.perf_counter()
    submission = read_submission(csv_path)
    read_seconds = time.perf_counter() - start
    if engine == "fast":
        report = validate_submissions([submission])
        findings = report.findings
        keys = result_keys(findings)
        triples = len(submission.triples)
    else:
        from cityculture.validate.engine import load_shapes

        data = build_data_graph([submission])
        raw = run_pyshacl(data, load_shapes())
        keys = result_keys(raw)
        findings = raw
        triples = len(submission.triples)
    seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    digest_file = csv_path.with_suffix(f".{engine}.keys.json")
    digest_file.write_text(json.dumps(sorted(map(str, keys))), encoding="utf-8")
    return {"engine": engine, "seconds": round(seconds, 2), "read_seconds": round(read_seconds, 2),
            "peak_mib": round(peak_mib), "findings": len(findings), "triples": triples,
            "violations": sum(1 for f in findings if f.severity == "Violation")}


def measure(engine: str, csv_path: Path, timeout: float) -> dict[str, object]:
    """Run one engine on one file in a child process, with a time limit."""
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--child", engine, str(csv_path)],
            capture_output=True, text=True, timeout=timeout, check=True,
        )
    except subprocess.TimeoutExpired:
        return {"engine": engine, "timed_out_after": timeout}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Generate, validate, print a table of figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[500, 10_000, 100_000])
    parser.add_argument("--pyshacl-timeout", type=float, default=600.0)
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "CSV"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child[0], Path(args.child[1]))))
        return
    with tempfile.TemporaryDirectory(prefix="cityculture-bench-") as tmp:
        for rows in args.rows:
            path = Path(tmp) / f"submission-{rows}.csv"
            injected = generate(rows, path)
            fast = measure("fast", path, timeout=3600)
            reference = measure("pyshacl", path, timeout=args.pyshacl_timeout)
            same = None
            if "findings" in reference:
                same = (path.with_suffix(".fast.keys.json").read_text(encoding="utf-8")
                        == path.with_suffix(".pyshacl.keys.json").read_text(encoding="utf-8"))
            speedup = None
            if "seconds" in reference:
                speedup = round(float(reference["seconds"]) / float(fast["seconds"]), 1)
            elif "timed_out_after" in reference:
                ratio = float(reference["timed_out_after"]) / float(fast["seconds"])
                speedup = f"> {round(ratio, 1)}"
            print(json.dumps({"rows": rows, "injected_errors": injected, "fast": fast,
                              "pyshacl": reference, "same_findings": same,
                              "speedup": speedup}, indent=2))


if __name__ == "__main__":
    main()
