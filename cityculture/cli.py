"""The ``cityculture`` command: a thin layer over the library.

Each subcommand maps to one stage of the data flow (ingest -> validate -> store -> assess ->
publish) or to the model itself (``ontology``). Every listing command has ``--format json``.
"""

from __future__ import annotations

import json
import math
import re
import sys
import tempfile
import textwrap
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rdflib import Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Identifier

from cityculture import __version__, interruption, pipeline
from cityculture.assess.frameworks import BUILTIN, resolve_framework
from cityculture.assess.numerics import AssessmentError
from cityculture.assess.report import result_columns, write_report
from cityculture.assess.results import CityResult, city_results
from cityculture.assess.sensitivity import rank_intervals
from cityculture.cli_backend import (
    EndpointOptions,
    check_store_path,
    endpoint_options,
    open_store,
    store_failure,
)
from cityculture.ingest.errors import UnusableInput
from cityculture.ingest.scheme import Scheme, load_scheme
from cityculture.ingest.submission import Submission
from cityculture.ingest.template import write_templates
from cityculture.ingest.vocabulary import vocabulary
from cityculture.model import elements, load_indicators, load_model, load_ontology
from cityculture.namespaces import PREFIXES
from cityculture.offline import NetworkNotRemovable
from cityculture.pipeline import (
    load_files,
    read_files,
    validate_against,
    writing,
)
from cityculture.progress import configure as configure_progress
from cityculture.progress import stage
from cityculture.queries import (
    Parameter,
    QueryFile,
    declared_parameters,
    expand_iri,
    load_query,
    parameter_term,
    query_names,
)
from cityculture.query_text import UnsafeQueryError, check_read_only, masked, projected_variables
from cityculture.rdf_formats import FORMATS, ntriples_as_turtle, serialize
from cityculture.reasoning import ReasonerUnavailable, check_consistency
from cityculture.store.backends import (
    Backend,
    InvalidRDFError,
    check_graph_name,
)
from cityculture.store.model_graphs import store_model_graphs
from cityculture.store.offline_query import run_user_query
from cityculture.store.remote import EndpointError
from cityculture.store.results import sparql_csv, sparql_json
from cityculture.tables import render_table
from cityculture.validate.findings import ValidationReport

# "\b" (a backspace) before a paragraph keeps click from rewrapping its lines.
_MAIN_HELP = """Knowledge graph and ontology toolkit for the soft power of city culture.

\b
The model:      cityculture ontology elements | check | export
Ingest:         cityculture template OUTDIR
Validate:       cityculture validate FILE... [--format table|json|turtle]
Store:          cityculture load FILE... --store PATH | --endpoint URL
                cityculture push | pull [GRAPH]... --store PATH --endpoint URL
Queries:        cityculture queries
                cityculture query NAME|FILE.rq [--param NAME=VALUE]...
Assess:         cityculture assess INPUT... [--framework paper|gpci-2023|FILE.ttl]
                cityculture compare RUN_A RUN_B
Publish:        cityculture publish OUTDIR --store PATH
                cityculture serve SITE | --store PATH
Example run:    cityculture example

\b
Exit codes:     0 done; 1 refused (violations, inconsistent ontology);
                2 unusable input, option or store path; 3 store or endpoint failure;
                4 Java missing (HermiT); 130 interrupted (Ctrl-C); 143 terminated.
"""


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, help=_MAIN_HELP)
@click.version_option(__version__, prog_name="cityculture")
@click.option("--quiet", "-q", is_flag=True,
              help="No progress on standard error (it is shown only on a terminal anyway).")
def main(quiet: bool) -> None:
    """Knowledge graph and ontology toolkit for the soft power of city culture."""
    configure_progress(quiet=quiet)
    interruption.install()


class JavaMissing(click.ClickException):
    """HermiT needs Java and none was found (exit code 4, apart from "inconsistent")."""

    exit_code = 4


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
    """Check consistency with HermiT (exit 0 consistent, 1 inconsistent, 4 no Java).

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
        raise JavaMissing(str(exc)) from exc
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
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def list_queries(fmt: str) -> None:
    """List the bundled SPARQL queries: the question each answers and its parameters.

    The update files (steps of ``cityculture assess``, not run by ``cityculture query``) are
    listed apart.
    """
    files = [load_query(name) for name in query_names()]
    if fmt == "json":
        click.echo(json.dumps([
            {"name": q.name, "kind": "update" if q.is_update else "query",
             "question": q.question,
             "parameters": [{"name": p.name, "type": p.kind, "required": p.required}
                            for p in declared_parameters(q)]}
            for q in files], ensure_ascii=False, indent=2))
        return
    for heading, group in (("Queries (cityculture query NAME [--param NAME=VALUE]...):",
                            [q for q in files if not q.is_update]),
                           ("Updates (steps of cityculture assess; not run by query):",
                            [q for q in files if q.is_update])):
        if not group:  # the assessment writes its run graph from Python: no update files ship
            continue
        click.echo(heading)
        for query_file in group:
            click.echo(f"  {query_file.name}")
            for line in textwrap.wrap(query_file.question, 88):
                click.echo(f"      {line}")
            parameters = declared_parameters(query_file)
            if parameters and not query_file.is_update:
                click.echo("      parameters: " + ", ".join(
                    f"{p.name} ({p.kind}{', required' if p.required else ''})"
                    for p in parameters))
        click.echo("")


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
        raise JavaMissing(str(exc)) from exc
    verdict = "consistent" if report.ok else "INCONSISTENT"
    click.echo(f"HermiT: ontology and indicator scheme {verdict}")
    if not report.ok:
        sys.exit(1)
    try:
        done = pipeline.example()
    except pipeline.InvalidExample as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    submission = done.submission
    cities = len({t.object.value for t in submission.triples
                  if t.predicate.value.endswith("ontology/city")})
    click.echo(f"Ingested {submission.path.name}: {cities} cities, "
               f"{len(submission.triples)} triples")
    click.echo(f"Validated: {done.report.to_table().splitlines()[-1]}")
    results = city_results(done.store, done.run.iri)
    click.echo("Assessed with equal weights over the paper's elements "
               f"(run <{done.run.iri}>):\n")
    _print_results(results, "table", done.store, done.run.iri)
    done.store.close()

def _scheme(files: tuple[Path, ...] | list[Path]) -> Scheme:
    """Read the researcher's scheme files; an unusable one ends with exit code 2 and one line."""
    try:
        return load_scheme(list(files), bundled=vocabulary().indicators)
    except UnusableInput as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


@contextmanager
def _unusable_input_exits() -> Iterator[None]:
    """End the command with exit code 2 and one line when a file cannot be read at all."""
    try:
        yield
    except UnusableInput as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


def _read_all(files: tuple[Path, ...], body: str, scheme: Scheme | None = None,
              input_format: str = "submission") -> list[Submission]:
    """Read every file; an unusable one ends the command with exit code 2 and one line."""
    with _unusable_input_exits():
        return read_files(files, body=body, input_format=input_format, scheme=scheme)


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
_SCHEME = click.option("--scheme", "scheme_files", multiple=True,
                       type=click.Path(exists=True, dir_okay=False, path_type=Path),
                       help="A Turtle file declaring your own indicators (SKOS concepts with "
                            "notation, label, unit, value kind, direction), units and city "
                            "code lists (repeatable).")


@main.command("validate")
@_FILES
@click.option("--format", "fmt", type=click.Choice(["table", "json", "turtle"]), default="table")
@click.option("--shapes", "extra_shapes", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Extra SHACL shapes (Turtle), added to the bundled ones.")
@click.option("--engine", type=click.Choice(["fast", "pyshacl"]), default="fast",
              help="fast: shapes compiled to whole-graph SPARQL on Oxigraph; "
                   "pyshacl: the reference engine (slow on large files).")
@_SCHEME
@_BODY
@_STORE
@endpoint_options
def validate(files: tuple[Path, ...], fmt: str, extra_shapes: tuple[Path, ...], engine: str,
             scheme_files: tuple[Path, ...], body: str, store_path: Path | None,
             endpoint: EndpointOptions | None) -> None:
    """Validate submitted files (CSV, XLSX, Turtle, N-Triples, JSON-LD).

    With --store or --endpoint, the files are also checked against the accepted data there
    (duplicates, conflicts, year-on-year changes).

    The report's "conforms" is SHACL's (false on any result, warnings too); "accepted" is
    true when every result is a warning or an info, and the exit code follows it.

    Exit codes: 0 accepted (no result, or warnings/infos only), 1 refused (a violation or a
    severity of the shapes' own), 2 input or shapes file unusable, 3 store or endpoint failure.
    """
    if endpoint is not None:
        endpoint.check_whole_graphs()
    scheme = _scheme(scheme_files)
    submissions = _read_all(files, body, scheme)
    options = {"extra_shapes": extra_shapes, "engine": engine, "scheme": scheme.triples}
    try:
        if store_path is not None or endpoint is not None:
            with _opened(store_path, endpoint) as backend:
                report = validate_against(submissions, backend, **options)
        else:
            report = validate_against(submissions, None, **options)
    except UnusableInput as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except NetworkNotRemovable as exc:
        click.echo(f"error: --shapes runs only where network access can be taken away: {exc}",
                   err=True)
        sys.exit(2)
    _emit(report, fmt)
    sys.exit(0 if report.accepted else 1)


@contextmanager
def _opened(store_path: Path | None, endpoint: EndpointOptions | None, *,
            union_default_graph: bool = False, create: bool = False) -> Iterator[Backend]:
    """Open the store or endpoint; turn its failures into exit code 3; always close it.

    A ``--store`` folder that holds no store is refused (exit code 2) unless ``create``.
    """
    backend = open_store(store_path, endpoint, union_default_graph=union_default_graph,
                         create=create)
    try:
        yield backend
    except (EndpointError, InvalidRDFError, OSError) as exc:
        raise store_failure(exc) from exc
    finally:
        backend.close()


@main.command("load")
@_FILES
@_STORE
@endpoint_options
@click.option("--format", "fmt", type=click.Choice(["table", "json", "turtle"]), default="table")
@_SCHEME
@_BODY
def load(files: tuple[Path, ...], store_path: Path | None, endpoint: EndpointOptions | None,
         fmt: str, scheme_files: tuple[Path, ...], body: str) -> None:
    """Validate files and add them to the store, each as one named graph; refuse what fails.

    The store is the embedded one in --store PATH, or a SPARQL 1.1 endpoint (--endpoint).
    Nothing is stored unless every file is accepted (no violation; warnings are allowed;
    checked against what is stored already):
    the store stays exactly as it was. The ontology, the indicator scheme and the data cube
    structure are stored with the data (graphs under https://w3id.org/cityculture/graph/),
    so the store answers every query of ``cityculture queries`` on its own; so are the
    --scheme files (graphs under https://w3id.org/cityculture/graph/scheme/).

    Exit codes: 0 stored, 1 refused (violations), 2 input unusable, 3 store or endpoint
    failure (nothing stored).
    """
    if store_path is None and endpoint is None:
        raise click.UsageError("give --store PATH or --endpoint URL")
    if endpoint is not None:
        endpoint.check_whole_graphs()
    scheme = _scheme(scheme_files)
    new_store = store_path is not None and check_store_path(store_path, create=True)
    with _unusable_input_exits():
        outcome = load_files(lambda: _opened(store_path, endpoint, create=new_store), files,
                             body=body, new_store=new_store, scheme=scheme)
    report = outcome.report
    if not outcome.stored:
        _emit(report, fmt)
        click.echo("refused: nothing was stored", err=True)
        sys.exit(1)
    if new_store:
        click.echo(f"created the store {store_path}", err=True)
    for submission in outcome.submissions:
        click.echo(f"stored {submission.path.name} as <{submission.iri}> "
                   f"({len(submission.triples)} triples)")
    if report.findings:
        _emit(report, fmt)


def _parse_params(query: QueryFile, pairs: tuple[str, ...],
                  backend: Backend) -> dict[str, Identifier]:
    """Turn ``name=value`` pairs into typed RDF terms, by the kinds the query header declares.

    An IRI parameter given as a name (``city=Paris``) is looked up by label or notation in
    the store: the name is bound as a literal, and the lookup must find exactly one resource.
    """
    declared = {p.name: p for p in declared_parameters(query)}
    bound: dict[str, Identifier] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name = name.strip().lstrip("?$")
        if not sep or not name:
            raise click.UsageError(f"--param {pair!r}: write name=value")
        parameter = declared.get(name) or _undeclared(query, declared, name, text)
        try:
            term = parameter_term(parameter, text)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc
        if term is None:
            term = _lookup(backend, name, text)
        elif str(term).startswith(_WIKIDATA_ENTITY):
            term = _lookup(backend, name, str(term), missing_ok=True) or term
        bound[name] = term
    missing = [p.name for p in declared.values() if p.required and p.name not in bound]
    if missing:
        raise click.UsageError(f"{query.name} needs --param {'=... --param '.join(missing)}=...")
    return bound


def _undeclared(query: QueryFile, declared: dict[str, Parameter], name: str,
                text: str) -> Parameter:
    """Accept an undeclared parameter only in a file that declares none and uses the variable.

    A misspelt parameter must not be dropped silently (the query would answer for all).
    """
    if declared:
        raise click.UsageError(f"{query.name} has no parameter {name!r}; its parameters: "
                               + ", ".join(declared))
    if not re.search(rf"[?$]{re.escape(name)}\b", masked(query.text)):
        raise click.UsageError(f"{query.name} has no parameter {name!r}: it declares none "
                               f"and has no variable ?{name}")
    return Parameter(name, _guess_kind(text), False, "")


def _guess_kind(text: str) -> str:
    """Guess an undeclared parameter's kind: IRI if it is written as one, else string."""
    return "IRI" if expand_iri_or_none(text) is not None else "string"


def expand_iri_or_none(text: str) -> URIRef | None:
    """``expand_iri`` that answers None for text with characters an IRI may not hold."""
    try:
        return expand_iri(text)
    except ValueError:
        return None


# A name is a label, a notation or a Wikidata QID (``Q90``, what a statistics office submits);
# a Wikidata IRI finds the resource that is owl:sameAs it.
_LOOKUP = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX csp: <https://w3id.org/cityculture/ontology/>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
SELECT DISTINCT ?resource WHERE {
  GRAPH ?g { ?resource rdfs:label|skos:prefLabel|skos:altLabel|skos:notation|csp:qid|owl:sameAs
                       ?name }
  FILTER (STR(?name) = ?text)
} ORDER BY ?resource LIMIT 20"""
_WIKIDATA_ENTITY = "http://www.wikidata.org/entity/"


def _lookup(backend: Backend, name: str, text: str, *, missing_ok: bool = False,
            ) -> URIRef | None:
    """Find the one resource labelled ``text`` (NFC), bound as a literal, never pasted."""
    wanted = unicodedata.normalize("NFC", text.strip())
    if re.fullmatch(r"q[1-9][0-9]*", wanted):
        wanted = wanted.upper()
    rows = backend.select(_LOOKUP, {"text": Literal(wanted)})
    found = [row["resource"] for row in rows if isinstance(row["resource"], URIRef)]
    if not found and missing_ok:
        return None
    if not found:
        raise click.UsageError(f"--param {name}: no resource is labelled {wanted!r} "
                               "(give an IRI, a prefixed name such as csp:cohesion, a Wikidata "
                               "QID such as Q90, or a label)")
    if len(found) > 1:
        raise click.UsageError(f"--param {name}: {wanted!r} names {len(found)} resources: "
                               + ", ".join(f"<{iri}>" for iri in found[:5]))
    return found[0]


def _cell(term: Identifier | None) -> str:
    """Format a cell for the terminal: prefixed names for known namespaces."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        for prefix, namespace in PREFIXES.items():
            if str(term).startswith(str(namespace)) and len(str(term)) > len(str(namespace)):
                return f"{prefix}:{str(term)[len(str(namespace)):]}"
        return f"<{term}>"
    if isinstance(term, Literal) and term.datatype is not None and \
            str(term.datatype) in _ROUNDED_TYPES:
        return rounded(str(term))
    return str(term)


_ROUNDED_TYPES = {str(XSD.decimal), str(XSD.double), str(XSD.float)}


def rounded(lexical: str, digits: int = 6) -> str:
    """Round a decimal or double for a terminal table: ``digits`` significant digits.

    Tables are for reading; ``--format json`` and ``csv`` keep every digit. Differences below
    1e-9 of rounding errors (``-0.0000000000000142``) read as 0.

    >>> rounded("-0.000000000000014210854715202004"), rounded("73.21543219"), rounded("1234567.8")
    ('0', '73.2154', '1234568')
    >>> rounded("0.000412345"), rounded("NaN"), rounded("12")
    ('0.000412345', 'NaN', '12')
    """
    try:
        value = float(lexical)
    except ValueError:
        return lexical
    if not math.isfinite(value):
        return lexical
    if abs(value) < 1e-9:
        return "0"
    places = min(max(0, digits - 1 - math.floor(math.log10(abs(value)))), 12)
    text = f"{value:.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@main.command("query")
@click.argument("query_ref", metavar="QUERY.rq|NAME")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A parameter the query declares (repeatable): an IRI (<...>, https://..., "
                   "csp:cohesion), a label to look up (city=Paris), a number or text.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              help="json and csv: the W3C SPARQL 1.1 query results formats.")
@_STORE
@endpoint_options
def query(query_ref: str, params: tuple[str, ...], fmt: str, store_path: Path | None,
          endpoint: EndpointOptions | None) -> None:
    """Run a SELECT or ASK query: a bundled one by NAME (see ``cityculture queries``) or a file.

    Runs on the embedded store (--store PATH), on an endpoint (--endpoint URL), or, with
    neither, on the ontology and indicator scheme alone. In the embedded store a query's
    default graph is the union of all graphs. Parameters are bound as typed RDF terms, never
    pasted into the query text; updates and SERVICE are refused.

    Exit codes: 0 answered, 2 bad query or parameter, 3 store or endpoint failure.
    """
    _run_query(query_ref, params, fmt, store_path, endpoint)


def _run_query(query_ref: str, params: tuple[str, ...], fmt: str, store_path: Path | None,
               endpoint: EndpointOptions | None) -> None:
    try:
        query_file = load_query(query_ref)
        form = check_read_only(query_file.text)
    except (FileNotFoundError, UnsafeQueryError) as exc:
        raise click.UsageError(str(exc)) from exc
    if form not in ("SELECT", "ASK"):
        raise click.UsageError(f"{form} queries are not run here: use SELECT or ASK")
    with _opened(store_path, endpoint, union_default_graph=True) as backend:
        if store_path is None and endpoint is None:
            store_model_graphs(backend)
        bindings = _parse_params(query_file, params, backend)
        try:  # on the embedded store, in a process without network access
            answer = run_user_query(backend, form, query_file.text, bindings)
            if isinstance(answer, bool):
                click.echo(json.dumps({"head": {}, "boolean": answer}) if fmt == "json"
                           else str(answer).lower())
                return
            rows = answer
        except (SyntaxError, ValueError) as exc:
            raise click.UsageError(f"{query_file.path.name}: {exc}") from exc
    columns = list(rows[0]) if rows else projected_variables(query_file.text)
    if fmt == "json":
        click.echo(sparql_json(columns, rows))
    elif fmt == "csv":
        click.echo(sparql_csv(columns, rows), nl=False)
    else:
        click.echo(render_table(columns, [[_cell(r.get(c)) for c in columns] for r in rows]))
        click.echo(f"({len(rows)} rows)", err=True)


@main.command("compare")
@click.argument("run_a", metavar="RUN_A")
@click.argument("run_b", metavar="RUN_B")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@_STORE
@endpoint_options
def compare(run_a: str, run_b: str, fmt: str, store_path: Path | None,
            endpoint: EndpointOptions | None) -> None:
    """Compare two assessment runs: each city's scores and ranks in both, and the rank change.

    RUN_A and RUN_B are run IRIs (``cityculture query list-runs`` lists them); the runs are
    in the store (--store) or at the endpoint (--endpoint). Runs the query ``compare-runs``.
    """
    _run_query("compare-runs", (f"runA={run_a}", f"runB={run_b}"), fmt, store_path, endpoint)


def _copy_graphs(source: Backend, target: Backend, graphs: tuple[str, ...]) -> list[str]:
    """Copy named graphs (all of the source's when none are given), each replaced whole."""
    names = list(graphs) or source.graph_names()
    for graph in names:
        try:
            check_graph_name(graph)
        except ValueError as exc:
            raise click.UsageError(f"graph {graph!r}: {exc}") from exc
    missing = [g for g in names if g not in set(source.graph_names())]
    if missing:
        raise click.UsageError(f"no such graph: {', '.join(f'<{g}>' for g in missing)}")
    for graph in names:
        data = source.graph_ntriples(graph)
        target.replace_graph(graph, data)
        count = data.count(b"\n")
        click.echo(f"copied <{graph}> ({count} triples)")
    return names


_GRAPHS = click.argument("graphs", nargs=-1, metavar="[GRAPH]...")


@main.command("push")
@_GRAPHS
@click.option("--store", "store_path", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="The embedded store to copy from.")
@endpoint_options
def push(graphs: tuple[str, ...], store_path: Path, endpoint: EndpointOptions | None) -> None:
    """Copy named graphs (default: all) from the embedded store to an endpoint.

    Each graph replaces the endpoint's graph of the same name in one operation (Oxigraph
    server: one Graph Store Protocol PUT; other servers: a staging graph, then one update).
    """
    if endpoint is None:
        raise click.UsageError("give --endpoint URL")
    endpoint.check_whole_graphs()
    with _opened(store_path, None) as source, _opened(None, endpoint) as target:
        _copy_graphs(source, target, graphs)


@main.command("pull")
@_GRAPHS
@click.option("--store", "store_path", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="The embedded store to copy into (created if needed).")
@endpoint_options
def pull(graphs: tuple[str, ...], store_path: Path, endpoint: EndpointOptions | None) -> None:
    """Copy named graphs (default: all) from an endpoint into the embedded store."""
    if endpoint is None:
        raise click.UsageError("give --endpoint URL")
    endpoint.check_whole_graphs()
    new_store = check_store_path(store_path, create=True)
    with _opened(None, endpoint) as source, \
            _opened(store_path, None, create=new_store) as target, \
            writing(target, created=new_store):
        _copy_graphs(source, target, graphs)
    if new_store:
        click.echo(f"created the store {store_path}", err=True)


@main.command("template")
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--framework", "framework_file", default=None,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A framework (or scheme) Turtle file declaring its own indicators: list "
                   "those, and its city codes if it declares a code list.")
def template(outdir: Path, framework_file: Path | None) -> None:
    """Write empty submission templates (CSV, XLSX) and the indicator list to OUTDIR.

    Exit codes: 0 written, 2 the framework file is unusable or declares no indicator.
    """
    scheme = _scheme([framework_file]) if framework_file is not None else None
    if scheme is not None and not scheme.indicators:
        click.echo(f"error: {framework_file}: declares no indicator (a SKOS concept with "
                   "skos:notation and csp:unit)", err=True)
        sys.exit(2)
    for path in write_templates(outdir, scheme):
        click.echo(f"wrote {path}")


def _print_results(results: list[CityResult], fmt: str, store: Backend, run: str) -> None:
    if fmt == "json":
        click.echo(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=2))
    elif fmt == "csv":
        from cityculture.assess.report import write_csv

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "results.csv"
            write_csv(results, path)
            click.echo(path.read_text(encoding="utf-8"), nl=False)
    elif fmt == "turtle":
        click.echo(ntriples_as_turtle(store.graph_ntriples(run)))
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
              help="paper, gpci-2023, or a Turtle file defining a csp:AssessmentFramework "
                   "(which may declare its own indicators and city code lists).")
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
@_SCHEME
@_BODY
@_STORE
@endpoint_options
def assess(inputs: tuple[Path, ...], framework_name: str, year: int | None, fmt: str,
           outdir: Path | None, input_format: str, sensitivity: int, seed: int,
           classify: bool, scheme_files: tuple[Path, ...], body: str, store_path: Path | None,
           endpoint: EndpointOptions | None) -> None:
    """Assess cities: ingest and validate INPUTS, then score them with a framework.

    With no INPUTS, assesses what the store (--store PATH, or --endpoint URL) already holds.
    The run is written as a new named graph into that store (in memory when neither is given).

    Exit codes: 0 assessed, 1 input refused, 2 input unusable, 3 store or endpoint failure.
    """
    try:
        framework = resolve_framework(framework_name, schemes=scheme_files)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    own = [] if framework_name in BUILTIN else [framework.path]
    scheme = _scheme([*own, *scheme_files])
    if endpoint is not None and inputs:
        endpoint.check_whole_graphs()
    with _opened(store_path, endpoint) as store:
        with _unusable_input_exits():
            try:
                outcome, run = pipeline.assess_files(inputs, store, framework, body=body,
                                                     input_format=input_format, scheme=scheme,
                                                     year=year)
            except AssessmentError as exc:
                raise click.UsageError(str(exc)) from exc
        if run is None:
            click.echo(outcome.report.to_table(), err=True)  # type: ignore[union-attr]
            click.echo("refused: the input does not conform; nothing was assessed", err=True)
            sys.exit(1)
        results = city_results(store, run.iri, year)
        if outdir is not None:
            with stage("writing the report"):
                written = write_report(results, outdir, run=run.iri, framework=framework.iri,
                                       run_turtle=ntriples_as_turtle(
                                           store.graph_ntriples(run.iri)))
        if not results:
            raise click.ClickException("no city could be assessed: no observations of the "
                                       "framework's indicators")
        _print_results(results, fmt, store, run.iri)
        click.echo(f"run <{run.iri}>", err=fmt != "table")
        if outdir is not None:
            click.echo(f"wrote {len(written)} files to {outdir} (open report.html)", err=True)
        if classify:
            from cityculture.assess.classify import classify_cities

            latest = year if year is not None else max(r.year for r in results)
            try:
                classes = classify_cities(store, run.iri, latest)
            except ReasonerUnavailable as exc:
                raise JavaMissing(str(exc)) from exc
            names = {r.city: r.name for r in results}
            click.echo(render_table(
                ["city", f"classes ({latest}, inferred by HermiT)"],
                [[names.get(c, c), ", ".join(sorted(x.rsplit("/", 1)[-1] for x in found))]
                 for c, found in sorted(classes.items(), key=lambda i: names.get(i[0], ""))]))
        if sensitivity:
            with stage(f"sensitivity: {sensitivity} samples", total=sensitivity,
                       unit="samples") as current:
                intervals = rank_intervals(store, framework, samples=sensitivity, seed=seed,
                                           year=year, progress=current.advance)
            click.echo(render_table(
                ["city", "rank", "median rank", "5 %", "95 %"],
                [[i.name, i.nominal, i.median, i.low, i.high] for i in intervals]))


from cityculture.cli_publish import publish, serve  # noqa: E402

main.add_command(publish)
main.add_command(serve)
