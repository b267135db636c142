"""The SPARQL files of ``queries/``: find them, read their headers, run them with bound parameters.

Every query file opens with a comment header: the question it answers, its parameters and
its output columns. Parameters are bound as typed RDF terms (``initBindings``), never pasted
into the query text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdflib import Graph
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
    """Return the names (file stems) of the bundled queries, sorted.

    >>> "cq01-elements-and-roles" in query_names()
    True
    """
    return sorted(p.stem for p in resource_dir("queries").glob("*.rq"))


def load_query(name_or_path: str | Path) -> QueryFile:
    """Load a bundled query by name (``cq01-elements-and-roles``) or any ``.rq`` file by path."""
    path = Path(name_or_path)
    if path.suffix != ".rq" or not path.is_file():
        bundled = resource_dir("queries") / f"{name_or_path}.rq"
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
