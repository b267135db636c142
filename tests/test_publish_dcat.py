"""The published description against the official DCAT-AP 3.0.1 SHACL shapes (pySHACL), the
catalog's content, VoID entities as VoID counts them, schema.org markup, sitemap, robots.txt."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pyoxigraph as ox
import pytest
from pyshacl import validate
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SH, SKOS

from tests.publishing import (  # noqa: F401 (base_fixture, site_fixture: fixtures used by name)
    base_fixture,
    request,
    shared_server,
    site_fixture,
)

SHAPES = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "dcat-ap" / "3.0.1"
VOID = "http://rdfs.org/ns/void#"
VCARD = "http://www.w3.org/2006/vcard/ns#"
LOCATION = URIRef("http://purl.org/dc/terms/Location")
needs_shapes = pytest.mark.skipif(not SHAPES.is_dir(), reason="../shared DCAT-AP shapes absent")


@pytest.fixture(scope="module")
def description(site: Path) -> Graph:
    return Graph().parse(site / "dataset.ttl", format="turtle")


def shapes(*names: str) -> Graph:
    graph = Graph()
    for name in names:
        graph.parse(SHAPES / name, format="turtle")
    # The 3.0.1 release's files list five property shapes that neither defines; pySHACL
    # refuses such a shapes graph, so the dangling references are dropped (nothing else).
    for node in set(graph.objects(None, SH.property)):
        if graph.value(node, SH.path) is None:
            graph.remove((None, SH.property, node))
    return graph


def results(data: Graph, shapes_graph: Graph) -> list[tuple[str, str, str, str]]:
    """(severity, focus node, path, constraint) of each top-level result."""
    _, report, _ = validate(data, shacl_graph=shapes_graph, allow_warnings=True)
    return sorted((str(report.value(r, SH.resultSeverity)).rsplit("#", 1)[-1],
                   str(report.value(r, SH.focusNode)), str(report.value(r, SH.resultPath)),
                   str(report.value(r, SH.sourceConstraintComponent)).rsplit("#", 1)[-1])
                  for r in report.objects(None, SH.result))


MANDATORY = (("html/shacl/shapes.ttl",), ("html/shacl/range.ttl",),
             ("shacl/dcat-ap-SHACL.ttl", "shacl/ranges.ttl"))


@needs_shapes
@pytest.mark.parametrize("names", MANDATORY, ids=lambda n: "+".join(n))
@pytest.mark.parametrize("document", ["dataset.ttl", "catalog.ttl"])
def test_no_violation_of_the_official_shapes(site: Path, document: str,
                                             names: tuple[str, ...]) -> None:
    data = Graph().parse(site / document, format="turtle")
    found = [r for r in results(data, shapes(*names)) if r[0] == "Violation"]
    assert not found, found[:10]


@needs_shapes
def test_the_shapes_catch_what_they_should(description: Graph, base: str) -> None:
    """The same shapes on a copy spoiled the way descriptions often are: each is caught."""
    spoiled = Graph()
    for triple in description:
        spoiled.add(triple)
    dataset = URIRef(base + "dataset/data")
    spoiled.add((dataset, DCTERMS.creator, Literal("cityculture")))  # a literal agent
    spoiled.remove((None, RDF.type, LOCATION))  # untyped spatial coverage
    catalog = URIRef(base + "catalog")
    spoiled.remove((catalog, DCTERMS.description, None))  # a mandatory property
    found = {(r[1], r[2]) for r in results(spoiled, shapes(*MANDATORY[0], *MANDATORY[1]))
             if r[0] == "Violation"}
    assert (str(dataset), str(DCTERMS.creator)) in found
    assert (str(catalog), str(DCTERMS.description)) in found
    assert (str(catalog), str(DCTERMS.spatial)) in found


@needs_shapes
def test_recommended_shapes_unmet_only_where_the_data_do_not_allow(description: Graph,
                                                                     base: str) -> None:
    """What the README says is not met, and nothing else (a change shows up here)."""
    found = {(r[1][len(base):] if r[1].startswith(base) else r[1], r[2].rsplit("/", 1)[-1]
              .rsplit("#", 1)[-1])
             for r in results(description, shapes("html/shacl/shapes_recommended.ttl"))}
    nations = {str(n)[len(base):] for n in description.subjects(RDF.type, LOCATION)}
    runs = {str(p)[len(base):] for p in description.objects(URIRef(base + "dataset"),
                                                            DCTERMS.hasPart)
            if "/run-" in str(p)}
    # no licence is stated by the example's source, so none is given for the data
    unlicensed = {f"dataset/{p}/{f}" for p in ("data", *[r.split("/", 1)[1] for r in runs])
                  for f in ("turtle", "nt", "jsonld")} | {"dataset/nquads"}
    expected = ({(d, "license") for d in unlicensed}
                # the model parts have no place or time
                | {(f"dataset/{p}", c) for p in ("ontology", "indicators", "frameworks")
                   for c in ("spatial", "temporal")}
                # nations are IRIs of the data, without geometry
                | {(n, c) for n in nations for c in ("bbox", "centroid")})
    assert found == expected
    assert len(nations) > 20


@needs_shapes
def test_vocabulary_shapes_hold(description: Graph) -> None:
    """The EU vocabulary shapes: only warnings, for what no EU table names (nations, us)."""
    found = results(description, shapes("html/shacl/mdr-vocabularies.shape.ttl"))
    assert {(r[0], r[2].rsplit("/", 1)[-1]) for r in found} == {
        ("Warning", "spatial"), ("Warning", "publisher")}


def test_catalog_lists_datasets_and_service(description: Graph, base: str) -> None:
    catalog = URIRef(base + "catalog")
    assert (catalog, RDF.type, DCAT.Catalog) in description
    datasets = set(description.objects(catalog, DCAT.dataset))
    parts = set(description.objects(URIRef(base + "dataset"), DCTERMS.hasPart))
    assert datasets == {URIRef(base + "dataset"), *parts} and len(parts) >= 5
    service = description.value(catalog, DCAT.service)
    assert service == URIRef(base + "sparql")
    assert set(description.objects(service, DCAT.servesDataset)) == datasets
    assert description.value(catalog, FOAF.homepage) == URIRef(base)
    themes = set(description.objects(catalog, DCAT.themeTaxonomy))
    assert themes == {URIRef("http://publications.europa.eu/resource/authority/data-theme")}
    for dataset in datasets:
        for theme in description.objects(dataset, DCAT.theme):
            assert str(theme).startswith(str(next(iter(themes))) + "/")
            assert description.value(theme, SKOS.prefLabel) is not None
    agent = description.value(catalog, DCTERMS.publisher)
    assert (agent, RDF.type, FOAF.Agent) in description
    assert str(description.value(agent, DCTERMS.type)).endswith("/NonProfitOrganisation")
    contact = description.value(URIRef(base + "dataset"), DCAT.contactPoint)
    assert (contact, RDF.type, URIRef(VCARD + "Kind")) in description
    assert description.value(contact, URIRef(VCARD + "hasEmail")) == URIRef(
        "mailto:data@example.org")
    period = description.value(catalog, DCTERMS.temporal)
    assert str(description.value(period, DCAT.startDate)) == "2023-01-01"
    assert str(description.value(period, DCAT.endDate)) == "2023-12-31"
    assert description.value(catalog, DCTERMS.modified) is not None


def test_distributions_are_typed(description: Graph) -> None:
    distributions = set(description.subjects(RDF.type, DCAT.Distribution))
    assert len(distributions) >= 16
    for d in distributions:
        media = description.value(d, DCAT.mediaType)
        assert (media, RDF.type, DCTERMS.MediaType) in description, d
        fmt = description.value(d, DCTERMS.format)
        assert str(fmt).startswith("http://publications.europa.eu/resource/authority/"
                                   "file-type/"), d
        rights = description.value(d, DCTERMS.rights)
        assert (rights, RDF.type, DCTERMS.RightsStatement) in description, d
        assert str(description.value(d, URIRef("http://data.europa.eu/r5r/availability")
                                     )).endswith("/AVAILABLE"), d
        licence = description.value(d, DCTERMS.license)
        if licence is not None:
            assert (licence, RDF.type, DCTERMS.LicenseDocument) in description
            assert description.value(licence, DCTERMS.type) is not None


def test_void_entities_count_distinct_iris_described(site: Path, description: Graph,
                                                     base: str) -> None:
    data = Graph().parse(site / "dumps/data.nt", format="nt")
    described = {s for s in data.subjects() if str(s).startswith(base)}
    observations = set(data.subjects(RDF.type, URIRef(base + "ontology/Observation")))
    entities = int(description.value(URIRef(base + "dataset/data"), URIRef(VOID + "entities")))
    assert entities == len(described) > len(observations)  # cities, agents... counted too
    everything = {q.subject.value for q in ox.parse(path=str(site / "dumps/all.nq"),
                                                     format=ox.RdfFormat.N_QUADS)
                  if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(base)}
    whole = int(description.value(URIRef(base + "dataset"), URIRef(VOID + "entities")))
    assert whole == len(everything)


def schema_org(page: str) -> dict:
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert len(found) == 1
    return json.loads(found[0])


def test_index_page_carries_schema_org_dataset(site: Path, base: str) -> None:
    page = (site / "index.html").read_text()
    markup = schema_org(page)
    assert markup["@type"] == "Dataset" and markup["@context"] == "https://schema.org/"
    assert markup["name"] and len(markup["description"]) > 50
    assert markup["temporalCoverage"] == "2023"
    assert markup["includedInDataCatalog"]["@id"] == base + "catalog"
    assert markup["publisher"]["name"] == "The cityculture project"
    urls = [d["contentUrl"] for d in markup["distribution"]]
    assert base + "dumps/all.nq" in urls and len(urls) >= 16
    for url in urls:
        assert (site / url[len(base):]).is_file(), url
    licences = {p.get("license") for p in markup["hasPart"]}
    assert "https://creativecommons.org/licenses/by/4.0/" in licences
    assert "license" not in markup  # the parts do not share one licence
    assert 'href="catalog.ttl"' in page


def test_sitemap_lists_every_page_and_robots_points_to_it(site: Path, base: str) -> None:
    tree = ET.parse(site / "sitemap.xml")
    namespace = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    urls = {e.text for e in tree.getroot().findall("s:url/s:loc", namespace)}
    pages = {str(p.relative_to(site)) for p in site.rglob("*.html")}
    assert urls == {base if p == "index.html" else base + p for p in pages}
    robots = (site / "robots.txt").read_text()
    assert f"Sitemap: {base}sitemap.xml" in robots
    assert "Disallow: /sparql" in robots


def test_served_with_their_media_types() -> None:
    server = shared_server()
    for path, media in (("/robots.txt", "text/plain"), ("/sitemap.xml", "application/xml"),
                        ("/catalog.ttl", "text/turtle")):
        status, headers, body = request(server.url + path)
        assert status == 200 and headers["content-type"].startswith(media), path
        assert body, path


def test_untrusted_publisher_name_cannot_leave_the_script(tmp_path: Path) -> None:
    from cityculture.publish.describe import Publisher
    from cityculture.publish.site import publish_site
    from cityculture.publish.source import store_source
    from cityculture.store.backends import OxigraphBackend

    with OxigraphBackend(tmp_path / "store") as store:
        store.replace_graph("https://w3id.org/cityculture/submission/x",
                            b'<https://w3id.org/cityculture/city/Q1> '
                            b'<http://www.w3.org/2000/01/rdf-schema#label> "A" .\n')
    evil = '</script><script>alert(1)</script>&<!--'
    publish_site(store_source(tmp_path / "store"), tmp_path / "site",
                 publisher=Publisher(name=evil))
    page = (tmp_path / "site" / "index.html").read_text()
    assert page.count("</script>") == 1 and "<script>alert" not in page
    assert schema_org(page)["publisher"]["name"] == evil
    description = Graph().parse(tmp_path / "site" / "catalog.ttl", format="turtle")
    assert Literal(evil) in set(description.objects(None, FOAF.name))
