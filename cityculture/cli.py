"""The ``cityculture`` command: a thin layer over the library.

Each subcommand maps to one stage of the data flow (ingest -> validate -> store -> assess ->
publish) or to the model itself (``ontology``). Every listing command has ``--format json``.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import click

from cityculture import __version__
from cityculture.assess.frameworks import resolve_framework
from cityculture.assess.report import result_columns, write_report
from cityculture.assess.results import CityResult, city_results
from cityculture.assess.run import run_assessment
from cityculture.assess.sensitivity import rank_intervals
from cityculture.ingest.gpci import read_gpci
from cityculture.ingest.reader import INPUT_ERRORS, read_submission
from cityculture.ingest.submission import Submission
from cityculture.ingest.template import write_templates
from cityculture.model import elements, load_indicators, load_model, load_ontology
from cityculture.queries import load_query, query_names
from cityculture.rdf_formats import FORMATS, serialize
from cityculture.reasoning import ReasonerUnavailable, check_consistency
from cityculture.resources import resource_path
from cityculture.store.embedded import EmbeddedStore
from cityculture.tables import render_table
from cityculture.validate.engine import validate_submissions
from cityculture.validate.findings import ValidationReport


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cityculture")
def main() -> None:
    r"""Knowledge graph and ontology toolkit for the soft power of city culture.

    \b
    The model:      cityculture ontology elements | check | export
    Ingest:         cityculture template OUTDIR
    Validate:       cityculture validate FILE... [--format table|json|turtle]
    Store:          cityculture load FILE... --store PATH
    Queries:        cityculture queries
    Example run:    cityculture example
    """


@main.group()
def ontology() -> None:
    """Inspect, check and export the ontology and the indicator scheme."""


@ontology.command("elements")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def ontology_elements(fmt: str) -> None:
    """List the five elements of the soft power of city culture with their roles (CQ1)."""
    items = elements()
    if fmt == "json":
        click.echo(json.dumps([e.__dict__ for e in items], ensure_ascii=False, indent=2))
        return
    rows = [
        [e.notation, e.label, e.label_zh, e.role or "(none named in the paper)", e.section,
         e.indicator_count]
        for e in items
    ]
    click.echo(render_table(["code", "element", "中文", "role", "section", "indicators"], rows))


@ontology.command("check")
@click.argument("extra", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def ontology_check(extra: tuple[Path, ...], fmt: str) -> None:
    """Check consistency with HermiT (exit 0 consistent, 1 inconsistent).

    EXTRA Turtle files (individuals, data) are checked together with the ontology and the
    indicator scheme; when they make it inconsistent, the offending individuals and their
    assertions are named.
    """
    from rdflib import Graph

    graphs = []
    for path in extra:
        graph = Graph()
        try:
            graph.parse(path, format="turtle")
        except Exception as exc:  # any parser error: report it in one line
            raise click.ClickException(f"{path}: not readable as Turtle: {exc}") from exc
        graphs.append(graph)
    try:
        report = check_consistency(graphs)
    except ReasonerUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    if fmt == "json":
        click.echo(json.dumps(report.__dict__ | {"ok": report.ok}, indent=2))
    else:
        status = "consistent" if report.consistent else "INCONSISTENT"
        click.echo(f"HermiT: {status}")
        for iri in report.unsatisfiable_classes:
            click.echo(f"  unsatisfiable class: {iri}")
        if report.offending:
            click.echo("  offending axioms:")
            for axiom in report.offending:
                click.echo(f"    {axiom}")
        elif not report.consistent:
            click.echo("  (no single individual explains it: the inconsistency needs several)")
    sys.exit(0 if report.ok else 1)


@ontology.command("export")
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="turtle")
@click.option(
    "--what", type=click.Choice(["ontology", "indicators", "all"]), default="ontology",
    help="The ontology, the indicator scheme, or both in one graph.",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of standard output.")
def ontology_export(fmt: str, what: str, output: Path | None) -> None:
    """Export the ontology and/or the indicator scheme as Turtle, N-Triples, RDF/XML or JSON-LD."""
    loaders = {"ontology": load_ontology, "indicators": load_indicators, "all": load_model}
    text = serialize(loaders[what](), fmt)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output} ({fmt})", err=True)


@main.command("queries")
def list_queries() -> None:
    """List the bundled SPARQL queries with the question each answers."""
    rows = [[name, load_query(name).title] for name in query_names()]
    click.echo(render_table(["name", "question"], rows))


@main.command("example")
def example() -> None:
    """Run the main job on the bundled example: model check, then ingest and validate GPCI 2023.

    The example submission holds the Global Power City Index 2023 indicator scores (Mori
    Memorial Foundation) of 48 cities for the scheme's GPCI-based indicators.
    """
    click.echo("Elements of the soft power of city culture (CQ1):")
    ontology_elements.callback(fmt="table")  # type: ignore[misc]
    click.echo("")
    try:
        report = check_consistency(explain=False)
    except ReasonerUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    verdict = "consistent" if report.ok else "INCONSISTENT"
    click.echo(f"HermiT: ontology and indicator scheme {verdict}")
    if not report.ok:
        sys.exit(1)
    path = resource_path("examples", "gpci-2023-submission.csv")
    submission = read_submission(path, body="Mori Memorial Foundation")
    cities = len({t.object.value for t in submission.triples
                  if t.predicate.value.endswith("ontology/city")})
    click.echo(f"Ingested {path.name}: {cities} cities, {len(submission.triples)} triples")
    validation = validate_submissions([submission])
    click.echo(f"Validated: {validation.to_table().splitlines()[-1]}")
    if not validation.conforms:
        sys.exit(1)
    with EmbeddedStore() as store:
        store.replace_graph(submission.graph_name, submission.ntriples())
        run = run_assessment(store, resolve_framework("paper"))
        results = city_results(store, run.iri)
        click.echo(f"Assessed with the paper's framework (run <{run.iri}>):\n")
        _print_results(results, "table", store, run.iri)

def _read_all(files: tuple[Path, ...], body: str) -> list[Submission]:
    """Read every file; an unusable one ends the command with exit code 2 and one line."""
    submissions = []
    for path in files:
        try:
            submissions.append(read_submission(path, body=body))
        except INPUT_ERRORS as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
    return submissions


def _emit(report: ValidationReport, fmt: str) -> None:
    if fmt == "json":
        click.echo(report.to_json())
    elif fmt == "turtle":
        click.echo(report.to_graph().serialize(format="turtle"))
    else:
        click.echo(report.to_table())


_FILES = click.argument("files", nargs=-1, required=True,
                        type=click.Path(dir_okay=False, path_type=Path))
_BODY = click.option("--body", default="unspecified submitting body", show_default=True,
                     help="The submitting body (recorded as prov:wasAttributedTo).")
_STORE = click.option("--store", "store_path", type=click.Path(file_okay=False, path_type=Path),
                      default=None, help="Embedded store directory holding accepted data.")


@main.command("validate")
@_FILES
@click.option("--format", "fmt", type=click.Choice(["table", "json", "turtle"]), default="table")
@click.option("--shapes", "extra_shapes", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Extra SHACL shapes (Turtle), added to the bundled ones.")
@click.option("--engine", type=click.Choice(["fast", "pyshacl"]), default="fast",
              help="fast: shapes compiled to whole-graph SPARQL on Oxigraph; "
                   "pyshacl: the reference engine (slow on large files).")
@_BODY
@_STORE
def validate(files: tuple[Path, ...], fmt: str, extra_shapes: tuple[Path, ...], engine: str,
             body: str, store_path: Path | None) -> None:
    """Validate submitted files (CSV, XLSX, Turtle, N-Triples, JSON-LD).

    Exit codes: 0 conforms (warnings allowed), 1 violations found, 2 input unusable.
    """
    submissions = _read_all(files, body)
    accepted = []
    if store_path is not None:
        with EmbeddedStore(store_path) as store:
            accepted = list(store.accepted_triples())
    report = validate_submissions(submissions, accepted=accepted, extra_shapes=extra_shapes,
                                  engine=engine)
    _emit(report, fmt)
    sys.exit(0 if report.conforms else 1)


@main.command("load")
@_FILES
@_STORE
@click.option("--format", "fmt", type=click.Choice(["table", "json", "turtle"]), default="table")
@_BODY
def load(files: tuple[Path, ...], store_path: Path | None, fmt: str, body: str) -> None:
    """Validate files and add them to the store, each as one named graph; refuse what fails.

    Nothing is stored unless every file conforms: the store stays exactly as it was.
    """
    if store_path is None:
        raise click.UsageError("--store PATH is required")
    submissions = _read_all(files, body)
    with EmbeddedStore(store_path) as store:
        accepted = [t for t in store.accepted_triples()
                    if not any(t.subject.value.startswith(s.iri) for s in submissions)]
        report = validate_submissions(submissions, accepted=accepted)
        if not report.conforms:
            _emit(report, fmt)
            click.echo("refused: nothing was stored", err=True)
            sys.exit(1)
        for submission in submissions:
            store.replace_graph(submission.graph_name, submission.ntriples())
            click.echo(f"stored {submission.path.name} as <{submission.iri}> "
                       f"({len(submission.triples)} triples)")
    if report.findings:
        _emit(report, fmt)


@main.command("template")
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
def template(outdir: Path) -> None:
    """Write empty submission templates (CSV, XLSX) and the indicator list to OUTDIR."""
    for path in write_templates(outdir):
        click.echo(f"wrote {path}")


def _load_inputs(store: EmbeddedStore, files: tuple[Path, ...], body: str,
                 input_format: str) -> None:
    """Read, validate and store input files; exit 1 on violations, 2 on unusable input."""
    if input_format == "gpci-json":
        try:
            submissions = [read_gpci(path) for path in files]
        except INPUT_ERRORS as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
    else:
        submissions = _read_all(files, body)
    report = validate_submissions(submissions, accepted=list(store.accepted_triples()))
    if not report.conforms:
        click.echo(report.to_table(), err=True)
        click.echo("refused: the input does not conform; nothing was assessed", err=True)
        sys.exit(1)
    for submission in submissions:
        store.replace_graph(submission.graph_name, submission.ntriples())


def _print_results(results: list[CityResult], fmt: str, store: EmbeddedStore, run: str) -> None:
    if fmt == "json":
        click.echo(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=2))
    elif fmt == "csv":
        from cityculture.assess.report import write_csv

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "results.csv"
            write_csv(results, path)
            click.echo(path.read_text(encoding="utf-8"), nl=False)
    elif fmt == "turtle":
        click.echo(store.graph_turtle(run))
    else:
        codes = result_columns(results)
        top = results[0].top_code() if results else ""
        rows = [[r.ranks.get(top), r.name, r.year, *(
            f"{r.scores[c]:.1f}" if r.scores.get(c) is not None else "-" for c in codes)]
            for r in results]
        click.echo(render_table(["rank", "city", "year", *codes], rows))


@main.command("assess")
@click.argument("inputs", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--framework", "framework_name", default="paper", show_default=True,
              help="paper, gpci-2023, or a Turtle file defining a csp:AssessmentFramework.")
@click.option("--year", type=int, default=None, help="Only this year (default: all years).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "turtle"]),
              default="table")
@click.option("--out", "outdir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write CSV, JSON, Turtle, radar and ranking charts and report.html here.")
@click.option("--input-format", type=click.Choice(["submission", "gpci-json"]),
              default="submission", help="gpci-json: published GPCI scores (JSON).")
@click.option("--sensitivity", type=int, default=0, metavar="N",
              help="Also run N Monte Carlo samples (weights +-25 %, normalisation) and report "
                   "rank intervals.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--classify", is_flag=True,
              help="Classify the cities with HermiT (soft-power-led, hard-power-led, in "
                   "dislocation, in harmony) and write the inferred types into the run.")
@_BODY
@_STORE
def assess(inputs: tuple[Path, ...], framework_name: str, year: int | None, fmt: str,
           outdir: Path | None, input_format: str, sensitivity: int, seed: int,
           classify: bool, body: str, store_path: Path | None) -> None:
    """Assess cities: ingest and validate INPUTS, then score them with a framework.

    With no INPUTS, assesses what the store (--store) already holds.
    """
    try:
        framework = resolve_framework(framework_name)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    with EmbeddedStore(store_path) as store:
        steps = ["ingest and validate", "assess", "report"]
        with click.progressbar(steps, label="assessing", file=sys.stderr,
                               item_show_func=lambda s: s) as bar:
            for step in bar:
                if step == "ingest and validate" and inputs:
                    _load_inputs(store, inputs, body, input_format)
                elif step == "assess":
                    run = run_assessment(store, framework, year=year)
                    results = city_results(store, run.iri, year)
                elif step == "report" and outdir is not None:
                    written = write_report(results, outdir, run=run.iri,
                                           framework=framework.iri,
                                           run_turtle=store.graph_turtle(run.iri))
        if not results:
            raise click.ClickException("no city could be assessed: no observations of the "
                                       "framework's indicators")
        _print_results(results, fmt, store, run.iri)
        if outdir is not None:
            click.echo(f"wrote {len(written)} files to {outdir} (open report.html)", err=True)
        if classify:
            from cityculture.assess.classify import classify_cities

            latest = year if year is not None else max(r.year for r in results)
            classes = classify_cities(store, run.iri, latest)
            names = {r.city: r.name for r in results}
            click.echo(render_table(
                ["city", f"classes ({latest}, inferred by HermiT)"],
                [[names.get(c, c), ", ".join(sorted(x.rsplit("/", 1)[-1] for x in found))]
                 for c, found in sorted(classes.items(), key=lambda i: names.get(i[0], ""))]))
        if sensitivity:
            intervals = rank_intervals(store, framework, samples=sensitivity, seed=seed,
                                       year=year)
            click.echo(render_table(
                ["city", "rank", "median rank", "5 %", "95 %"],
                [[i.name, i.nominal, i.median, i.low, i.high] for i in intervals]))
