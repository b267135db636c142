"""A crawler over the served site: every link, and every IRI under the base IRI found in
pages and data, answers (after content negotiation) with 200. No broken link."""

from __future__ import annotations

import http.client
import re
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser

import pyoxigraph as ox

from tests.publishing import published_site, shared_server


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)


_local = threading.local()


def fetch(port: int, path: str, accept: str) -> tuple[int, str | None, str, bytes]:
    """GET over a kept-alive connection per thread; returns status, location, type, body."""
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers={"Accept": accept})
        response = conn.getresponse()
    except (http.client.HTTPException, OSError):
        conn.close()
        conn = _local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", path, headers={"Accept": accept})
        response = conn.getresponse()
    body = response.read()
    return (response.status, response.getheader("Location"),
            response.getheader("Content-Type") or "", body)


def test_no_broken_link_and_every_iri_dereferences() -> None:
    site = published_site()
    server = shared_server()
    base = site.base
    origin = base.rstrip("/")
    iri_pattern = re.compile(re.escape(base) + r"[^\s<>\"'{}|\\^`)\]]*")
    seen: set[tuple[str, str]] = set()
    redirected_to: set[tuple[str, str]] = set()  # documents reached by a redirect, read once
    lock = threading.Lock()
    broken: list[str] = []
    queue: list[tuple[str, str, str]] = [("/", "text/html", "start")]
    checked = 0

    def visit(item: tuple[str, str, str]) -> list[tuple[str, str, str]]:
        path, accept, referrer = item
        status, location, content_type, body = fetch(site.port, path, accept)
        hops = 0
        while status in (301, 302, 303, 307, 308) and location and hops < 5:
            target = urllib.parse.urljoin(origin + path, location)
            assert target.startswith(origin), f"{path} redirects off site to {target}"
            path = target[len(origin):].split("#", 1)[0]  # a client keeps the fragment
            with lock:  # many IRIs (observations) redirect to one document: read it once
                if (path, accept) in redirected_to:
                    return []
                redirected_to.add((path, accept))
            status, location, content_type, body = fetch(site.port, path, accept)
            hops += 1
        if status != 200:
            broken.append(f"{path} ({accept}) -> {status}, linked from {referrer}")
            return []
        found: list[tuple[str, str, str]] = []
        text = body.decode("utf-8", "replace")
        if content_type.startswith("text/html"):
            parser = Links()
            parser.feed(text)
            for link in parser.links:
                url = urllib.parse.urljoin(origin + path, link)
                url = url.split("#", 1)[0]
                if url.startswith(origin + "/"):
                    found.append((url[len(origin):], "text/html", path))
            for iri in iri_pattern.findall(text):
                found.append(("/" + iri[len(base):].split("#", 1)[0], "text/turtle", path))
        elif content_type.startswith("text/turtle"):
            for triple in ox.parse(body, format=ox.RdfFormat.TURTLE):
                for term in (triple.subject, triple.predicate, triple.object):
                    if isinstance(term, ox.NamedNode) and term.value.startswith(base):
                        found.append(("/" + term.value[len(base):].split("#", 1)[0],
                                      "text/html", path))
        return found

    with ThreadPoolExecutor(max_workers=4) as pool:
        while queue:
            batch = []
            for item in queue:
                key = (item[0], item[1])
                if key not in seen:
                    seen.add(key)
                    batch.append(item)
            queue = []
            for found in pool.map(visit, batch):
                queue.extend(found)
            checked += len(batch)
    assert not broken, f"{len(broken)} broken of {checked}: " + "; ".join(broken[:10])
    # the crawl reached every kind of page, and many of them
    paths = {path for path, _ in seen}
    for expected in ("/city/Q90", "/nation/FR", "/indicator/CO-07", "/ontology/cohesion",
                     "/ontology", "/dataset", "/dumps/data.ttl", "/sparql"):
        assert any(p == expected or p.startswith(expected + ".") for p in paths), expected
    assert checked > 5000
    assert server.process.poll() is None
