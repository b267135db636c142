"""Check a framework file against ``shapes/frameworks/framework.ttl`` before anything runs.

The shapes are compiled into whole-graph SPARQL queries
(:func:`cityculture.validate.shacl_compiler.compile_shapes`) and run on an in-memory
Oxigraph store holding the framework file with the ontology, the method vocabulary and the
indicator scheme (so a shape can ask whether a term is defined). Each finding is one line
naming the file, the node and the term.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal
from rdflib.namespace import SKOS

from cityculture.model import model_graph_files
from cityculture.namespaces import PREFIXES
from cityculture.resources import resource_path
from cityculture.validate.shacl_compiler import CompiledShapes, compile_shapes

SHAPES_FILE = "frameworks/framework.ttl"
_PLACEHOLDER = re.compile(r"\{\?(\w+)\}")


@cache
def framework_shapes() -> CompiledShapes:
    """Return the compiled framework shapes; every shape must compile."""
    shapes = Graph().parse(resource_path("shapes", SHAPES_FILE), format="turtle")
    compiled = compile_shapes(shapes)
    if compiled.handed_over:
        raise RuntimeError(f"shapes/{SHAPES_FILE}: shapes that do not compile: "
                           f"{compiled.handed_over}")
    return compiled


@cache
def _model_quads() -> tuple[ox.Quad, ...]:
    quads: list[ox.Quad] = []
    for path in model_graph_files().values():
        quads.extend(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph())
                     for t in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
    return tuple(quads)


def _short(term: str) -> str:
    for prefix, namespace in PREFIXES.items():
        if term.startswith(str(namespace)) and term != str(namespace):
            return f"{prefix}:{term[len(str(namespace)):]}"
    return f"<{term}>"


def _text(value: ox.NamedNode | ox.Literal | ox.BlankNode | None) -> str:
    if isinstance(value, ox.NamedNode):
        return _short(value.value)
    if isinstance(value, ox.Literal):
        return f'"{value.value}"'
    return "?" if value is None else str(value)


def check_framework(path: Path, content: bytes, schemes: Sequence[Path] = ()) -> list[str]:
    """Return the findings of a framework file (empty when it may run), one line each.

    ``schemes``: scheme files that declare indicators the framework may use.
    """
    store = ox.Store()
    try:
        store.load(content, format=ox.RdfFormat.TURTLE, base_iri=path.resolve().as_uri())
    except SyntaxError as err:
        return [f"{path}: not valid Turtle: {err}"]
    for scheme in schemes:
        try:
            store.load(path=str(scheme), format=ox.RdfFormat.TURTLE)
        except (SyntaxError, OSError) as err:
            return [f"{scheme}: not a readable Turtle scheme: {err}"]
    notations = {q.subject.value: q.object.value for q in store.quads_for_pattern(
        None, ox.NamedNode(str(SKOS.notation)), None) if isinstance(q.object, ox.Literal)
        and isinstance(q.subject, ox.NamedNode)}
    store.extend(_model_quads())
    findings: list[tuple[str, str, str]] = []
    for check in framework_shapes().checks:
        for solution in store.query(check.query):  # type: ignore[union-attr]
            this = solution["this"]
            node = this.value if isinstance(this, ox.NamedNode) else str(this)
            values = {name: _text(solution[name]) for name in ("path", "value")
                      if solution[name] is not None}  # type: ignore[index]
            message = str(next((m for m in check.messages if isinstance(m, Literal)
                                and m.language in (None, "en")), check.code))
            message = _PLACEHOLDER.sub(
                lambda m, row=solution: _text(row[m.group(1)]), message)  # type: ignore[index]
            # the term at fault: an IRI value (a misspelt method, an undeclared indicator),
            # else the property (a misspelt property, a bad number)
            term = values.get("value") if isinstance(solution["value"], ox.NamedNode) \
                else values.get("path")  # type: ignore[index]
            label = f"node <{node}>" + (f" ({notations[node]})" if node in notations else "")
            findings.append((node, check.code,
                             f"{path}: {label}: {term or '-'}: {check.code}: {message}"))
    return [line for _, _, line in sorted(set(findings))]


__all__ = ["check_framework", "framework_shapes"]
