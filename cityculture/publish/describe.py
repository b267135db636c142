"""The description of a published site: a DCAT-AP 3 catalog, with VoID statistics.

A ``dcat:Catalog`` lists the datasets (the whole, also a ``void:Dataset``, and one part per
ontology, indicator scheme, accepted data, frameworks and each assessment run) and the
SPARQL ``dcat:DataService``. Each part has one ``dcat:Distribution`` per dump file, with an
IANA media type, an EU file type, its size, a licence document where one is known, a rights
statement and its availability. Every term the description borrows from a controlled
vocabulary comes with the type, label and scheme the DCAT-AP 3.0.1 shapes check
(``catalog.ttl``), since nothing may be fetched. Coverage comes from the data: the reference
years and nations of the observations (``queries/site-coverage.rq``), and for each run the
years and cities it scored. ``void:entities`` counts, as VoID defines it, the distinct
IRIs under the URI space that a dataset describes.

Licences: CC BY 4.0 for the ontology and the scheme (as they state); for data, what the
submissions state, otherwise none (a rights statement says so and whom to cite).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, RDF, RDFS, SKOS, XSD

from cityculture.namespaces import CATALOG, CSP, DATASET, SPARQL_SERVICE
from cityculture.publish.dumps import DUMP_FORMATS, Dump
from cityculture.publish.iris import DEFAULT_BASE
from cityculture.publish.source import SiteSource

VOID = Namespace("http://rdfs.org/ns/void#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
CC_BY = URIRef("https://creativecommons.org/licenses/by/4.0/")
IANA = "https://www.iana.org/assignments/media-types/"
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
AVAILABLE = URIRef("http://publications.europa.eu/resource/authority/planned-availability/"
                   "AVAILABLE")
PUBLISHER_TYPES = URIRef("http://purl.org/adms/publishertype/1.0")
TERMS = Path(__file__).resolve().parent / "catalog.ttl"


class PublisherError(ValueError):
    """A publisher option or configuration file that cannot be used (the message says why)."""


@dataclass(frozen=True)
class Publisher:
    """Who publishes the site (``dct:publisher``) and how to reach them (``dcat:contactPoint``).

    ``type`` is a code of the ADMS publisher type vocabulary (``LocalAuthority``...). The
    contact point is written only when an e-mail address or a contact URL is given.
    """

    name: str = "The cityculture project"
    homepage: str | None = None
    type: str | None = None
    email: str | None = None
    contact_url: str | None = None

    def checked(self) -> Publisher:
        """Return the publisher if every field is usable; raise :class:`PublisherError`."""
        if not self.name.strip():
            raise PublisherError("publisher name: empty")
        for key in ("homepage", "contact_url"):
            value = getattr(self, key)
            if value is not None and not re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", value):
                raise PublisherError(f"publisher {key}: not an http(s) URL: {value!r}")
        if self.email is not None and not re.fullmatch(r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+",
                                                       self.email):
            raise PublisherError(f"publisher email: not an e-mail address: {self.email!r}")
        if self.type is not None and self.type not in publisher_types():
            raise PublisherError(f"publisher type: unknown {self.type!r} (one of: "
                                 f"{', '.join(sorted(publisher_types()))})")
        return self


def load_publisher(path: Path, **options: str | None) -> Publisher:
    """Read a publisher file (TOML: name, homepage, type, email, contact_url), then options.

    Options that are not None override the file. An unknown key is an error naming it.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PublisherError(f"{path}: cannot read the publisher file: {exc}") from None
    known = {f.name for f in fields(Publisher)}
    for key, value in data.items():
        if key not in known:
            raise PublisherError(f"{path}: unknown key {key!r} (known: {', '.join(sorted(known))})")
        if not isinstance(value, str):
            raise PublisherError(f"{path}: {key} must be a string, not {type(value).__name__}")
    publisher = Publisher(**data)
    publisher = replace(publisher, **{k: v for k, v in options.items() if v is not None})
    try:
        return publisher.checked()
    except PublisherError as exc:
        raise PublisherError(f"{path}: {exc}") from None


@lru_cache(maxsize=1)
def _terms() -> Graph:
    return Graph().parse(TERMS, format="turtle")


@lru_cache(maxsize=1)
def publisher_types() -> dict[str, URIRef]:
    """Return the ADMS publisher types ``catalog.ttl`` describes, by code."""
    terms = _terms()
    return {str(terms.value(c, SKOS.notation)): c  # type: ignore[misc]
            for c in terms.subjects(SKOS.inScheme, PUBLISHER_TYPES)}


@dataclass(frozen=True)
class Dates:
    """When a dataset was first published and last changed (``dct:issued``, ``dct:modified``)."""

    issued: str
    modified: str


def count_entities(triples: Iterable[ox.Triple], base: str = DEFAULT_BASE) -> int:
    """Count the distinct IRIs under ``base`` that triples describe (VoID's void:entities).

    >>> t = ox.Triple(ox.NamedNode("https://w3id.org/cityculture/city/Q90"),
    ...               ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), ox.Literal("P"))
    >>> count_entities([t, t])
    1
    """
    return len({t.subject.value for t in triples
                if isinstance(t.subject, ox.NamedNode) and t.subject.value.startswith(base)})


class _Description:
    """Builds the description graph; one method per kind of node."""

    def __init__(self, publisher: Publisher) -> None:
        self.graph = Graph()
        for prefix, namespace in (("dcat", DCAT), ("dcterms", DCTERMS), ("void", VOID),
                                  ("foaf", FOAF), ("sd", SD), ("xsd", XSD), ("rdfs", RDFS),
                                  ("vcard", VCARD), ("dcatap", DCATAP), ("skos", SKOS),
                                  ("prov", PROV)):
            self.graph.bind(prefix, namespace)
        self.agent = self._publisher(publisher)
        self.contact = self._contact(publisher)
        terms = _terms()
        self.themes = list(terms.objects(URIRef(DATASET), DCAT.theme))
        self.keywords = list(terms.objects(URIRef(DATASET), DCAT.keyword))

    def add(self, *triple: object) -> None:
        self.graph.add(triple)  # type: ignore[arg-type]

    def copy(self, node: URIRef) -> None:
        """Copy what ``catalog.ttl`` says of one of the site's own nodes."""
        for p, o in _terms().predicate_objects(node):
            self.add(node, p, o)

    def _publisher(self, publisher: Publisher) -> BNode:
        agent = BNode("publisher")
        self.add(agent, RDF.type, FOAF.Agent)
        self.add(agent, FOAF.name, Literal(publisher.name))
        if publisher.homepage:
            self.add(agent, FOAF.homepage, URIRef(publisher.homepage))
        if publisher.type:
            self.add(agent, DCTERMS.type, publisher_types()[publisher.type])
        return agent

    def _contact(self, publisher: Publisher) -> BNode | None:
        if not (publisher.email or publisher.contact_url):
            return None
        contact = BNode("contact")
        self.add(contact, RDF.type, VCARD.Kind)
        self.add(contact, VCARD.fn, Literal(publisher.name))
        if publisher.email:
            self.add(contact, VCARD.hasEmail, URIRef("mailto:" + publisher.email))
        if publisher.contact_url:
            self.add(contact, VCARD.hasURL, URIRef(publisher.contact_url))
        return contact

    def common(self, node: URIRef) -> None:
        """Add what every dataset and the service share: publisher, contact, themes, keywords."""
        self.add(node, DCTERMS.publisher, self.agent)
        if self.contact is not None:
            self.add(node, DCAT.contactPoint, self.contact)
        for theme in self.themes:
            self.add(node, DCAT.theme, theme)
        for keyword in self.keywords:
            self.add(node, DCAT.keyword, keyword)

    def rights(self, name: str, text: str) -> BNode:
        statement = BNode(f"rights-{name}")
        self.add(statement, RDF.type, DCTERMS.RightsStatement)
        self.add(statement, RDFS.label, Literal(text, lang="en"))
        return statement

    def coverage(self, node: URIRef, name: str, years: tuple[int, int] | None,
                 nations: Iterable[URIRef]) -> None:
        if years is not None:
            period = BNode(f"temporal-{name}")
            self.add(node, DCTERMS.temporal, period)
            self.add(period, RDF.type, DCTERMS.PeriodOfTime)
            self.add(period, DCAT.startDate, Literal(f"{years[0]:04d}-01-01", datatype=XSD.date))
            self.add(period, DCAT.endDate, Literal(f"{years[1]:04d}-12-31", datatype=XSD.date))
        for nation in nations:
            self.add(node, DCTERMS.spatial, nation)
            self.add(nation, RDF.type, DCTERMS.Location)

    def distribution(self, node: URIRef, path: str, fmt: str, size: int, title: str,
                     licence: str | None, rights: BNode) -> URIRef:
        dump = DUMP_FORMATS[fmt]
        url = URIRef(DEFAULT_BASE + path)
        self.add(node, RDF.type, DCAT.Distribution)
        self.add(node, DCAT.downloadURL, url)
        self.add(node, DCAT.accessURL, url)
        self.add(node, DCAT.mediaType, URIRef(IANA + dump.media_type))
        self.add(node, DCTERMS.format, URIRef(FILE_TYPE + dump.file_type))
        self.add(node, DCAT.byteSize, Literal(size, datatype=XSD.nonNegativeInteger))
        self.add(node, DCTERMS.title, Literal(f"{path.rsplit('/', 1)[-1]} ({dump.label})"))
        self.add(node, DCTERMS.description, Literal(f"{title}, in {dump.label}.", lang="en"))
        self.add(node, DCATAP.availability, AVAILABLE)
        self.add(node, DCTERMS.rights, rights)
        if licence:
            self.add(node, DCTERMS.license, URIRef(licence))
        return node

    def dates(self, node: URIRef, dates: Dates) -> None:
        self.add(node, DCTERMS.issued, Literal(dates.issued, datatype=XSD.date))
        self.add(node, DCTERMS.modified, Literal(dates.modified, datatype=XSD.date))

    def borrowed_terms(self) -> None:
        """Add what ``catalog.ttl`` says of each borrowed term (and of terms those use).

        A licence no file describes (one a submission states) is still typed as a licence
        document, as the range shapes ask; its type of licence stays unknown.
        """
        terms = _terms()
        done: set[URIRef] = set()
        while True:
            todo = {o for o in self.graph.objects() if isinstance(o, URIRef) and o not in done}
            if not todo:
                break
            for term in todo:
                done.add(term)
                for p, o in terms.predicate_objects(term):
                    self.add(term, p, o)
        for licence in set(self.graph.objects(None, DCTERMS.license)):
            self.add(licence, RDF.type, DCTERMS.LicenseDocument)
        for path, prefix in ((DCAT.mediaType, IANA), (DCTERMS.format, FILE_TYPE)):
            for term in set(self.graph.objects(None, path)):
                if (term, RDF.type, None) not in self.graph:
                    raise ValueError(f"{TERMS.name} does not describe {term} ({prefix})")


def describe(source: SiteSource, dumps: list[Dump], *, publisher: Publisher,
             nquads_path: str, nquads_size: int, quads: int, entities: int,
             dates: Mapping[str, Dates]) -> Graph:
    """Build the DCAT-AP 3 + VoID description of a site (IRIs under the default base).

    ``dates`` holds the issue and modification dates of each part by name, and of the
    whole under ``""``.
    """
    d = _Description(publisher.checked())
    catalog, dataset, service = URIRef(CATALOG), URIRef(DATASET), URIRef(SPARQL_SERVICE)
    rows = source.run("site-coverage")
    years, nations = _data_coverage(rows)
    _, data_rights_text = data_rights(source)

    d.add(catalog, RDF.type, DCAT.Catalog)
    d.copy(catalog)
    d.add(catalog, DCTERMS.publisher, d.agent)
    homepage = URIRef(DEFAULT_BASE)
    d.add(catalog, FOAF.homepage, homepage)
    d.add(homepage, RDF.type, FOAF.Document)
    d.add(catalog, DCAT.dataset, dataset)
    d.add(catalog, DCAT.service, service)
    d.coverage(catalog, "catalog", years, nations)
    d.dates(catalog, dates[""])

    d.add(dataset, RDF.type, DCAT.Dataset)
    d.add(dataset, RDF.type, VOID.Dataset)
    d.copy(dataset)
    d.common(dataset)
    d.dates(dataset, dates[""])
    d.add(dataset, VOID.uriSpace, Literal(DEFAULT_BASE))
    d.add(dataset, VOID.vocabulary, URIRef(DEFAULT_BASE + "ontology/"))
    d.add(dataset, VOID.sparqlEndpoint, service)
    d.add(dataset, VOID.triples, Literal(quads))
    d.add(dataset, VOID.entities, Literal(entities))
    d.add(dataset, VOID.dataDump, URIRef(DEFAULT_BASE + nquads_path))
    d.add(dataset, DCAT.accessService, service)
    d.coverage(dataset, "dataset", years, nations)
    provenance = _provenance(rows)
    if provenance:
        statement = BNode("provenance-data")
        d.add(statement, RDF.type, DCTERMS.ProvenanceStatement)
        d.add(statement, RDFS.label, Literal(provenance, lang="en"))
        d.add(dataset, DCTERMS.provenance, statement)
    whole_rights = d.rights("all", "The ontology, the indicator scheme and the frameworks are "
                            "licensed under CC BY 4.0. The data: " + data_rights_text)
    whole = d.distribution(URIRef(DATASET + "/nquads"), nquads_path, "nquads", nquads_size,
                           "Everything published, with its named graphs", None, whole_rights)
    d.add(whole, DCAT.accessService, service)
    d.add(dataset, DCAT.distribution, whole)

    cities = _city_nations(source)
    has_data = any(dump.name == "data" for dump in dumps)
    for dump in dumps:
        part = URIRef(f"{DATASET}/{dump.name}")
        d.add(catalog, DCAT.dataset, part)
        d.add(service, DCAT.servesDataset, part)
        d.add(dataset, VOID.subset, part)
        d.add(dataset, DCTERMS.hasPart, part)
        d.add(part, RDF.type, DCAT.Dataset)
        d.add(part, RDF.type, VOID.Dataset)
        d.add(part, DCTERMS.title, Literal(dump.title, lang="en"))
        d.add(part, DCTERMS.description, Literal(dump.description, lang="en"))
        d.add(part, DCTERMS.isPartOf, dataset)
        d.common(part)
        d.dates(part, dates[dump.name])
        d.add(part, VOID.triples, Literal(dump.triples))
        d.add(part, VOID.entities, Literal(dump.entities))
        d.add(part, VOID.sparqlEndpoint, service)
        for name in dump.graphs:
            d.add(part, SD.name, URIRef(name))
        if dump.licence:
            d.add(part, DCTERMS.license, URIRef(dump.licence))
        if dump.name != "ontology":
            d.add(part, DCTERMS.conformsTo, URIRef(DEFAULT_BASE + "ontology"))
        if dump.name == "data":
            d.coverage(part, dump.name, years, nations)
            if provenance:
                d.add(part, DCTERMS.provenance, BNode("provenance-data"))
        elif dump.name.startswith("run-"):
            run_years, run_nations = _run_coverage(source, dump, cities)
            d.coverage(part, dump.name, run_years, run_nations)
            if has_data:  # the run scored the accepted data
                d.add(part, DCTERMS.source, URIRef(DATASET + "/data"))
            for run in dump.graphs:
                d.add(part, PROV.wasGeneratedBy, URIRef(run))
                d.add(URIRef(run), RDF.type, PROV.Activity)
        rights = d.rights(dump.name, dump.rights or (
            "Licensed under CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/), as the "
            "files state." if dump.licence == str(CC_BY) else "No licence is stated."))
        for fmt, path in dump.files.items():
            distribution = d.distribution(URIRef(f"{DATASET}/{dump.name}/{fmt}"),
                                          dump.path(fmt), fmt, path.stat().st_size, dump.title,
                                          dump.licence, rights)
            d.add(part, DCAT.distribution, distribution)
            d.add(part, VOID.dataDump, URIRef(DEFAULT_BASE + dump.path(fmt)))

    d.add(service, RDF.type, DCAT.DataService)
    d.add(service, RDF.type, SD.Service)
    d.add(service, RDF.type, RDFS.Resource)  # the range shapes ask endpoints to be typed
    d.copy(service)
    d.common(service)
    d.add(service, DCAT.endpointURL, service)
    d.add(service, DCAT.endpointDescription, service)  # answers with this description
    d.add(service, SD.endpoint, service)
    d.add(service, DCAT.servesDataset, dataset)
    d.add(service, SD.supportedLanguage, SD.SPARQL11Query)
    for media in ("application/sparql-results+json", "application/sparql-results+xml",
                  "text/csv", "text/tab-separated-values", "text/turtle",
                  "application/n-triples", "application/ld+json"):
        d.add(service, SD.resultFormat, URIRef(IANA + media))
    d.add(service, SD.feature, SD.UnionDefaultGraph)
    d.borrowed_terms()
    return d.graph


def _data_coverage(rows: list[dict]) -> tuple[tuple[int, int] | None, list[URIRef]]:
    if not rows or rows[0].get("start") is None:
        return None, []
    years = (int(rows[0]["start"]), int(rows[0]["end"]))
    nations = sorted({URIRef(str(r["nation"])) for r in rows if r.get("nation") is not None})
    return years, nations


def _provenance(rows: list[dict]) -> str | None:
    sources = sorted({str(r["source"]) for r in rows if r.get("source") is not None})
    bodies = sorted({str(r["body"]) for r in rows if r.get("body") is not None})
    if not (sources or bodies):
        return None
    parts = []
    if bodies:
        parts.append(f"Submitted by {', '.join(bodies)}")
    if sources:
        parts.append(f"the observations cite: {'; '.join(sources)}")
    return "; ".join(parts) + ". Each observation names its file, row and column."


def _city_nations(source: SiteSource) -> dict[str, URIRef]:
    nation = ox.NamedNode(str(CSP.locatedInNation))
    return {q.subject.value: URIRef(q.object.value)
            for q in source.store.quads_for_pattern(None, nation, None, None)
            if isinstance(q.object, ox.NamedNode)}


def _run_coverage(source: SiteSource, dump: Dump, cities: Mapping[str, URIRef]
                  ) -> tuple[tuple[int, int] | None, list[URIRef]]:
    """Return the reference years and the nations of the cities a run scored."""
    years: set[int] = set()
    nations: set[URIRef] = set()
    for graph in dump.graphs:
        found = source.select(
            f"SELECT DISTINCT ?year ?city WHERE {{ GRAPH <{graph}> {{ "
            f"{{ ?s <{CSP.refYear}> ?year }} UNION {{ ?s <{CSP.city}> ?city }} }} }}")
        for row in found:
            year, city = row.get("year"), row.get("city")
            if isinstance(year, Literal):
                try:
                    years.add(int(str(year)))
                except ValueError:
                    continue
            elif city is not None and str(city) in cities:
                nations.add(cities[str(city)])
    return ((min(years), max(years)) if years else None), sorted(nations)


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
