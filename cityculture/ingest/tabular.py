"""Read a municipal submission in long format (CSV, TSV or XLSX) into tables of cell text.

One row is one observation with at least the columns of :data:`REQUIRED_COLUMNS`; further
columns (notes, flags) are kept. Nothing is interpreted here: every cell stays text, so that
the validator can report a bad value with its row and column. A file that cannot be read as a
submission at all raises :class:`UnusableInput`, whose ``str()`` is one line naming the file,
the sheet, the row (or line) and the column.

Row numbers are the ones a spreadsheet shows: the header is row 1. For delimited text a row
is a *record*: a quoted cell with line breaks inside makes one record span several physical
lines, and it is still one row (Excel shows it that way too). Encoding errors, which are found
before the text is split into records, are reported by physical *line* instead.
"""

from __future__ import annotations

import csv
import logging
import re
import unicodedata
import warnings
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import openpyxl

from cityculture.ingest.errors import UnusableInput
from cityculture.ingest.limits import DEFAULT_LIMITS, ReadLimits

REQUIRED_COLUMNS: tuple[str, ...] = (
    "city_qid", "city_name", "country", "indicator", "year", "value", "unit", "source",
)
"""Columns every submission must have (normalised names, see :func:`normalise_header`)."""

ALTERNATIVE_COLUMNS: dict[str, tuple[str, ...]] = {"city_qid": ("city_code",)}
"""A required column that another may stand in for: ``city_code`` (a code from a code list
declared in RDF) instead of ``city_qid``."""


def satisfied_columns(names: set[str]) -> list[str]:
    """Return the required columns that ``names`` has, itself or by an alternative.

    >>> satisfied_columns({"city_code", "year"})
    ['city_qid', 'year']
    """
    return [name for name in REQUIRED_COLUMNS
            if name in names or any(alt in names for alt in ALTERNATIVE_COLUMNS.get(name, ()))]


def _shown(name: str) -> str:
    """Return a required column as an error names it, with its alternatives."""
    return " or ".join((name, *ALTERNATIVE_COLUMNS.get(name, ())))

DELIMITED_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx",)
SNIFF_CHARS = 64 * 1024
SNIFF_DELIMITERS = ",;\t|"
SNIFF_LINES = 200  # csv.Sniffer is slow on many lines; a few hundred suffice
SNIFFER_CHARS = 4 * 1024
ZIP_BOMB_RATIO = 100
ZIP_BOMB_MIN_MEMBER = 10 * 1024 * 1024
XML_SUFFIXES = (".xml", ".rels", ".vml")
XML_SCAN_CHUNK = 1024 * 1024
SHARED_STRINGS_TYPE = ("application/vnd.openxmlformats-officedocument.spreadsheetml."
                       "sharedStrings+xml")

log = logging.getLogger(__name__)

_HEADER_SEPARATORS = re.compile(r"[\s.\-_]+")
_QUOTED = re.compile(r'"[^"]*"?')
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
_XML_DECLARED_ENCODING = re.compile(
    rb"""\A(?:\xef\xbb\xbf)?<\?xml[^>]*?\bencoding\s*=\s*["']([^"']*)["']""")
# How an XML part starts in some encoding (XML 1.0 appendix F): the BOMs, UTF-16 and UTF-32
# without BOM, EBCDIC. Such a part is read as XML whatever its name.
_XML_STARTS = (b"<", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff",
               b"\x00<", b"\x00\x00\x00<", b"\x4c\x6f\xa7\x94")
_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")
_UTF8_BOM = b"\xef\xbb\xbf"
_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
_ENCODING_HINT = "expected UTF-8, with or without BOM"
_SAVE_AS = "save the file as 'CSV UTF-8'"


@dataclass(frozen=True, slots=True)
class TableRow:
    """One data row: its spreadsheet row number and its cells by normalised column name."""

    row: int
    values: dict[str, str]


@dataclass
class Table:
    """The rows of one CSV file or one worksheet, every cell as stripped text."""

    path: Path
    sheet: str | None
    columns: list[str]
    original_columns: list[str]
    rows: list[TableRow]

    def column_letter(self, column: str) -> str:
        """Return the spreadsheet letter (A, B, ..., Z, AA, ...) of a normalised column name.

        Raises ``KeyError`` if the table has no such column.
        """
        try:
            index = self.columns.index(column)
        except ValueError:
            raise KeyError(f"no column {column!r} in {self.path}") from None
        return column_letter(index)


def column_letter(index: int) -> str:
    """Return the spreadsheet letter of a 0-based column position: 0 -> A, 26 -> AA."""
    number = index + 1
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def normalise_header(name: str) -> str:
    """Normalise a header cell: ``" City QID "`` -> ``"city_qid"``, ``"Value"`` -> ``"value"``.

    Removes byte-order marks, applies Unicode NFC, strips whitespace (and dots/hyphens at
    either end), lower-cases, and turns each run of whitespace, hyphens, dots and underscores
    into one ``_``. An empty result means the header cell was empty.
    """
    text = unicodedata.normalize("NFC", name.replace("\ufeff", "")).strip().strip(".-").strip()
    return _HEADER_SEPARATORS.sub("_", text.lower())


def read_table(
    path: Path,
    *,
    max_bytes: int = DEFAULT_LIMITS.max_bytes,
    max_columns: int = DEFAULT_LIMITS.max_columns,
    max_cell_chars: int = DEFAULT_LIMITS.max_cell_chars,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> list[Table]:
    """Read a submission file into tables: one for a CSV/TSV, one per data sheet of an XLSX.

    The format follows the suffix (``.csv``, ``.tsv``, ``.txt``: delimited UTF-8 text, the
    delimiter chosen among ``, ; TAB |`` by the header line, ``csv.Sniffer`` breaking ties
    (see :func:`_sniff_delimiter`), tab for ``.tsv``; ``.xlsx``: Excel workbook). The
    first row is the header; names are normalised with :func:`normalise_header`, empty header
    cells are named ``column_<letter>`` (lower case, e.g. ``column_c``) and trailing empty
    header cells are dropped. Completely empty rows are skipped but still counted. Short rows
    are padded with ``""``; a row with a non-empty cell beyond the last header column is an
    error (empty trailing cells, as spreadsheets export them, are ignored).

    Row numbers: for XLSX the Excel row numbers; for delimited text the number of the CSV
    record (header = 1), so a quoted cell spanning several lines still makes one row.

    In a workbook, a sheet is a table when its header has all required columns. A sheet with
    more than half of them but not all is an error (a data sheet with a broken header); other
    sheets (notes, code lists) are ignored with a logged warning. Fully empty sheets are
    skipped. If no sheet qualifies, the error names the sheet closest to having the required
    columns (the first one on a tie).

    Raises :class:`UnusableInput` with file, sheet, row/line and column for anything that
    makes the file unusable: unknown suffix, too large, empty, not UTF-8 (line and byte
    offset, 0-based from the start of the file), NUL bytes, broken quoting, more than
    ``max_columns`` columns, duplicate or missing required columns, too many cells in a row,
    a cell longer than ``max_cell_chars``, an invalid or suspicious (zip bomb, DTD) XLSX, and
    more rows, cells or text than ``limits`` allow (counted while reading: see
    :class:`cityculture.ingest.limits.ReadLimits`).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in DELIMITED_SUFFIXES + EXCEL_SUFFIXES:
        hint = ""
        if suffix in (".xls", ".xlsm", ".xlsb", ".ods"):
            hint = f" ({suffix} workbooks are not accepted; save as .xlsx or as CSV UTF-8)"
        shown = suffix or "(no suffix)"
        raise UnusableInput(
            path, f"unknown format {shown!r}{hint}; expected .csv, .tsv or .xlsx")
    try:
        if not path.is_file():
            raise UnusableInput(path, "no such file" if not path.exists() else "not a file")
        size = path.stat().st_size
    except OSError as exc:
        raise UnusableInput(path, f"cannot read the file: {exc.strerror or exc}") from None
    if size > max_bytes:
        raise UnusableInput(
            path, f"file is {size:,} bytes, larger than the limit of {max_bytes:,} bytes")
    if size == 0:
        raise UnusableInput(path, "empty file")
    budget = _Budget(path, limits)
    if suffix in EXCEL_SUFFIXES:
        return _read_xlsx(path, max_bytes, max_columns, max_cell_chars, budget)
    return [_read_delimited(path, suffix, max_bytes, max_columns, max_cell_chars, budget)]


class _Budget:
    """What a file has produced so far; the first limit passed stops the read, naming it."""

    def __init__(self, path: Path, limits: ReadLimits) -> None:
        self.path = path
        self.limits = limits
        self.cells = 0
        self.text = 0

    def take(self, sheet: str | None, row: int, rows_in_table: int, width: int,
             text: int) -> None:
        """Count one row of ``width`` cells holding ``text`` characters."""
        limits = self.limits
        self.cells += width
        self.text += text
        if rows_in_table > limits.max_rows:
            problem = (f"more than {limits.max_rows:,} rows, the limit of rows per "
                       f"{'sheet' if sheet is not None else 'file'}; split the submission "
                       "into several files")
        elif self.cells > limits.max_cells:
            problem = (f"more than {limits.max_cells:,} cells, the limit of cells per file; "
                       "split the submission into several files")
        elif self.text > limits.max_text_chars:
            problem = (f"the cells hold more than {limits.max_text_chars:,} characters, the "
                       "limit of text per file (each cell counted, a shared string at every "
                       "use)")
        else:
            return
        raise UnusableInput(self.path, problem, row=row, sheet=sheet)


# --- delimited text -------------------------------------------------------------------------


class _TooManyCells(Exception):
    """Raised from the line iterator when one record clearly has too many cells."""

    def __init__(self, at_least: int) -> None:
        super().__init__(at_least)
        self.at_least = at_least


class _RecordLines:
    """Physical lines of the text for ``csv.reader``, tracking where the current record began.

    Before the csv module builds a row it cannot afford (a million cells), the delimiters of
    the record so far are counted (outside quotes); more than the limit raises
    :class:`_TooManyCells`. The exact count is only taken when the cheap raw count is high,
    and then at doubling thresholds, so the cost stays linear.
    """

    def __init__(self, text: str, delimiter: str, max_cells: int) -> None:
        self.text = text
        self.delimiter = delimiter
        self.max_cells = max_cells
        self._lines = _LINE.finditer(text)
        self.start = 0
        self.pos = 0
        self._raw = 0
        self._next_check = max_cells

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = next(self._lines).group()
        self.pos += len(line)
        self._raw += line.count(self.delimiter)
        if self._raw >= self._next_check:
            cells = _count_outside_quotes(self.text, self.delimiter, self.start, self.pos) + 1
            if cells > self.max_cells:
                raise _TooManyCells(cells)
            self._next_check = self._raw * 2
        return line

    def record_done(self) -> None:
        """Mark the lines read so far as belonging to the record just returned."""
        self.start = self.pos
        self._raw = 0
        self._next_check = self.max_cells

    def record_text(self) -> str:
        """Return the text of the record being read (as far as it has been read)."""
        return self.text[self.start:self.pos]


def _count_outside_quotes(text: str, delimiter: str, start: int, end: int) -> int:
    """Count delimiters in ``text[start:end]`` outside double-quoted stretches, without copying.

    Never more than the csv module would see, so it can only refuse a record that is too wide.
    """
    inside = sum(text.count(delimiter, m.start(), m.end())
                 for m in _QUOTED.finditer(text, start, end))
    return text.count(delimiter, start, end) - inside


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    try:
        with path.open("rb") as handle:
            # read() sized by the file, not by the limit: read(n) allocates n bytes up front
            expected = path.stat().st_size
            data = handle.read(min(expected, max_bytes) + 1)
    except OSError as exc:
        raise UnusableInput(path, f"cannot read the file: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise UnusableInput(path, f"file is larger than the limit of {max_bytes:,} bytes")
    return data


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _decode(path: Path, data: bytes) -> str:
    """Decode UTF-8 (optional BOM) or raise UnusableInput naming line and byte offset."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            raise UnusableInput(
                path, f"{name} byte-order mark found; {name} is not accepted; save as UTF-8 "
                f"({_ENCODING_HINT})", line=1)
    start = len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0
    nul = data.find(b"\x00", start)
    if nul >= 0:
        raise UnusableInput(
            path, f"NUL byte at byte {nul}: this is not a text file in UTF-8 (binary, or "
            f"UTF-16 without byte-order mark?); {_SAVE_AS} ({_ENCODING_HINT})",
            line=_line_of(data, nul))
    try:
        return data[start:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = start + exc.start
        byte = data[offset]
        try:
            guess = bytes([byte]).decode("cp1252")
            hint = f" (in Windows-1252/Latin-1 it would be {guess!r})"
        except UnicodeDecodeError:
            hint = ""
        raise UnusableInput(
            path, f"not UTF-8 ({_ENCODING_HINT}): invalid byte 0x{byte:02x} at byte "
            f"{offset}{hint}; {_SAVE_AS}", line=_line_of(data, offset)) from None


def _sniff_delimiter(sample: str) -> str:
    """Choose the delimiter among ``, ; TAB |`` from the start of the text.

    The header decides when it can: if exactly one candidate occurs in it (outside quotes),
    that one; if several do, the one that splits the header into the most required column
    names. Only a tie goes to ``csv.Sniffer``, on at most :data:`SNIFF_LINES` lines and
    :data:`SNIFFER_CHARS` characters (its quote guessing is quadratic on hostile input).
    Falls back to ``,``.
    """
    first = _LINE.match(sample)
    header = first.group() if first else ""
    bare = _QUOTED.sub("", header)
    candidates = [d for d in SNIFF_DELIMITERS if d in bare]
    if len(candidates) <= 1:
        return candidates[0] if candidates else ","
    scores = {d: _required_in_header(header, d) for d in candidates}
    best = max(scores.values())
    leaders = [d for d in candidates if scores[d] == best]
    if len(leaders) == 1:
        return leaders[0]
    lines = _LINE.findall(sample[:SNIFFER_CHARS])[:SNIFF_LINES]
    if len(lines) > 1 and not lines[-1].endswith(("\n", "\r")):
        lines.pop()  # a line cut off by the size limit would mislead the sniffer
    try:
        sniffed = csv.Sniffer().sniff("".join(lines), delimiters=SNIFF_DELIMITERS).delimiter
    except csv.Error:
        sniffed = ""
    if sniffed in leaders:
        return sniffed
    return max(leaders, key=bare.count)


def _required_in_header(header: str, delimiter: str) -> int:
    """Count the required column names in a header line split by ``delimiter``."""
    try:
        cells = next(csv.reader([header], delimiter=delimiter), [])
    except csv.Error:
        return 0
    return len(satisfied_columns({normalise_header(cell) for cell in cells}))


def _read_delimited(
    path: Path, suffix: str, max_bytes: int, max_columns: int, max_cell_chars: int,
    budget: _Budget,
) -> Table:
    data = _read_bytes(path, max_bytes)
    text = _decode(path, data)
    del data
    if not text.strip():
        raise UnusableInput(path, "empty file (only whitespace, no header row)")
    delimiter = "\t" if suffix == ".tsv" else _sniff_delimiter(text[:SNIFF_CHARS])
    saved_limit = csv.field_size_limit()
    csv.field_size_limit(max_cell_chars + 1)
    try:
        return _parse_records(path, text, delimiter, max_columns, max_cell_chars, budget)
    finally:
        csv.field_size_limit(saved_limit)


def _parse_records(
    path: Path, text: str, delimiter: str, max_columns: int, max_cell_chars: int,
    budget: _Budget,
) -> Table:
    lines = _RecordLines(text, delimiter, max_columns)
    reader = csv.reader(lines, delimiter=delimiter, quotechar='"', doublequote=True,
                        skipinitialspace=False, strict=True)
    header: _Header | None = None
    rows: list[TableRow] = []
    shared: dict[str, str] = {}
    record = 0
    while True:
        record += 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except _TooManyCells as exc:
            if header is None:
                raise UnusableInput(
                    path, f"at least {exc.at_least:,} columns, more than the limit of "
                    f"{max_columns:,} (is the delimiter {delimiter!r} right?)", row=1) from None
            raise UnusableInput(
                path, f"at least {exc.at_least:,} cells but the header has "
                f"{len(header.columns)} columns", row=record) from None
        except csv.Error as exc:
            names = header.columns if header else None
            raise _csv_problem(path, record, lines.record_text(), delimiter, exc, names,
                               max_cell_chars) from None
        budget.take(None, record, record, len(header.columns) if header else len(cells),
                    sum(map(len, cells)))
        if header is None:
            header = _Header.parse(cells)
            header.check(path, None, max_columns, max_cell_chars)
        else:
            row = _make_row(path, None, record, cells, header.columns, max_cell_chars,
                            shared)
            if row is not None:
                rows.append(row)
        lines.record_done()
    if header is None:  # pragma: no cover - the caller refuses whitespace-only text
        raise UnusableInput(path, "empty file")
    return Table(path=path, sheet=None, columns=header.columns,
                 original_columns=header.original, rows=rows)


def _csv_problem(
    path: Path, record: int, text: str, delimiter: str, exc: csv.Error,
    columns: list[str] | None, max_cell_chars: int,
) -> UnusableInput:
    """Turn a csv.Error into UnusableInput, finding the column by re-reading the record."""
    reason = str(exc)
    csv.field_size_limit(max(len(text) + 1, max_cell_chars + 1))
    try:
        cells = next(csv.reader([text], delimiter=delimiter, quotechar='"', strict=False), [])
    except csv.Error:
        cells = []

    def name(index: int) -> str:
        if columns is not None and index < len(columns):
            return columns[index]
        return f"column_{column_letter(index).lower()}"

    if "field larger than field limit" in reason:
        for index, cell in enumerate(cells):
            if len(cell) > max_cell_chars:
                return UnusableInput(
                    path, f"cell text is longer than {max_cell_chars:,} characters (column "
                    f"{column_letter(index)}); the limit is {max_cell_chars:,}",
                    row=record, column=name(index))
        return UnusableInput(
            path, f"a cell is longer than {max_cell_chars:,} characters", row=record)
    if "unexpected end of data" in reason or "expected after" in reason:
        index = _broken_quote_cell(text, delimiter)
        column = name(index) if index is not None else None
        where = f" (column {column_letter(index)})" if index is not None else ""
        if "unexpected end of data" in reason:
            message = (f"a quoted cell starting in this row{where} is never closed: unbalanced "
                       "'\"'; it would swallow the rest of the file")
        else:
            message = (f"malformed quoting{where}: text follows the closing quote of a cell; "
                       "a quote inside a quoted cell must be doubled (\"\")")
        return UnusableInput(path, message, row=record, column=column)
    return UnusableInput(path, f"cannot read the row as delimited text: {reason}", row=record)


def _broken_quote_cell(text: str, delimiter: str) -> int | None:
    """Return the 0-based index of the first cell of a record whose quoting is broken."""
    unquoted = re.compile(f"[^{re.escape(delimiter)}\r\n]*")
    index, pos, end = 0, 0, len(text)
    while pos < end:
        if text[pos] == '"':
            close = pos + 1
            while True:
                close = text.find('"', close)
                if close < 0:
                    return index
                if not text.startswith('""', close):
                    break
                close += 2
            pos = close + 1
            if pos < end and text[pos] not in (delimiter, "\r", "\n"):
                return index
        else:
            match = unquoted.match(text, pos)
            pos = match.end() if match else pos
        if pos < end and text[pos] == delimiter:
            index += 1
            pos += 1
        else:
            return None
    return None


# --- shared: header and rows -----------------------------------------------------------------


@dataclass
class _Header:
    original: list[str]
    columns: list[str]

    @classmethod
    def parse(cls, cells: Sequence[str]) -> _Header:
        """Normalise a header row, dropping trailing empty cells."""
        original = list(cells)
        while original and not original[-1].strip():
            original.pop()
        columns = [normalise_header(cell) or f"column_{column_letter(index).lower()}"
                   for index, cell in enumerate(original)]
        return cls(original=original, columns=columns)

    def present(self) -> list[str]:
        return satisfied_columns(set(self.columns))

    def check(self, path: Path, sheet: str | None, max_columns: int,
              max_cell_chars: int) -> None:
        """Refuse an empty header, too many columns, long or duplicate names, missing ones."""
        if not self.original:
            raise UnusableInput(
                path, "the header row is empty; the first row must name the columns: "
                f"{', '.join(REQUIRED_COLUMNS)}", row=1, sheet=sheet)
        if len(self.original) > max_columns:
            raise UnusableInput(
                path, f"{len(self.original):,} columns, more than the limit of "
                f"{max_columns:,}", row=1, sheet=sheet)
        for index, cell in enumerate(self.original):
            if len(cell) > max_cell_chars:
                raise UnusableInput(
                    path, f"header cell is {len(cell):,} characters (column "
                    f"{column_letter(index)}); the limit is {max_cell_chars:,}",
                    row=1, column=self.columns[index], sheet=sheet)
        seen: dict[str, int] = {}
        for index, name in enumerate(self.columns):
            if name in seen:
                first = seen[name]
                raise UnusableInput(
                    path, f"duplicate column: {self.original[first].strip()!r} (column "
                    f"{column_letter(first)}) and {self.original[index].strip()!r} (column "
                    f"{column_letter(index)}) both mean '{name}'",
                    row=1, column=name, sheet=sheet)
            seen[name] = index
        missing = [name for name in REQUIRED_COLUMNS if name not in satisfied_columns(set(seen))]
        if missing:
            raise _missing_columns(path, sheet, missing, self.columns)


def _missing_columns(
    path: Path, sheet: str | None, missing: list[str], found: list[str]
) -> UnusableInput:
    shown = ", ".join(found[:20]) + (f", ... ({len(found) - 20} more)" if len(found) > 20 else "")
    plural = "s" if len(missing) > 1 else ""
    hint = ""
    if len(found) == 1:
        hint = " (only one column was found: the delimiter must be one of , ; TAB |)"
    return UnusableInput(
        path, f"required column{plural} missing: {', '.join(map(_shown, missing))}; "
        "columns found: "
        f"{shown or '(none)'}{hint}", row=1, column=missing[0], sheet=sheet)


_HIDDEN_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\ufeff\u0000-\u0008\u000b\u000c"
                              "\u000e-\u001f\u007f]")
"""Characters refused inside a cell: bidirectional embeddings, overrides and isolates (text
that displays other than it reads: "Trojan Source"), a byte-order mark inside the text, and
C0 control characters other than tab and line breaks."""


def _hidden_control(cell: str) -> str | None:
    """Return a description of the first refused control character in ``cell``, if any."""
    match = _HIDDEN_CONTROLS.search(cell)
    if match is None:
        return None
    char = match.group(0)
    name = unicodedata.name(char, "control character")
    return f"U+{ord(char):04X} {name} at character {match.start() + 1}"


def _make_row(
    path: Path, sheet: str | None, number: int, cells: Sequence[str], columns: list[str],
    max_cell_chars: int, shared: dict[str, str],
) -> TableRow | None:
    """Check one data row and return it, or None if it is completely empty."""
    width = len(columns)
    extra = [i for i in range(width, len(cells)) if cells[i].strip()]
    if extra:
        raise UnusableInput(
            path, f"{extra[-1] + 1} cells but the header has {width} columns (a value in "
            f"column {column_letter(extra[0])}, which has no header)", row=number, sheet=sheet)
    if (max(map(len, cells), default=0) > max_cell_chars
            or _HIDDEN_CONTROLS.search("".join(cells))):  # one test per row; the cell below
        for index, name in enumerate(columns):
            cell = cells[index] if index < len(cells) else ""
            if len(cell) > max_cell_chars:
                raise UnusableInput(
                    path, f"cell text is {len(cell):,} characters (column "
                    f"{column_letter(index)}); the limit is {max_cell_chars:,}", row=number,
                    column=name, sheet=sheet)
            hidden = _hidden_control(cell)
            if hidden:
                raise UnusableInput(
                    path, f"invisible control character {hidden}: it can make a name display "
                    "other than it reads; remove it", row=number, column=name, sheet=sheet)
    stripped = [cell.strip() for cell in cells[:width]]
    stripped += [""] * (width - len(stripped))
    if not any(stripped):
        return None
    # the texts of a column repeat from row to row (a city, an indicator, a unit): one
    # string each, shared by the rows, instead of one per cell
    values = {name: shared.setdefault(value, value)
              for name, value in zip(columns, stripped, strict=True)}
    return TableRow(row=number, values=values)


# --- XLSX ------------------------------------------------------------------------------------


def cell_text(value: object) -> str:
    """Return the text of an Excel cell value as read by openpyxl (not stripped).

    ``None`` -> ``""``, booleans -> ``"true"``/``"false"``, integral floats below 1e15 without
    a decimal point (``3.0`` -> ``"3"``), other floats by ``repr`` (``12.5`` -> ``"12.5"``),
    dates and times in ISO 8601, anything else by ``str``.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _check_zip(path: Path, max_bytes: int, limits: ReadLimits) -> None:
    """Refuse what openpyxl must never see: non-zips, zip bombs, oversized string tables.

    And XML parts that are not plain UTF-8, or declare a DTD or entities anywhere.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise UnusableInput(
            path, "not a valid .xlsx file (not a zip archive; an old .xls or a renamed "
            "CSV?)") from None
    with archive:
        members = archive.infolist()
        total = sum(member.file_size for member in members)
        if total > max_bytes:
            raise UnusableInput(
                path, f"the workbook would expand to {total:,} bytes, more than the limit of "
                f"{max_bytes:,}; the file looks like a zip bomb")
        for member in members:
            size, packed = member.file_size, member.compress_size
            if size > ZIP_BOMB_MIN_MEMBER and (packed == 0 or size / packed > ZIP_BOMB_RATIO):
                ratio = f"{size // packed:,}:1" if packed else "unbounded"
                raise UnusableInput(
                    path, f"member {member.filename!r} expands from {packed:,} to {size:,} "
                    f"bytes (ratio {ratio}); the file looks like a zip bomb")
        for member in members:
            if member.is_dir():
                continue
            try:
                with archive.open(member) as handle:
                    _check_part(path, member.filename, handle)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError,
                    EOFError, zlib.error) as exc:
                raise UnusableInput(
                    path, f"not a valid .xlsx file: cannot read member "
                    f"{member.filename!r} ({exc})") from None
        _check_shared_strings(path, archive, limits)


def _check_part(path: Path, name: str, handle: Any) -> None:
    """Read a whole part: refuse a DTD or entity declaration anywhere in it, in any case.

    A part that is XML (by its name, or by how it starts in any encoding) must be plain
    UTF-8: it starts with ``<`` (after an optional UTF-8 BOM), holds no NUL byte (UTF-16 and
    UTF-32 without a byte-order mark do) and declares no other encoding, so that the bytes
    searched here are the characters the XML parser reads.
    """
    first = handle.read(XML_SCAN_CHUNK)
    is_xml = name.lower().endswith(XML_SUFFIXES) or first.startswith(_XML_STARTS)
    if is_xml:
        if not first.removeprefix(_UTF8_BOM).startswith(b"<"):
            raise UnusableInput(
                path, f"member {name!r} is not XML in UTF-8 (UTF-16, UTF-32 or another "
                "encoding?); a workbook's parts are UTF-8")
        declared = _XML_DECLARED_ENCODING.match(first)
        if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
            raise UnusableInput(
                path, f"member {name!r} declares encoding "
                f"{declared.group(1).decode('ascii', 'replace')!r}; a workbook's parts are "
                "UTF-8")
    tail = b""
    chunk = first
    while chunk:
        if is_xml and b"\x00" in chunk:
            raise UnusableInput(
                path, f"member {name!r} holds a NUL byte: not XML in UTF-8 (UTF-16 or UTF-32 "
                "without a byte-order mark?); a workbook's parts are UTF-8")
        window = (tail + chunk).upper()
        if any(marker in window for marker in _DTD_MARKERS):
            raise UnusableInput(
                path, f"member {name!r} declares a DOCTYPE/ENTITY, which a workbook never "
                "needs; refused (entity expansion attack?)")
        tail = chunk[-(len(_DTD_MARKERS[0]) - 1):]
        chunk = handle.read(XML_SCAN_CHUNK)


def _check_shared_strings(path: Path, archive: zipfile.ZipFile, limits: ReadLimits) -> None:
    """Refuse a table of distinct strings larger than the limit, before it is loaded.

    openpyxl finds the table as the part whose content type says so, and so does this.
    """
    try:
        types = ElementTree.fromstring(archive.read("[Content_Types].xml"))
    except (KeyError, ElementTree.ParseError):
        return  # openpyxl reports a workbook without a readable manifest
    for override in types:
        if override.get("ContentType") != SHARED_STRINGS_TYPE:
            continue
        name = (override.get("PartName") or "").lstrip("/")
        try:
            size = archive.getinfo(name).file_size
        except KeyError:
            continue
        if size > limits.max_shared_strings_bytes:
            raise UnusableInput(
                path, f"member {name!r} (the workbook's distinct strings) is {size:,} bytes, "
                f"more than the limit of {limits.max_shared_strings_bytes:,} bytes of "
                "distinct strings")


def _read_xlsx(path: Path, max_bytes: int, max_columns: int, max_cell_chars: int,
               budget: _Budget) -> list[Table]:
    _check_zip(path, max_bytes, budget.limits)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds of error for a broken file
            raise UnusableInput(path, f"not a valid .xlsx file: {_describe(exc)}") from None
        try:
            return _read_sheets(path, workbook, max_columns, max_cell_chars, budget)
        finally:
            workbook.close()


def _describe(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _read_sheets(
    path: Path, workbook: openpyxl.Workbook, max_columns: int, max_cell_chars: int,
    budget: _Budget,
) -> list[Table]:
    tables: list[Table] = []
    rejected: list[tuple[str, _Header]] = []
    for sheet in workbook.worksheets:
        title = sheet.title
        try:
            table_or_header = _read_sheet(path, sheet, max_columns, max_cell_chars, budget)
        except UnusableInput:
            raise
        except Exception as exc:  # a malformed sheet XML surfaces while iterating
            raise UnusableInput(
                path, f"cannot read the sheet: {_describe(exc)}", sheet=title) from None
        if isinstance(table_or_header, Table):
            tables.append(table_or_header)
        elif table_or_header is not None:
            rejected.append((title, table_or_header))
    if tables:
        for title, header in rejected:
            log.warning("%s, sheet '%s': ignored, not a data sheet (its header has %d of the "
                        "%d required columns)", path, title, len(header.present()),
                        len(REQUIRED_COLUMNS))
        return tables
    if not rejected:
        raise UnusableInput(path, "no data: every sheet of the workbook is empty")
    title, header = max(rejected, key=lambda item: len(item[1].present()))
    if not header.original:
        raise UnusableInput(
            path, "the header row is empty; the first row must name the columns: "
            f"{', '.join(REQUIRED_COLUMNS)}", row=1, sheet=title)
    missing = [name for name in REQUIRED_COLUMNS if name not in header.present()]
    raise _missing_columns(path, title, missing, header.columns)


def _sheet_rows(sheet: Any) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """Yield (row number, cells present) of a read-only worksheet, as the sheet stores them.

    openpyxl's own row iterator pads every row to the sheet's widest column and yields every
    missing row up to the last one: one empty cell in column XFD, or one in row 1,048,576,
    would make rows of 16,384 cells or a million empty rows. The parser under it yields only
    the cells that are there, and the declared ``<dimension>`` is never used.
    """
    from openpyxl.worksheet._reader import WorkSheetParser

    workbook = sheet.parent
    with sheet._get_source() as source:
        parser = WorkSheetParser(source, sheet._shared_strings, data_only=True,
                                 epoch=workbook.epoch, date_formats=workbook._date_formats,
                                 timedelta_formats=workbook._timedelta_formats)
        yield from parser.parse()


def _cells_text(
    path: Path, sheet: str, number: int, cells: list[dict[str, Any]], width: int | None,
    max_columns: int,
) -> list[str]:
    """Return a row's cell texts by position, ``width`` of them (refusing a value beyond).

    For the header (``width`` None): up to the last non-empty cell, at most ``max_columns``.
    """
    filled = {cell["column"] - 1: text for cell in cells
              if (text := cell_text(cell["value"])).strip()}
    last = max(filled, default=-1)
    if width is None:
        if last >= max_columns:
            raise UnusableInput(
                path, f"at least {last + 1:,} columns, more than the limit of "
                f"{max_columns:,}", row=number, sheet=sheet)
        width = last + 1
    elif last >= width:
        first_extra = min(column for column in filled if column >= width)
        raise UnusableInput(
            path, f"{last + 1} cells but the header has {width} columns (a value in column "
            f"{column_letter(first_extra)}, which has no header)", row=number, sheet=sheet)
    values = [""] * width
    for cell in cells:
        column = cell["column"] - 1
        if column < width:
            values[column] = cell_text(cell["value"])
    return values


def _read_sheet(
    path: Path, sheet: Any, max_columns: int, max_cell_chars: int, budget: _Budget
) -> Table | _Header | None:
    """Return the sheet's Table, its header if it is not a data sheet, None if it is empty."""
    title: str = sheet.title
    rows = _sheet_rows(sheet)
    first = next(rows, None)
    header_cells: list[str] = []
    if first is not None and first[0] == 1:
        header_cells = _cells_text(path, title, 1, first[1], None, max_columns)
        budget.take(title, 1, 1, len(header_cells), sum(map(len, header_cells)))
    elif first is not None:  # row 1 is empty: the first row read is data
        rows = _prepend(first, rows)
    header = _Header.parse(header_cells)
    if not header.original:
        if any(any(cell_text(c["value"]).strip() for c in cells) for _, cells in rows):
            return header
        return None
    if len(header.present()) * 2 <= len(REQUIRED_COLUMNS):
        return header
    header.check(path, title, max_columns, max_cell_chars)
    width = len(header.columns)
    table_rows: list[TableRow] = []
    shared: dict[str, str] = {}
    previous, count = 1, 1
    for number, cells in rows:
        if number <= previous:
            raise UnusableInput(path, f"row {number} comes after row {previous}; a sheet's "
                                "rows are stored in order", row=number, sheet=title)
        previous, count = number, count + 1
        values = _cells_text(path, title, number, cells, width, max_columns)
        budget.take(title, number, count, width, sum(map(len, values)))
        row = _make_row(path, title, number, values, header.columns, max_cell_chars, shared)
        if row is not None:
            table_rows.append(row)
    return Table(path=path, sheet=title, columns=header.columns,
                 original_columns=header.original, rows=table_rows)


def _prepend(first: tuple[int, list[dict[str, Any]]],
             rest: Iterator[tuple[int, list[dict[str, Any]]]]
             ) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    yield first
    yield from rest
