"""Open a store by kind: the embedded Oxigraph store, rdflib in memory, or an endpoint.

Kept apart from :mod:`cityculture.store.backends` (the interface and the local engines) and
:mod:`cityculture.store.remote` (endpoints), which build on the interface and so may not be
imported by it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cityculture.store.backends import Backend, OxigraphBackend, RdflibBackend
from cityculture.store.remote import RemoteBackend

BACKEND_KINDS = ("oxigraph", "rdflib", "remote", "oxigraph-server", "virtuoso")


def open_backend(
    kind: str = "oxigraph",
    *,
    path: Path | None = None,
    endpoint: str | None = None,
    update_endpoint: str | None = None,
    gsp_endpoint: str | None = None,
    auth: Any = None,
    timeout: float = 30,
    retries: int = 3,
) -> Backend:
    """Open a backend by kind.

    * ``"oxigraph"`` (default): embedded store in ``path`` (a directory), in memory if None.
    * ``"rdflib"``: rdflib Dataset in memory.
    * ``"remote"``: any SPARQL 1.1 endpoint: ``endpoint`` (query), ``update_endpoint``
      (default: ``endpoint``), ``gsp_endpoint`` (Graph Store Protocol, needed for
      ``replace_graph`` and ``graph_ntriples``); graphs are replaced through a staging graph.
    * ``"oxigraph-server"``: ``endpoint`` is the server's base URL (``/query``, ``/update``,
      ``/store``); graphs are replaced by one GSP PUT (atomic on Oxigraph).
    * ``"virtuoso"``: ``endpoint`` is the ``/sparql`` URL or the base URL (GSP on
      ``/sparql-graph-crud``); graphs are replaced through a staging graph, since Virtuoso's
      GSP PUT is not atomic; system graphs are hidden from ``graph_names``.

    ``auth`` (remote kinds): ``(user, password)`` for basic auth, or a
    :class:`~cityculture.store.remote.BasicAuth`, ``DigestAuth`` or ``BearerAuth``;
    ``timeout`` is per request in seconds; ``retries`` is how many times a request is repeated
    after a connection error or a 5xx answer (with exponential back-off).
    """
    if kind == "oxigraph":
        return OxigraphBackend(path)
    if kind == "rdflib":
        if path is not None:
            raise ValueError("the rdflib backend is in memory only: no path")
        return RdflibBackend()
    if kind not in BACKEND_KINDS:
        raise ValueError(f"unknown backend kind {kind!r}; one of {', '.join(BACKEND_KINDS)}")
    if not endpoint:
        raise ValueError(f"backend {kind!r} needs an endpoint URL")
    if kind == "oxigraph-server":
        return RemoteBackend.for_oxigraph_server(endpoint, auth=auth, timeout=timeout,
                                                 retries=retries)
    if kind == "virtuoso":
        return RemoteBackend.for_virtuoso(endpoint, gsp_endpoint=gsp_endpoint, auth=auth,
                                          timeout=timeout, retries=retries)
    return RemoteBackend(endpoint, update_endpoint=update_endpoint, gsp_endpoint=gsp_endpoint,
                         auth=auth, timeout=timeout, retries=retries)
