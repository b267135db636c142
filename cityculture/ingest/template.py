"""Empty submission templates (CSV and XLSX) with the list of indicators from the scheme.

Without a scheme file the templates list the bundled indicators; with one (a framework file
that declares its own indicators, or a ``--scheme`` file) they list the file's indicators,
and where it declares a city code list, the template names cities by ``city_code`` and
lists the codes.
"""

from __future__ import annotations

import csv
from pathlib import Path

from cityculture.ingest.scheme import Scheme
from cityculture.ingest.tabular import REQUIRED_COLUMNS
from cityculture.model import model_graph
from cityculture.namespaces import CSP
from cityculture.queries import run_query

INDICATOR_COLUMNS = ["indicator", "label", "unit", "higher_is_better", "measures", "framework"]
CITY_COLUMNS = ["city_code", "city_name", "code_list"]


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


def declared_rows(scheme: Scheme) -> list[list[str]]:
    """Return one row per indicator a researcher's file declares, in notation order."""
    higher = str(CSP.higherIsBetter)
    return [[safe_cell(v) for v in (
        i.notation, i.label, i.unit_notation, str(i.direction == higher).lower(), i.measures,
        i.scheme_label)] for i in sorted(scheme.indicators, key=lambda i: i.notation)]


def city_rows(scheme: Scheme) -> list[list[str]]:
    """Return one row per city code of the file's code lists."""
    return [[safe_cell(code), safe_cell(name), codes.iri]
            for codes in scheme.code_lists for code, name in sorted(codes.codes.items())]


def write_templates(outdir: Path, scheme: Scheme | None = None) -> list[Path]:
    """Write ``submission-template.csv``, ``indicators.csv`` and ``submission-template.xlsx``.

    With a ``scheme`` that declares indicators, those are listed instead of the bundled ones;
    with a code list, ``cities.csv`` is written too and the data columns start with
    ``city_code`` instead of ``city_qid``.
    """
    from openpyxl import Workbook

    outdir.mkdir(parents=True, exist_ok=True)
    own = scheme is not None and bool(scheme.indicators)
    rows = declared_rows(scheme) if own else indicator_rows()  # type: ignore[arg-type]
    cities = city_rows(scheme) if scheme is not None else []
    columns = [("city_code" if c == "city_qid" and cities else c) for c in REQUIRED_COLUMNS]
    data_csv = outdir / "submission-template.csv"
    with data_csv.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow(columns)
    list_csv = outdir / "indicators.csv"
    with list_csv.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(INDICATOR_COLUMNS)
        writer.writerows(rows)
    written = [data_csv, list_csv]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Data"
    sheet.append(columns)
    listing = workbook.create_sheet("Indicators")
    listing.append(INDICATOR_COLUMNS)
    for row in rows:
        listing.append(row)
    if cities:
        cities_csv = outdir / "cities.csv"
        with cities_csv.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(CITY_COLUMNS)
            writer.writerows(cities)
        written.append(cities_csv)
        listing = workbook.create_sheet("Cities")
        listing.append(CITY_COLUMNS)
        for row in cities:
            listing.append(row)
    xlsx = outdir / "submission-template.xlsx"
    workbook.save(xlsx)
    return [*written, xlsx]
