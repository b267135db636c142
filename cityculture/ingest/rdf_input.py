"""Parse one submitted RDF file (Turtle, N-Triples, JSON-LD, RDF/XML) into an rdflib graph, safely.

Submitted files are untrusted. :func:`parse_rdf` reads exactly the one file it is given and
never opens a network connection or any other file:

* the file size is checked against a limit before anything is read;
* the bytes must be UTF-8 (a leading byte-order mark is stripped);
* Turtle and N-Triples are parsed by pyoxigraph, which reports error positions;
* JSON-LD is refused when its nesting is too deep or when any ``@context`` is given by
  reference (a URL, a ``file:`` IRI or a relative reference) or uses ``@import``, so the
  JSON-LD processor never has anything to fetch;
* RDF/XML is refused when it declares a DOCTYPE or entities (billion laughs, external
  entities), before the XML parser sees it;
* ``owl:imports`` is never followed: its triples are kept as data and nothing is loaded;
* terms are kept exactly as written: lexical forms and datatypes of literals (``"01"``,
  ``xsd:int``, an ill-typed ``"none"^^xsd:boolean``) are not rewritten, so validation judges
  what was submitted; relative IRIs are resolved against the file's own location (an IRI,
  never a file that is opened);
* while the triples are produced, and before the next is, they are counted against
  :class:`cityculture.ingest.limits.ReadLimits`: IRI and literal length, the number of
  triples, and the characters of all their terms (a prefix with a long IRI costs its length
  at every use), so a small file cannot grow to gigabytes in memory.

Every failure is raised as :class:`UnsafeOrInvalidRDF`, whose message is one line naming the
file and, where known, the line and column.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.parser import PythonInputSource
from rdflib.plugins.stores.memory import Memory
from rdflib.term import Node

from cityculture.ingest.errors import UnusableInput
from cityculture.ingest.limits import DEFAULT_LIMITS, ReadLimits

RDF_SUFFIXES: dict[str, str] = {
    ".ttl": "turtle",
    ".nt": "nt",
    ".jsonld": "json-ld",
    ".json": "json-ld",
    ".rdf": "xml",
    ".owl": "xml",
    ".xml": "xml",
}
"""File suffix (lower case) -> rdflib format name of the RDF files accepted."""


XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
BOM = b"\xef\xbb\xbf"

_OXIGRAPH_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES}
_OXIGRAPH_POSITION = re.compile(
    r"^Parser error (?:at line \d+ (?:between columns \d+ and \d+|column \d+)"
    r"|between line \d+ column \d+ and line \d+ column \d+):\s*"
)
_OXIGRAPH_LINE_COLUMN = re.compile(r"\bline (\d+)(?: between columns| column) (\d+)")
_RDFLIB_POSITION = re.compile(r"^[^\n]*?:(\d+):(\d+):\s*(.*)$", re.DOTALL)
# A JSON string token (unrolled loop, no backtracking blow-up) or a bracket.
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_XML_ENCODING = re.compile(rb"""\A\s*<\?xml[^>]*?\bencoding\s*=\s*["']([^"']*)["']""")


class UnsafeOrInvalidRDF(UnusableInput):
    """An RDF file that cannot be parsed, or that is refused for safety.

    Its message names the file by its name: ``file: line L, column C: message``.
    """

    @staticmethod
    def kept(message: str) -> str:
        """Return the message on one line, its white space folded."""
        return " ".join(str(message).split())

    def _head(self) -> str:
        return Path(self.path).name


def parse_rdf(
    path: Path,
    *,
    max_bytes: int = DEFAULT_LIMITS.max_bytes,
    max_jsonld_depth: int = 64,
    max_literal_chars: int = DEFAULT_LIMITS.max_literal_chars,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Graph:
    """Parse one submitted RDF file into a new rdflib graph, refusing unsafe or invalid input.

    The format is chosen by the file suffix (:data:`RDF_SUFFIXES`). Relative IRIs are resolved
    against the file's location (its ``file:`` URI). ``owl:imports`` statements are kept as plain
    triples and are never followed; no URL is ever dereferenced and no file other than
    ``path`` is read.

    Args:
        path: the submitted file.
        max_bytes: files larger than this are refused before being read.
        max_jsonld_depth: JSON-LD documents nested deeper than this are refused.
        max_literal_chars: literals longer than this are refused.
        limits: IRI length, triples and the characters of all terms (checked while parsing).

    Returns:
        The triples of the file.

    Raises:
        UnsafeOrInvalidRDF: the file cannot be parsed or is refused for safety.

    """
    path = Path(path)
    fmt = RDF_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise UnsafeOrInvalidRDF(
            path,
            f"unknown RDF format {path.suffix or '(no suffix)'!r}: expected one of "
            f"{', '.join(RDF_SUFFIXES)}",
        )
    data = _read_bytes(path, max_bytes)
    text = _decode_utf8(path, data)
    data = data.removeprefix(BOM)
    base = path.resolve().as_uri()
    budget = _TermBudget(path, limits, max_literal_chars)
    try:
        if fmt in _OXIGRAPH_FORMATS:
            graph = _parse_with_oxigraph(path, data, _OXIGRAPH_FORMATS[fmt], base, budget)
        elif fmt == "json-ld":
            graph = _parse_jsonld(path, text, base, max_jsonld_depth, budget)
        else:
            graph = _parse_rdfxml(path, data, base, budget)
    except UnsafeOrInvalidRDF:
        raise
    except RecursionError:
        raise UnsafeOrInvalidRDF(path, "document nested too deeply to parse") from None
    except Exception as exc:  # any parser failure becomes one clean error
        raise UnsafeOrInvalidRDF(path, f"cannot parse {fmt}: {_describe(exc)}") from exc
    return graph


def _shown(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text):,} characters)"


class _TermBudget:
    """Counts the triples of one file and the characters of their terms as they are made."""

    def __init__(self, path: Path, limits: ReadLimits, max_literal_chars: int) -> None:
        self.path = path
        self.limits = limits
        self.max_literal_chars = max_literal_chars
        self.triples = 0
        self.chars = 0

    def take(self, subject: str, terms: tuple[tuple[str, bool], ...]) -> None:
        """Count one triple: its terms as (text, is it a literal); ``subject`` names it."""
        limits = self.limits
        self.triples += 1
        if self.triples > limits.max_triples:
            self._refuse(f"more than {limits.max_triples:,} triples, the limit of triples per "
                         "file; split the submission into several files")
        for text, literal in terms:
            self.chars += len(text)
            if literal and len(text) > self.max_literal_chars:
                self._refuse(f"literal of {len(text)} characters (limit "
                             f"{self.max_literal_chars}) for subject {_shown(subject)} refused")
            if not literal and len(text) > limits.max_iri_chars:
                self._refuse(f"IRI of {len(text):,} characters, more than the limit of "
                             f"{limits.max_iri_chars:,} characters per IRI: <{_shown(text)}>")
        if self.chars > limits.max_term_chars:
            self._refuse(f"the triples' IRIs and literals hold more than "
                         f"{limits.max_term_chars:,} characters, the limit per file (each use "
                         "counted: a long prefix costs its length at every use)")

    def _refuse(self, message: str) -> None:
        raise UnsafeOrInvalidRDF(self.path, message)

    def take_rdflib(self, triple: tuple[Node, Node, Node]) -> None:
        """Count one rdflib triple."""
        terms = tuple((str(t), isinstance(t, Literal)) for t in triple)
        datatype = getattr(triple[2], "datatype", None)
        if datatype is not None:
            terms += ((str(datatype), False),)
        self.take(triple[0].n3(), terms)


class _BoundedMemory(Memory):
    """rdflib's memory store, counting every triple added against a :class:`_TermBudget`.

    rdflib's JSON-LD and RDF/XML parsers add to the store (the JSON-LD one through a graph of
    its own over the same store), so the count sees every triple, before it is stored.
    """

    def __init__(self, budget: _TermBudget) -> None:
        super().__init__()
        self.budget = budget

    def add(self, triple: Any, context: Any, quoted: bool = False) -> None:
        self.budget.take_rdflib(triple)
        super().add(triple, context, quoted)


@contextlib.contextmanager
def _literals_as_written() -> Iterator[None]:
    """Let rdflib's own parsers keep lexical forms (it rewrites ``"01"^^xsd:integer`` else)."""
    previous = rdflib.NORMALIZE_LITERALS
    rdflib.NORMALIZE_LITERALS = False
    try:
        yield
    finally:
        rdflib.NORMALIZE_LITERALS = previous


def _describe(exc: BaseException) -> str:
    """Return an exception's message, or its class name if it has none."""
    return str(exc).strip() or type(exc).__name__


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    """Read the file, refusing missing, non-regular, empty and oversized files."""
    try:
        if not path.is_file():
            raise UnsafeOrInvalidRDF(path, "not a regular file")
        size = path.stat().st_size
        if size > max_bytes:
            raise UnsafeOrInvalidRDF(
                path, f"file is {size} bytes, larger than the limit of {max_bytes} bytes"
            )
        if size == 0:
            raise UnsafeOrInvalidRDF(path, "file is empty")
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise UnsafeOrInvalidRDF(path, f"cannot read file: {_describe(exc)}") from exc
    if len(data) > max_bytes:  # the file grew after it was measured
        raise UnsafeOrInvalidRDF(
            path, f"file is larger than the limit of {max_bytes} bytes"
        )
    if not data.removeprefix(BOM):
        raise UnsafeOrInvalidRDF(path, "file is empty")
    return data


def _decode_utf8(path: Path, data: bytes) -> str:
    """Decode UTF-8 (dropping a BOM); invalid bytes are refused with their line and column."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        prefix = data[line_start : exc.start].removeprefix(BOM if line == 1 else b"")
        column = len(prefix.decode("utf-8", errors="replace")) + 1
        raise UnsafeOrInvalidRDF(
            path,
            f"invalid byte 0x{data[exc.start]:02x}: the file must be encoded as UTF-8",
            line=line,
            column=column,
        ) from None


# --- Turtle and N-Triples (pyoxigraph) ------------------------------------------------------


def _parse_with_oxigraph(
    path: Path, data: bytes, fmt: ox.RdfFormat, base: str, budget: _TermBudget
) -> Graph:
    """Parse Turtle or N-Triples with pyoxigraph and copy the triples into an rdflib graph."""
    graph = Graph()
    bnodes: dict[str, BNode] = {}

    def term(node: Any) -> Node:
        if isinstance(node, ox.NamedNode):
            return URIRef(node.value)
        if isinstance(node, ox.BlankNode):
            if node.value not in bnodes:
                bnodes[node.value] = BNode()
            return bnodes[node.value]
        if isinstance(node, ox.Literal):
            if node.direction is not None:
                raise UnsafeOrInvalidRDF(
                    path, f"literal {node} has a base direction, which is not supported"
                )
            if node.language:
                return Literal(node.value, lang=node.language)
            if node.datatype.value == XSD_STRING:
                return Literal(node.value)  # a plain string, as rdflib's own parsers make it
            # normalize=False: rdflib would rewrite "01"^^xsd:integer as "1"
            return Literal(node.value, datatype=URIRef(node.datatype.value), normalize=False)
        if isinstance(node, ox.Triple):
            raise UnsafeOrInvalidRDF(path, f"RDF 1.2 triple term {node} is not supported")
        raise UnsafeOrInvalidRDF(path, f"unsupported RDF term {node!r}")

    parser = ox.parse(input=data, format=fmt, base_iri=base)
    try:
        for quad in parser:
            obj = quad.object
            literal = isinstance(obj, ox.Literal)
            budget.take(str(quad.subject), (
                (quad.subject.value, False), (quad.predicate.value, False),
                (getattr(obj, "value", ""), literal),
                (obj.datatype.value if literal else "", False)))
            graph.add((term(quad.subject), term(quad.predicate), term(obj)))
    except SyntaxError as exc:
        line, column, message = _oxigraph_position(exc)
        raise UnsafeOrInvalidRDF(path, message, line=line, column=column) from None
    with contextlib.suppress(Exception):  # prefixes are a nicety, never a reason to refuse
        for prefix, namespace in parser.prefixes.items():
            graph.bind(prefix, namespace, override=True, replace=True)
    return graph


def _oxigraph_position(exc: SyntaxError) -> tuple[int | None, int | None, str]:
    """Return (line, column, message) of a pyoxigraph syntax error (1-based positions).

    pyoxigraph sets ``lineno``/``offset`` (1-based, columns in characters) and also writes
    the position at the start of the message (``Parser error at line 3 between columns 16
    and 20: ...``); the attributes are preferred, the message is the fallback.
    """
    text = exc.msg if isinstance(getattr(exc, "msg", None), str) else str(exc)
    line = exc.lineno if isinstance(exc.lineno, int) else None
    column = exc.offset if isinstance(exc.offset, int) else None
    if line is None:
        found = _OXIGRAPH_LINE_COLUMN.search(text)
        if found:
            line, column = int(found.group(1)), int(found.group(2))
    message = _OXIGRAPH_POSITION.sub("", text).strip() or text
    return line, column, message


# --- JSON-LD --------------------------------------------------------------------------------


def _parse_jsonld(
    path: Path, text: str, base: str, max_depth: int, budget: _TermBudget
) -> Graph:
    """Check a JSON-LD document (depth, contexts by reference) and parse it with rdflib."""
    _check_json_depth(path, text, max_depth)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnsafeOrInvalidRDF(
            path, f"invalid JSON: {exc.msg}", line=exc.lineno, column=exc.colno
        ) from None
    except RecursionError:
        raise UnsafeOrInvalidRDF(path, "JSON nested too deeply to parse") from None
    except ValueError as exc:  # e.g. an integer with too many digits
        raise UnsafeOrInvalidRDF(path, f"invalid JSON: {_describe(exc)}") from None
    if not isinstance(document, dict | list):
        raise UnsafeOrInvalidRDF(path, "a JSON-LD document must be a JSON object or array")
    _check_jsonld_document(path, document, max_depth)
    # Hand rdflib the very object that was checked (not the text, which it would re-read).
    graph = Graph(store=_BoundedMemory(budget))
    with _literals_as_written():
        graph.parse(source=PythonInputSource(document), format="json-ld", base=base)
    return graph


def _check_json_depth(path: Path, text: str, max_depth: int) -> None:
    """Refuse JSON nested deeper than ``max_depth``, scanning brackets outside strings."""
    depth = 0
    for token in _JSON_TOKEN.finditer(text):
        char = token.group()
        if char in "[{":
            depth += 1
            if depth > max_depth:
                line = text.count("\n", 0, token.start()) + 1
                raise UnsafeOrInvalidRDF(
                    path,
                    f"JSON nested deeper than the limit of {max_depth} levels",
                    line=line,
                )
        elif char in "]}":
            depth -= 1


def _check_jsonld_document(path: Path, document: Any, max_depth: int) -> None:
    """Walk the document iteratively; refuse contexts by reference, ``@import`` and depth."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            if depth > max_depth:
                raise UnsafeOrInvalidRDF(
                    path, f"JSON nested deeper than the limit of {max_depth} levels"
                )
            if "@context" in value:
                _check_context(path, value["@context"])
            stack.extend((child, depth + 1) for child in value.values())
        elif isinstance(value, list):
            if depth > max_depth:
                raise UnsafeOrInvalidRDF(
                    path, f"JSON nested deeper than the limit of {max_depth} levels"
                )
            stack.extend((child, depth + 1) for child in value)


def _check_context(path: Path, context: Any) -> None:
    """Refuse a context given by reference (a string, alone or in an array) or with @import."""
    pending = [context]
    while pending:
        entry = pending.pop()
        if isinstance(entry, str):
            raise UnsafeOrInvalidRDF(
                path, f"remote or file @context {entry} refused: embed the context inline"
            )
        if isinstance(entry, list):
            pending.extend(entry)
        elif isinstance(entry, dict) and "@import" in entry:
            raise UnsafeOrInvalidRDF(
                path, f"@import {entry['@import']} in @context refused: embed the context inline"
            )


# --- RDF/XML --------------------------------------------------------------------------------


def _parse_rdfxml(path: Path, data: bytes, base: str, budget: _TermBudget) -> Graph:
    """Refuse DOCTYPE/entity declarations and non-UTF-8 declarations, then parse with rdflib."""
    for marker in (b"<!DOCTYPE", b"<!ENTITY"):
        at = data.find(marker)
        if at >= 0:
            raise UnsafeOrInvalidRDF(
                path,
                "DOCTYPE/entity declarations are refused in RDF/XML",
                line=data.count(b"\n", 0, at) + 1,
            )
    # The XML parser must read the same characters as the checks above: no NUL (which would
    # let it guess UTF-16) and no declared encoding other than UTF-8.
    if b"\x00" in data:
        raise UnsafeOrInvalidRDF(
            path, "NUL character in XML refused", line=data.count(b"\n", 0, data.find(b"\x00")) + 1
        )
    declared = _XML_ENCODING.match(data)
    if declared and declared.group(1).decode("ascii", "replace").lower() not in ("utf-8", "utf8"):
        raise UnsafeOrInvalidRDF(
            path,
            f"XML declares encoding {declared.group(1).decode('ascii', 'replace')!r}: "
            "the file must be encoded as UTF-8",
            line=1,
        )
    graph = Graph(store=_BoundedMemory(budget))
    try:
        with _literals_as_written():
            graph.parse(data=data, format="xml", publicID=base)
    except UnsafeOrInvalidRDF:
        raise
    except Exception as exc:
        line, column, message = _xml_position(exc)
        raise UnsafeOrInvalidRDF(path, message, line=line, column=column) from exc
    return graph


def _xml_position(exc: Exception) -> tuple[int | None, int | None, str]:
    """Return (line, column, message) of an RDF/XML parser error (1-based positions).

    ``SAXParseException`` has ``getLineNumber()``/``getColumnNumber()`` (columns 0-based);
    rdflib's ``ParserError`` writes ``<system id>:<line>:<column>: <message>``.
    """
    get_line = getattr(exc, "getLineNumber", None)
    get_column = getattr(exc, "getColumnNumber", None)
    if callable(get_line) and callable(get_column):
        line, column = get_line(), get_column()
        message = exc.getMessage() if hasattr(exc, "getMessage") else str(exc)
        return (
            line if isinstance(line, int) and line > 0 else None,
            column + 1 if isinstance(column, int) and column >= 0 else None,
            f"invalid XML: {message}",
        )
    text = _describe(exc)
    found = _RDFLIB_POSITION.match(text)
    if found:
        return int(found.group(1)), int(found.group(2)) + 1, f"invalid RDF/XML: {found.group(3)}"
    return None, None, f"invalid RDF/XML: {text}"
