"""Read the published GPCI scores (JSON) as a submission of GPCI indicator observations.

The Global Power City Index publishes, per city, the score (0-100) of each of its 70
indicators under keys like ``27_Cu2_Cu_Proximity to World Heritage Sites``. Each score becomes
one observation of the GPCI indicator ``GPCI-27`` (defined with the GPCI framework). Cities
are keyed by Wikidata QID through a city table (``examples/gpci-2023-cities.csv``). The JSON
record and key stand in for the row and column of a tabular submission.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

from cityculture.ingest.errors import UnusableInput
from cityculture.ingest.observations import submission_from_tables
from cityculture.ingest.submission import Submission
from cityculture.ingest.tabular import REQUIRED_COLUMNS, Table, TableRow
from cityculture.resources import resource_path

SOURCE = "Mori Memorial Foundation, Global Power City Index"


def read_gpci(
    path: Path,
    *,
    year: int = 2023,
    cities_csv: Path | None = None,
    body: str = "Mori Memorial Foundation",
    submitted: date | None = None,
) -> Submission:
    """Read a GPCI scores JSON file into a submission of GPCI indicator observations."""
    cities_csv = cities_csv or resource_path("examples", "gpci-2023-cities.csv")
    with cities_csv.open(encoding="utf-8") as handle:
        cities = {row["city_name"]: row for row in csv.DictReader(handle)}
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UnusableInput(path, f"not a GPCI scores JSON file: {exc}") from exc
    rows: list[TableRow] = []
    for number, record in enumerate(records, start=1):
        name = record.get("City Name")
        city = cities.get(name)
        if city is None:
            raise UnusableInput(path, f"city {name!r} is not in {cities_csv.name}", row=number,
                                column="City Name")
        for key, score in record.items():
            if not key[:2].isdigit():
                continue
            rows.append(TableRow(row=len(rows) + 2, values={
                "city_qid": city["city_qid"], "city_name": city["city_name"],
                "country": city["country"], "indicator": f"GPCI-{key.split('_', 1)[0]}",
                "year": str(year), "value": repr(float(score)), "unit": "INDEX-POINT",
                "source": f"{SOURCE} {year}", "gpci_key": key,
            }))
    columns = [*REQUIRED_COLUMNS, "gpci_key"]
    table = Table(path=path, sheet=None, columns=columns, original_columns=columns, rows=rows)
    return submission_from_tables([table], body=body, submitted=submitted)
