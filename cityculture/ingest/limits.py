"""How much one submitted file may hold, checked while it is read (never after).

A small file can describe a great deal: a shared string used in every cell of a workbook, a
prefix with a long IRI used in every triple, a sheet that declares a million rows. So the
limits are on what the reader *produces*, counted as it goes, and the first one passed stops
the read with a one-line error that names it. The defaults follow what one office's
submission holds (tens of thousands of observations); a larger data set is several files.
Measured here: refusing a file at a limit takes under 1 GB (500,000 triples in an rdflib
graph take about 0.95 GB); reading and validating 50,000 CSV rows takes about 1 GB, and
100,000 rows about 1.8 GB.
"""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """The limits of one submitted file; each refusal names the field it passed."""

    max_bytes: int = 200 * MIB
    """File size, before anything is read."""
    max_rows: int = 100_000
    """Rows of a CSV file or of one worksheet, as read (empty ones too)."""
    max_columns: int = 1_000
    max_cells: int = 2_000_000
    """Cells read in a file, all sheets together (rows times the header's width)."""
    max_cell_chars: int = 10_000
    max_text_chars: int = 40_000_000
    """The text of every cell read, each cell counted (a shared string at every use)."""
    max_shared_strings_bytes: int = 64 * MIB
    """The workbook's table of distinct strings (``xl/sharedStrings.xml``), before reading."""
    max_triples: int = 500_000
    max_iri_chars: int = 8_192
    max_literal_chars: int = 1_000_000
    max_term_chars: int = 64_000_000
    """The IRIs and literals of every triple of an RDF file, each counted where used."""


DEFAULT_LIMITS = ReadLimits()
