"""Conversion between pyoxigraph and rdflib terms (the store speaks one, users the other)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Identifier, Node


def to_rdflib(term: object, *, exact: bool = False) -> Identifier | None:
    """Convert a pyoxigraph term to the equivalent rdflib term (None stays None).

    ``exact``: keep a literal's lexical form as written (rdflib otherwise normalises some,
    ``"01"^^xsd:integer`` to ``"1"``), as validating data as submitted needs.
    """
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == "http://www.w3.org/2001/XMLSchema#string":
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype), normalize=not exact)
    raise TypeError(f"cannot convert {term!r}")


def to_oxigraph(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """Convert an rdflib term to the equivalent pyoxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot convert {term!r}")


def solution_rows(solutions: ox.QuerySolutions,
                  convert: Callable[[object], Identifier | None] = to_rdflib,
                  ) -> list[dict[str, Identifier | None]]:
    """Rows of a pyoxigraph SELECT answer as dicts of rdflib terms (unbound: None).

    Each distinct term is converted once: results repeat their cities, nodes, labels and years
    on every row, and building an rdflib literal (which parses its lexical form) costs far
    more than the lookup.
    """
    names = [v.value for v in solutions.variables]
    converted: dict[object, Identifier | None] = {}
    rows = []
    for solution in solutions:
        row: dict[str, Identifier | None] = {}
        for name in names:
            term = solution[name]
            if term is None:
                row[name] = None
                continue
            value = converted.get(term)
            if value is None:
                value = converted[term] = convert(term)
            row[name] = value
        rows.append(row)
    return rows


XSD_NS = "http://www.w3.org/2001/XMLSchema#"
# lexical forms Oxigraph keeps as they are; other typed literals may be stored rewritten
_CANONICAL = {
    XSD_NS + "integer": re.compile(r"^(0|-?[1-9][0-9]*)$"),
    XSD_NS + "decimal": re.compile(r"^(0|-?[1-9][0-9]*)(\.[0-9]*[1-9])?$|^-?0\.[0-9]*[1-9]$"),
}


def may_be_rewritten(literal: ox.Literal) -> bool:
    """Tell whether Oxigraph might store the literal in another form than it was written.

    Oxigraph keeps numbers, booleans and dates in canonical form (``"12.50"^^xsd:decimal``
    comes back as ``"12.5"``) and language tags in lower case; validating data as submitted
    has to know which literals that could touch.

    >>> decimal = ox.NamedNode(XSD_NS + "decimal")
    >>> may_be_rewritten(ox.Literal("12.50", datatype=decimal))
    True
    >>> may_be_rewritten(ox.Literal("12.5", datatype=decimal)), may_be_rewritten(ox.Literal("x"))
    (False, False)
    """
    if literal.language:
        return literal.language != literal.language.lower()
    datatype = literal.datatype.value
    if not datatype.startswith(XSD_NS) or datatype == XSD_NS + "string":
        return False
    canonical = _CANONICAL.get(datatype)
    return canonical is None or not canonical.match(literal.value)
