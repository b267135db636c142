"""Charts of an assessment: a radar of the five elements per city, and the ranking.

Drawn with matplotlib's non-interactive Agg backend, saved as PNG and SVG. City names and
labels come from submissions, so they are drawn as plain text: matplotlib's mathtext (which
reads ``$...$`` as TeX and fails on what it does not know) and TeX are off while a chart is
built and saved.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from cityculture.assess.results import CityResult
from cityculture.model import elements

if TYPE_CHECKING:
    import matplotlib.pyplot as plt


@cache
def pyplot() -> ModuleType:
    """Import matplotlib with the Agg backend, when a chart is first drawn.

    Imported on first use, not with the module: it takes a second or more, which every
    command that never draws (``serve``, ``validate``...) would otherwise pay at start.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot

    return matplotlib.pyplot


@cache
def element_axes() -> dict[str, str]:
    """Return the elements' codes in the paper's order, with label and role (the ontology's).

    >>> list(element_axes())
    ['CO', 'AP', 'IN', 'IF', 'RA']
    >>> element_axes()["IF"]  # the paper names no role for integration force
    'integration force of city culture'
    """
    return {e.notation: f"{e.label} ({e.role})" if e.role else e.label for e in elements()}


@contextmanager
def plain_text() -> Iterator[None]:
    """Draw every text as it is written: no mathtext, no TeX."""
    with pyplot().rc_context({"text.parse_math": False, "text.usetex": False}):
        yield


def file_stem(text: str) -> str:
    """Return a safe file name stem for a city name or IRI."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:80] or "city"


def radar_chart(result: CityResult, outdir: Path) -> list[Path]:
    """Draw the five element scores of one city as a radar; return the PNG and SVG paths."""
    with plain_text():
        return _radar_chart(result, outdir)


def _radar_chart(result: CityResult, outdir: Path) -> list[Path]:
    codes = [c for c in element_axes() if c in result.scores]
    if len(codes) < 3:
        return []
    values = [result.scores[c] or 0.0 for c in codes]
    angles = [2 * math.pi * i / len(codes) for i in range(len(codes))]
    figure = pyplot().figure(figsize=(5, 5))
    axes = figure.add_subplot(polar=True)
    axes.plot([*angles, angles[0]], [*values, values[0]], linewidth=2)
    axes.fill([*angles, angles[0]], [*values, values[0]], alpha=0.25)
    axes.set_xticks(angles)
    axes.set_xticklabels([element_axes()[c] for c in codes], fontsize=8)
    axes.set_ylim(0, 100)
    axes.set_title(f"{result.name} {result.year}: elements of cultural soft power", fontsize=10)
    return _save(figure, outdir / f"radar-{file_stem(result.name)}-{result.year}")


def _save(figure: plt.Figure, stem: Path) -> list[Path]:
    """Save a figure as PNG and SVG next to each other, then free it."""
    paths = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    for path in paths:
        figure.savefig(path, dpi=100, bbox_inches="tight")
    pyplot().close(figure)
    return paths


def ranking_chart(results: list[CityResult], outdir: Path, code: str | None = None) -> list[Path]:
    """Draw the ranking on the top index of one year as horizontal bars; return the paths."""
    with plain_text():
        return _ranking_chart(results, outdir, code)


def _ranking_chart(results: list[CityResult], outdir: Path, code: str | None) -> list[Path]:
    if not results:
        return []
    code = code or results[0].top_code()
    year = results[0].year
    scored = sorted(((r.scores.get(code), r.name) for r in results
                     if r.year == year and r.scores.get(code) is not None), reverse=False)
    figure = pyplot().figure(figsize=(7, max(3.0, 0.25 * len(scored) + 1)))
    axes = figure.add_subplot()
    axes.barh([name for _, name in scored], [value for value, _ in scored])
    axes.set_xlabel(results[0].labels.get(code, code))
    axes.set_title(f"Ranking {year}: {results[0].labels.get(code, code)}", fontsize=10)
    axes.tick_params(axis="y", labelsize=7)
    return _save(figure, outdir / f"ranking-{file_stem(code)}-{year}")
