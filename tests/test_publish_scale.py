"""Publishing at the scale of a national collection: what replaced per-resource work.

The city pages take CQ6 and CQ10 from tables computed once per run instead of a query per
city and per score; these must give the rows the bundled queries give. Observations and
scores are described a thousand to a document, each under its fragment, and every one of
their IRIs still dereferences (303 to its document).
"""

from __future__ import annotations

import http.client
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Literal, URIRef

from cityculture import pipeline
from cityculture.publish.index import SiteIndex
from cityculture.publish.pages import group_of, grouped_document, site_path
from cityculture.publish.site import _run_tables, peer_rows
from cityculture.publish.source import SiteSource, backend_source
from tests.publishing import published_site, shared_server

CSP = "https://w3id.org/cityculture/ontology/"


@pytest.fixture(scope="module")
def example() -> tuple[SiteSource, SiteIndex]:
    source = backend_source(pipeline.example().store)
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in source.quads()]
    return source, SiteIndex(triples)


def test_peer_rows_are_cq06s_rows(example: tuple[SiteSource, SiteIndex]) -> None:
    source, index = example
    runs = _run_tables(source, index)
    assert runs
    checked = 0
    for run, tables in runs.items():
        cities = sorted(tables.years)
        for city in cities[:: max(1, len(cities) // 6)]:
            year = tables.years[city][-1]
            expected = {(str(r["element"]), str(r["peer"]), str(r["comparable"]),
                         str(r["relation"]), round(float(r["peerScore"]), 9))
                        for r in source.run("cq06-peer-learning", {
                            "run": URIRef(run), "city": URIRef(city), "year": Literal(year)})}
            found = {(r["element"], r["peer"], r["comparable"], r["relation"],
                      round(r["peerScore"], 9)) for r in peer_rows(index, tables.peers, city,
                                                                   year)}
            assert found == expected, city
            checked += len(expected)
    assert checked > 50  # the example's cities do have comparable peers


def test_provenance_rows_are_cq10s_rows(example: tuple[SiteSource, SiteIndex]) -> None:
    source, index = example
    runs = _run_tables(source, index)
    checked = 0
    for tables in runs.values():
        assert tables.provenance
        for score, rows in sorted(tables.provenance.items())[:12]:
            expected = [(str(r["indicator"]), str(r["observation"]), str(r["value"]),
                         str(r.get("row")), str(r.get("body")))
                        for r in source.run("cq10-provenance", {"score": URIRef(score)})]
            found = [(str(r["indicator"]), str(r["observation"]), str(r["value"]),
                      str(r.get("row")), str(r.get("body"))) for r in rows]
            assert found == list(dict.fromkeys(expected)), score
            checked += len(found)
    assert checked > 0


@pytest.mark.parametrize(("rest", "document", "fragment"), [
    ("submission/ab/obs/0001234", "submission/ab/obs/0001xxx", "0001234"),
    ("submission/ab/obs/Sheet2-0000007", "submission/ab/obs/Sheet2-0000xxx",
     "Sheet2-0000007"),
    ("run/r1/score/12", "run/r1/score/xxx", "12"),
    ("run/r1/score/12345", "run/r1/score/12xxx", "12345"),
])
def test_group_of(rest: str, document: str, fragment: str) -> None:
    assert group_of(rest) == (document, fragment)


@pytest.mark.parametrize("rest", ["city/Q90", "submission/ab", "submission/ab/obs",
                                  "submission/ab/mapping/x", "run/r1/step/1",
                                  "submission/ab/obs/1/extra"])
def test_other_iris_keep_their_own_page(rest: str) -> None:
    assert group_of(rest) is None


def test_observations_share_documents_and_dereference() -> None:
    site = published_site()
    observations = sorted(p for p in (site.path / "submission").glob("*/obs/*.html"))
    assert observations, "the example's observations are published"
    assert all(p.stem.endswith("xxx") for p in observations)
    files = [p for p in (site.path / "submission").glob("*/obs/*") if p.is_file()]
    data = (site.path / "dumps" / "data.nt").read_text(encoding="utf-8")
    observation_count = data.count("> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
                                   f"<{site.base}ontology/Observation>")
    assert observation_count > 1000
    assert len(observations) <= observation_count // 100
    assert len(files) == 3 * len(observations)  # a page, Turtle and JSON-LD per document
    # one observation: its fragment is in its document, its IRI answers 303 to it
    iri = next(line.split(" ", 1)[0][1:-1] for line in data.splitlines()
               if f"<{site.base}ontology/Observation>" in line)
    rest = iri[len(site.base):]
    document, fragment = group_of(rest)  # type: ignore[misc]
    html = (site.path / (document + ".html")).read_text(encoding="utf-8")
    assert f'id="{fragment}"' in html and iri in html
    turtle = ox.parse(path=str(site.path / (document + ".ttl")), format=ox.RdfFormat.TURTLE)
    assert any(t.subject == ox.NamedNode(iri) for t in turtle)
    server = shared_server()
    for accept, suffix in (("text/html", ".html"), ("text/turtle", ".ttl")):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("GET", "/" + rest, headers={"Accept": accept})
        answer = conn.getresponse()
        assert answer.status == 303
        assert answer.getheader("Location") == f"/{document}{suffix}#{fragment}"
        conn.close()


def test_links_to_grouped_resources_carry_the_fragment() -> None:
    iri = "https://w3id.org/cityculture/submission/ab/obs/0001234"
    assert grouped_document(iri) == ("submission/ab/obs/0001xxx", "0001234")
    assert site_path("https://w3id.org/cityculture/city/Q90") == "city/Q90"
    assert grouped_document(iri + "#x") is None


def test_a_city_page_links_its_observations_by_fragment(tmp_path: Path) -> None:
    site = published_site()
    page = (site.path / "city" / "Q90.html").read_text(encoding="utf-8")
    assert "/obs/" in page
    assert "xxx.html#" in page
