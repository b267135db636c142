"""Publish a store as a linked-data site: dumps, DCAT/VoID description, documentation, pages.

The last stage of the data flow (ingest -> validate -> store -> assess -> publish). The
site is a folder of static files that any web server can host; ``cityculture serve`` adds
content negotiation and a read-only SPARQL endpoint on top of it. ``site.json`` records
the base IRI and what was written.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TypeVar

import pyoxigraph as ox
from markupsafe import Markup
from rdflib import Graph, Literal, URIRef

from cityculture.assess.charts import pyplot, ranking_chart
from cityculture.assess.results import results_from_rows
from cityculture.namespaces import CSP as CSP_NAMESPACE
from cityculture.namespaces import PREFIXES
from cityculture.publish.describe import (
    CATALOG,
    DATASET,
    Dates,
    Publisher,
    count_entities,
    data_rights,
    describe,
)
from cityculture.publish.discovery import discovery_files, schema_org_dataset
from cityculture.publish.dumps import Dump, write_dump, write_nquads
from cityculture.publish.files import SiteFiles
from cityculture.publish.forked import ForkedMap
from cityculture.publish.index import RDF_TYPE, SiteIndex
from cityculture.publish.iris import DEFAULT_BASE, IriRewriter
from cityculture.publish.jsonld import context_bytes
from cityculture.publish.ontology_docs import write_ontology_docs
from cityculture.publish.pages import (
    PageWriter,
    QuadrantChart,
    fmt_number,
    grouped_document,
    peer_summary,
    quadrant_chart,
    quadrant_drawing,
    radar_svg,
    site_path,
)
from cityculture.publish.source import SiteSource
from cityculture.rdf_terms import to_oxigraph
from cityculture.version import __version__

CSP = str(CSP_NAMESPACE)
PROV = "http://www.w3.org/ns/prov#"
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
EXTRA_PREFIXES = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "void": "http://rdfs.org/ns/void#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "dcatap": "http://data.europa.eu/r5r/",
    "city": DEFAULT_BASE + "city/",
    "nation": DEFAULT_BASE + "nation/",
    "run": DEFAULT_BASE + "run/",
    "sub": DEFAULT_BASE + "submission/",
    "fw": DEFAULT_BASE + "framework/",
}
NQUADS = "dumps/all.nq"
MANIFEST = "site.json"
T = TypeVar("T")


class PublishError(RuntimeError):
    """A site cannot be published into a folder (the message says why)."""


@dataclass
class PublishedSite:
    """What :func:`publish_site` wrote."""

    outdir: Path
    base: str
    dumps: list[Dump]
    pages: int
    files: list[str] = field(default_factory=list)
    rewritten: int = 0
    """How many files were written because their bytes changed (or were new)."""
    removed: list[str] = field(default_factory=list)
    """Stale files of the previous publish that were removed."""


def site_prefixes(rewriter: IriRewriter) -> dict[str, str]:
    """Return the prefixes of the published files (and of the JSON-LD context), rewritten."""
    prefixes = {p: str(ns) for p, ns in PREFIXES.items()} | EXTRA_PREFIXES
    return {p: rewriter.iri(ns) for p, ns in prefixes.items()}


def _parts(source: SiteSource) -> list[Dump]:
    """Decide the dumps from what the store's named graphs hold (``site-parts.rq``)."""
    rows = source.run("site-parts")
    by_kind: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_kind[str(row["kind"])].append(row)
    licence, rights = data_rights(source)
    dumps = []
    for kind, title, text in (
            ("ontology", "The Soft Power of City Culture ontology",
             "The OWL 2 DL ontology: the paper's concepts and relations."),
            ("indicators", "Indicator scheme",
             "The SKOS scheme of indicators that make each element measurable.")):
        graphs = sorted({str(r["graph"]) for r in by_kind[kind]})
        if graphs:
            dumps.append(Dump(kind, title, text, graphs,
                              formats=("turtle", "nt", "jsonld", "rdfxml"), licence=CC_BY))
    frameworks = sorted({str(r["graph"]) for r in by_kind["framework"] + by_kind["cube"]})
    if frameworks:
        dumps.append(Dump("frameworks", "Assessment frameworks and data structure",
                          "The assessment frameworks (weights, aggregation rules, thresholds) "
                          "and the RDF Data Cube structure of observations.", frameworks,
                          licence=CC_BY))
    submissions = sorted({str(r["graph"]) for r in by_kind["submission"]})
    if submissions:
        dumps.append(Dump("data", "Accepted city data",
                          "The observations of the accepted submissions, each with the file, "
                          "row and column it came from and the body that submitted it.",
                          submissions, licence=licence, rights=rights))
    for row in by_kind["run"]:
        run = str(row["graph"])
        name = "run-" + site_path(run).rsplit("/", 1)[-1]
        dumps.append(Dump(name, f"Assessment run {run.rsplit('/', 1)[-1]}",
                          f"Scores, ranks and provenance computed with: {row.get('label')}.",
                          [run], licence=licence,
                          rights="Scores computed by cityculture from the accepted data. "
                                 + rights))
    return dumps


def publish_site(source: SiteSource, outdir: Path, *, base: str = DEFAULT_BASE,
                 publisher: Publisher | None = None, today: date | None = None,
                 progress: Callable[[int, int], None] | None = None,
                 workers: int = 1) -> PublishedSite:
    """Write the site for a store into ``outdir``: only the files whose bytes change.

    ``progress(done, total)`` is told how many documents (pages with their twins) are
    written, as they are. ``workers``: how many processes write the pages, forked from
    this one (which must then run no other thread); the site is the same whatever it is.

    Files the previous publish into ``outdir`` wrote (listed in its ``site.json``) and
    this one no longer produces are removed; nothing else in the folder is touched.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    rewriter = IriRewriter(base)
    prefixes = site_prefixes(rewriter)
    outdir.mkdir(parents=True, exist_ok=True)
    previous = read_manifest(outdir)
    files = SiteFiles(outdir, previous.get("files", []))
    day = (today or date.today()).isoformat()

    def rewrite(triples: list[ox.Triple]) -> list[ox.Triple]:
        if rewriter.identity:  # the default base: every term stays as it is
            return triples
        return [ox.Triple(rewriter.term(t.subject), rewriter.term(t.predicate),  # type: ignore[arg-type]
                          rewriter.term(t.object, t.predicate.value)) for t in triples]

    dumps = _parts(source)
    source_quads = source.quads()  # read before the dump writers are forked: they share it

    def dump_job(number: int) -> tuple[int, int, dict[str, Path], str]:
        """Write one dump (the whole as N-Quads after the parts); return its figures."""
        if number == len(dumps) and rewriter.identity:
            lines = source.sorted_lines()
            files.write(NQUADS, b"".join(line + b"\n" for line in lines))
            return len(lines), 0, {}, _lines_digest(lines)
        if number == len(dumps):
            quads = [rewriter.quad(q) for q in source_quads]
            return write_nquads(quads, files, NQUADS), 0, {}, _digest(quads)
        dump = dumps[number]
        triples = source.graph_triples(dump.graphs)
        entities = count_entities(triples)
        rewritten = rewrite(triples)
        write_dump(dump, rewritten, files, prefixes)
        return dump.triples, entities, dump.files, _digest(rewritten)

    versions: dict[str, dict[str, str]] = {}
    quad_count = 0
    order = _dump_order(source, dumps)
    with _file_writing_jobs(dump_job, order, files, workers) as results:
        # while the dumps are written: what the description and the pages read besides
        all_triples = [ox.Triple(q.subject, q.predicate, q.object) for q in source_quads]
        entities = count_entities(all_triples)
        source.run("site-coverage")  # kept by the source: the description reads it
        for number, result in zip(order, results, strict=True):
            count, dump_entities, written, digest = _recorded(files, result)
            if number == len(dumps):
                quad_count = count
                versions[""] = _version(previous, "", digest, day)
                continue
            dump = dumps[number]
            dump.triples, dump.entities, dump.files = count, dump_entities, written
            versions[dump.name] = _version(previous, dump.name, digest, day)
    versions = {name: versions[name] for name in [d.name for d in dumps] + [""]}
    files.write("dumps/context.jsonld", context_bytes(prefixes))
    dates = {name: Dates(v["issued"], v["modified"]) for name, v in versions.items()}

    description = describe(source, dumps, publisher=publisher or Publisher(),
                           nquads_path=NQUADS, nquads_size=files.path(NQUADS).stat().st_size,
                           quads=quad_count,
                           entities=entities,
                           dates=dates)
    description_triples = sorted(  # a Graph iterates in a different order in each process
        (ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o))  # type: ignore[arg-type]
         for s, p, o in description), key=str)
    graph_names = [g.value for g in source.store.named_graphs() if isinstance(g, ox.NamedNode)]
    index = SiteIndex([*all_triples, *description_triples], graph_names)
    writer = PageWriter(index, rewriter, prefixes, outdir, files)
    _write_pages(source, index, writer, dumps, description_triples, description,
                 progress or (lambda done, total: None), workers)
    pages = sorted(p for p in writer.written if p.endswith(".html"))
    for path, data in discovery_files(pages, base).items():
        files.write(path, data)
    files.produced.add(MANIFEST)
    removed = files.remove_stale()
    manifest = {"generator": f"cityculture {__version__}", "base": base,
                "dataset": rewriter.iri(DATASET), "catalog": rewriter.iri(CATALOG),
                "nquads": NQUADS,
                "dumps": {d.name: {f: d.path(f) for f in d.files} for d in dumps},
                "pages": len(pages), "versions": versions,
                "files": sorted(files.produced - {MANIFEST})}
    files.write(MANIFEST, json.dumps(manifest, indent=2).encode("utf-8"))
    return PublishedSite(outdir, base, dumps, len(pages), writer.written,
                         rewritten=len(files.rewritten), removed=removed)


def _dump_order(source: SiteSource, dumps: list[Dump]) -> list[int]:
    """Return the dump jobs' numbers (``len(dumps)``: the whole as N-Quads), largest first."""
    sizes = {str(row["graph"]): int(row["triples"])  # type: ignore[arg-type]
             for row in source.select("SELECT ?graph (COUNT(*) AS ?triples) "
                                      "WHERE { GRAPH ?graph { ?s ?p ?o } } GROUP BY ?graph")}
    weight = [sum(sizes.get(g, 0) for g in d.graphs) for d in dumps]
    weight.append(sum(sizes.values()) // 2)  # N-Quads only: no Turtle, JSON-LD, RDF/XML
    return sorted(range(len(weight)), key=lambda k: (-weight[k], k))


def _file_writing_jobs(job: Callable[[int], T], order: list[int], files: SiteFiles,
                       workers: int) -> ForkedMap[tuple[T, list[str], list[str]]]:
    """Start numbered jobs that write site files (in ``order``, in ``workers`` processes).

    Each result comes with the files its job wrote and rewrote (:func:`_recorded`).
    """
    def task(position: int) -> tuple[T, list[str], list[str]]:
        kept = files.produced, files.rewritten
        files.produced, files.rewritten = set(), []
        try:
            result = job(order[position])
            return result, sorted(files.produced), files.rewritten
        finally:
            files.produced, files.rewritten = kept

    return ForkedMap(task, len(order), workers)


def _recorded(files: SiteFiles, result: tuple[T, list[str], list[str]]) -> T:
    """Add what one job of :func:`_file_writing_jobs` wrote to ``files``; return its result."""
    value, made, changed = result
    files.produced.update(made)
    files.rewritten.extend(changed)
    return value


def read_manifest(outdir: Path) -> dict:
    """Return the ``site.json`` of an earlier publish into ``outdir`` ({} if there is none)."""
    path = outdir / MANIFEST
    if not path.exists():
        return {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PublishError(f"{path}: not the manifest of a published site ({exc}); "
                           "remove it or publish into another folder") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files", []), list):
        raise PublishError(f"{path}: not the manifest of a published site; remove it or "
                           "publish into another folder")
    return manifest


def _digest(statements: list) -> str:
    digest = hashlib.sha256()
    for statement in sorted(str(s) for s in statements):
        digest.update(statement.encode("utf-8") + b"\n")
    return digest.hexdigest()


def _lines_digest(lines: list[bytes]) -> str:
    """Return :func:`_digest` of the statements of these sorted N-Triples or N-Quads lines."""
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line[:-2] + b"\n")  # the statement's text, without " ."
    return digest.hexdigest()


def _version(previous: dict, name: str, digest: str, day: str) -> dict[str, str]:
    """Issued: first published; modified: when the content last changed (else kept)."""
    before = previous.get("versions", {}).get(name)
    if not isinstance(before, dict) or not {"issued", "modified", "sha256"} <= set(before):
        return {"sha256": digest, "issued": day, "modified": day}
    modified = before["modified"] if before["sha256"] == digest else day
    return {"sha256": digest, "issued": before["issued"], "modified": modified}


def _skip(iri: str) -> bool:
    """IRIs that are files or services of the site rather than resources with pages."""
    rest = iri[len(DEFAULT_BASE):]
    return rest in ("", "sparql") or rest.startswith("dumps/")


def _write_pages(source: SiteSource, index: SiteIndex, writer: PageWriter, dumps: list[Dump],
                 description: list[ox.Triple], catalog: Graph,
                 report: Callable[[int, int], None], workers: int = 1) -> None:
    runs = _run_tables(source, index)
    nations = {str(t.object.value) for t in index.by_predicate_all(CSP + "locatedInNation")}
    element_rows = {str(r["element"]): r for r in source.run("cq01-elements-and-roles")}
    indicator_values = _indicator_values(source)
    ontology = next((s for s in index.subjects_of_type("http://www.w3.org/2002/07/owl#Ontology")
                     if s.startswith(DEFAULT_BASE)), None)
    model_graphs = {d.name: d.graphs for d in dumps}
    data_subjects = {k for g in model_graphs.get("data", []) + [
        r for d in dumps if d.name.startswith("run-") for r in d.graphs]
        for k in _subjects(source, g)}
    done: set[str] = set()
    if ontology:
        page = site_path(ontology) + ".html"
        downloads = [Markup('<a href="{}">{}</a>').format(
            writer_rel(page, d.path(f)), f) for d in dumps if d.name == "ontology"
            for f in d.files]
        model = source.graph_triples(model_graphs.get("ontology", []))
        write_ontology_docs(writer, ontology, model, downloads, data_subjects)
        done.add(ontology)
    scheme = next(iter(index.subjects_of_type("http://www.w3.org/2004/02/skos/core#ConceptScheme")),
                  None)
    pages = sorted(iri for iri in index.iris if iri not in done and not _skip(iri))
    groups: dict[str, list[str]] = defaultdict(list)
    singles = []
    for iri in pages:
        grouped = grouped_document(iri)
        if grouped is None:
            singles.append(iri)
        else:
            groups[grouped[0]].append(iri)
    jobs: list[tuple[str, list[str]]] = [("", [iri]) for iri in singles]
    jobs += sorted(groups.items())
    total = len(jobs) + 1
    report(0, total)

    def write(job: tuple[str, list[str]]) -> None:
        path, members = job
        if path:
            writer.write_group(path, members)
        else:
            _write_page(source, writer, index, members[0], runs=runs, nations=nations,
                        element_rows=element_rows, indicator_values=indicator_values,
                        dumps=dumps, description=description,
                        scheme=scheme, model_graphs=model_graphs)

    _run_jobs(jobs, write, writer, workers, lambda done: report(done, total))
    _home(source, writer, index, runs, dumps, nations, catalog)
    report(total, total)


_job: Callable[[int], tuple[list[str], list[str], list[str]]] | None = None
"""The chunk writer of the running publish, set before the worker processes are forked."""


def _chunks(jobs: list[tuple[str, list[str]]]) -> list[tuple[int, int]]:
    """Split the pages into (start, end) chunks of about the same work (members count)."""
    chunks = []
    start, weight = 0, 0
    for number, (_, members) in enumerate(jobs):
        weight += len(members) if len(members) > 1 else 20  # a page costs about 20 members
        if weight >= 1000 or number == len(jobs) - 1:
            chunks.append((start, number + 1))
            start, weight = number + 1, 0
    return chunks


def _run_jobs(jobs: list[tuple[str, list[str]]], write: Callable[[tuple[str, list[str]]], None],
              writer: PageWriter, workers: int, report: Callable[[int], None]) -> None:
    """Write every page, in ``workers`` processes (forked, sharing what was read) or in this one.

    The files each chunk writes are added, in chunk order, to what the writer and its
    :class:`SiteFiles` record, so the site and its manifest are those one process writes.
    """
    chunks = _chunks(jobs)
    written = writer.written

    def chunk(number: int) -> list[str]:
        start, end = chunks[number]
        writer.written = []
        for job in jobs[start:end]:
            write(job)
        return writer.written

    try:
        with _file_writing_jobs(chunk, list(range(len(chunks))), writer.files,
                                workers) as results:
            for number, result in enumerate(results):
                written.extend(_recorded(writer.files, result))
                report(chunks[number][1])
    finally:
        writer.written = written


def _write_page(source: SiteSource, writer: PageWriter, index: SiteIndex, iri: str, *,
                runs: dict[str, RunTables], nations: set[str], element_rows: dict[str, dict],
                indicator_values: dict[str, list[dict]],
                dumps: list[Dump], description: list[ox.Triple], scheme: str | None,
                model_graphs: dict[str, list[str]]) -> None:
    """Write the page and twins of one resource, with the template its kind has."""
    types = index.types.get(iri, set())
    if CSP + "City" in types:
        writer.write_resource(iri, "city.html", nation=_nation_link(writer, index, iri),
                              runs=_city_runs(source, writer, index, runs, iri))
    elif iri in nations:
        writer.write_resource(iri, "nation.html", **_nation(writer, index, runs, iri))
    elif CSP + "Indicator" in types:
        writer.write_resource(iri, "indicator.html",
                              **_indicator(writer, index, iri, indicator_values))
    elif CSP + "Element" in types and iri in element_rows:
        writer.write_resource(iri, "element.html",
                              **_element(source, writer, index, runs, iri, element_rows[iri]))
    elif CSP + "AssessmentRun" in types and iri in runs:
        writer.write_resource(iri, "run.html", **_run(writer, index, runs[iri], dumps))
    elif iri in (CATALOG, DATASET):  # their twins are the whole description
        writer.write_resource(iri, twins=description)
    elif iri == scheme:
        page = site_path(iri) + ".html"
        alternates = writer.twins(iri, source.graph_triples(model_graphs.get("indicators", [])))
        context = writer.resource_context(iri, page)
        writer.render("resource.html", page, alternates=alternates, **context)
    else:
        writer.write_resource(iri)


def writer_rel(page: str, target: str) -> str:
    """Relative link between two site paths."""
    from cityculture.publish.iris import relative_link

    return relative_link(page, target)


def _subjects(source: SiteSource, graph: str) -> set[str]:
    return {q.subject.value for q in source.store.quads_for_pattern(
        None, None, None, ox.NamedNode(graph)) if isinstance(q.subject, ox.NamedNode)}


@dataclass
class RunTables:
    """The query results a run's pages need, computed once per run."""

    iri: str
    framework: str | None
    scores: dict[tuple[str, int], list[dict]]
    balance: dict[tuple[str, int], dict]
    share: dict[tuple[str, int], dict]
    years: dict[str, list[int]] = field(default_factory=dict)
    """Each city's assessed years, in order."""
    balance_by_year: dict[int, list[dict]] = field(default_factory=dict)
    score_iris: dict[tuple[str, str, str], str] = field(default_factory=dict)
    """(city, framework node, year) -> the IRI of the city's score for that node and year."""
    provenance: dict[str, list[dict]] = field(default_factory=dict)
    """Score IRI -> its CQ10 rows, for the top-level scores the city pages show."""
    peers: PeerBasis | None = None
    quadrants: dict[int, QuadrantChart | None] = field(default_factory=dict)
    """Year -> the quadrant chart of the year's cities, drawn once for all their pages."""

    def __post_init__(self) -> None:
        """Index the tables by city and by year (the pages look them up per city)."""
        years: dict[str, set[int]] = defaultdict(set)
        for city, year in self.scores:
            years[city].add(year)
        self.years = {city: sorted(found) for city, found in years.items()}
        by_year: dict[int, list[dict]] = defaultdict(list)
        for (_, year), row in sorted(self.balance.items()):
            by_year[year].append(row)
        self.balance_by_year = dict(by_year)

    def quadrant(self, index: SiteIndex, year: int, title: str, city: str) -> Markup | None:
        """Return the year's quadrant chart with ``city`` highlighted (None if none is drawn)."""
        if year not in self.quadrants:
            self.quadrants[year] = quadrant_drawing(index, self.framework,
                                                    self.balance_by_year.get(year, []))
        chart = self.quadrants[year]
        return None if chart is None else chart.svg(title, city)


def _run_tables(source: SiteSource, index: SiteIndex) -> dict[str, RunTables]:
    tables = {}
    for run in index.subjects_of_type(CSP + "AssessmentRun"):
        bound = {"run": URIRef(run)}
        scores: dict[tuple[str, int], list[dict]] = defaultdict(list)
        for row in source.run("cq04-city-scores", bound):
            scores[str(row["city"]), int(row["year"])].append(row)  # type: ignore[arg-type]
        balance = {(str(r["city"]), int(r["year"])): r  # type: ignore[arg-type]
                   for r in source.run("cq05-soft-hard-balance", bound)}
        share = {(str(r["city"]), int(r["year"])): r  # type: ignore[arg-type]
                 for r in source.run("cq07-national-share", bound)}
        framework = index.value(run, CSP + "framework")
        table = RunTables(run, framework.value if framework else None,  # type: ignore[attr-defined]
                          dict(scores), balance, share)
        table.score_iris = _score_iris(index, run, {city for city, _ in scores})
        table.provenance = _provenance(source, index, table)
        table.peers = peer_basis(index, table)
        tables[run] = table
    return tables


def _score_iris(index: SiteIndex, run: str, cities: set[str]) -> dict[tuple[str, str, str], str]:
    """Map (city, node, year) to the run's score IRI, from what points at each city."""
    found: dict[tuple[str, str, str], str] = {}
    for city in sorted(cities):
        for triple in index.inc.get(city, ()):
            score = triple.subject.value
            if triple.predicate.value != CSP + "city" or not score.startswith(run + "/"):
                continue
            node = index.value(score, CSP + "frameworkNode")
            year = index.value(score, CSP + "refYear")
            key = (city, str(node.value) if node else "",  # type: ignore[attr-defined]
                   str(year.value) if year else "")  # type: ignore[attr-defined]
            found.setdefault(key, score)
    return found


def _top_rows(rows: list[dict]) -> list[dict]:
    """Return the scored rows of a city and year at the framework's top level."""
    top = max(int(r["level"]) for r in rows)  # type: ignore[arg-type]
    return [r for r in rows if int(r["level"]) == top and r.get("score") is not None]  # type: ignore[arg-type]


def _provenance(source: SiteSource, index: SiteIndex,
                tables: RunTables) -> dict[str, list[dict]]:
    """Return CQ10's rows for every top-level score of a run the city pages show, by score.

    CQ10 asked score by score follows ``prov:wasDerivedFrom+`` anew each time, which costs
    a tenth of a second per score; one query gives the observations of every first-level
    score of the run (``site-first-level-provenance.rq``), and each top-level score takes
    those of the first-level scores it was derived from (the same rows CQ10 gives, as
    ``tests/test_publish_scale.py`` checks).
    """
    first: dict[str, list[dict]] = defaultdict(list)
    for row in source.run("site-first-level-provenance", {"run": URIRef(tables.iri)}):
        first[str(row["firstLevelScore"])].append(row)
    found: dict[str, list[dict]] = {}
    derived = PROV + "wasDerivedFrom"
    for (city, year), rows in tables.scores.items():
        for r in _top_rows(rows):
            score = tables.score_iris.get((city, str(r["node"]), str(year)))
            if score is None:
                continue
            reached: set[str] = set()
            todo = [score]
            while todo:
                current = todo.pop()
                if current in reached:
                    continue
                reached.add(current)
                if current in first:
                    continue  # below a first-level score are its inputs, not scores
                todo.extend(t.object.value for t in index.out.get(current, ())
                            if t.predicate.value == derived and isinstance(t.object, ox.NamedNode))
            unique = {(str(p["indicator"]), str(p["observation"]), str(p.get("weight"))): p
                      for s in reached for p in first.get(s, [])}
            found[score] = sorted(unique.values(), key=_provenance_order)
    return found


def _provenance_order(row: dict) -> tuple[str, str, int, str]:
    """CQ10's order: indicator, file, row, observation."""
    number = row.get("row")
    return (str(row["indicator"]), str(row.get("file") or ""),
            int(number) if number is not None else -1, str(row["observation"]))  # type: ignore[arg-type]


def _nation_link(writer: PageWriter, index: SiteIndex, city: str) -> Markup | None:
    nation = index.value(city, CSP + "locatedInNation")
    if nation is None:
        return None
    return writer.link(nation.value, site_path(city) + ".html")  # type: ignore[attr-defined]


@dataclass
class PeerBasis:
    """What CQ6 compares, per city and year of one run: element scores, hard power, nation."""

    band: float
    elements: dict[str, tuple[str, str]]
    """Framework node -> (element IRI, English label), for the nodes standing for elements."""
    scores: dict[tuple[str, int], dict[str, float]]
    """(city, year) -> element node -> score."""
    hard: dict[tuple[str, int], float]
    country: dict[str, str]


def peer_basis(index: SiteIndex, tables: RunTables) -> PeerBasis | None:
    """Gather what :func:`peer_rows` compares (None when the framework sets no peer band)."""
    framework = tables.framework
    band = index.value(framework, CSP + "peerHardPowerBand") if framework else None
    if band is None:
        return None
    elements: dict[str, tuple[str, str]] = {}
    scores: dict[tuple[str, int], dict[str, float]] = defaultdict(dict)
    hard: dict[tuple[str, int], float] = {}
    country: dict[str, str] = {}
    has_hard_node = False
    for (city, year), rows in tables.scores.items():
        code = index.value(city, CSP + "countryCode")
        if code is not None:
            country[city] = code.value  # type: ignore[attr-defined]
        for r in rows:
            aspect, node = str(r.get("aspect")), str(r["node"])
            if aspect == CSP + "hardPowerIndex":
                has_hard_node = True
                if r.get("score") is not None:
                    hard[city, year] = float(r["score"])  # type: ignore[arg-type]
            label = index.label_in(aspect, "en")
            if CSP + "Element" not in index.types.get(aspect, set()) or label is None:
                continue
            elements[node] = (aspect, label)
            if r.get("score") is not None:
                scores[city, year][node] = float(r["score"])  # type: ignore[arg-type]
    if not has_hard_node:  # the query asks the framework for a hard power node
        return None
    return PeerBasis(float(band.value), elements, dict(scores), hard, country)  # type: ignore[attr-defined]


def peer_rows(index: SiteIndex, basis: PeerBasis | None, city: str, year: int) -> list[dict]:
    """Return CQ6's rows (``cq06-peer-learning.rq``) for one city and year.

    The same comparison as the query: for each element of the run's framework, the other
    cities scored on it that year that are comparable (the same nation, else a hard power
    index within the framework's ``csp:peerHardPowerBand``), with whether the city draws
    lessons from them, is stronger or level. Computed from the run's CQ4 rows, which the
    pages hold anyway, where the query would compare every pair of cities again for each
    city (``tests/test_publish_scale.py`` checks both give the same rows).
    """
    if basis is None or (city, year) not in basis.scores:
        return []
    own_scores = basis.scores[city, year]
    own_hard, own_country = basis.hard.get((city, year)), basis.country.get(city)
    rows = []
    for (peer, peer_year), peer_scores in basis.scores.items():
        if peer_year != year or peer == city:
            continue
        peer_country = basis.country.get(peer)
        if own_country is not None and peer_country is not None and own_country == peer_country:
            comparable = "same nation"
        else:
            peer_hard = basis.hard.get((peer, year))
            if own_hard is None or peer_hard is None or abs(own_hard - peer_hard) > basis.band:
                continue
            comparable = "similar hard power"
        for node, own in own_scores.items():
            score = peer_scores.get(node)
            if score is None:
                continue
            element, label = basis.elements[node]
            labels = index.labels.get(peer, {})
            rows.append({"year": year, "element": element, "elementLabel": label,
                         "peer": peer, "peerName": labels.get("en") or labels.get(""),
                         "comparable": comparable, "own": own, "peerScore": score,
                         "relation": "draws lessons from" if score > own
                         else "stronger than" if score < own else "level with"})
    rows.sort(key=lambda r: (r["element"], -r["peerScore"], r["peer"]))
    return rows


def _city_runs(source: SiteSource, writer: PageWriter, index: SiteIndex,
               runs: dict[str, RunTables], city: str) -> list[dict]:
    page = site_path(city) + ".html"
    sections = []
    order = _element_order(index)
    for run, tables in sorted(runs.items()):
        years = tables.years.get(city, [])
        for year in years:
            rows = tables.scores[city, year]
            scores = []
            axes = []
            for r in sorted(rows, key=lambda r: (-int(r["level"]), str(r["code"]))):  # type: ignore[arg-type]
                score = float(r["score"]) if r.get("score") is not None else None  # type: ignore[arg-type]
                node = str(r["node"])
                score_iri = tables.score_iris.get((city, node, str(year)))
                shown = fmt_number(score)
                scores.append({
                    "code": r.get("code") or "",
                    "label": writer.link(str(r["aspect"]), page, str(r["label"]))
                    if r.get("aspect") is not None else str(r["label"]),
                    "score": writer.link(score_iri, page, shown) if score_iri else shown,
                    "rank": r.get("rank") if r.get("rank") is not None else "-",
                    "coverage": fmt_number(r.get("coverage")),
                })
                aspect = str(r["aspect"]) if r.get("aspect") is not None else ""
                if CSP + "Element" in index.types.get(aspect, set()):
                    axes.append((aspect, str(r["label"]), score))
            axes.sort(key=lambda a: order.get(a[0], 99))
            balance = tables.balance.get((city, year))
            share = tables.share.get((city, year))
            provenance = []
            for r in _top_rows(rows):
                score_iri = tables.score_iris.get((city, str(r["node"]), str(year)))
                if score_iri is None:
                    continue
                provenance.append({
                    "label": f"{r.get('code') or ''} {r['label']}".strip(),
                    "score": fmt_number(r["score"]),
                    "rows": [_provenance_row(writer, index, p, page)
                             for p in tables.provenance.get(score_iri, [])],
                })
            sections.append({
                "year": year,
                "link": writer.link(run, page, writer.index.label(run)),
                "radar": radar_svg([(label, score) for _, label, score in axes],
                                   f"{index.label(city)} {year}: elements of cultural soft power"),
                "scores": scores,
                "balance": _balance(balance) if balance else None,
                "share": _share_text(writer, index, share, page) if share else None,
                # CQ6 compares every pair of cities: for the latest year only
                "peers": peer_summary(writer, peer_rows(index, tables.peers, city, year), page)
                if year == years[-1] else [],
                "quadrant": tables.quadrant(index, year, f"{index.label(city)} {year} among "
                                            "the assessed cities", city),
                "provenance": provenance,
                "top": top_level(rows),
            })
    return sections


def top_level(rows: list[dict]) -> int:
    """Return the highest framework level among a city's rows of one year."""
    return max(int(r["level"]) for r in rows)  # type: ignore[arg-type]


def _element_order(index: SiteIndex) -> dict[str, int]:
    """Elements in the paper's order (their paper section)."""
    elements = index.subjects_of_type(CSP + "Element")
    sections = {e: str(index.value(e, CSP + "paperSection").value)  # type: ignore[union-attr]
                if index.value(e, CSP + "paperSection") else "9" for e in elements}
    return {e: i for i, e in enumerate(sorted(elements, key=lambda e: sections[e]))}


def _provenance_row(writer: PageWriter, index: SiteIndex, row: dict, page: str) -> dict:
    indicator = str(row["indicator"])
    aspect = index.value(indicator, CSP + "measures") or index.value(indicator, CSP + "proxyFor")
    return {
        "indicator": writer.link(indicator, page),
        "aspect": writer.link(aspect.value, page) if aspect else "",  # type: ignore[attr-defined]
        "weight": fmt_number(row.get("weight"), 2),
        "value": str(row["value"]),
        "observation": writer.link(str(row["observation"]), page,
                                   str(row["observation"]).rsplit("/", 1)[-1]),
        "file": str(row.get("file") or ""),
        "row": str(row["row"]) if row.get("row") is not None else "",
        "body": str(row.get("body") or ""),
    }


def _balance(row: dict) -> dict:
    return {"soft": fmt_number(row["soft"]), "hard": fmt_number(row["hard"]),
            "gap": fmt_number(row["gap"]), "ratio": fmt_number(row.get("ratio")),
            "quadrant": str(row["quadrant"]),
            "dislocated": "yes" if str(row["dislocated"]).lower() == "true" else "no",
            "threshold": fmt_number(row["threshold"], 0)}


def _share_text(writer: PageWriter, index: SiteIndex, row: dict, page: str) -> Markup:
    city = str(row["city"])
    nation = index.value(city, CSP + "locatedInNation")
    where = writer.link(nation.value, page) if nation else Markup("{}").format(  # type: ignore[attr-defined]
        str(row["country"]))
    leads = str(row["leads"]).lower() == "true"
    return Markup("{:.1f} % of the cultural soft power of the assessed cities of {}{}.").format(
        float(row["share"]) * 100, where,
        Markup("; it leads its nation") if leads else "")


def _nation(writer: PageWriter, index: SiteIndex, runs: dict[str, RunTables],
            nation: str) -> dict:
    page = site_path(nation) + ".html"
    cities = sorted(t.subject.value for t in index.inc.get(nation, ())
                    if t.predicate.value == CSP + "locatedInNation")
    sections = []
    for run, tables in sorted(runs.items()):
        years = sorted({y for (c, y) in tables.share if c in cities})
        for year in years:
            rows = sorted((tables.share[c, year] for c in cities if (c, year) in tables.share),
                          key=lambda r: -float(r["soft"]))
            sections.append({"year": year, "link": writer.link(run, page),
                             "rows": [{"city": writer.link(str(r["city"]), page),
                                       "soft": fmt_number(r["soft"]),
                                       "share": f"{float(r['share']) * 100:.1f} %",
                                       "leads": "leads" if str(r["leads"]).lower() == "true"
                                       else ""} for r in rows]})
    codes = {index.value(c, CSP + "countryCode") for c in cities}
    code = next((c.value for c in codes if c is not None), None)  # type: ignore[attr-defined]
    title = f"Nation {code}" if code else index.label(nation)
    return {"cities": [writer.link(c, page) for c in cities], "runs": sections, "title": title}


def _indicator_values(source: SiteSource) -> dict[str, list[dict]]:
    """Return the rows of ``site-indicator-values.rq`` by indicator, in the query's order.

    One query for every indicator: the query reads every observation whether or not the
    indicator is bound, which one query per indicator page did again for each.
    """
    found: dict[str, list[dict]] = defaultdict(list)
    for row in source.run("site-indicator-values"):
        found[str(row["indicator"])].append(row)
    return dict(found)


def _indicator(writer: PageWriter, index: SiteIndex, iri: str,
               indicator_values: dict[str, list[dict]]) -> dict:
    page = site_path(iri) + ".html"
    definition = next((v.value for v in index.values(
        iri, "http://www.w3.org/2004/02/skos/core#definition")
        if isinstance(v, ox.Literal) and v.language == "en"), None)
    proxy_for = index.value(iri, CSP + "proxyFor")
    measures = index.value(iri, CSP + "measures") or proxy_for
    unit = index.value(iri, CSP + "unit")
    direction = index.value(iri, CSP + "direction")
    values = [{"city": writer.link(str(r["city"]), page,
                                   str(r["cityName"]) if r.get("cityName") else None),
               "year": str(r["year"]), "value": str(r["value"]),
               "observation": writer.link(str(r["observation"]), page,
                                          str(r["observation"]).rsplit("/", 1)[-1]),
               "file": str(r.get("file") or ""),
               "row": str(r["row"]) if r.get("row") is not None else ""}
              for r in indicator_values.get(iri, [])]
    notation = index.labels.get(iri, {}).get("notation")
    return {
        "title": f"{notation}: {index.label(iri)}" if notation else index.label(iri),
        "definition": definition,
        "measures": writer.link(measures.value, page) if measures else "-",  # type: ignore[attr-defined]
        "relation": "A proxy for" if proxy_for else "Measures",
        "unit": writer.link(unit.value, page) if unit else None,  # type: ignore[attr-defined]
        "direction": writer.link(direction.value, page) if direction else None,  # type: ignore[attr-defined]
        "values": values,
    }


def _element(source: SiteSource, writer: PageWriter, index: SiteIndex,
             runs: dict[str, RunTables], iri: str, row: dict) -> dict:
    page = site_path(iri) + ".html"
    indicators = [{"notation": str(r["notation"]), "link": writer.link(str(r["indicator"]), page),
                   "unit": writer.link(str(r["unit"]), page, str(r["unitLabel"])),
                   "direction": "higher is better" if str(r["higherIsBetter"]).lower() == "true"
                   else "lower is better", "framework": str(r["framework"])}
                  for r in source.run("cq03-indicators-by-aspect", {"aspect": URIRef(iri)})
                  if r.get("indicator") is not None]
    sections = []
    for run, tables in sorted(runs.items()):
        by_year: dict[int, list[dict]] = defaultdict(list)
        for (city, year), rows in tables.scores.items():
            for r in rows:
                if str(r.get("aspect")) == iri and r.get("score") is not None:
                    by_year[year].append({"city": city, "score": float(r["score"]),  # type: ignore[arg-type]
                                          "rank": r.get("rank")})
        for year, rows in sorted(by_year.items()):
            rows.sort(key=lambda r: -r["score"])
            sections.append({"year": year, "link": writer.link(run, page),
                             "rows": [{"rank": r["rank"] if r["rank"] is not None else "-",
                                       "city": writer.link(r["city"], page),
                                       "score": fmt_number(r["score"])} for r in rows]})
    role = (writer.link(str(row["role"]), page, str(row["roleLabel"])) if row.get("role")
            else Markup("{}").format(str(row.get("roleNote") or "the paper names none")))
    return {"section": str(row["section"]), "role": role,
            "definition": str(row["definition"]), "indicators": indicators, "runs": sections}


def _run(writer: PageWriter, index: SiteIndex, tables: RunTables, dumps: list[Dump]) -> dict:
    page = site_path(tables.iri) + ".html"
    codes: dict[str, int] = {}
    for rows in tables.scores.values():
        for r in rows:
            if r.get("code") is not None:
                codes[str(r["code"])] = int(r["level"])  # type: ignore[arg-type]
    ordered = sorted(codes, key=lambda c: (-codes[c], c))
    top = ordered[0] if ordered else None
    table = []
    for (city, year), rows in tables.scores.items():
        by_code = {str(r.get("code")): r for r in rows}
        rank = by_code.get(top, {}).get("rank") if top else None
        balance = tables.balance.get((city, year))
        table.append({"rank": rank if rank is not None else "-", "sort": (
            year, int(rank) if rank is not None else 10**9, index.label(city)),
            "city": writer.link(city, page), "year": year,
            "scores": [fmt_number(by_code.get(c, {}).get("score"), 1) for c in ordered],
            "quadrant": str(balance["quadrant"]) if balance else "-"})
    table.sort(key=lambda r: r["sort"])  # type: ignore[arg-type,return-value]
    dump = next((d for d in dumps if tables.iri in d.graphs), None)
    chart = _ranking_chart(writer, tables)
    return {
        "framework": writer.link(tables.framework, page) if tables.framework else "-",
        "dump": Markup(" · ").join(Markup('<a href="{}">{}</a>').format(
            writer_rel(page, dump.path(f)), f) for f in dump.files) if dump else None,
        "codes": ordered, "rows": table,
        "chart": writer_rel(page, chart) if chart else None,
    }


def _ranking_chart(writer: PageWriter, tables: RunTables) -> str | None:
    """Draw the ranking of a run's latest year with ``assess/charts.py`` (SVG)."""
    results = results_from_rows(r for rows in tables.scores.values() for r in rows)
    if not results:
        return None
    latest = max(r.year for r in results)
    with tempfile.TemporaryDirectory() as tmp, pyplot().rc_context(
            {"svg.hashsalt": "cityculture"}):  # ids from the drawing, not a random salt
        paths = ranking_chart([r for r in results if r.year == latest], Path(tmp))
        svg = next((p for p in paths if p.suffix == ".svg"), None)
        if svg is None:
            return None
        target = site_path(tables.iri) + "-ranking.svg"
        # Without the time of drawing, an unchanged chart republishes as the same bytes.
        writer.files.write(target, re.sub(rb"\s*<dc:date>[^<]*</dc:date>", b"",
                                          svg.read_bytes()))
    writer.written.append(target)
    return target


def _home(source: SiteSource, writer: PageWriter, index: SiteIndex,
          runs: dict[str, RunTables], dumps: list[Dump], nations: set[str],
          catalog: Graph) -> None:
    page = "index.html"
    order = _element_order(index)
    elements = sorted(index.subjects_of_type(CSP + "Element"), key=lambda e: order.get(e, 99))
    cities = sorted(index.subjects_of_type(CSP + "City"), key=index.label)
    indicators = sorted(index.subjects_of_type(CSP + "Indicator"),
                        key=lambda i: index.labels.get(i, {}).get("notation", i))
    scheme = next(iter(index.subjects_of_type(
        "http://www.w3.org/2004/02/skos/core#ConceptScheme")), DEFAULT_BASE + "indicators")
    writer.render("index.html", page, iri=None, formats=False,
                  title="The soft power of city culture: published data",
                  intro="The ontology of the soft power of city culture, its indicator scheme, "
                        "the accepted city data and the assessments computed from them, as "
                        "linked data. Every page has Turtle, JSON-LD and N-Triples twins.",
                  schema_org=schema_org_dataset(catalog, writer.rewriter),
                  catalog_turtle=writer_rel(page, site_path(CATALOG) + ".ttl"),
                  links_html={"catalog": writer.link(CATALOG, page, "Catalog"),
                              "dataset": writer.link(DATASET, page, "Dataset description"),
                              "ontology": writer.link(DEFAULT_BASE + "ontology", page,
                                                      "Ontology documentation"),
                              "indicators": writer.link(scheme, page, "Indicator scheme")},
                  elements=[writer.link(e, page) for e in elements],
                  runs=[writer.link(r, page, f"{index.label(r)} ({index.label(tables.framework)})"
                                    if tables.framework else None)
                        for r, tables in sorted(runs.items())],
                  cities=[writer.link(c, page) for c in cities],
                  quadrants=_quadrants(writer, index, runs, page),
                  nations=[writer.link(n, page, _nation_code(index, n)) for n in sorted(nations)],
                  indicators=[writer.link(i, page, index.labels.get(i, {}).get("notation"))
                              for i in indicators],
                  dumps=[{"title": d.title, "triples": d.triples,
                          "files": [Markup('<a href="{}">{}</a>').format(d.path(f), f)
                                    for f in d.files]} for d in dumps]
                  + [{"title": "Everything, with named graphs (N-Quads)",
                      "triples": sum(d.triples for d in dumps),
                      "files": [Markup('<a href="{}">nquads</a>').format(NQUADS)]}])


def _balance_rows(tables: RunTables, year: int) -> list[dict]:
    return [row for (_, row_year), row in sorted(tables.balance.items()) if row_year == year]


def _quadrants(writer: PageWriter, index: SiteIndex, runs: dict[str, RunTables],
               page: str) -> list[dict]:
    """Draw the soft-versus-hard chart of each run's latest year, for the index page."""
    charts = []
    for run, tables in sorted(runs.items()):
        years = sorted({year for _, year in tables.balance})
        if not years:
            continue
        chart = quadrant_chart(index, tables.framework, _balance_rows(tables, years[-1]),
                               f"{index.label(run)} {years[-1]}: soft and hard power")
        if chart is not None:
            charts.append({"run": writer.link(run, page), "year": years[-1], "chart": chart})
    return charts


def _nation_code(index: SiteIndex, nation: str) -> str:
    for triple in index.inc.get(nation, ()):
        if triple.predicate.value == CSP + "locatedInNation":
            code = index.value(triple.subject.value, CSP + "countryCode")
            if code is not None:
                return code.value  # type: ignore[attr-defined]
    return index.label(nation)


_ = (Literal, RDF_TYPE)
