"""The HTTP application: a published site with content negotiation, and ``/sparql``.

Dereferencing follows the W3C "Best Practice Recipes for Publishing RDF Vocabularies"
(recipe 3, slash namespaces) and LodView: the IRI of a resource (``/city/Q90``) answers
``303 See Other`` to the document in the format the client accepts (``/city/Q90.html``,
``.ttl``, ``.jsonld``, ``.nt``), with ``Vary: Accept``; 406 when it accepts none of them.
Documents (any path with a suffix) are served directly with 200. Runs under uvicorn (ASGI).

Every response carries :data:`SECURITY_HEADERS` (no MIME sniffing, a Content-Security-Policy
that allows no script, no referrer sent elsewhere). Work whose cost grows with a request
(reading its parameters, the query check) runs off the event loop, so one request cannot
stall the others; the query itself runs in a worker process (:mod:`cityculture.serve.sparql`).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cityculture.publish.iris import file_key, iri_to_uri
from cityculture.publish.pages import group_of
from cityculture.rdf_formats import turtle_ntriples
from cityculture.serve.negotiation import negotiate
from cityculture.serve.sparql import DataFiles, Limits, QueryJob, QueryPool

HTML = "text/html"
REPRESENTATIONS = {  # media type -> suffix of the document, in the server's preference order
    HTML: ".html",
    "application/xhtml+xml": ".html",
    "text/turtle": ".ttl",
    "application/ld+json": ".jsonld",
    "application/n-triples": ".nt",
}
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".ttl": "text/turtle; charset=utf-8",
    ".jsonld": "application/ld+json",
    ".nt": "application/n-triples",
    ".nq": "application/n-quads",
    ".rdf": "application/rdf+xml",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".png": "image/png",
    ".css": "text/css",
    ".xml": "application/xml",  # sitemap.xml
    ".txt": "text/plain; charset=utf-8",  # robots.txt
}
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # The pages have no script; styles are inline; images are the site's own (SVG, PNG).
    "Content-Security-Policy": "default-src 'none'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; form-action 'self'; base-uri 'none'; "
                               "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}
"""Headers on every response, whatever its status."""
SPARQL_FORM = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>SPARQL endpoint · cityculture</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}textarea{width:100%;height:14em;
font-family:monospace}</style></head><body>
<h1>Read-only SPARQL 1.1 endpoint</h1>
<p>Send queries with GET or POST (<code>query</code>), as the SPARQL 1.1 Protocol says.
SELECT and ASK results: JSON, XML, CSV, TSV; CONSTRUCT and DESCRIBE: Turtle, N-Triples,
JSON-LD, RDF/XML, by <code>Accept</code>. The default graph is the union of the named graphs.
Updates and SERVICE are refused; queries are stopped after the time limit.</p>
<form method="get" action="sparql"><textarea name="query">SELECT ?city ?name WHERE {
  ?city a &lt;https://w3id.org/cityculture/ontology/City&gt; ;
        &lt;http://www.w3.org/2000/01/rdf-schema#label&gt; ?name .
} LIMIT 10</textarea><p><button type="submit">Run</button></p></form>
<p><a href="./">home</a></p></body></html>
"""


class Publishing:
    """A site being published in the background while the server already answers.

    Until it is done, the home page says how far it is, a document not written yet answers
    503 with ``Retry-After`` (never 404: it will exist), and the SPARQL endpoint answers
    from the store itself.
    """

    def __init__(self, work: Callable[[Callable[[int, int], None]], None]) -> None:
        """``work(progress)`` publishes the site, telling ``progress(done, total)``."""
        self._work = work
        self.done = 0
        self.total = 0
        self.error: str | None = None
        self.finished = threading.Event()
        self._start = time.monotonic()
        self._thread: threading.Thread | None = None

    def update(self, done: int, total: int) -> None:
        """Record how many documents of how many are written."""
        self.done, self.total = done, total

    def begin(self) -> None:
        """Start publishing in a thread (once)."""
        if self._thread is not None:
            return
        self._start = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name="cityculture-publish")
        self._thread.start()

    def _run(self) -> None:
        try:
            self._work(self.update)
        except Exception as exc:  # said here and on every page that is not there
            self.error = str(exc) or type(exc).__name__
            print(self.line(), file=sys.stderr, flush=True)
        finally:
            self.finished.set()

    def line(self) -> str:
        """Say how far publishing is."""
        if self.error is not None:
            return f"publishing the site failed: {self.error}"
        if self.finished.is_set():
            return "the site is published"
        seconds = round(time.monotonic() - self._start)
        if not self.total:
            return f"the site is being published (dumps and description first; {seconds} s)"
        return (f"the site is being published: {self.done:,} of {self.total:,} documents "
                f"written ({seconds} s)")


PUBLISHING_HOME = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Publishing · cityculture</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em}}</style></head><body>
<h1>The soft power of city culture: published data</h1>
<p>{line}. Reload this page to see how far it is; every page will be here when it is done.</p>
<p>The <a href="sparql">SPARQL endpoint</a> answers now, from the store.</p>
</body></html>
"""


@dataclass
class ServeConfig:
    """How the server behaves; every limit is an option of ``cityculture serve``."""

    site: Path
    limits: Limits = field(default_factory=Limits)
    workers: int = 2
    worker_memory_mb: int = 2048
    queue_timeout: float = 5.0
    max_query_bytes: int = 100_000
    cors_origins: list[str] = field(default_factory=list)
    store: Path | None = None
    """With ``publishing``: the store the SPARQL workers open read-only meanwhile."""
    publishing: Publishing | None = None
    """The site is published into ``site`` while served (``serve --store``)."""


def load_manifest(site: Path) -> dict:
    """Read ``site.json`` of a published site (fails clearly if it is not one)."""
    path = site / "site.json"
    if not path.is_file():
        raise FileNotFoundError(f"{site} is not a published site (no site.json); run "
                                "`cityculture publish` first")
    return json.loads(path.read_text(encoding="utf-8"))


def _data_files(site: Path, manifest: dict) -> DataFiles:
    nquads = site / manifest["nquads"]
    dataset = site / (file_key("dataset") + ".ttl")
    prefixes: dict[str, str] = {}
    context = site / "dumps" / "context.jsonld"
    if context.is_file():
        prefixes = json.loads(context.read_text(encoding="utf-8"))["@context"]
    turtle = ((dataset, manifest["dataset"]),) if dataset.is_file() else ()
    return DataFiles(nquads=(nquads,), turtle=turtle, prefixes=tuple(prefixes.items()))


class SiteApp:
    """The request handlers over one published site."""

    def __init__(self, config: ServeConfig) -> None:
        """Serve ``config.site``; the SPARQL pool starts with the application."""
        self.config = config
        self.site = config.site.resolve()
        self.publishing = config.publishing
        if self.publishing is not None:
            if config.store is None:
                raise ValueError("serving a site while it is published needs the store")
            self.manifest: dict = {}
            data = DataFiles(store=config.store)
        else:
            self.manifest = load_manifest(self.site)
            data = _data_files(self.site, self.manifest)
        self.pool = QueryPool(data, workers=config.workers,
                              limits=config.limits, memory_mb=config.worker_memory_mb,
                              queue_timeout=config.queue_timeout)

    # -- documents and resources ----------------------------------------------------------

    def _file(self, relative: str) -> Path | None:
        if not relative or relative.startswith("/") or "\\" in relative or "\x00" in relative:
            return None
        if any(part in ("", ".", "..") for part in relative.split("/")):
            return None
        path = (self.site / relative).resolve()
        if not path.is_relative_to(self.site) or not path.is_file():
            return None
        return path

    async def resource(self, request: Request) -> Response:
        """Answer a document (200), a resource IRI (303 by ``Accept``), or 404/406."""
        raw = request.scope.get("raw_path") or request.url.path.encode()
        relative = raw.decode("utf-8", "replace").lstrip("/")
        if relative == "":
            return self._negotiate(request, "index")
        path = self._file(relative)
        if path is not None:
            return FileResponse(path, media_type=MEDIA_TYPES.get(path.suffix,
                                                                 "application/octet-stream"))
        if relative.endswith(".nt"):
            turtle = self._file(relative[:-3] + ".ttl")
            if turtle is not None:
                return await run_in_threadpool(_ntriples, turtle)
        key = file_key(iri_to_uri(relative))
        if self._file(key + ".html") is None:
            grouped = group_of(relative)
            if grouped is not None and self._file(grouped[0] + ".html") is not None:
                return self._negotiate(request, grouped[0], "#" + grouped[1])
            return self._missing()
        return self._negotiate(request, key)

    def _negotiate(self, request: Request, key: str, fragment: str = "") -> Response:
        media = negotiate(request.headers.get("accept"), list(REPRESENTATIONS))
        vary = {"Vary": "Accept"}
        if media is None:
            offered = ", ".join(m for m in REPRESENTATIONS if m != "application/xhtml+xml")
            return PlainTextResponse(f"not acceptable: this resource is available as {offered}\n",
                                     status_code=406, headers=vary)
        suffix = REPRESENTATIONS[media]
        if key == "index" and suffix != ".html":
            key = file_key("dataset")  # the home page's data: the dataset description
        if key == "index":
            path = self._file("index.html")
            if path is None and self._pending():
                return Response(PUBLISHING_HOME.format(line=self.publishing.line()),  # type: ignore[union-attr]
                                media_type=MEDIA_TYPES[".html"],
                                headers={**vary, "Cache-Control": "no-store"})
            if path is None:
                return self._missing()
            return FileResponse(path, media_type=MEDIA_TYPES[".html"], headers=vary)
        return RedirectResponse("/" + key + suffix + fragment, status_code=303, headers=vary)

    def _pending(self) -> bool:
        """Tell whether documents may still be missing because the site is being published."""
        return self.publishing is not None and (not self.publishing.finished.is_set()
                                                or self.publishing.error is not None)

    def _missing(self) -> Response:
        """Answer for a document that is not there: 404, or 503 while it is being written."""
        if self.publishing is not None and self.publishing.error is not None:
            return PlainTextResponse(self.publishing.line() + "\n", status_code=500)
        if self._pending():
            return PlainTextResponse(self.publishing.line() + "; try again shortly\n",  # type: ignore[union-attr]
                                     status_code=503, headers={"Retry-After": "5"})
        return PlainTextResponse("not found\n", status_code=404)

    # -- SPARQL -----------------------------------------------------------------------------

    async def sparql(self, request: Request) -> Response:
        """Answer the SPARQL 1.1 Protocol: GET, POST form or POST sparql-query."""
        limit = self.config.max_query_bytes
        raw_query: bytes = request.scope.get("query_string", b"")
        if len(raw_query) > 3 * limit:  # percent-encoding triples a byte at most
            return PlainTextResponse(f"request too large (limit {limit} bytes)\n",
                                     status_code=414)
        body = b""
        content_type = ""
        if request.method == "POST":
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type == "application/sparql-update":
                return _refuse("this endpoint is read-only: SPARQL Update is refused")
            if content_type not in ("application/x-www-form-urlencoded",
                                    "application/sparql-query"):
                return PlainTextResponse("POST needs application/x-www-form-urlencoded or "
                                         "application/sparql-query\n", status_code=415)
            read = await self._body(request)
            if read is None:
                return PlainTextResponse(f"request too large (limit {limit} bytes)\n",
                                         status_code=413)
            body = read
        params = await run_in_threadpool(_parameters, raw_query, content_type, body)
        if "update" in params:
            return _refuse("this endpoint is read-only: SPARQL Update is refused")
        queries = params.get("query", [])
        if not queries:
            return self._describe_service(request)
        if len(queries) != 1:
            return _refuse("exactly one query parameter is expected")
        query = queries[0]
        if len(query) > limit:
            return PlainTextResponse("query too large\n", status_code=413)
        job = QueryJob(query=query, accept=request.headers.get("accept"),
                       default_graphs=params.get("default-graph-uri", []),
                       named_graphs=params.get("named-graph-uri", []))
        outcome = await self.pool.run(job)  # the worker checks the query, then runs it
        return Response(outcome.body, status_code=outcome.status, media_type=outcome.media_type,
                        headers={"Vary": "Accept", **outcome.headers})

    async def _body(self, request: Request) -> bytes | None:
        chunks = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.config.max_query_bytes:
                return None
            chunks.append(chunk)
        return b"".join(chunks)

    def _describe_service(self, request: Request) -> Response:
        media = negotiate(request.headers.get("accept"),
                          [HTML, "text/turtle", "application/n-triples"])
        if media == HTML:
            return Response(SPARQL_FORM, media_type="text/html; charset=utf-8")
        if media is None:
            return PlainTextResponse("not acceptable\n", status_code=406)
        path = self._file(file_key("dataset") + ".ttl")
        if path is None and self._pending():
            return self._missing()
        if path is None:
            return PlainTextResponse("no service description\n", status_code=404)
        if media == "application/n-triples":
            return _ntriples(path)  # the site's own small service description
        return FileResponse(path, media_type=MEDIA_TYPES[".ttl"])


def _parameters(raw_query: bytes, content_type: str, body: bytes) -> dict[str, list[str]]:
    """Read the protocol's parameters from the URL and a POST body (in a thread)."""
    params = parse_qs(raw_query.decode("utf-8", "replace"), keep_blank_values=True)
    if content_type == "application/x-www-form-urlencoded":
        for name, values in parse_qs(body.decode("utf-8", "replace"),
                                     keep_blank_values=True).items():
            params.setdefault(name, []).extend(values)
    elif content_type == "application/sparql-query":
        params["query"] = [body.decode("utf-8", "replace")]
    return params


class SecurityHeaders:
    """ASGI middleware: add :data:`SECURITY_HEADERS` to every response, errors included."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap ``app``."""
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers to the start of the response."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _refuse(message: str) -> Response:
    return PlainTextResponse(message + "\n", status_code=400)


def _ntriples(turtle: Path) -> Response:
    return Response(turtle_ntriples(turtle), media_type=MEDIA_TYPES[".nt"])


def create_app(config: ServeConfig) -> Starlette:
    """Build the ASGI application (the SPARQL workers start and stop with it)."""
    handlers = SiteApp(config)
    middleware = [Middleware(SecurityHeaders)]
    if config.cors_origins:
        middleware.append(Middleware(CORSMiddleware, allow_origins=config.cors_origins,
                                     allow_methods=["GET", "POST", "HEAD", "OPTIONS"],
                                     allow_headers=["Accept", "Content-Type"]))

    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app: Starlette):  # noqa: ANN202
        await handlers.pool.start()
        if handlers.publishing is not None:
            handlers.publishing.begin()  # once the endpoint answers
        try:
            yield
        finally:
            handlers.pool.close()

    app = Starlette(routes=[
        Route("/sparql", handlers.sparql, methods=["GET", "POST"]),
        Route("/{path:path}", handlers.resource, methods=["GET", "HEAD"]),
    ], middleware=middleware, lifespan=lifespan)
    app.state.handlers = handlers
    return app
