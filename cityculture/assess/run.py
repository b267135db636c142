"""Run an assessment: select the observations, compute the scores, write the run at once.

The recipe, as the OECD/JRC handbook and COINr lay it out: imputation, transformation,
outlier treatment, normalisation, aggregation level by level up the framework tree, ranks.
SPARQL selects the observation table (``queries/assess-observations.rq``); one Python module
computes every number (:mod:`cityculture.assess.numerics`); the run is written as one named
graph in one atomic replace (:mod:`cityculture.assess.run_graph`), so it appears whole or not
at all. The graph is handed to the store in parts, written as the store loads them: the
embedded store never holds the whole run graph as text. The run reads only its own
framework: the framework file is copied into the store in a graph named by its content
digest, which the run records.

:func:`assess` works over any :class:`~cityculture.store.backends.Backend` (embedded
Oxigraph, rdflib, a SPARQL 1.1 endpoint such as Oxigraph server or Virtuoso): it only
selects, asks and replaces graphs.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pyoxigraph as ox
from rdflib import URIRef

from cityculture.assess.frameworks import Framework
from cityculture.assess.numerics import AssessmentError, ObservationTable, assess_table
from cityculture.assess.run_graph import run_ntriples_parts
from cityculture.namespaces import RUN_BASE
from cityculture.queries import load_query
from cityculture.store.backends import Backend, OxigraphBackend, bind_values
from cityculture.store.model_graphs import store_model_graphs


@dataclass(frozen=True)
class AssessmentRun:
    """The IRI (and named graph) of one run, with what it was run with."""

    iri: str
    framework: Framework
    year: int | None


def new_run_iri(framework: Framework, year: int | None) -> str:
    """Return a fresh run IRI: a timestamp and a short hash of what the run is about."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    digest = hashlib.sha256(f"{framework.digest} {year} {stamp}".encode()).hexdigest()[:8]
    return f"{RUN_BASE}{stamp}-{digest}"


def store_framework(store: Backend, framework: Framework) -> None:
    """Copy the framework into its digest-named graph, unless the store holds it already."""
    if store.ask(f"ASK {{ GRAPH <{framework.graph}> {{ ?s ?p ?o }} }}"):
        return
    data = ox.serialize(ox.parse(framework.turtle, format=ox.RdfFormat.TURTLE),
                        format=ox.RdfFormat.N_TRIPLES) or b""
    store.replace_graph(framework.graph, data)


def lexical_rows(store: Backend, query: str, bindings: dict[str, URIRef],
                 names: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """Run a SELECT whose variables are all bound; yield the lexical forms of ``names``.

    On the embedded store the solutions are read straight from pyoxigraph: the observation
    table of a national corpus has hundreds of thousands of rows, and building an rdflib
    term for each cell (what :meth:`Backend.select` returns) would cost more than the query.
    The rows are yielded one by one, not kept: the caller keeps what it needs of each.
    """
    if isinstance(store, OxigraphBackend):
        solutions = store.oxigraph.query(bind_values(query, bindings))
        assert isinstance(solutions, ox.QuerySolutions)
        # SPARQL CSV results hold the lexical forms; pyoxigraph writes them in one call
        data = io.BytesIO(solutions.serialize(format=ox.QueryResultsFormat.CSV) or b"")
        # decoded as read: the text of the whole table is never held (nor as a StringIO copy)
        reader = csv.reader(io.TextIOWrapper(data, encoding="utf-8", newline=""))
        header = next(reader, [])
        at = [header.index(name) for name in names]
        for row in reader:
            yield tuple(row[i] for i in at)
        return
    for row in store.select(query, bindings):
        yield tuple(str(row[name]) for name in names)


def observation_table(store: Backend, framework: Framework) -> tuple[ObservationTable,
                                                                    list[str]]:
    """Select the framework's observations; return the table and the graphs they came from."""
    rows = lexical_rows(store, load_query("assess-observations").text,
                        {"frameworkGraph": URIRef(framework.graph)},
                        ("graph", "indicator", "city", "year", "value"))
    graphs: set[str] = set()

    def observations() -> Iterator[tuple[str, str, int, float]]:
        for graph, indicator, city, year, value in rows:
            graphs.add(graph)
            yield indicator, city, int(year), float(value)

    table = ObservationTable.from_rows(observations())
    return table, sorted(graphs)


def indicator_directions(store: Backend, framework: Framework) -> dict[str, str]:
    """Return each indicator's direction; the framework's own declaration wins.

    :raises AssessmentError: two graphs declare different directions and the framework none.
    """
    rows = store.select(load_query("assess-indicators").text,
                        {"frameworkGraph": URIRef(framework.graph)})
    own: dict[str, str] = {}
    found: dict[str, set[str]] = {}
    for row in rows:
        indicator, direction = str(row["indicator"]), str(row["direction"])
        if str(row["declaring"]) == framework.graph:
            own[indicator] = direction
        found.setdefault(indicator, set()).add(direction)
    for indicator, directions in found.items():
        if indicator not in own and len(directions) > 1:
            raise AssessmentError(f"indicator <{indicator}>: the store declares "
                                  f"{len(directions)} directions; declare it in the framework")
    return own | {i: next(iter(d)) for i, d in found.items() if i not in own}


def read_inputs(store: Backend, framework: Framework) -> tuple[
        ObservationTable, dict[str, str], list[str]]:
    """Read the observation table, the indicators' directions and the graphs read.

    Writes only the model graphs and the framework's copy, where they are missing.
    """
    store_model_graphs(store)
    store_framework(store, framework)
    table, graphs = observation_table(store, framework)
    return table, indicator_directions(store, framework), graphs


def assess(
    store: Backend,
    framework: Framework,
    *,
    year: int | None = None,
    run_iri: str | None = None,
) -> AssessmentRun:
    """Assess every city in the store with a framework; return the run (a named graph).

    ``year`` limits the run's results to one year (earlier years still feed
    ``csp:latestEarlierYear``). The run graph is written in one replace (handed over in parts):
    on failure nothing of it is in the store.

    :raises AssessmentError: the data cannot be assessed with the framework.
    """
    started = datetime.now(UTC)
    run = run_iri or new_run_iri(framework, year)
    table, directions, graphs = read_inputs(store, framework)
    assessment = assess_table(framework, table, directions)
    parts = run_ntriples_parts(assessment, framework, run=run, used=graphs, year=year,
                               started=started, ended=datetime.now(UTC))
    store.replace_graph(run, parts)
    return AssessmentRun(iri=run, framework=framework, year=year)


run_assessment = assess
"""The former name of :func:`assess`."""

__all__ = ["RUN_BASE", "AssessmentRun", "assess",
           "new_run_iri", "read_inputs", "run_assessment"]
