"""Write an assessment's results: CSV, JSON, Turtle, charts and a short HTML report."""

from __future__ import annotations

import csv
import html
import json
from pathlib import Path

from cityculture.assess.charts import radar_chart, ranking_chart
from cityculture.assess.results import CityResult
from cityculture.tables import safe_cell


def result_columns(results: list[CityResult]) -> list[str]:
    """Return the node codes in a stable order: indices first, then elements and dimensions."""
    codes: dict[str, int] = {}
    for result in results:
        codes.update(result.levels)
    return sorted(codes, key=lambda c: (-codes[c], c))


def write_csv(results: list[CityResult], path: Path) -> None:
    """One row per city and year: scores and ranks of every node (spreadsheet-safe cells)."""
    codes = result_columns(results)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["city", "name", "year", *codes, *(f"rank_{c}" for c in codes)])
        for r in results:
            writer.writerow([r.city, safe_cell(r.name), r.year,
                             *(_fmt(r.scores.get(c)) for c in codes),
                             *(_rank(r.ranks.get(c)) for c in codes)])


def _rank(rank: int | None) -> str:
    return "" if rank is None else str(rank)


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def write_json(results: list[CityResult], path: Path) -> None:
    """Write one object per city and year."""
    path.write_text(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=2),
                    encoding="utf-8")


def write_report(results: list[CityResult], outdir: Path, *, run: str, framework: str,
                 run_turtle: str) -> list[Path]:
    """Write CSV, JSON, Turtle, radar and ranking charts and ``report.html`` into outdir."""
    outdir.mkdir(parents=True, exist_ok=True)
    written = [outdir / "results.csv", outdir / "results.json", outdir / "run.ttl"]
    write_csv(results, written[0])
    write_json(results, written[1])
    written[2].write_text(run_turtle, encoding="utf-8")
    latest = max((r.year for r in results), default=None)
    latest_results = [r for r in results if r.year == latest]
    charts = ranking_chart(latest_results, outdir)
    radars = {r.city: radar_chart(r, outdir) for r in latest_results}
    written += charts + [p for paths in radars.values() for p in paths]
    codes = result_columns(results)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in codes)
    rows = []
    for r in latest_results:
        cells = "".join(
            f"<td>{_fmt(r.scores.get(c))}"
            f"{' (' + str(r.ranks[c]) + ')' if r.ranks.get(c) is not None else ''}</td>"
            for c in codes)
        radar = radars.get(r.city) or []
        image = (f'<img src="{html.escape(radar[1].name)}" alt="radar of {html.escape(r.name)}" '
                 f'width="220">' if radar else "")
        rows.append(f"<tr><td>{html.escape(r.name)}</td>{cells}<td>{image}</td></tr>")
    ranking = (f'<img src="{html.escape(charts[1].name)}" alt="ranking" style="max-width:100%">'
               if charts else "")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Assessment of the soft power of city culture</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px;font-size:13px;vertical-align:middle}}</style>
</head><body>
<h1>Assessment of the soft power of city culture, {latest}</h1>
<p>Run <code>{html.escape(run)}</code>, framework <code>{html.escape(framework)}</code>.
Scores 0-100 (rank in brackets). Elements: CO cohesion (core), AP appeal (foundation),
IN innovation (multiplication), IF integration force, RA radiation (presentation).</p>
{ranking}
<table><thead><tr><th>city</th>{head}<th>elements</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
<p>Files: <a href="results.csv">results.csv</a>, <a href="results.json">results.json</a>,
<a href="run.ttl">run.ttl</a> (the run graph with provenance).</p>
</body></html>
"""
    report = outdir / "report.html"
    report.write_text(page, encoding="utf-8")
    return [*written, report]
