"""The toolkit's stages in their order, over one store: accept, assess, publish.

This module is the only one that knows the order ingest -> validate -> store -> assess ->
publish and the policy between the stages (nothing is stored unless every file is accepted;
publishing reads a store through the store interface). The stages themselves live in their
packages; the command line parses options, calls these functions and prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cityculture.assess.frameworks import Framework, resolve_framework
from cityculture.assess.run import RUN_BASE, AssessmentRun, run_assessment
from cityculture.ingest.reader import read_submission
from cityculture.ingest.submission import Submission
from cityculture.publish.describe import Publisher
from cityculture.publish.iris import DEFAULT_BASE
from cityculture.publish.site import PublishedSite, publish_site
from cityculture.publish.source import backend_source
from cityculture.resources import resource_path
from cityculture.store.backends import Backend, OxigraphBackend
from cityculture.validate.engine import validate_submissions
from cityculture.validate.findings import ValidationReport

EXAMPLE_BODY = "Mori Memorial Foundation"
"""Who submitted the bundled example (the publisher of the GPCI 2023 scores)."""
EXAMPLE_RUN = RUN_BASE + "example-paper"
"""The run IRI of the example (fixed, so that republishing it gives the same IRIs)."""


class InvalidExample(RuntimeError):
    """The bundled example did not validate (it always should)."""


def assess(store: Backend, framework: str | Path | Framework = "paper", *,
           year: int | None = None, run_iri: str | None = None) -> AssessmentRun:
    """Score every city the store holds with a framework; the run is a new named graph.

    ``framework``: ``"paper"``, ``"gpci-2023"``, a Turtle file, or a framework already read.
    """
    if not isinstance(framework, Framework):
        framework = resolve_framework(framework)
    return run_assessment(store, framework, year=year, run_iri=run_iri)


def publish(store: Backend, outdir: Path, *, base: str = DEFAULT_BASE,
            publisher: Publisher | None = None) -> PublishedSite:
    """Publish what a store holds as a static linked-data site in ``outdir``.

    The store is read through its interface (graph names, each graph as N-Triples), so an
    embedded store, rdflib and a SPARQL endpoint publish the same site from the same graphs.
    """
    return publish_site(backend_source(store), outdir, base=base, publisher=publisher)


@dataclass
class Example:
    """The bundled example accepted and assessed: the store, and what each stage gave."""

    store: Backend
    submission: Submission
    report: ValidationReport
    run: AssessmentRun


def example() -> Example:
    """Accept the bundled GPCI 2023 example into an in-memory store and assess it.

    The example holds the Global Power City Index 2023 indicator scores (Mori Memorial
    Foundation) of 48 cities; it is assessed with the paper's framework.

    >>> done = example()
    >>> done.report.accepted, done.run.iri == EXAMPLE_RUN
    (True, True)
    >>> from cityculture.assess.results import city_results
    >>> len(city_results(done.store, done.run.iri))
    48

    :raises InvalidExample: the bundled example does not validate.
    """
    path = resource_path("examples", "gpci-2023-submission.csv")
    submission = read_submission(path, body=EXAMPLE_BODY)
    report = validate_submissions([submission])
    if not report.accepted:
        raise InvalidExample(report.to_table())
    store = OxigraphBackend()
    store.replace_graph(submission.iri, submission.ntriples())
    run = assess(store, "paper", run_iri=EXAMPLE_RUN)
    return Example(store, submission, report, run)
