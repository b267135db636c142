"""Query results as users take them: rows, Python values, a pandas DataFrame, SPARQL formats.

Rows come from any :class:`~cityculture.store.backends.Backend` as ``dict`` of rdflib terms.
This module turns them into what a researcher works with:

* :func:`select`: run a bundled query (by name) or a ``.rq`` file with typed parameters;
* :func:`to_python` / :func:`dataframe`: plain Python values (``int``, ``Decimal`` as
  ``float``, ``str``, ``bool``, ``date``), and a pandas DataFrame with one column per
  variable (pandas is an optional dependency: ``pip install cityculture[pandas]``);
* :func:`sparql_json` / :func:`sparql_csv`: the W3C SPARQL 1.1 Query Results JSON and CSV
  formats, the CSV cells made safe for spreadsheets (a text cell starting with ``=``,
  ``+``, ``-`` or ``@`` gets a leading quote).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Identifier

from cityculture.ingest.template import safe_cell
from cityculture.queries import load_query
from cityculture.store.backends import Backend, Row

if TYPE_CHECKING:
    import pandas

NUMERIC_DATATYPES = {str(XSD[t]) for t in (
    "integer", "decimal", "double", "float", "int", "long", "short", "byte",
    "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger")}
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def csv_text(text: str, datatype: str | None = None) -> str:
    """Return a CSV cell's text: a number as it is, any other text spreadsheet-safe.

    A literal typed as a number but whose text is not one (``"=1+1"^^xsd:integer`` is a
    legal, ill-typed literal) is text.

    >>> csv_text("-2", "http://www.w3.org/2001/XMLSchema#integer"), csv_text("-2+3")
    ('-2', "'-2+3")
    """
    if datatype in NUMERIC_DATATYPES and _NUMBER.fullmatch(text):
        return text
    return safe_cell(text)


def select(backend: Backend, name_or_path: str | Path,
           parameters: Mapping[str, Identifier] | None = None) -> list[Row]:
    """Run a bundled query (``"cq04-city-scores"``) or a ``.rq`` file with typed parameters.

    Parameters are RDF terms (``URIRef``, ``Literal``), bound by the backend as typed terms,
    never pasted into the query text.
    """
    return backend.select(load_query(name_or_path).text, parameters)


def to_python(term: Identifier | None) -> Any:
    """Return a plain Python value: str for IRIs, the literal's value (Decimal as float)."""
    if term is None:
        return None
    if isinstance(term, Literal):
        value = term.toPython()
        if isinstance(value, Decimal):
            return float(value)
        return value if not isinstance(value, Literal) else str(value)
    return str(term)


def dataframe(rows: Sequence[Row], columns: Sequence[str] | None = None) -> pandas.DataFrame:
    """Return rows as a pandas DataFrame: one column per variable, Python values.

    >>> from rdflib import Literal, URIRef
    >>> frame = dataframe([{"city": URIRef("https://e/c"), "score": Literal(1.5)}])
    >>> frame["score"].tolist()
    [1.5]
    """
    try:
        import pandas
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError("pandas is needed for DataFrames: pip install 'cityculture[pandas]'"
                          ) from exc
    names = list(columns) if columns is not None else (list(rows[0]) if rows else [])
    return pandas.DataFrame([[to_python(row.get(n)) for n in names] for row in rows],
                            columns=names)


def _json_term(term: Identifier) -> dict[str, str]:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    assert isinstance(term, Literal)
    cell = {"type": "literal", "value": str(term)}
    if term.language:
        cell["xml:lang"] = term.language
    elif term.datatype and term.datatype != XSD.string:
        cell["datatype"] = str(term.datatype)
    return cell


def sparql_json(columns: Sequence[str], rows: Sequence[Row]) -> str:
    """Return the rows in the SPARQL 1.1 Query Results JSON Format."""
    bindings = [{n: _json_term(t) for n in columns if (t := row.get(n)) is not None}
                for row in rows]
    return json.dumps({"head": {"vars": list(columns)}, "results": {"bindings": bindings}},
                      ensure_ascii=False, indent=1)


def csv_cell(term: Identifier | None) -> str:
    """One SPARQL CSV cell: the lexical form, text cells made spreadsheet-safe."""
    if term is None:
        return ""
    datatype = term.datatype if isinstance(term, Literal) else None
    return csv_text(str(term), str(datatype) if datatype is not None else None)


def sparql_csv(columns: Sequence[str], rows: Sequence[Row]) -> str:
    """Return the rows in the SPARQL 1.1 Query Results CSV Format (spreadsheet-safe)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row.get(n)) for n in columns])
    return out.getvalue()

