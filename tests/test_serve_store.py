"""`serve --store` answers at once: SPARQL from the store, the site published meanwhile.

While the site is written, the home page says how far it is, a document not written yet
answers 503 with Retry-After (not 404: it will exist) and the endpoint answers from the
store; once written, every page is served as from a published folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox
import pytest
import uvicorn

from cityculture.serve.app import Publishing, ServeConfig, create_app
from tests.publishing import COMMAND, ROOT, cli, free_port, request

CITY = "https://w3id.org/cityculture/city/Q1"
ASK = "/sparql?query=" + urllib.parse.quote(f"ASK {{ <{CITY}> ?p ?o }}")


def _store(path: Path) -> Path:
    store = ox.Store(str(path))
    store.add(ox.Quad(ox.NamedNode(CITY), ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
                      ox.Literal("One"), ox.NamedNode("https://w3id.org/cityculture/submission/s")))
    store.flush()
    del store
    return path


class Client:
    """GETs on a server in this process (``requests``-like answers)."""

    def __init__(self, port: int) -> None:
        self.origin = f"http://127.0.0.1:{port}"

    def get(self, path: str, headers: dict[str, str] | None = None,
            follow_redirects: bool = True) -> Answer:
        status, found, body = request(self.origin + path, accept=(headers or {}).get("Accept"),
                                      follow=follow_redirects)
        return Answer(status, found, body)


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status_code, self.headers, self.text = status, headers, body.decode()

    def json(self) -> dict:
        return json.loads(self.text)


@contextmanager
def serving(config: ServeConfig) -> Iterator[Client]:
    """Run the application under uvicorn in a thread of this process."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(config), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started and time.monotonic() < deadline and thread.is_alive():
        time.sleep(0.05)
    assert server.started, "the server did not start"
    try:
        yield Client(port)
    finally:
        server.should_exit = True
        thread.join(30)


def test_documents_answer_503_until_written_and_sparql_answers_meanwhile(
        tmp_path: Path) -> None:
    release = threading.Event()
    site = tmp_path / "site"
    site.mkdir()

    def work(progress):
        progress(1, 4)
        assert release.wait(60)
        (site / "city").mkdir()
        (site / "city" / "Q1.html").write_text("<p>One</p>", encoding="utf-8")
        (site / "index.html").write_text("<p>home</p>", encoding="utf-8")

    publishing = Publishing(work)
    config = ServeConfig(site=site, workers=1, store=_store(tmp_path / "store"),
                         publishing=publishing)
    with serving(config) as client:
        answer = client.get(ASK, headers={"Accept": "application/sparql-results+json"})
        assert answer.status_code == 200 and answer.json()["boolean"] is True
        home = client.get("/", headers={"Accept": "text/html"})
        assert home.status_code == 200 and "1 of 4 documents written" in home.text
        assert home.headers["cache-control"] == "no-store"
        missing = client.get("/city/Q1", headers={"Accept": "text/html"},
                             follow_redirects=False)
        assert missing.status_code == 503 and missing.headers["retry-after"]
        release.set()
        assert publishing.finished.wait(30)
        page = client.get("/city/Q1", headers={"Accept": "text/html"})
        assert page.status_code == 200 and page.text == "<p>One</p>"
        assert client.get("/", headers={"Accept": "text/html"}).text == "<p>home</p>"
        assert client.get("/city/Q2", headers={"Accept": "text/html"}).status_code == 404


def test_a_failed_publish_is_said_on_every_missing_document(tmp_path: Path) -> None:
    def work(progress):
        raise RuntimeError("the store went away")

    publishing = Publishing(work)
    site = tmp_path / "site"
    site.mkdir()
    config = ServeConfig(site=site, workers=1, store=_store(tmp_path / "store"),
                         publishing=publishing)
    with serving(config) as client:
        assert publishing.finished.wait(30)
        answer = client.get("/city/Q1", headers={"Accept": "text/html"})
        assert answer.status_code == 500 and "the store went away" in answer.text


def test_serve_store_answers_before_the_site_is_published(tmp_path: Path) -> None:
    store = tmp_path / "store"
    loaded = cli("load", str(ROOT / "tests" / "data" / "tiny-cities.csv"), "--store", str(store))
    assert loaded.returncode == 0, loaded.stderr
    port = free_port()
    started = time.monotonic()
    child = subprocess.Popen([*COMMAND, "serve", "--store", str(store), "--port", str(port)],
                             cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        first = None
        while time.monotonic() - started < 120 and child.poll() is None:
            try:
                status, _, body = request(f"http://127.0.0.1:{port}/sparql?query=ASK%7B%7D",
                                          accept="application/sparql-results+json",
                                          timeout=5)
            except OSError:
                time.sleep(0.05)
                continue
            assert status == 200 and json.loads(body)["boolean"] is True
            first = time.monotonic() - started
            break
        assert first is not None, child.stderr.read().decode()  # type: ignore[union-attr]
        # the pages come: the home page, then a city page of the store
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            status, _, body = request(f"http://127.0.0.1:{port}/", accept="text/html")
            assert status == 200
            if b"being published" not in body:
                break
            time.sleep(0.5)
        assert b"being published" not in body
        status, _, body = request(f"http://127.0.0.1:{port}/dumps/data.ttl")
        assert status == 200 and b"Observation" in body
        status, headers, _ = request(f"http://127.0.0.1:{port}/dataset", accept="text/turtle",
                                     follow=False)
        assert status == 303 and headers["location"] == "/dataset.ttl"
    finally:
        child.terminate()
        child.wait(30)


@pytest.mark.parametrize("base", ["http://127.0.0.1:9/"])
def test_serve_store_with_another_base_publishes_first(tmp_path: Path, base: str) -> None:
    store = tmp_path / "store"
    loaded = cli("load", str(ROOT / "tests" / "data" / "tiny-cities.csv"), "--store", str(store))
    assert loaded.returncode == 0, loaded.stderr
    port = free_port()
    child = subprocess.Popen([*COMMAND, "serve", "--store", str(store), "--port", str(port),
                              "--base-iri", base], cwd=ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                status, _, body = request(f"http://127.0.0.1:{port}/", accept="text/html",
                                          timeout=5)
                break
            except OSError:
                time.sleep(0.2)
        assert status == 200 and b"being published" not in body  # published before serving
        query = urllib.parse.quote(f"ASK {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), '{base}')) }}")
        status, _, body = request(f"http://127.0.0.1:{port}/sparql?query={query}",
                                  accept="application/sparql-results+json")
        assert status == 200 and json.loads(body)["boolean"] is True  # the rewritten IRIs
    finally:
        child.terminate()
        child.wait(30)
