"""`cityculture serve` against hostile requests: SERVICE bypasses, requests that cost time in
proportion to their size, security headers, spreadsheet-safe CSV, and workers that cannot
open a network connection whatever the query says."""

from __future__ import annotations

import asyncio
import csv
import io
import multiprocessing
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from cityculture.offline import forbid_network
from cityculture.serve.sparql import DataFiles, QueryPool
from tests.publishing import Server, request, shared_server
from tests.test_query_text import SERVICE_CASES
from tests.test_serve import Listener, sparql

SELECT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@pytest.fixture(scope="module")
def server() -> Server:
    return shared_server()


def assert_still_answers(server: Server) -> None:
    """A page and a SELECT are answered within 5 s."""
    started = time.monotonic()
    assert request(f"{server.url}/index.html", timeout=5)[0] == 200
    status, _, body = sparql(server, SELECT)
    assert status == 200, body
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("name", sorted(SERVICE_CASES))
def test_service_bypasses_are_refused_and_connect_nowhere(server: Server, name: str) -> None:
    listener = Listener()
    try:
        query = SERVICE_CASES[name].format(url=f"http://127.0.0.1:{listener.port}/sparql")
        for method in ("GET", "POST-form", "POST-query"):
            status, _, body = sparql(server, query, method=method)
            assert status == 400, (method, body)
            assert len(body.decode().strip().splitlines()) == 1
        time.sleep(0.3)
        assert listener.connections == 0
    finally:
        listener.close()
    assert_still_answers(server)


def test_a_costly_query_text_does_not_stall_other_requests(server: Server) -> None:
    # 98 KB of escaped quotes held the former scanner in the event loop for 58 s.
    hostile = ["SELECT * WHERE { ?s ?p " + '\\"' * 49_000 + " }",
               "SELECT * WHERE { ?s ?p " + '\\"' * 24_000 + " }",
               "SELECT * WHERE { ?s ?p ?o " + "FILTER(?o = 'abc') " * 2_500 + " }"]
    answers: list[int] = []

    def send() -> None:
        for query in hostile:
            answers.append(sparql(server, query, method="POST-query")[0])

    sender = threading.Thread(target=send)
    sender.start()
    time.sleep(0.2)
    while sender.is_alive():
        assert_still_answers(server)
        time.sleep(0.2)
    sender.join()
    assert answers[:2] == [400, 400] and answers[2] in (400, 503)
    assert_still_answers(server)


def test_oversized_requests_are_refused_before_work(server: Server) -> None:
    status, _, _ = sparql(server, "ASK {}" + " " * 400_000, method="POST-query")
    assert status == 413
    status, _, _ = request(f"{server.url}/sparql?query=" + "%20" * 40_000)
    assert status in (400, 413, 414)  # uvicorn refuses a request line this long itself
    assert_still_answers(server)


@pytest.mark.parametrize("path", ["/", "/index.html", "/city/Q90", "/no/such/page",
                                  "/sparql", "/sparql?query=DROP%20ALL",
                                  f"/sparql?query={urllib.parse.quote(SELECT)}"])
def test_security_headers_on_every_response(server: Server, path: str) -> None:
    status, headers, _ = request(server.url + path, follow=False)
    assert status in (200, 303, 400, 404)
    assert headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in headers["content-security-policy"]
    assert "script-src" not in headers["content-security-policy"]
    assert headers["referrer-policy"] == "no-referrer"


def test_endpoint_csv_cannot_run_formulas(server: Server) -> None:
    query = ('SELECT ?text ?number ?typed WHERE { VALUES (?text ?number ?typed) { '
             '("=HYPERLINK(\\"http://x\\")" -2 "=1+1"^^<http://www.w3.org/2001/XMLSchema#integer>)'
             ' ("@SUM(A1)" 3.5 "+1"^^<http://www.w3.org/2001/XMLSchema#integer>) } }')
    status, _, body = sparql(server, query, accept="text/csv")
    assert status == 200, body
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert [r["text"] for r in rows] == ["'=HYPERLINK(\"http://x\")", "'@SUM(A1)"]
    assert [r["number"] for r in rows] == ["-2", "3.5"]
    assert [r["typed"] for r in rows] == ["'=1+1", "1"]  # Oxigraph writes +1 as 1


# -- workers without network -------------------------------------------------------------

def _service_without_network(url: str, answer: multiprocessing.Queue) -> None:
    import pyoxigraph as ox

    forbid_network()
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:b"), ox.NamedNode("urn:c")))
    try:
        list(store.query(f"SELECT * WHERE {{ ?s ?p ?o SERVICE <{url}> {{ ?x ?y ?z }} }}"))
        answer.put("no error")
    except Exception as exc:  # what the engine reports when the kernel refuses the socket
        answer.put(str(exc))


def test_a_process_without_network_cannot_run_service() -> None:
    listener = Listener()
    try:
        context = multiprocessing.get_context("spawn")
        answer = context.Queue()
        process = context.Process(target=_service_without_network,
                                  args=(f"http://127.0.0.1:{listener.port}/sparql", answer))
        process.start()
        message = answer.get(timeout=60)
        process.join(10)
        time.sleep(0.3)
        assert listener.connections == 0
        assert "not permitted" in message.lower(), message
    finally:
        listener.close()


def test_the_endpoint_workers_run_without_network(tmp_path: Path) -> None:
    async def start_and_look() -> list[int]:
        pool = QueryPool(DataFiles(), workers=1, memory_mb=0)
        await pool.start()
        try:
            counts = []
            for worker in pool._all:
                status = Path(f"/proc/{worker.process.pid}/status").read_text()
                counts.append(int(status.split("Seccomp_filters:")[1].split()[0]))
            return counts
        finally:
            pool.close()

    assert all(count >= 1 for count in asyncio.run(start_and_look()))


def test_the_query_command_runs_user_sparql_without_network(tmp_path: Path) -> None:
    """Even a SERVICE that got past the check cannot connect from the query's process."""
    from cityculture.store.backends import OxigraphBackend
    from cityculture.store.offline_query import run_user_query

    listener = Listener()
    backend = OxigraphBackend(tmp_path / "store", union_default_graph=True)
    try:
        backend.replace_graph("urn:g", b"<urn:a> <urn:b> <urn:c> .\n")
        rows = run_user_query(backend, "SELECT", "SELECT ?s WHERE { ?s ?p ?o }", None)
        assert [str(row["s"]) for row in rows] == ["urn:a"]  # type: ignore[index,union-attr]
        service = (f"SELECT * WHERE {{ ?s ?p ?o SERVICE <http://127.0.0.1:{listener.port}/"
                   "sparql> { ?x ?y ?z } }")
        with pytest.raises(OSError, match="not permitted"):
            run_user_query(backend, "SELECT", service, None)
        time.sleep(0.3)
        assert listener.connections == 0
    finally:
        backend.close()
        listener.close()


def test_a_graph_name_that_is_no_iri_is_refused_and_the_worker_lives(server: Server) -> None:
    query = urllib.parse.urlencode({"query": SELECT, "default-graph-uri": "not an iri <>"})
    status, _, body = request(f"{server.url}/sparql?{query}")
    assert status == 400 and b"query not accepted" in body, body
    assert_still_answers(server)
