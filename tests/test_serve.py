"""`cityculture serve` over real HTTP: content negotiation, the read-only SPARQL endpoint,
its time and size limits, refusals, CORS."""

from __future__ import annotations

import csv
import io
import json
import socket
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET

import pyoxigraph as ox
import pytest
from rdflib import Graph

from tests.publishing import Server, free_port, published_site, request, shared_server

CITY_COUNT = ("SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a "
              "<{base}ontology/City> }")


@pytest.fixture(scope="module")
def server() -> Server:
    return shared_server()


@pytest.fixture(scope="module")
def base() -> str:
    return published_site().base


def sparql(server: Server, query: str, accept: str | None = None, method: str = "GET"
           ) -> tuple[int, dict[str, str], bytes]:
    if method == "GET":
        return request(f"{server.url}/sparql?{urllib.parse.urlencode({'query': query})}",
                       accept=accept)
    if method == "POST-form":
        return request(f"{server.url}/sparql", accept=accept,
                       data=urllib.parse.urlencode({"query": query}).encode(),
                       content_type="application/x-www-form-urlencoded")
    return request(f"{server.url}/sparql", accept=accept, data=query.encode(),
                   content_type="application/sparql-query")


# -- content negotiation --------------------------------------------------------------------

@pytest.mark.parametrize(("accept", "suffix"), [
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", ".html"),
    ("text/turtle", ".ttl"),
    ("application/ld+json", ".jsonld"),
    ("application/n-triples", ".nt"),
    ("text/turtle;q=0.4, application/ld+json;q=0.9", ".jsonld"),
    ("application/n-triples;q=1, text/turtle;q=0.99", ".nt"),
    ("text/*", ".html"),
    (None, ".html"),
])
def test_resource_iri_answers_303_by_accept(server: Server, accept: str | None,
                                            suffix: str) -> None:
    status, headers, _ = request(f"{server.url}/city/Q90", accept=accept, follow=False)
    assert status == 303
    assert headers["location"].endswith("/city/Q90" + suffix)
    assert "accept" in headers.get("vary", "").lower()


@pytest.mark.parametrize("accept", ["image/png", "application/pdf, text/csv",
                                    "text/turtle;q=0"])
def test_unacceptable_type_gets_406(server: Server, accept: str) -> None:
    status, _headers, _ = request(f"{server.url}/city/Q90", accept=accept, follow=False)
    assert status == 406


def test_each_media_type_parses_to_the_same_graph(server: Server, base: str) -> None:
    graphs = {}
    for accept, fmt in (("text/turtle", "turtle"), ("application/ld+json", "json-ld"),
                        ("application/n-triples", "nt")):
        status, headers, body = request(f"{server.url}/indicator/CO-07", accept=accept)
        assert status == 200
        assert headers["content-type"].startswith(accept)
        graphs[fmt] = Graph().parse(data=body, format=fmt)
    assert len(graphs["turtle"]) > 5
    from rdflib.compare import isomorphic

    assert isomorphic(graphs["turtle"], graphs["json-ld"])
    assert isomorphic(graphs["turtle"], graphs["nt"])
    labels = {str(o) for o in graphs["turtle"].objects(
        predicate=__import__("rdflib").RDFS.label)}
    assert any("World Heritage" in label for label in labels)


def test_suffixes_are_served_directly(server: Server) -> None:
    for suffix, media in ((".ttl", "text/turtle"), (".jsonld", "application/ld+json"),
                          (".nt", "application/n-triples"), (".html", "text/html")):
        status, headers, body = request(f"{server.url}/city/Q90{suffix}", follow=False)
        assert status == 200, suffix
        assert headers["content-type"].startswith(media)
        assert body


def test_home_unknown_paths_and_traversal(server: Server) -> None:
    assert request(f"{server.url}/", accept="text/html")[0] == 200
    assert request(f"{server.url}/no/such/thing")[0] == 404
    status, headers, _ = request(f"{server.url}/", accept="text/turtle", follow=False)
    assert status == 303 and headers["location"].endswith("/dataset.ttl")
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"GET /../../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = sock.recv(200)
    assert b" 404 " in answer or b" 400 " in answer


# -- SPARQL protocol --------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "POST-form", "POST-query"])
def test_select_in_every_result_format(server: Server, base: str, method: str) -> None:
    query = CITY_COUNT.replace("{base}", base)
    status, headers, body = sparql(server, query, "application/sparql-results+json", method)
    assert status == 200 and headers["content-type"].startswith("application/sparql-results+json")
    count = int(json.loads(body)["results"]["bindings"][0]["n"]["value"])
    assert count == len({t.subject for t in ox.parse(
        path=str(published_site().path / "dumps/data.nt"), format=ox.RdfFormat.N_TRIPLES)
        if t.predicate.value.endswith("#type") and t.object.value == base + "ontology/City"})
    status, headers, body = sparql(server, query, "application/sparql-results+xml", method)
    assert status == 200
    literal = ET.fromstring(body).find(".//{http://www.w3.org/2005/sparql-results#}literal")
    assert int(literal.text) == count
    status, _, body = sparql(server, query, "text/csv", method)
    assert status == 200 and list(csv.reader(io.StringIO(body.decode())))[1] == [str(count)]
    status, _, body = sparql(server, query, "text/tab-separated-values", method)
    assert status == 200 and body.decode().splitlines()[0] == "?n"
    assert body.decode().splitlines()[1].startswith(f'"{count}"')


def test_construct_and_ask(server: Server, base: str) -> None:
    query = f"CONSTRUCT {{ ?c ?p ?o }} WHERE {{ BIND(<{base}city/Q90> AS ?c) ?c ?p ?o }}"
    graphs = []
    for accept, fmt in (("text/turtle", "turtle"), ("application/n-triples", "nt"),
                        ("application/ld+json", "json-ld")):
        status, headers, body = sparql(server, query, accept)
        assert status == 200 and headers["content-type"].startswith(accept)
        graphs.append(Graph().parse(data=body, format=fmt))
    assert len(graphs[0]) == len(graphs[1]) == len(graphs[2]) > 3
    status, _, body = sparql(server, f"ASK {{ <{base}city/Q90> ?p ?o }}")
    assert status == 200 and json.loads(body)["boolean"] is True
    assert sparql(server, "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "image/png")[0] == 406


def test_updates_are_refused(server: Server, base: str) -> None:
    before = sparql(server, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[2]
    update = f"INSERT DATA {{ <{base}x> <{base}y> <{base}z> }}"
    assert request(f"{server.url}/sparql", data=urllib.parse.urlencode(
        {"update": update}).encode(), content_type="application/x-www-form-urlencoded")[0] == 400
    assert request(f"{server.url}/sparql", data=update.encode(),
                   content_type="application/sparql-update")[0] == 400
    for method in ("GET", "POST-form", "POST-query"):
        assert sparql(server, update, method=method)[0] == 400
        assert sparql(server, "DROP ALL", method=method)[0] == 400
    assert sparql(server, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[2] == before


class Listener:
    """A TCP listener that records whether anything connected to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while self.running:
            try:
                conn, _ = self.sock.accept()
                self.connections += 1
                conn.close()
            except OSError:
                continue

    def close(self) -> None:
        self.running = False
        self.thread.join(2)
        self.sock.close()


def test_service_is_refused_and_from_is_not_followed(server: Server) -> None:
    listener = Listener()
    try:
        remote = f"http://127.0.0.1:{listener.port}/sparql"
        for query in (f"SELECT * WHERE {{ SERVICE <{remote}> {{ ?s ?p ?o }} }}",
                      f"SELECT * WHERE {{ service silent <{remote}> {{ ?s ?p ?o }} }}",
                      f"PREFIX r: <{remote}> SELECT * WHERE {{ SERVICE r: {{ ?s ?p ?o }} }}"):
            status, _, body = sparql(server, query)
            assert status == 400 and b"SERVICE" in body
        status, _, body = sparql(server, f"SELECT * FROM <{remote}> WHERE {{ ?s ?p ?o }}")
        assert status == 200 and json.loads(body)["results"]["bindings"] == []
        status, _, body = sparql(server, f"SELECT * FROM NAMED <{remote}> WHERE {{ GRAPH ?g "
                                         "{ ?s ?p ?o } }")
        assert status == 200
        time.sleep(0.5)
        assert listener.connections == 0
    finally:
        listener.close()


def test_time_limit_stops_the_query_and_the_endpoint_recovers(server: Server) -> None:
    heavy = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    started = time.monotonic()
    status, headers, body = sparql(server, heavy)
    elapsed = time.monotonic() - started
    assert status == 503, body
    assert b"time limit" in body and "retry-after" in headers
    assert elapsed < 2 + 5  # --timeout 2, plus the time to answer
    deadline = time.monotonic() + 60
    while True:  # the killed worker is replaced; the endpoint answers again
        status, _, _ = sparql(server, "ASK { ?s ?p ?o }")
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert status == 200


def test_result_size_limit(tmp_path_factory: pytest.TempPathFactory) -> None:
    site = published_site()
    limited = Server(site.path, free_port(), "--max-results", "100", "--workers", "1")
    try:
        status, _, body = sparql(limited, "SELECT * WHERE { ?s ?p ?o }")
        assert status == 400 and b"more than 100" in body
        status, _, body = sparql(limited, "SELECT * WHERE { ?s ?p ?o } LIMIT 100")
        assert status == 200 and len(json.loads(body)["results"]["bindings"]) == 100
        status, _, _ = sparql(limited, "CONSTRUCT WHERE { ?s ?p ?o }", "text/turtle")
        assert status == 400
        # CORS is off by default
        _, headers, _ = request(f"{limited.url}/city/Q90.ttl",
                                headers={"Origin": "https://example.org"})
        assert "access-control-allow-origin" not in headers
    finally:
        limited.stop()


def test_cors_when_asked(server: Server) -> None:
    site = published_site()
    open_server = Server(site.path, free_port(), "--cors", "https://example.org",
                         "--workers", "1")
    try:
        _, headers, _ = request(f"{open_server.url}/sparql?query=ASK%7B%7D",
                                headers={"Origin": "https://example.org"})
        assert headers.get("access-control-allow-origin") == "https://example.org"
        _, headers, _ = request(f"{open_server.url}/city/Q90.ttl",
                                headers={"Origin": "https://elsewhere.example"})
        assert "access-control-allow-origin" not in headers
    finally:
        open_server.stop()
