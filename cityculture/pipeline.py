"""The toolkit's stages in their order, over one store: accept, assess, publish.

This module is the only one that knows the order ingest -> validate -> store -> assess ->
publish and the policy between the stages. :func:`accept` (and :func:`load_files`, the
``load`` command's form of it) reads files, validates them against what the store accepted
already, and stores them: each stage reports its progress (:mod:`cityculture.progress`);
nothing is stored unless every file is accepted; and the write of the submissions and the
model graphs is all-or-nothing, for an on-disk store through a checkpoint that is put back on
failure or interruption (:mod:`cityculture.store.checkpoint`), elsewhere by removing the
graphs the write added. :func:`assess` scores what a store holds; :func:`publish` reads a
store through the store interface only. The stages themselves live in their packages; the
command line parses options, calls these functions and prints.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from cityculture.assess.frameworks import Framework, resolve_framework
from cityculture.assess.run import AssessmentRun
from cityculture.assess.run import assess as assess_store
from cityculture.ingest.gpci import read_gpci
from cityculture.ingest.reader import read_submission
from cityculture.ingest.scheme import Scheme
from cityculture.ingest.serialised import SerialisedTriples
from cityculture.ingest.submission import Submission, file_digest
from cityculture.ingest.vocabulary import vocabulary
from cityculture.namespaces import CSP, RUN_BASE, SCHEME_GRAPH
from cityculture.offline import run_without_network
from cityculture.progress import Stage, stage
from cityculture.publish.describe import Publisher
from cityculture.publish.iris import DEFAULT_BASE
from cityculture.publish.site import PublishedSite, publish_site
from cityculture.publish.source import backend_source
from cityculture.resources import resource_path
from cityculture.store.backends import Backend, OxigraphBackend, accepted_triples
from cityculture.store.checkpoint import all_or_nothing
from cityculture.store.model_graphs import store_model_graphs
from cityculture.validate.engine import validate_submissions
from cityculture.validate.findings import ValidationReport

_SOURCE_ROW = str(CSP.sourceRow)


DEFAULT_BODY = "unspecified submitting body"
"""Who submitted files when the caller does not say."""
EXAMPLE_BODY = "Mori Memorial Foundation"
"""Who submitted the bundled example (the publisher of the GPCI 2023 scores)."""
EXAMPLE_RUN = RUN_BASE + "example-paper"
"""The run IRI of the example (fixed, so that republishing it gives the same IRIs)."""


@dataclass
class LoadOutcome:
    """What a load did: the submissions read, their validation, and whether they were stored."""

    submissions: list[Submission]
    report: ValidationReport
    stored: bool


def read_files(files: Sequence[Path], *, body: str, input_format: str = "submission",
               scheme: Scheme | None = None) -> list[Submission]:
    """Read every file (stage ``reading``); an unusable one raises ``UnusableInput``.

    The first file's triples fill the validation store while it is read (``preload``).

    ``scheme``: the researchers' own indicators and units, known besides the bundled ones.
    """
    submissions = []
    vocab = vocabulary().with_scheme(scheme) if scheme is not None else None
    with stage("reading", total=len(files), unit="files") as current:
        for path in files:
            current.name = f"reading {path.name}"
            submissions.append(read_gpci(path) if input_format == "gpci-json"
                               else read_submission(path, body=body, vocab=vocab,
                                                    preload=not submissions))
            current.advance()
    return submissions


def row_count(submissions: Sequence[Submission]) -> int:
    """Count the rows read (observations with a source row; RDF files count their triples)."""
    rows = 0
    for submission in submissions:
        if isinstance(submission.triples, SerialisedTriples):
            rows += submission.triples.count_predicate(_SOURCE_ROW)
        elif submission.kind == "tabular":
            rows += sum(1 for t in submission.triples if t.predicate.value == _SOURCE_ROW)
        else:
            rows += len(submission.triples)
    return rows


def validate_against(submissions: Sequence[Submission], backend: Backend | None = None,
             **options: object) -> ValidationReport:
    """Validate the submissions, against what ``backend`` accepted already (stage ``validating``).

    The submissions' own graphs are left out of the accepted data (they are being replaced).
    With a user's own shapes (``extra_shapes``), whose SPARQL is untrusted, the validation runs
    in a child process that cannot open network connections (:mod:`cityculture.offline`),
    after the accepted data have been read.

    :raises NetworkNotRemovable: user shapes on a platform that cannot take network access away.
    """
    accepted: list[ox.Triple] = []
    if backend is not None:
        with stage("reading the accepted data", unit="triples") as current:
            accepted = accepted_triples(backend, exclude=tuple(s.iri for s in submissions))
            current.update(len(accepted))
    rows = row_count(submissions)
    with stage(f"validating {rows:,} rows"):
        if options.get("extra_shapes"):
            for submission in submissions:  # the child process builds its own store
                if isinstance(submission.triples, SerialisedTriples):
                    submission.triples.take_preloaded()
            return run_without_network(_validate, list(submissions), accepted, options)
        return validate_submissions(submissions, accepted=accepted, **options)  # type: ignore[arg-type]


def _validate(submissions: list[Submission], accepted: list[ox.Triple],
              options: dict[str, object]) -> ValidationReport:
    """Run the validation (in the child process of :func:`run_without_network`)."""
    return validate_submissions(submissions, accepted=accepted, **options)  # type: ignore[arg-type]


PART = 200_000
"""Triples per bulk-load part: Oxigraph's bulk loader holds a part in memory to sort it."""


def submission_parts(triples: Sequence[ox.Triple] | SerialisedTriples,
                   current: Stage) -> Iterator[bytes]:
    """Yield the triples as N-Triples, a part at a time, advancing ``current`` as they go.

    Serialising on demand keeps one part of N-Triples in memory instead of the whole file's.
    """
    if isinstance(triples, SerialisedTriples):
        batch: list[bytes] = []
        size = 0
        for block, count in triples.parts():
            batch.append(block)
            size += count
            if size >= PART:
                yield b"".join(batch)
                current.advance(size)
                batch, size = [], 0
        if batch:
            yield b"".join(batch)
            current.advance(size)
        return
    for start in range(0, len(triples), PART):
        part = triples[start:start + PART]
        yield ox.serialize(part, format=ox.RdfFormat.N_TRIPLES) or b""
        current.advance(len(part))


def store_scheme(backend: Backend, scheme: Scheme | None) -> None:
    """Store the scheme files' triples as one named graph keyed by their checksums."""
    if scheme is None or not scheme.paths:
        return
    key = hashlib.sha256("".join(sorted(file_digest(p) for p in scheme.paths)).encode())
    backend.replace_graph(SCHEME_GRAPH + key.hexdigest()[:20],
                          ox.serialize(scheme.triples, format=ox.RdfFormat.N_TRIPLES) or b"")


def store_submissions(backend: Backend, submissions: Sequence[Submission], *,
                      created: bool = False, scheme: Scheme | None = None) -> None:
    """Store each submission as one named graph, with the model and scheme graphs, all at once.

    ``created``: the on-disk store was created by this command (removed again on failure).
    """
    total = sum(len(s.triples) for s in submissions)
    with stage("storing", total=total, unit="triples") as current:
        if isinstance(backend, OxigraphBackend):
            with writing(backend, created=created):
                for submission in submissions:
                    backend.replace_graph(submission.iri,
                                          submission_parts(submission.triples, current))
                store_model_graphs(backend)
                store_scheme(backend, scheme)
            return
        _store_with_removal(backend, submissions, current)
        store_scheme(backend, scheme)


def _store_with_removal(backend: Backend, submissions: Sequence[Submission],
                        current: Stage) -> None:
    """Store graph by graph; on a failure, remove the graphs this call added."""
    existing = set(backend.graph_names())
    added: list[str] = []
    try:
        for submission in submissions:
            backend.replace_graph(submission.iri, submission.ntriples())
            current.advance(len(submission.triples))
            if submission.iri not in existing:
                added.append(submission.iri)
        store_model_graphs(backend)
    except BaseException:
        for graph in added:
            with suppress(Exception):
                backend.drop_graph(graph)
        raise


def load_files(opened: Callable[[], AbstractContextManager[Backend]], files: Sequence[Path], *,
               body: str, new_store: bool = False, scheme: Scheme | None = None) -> LoadOutcome:
    """Read, validate and (if every file is accepted) store files: the ``load`` command's work.

    ``opened`` opens the store. ``new_store``: the store does not exist yet; the files are
    validated before it is created (there is nothing accepted to check them against), so a
    refused load creates nothing.
    """
    submissions = read_files(files, body=body, scheme=scheme)
    declared = scheme.triples if scheme is not None else []
    if new_store:
        report = validate_against(submissions, scheme=declared)
        if report.accepted:
            with opened() as backend:
                store_submissions(backend, submissions, created=True, scheme=scheme)
        return LoadOutcome(submissions, report, stored=report.accepted)
    with opened() as backend:
        report = validate_against(submissions, backend, scheme=declared)
        if report.accepted:
            store_submissions(backend, submissions, scheme=scheme)
    return LoadOutcome(submissions, report, stored=report.accepted)


@contextmanager
def writing(backend: Backend, *, created: bool = False) -> Iterator[None]:
    """Make what the block writes to an on-disk embedded store all-or-nothing.

    Other stores need nothing here: the in-memory one ends with the process, and endpoint
    writes are each one request (a graph replaced whole, a run written by updates).
    """
    if isinstance(backend, OxigraphBackend):
        with all_or_nothing(backend, created=created):
            yield
    else:
        yield


def accept(files: Sequence[Path], store: Backend, *, body: str = DEFAULT_BODY,
           input_format: str = "submission", scheme: Scheme | None = None) -> LoadOutcome:
    """Ingest, validate and store files in an open store: stored only if all are accepted.

    Each file is validated against what the store accepted already; an unusable file raises
    :class:`~cityculture.ingest.errors.UnusableInput` before anything is validated.

    >>> from cityculture.resources import resource_path
    >>> store = OxigraphBackend()
    >>> outcome = accept([resource_path("examples", "gpci-2023-submission.csv")], store)
    >>> outcome.stored, outcome.submissions[0].iri in store.graph_names()
    (True, True)
    """
    submissions = read_files(files, body=body, input_format=input_format, scheme=scheme)
    report = validate_against(submissions, store,
                              scheme=scheme.triples if scheme is not None else [])
    if report.accepted:
        store_submissions(store, submissions, scheme=scheme)
    return LoadOutcome(submissions, report, stored=report.accepted)


class InvalidExample(RuntimeError):
    """The bundled example did not validate (it always should)."""


def assess(store: Backend, framework: str | Path | Framework = "paper", *,
           year: int | None = None, run_iri: str | None = None) -> AssessmentRun:
    """Score every city the store holds with a framework; the run is a new named graph.

    ``framework``: ``"paper"``, ``"gpci-2023"``, a Turtle file, or a framework already read.
    """
    if not isinstance(framework, Framework):
        framework = resolve_framework(framework)
    return assess_store(store, framework, year=year, run_iri=run_iri)


def publish(store: Backend, outdir: Path, *, base: str = DEFAULT_BASE,
            publisher: Publisher | None = None,
            progress: Callable[[int, int], None] | None = None,
            workers: int = 1) -> PublishedSite:
    """Publish what a store holds as a static linked-data site in ``outdir``.

    ``workers``: processes writing the pages (see :func:`publish_site`).

    The store is read through its interface (graph names, each graph as N-Triples), so an
    embedded store, rdflib and a SPARQL endpoint publish the same site from the same graphs.
    """
    # more than one worker: forked, so this process runs no other thread (serve publishes
    # with one, in a thread beside the server's)
    return publish_site(backend_source(store, alone=workers > 1), outdir, base=base,
                        publisher=publisher, progress=progress, workers=workers)


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
    Foundation) of 48 cities; it is assessed with equal weights over the paper's elements.

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


def assess_files(files: Sequence[Path], store: Backend, framework: str | Path | Framework, *,
                 body: str = DEFAULT_BODY, input_format: str = "submission",
                 scheme: Scheme | None = None, year: int | None = None
                 ) -> tuple[LoadOutcome | None, AssessmentRun | None]:
    """Accept files (if any), then assess the store: the ``assess`` command's work.

    On an embedded store on disk both are one all-or-nothing write. When a file is refused,
    nothing is stored or assessed: the run is None and the outcome holds the findings.
    """
    outcome = None
    with writing(store):
        if files:
            outcome = accept(files, store, body=body, input_format=input_format, scheme=scheme)
            if not outcome.stored:
                return outcome, None
        with stage("assessing", unit="steps"):
            run = assess(store, framework, year=year)
    return outcome, run
