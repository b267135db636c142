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
    """Bind parameters as a VALUES block after every ``WHERE {`` of a query or update.

    Binding in every WHERE block (subqueries included) gives the same semantics on every
    engine, where ``initBindings`` would only bind the outermost group on rdflib.
    """
    if not bindings:
        return text
    names = [name.lstrip("?$") for name in bindings]
    for name in names:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(f"not a SPARQL variable name: {name!r}")
    terms = " ".join(sparql_term(value) for value in bindings.values())
    block = f"VALUES ({' '.join('?' + n for n in names)}) {{ ({terms}) }} "
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
