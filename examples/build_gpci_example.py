"""Regenerate ``examples/gpci-2023-submission.csv`` from the published GPCI 2023 scores.

Source: Mori Memorial Foundation, Global Power City Index 2023, indicator scores as published
in the public repository nyamato-mmf/gpci-simulator-demo (``gpci2023_en.json``). For each of
the 48 cities and each indicator of the scheme that has a ``skos:exactMatch`` to a GPCI 2023
indicator, one row in the submission long format. City QIDs and countries come from
``examples/gpci-2023-cities.csv``.

Usage: python examples/build_gpci_example.py PATH/TO/gpci2023_en.json
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from rdflib.namespace import SKOS

from cityculture.model import load_indicators
from cityculture.namespaces import CSP

HERE = Path(__file__).resolve().parent
GPCI_PREFIX = "https://w3id.org/cityculture/gpci-2023/indicator/"
SOURCE = "Mori Memorial Foundation, Global Power City Index 2023"


def main(gpci_json: Path) -> None:
    """Write the example submission CSV."""
    scheme = load_indicators()
    by_number: dict[str, tuple[str, str]] = {}
    for ind, match in scheme.subject_objects(SKOS.exactMatch):
        if str(match).startswith(GPCI_PREFIX):
            number = str(match)[len(GPCI_PREFIX):]
            notation = str(scheme.value(ind, SKOS.notation))
            unit = str(scheme.value(scheme.value(ind, CSP.unit), SKOS.notation))
            by_number[number] = (notation, unit)
    with (HERE / "gpci-2023-cities.csv").open(encoding="utf-8") as handle:
        cities = {row["city_name"]: row for row in csv.DictReader(handle)}
    records = json.loads(gpci_json.read_text(encoding="utf-8"))
    out = HERE / "gpci-2023-submission.csv"
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["city_qid", "city_name", "country", "indicator", "year", "value",
                         "unit", "source", "gpci_indicator"])
        for record in records:
            city = cities[record["City Name"]]
            for key, score in record.items():
                number = key.split("_", 1)[0]
                if number in by_number:
                    notation, unit = by_number[number]
                    writer.writerow([city["city_qid"], city["city_name"], city["country"],
                                     notation, 2023, repr(float(score)), unit, SOURCE, key])
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
