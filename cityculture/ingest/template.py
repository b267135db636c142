"""Empty submission templates (CSV and XLSX) with the list of indicators from the scheme."""

from __future__ import annotations

import csv
from pathlib import Path

from cityculture.ingest.tabular import REQUIRED_COLUMNS
from cityculture.model import model_graph
from cityculture.queries import run_query

INDICATOR_COLUMNS = ["indicator", "label", "unit", "higher_is_better", "measures", "framework"]


def safe_cell(text: str) -> str:
    """Neutralise spreadsheet formula injection: prefix a quote to =, +, -, @ at the start.

    >>> safe_cell("=1+1"), safe_cell("12")
    ("'=1+1", '12')
    """
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def indicator_rows() -> list[list[str]]:
    """Return one row per indicator of the scheme (answers CQ3 in template form)."""
    rows = []
    for r in run_query("cq03-indicators-by-aspect", model_graph()):
        if r.get("indicator") is None:
            continue
        rows.append([safe_cell(str(v)) for v in (
            r["notation"], r["label"], str(r["unit"]).rsplit("/", 1)[-1],
            str(r["higherIsBetter"]).lower(), r["aspectLabel"], r["framework"])])
    return rows


def write_templates(outdir: Path) -> list[Path]:
    """Write ``submission-template.csv``, ``indicators.csv`` and ``submission-template.xlsx``."""
    from openpyxl import Workbook

    outdir.mkdir(parents=True, exist_ok=True)
    rows = indicator_rows()
    data_csv = outdir / "submission-template.csv"
    with data_csv.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow(REQUIRED_COLUMNS)
    list_csv = outdir / "indicators.csv"
    with list_csv.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(INDICATOR_COLUMNS)
        writer.writerows(rows)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Data"
    sheet.append(list(REQUIRED_COLUMNS))
    listing = workbook.create_sheet("Indicators")
    listing.append(INDICATOR_COLUMNS)
    for row in rows:
        listing.append(row)
    xlsx = outdir / "submission-template.xlsx"
    workbook.save(xlsx)
    return [data_csv, list_csv, xlsx]
