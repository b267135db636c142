"""The one storage interface every engine implements, and the helpers they share.

* :class:`OxigraphBackend`: embedded pyoxigraph store, in memory or in a directory (default).
* :class:`RdflibBackend`: an rdflib ``Dataset`` in memory, the reference engine in tests.
* :class:`~cityculture.store.remote.RemoteBackend`: any SPARQL 1.1 endpoint (query, update,
  Graph Store Protocol), e.g. Oxigraph server or Virtuoso.

Every backend:

* binds query parameters as typed RDF terms, never as raw strings: rdflib through
  ``initBindings``; Oxigraph and remote endpoints through ``BIND (term AS ?name)`` added at
  the start of each ``WHERE {`` (:func:`cityculture.queries.bind_parameters`: the same
  solutions as a ``VALUES`` block there, which Virtuoso mishandles), every term written by
  one escaping function (:func:`cityculture.queries.sparql_term`, which refuses IRIs with
  characters that are illegal in IRIs). Both give the same answers, subqueries included
  (tested). A query with parameters but no ``WHERE {`` is refused (``ASK {`` is read as
  ``ASK WHERE {``), and a query may not ``BIND`` a parameter's variable itself (it would be
  bound twice, where rdflib's ``initBindings`` would not object);
* returns rows as ``dict`` of rdflib terms, one key per projected variable, ``None`` when
  unbound, with numeric, boolean and language-tagged literals in one canonical lexical form
  (:func:`canonical_term`), so equal values from different engines compare equal;
* replaces a named graph all-or-nothing (:meth:`Backend.replace_graph`).

Known engine differences that no conversion can hide (the engines compute different values or
datatypes), pinned by ``tests/test_backends.py``:

* rdflib 7 types the product and the quotient of an ``xsd:double`` with an integer, and the
  product of two integers, as ``xsd:decimal`` (SPARQL: double, double, integer);
* Virtuoso 7.2 divides integers as integers (``1/2`` is ``0``), returns comparisons as
  ``xsd:integer`` 1/0 instead of ``xsd:boolean``, and writes ``xsd:double`` values with six
  significant digits in every result format and in graph dumps (see
  :mod:`cityculture.store.remote`); it also answers ``queries/cq05`` and ``cq06`` with fewer
  rows than SPARQL 1.1 gives (it drops the solutions where a comparison inside a ``BIND`` or
  ``IF`` over variables bound in other graphs is false, as if it were a ``FILTER``), and
  ``cq10`` with other rows (a ``*`` property path inside ``GRAPH``). Booleans are cast with
  ``xsd:boolean()`` in the bundled queries, which Virtuoso then returns as booleans.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Protocol, runtime_checkable

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Identifier

from cityculture.queries import bind_parameters, sparql_term
from cityculture.rdf_terms import to_rdflib

Row = dict[str, Identifier | None]
"""One solution: variable name (without ``?``) -> rdflib term, ``None`` when unbound."""

Bindings = Mapping[str, Identifier] | None
"""Query parameters: variable name (with or without ``?``) -> URIRef or Literal."""

NTriples = bytes | Iterable[bytes]
"""N-Triples for :meth:`Backend.replace_graph`: one document, or parts of whole lines. A
blank node is written whole within one part, and no label is used in two parts: the embedded
store may load parts in separate documents (its bulk loader's calls), the other backends join
the parts into one."""


class InvalidRDFError(ValueError):
    """N-Triples given to :meth:`Backend.replace_graph` do not parse; nothing was changed."""


@runtime_checkable
class Backend(Protocol):
    """What the rest of the package needs from a store: SPARQL plus whole-graph operations."""

    name: str

    def select(self, query: str, bindings: Bindings = None) -> list[Row]:
        """Run a SELECT query with parameters bound as RDF terms; return its rows."""
        ...

    def ask(self, query: str, bindings: Bindings = None) -> bool:
        """Run an ASK query with parameters bound as RDF terms."""
        ...

    def update(self, update: str) -> None:
        """Run a SPARQL 1.1 Update request."""
        ...

    def replace_graph(self, graph: str, ntriples: NTriples) -> None:
        """Replace a named graph with N-Triples (whole or in parts), all-or-nothing.

        Parts are read one at a time, as the backend consumes them: the embedded store loads
        each as it comes, so a large graph given as a generator of parts is never held whole.
        """
        ...

    def graph_ntriples(self, graph: str) -> bytes:
        """Return a named graph as N-Triples (lines sorted; empty when there is no graph)."""
        ...

    def drop_graph(self, graph: str) -> None:
        """Remove a named graph (silently when it does not exist)."""
        ...

    def graph_names(self) -> list[str]:
        """Return the names of the named graphs holding triples, sorted."""
        ...

    def close(self) -> None:
        """Release resources (files, locks, connections)."""
        ...


# --- terms ----------------------------------------------------------------------------------

_INTEGER_TYPES = {
    str(XSD[t]) for t in (
        "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
        "nonPositiveInteger", "negativeInteger", "unsignedLong", "unsignedInt",
        "unsignedShort", "unsignedByte",
    )
}
_DECIMAL = str(XSD.decimal)
_DOUBLE = str(XSD.double)
_BOOLEAN = str(XSD.boolean)
_STRING = str(XSD.string)


def _decimal_lexical(value: Decimal) -> str:
    """Oxigraph's form: positional, no trailing zeros, no ``.0`` on integral values."""
    if value.is_zero():
        return "0"
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _double_lexical(value: float) -> str:
    """Oxigraph's form: shortest round-trip digits, positional, ``INF``/``-INF``/``NaN``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "INF" if value > 0 else "-INF"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    return _decimal_lexical(Decimal(repr(value)))


def canonical_literal(lexical: str, datatype: str | None = None,
                      language: str | None = None) -> Literal:
    """Build an rdflib literal in the canonical lexical form every backend returns.

    Integers, decimals, doubles and booleans get one lexical form per value (Oxigraph's:
    ``"2"`` and ``"2.5"`` for decimals, ``"5"`` and ``"0.1"`` for doubles); ``xsd:string``
    becomes a plain literal; language tags are lower-cased. Invalid lexical forms, and all
    other datatypes, are kept as they are.

    >>> canonical_literal("02.50", "http://www.w3.org/2001/XMLSchema#decimal").n3()
    '"2.5"^^<http://www.w3.org/2001/XMLSchema#decimal>'
    >>> canonical_literal("1.0E1", "http://www.w3.org/2001/XMLSchema#double").n3()
    '"10"^^<http://www.w3.org/2001/XMLSchema#double>'
    """
    if language:
        return Literal(lexical, lang=language.lower())
    if datatype is None or datatype == _STRING:
        return Literal(lexical)
    text = lexical.strip()
    try:
        if datatype in _INTEGER_TYPES:
            lexical = str(int(text))
        elif datatype == _DECIMAL:
            lexical = _decimal_lexical(Decimal(text))
        elif datatype == _DOUBLE:
            special = {"INF": math.inf, "+INF": math.inf, "-INF": -math.inf, "NaN": math.nan}
            lexical = _double_lexical(special[text] if text in special else float(text))
        elif datatype == _BOOLEAN and text in ("true", "false", "1", "0"):
            lexical = "true" if text in ("true", "1") else "false"
    except (ValueError, InvalidOperation):
        pass  # not a valid lexical form for its datatype: keep it as given
    return Literal(lexical, datatype=URIRef(datatype), normalize=False)


def canonical_term(term: Identifier | None) -> Identifier | None:
    """Return ``term`` with a literal's lexical form canonical (see :func:`canonical_literal`)."""
    if isinstance(term, Literal):
        return canonical_literal(str(term), str(term.datatype) if term.datatype else None,
                                 term.language)
    return term


def canonical_ox_term(term: object) -> Identifier | None:
    """Convert a pyoxigraph term straight to the canonical rdflib term of :func:`canonical_term`.

    One step instead of :func:`~cityculture.rdf_terms.to_rdflib` then :func:`canonical_term`
    (each builds an rdflib literal, which parses its lexical form).
    """
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        return canonical_literal(term.value, None if datatype == _STRING else datatype,
                                 term.language)
    return to_rdflib(term)


def check_bindings(bindings: Bindings) -> dict[str, Identifier]:
    """Validate query parameters; return them keyed by bare variable name.

    Each value must be a URIRef or a Literal that :func:`cityculture.queries.sparql_term`
    accepts (so every backend refuses the same bad input, e.g. an IRI with a space).

    :raises TypeError: a value is not an RDF term, or is a blank node.
    :raises ValueError: an IRI with characters illegal in IRIs, or a bad variable name.
    """
    checked: dict[str, Identifier] = {}
    for key, value in (bindings or {}).items():
        if not isinstance(value, URIRef | Literal):
            raise TypeError(f"parameter {key!r} must be a URIRef or Literal, "
                            f"not {type(value).__name__}")
        sparql_term(value)
        checked[key.lstrip("?$")] = value
    bind_parameters("WHERE {}", checked)  # validates the variable names
    return checked


_HAS_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
_ASK_BRACE = re.compile(r"\bASK\s*\{", re.IGNORECASE)


def bind_values(query: str, bindings: Bindings) -> str:
    """Bind parameters at the start of every ``WHERE {`` (Oxigraph and remote endpoints).

    ``ASK { ... }`` is read as ``ASK WHERE { ... }``. A query with parameters but no
    ``WHERE {`` is refused: the parameters would silently be ignored.

    :raises ValueError: no ``WHERE {`` to bind in, or a bad IRI or variable name.
    """
    checked = check_bindings(bindings)
    if not checked:
        return query
    return bind_parameters(_with_where(query), checked)


def _with_where(query: str) -> str:
    if _HAS_WHERE.search(query):
        return query
    if _ASK_BRACE.search(query):
        return _ASK_BRACE.sub("ASK WHERE {", query, count=1)
    raise ValueError("cannot bind parameters: the query has no 'WHERE {' to bind them in")


def check_graph_name(graph: str) -> str:
    """Return ``graph`` if it is an IRI usable as a graph name, else raise ValueError."""
    sparql_term(URIRef(graph))
    if ":" not in graph:
        raise ValueError(f"not an absolute IRI: {graph!r}")
    return graph


def sorted_ntriples(data: bytes) -> bytes:
    """Re-serialise N-Triples one triple per line, lines sorted (a stable form to compare)."""
    triples = ox.parse(data, format=ox.RdfFormat.N_TRIPLES)
    lines = sorted(ox.serialize([t], format=ox.RdfFormat.N_TRIPLES) or b"" for t in triples)
    return b"".join(lines)


def ntriples_parts(ntriples: NTriples) -> Iterable[bytes]:
    """Return N-Triples given whole or in parts as parts (one document: one part).

    :raises TypeError: ``ntriples`` is text, or a part is not bytes.
    """
    if isinstance(ntriples, bytes):
        return [ntriples]
    if isinstance(ntriples, str):
        raise TypeError("N-Triples must be bytes or parts of bytes, not str")
    return (_checked_part(part) for part in ntriples)


def _checked_part(part: object) -> bytes:
    if not isinstance(part, bytes):
        raise TypeError(f"a part of N-Triples must be bytes, not {type(part).__name__}")
    return part


def ntriples_document(ntriples: NTriples) -> bytes:
    """Return N-Triples given whole or in parts as one document (the parts joined)."""
    if isinstance(ntriples, bytes):
        return ntriples
    return b"".join(ntriples_parts(ntriples))


def check_ntriples(data: bytes) -> None:
    """Parse N-Triples fully; raise :class:`InvalidRDFError` naming the line if they are bad."""
    try:
        for _ in ox.parse(data, format=ox.RdfFormat.N_TRIPLES):
            pass
    except SyntaxError as err:
        raise InvalidRDFError(f"invalid N-Triples: {err}") from err
