"""Fixtures for real SPARQL servers and fake faulty ones (import them into a test module).

The fixture functions are named ``*_fixture``; their fixture names (``oxigraph_server_url``,
``virtuoso``, ``fake_server``) are what tests ask for, so importing them does not clash with
the test functions' parameters.

The real servers are session-scoped: started once, stopped at the end of the session even
when tests fail (the context managers of ``tests.servers`` stop them in
``finally``). A missing binary or a server that does not start turns into a skip with the
reason, and nothing else does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.servers import (
    ServerUnavailable,
    VirtuosoEndpoints,
    oxigraph_server,
    virtuoso_server,
)


@pytest.fixture(scope="session", name="oxigraph_server_url")
def oxigraph_server_url_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of an ``oxigraph serve`` on a throw-away directory."""
    try:
        server = oxigraph_server(tmp_path_factory.mktemp("oxigraph") / "data")
        url = server.__enter__()
    except ServerUnavailable as err:
        pytest.skip(f"Oxigraph server unavailable: {err.reason}")
    try:
        yield url
    finally:
        server.__exit__(None, None, None)


@pytest.fixture(scope="session", name="virtuoso")
def virtuoso_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoEndpoints]:
    """Endpoints of a Virtuoso with a throw-away database (ResultSetMaxRows raised)."""
    try:
        server = virtuoso_server(tmp_path_factory.mktemp("virtuoso"))
        endpoints = server.__enter__()
    except ServerUnavailable as err:
        pytest.skip(f"Virtuoso unavailable: {err.reason}")
    try:
        yield endpoints
    finally:
        server.__exit__(None, None, None)


# --- fake servers -------------------------------------------------------------------------

@dataclass
class FakeServer:
    """A local HTTP server whose answers a test scripts; it records every request."""

    url: str
    requests: list[dict[str, object]] = field(default_factory=list)

    @property
    def attempts(self) -> int:
        """How many requests reached the server."""
        return len(self.requests)


Responder = Callable[[BaseHTTPRequestHandler, bytes], None]


@pytest.fixture(name="fake_server")
def fake_server_fixture() -> Iterator[Callable[[Responder], FakeServer]]:
    """Start fake servers on 127.0.0.1: ``fake_server(respond)`` -> FakeServer.

    ``respond(handler, body)`` writes the answer to ``handler`` (status, headers, body, or
    a dropped connection). Every server is shut down after the test.
    """
    started: list[tuple[ThreadingHTTPServer, threading.Thread]] = []

    def start(respond: Responder) -> FakeServer:
        record = FakeServer(url="")

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                record.requests.append({"method": self.command, "path": self.path,
                                        "headers": dict(self.headers), "body": body})
                try:
                    respond(self, body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up first (timeout tests)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

            def log_message(self, *args: object) -> None:  # keep pytest output clean
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                                  daemon=True)
        thread.start()
        started.append((server, thread))
        record.url = f"http://127.0.0.1:{server.server_address[1]}"
        return record

    try:
        yield start
    finally:
        for server, thread in started:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)


def answer(handler: BaseHTTPRequestHandler, status: int, body: bytes,
           content_type: str = "application/sparql-results+json",
           headers: dict[str, str] | None = None) -> None:
    """Write a complete HTTP answer."""
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.end_headers()
    handler.wfile.write(body)
