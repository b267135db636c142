"""Command-line options that choose where data lives: an embedded store or an endpoint.

Every command that reads or writes stored data takes the same options, so a user moves from
the embedded store (``--store PATH``) to a shared SPARQL 1.1 server (``--endpoint URL``)
without learning new ones. Passwords and tokens can come from the environment
(``CITYCULTURE_PASSWORD``, ``CITYCULTURE_TOKEN``) so they do not end up in shell history.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from cityculture.store.backends import Backend
from cityculture.store.embedded import is_store_directory
from cityculture.store.opening import open_backend
from cityculture.store.remote import BasicAuth, BearerAuth, EndpointError

SERVER_KINDS = {"sparql": "remote", "oxigraph": "oxigraph-server", "virtuoso": "virtuoso"}


class StoreFailure(click.ClickException):
    """The store or the endpoint failed (exit code 3): nothing was changed by this command."""

    exit_code = 3


class UnusableStoreOption(click.ClickException):
    """``--store`` names no store, or ``--endpoint`` lacks what the command needs (exit 2)."""

    exit_code = 2


@dataclass(frozen=True)
class EndpointOptions:
    """Where a remote store is and how to talk to it."""

    url: str
    server: str = "sparql"
    update_url: str | None = None
    gsp_url: str | None = None
    user: str | None = None
    password: str | None = None
    token: str | None = None
    timeout: float = 30.0
    retries: int = 3

    def open(self) -> Backend:
        """Open the endpoint as a backend (no request is made yet)."""
        auth: Any = None
        if self.token:
            auth = BearerAuth(self.token)
        elif self.user:
            auth = BasicAuth(self.user, self.password or "")
        return open_backend(SERVER_KINDS[self.server], endpoint=self.url,
                            update_endpoint=self.update_url, gsp_endpoint=self.gsp_url,
                            auth=auth, timeout=self.timeout, retries=self.retries)

    def check_whole_graphs(self) -> None:
        """Refuse a generic endpoint without a Graph Store URL where whole graphs are needed.

        Reading or replacing whole graphs goes through the Graph Store Protocol, whose URL a
        generic SPARQL endpoint does not reveal (Oxigraph server and Virtuoso have known ones).
        """
        if self.server == "sparql" and not self.gsp_url:
            raise UnusableStoreOption(
                f"--endpoint {self.url}: this command reads or writes whole graphs, which "
                "needs --gsp-endpoint URL (the Graph Store Protocol URL), or --server "
                "oxigraph|virtuoso")


_OPTIONS = [
    click.option("--endpoint", "endpoint_url", metavar="URL", default=None,
                 help="A SPARQL 1.1 endpoint instead of the embedded store: the query URL "
                      "(with --server oxigraph or virtuoso: the server's base URL)."),
    click.option("--server", type=click.Choice(sorted(SERVER_KINDS)), default="sparql",
                 show_default=True, help="What the endpoint is: any SPARQL 1.1 server, "
                                         "Oxigraph server or Virtuoso."),
    click.option("--update-endpoint", "update_url", metavar="URL", default=None,
                 help="SPARQL Update URL (default: the endpoint)."),
    click.option("--gsp-endpoint", "gsp_url", metavar="URL", default=None,
                 help="Graph Store Protocol URL (needed by a generic endpoint to write "
                      "and read whole graphs)."),
    click.option("--user", default=None, help="User name for HTTP basic authentication."),
    click.option("--password", envvar="CITYCULTURE_PASSWORD", default=None,
                 help="Password (or set CITYCULTURE_PASSWORD)."),
    click.option("--token", envvar="CITYCULTURE_TOKEN", default=None,
                 help="Bearer token (or set CITYCULTURE_TOKEN)."),
    click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0,
                 show_default=True, help="Seconds each request may take."),
    click.option("--retries", type=click.IntRange(min=0), default=3, show_default=True,
                 help="Retries after a connection error or a 5xx answer (with back-off)."),
]


def endpoint_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the endpoint options to a command; it receives ``endpoint: EndpointOptions|None``."""

    @functools.wraps(command)
    def wrapper(*args: Any, endpoint_url: str | None, server: str, update_url: str | None,
                gsp_url: str | None, user: str | None, password: str | None,
                token: str | None, timeout: float, retries: int, **kwargs: Any) -> Any:
        endpoint = None
        if endpoint_url:
            endpoint = EndpointOptions(endpoint_url, server, update_url, gsp_url, user,
                                       password, token, timeout, retries)
        return command(*args, endpoint=endpoint, **kwargs)

    for option in reversed(_OPTIONS):
        wrapper = option(wrapper)
    return wrapper


def check_store_path(store_path: Path, *, create: bool = False) -> bool:
    """Refuse a ``--store`` folder that holds no store, unless ``create``; return True if new.

    A mistyped path must not silently become a new empty store that answers every query
    with nothing; only ``load`` (and ``pull``) may create a store, in a new or empty folder.
    """
    if is_store_directory(store_path):
        return False
    if not create:
        what = "does not exist" if not store_path.exists() else "is not a store"
        raise UnusableStoreOption(f"--store {store_path}: {what} (cityculture load FILE "
                                  "--store PATH creates one)")
    if store_path.exists() and (not store_path.is_dir() or any(store_path.iterdir())):
        raise UnusableStoreOption(f"--store {store_path}: not a store, and not an empty "
                                  "folder to create one in")
    return True


def open_store(store_path: Path | None, endpoint: EndpointOptions | None, *,
               union_default_graph: bool = False, create: bool = False) -> Backend:
    """Open the embedded store (in ``store_path``, or in memory) or the endpoint.

    ``create``: a store may be created in ``store_path``; otherwise a path that holds no
    store is refused (:func:`check_store_path`).
    """
    if store_path is not None and endpoint is not None:
        raise click.UsageError("give --store or --endpoint, not both")
    if endpoint is not None:
        return endpoint.open()
    from cityculture.store.backends import OxigraphBackend

    if store_path is not None:
        check_store_path(store_path, create=create)

    try:
        return OxigraphBackend(store_path, union_default_graph=union_default_graph)
    except OSError as exc:
        raise StoreFailure(f"cannot open the store {store_path}: {exc}") from exc


def store_failure(exc: Exception) -> StoreFailure:
    """Turn an endpoint or store error into the command's error (exit code 3)."""
    if isinstance(exc, EndpointError):
        return StoreFailure(str(exc))
    return StoreFailure(f"{type(exc).__name__}: {exc}")
