"""The one error for a file that cannot be used at all, whatever stage reads it.

A submission that cannot be read (:mod:`cityculture.ingest.tabular`,
:mod:`cityculture.ingest.rdf_input`), a scheme or framework file that declares indicators
or city codes it cannot (:mod:`cityculture.ingest.scheme`), and a shapes file that cannot be
run (:mod:`cityculture.validate.engine`) all raise :class:`UnusableInput`: its message is one
line naming the file (and, where known, the sheet, row or line, and column), and the command
line ends with exit code 2.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_LINE_BREAKS = re.compile(r"\s*[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+\s*")


class UnusableInput(ValueError):
    """A file that cannot be used at all: a submission, a scheme, a framework or a shapes file.

    The command line ends with exit code 2 and this one line.

    ``str(exc)`` is one line: ``"<path>[, sheet '<sheet>']: [row N|line N][, column 'c']:
    <message>"`` (a column given by its number is not quoted). ``row`` counts spreadsheet rows
    (header = 1); ``line`` counts physical lines of a text file.
    """

    def __init__(
        self,
        path: Path,
        message: str,
        *,
        row: int | None = None,
        column: str | int | None = None,
        sheet: str | None = None,
        line: int | None = None,
    ) -> None:
        self.path = path
        self.message = self.kept(message)
        self.row = row
        self.column = column
        self.sheet = sheet
        self.line = line
        super().__init__(self._render())

    @staticmethod
    def kept(message: str) -> str:
        """Return the message as the error keeps it (here: as given)."""
        return message

    def _head(self) -> str:
        """Return the file (and sheet) the message is about."""
        if self.sheet is not None:
            return f"{self.path}, sheet '{self.sheet}'"
        return str(self.path)

    def _render(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.line is not None:
            where.append(f"line {self.line}")
        if isinstance(self.column, str):
            where.append(f"column '{self.column}'")
        elif self.column is not None:
            where.append(f"column {self.column}")
        parts = [self._head(), ", ".join(where), self.message] if where else [
            self._head(), self.message]
        return _LINE_BREAKS.sub(" ", ": ".join(parts))

    def __str__(self) -> str:
        return self._render()

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle with the keyword arguments (e.g. across worker processes)."""
        return (_rebuild, (type(self), self.path, self.message, self.row, self.column,
                           self.sheet, self.line))


def _rebuild(cls: type[UnusableInput], path: Path, message: str, row: int | None,
             column: str | int | None, sheet: str | None, line: int | None) -> UnusableInput:
    """Unpickle an :class:`UnusableInput`."""
    return cls(path, message, row=row, column=column, sheet=sheet, line=line)
