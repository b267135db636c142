"""`cityculture publish`: dumps that parse back to the same graphs, a DCAT 3 and VoID
description that matches the files, IRIs rewritten to the publisher's base, escaped HTML."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, RDF, RDFS

from cityculture.model import indicators_path, ontology_path
from tests.publishing import (  # noqa: F401 (base_fixture, site_fixture: fixtures used by name)
    ROOT,
    base_fixture,
    cli,
    site_fixture,
)

VOID = "http://rdfs.org/ns/void#"
RDF_FORMATS = {".ttl": "turtle", ".nt": "nt", ".jsonld": "json-ld", ".rdf": "xml"}


def parse(path: Path) -> Graph:
    graph = Graph()
    graph.parse(path, format=RDF_FORMATS[path.suffix])
    return graph


OX_FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES,
              ".jsonld": ox.RdfFormat.JSON_LD, ".rdf": ox.RdfFormat.RDF_XML}


def canonical(path: Path) -> set[ox.Quad]:
    """The file's triples with blank nodes relabelled canonically (Oxigraph's algorithm).

    rdflib's isomorphism test is exponential on graphs with many alike blank nodes, as a run
    graph's indicator scores are; canonical labels make the comparison a set equality.
    """
    dataset = ox.Dataset(ox.parse(path=str(path), format=OX_FORMATS[path.suffix]))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return set(dataset)


def rebased(path: Path, base: str) -> Graph:
    """A bundled Turtle file with its IRIs moved to the base by text replacement."""
    text = path.read_text(encoding="utf-8").replace("https://w3id.org/cityculture/", base)
    return Graph().parse(data=text, format="turtle")


def test_every_dump_parses_back_to_the_same_graph(site: Path, base: str) -> None:
    manifest = json.loads((site / "site.json").read_text())
    assert set(manifest["dumps"]) >= {"ontology", "indicators", "data", "frameworks"}
    assert any(name.startswith("run-") for name in manifest["dumps"])
    for name, files in manifest["dumps"].items():
        graphs = {fmt: canonical(site / path) for fmt, path in files.items()}
        reference = graphs["nt"]
        assert len(reference) > 0, name
        for fmt, graph in graphs.items():
            assert graph == reference, f"{name}: {fmt} differs from N-Triples"
    # independent sources: the bundled files, moved to the base by plain text replacement
    assert isomorphic(parse(site / "dumps/ontology.ttl"), rebased(ontology_path(), base))
    assert isomorphic(parse(site / "dumps/indicators.rdf"), rebased(indicators_path(), base))


def test_json_ld_context_is_local(site: Path) -> None:
    context = json.loads((site / "dumps/context.jsonld").read_text())["@context"]
    for path in [*site.glob("dumps/*.jsonld"), site / "city/Q90.jsonld"]:
        document = json.loads(path.read_text())
        if path.name == "context.jsonld":
            continue
        assert document["@context"] == context, path  # inline, never a URL


def test_nquads_dump_holds_every_part(site: Path) -> None:
    dataset = ox.Dataset(ox.parse(path=str(site / "dumps/all.nq"), format=ox.RdfFormat.N_QUADS))
    manifest = json.loads((site / "site.json").read_text())
    total = sum(len(parse(site / files["nt"])) for files in manifest["dumps"].values())
    assert len(dataset) >= total > 20_000


def test_dcat_void_description_matches_the_files(site: Path, base: str) -> None:
    graph = parse(site / "dataset.ttl")
    dataset = URIRef(base + "dataset")
    assert (dataset, RDF.type, DCAT.Dataset) in graph
    assert (dataset, URIRef(VOID + "sparqlEndpoint"), URIRef(base + "sparql")) in graph
    assert graph.value(dataset, DCTERMS.publisher) is not None
    period = graph.value(dataset, DCTERMS.temporal)
    assert str(graph.value(period, DCAT.startDate)).startswith("2023")
    spatial = set(graph.objects(dataset, DCTERMS.spatial))
    assert URIRef(base + "nation/FR") in spatial and len(spatial) > 20
    provenance = graph.value(dataset, DCTERMS.provenance)
    assert "Global Power City Index 2023" in str(graph.value(provenance, RDFS.label))
    distributions = list(graph.subjects(RDF.type, DCAT.Distribution))
    assert len(distributions) >= 16
    for distribution in distributions:
        url = str(graph.value(distribution, DCAT.downloadURL))
        assert url.startswith(base)
        path = site / url[len(base):]
        assert int(graph.value(distribution, DCAT.byteSize)) == path.stat().st_size, url
        assert str(graph.value(distribution, DCAT.mediaType)).startswith(
            "https://www.iana.org/assignments/media-types/")
    for part in graph.objects(dataset, URIRef(VOID + "subset")):
        triples = int(graph.value(part, URIRef(VOID + "triples")))
        nt = next(str(graph.value(d, DCAT.downloadURL)) for d in graph.objects(
            part, DCAT.distribution) if str(graph.value(d, DCAT.downloadURL)).endswith(".nt"))
        assert len(parse(site / nt[len(base):])) == triples, part
    ontology = URIRef(base + "dataset/ontology")
    assert graph.value(ontology, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/")
    data = URIRef(base + "dataset/data")
    for distribution in graph.objects(data, DCAT.distribution):
        rights = graph.value(distribution, DCTERMS.rights)
        assert (rights, RDF.type, DCTERMS.RightsStatement) in graph
        assert "Mori Memorial Foundation" in str(graph.value(rights, RDFS.label))


def test_iris_are_rewritten_to_the_base(site: Path, base: str) -> None:
    for path in [*site.glob("dumps/*"), site / "index.html", site / "city/Q90.html",
                 site / "ontology.html", site / "city/Q90.ttl"]:
        assert b"https://w3id.org/cityculture/" not in path.read_bytes(), path
    ontology = parse(site / "dumps/ontology.ttl")
    assert (URIRef(base + "ontology/City"), None, None) in ontology


def test_city_page_shows_chart_scores_balance_and_provenance(site: Path) -> None:
    page = (site / "city/Q90.html").read_text()
    assert '<svg class="radar"' in page
    for heading in ("Soft and hard power", "National share", "Where the numbers come from"):
        assert heading in page
    assert 'href="../indicator/' in page and 'href="../nation/FR.html"' in page
    assert "gpci-2023-submission.csv" in page
    assert (site / "city/Q90.ttl").is_file() and (site / "city/Q90.jsonld").is_file()


def test_ontology_documentation_covers_every_term(site: Path, base: str) -> None:
    page = (site / "ontology.html").read_text()
    ontology = parse(site / "dumps/ontology.ttl")
    defined = set(ontology.subjects(URIRef("http://www.w3.org/2000/01/rdf-schema#isDefinedBy"),
                                    URIRef(base + "ontology")))
    assert len(defined) > 100
    for term in defined:
        local = str(term)[len(base + "ontology/"):]
        assert f'id="{local}"' in page, term
    assert "城市文化凝聚力" in page and "Paper section" in page and "Domain" in page


MALICIOUS = """
<https://w3id.org/cityculture/city/Q1> a <https://w3id.org/cityculture/ontology/City> ;
  <http://www.w3.org/2000/01/rdf-schema#label> "<script>alert(1)</script>" ;
  <http://www.w3.org/2000/01/rdf-schema#seeAlso> <javascript:alert(2)> ;
  <https://w3id.org/cityculture/ontology/locatedInNation>
      <https://w3id.org/cityculture/nation/X"onmouseover="alert(3)> .
"""


def test_untrusted_data_is_escaped(tmp_path: Path) -> None:
    from cityculture.store.backends import OxigraphBackend

    text = MALICIOUS.replace('X"onmouseover="alert(3)', "X%22onmouseover%3D%22alert(3)")
    with OxigraphBackend(tmp_path / "store") as store:
        store.replace_graph("https://w3id.org/cityculture/submission/evil",
                            ox.serialize(ox.parse(text, format=ox.RdfFormat.TURTLE),
                                         format=ox.RdfFormat.N_TRIPLES))
    done = cli("publish", str(tmp_path / "site"), "--store", str(tmp_path / "store"))
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "site" / "city" / "Q1.html").read_text()
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not re.search(r'href="javascript:', page)
    assert 'onmouseover="' not in page
    assert "w3id.org/cityculture/city/Q1" in page  # the default base is kept


def test_bad_base_iri_is_refused() -> None:
    done = cli("publish", str(ROOT / "never-written"), "--base-iri", "ftp://x")
    assert done.returncode == 2 and "base IRI" in done.stderr
    assert not (ROOT / "never-written").exists()
