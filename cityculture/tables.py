"""Plain-text tables for the terminal (every command's default output)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def safe_cell(text: str) -> str:
    """Neutralise spreadsheet formula injection: prefix a quote to =, +, -, @ at the start.

    >>> safe_cell("=1+1"), safe_cell("12")
    ("'=1+1", '12')
    """
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def display_width(text: str) -> int:
    """Return how many terminal columns a string takes (East Asian wide characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def render_table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Render rows as an aligned text table with a header line.

    >>> print(render_table(["a", "bb"], [[1, "x"], [22, None]]))
    a   bb
    --  --
    1   x
    22
    """
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [display_width(c) for c in columns]
    for row in cells:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], display_width(value))
    lines = ["  ".join(_pad(c, w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend(
        "  ".join(_pad(v, w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells
    )
    return "\n".join(lines)
