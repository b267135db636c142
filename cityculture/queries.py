"""The SPARQL files of ``queries/``: find them, read their headers, run them with bound parameters.

Every query file opens with a comment header: the question it answers, its parameters and
its output columns. Parameters are bound as typed RDF terms (``initBindings``), never pasted
into the query text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.term import Identifier, Node

from cityculture.resources import resource_dir


@dataclass(frozen=True)
class QueryFile:
    """A SPARQL file of ``queries/`` with the parts of its header comment."""

    name: str
    path: Path
    title: str
    header: str
    text: str

    @property
    def is_update(self) -> bool:
        """True for a SPARQL Update file (``.ru``: a step of the assessment, not a question)."""
        return self.path.suffix == ".ru"

    @property
    def question(self) -> str:
        """The header's opening sentence, whole: the question the file answers.

        >>> load_query("cq12-year-change").question
        "CQ12. How did a city's scores and rank change between two years?"
        """
        parts: list[str] = []
        for line in self.header.splitlines():
            if not line.strip() or (parts and _HEADER_KEY.match(line)):
                break
            parts.append(line.strip())
            if line.rstrip().endswith((".", "?")):
                break
        return " ".join(parts) or self.name


_HEADER_KEY = re.compile(r"^[A-Z][A-Za-z ]{1,20}:")


def query_names() -> list[str]:
    """Return the names (file stems) of the bundled queries and updates, sorted.

    >>> "cq01-elements-and-roles" in query_names()
    True
    """
    folder = resource_dir("queries")
    return sorted(p.stem for p in [*folder.glob("*.rq"), *folder.glob("*.ru")])


def load_query(name_or_path: str | Path) -> QueryFile:
    """Load a bundled query by name (``cq01-elements-and-roles``) or any ``.rq`` file by path."""
    path = Path(name_or_path)
    if path.suffix not in (".rq", ".ru") or not path.is_file():
        bundled = resource_dir("queries") / f"{name_or_path}.rq"
        if not bundled.is_file():
            bundled = bundled.with_suffix(".ru")
        if not bundled.is_file():
            raise FileNotFoundError(
                f"no query {str(name_or_path)!r}: not a .rq file and not one of "
                f"{', '.join(query_names())}"
            )
        path = bundled
    text = path.read_text(encoding="utf-8")
    header_lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        header_lines.append(line[1:].strip())
    header = "\n".join(header_lines)
    title = header_lines[0] if header_lines else path.stem
    return QueryFile(name=path.stem, path=path, title=title, header=header, text=text)


Row = dict[str, Any]

_IRI_FORBIDDEN = set('<>"{}|^`\\ ')
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})
_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)


def sparql_term(term: Node) -> str:
    r"""Serialise an RDF term for a SPARQL query, refusing anything that could break out of it.

    >>> from rdflib import Literal, URIRef
    >>> print(sparql_term(Literal('a"} ; DROP ALL')))
    "a\"} ; DROP ALL"
    >>> sparql_term(URIRef("https://w3id.org/cityculture/city/Q90"))
    '<https://w3id.org/cityculture/city/Q90>'
    """
    if isinstance(term, URIRef):
        text = str(term)
        if any(ch in _IRI_FORBIDDEN or ord(ch) < 0x21 for ch in text):
            raise ValueError(f"not a valid IRI for a query parameter: {text!r}")
        return f"<{text}>"
    if isinstance(term, Literal):
        text = str(term).translate(_ESCAPES)
        if term.language:
            return f'"{text}"@{term.language}'
        if term.datatype:
            return f'"{text}"^^{sparql_term(URIRef(term.datatype))}'
        return f'"{text}"'
    raise TypeError(f"query parameters must be IRIs or literals, not {type(term).__name__}")


def bind_parameters(text: str, bindings: Mapping[str, Node] | None) -> str:
    """Bind parameters at the start of every ``WHERE {`` of a query or update.

    Each parameter becomes ``BIND (term AS ?name)`` as the first element of the group: the
    same solutions as a ``VALUES`` block there (a one-row table joined with the rest of the
    group), in a form every engine evaluates alike; Virtuoso 7.2 drops rows or stalls on
    ``VALUES`` joined with ``GRAPH`` patterns. Binding in every WHERE block (subqueries
    included) gives the same semantics on every engine, where ``initBindings`` would only bind
    the outermost group on rdflib. Every term is written by :func:`sparql_term`.
    """
    if not bindings:
        return text
    names = [name.lstrip("?$") for name in bindings]
    for name in names:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(f"not a SPARQL variable name: {name!r}")
    block = " ".join(f"BIND ({sparql_term(value)} AS ?{name})"
                     for name, value in zip(names, bindings.values(), strict=True)) + " "
    return _WHERE.sub(lambda m: m.group(0) + " " + block, text)


def run_query(
    name_or_path: str | Path,
    graph: Graph,
    bindings: Mapping[str, Node] | None = None,
) -> list[Row]:
    """Run a SELECT query on an rdflib graph and return its rows as dicts of RDF terms.

    Unbound variables are absent from a row's values (``row.get(name)`` is ``None``).

    >>> from cityculture.model import model_graph
    >>> rows = run_query("cq01-elements-and-roles", model_graph())
    >>> len(rows)
    5
    """
    query = load_query(name_or_path)
    init: dict[str, Identifier] = {}
    for key, value in (bindings or {}).items():
        if not isinstance(value, Identifier):
            raise TypeError(f"parameter {key!r} must be an RDF term, not {type(value).__name__}")
        init[key.lstrip("?$")] = value
    result = graph.query(query.text, initBindings=init)
    names = [str(v) for v in result.vars or []]
    return [{n: row[n] for n in names} for row in result]


# --- declared parameters ----------------------------------------------------------------------

PARAMETER_KINDS = ("IRI", "integer", "decimal", "string", "boolean")
_PARAM_LINE = re.compile(r"^\?([A-Za-z_][A-Za-z0-9_]*)\s+(.*)$")
_SCHEME = re.compile(r"^(?:https?|urn|tag|mailto|ftp):", re.IGNORECASE)


@dataclass(frozen=True)
class Parameter:
    """A parameter a query file declares in its header (``#   ?name  KIND, required: ...``)."""

    name: str
    kind: str
    required: bool
    description: str


def declared_parameters(query: QueryFile) -> list[Parameter]:
    """Return the parameters a query's header declares, in order.

    The kind is the first word after the variable (``IRI``, ``integer``, ``decimal``,
    ``string``, ``boolean``; ``IRI`` when the header names none); a parameter is required
    when its line says ``required``.

    >>> [p.name for p in declared_parameters(load_query("cq04-city-scores"))]
    ['run', 'city', 'year']
    """
    found: list[Parameter] = []
    inside = False
    for line in query.header.splitlines():
        text = line.strip()
        if text.lower().startswith("parameters"):
            inside = True
            continue
        if not inside:
            continue
        match = _PARAM_LINE.match(text)
        if match:
            name, rest = match.groups()
            first = rest.split(None, 1)[0].rstrip(",:").lower() if rest else ""
            kind = next((k for k in PARAMETER_KINDS if k.lower() == first), "IRI")
            found.append(Parameter(name, kind, "required" in rest.lower(), rest))
        elif text and not text.startswith(("(", "?")) and not line.startswith("  "):
            break
    return found


def expand_iri(text: str) -> URIRef | None:
    """Return ``text`` as an IRI if it is one (``<...>``, ``https:...``, a known prefix); else None.

    >>> expand_iri("csp:cohesion")
    rdflib.term.URIRef('https://w3id.org/cityculture/ontology/cohesion')
    >>> expand_iri("Paris") is None
    True
    """
    from cityculture.namespaces import PREFIXES

    value = text.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1]
    elif ":" in value and value.split(":", 1)[0] in PREFIXES:
        prefix, local = value.split(":", 1)
        value = str(PREFIXES[prefix]) + local
    elif not _SCHEME.match(value):
        return None
    term = URIRef(value)
    sparql_term(term)  # refuses characters that are not allowed in an IRI
    return term


def parameter_term(parameter: Parameter, text: str) -> Literal | URIRef | None:
    """Convert a command-line value to the RDF term the parameter's kind asks for.

    Returns None for an ``IRI`` parameter whose value is not an IRI: the caller may look it up
    by name. Literals are built from the value as it is (typed, never pasted into a query).

    :raises ValueError: the value is not a valid ``integer``, ``decimal`` or ``boolean``, or
        an IRI with characters not allowed in IRIs.
    """
    from decimal import Decimal, InvalidOperation

    from rdflib.namespace import XSD

    if parameter.kind == "IRI":
        return expand_iri(text)
    if parameter.kind == "integer":
        if not re.fullmatch(r"[+-]?\d+", text.strip()):
            raise ValueError(f"parameter {parameter.name}: {text!r} is not an integer")
        return Literal(int(text), datatype=XSD.integer)
    if parameter.kind == "decimal":
        try:
            value = Decimal(text.strip())
        except InvalidOperation:
            raise ValueError(f"parameter {parameter.name}: {text!r} is not a decimal") from None
        if not value.is_finite():
            raise ValueError(f"parameter {parameter.name}: {text!r} is not a finite decimal")
        return Literal(value, datatype=XSD.decimal)
    if parameter.kind == "boolean":
        if text.strip().lower() not in ("true", "false"):
            raise ValueError(f"parameter {parameter.name}: {text!r} is not true or false")
        return Literal(text.strip().lower() == "true", datatype=XSD.boolean)
    return Literal(text)
