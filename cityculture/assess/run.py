"""Run an assessment: SPARQL updates from ``queries/`` write scores into a named graph.

The recipe, as the OECD/JRC handbook and COINr lay it out: the indicators' distributions and
outlier treatment (``assess-00``), the normalisation published with the run (``assess-01``),
aggregation level by level up the framework tree (``assess-02``), ranks (``assess-03``).
Python only orchestrates: it binds the parameters and runs the updates in order; SPARQL does
the work, so the same files run on any SPARQL 1.1 store. Every run is a new named graph with
its parameters and PROV links, so two runs can be compared by query.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.term import Node

from cityculture.assess.frameworks import Framework
from cityculture.model import indicators_path, ontology_path
from cityculture.queries import bind_parameters, load_query, sparql_term
from cityculture.query_text import update_operations
from cityculture.resources import resource_path
from cityculture.store.backends import Backend, OxigraphBackend
from cityculture.store.embedded import EmbeddedStore

RUN_BASE = "https://w3id.org/cityculture/run/"
MODEL_GRAPH = "https://w3id.org/cityculture/graph/model"


AssessmentStore = Backend | EmbeddedStore
"""Where an assessment runs: any :class:`~cityculture.store.backends.Backend` (embedded
Oxigraph, rdflib, a remote SPARQL 1.1 endpoint such as Oxigraph server or Virtuoso), or an
:class:`~cityculture.store.embedded.EmbeddedStore` (wrapped as an ``OxigraphBackend``)."""

SparqlStore = AssessmentStore  # the former name, kept for callers


def as_backend(store: AssessmentStore) -> Backend:
    """Return ``store`` as a :class:`~cityculture.store.backends.Backend`."""
    if isinstance(store, EmbeddedStore):
        return OxigraphBackend(store=store)
    return store


@dataclass(frozen=True)
class AssessmentRun:
    """The IRI (and named graph) of one run, with what it was run with."""

    iri: str
    framework: Framework
    year: int | None


def turtle_as_ntriples(path: Path) -> bytes:
    """Read a Turtle file and return its triples as N-Triples (what ``replace_graph`` takes)."""
    return ox.serialize(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE),
                        format=ox.RdfFormat.N_TRIPLES) or b""


def load_model(store: AssessmentStore, framework: Framework) -> None:
    """Put the ontology, the indicator scheme and the framework into their named graphs."""
    backend = as_backend(store)
    for graph, path in [(MODEL_GRAPH, ontology_path()),
                        (MODEL_GRAPH + "/indicators", indicators_path()),
                        (MODEL_GRAPH + "/cube", resource_path("ontology", "cube.ttl")),
                        (framework.graph, framework.path)]:
        backend.replace_graph(graph, turtle_as_ntriples(Path(path)))


INLINED = ("run", "stage", "framework", "level")
"""Parameters the update files use only in patterns and expressions, never in a projection:
written into the text as constants (escaped terms), so a store's optimizer sees them when it
plans the joins (Oxigraph plans a variable bound by VALUES or BIND as unknown). The others
(``?year``) are bound at the start of every WHERE (:func:`~cityculture.queries.bind_parameters`)."""


def bind_update(text: str, bindings: Mapping[str, Node]) -> str:
    """Bind an update's parameters: :data:`INLINED` ones as constants, the others by BIND."""
    rest: dict[str, Node] = {}
    for name, value in bindings.items():
        if name in INLINED:
            term = sparql_term(value)
            text = re.sub(r"\?" + name + r"\b", lambda _match, t=term: t, text)
        else:
            rest[name] = value
    return bind_parameters(text, rest)


def _execute(store: Backend, name: str, bindings: Mapping[str, Node]) -> None:
    """Run an update file, one operation per request.

    A store that plans a whole request before running any of it (Virtuoso) would plan the
    later operations on a staging graph the earlier ones have not yet written, and refuse
    them on its cost estimate.
    """
    for operation in update_operations(bind_update(load_query(name).text, bindings)):
        store.update(operation)


NEWTON_STEPS = 12
"""Newton steps per staged square root (``assess-00-square-root``): twelve reach the square
root to the last digits of a double from the first estimate (x + 1) / 2 for every x up to
10^4 (a variance of min-max-rescaled values is at most 2500)."""


def stage_graph(run: str) -> str:
    """Return the run's staging graph: working space of the updates, dropped at the end."""
    return f"{run}/stage"


def winsorisation_passes(store: Backend, stage: str) -> int:
    """Return how many winsorisation passes to run: the largest limit staged (0: none).

    Each pass treats at least one point of every (indicator, year) that still breaks the rule
    and is below its limit, so this many passes reach every limit.
    """
    rows = store.select(f"""PREFIX stage: <https://w3id.org/cityculture/stage/>
        SELECT (MAX(?limit) AS ?passes) WHERE {{ GRAPH {sparql_term(URIRef(stage))} {{
          ?stat stage:limit ?limit }} }}""")
    value = rows[0].get("passes") if rows else None
    return int(value.toPython()) if isinstance(value, Literal) else 0


def take_square_roots(store: Backend, stage: str) -> None:
    """Run the :data:`NEWTON_STEPS` Newton steps of ``assess-00-square-root``.

    :raises RuntimeError: a staged root still lacks steps afterwards (the store failed to
        compute a step, e.g. on a radicand it could not read as a number).
    """
    steps = Literal(NEWTON_STEPS)
    for _ in range(NEWTON_STEPS):
        _execute(store, "assess-00-square-root", {"stage": URIRef(stage), "newtonSteps": steps})
    pending = f"""PREFIX stage: <https://w3id.org/cityculture/stage/>
        SELECT ?node WHERE {{ GRAPH {sparql_term(URIRef(stage))} {{
          ?node stage:rootSteps ?steps FILTER (?steps < {sparql_term(steps)}) }} }} LIMIT 1"""
    if store.select(pending):
        raise RuntimeError(f"square roots in {stage} still pending after {NEWTON_STEPS} steps")


def new_run_iri(framework: Framework, year: int | None) -> str:
    """Return a fresh run IRI: a timestamp and a short hash of what the run is about."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    digest = hashlib.sha256(f"{framework.iri} {year} {stamp}".encode()).hexdigest()[:8]
    return f"{RUN_BASE}{stamp}-{digest}"


def run_assessment(
    store: AssessmentStore,
    framework: Framework,
    *,
    year: int | None = None,
    run_iri: str | None = None,
) -> AssessmentRun:
    """Assess every city in the store with a framework; return the run (a named graph).

    ``store`` is any backend (or an embedded store); the same update files run on each.
    """
    store = as_backend(store)
    load_model(store, framework)
    run = run_iri or new_run_iri(framework, year)
    started = datetime.now(UTC).isoformat()
    stage = stage_graph(run)
    common: dict[str, Node] = {"run": URIRef(run), "stage": URIRef(stage),
                               "framework": URIRef(framework.iri)}
    bindings = {**common, "year": Literal(year)} if year is not None else common
    store.update(bind_parameters(
        """PREFIX csp: <https://w3id.org/cityculture/ontology/>
        PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
        INSERT { GRAPH ?run { ?run a csp:AssessmentRun , prov:Activity ;
                                   csp:framework ?framework ; prov:used ?framework ;
                                   prov:startedAtTime ?started . } }
        WHERE { BIND (xsd:dateTime(?startedText) AS ?started) }""",
        {"run": URIRef(run), "framework": URIRef(framework.iri),
         "startedText": Literal(started)},
    ))
    if year is not None:
        store.update(bind_parameters(
            """PREFIX csp: <https://w3id.org/cityculture/ontology/>
            INSERT { GRAPH ?run { ?run csp:refYear ?year } } WHERE { }""", bindings))
    _execute(store, "assess-00-statistics", bindings)
    _execute(store, "assess-00-outliers", bindings)
    take_square_roots(store, stage)
    _execute(store, "assess-00-skewness", {"run": URIRef(run), "stage": URIRef(stage)})
    passes = winsorisation_passes(store, stage)
    for _ in range(passes):
        _execute(store, "assess-00-winsorise", {"stage": URIRef(stage)})
    if passes:
        _execute(store, "assess-00-treated", bindings)
        take_square_roots(store, stage)
    _execute(store, "assess-01-normalisation", common)
    for level in range(1, framework.top_level + 1):
        level_bindings = {**bindings, "level": Literal(level)}
        _execute(store, "assess-02-first-level" if level == 1 else "assess-02-upper-level",
                 level_bindings)
        _execute(store, "assess-02-not-scored", level_bindings)
    _execute(store, "assess-03-ranks", common)
    store.update(f"DROP SILENT GRAPH <{stage}>")
    store.update(bind_parameters(
        """PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
        INSERT { GRAPH ?run { ?run prov:endedAtTime ?ended } }
        WHERE { BIND (xsd:dateTime(?endedText) AS ?ended) }""",
        {"run": URIRef(run), "endedText": Literal(datetime.now(UTC).isoformat())},
    ))
    return AssessmentRun(iri=run, framework=framework, year=year)
