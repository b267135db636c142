"""One storage interface, three engines: the same SPARQL files run unchanged on each.

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
import threading
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import pyoxigraph as ox
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import XSD
from rdflib.term import Identifier

from cityculture.queries import bind_parameters, sparql_term
from cityculture.query_text import has_dataset_clause
from cityculture.rdf_terms import solution_rows, to_rdflib
from cityculture.store.embedded import HIDDEN_SUFFIXES, STAGING_SUFFIX, EmbeddedStore

Row = dict[str, Identifier | None]
"""One solution: variable name (without ``?``) -> rdflib term, ``None`` when unbound."""

Bindings = Mapping[str, Identifier] | None
"""Query parameters: variable name (with or without ``?``) -> URIRef or Literal."""


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

    def replace_graph(self, graph: str, ntriples: bytes) -> None:
        """Replace a named graph with N-Triples, all-or-nothing."""
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


def check_ntriples(data: bytes) -> None:
    """Parse N-Triples fully; raise :class:`InvalidRDFError` naming the line if they are bad."""
    try:
        for _ in ox.parse(data, format=ox.RdfFormat.N_TRIPLES):
            pass
    except SyntaxError as err:
        raise InvalidRDFError(f"invalid N-Triples: {err}") from err


# --- embedded Oxigraph ------------------------------------------------------------------------

class OxigraphBackend:
    """The embedded pyoxigraph store, in memory (``path=None``) or in a directory.

    Wraps :class:`~cityculture.store.embedded.EmbeddedStore`: ``replace_graph`` loads into a
    staging graph and swaps it in with one SPARQL update (one transaction); a failed load
    removes the staging graph and leaves the previous version untouched.
    """

    name = "oxigraph"

    def __init__(self, path: Path | None = None, *, store: EmbeddedStore | None = None,
                 union_default_graph: bool = False) -> None:
        """Open a store in ``path`` (created if needed), in memory, or wrap ``store``.

        ``union_default_graph``: queries see the union of all named graphs as their default
        graph (as Virtuoso does by default), so a query without ``GRAPH`` reads every graph;
        a query with ``FROM`` or ``FROM NAMED`` gets the dataset it names.
        """
        self.store = store if store is not None else EmbeddedStore(path)
        self.union_default_graph = union_default_graph

    def _query(self, query: str, bindings: Bindings) -> Any:
        union = self.union_default_graph and not has_dataset_clause(query)
        return self.store.oxigraph.query(bind_values(query, bindings),
                                         use_default_graph_as_union=union)

    def select(self, query: str, bindings: Bindings = None) -> list[Row]:
        """Run a SELECT query; parameters go in as escaped terms (:func:`bind_values`)."""
        solutions = self._query(query, bindings)
        if not isinstance(solutions, ox.QuerySolutions):
            raise ValueError("not a SELECT query")
        return solution_rows(solutions, canonical_ox_term)

    def ask(self, query: str, bindings: Bindings = None) -> bool:
        """Run an ASK query."""
        answer = self._query(query, bindings)
        if not isinstance(answer, ox.QueryBoolean):
            raise ValueError("not an ASK query")
        return bool(answer)

    def update(self, update: str) -> None:
        """Run a SPARQL Update request (one transaction)."""
        self.store.update(update)

    def replace_graph(self, graph: str, ntriples: bytes) -> None:
        """Replace ``graph`` atomically: staging graph, then one swapping update."""
        name = ox.NamedNode(check_graph_name(graph))
        try:
            self.store.replace_graph(name, ntriples)
        except SyntaxError as err:
            raise InvalidRDFError(f"invalid N-Triples for <{graph}>: {err}") from err
        finally:
            staging = ox.NamedNode(graph + STAGING_SUFFIX)
            if self.store.oxigraph.contains_named_graph(staging):
                self.store.oxigraph.remove_graph(staging)

    def graph_ntriples(self, graph: str) -> bytes:
        """Return ``graph`` as sorted N-Triples."""
        data = self.store.oxigraph.dump(format=ox.RdfFormat.N_TRIPLES,
                                        from_graph=ox.NamedNode(check_graph_name(graph))) or b""
        return b"".join(sorted(data.splitlines(keepends=True)))

    def drop_graph(self, graph: str) -> None:
        """Remove ``graph`` (no error when absent)."""
        name = ox.NamedNode(check_graph_name(graph))
        if self.store.oxigraph.contains_named_graph(name):
            self.store.oxigraph.remove_graph(name)

    def graph_names(self) -> list[str]:
        """Return the named graphs holding triples (staging graphs excluded), sorted."""
        store = self.store.oxigraph
        names = [g.value for g in store.named_graphs()
                 if isinstance(g, ox.NamedNode) and not g.value.endswith(HIDDEN_SUFFIXES)
                 and next(iter(store.quads_for_pattern(None, None, None, g)), None) is not None]
        return sorted(names)

    def close(self) -> None:
        """Flush and release the store."""
        self.store.close()


# --- rdflib -----------------------------------------------------------------------------------

class RdflibBackend:
    """An rdflib ``Dataset`` in memory: slow, but the engine the reference tests trust.

    Every operation holds one lock, so ``replace_graph`` (parse into a new graph, then swap the
    triples in under the lock) is all-or-nothing for every other caller of this backend.
    """

    name = "rdflib"

    def __init__(self, dataset: Dataset | None = None) -> None:
        """Use ``dataset`` or a new empty one (``default_union=False``)."""
        self.dataset = dataset if dataset is not None else Dataset(default_union=False)
        self._lock = threading.RLock()

    def select(self, query: str, bindings: Bindings = None) -> list[Row]:
        """Run a SELECT query; parameters go in through rdflib's ``initBindings``."""
        with self._lock:
            result = self.dataset.query(query, initBindings=_init_bindings(query, bindings))
            if result.type != "SELECT":
                raise ValueError("not a SELECT query")
            names = [str(v) for v in result.vars or []]
            return [{n: canonical_term(row[n]) for n in names}  # type: ignore[index,call-overload,arg-type]
                    for row in result]

    def ask(self, query: str, bindings: Bindings = None) -> bool:
        """Run an ASK query."""
        with self._lock:
            result = self.dataset.query(query, initBindings=_init_bindings(query, bindings))
            if result.type != "ASK":
                raise ValueError("not an ASK query")
            return bool(result.askAnswer)

    def update(self, update: str) -> None:
        """Run a SPARQL Update request."""
        with self._lock:
            self.dataset.update(update)

    def replace_graph(self, graph: str, ntriples: bytes) -> None:
        """Parse into a fresh graph first; swap it in only when parsing succeeded."""
        name = URIRef(check_graph_name(graph))
        check_ntriples(ntriples)  # the same strict parser, and message, as the other backends
        fresh = Graph()
        try:
            fresh.parse(data=ntriples, format="nt")
        except Exception as err:  # rdflib raises several parser error types
            raise InvalidRDFError(f"invalid N-Triples for <{graph}>: {err}") from err
        with self._lock:
            self.dataset.remove_graph(name)
            target = self.dataset.graph(name)
            target.addN((s, p, o, target) for s, p, o in fresh)

    def load_graph(self, graph: str, path: Path) -> None:
        """Replace ``graph`` with the content of a Turtle file (what an assessment loads)."""
        self.replace_graph(graph, Graph().parse(path, format="turtle").serialize(
            format="nt", encoding="utf-8"))

    def graph_ntriples(self, graph: str) -> bytes:
        """Return ``graph`` as sorted N-Triples."""
        with self._lock:
            data = self.dataset.graph(URIRef(check_graph_name(graph))).serialize(
                format="nt", encoding="utf-8")
        return sorted_ntriples(data)

    def drop_graph(self, graph: str) -> None:
        """Remove ``graph`` (no error when absent)."""
        with self._lock:
            self.dataset.remove_graph(URIRef(check_graph_name(graph)))

    def graph_names(self) -> list[str]:
        """Return the named graphs holding triples, sorted."""
        with self._lock:
            return sorted(
                str(g.identifier) for g in self.dataset.graphs()
                if isinstance(g.identifier, URIRef) and g.identifier != DATASET_DEFAULT_GRAPH_ID
                and len(g) > 0
            )

    def close(self) -> None:
        """Nothing to release (memory only)."""


def _init_bindings(query: str, bindings: Bindings) -> dict[str, Identifier]:
    """Parameters for rdflib's ``initBindings``, refusing what the other backends refuse."""
    checked = check_bindings(bindings)
    if checked:
        _with_where(query)
    return checked


def accepted_triples(backend: Backend, *, exclude: tuple[str, ...] = ()) -> list[ox.Triple]:
    """Return the triples of every accepted submission graph (to validate new ones against).

    ``exclude``: graphs left out (the submissions about to be replaced).
    """
    if isinstance(backend, OxigraphBackend):
        return list(backend.store.accepted_triples(exclude))
    from cityculture.ingest.submission import SUBMISSION_BASE

    triples: list[ox.Triple] = []
    for graph in backend.graph_names():
        if graph.startswith(SUBMISSION_BASE) and graph not in exclude:
            triples.extend(ox.parse(backend.graph_ntriples(graph),
                                    format=ox.RdfFormat.N_TRIPLES))
    return triples


# --- factory ----------------------------------------------------------------------------------

BACKEND_KINDS = ("oxigraph", "rdflib", "remote", "oxigraph-server", "virtuoso")


def open_backend(
    kind: str = "oxigraph",
    *,
    path: Path | None = None,
    endpoint: str | None = None,
    update_endpoint: str | None = None,
    gsp_endpoint: str | None = None,
    auth: Any = None,
    timeout: float = 30,
    retries: int = 3,
) -> Backend:
    """Open a backend by kind.

    * ``"oxigraph"`` (default): embedded store in ``path`` (a directory), in memory if None.
    * ``"rdflib"``: rdflib Dataset in memory.
    * ``"remote"``: any SPARQL 1.1 endpoint: ``endpoint`` (query), ``update_endpoint``
      (default: ``endpoint``), ``gsp_endpoint`` (Graph Store Protocol, needed for
      ``replace_graph`` and ``graph_ntriples``); graphs are replaced through a staging graph.
    * ``"oxigraph-server"``: ``endpoint`` is the server's base URL (``/query``, ``/update``,
      ``/store``); graphs are replaced by one GSP PUT (atomic on Oxigraph).
    * ``"virtuoso"``: ``endpoint`` is the ``/sparql`` URL or the base URL (GSP on
      ``/sparql-graph-crud``); graphs are replaced through a staging graph, since Virtuoso's
      GSP PUT is not atomic; system graphs are hidden from ``graph_names``.

    ``auth`` (remote kinds): ``(user, password)`` for basic auth, or a
    :class:`~cityculture.store.remote.BasicAuth`, ``DigestAuth`` or ``BearerAuth``;
    ``timeout`` is per request in seconds; ``retries`` is how many times a request is repeated
    after a connection error or a 5xx answer (with exponential back-off).
    """
    if kind == "oxigraph":
        return OxigraphBackend(path)
    if kind == "rdflib":
        if path is not None:
            raise ValueError("the rdflib backend is in memory only: no path")
        return RdflibBackend()
    if kind not in BACKEND_KINDS:
        raise ValueError(f"unknown backend kind {kind!r}; one of {', '.join(BACKEND_KINDS)}")
    if not endpoint:
        raise ValueError(f"backend {kind!r} needs an endpoint URL")
    from cityculture.store.remote import RemoteBackend  # SPARQLWrapper on demand

    if kind == "oxigraph-server":
        return RemoteBackend.for_oxigraph_server(endpoint, auth=auth, timeout=timeout,
                                                 retries=retries)
    if kind == "virtuoso":
        return RemoteBackend.for_virtuoso(endpoint, gsp_endpoint=gsp_endpoint, auth=auth,
                                          timeout=timeout, retries=retries)
    return RemoteBackend(endpoint, update_endpoint=update_endpoint, gsp_endpoint=gsp_endpoint,
                         auth=auth, timeout=timeout, retries=retries)
