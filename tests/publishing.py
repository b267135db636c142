"""Shared by the publishing tests: one published example site and `cityculture serve` on it.

Publishing the example and starting a server take a while, so each is done once per test
session (a module-level cache) and shared by test_publish*.py and test_serve*.py.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_CACHE: dict[str, object] = {}
COMMAND = [sys.executable, "-c", "from cityculture.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([*COMMAND, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, check=False)


@dataclass
class Site:
    path: Path
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/"


def published_site() -> Site:
    """The example published with the base IRI of the server that will serve it."""
    if "site" not in _CACHE:
        folder = Path(tempfile.mkdtemp(prefix="cityculture-site-"))
        import atexit
        import shutil

        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        port = free_port()
        done = cli("publish", str(folder / "site"), "--base-iri", f"http://127.0.0.1:{port}/",
                   "--publisher-type", "NonProfitOrganisation",
                   "--contact-email", "data@example.org")
        assert done.returncode == 0, done.stderr
        _CACHE["site"] = Site(folder / "site", port)
    return _CACHE["site"]  # type: ignore[return-value]


@pytest.fixture(scope="module", name="site")
def site_fixture() -> Path:
    """The folder of the published example (import into a test module to use as ``site``)."""
    return published_site().path


@pytest.fixture(scope="module", name="base")
def base_fixture() -> str:
    """The base IRI the example was published with (used as ``base``)."""
    return published_site().base


class Server:
    """`cityculture serve` in a subprocess, on a free 127.0.0.1 port."""

    def __init__(self, site: Path, port: int, *options: str) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [*COMMAND, "serve", str(site), "--port", str(port),
             *options], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self.process.stdout.read().decode())  # type: ignore[union-attr]
            try:
                with urllib.request.urlopen(self.url + "/sparql?query=ASK%7B%7D", timeout=5):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        self.stop()
        raise RuntimeError("cityculture serve did not start")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def shared_server() -> Server:
    """The server on the published site (default options), started once."""
    if "server" not in _CACHE:
        site = published_site()
        _CACHE["server"] = Server(site.path, site.port, "--timeout", "2")
        import atexit

        atexit.register(_CACHE["server"].stop)  # type: ignore[attr-defined]
    return _CACHE["server"]  # type: ignore[return-value]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def request(url: str, *, accept: str | None = None, data: bytes | None = None,
            content_type: str | None = None, follow: bool = True,
            headers: dict[str, str] | None = None, timeout: float = 60
            ) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request; returns status, headers (lower-case names) and body."""
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    if accept:
        req.add_header("Accept", accept)
    if content_type:
        req.add_header("Content-Type", content_type)
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    opener = urllib.request.build_opener() if follow else urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=timeout) as response:
            return (response.status, {k.lower(): v for k, v in response.headers.items()},
                    response.read())
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()
