"""The description of a published dataset in DCAT 3 and VoID.

One ``dcat:Dataset`` (also a ``void:Dataset``) for the whole, with one subset per part
(ontology, indicator scheme, accepted data, frameworks, each assessment run); each part has
one ``dcat:Distribution`` per dump file with its media type, download URL and size, and a
triple count; a ``dcat:DataService`` for the SPARQL endpoint. Licences: CC BY 4.0 for the
ontology and the scheme (as they state); for data, what the submissions state, otherwise a
rights statement that no licence was stated and whom to cite. Coverage (years, nations) and
sources come from the data, by query (``queries/site-coverage.rq``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, XSD

from cityculture import __version__
from cityculture.publish.dumps import DUMP_FORMATS, Dump
from cityculture.publish.iris import DEFAULT_BASE
from cityculture.publish.source import SiteSource

VOID = Namespace("http://rdfs.org/ns/void#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
CC_BY = URIRef("https://creativecommons.org/licenses/by/4.0/")
IANA = "https://www.iana.org/assignments/media-types/"

DATASET = DEFAULT_BASE + "dataset"
"""The IRI of the whole published dataset (before rewriting to the publisher's base)."""
SPARQL = DEFAULT_BASE + "sparql"
"""The IRI of the read-only SPARQL endpoint ``cityculture serve`` answers at."""


@dataclass(frozen=True)
class Publisher:
    """Who publishes the site (dct:publisher)."""

    name: str = "The cityculture project"
    homepage: str | None = None


def describe(source: SiteSource, dumps: list[Dump], *, publisher: Publisher,
             nquads_path: str, nquads_size: int, quads: int) -> Graph:
    """Build the DCAT 3 + VoID description of a site (IRIs under the default base)."""
    graph = Graph()
    for prefix, namespace in (("dcat", DCAT), ("dcterms", DCTERMS), ("void", VOID),
                              ("foaf", FOAF), ("sd", SD), ("xsd", XSD), ("rdfs", RDFS)):
        graph.bind(prefix, namespace)
    dataset = URIRef(DATASET)
    service = URIRef(SPARQL)
    agent = BNode("publisher")
    graph.add((agent, RDF.type, FOAF.Agent))
    graph.add((agent, FOAF.name, Literal(publisher.name)))
    if publisher.homepage:
        graph.add((agent, FOAF.homepage, URIRef(publisher.homepage)))

    coverage = source.run("site-coverage")
    graph.add((dataset, RDF.type, DCAT.Dataset))
    graph.add((dataset, RDF.type, VOID.Dataset))
    graph.add((dataset, DCTERMS.title, Literal("The soft power of city culture: ontology, "
                                               "indicators, city data and assessments", lang="en")))
    graph.add((dataset, DCTERMS.description, Literal(
        "The OWL ontology and SKOS indicator scheme of the soft power of city culture, the "
        "accepted city observations with their provenance, and the assessments computed from "
        "them (element scores, cultural soft power and hard power indices, ranks), as linked "
        "data: dumps, one page per resource with content negotiation, and a SPARQL endpoint.",
        lang="en")))
    graph.add((dataset, DCTERMS.publisher, agent))
    graph.add((dataset, DCTERMS.issued, Literal(date.today().isoformat(), datatype=XSD.date)))
    graph.add((dataset, DCTERMS.conformsTo, URIRef(DEFAULT_BASE + "ontology")))
    graph.add((dataset, VOID.uriSpace, Literal(DEFAULT_BASE)))
    graph.add((dataset, VOID.vocabulary, URIRef(DEFAULT_BASE + "ontology/")))
    graph.add((dataset, VOID.sparqlEndpoint, service))
    graph.add((dataset, VOID.triples, Literal(quads)))
    graph.add((dataset, VOID.dataDump, URIRef(DEFAULT_BASE + nquads_path)))
    graph.add((dataset, DCTERMS.creator, Literal(f"cityculture {__version__}")))
    _coverage(graph, dataset, coverage)
    whole = _distribution(graph, URIRef(DATASET + "/nquads"), DEFAULT_BASE + nquads_path,
                          DUMP_FORMATS["nquads"].media_type, nquads_size,
                          DUMP_FORMATS["nquads"].spec)
    graph.add((dataset, DCAT.distribution, whole))

    for dump in dumps:
        part = URIRef(f"{DATASET}/{dump.name}")
        graph.add((dataset, VOID.subset, part))
        graph.add((dataset, DCTERMS.hasPart, part))
        graph.add((part, RDF.type, DCAT.Dataset))
        graph.add((part, RDF.type, VOID.Dataset))
        graph.add((part, DCTERMS.title, Literal(dump.title, lang="en")))
        graph.add((part, DCTERMS.description, Literal(dump.description, lang="en")))
        graph.add((part, DCTERMS.isPartOf, dataset))
        graph.add((part, DCTERMS.publisher, agent))
        graph.add((part, VOID.triples, Literal(dump.triples)))
        graph.add((part, VOID.sparqlEndpoint, service))
        if dump.licence:
            graph.add((part, DCTERMS.license, URIRef(dump.licence)))
        if dump.rights:
            graph.add((part, DCTERMS.rights, Literal(dump.rights, lang="en")))
        for name in dump.graphs:
            graph.add((part, SD.name, URIRef(name)))
        for fmt, path in dump.files.items():
            distribution = URIRef(f"{DATASET}/{dump.name}/{fmt}")
            _distribution(graph, distribution, DEFAULT_BASE + dump.path(fmt),
                          DUMP_FORMATS[fmt].media_type, path.stat().st_size,
                          DUMP_FORMATS[fmt].spec)
            graph.add((part, DCAT.distribution, distribution))
            graph.add((part, VOID.dataDump, URIRef(DEFAULT_BASE + dump.path(fmt))))
            if dump.licence:
                graph.add((distribution, DCTERMS.license, URIRef(dump.licence)))
            if dump.rights:
                graph.add((distribution, DCTERMS.rights, Literal(dump.rights, lang="en")))

    graph.add((service, RDF.type, DCAT.DataService))
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, DCTERMS.title, Literal("Read-only SPARQL 1.1 endpoint", lang="en")))
    graph.add((service, DCAT.endpointURL, service))
    graph.add((service, SD.endpoint, service))
    graph.add((service, DCAT.servesDataset, dataset))
    graph.add((service, DCTERMS.conformsTo, URIRef("https://www.w3.org/TR/sparql11-protocol/")))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    for media in ("application/sparql-results+json", "application/sparql-results+xml",
                  "text/csv", "text/tab-separated-values", "text/turtle",
                  "application/n-triples", "application/ld+json"):
        graph.add((service, SD.resultFormat, URIRef(IANA + media)))
    graph.add((service, SD.feature, SD.UnionDefaultGraph))
    graph.add((dataset, DCAT.accessService, service))
    return graph


def _distribution(graph: Graph, node: URIRef, url: str, media_type: str, size: int,
                  spec: str) -> URIRef:
    graph.add((node, RDF.type, DCAT.Distribution))
    graph.add((node, DCAT.downloadURL, URIRef(url)))
    graph.add((node, DCAT.accessURL, URIRef(url)))
    graph.add((node, DCAT.mediaType, URIRef(IANA + media_type)))
    graph.add((node, DCTERMS.format, URIRef(spec)))
    graph.add((node, DCAT.byteSize, Literal(size, datatype=XSD.nonNegativeInteger)))
    graph.add((node, DCTERMS.title, Literal(f"{url.rsplit('/', 1)[-1]} ({media_type})")))
    return node


def _coverage(graph: Graph, dataset: URIRef, rows: list[dict]) -> None:
    """Temporal and spatial coverage and sources, from ``site-coverage.rq``."""
    if not rows or rows[0].get("start") is None:
        return
    first = rows[0]
    period = BNode("temporal")
    graph.add((dataset, DCTERMS.temporal, period))
    graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
    graph.add((period, DCAT.startDate, Literal(f"{int(first['start']):04d}-01-01",
                                               datatype=XSD.date)))
    graph.add((period, DCAT.endDate, Literal(f"{int(first['end']):04d}-12-31",
                                             datatype=XSD.date)))
    graph.add((dataset, VOID.entities, Literal(int(first["observations"]))))
    for row in rows:
        if row.get("nation") is not None:
            graph.add((dataset, DCTERMS.spatial, row["nation"]))
        if row.get("source") is not None:
            graph.add((dataset, DCTERMS.source, Literal(str(row["source"]))))
        if row.get("licence") is not None:
            graph.add((dataset, DCTERMS.license, row["licence"]))


def data_rights(source: SiteSource) -> tuple[str | None, str]:
    """Return the licence the submissions state (if one) and a rights statement for the data.

    No licence is invented: without one, the statement says none was stated and cites the
    sources the observations name.
    """
    rows = source.run("site-coverage")
    licences = sorted({str(r["licence"]) for r in rows if r.get("licence") is not None})
    sources = sorted({str(r["source"]) for r in rows if r.get("source") is not None})
    bodies = sorted({str(r["body"]) for r in rows if r.get("body") is not None})
    cite = "; ".join(sources) or "the submitting bodies"
    if len(licences) == 1:
        return licences[0], f"Licence stated by the submission. Cite: {cite}."
    by = f" by {', '.join(bodies)}" if bodies else ""
    return None, (f"No licence is stated by the source{by}; the data are republished "
                  f"with attribution. Cite: {cite}.")
