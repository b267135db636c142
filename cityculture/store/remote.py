"""A backend on any SPARQL 1.1 endpoint: SPARQLWrapper for Query/Update, urllib for GSP.

Query and Update go through SPARQLWrapper; the Graph Store Protocol (GSP) through plain HTTP.

Failures surface as one exception, :class:`EndpointError`, whose one-line message names the
endpoint URL and what failed: the endpoint is down (connection refused), the request timed
out, an HTTP status, an answer that does not parse, a connection dropped mid-answer, or a
result the server says it truncated.

Retries: a request is repeated up to ``retries`` times, waiting ``backoff`` seconds, then
twice as long each time (at most ``max_backoff``), when the connection fails (refused, reset,
dropped mid-answer) or the server answers 5xx. Timeouts are not retried (the next attempt
would most likely time out again, multiplying the wait). SPARQL Update requests are not
idempotent, so they are only repeated when they cannot have been applied: connection refused
or HTTP 503. ``timeout`` bounds each connect and each read on the socket, not the whole
request.

Replacing a graph (:meth:`RemoteBackend.replace_graph`) is all-or-nothing in both modes:
bad data, a refused or broken upload, leave the previous version of the graph intact.

* ``"put"``: one GSP ``PUT``; for servers whose PUT parses the whole body before touching the
  graph, in one transaction. Oxigraph server: a PUT with a syntax error in the middle answers
  400 and leaves the previous graph as it was, and concurrent readers see the old or the new
  graph, never a mix (both tested).
* ``"staging"`` (default): ``PUT`` the data into a staging graph (``<graph>#staging``), then
  swap it in with one SPARQL Update request
  (``DROP SILENT GRAPH <g> ; ADD SILENT GRAPH <staging> TO GRAPH <g> ; DROP SILENT GRAPH
  <staging>``). A failed upload only touches the staging graph (removed again). This is what
  Virtuoso 7.2 needs: its GSP PUT empties the graph and then loads the body statement by
  statement, so a syntax error in the middle leaves the graph holding only the triples
  before the error (tested). The swap is one request, but Virtuoso does not isolate it:
  readers running at the same time were seen counting a half-swapped graph (3000 and 5000
  triples swapped, counts of 1000, 2000, 6000 and 7000 seen), also with
  ``DEFINE sql:log-enable 1``. On Virtuoso, replace graphs when nobody reads them, or have
  readers tolerate a short inconsistent window.

Data given in parts (:data:`~cityculture.store.interface.NTriples`) is joined and sent as one
request. The N-Triples are also parsed locally before anything is sent (``check_rdf=True``),
so bad data is refused with the line of the error and no request at all.

Truncation: Virtuoso cuts SELECT results at ``ResultSetMaxRows`` (default 10000) without an
error; it marks such answers with an ``X-SPARQL-MaxRows`` header, and answers cut short by its
anytime-query timeout with ``X-SQL-State``. :meth:`RemoteBackend.select` raises
:class:`EndpointError` on either. Servers that truncate without saying so cannot be detected
here: compare with a ``COUNT`` when in doubt.

Virtuoso 7.2 also writes ``xsd:double`` values with six significant digits in every result
format and in graph dumps (stored values keep full precision: ``STR(?x)`` returns them, and so
does a cast to ``xsd:decimal``). Nothing on the client side can restore the lost digits.
"""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from base64 import b64encode
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from importlib.metadata import PackageNotFoundError, version
from typing import Any, TypeVar

from rdflib import BNode, URIRef
from rdflib.term import Identifier
from SPARQLWrapper import DIGEST, JSON, POST, SELECT, URLENCODED, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from cityculture.store.embedded import STAGING_SUFFIX
from cityculture.store.interface import (
    Bindings,
    NTriples,
    Row,
    bind_values,
    canonical_literal,
    check_graph_name,
    check_ntriples,
    ntriples_document,
    sorted_ntriples,
)

try:
    __version__ = version("cityculture")
except PackageNotFoundError:  # a source tree that is not installed
    __version__ = "0.0.0+unknown"

USER_AGENT = f"cityculture/{__version__}"
T = TypeVar("T")

#: Graphs a fresh Virtuoso holds for itself; hidden from ``graph_names``.
VIRTUOSO_SYSTEM_GRAPHS = (
    "http://www.openlinksw.com/schemas/virtrdf#",
    "http://www.w3.org/ns/ldp#",
    "http://www.w3.org/2002/07/owl#",
    "http://localhost:8890/",
)


class EndpointError(RuntimeError):
    """A SPARQL endpoint failed: down, timed out, HTTP error, unparseable or truncated answer.

    ``str(error)`` is one line naming the endpoint URL and what failed.
    """

    def __init__(self, endpoint_url: str, what_failed: str, *, status: int | None = None,
                 attempts: int = 1) -> None:
        """Record the endpoint, what failed, the HTTP status (if any) and the attempts made."""
        self.endpoint_url = endpoint_url
        self.what_failed = " ".join(what_failed.split())  # one line, whatever the server said
        self.status = status
        self.attempts = attempts
        super().__init__(f"SPARQL endpoint {endpoint_url}: {self.what_failed}")


@dataclass(frozen=True)
class BasicAuth:
    """HTTP basic authentication."""

    user: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class DigestAuth:
    """HTTP digest authentication (Virtuoso's ``/sparql-auth``, ``/sparql-graph-crud-auth``).

    For queries and updates SPARQLWrapper installs a process-wide urllib opener for digest.
    """

    user: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class BearerAuth:
    """An ``Authorization: Bearer <token>`` header."""

    token: str = field(repr=False)


Auth = BasicAuth | DigestAuth | BearerAuth | tuple[str, str] | None


def _as_auth(auth: Any) -> BasicAuth | DigestAuth | BearerAuth | None:
    if auth is None or isinstance(auth, BasicAuth | DigestAuth | BearerAuth):
        return auth
    if isinstance(auth, tuple) and len(auth) == 2:
        return BasicAuth(str(auth[0]), str(auth[1]))
    raise TypeError("auth must be (user, password), BasicAuth, DigestAuth or BearerAuth")


class _Failure(Exception):
    """One failed attempt: what failed, the HTTP status, whether to retry."""

    def __init__(self, what: str, *, status: int | None = None, retry: bool = False,
                 unsent: bool = False) -> None:
        super().__init__(what)
        self.what = what
        self.status = status
        self.retry = retry  # worth repeating an idempotent request
        self.unsent = unsent  # the server cannot have acted on it: safe to repeat any request


def _snippet(body: bytes | str | None, limit: int = 160) -> str:
    """One line of an answer body for a message: tags stripped, whitespace collapsed."""
    if body is None:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    text = re.sub(r"<[^>]*>", " ", text)
    text = " ".join(text.split())
    return text[:limit] + ("..." if len(text) > limit else "")


_SW_STATUS = {"QueryBadFormed": 400, "Unauthorized": 401, "EndPointNotFound": 404,
              "URITooLong": 414, "EndPointInternalError": 500}


def _classify(err: BaseException, timeout: float) -> _Failure:
    """Turn whatever urllib, http.client or SPARQLWrapper raised into one :class:`_Failure`."""
    if isinstance(err, _Failure):
        return err
    if isinstance(err, urllib.error.HTTPError):
        try:
            body = err.read()
        except (OSError, http.client.HTTPException):
            body = b""
        return _http_failure(err.code, err.reason, body)
    if isinstance(err, SPARQLWrapperException):
        code = _SW_STATUS.get(type(err).__name__, 0)
        text = str(err.args[0]) if err.args else ""
        return _http_failure(code, http.client.responses.get(code, ""),
                             text.split("Response:", 1)[-1])
    if isinstance(err, urllib.error.URLError):
        reason = err.reason
        if isinstance(reason, TimeoutError):
            return _Failure(f"timed out after {timeout:g} s (connecting)")
        if isinstance(reason, ConnectionRefusedError):
            return _Failure("endpoint down (connection refused)", retry=True, unsent=True)
        return _Failure(f"cannot connect ({reason})", retry=True,
                        unsent=isinstance(reason, OSError) and not isinstance(reason, str))
    if isinstance(err, TimeoutError):
        return _Failure(f"timed out after {timeout:g} s waiting for the answer")
    if isinstance(err, http.client.IncompleteRead):
        return _Failure(f"connection dropped mid-answer ({len(err.partial)} bytes received, "
                        f"{err.expected} more expected)", retry=True)
    if isinstance(err, http.client.RemoteDisconnected | ConnectionError):
        return _Failure(f"connection dropped ({type(err).__name__}: {err})", retry=True)
    if isinstance(err, http.client.HTTPException):
        return _Failure(f"unparseable answer (bad HTTP response: {type(err).__name__} "
                        f"{_snippet(str(err))})")
    if isinstance(err, OSError):
        return _Failure(f"connection failed ({type(err).__name__}: {err})", retry=True)
    raise err


def _http_failure(code: int, reason: str, body: bytes | str) -> _Failure:
    detail = _snippet(body)
    what = f"HTTP {code} {reason}".rstrip() + (f": {detail}" if detail else "")
    return _Failure(what, status=code, retry=500 <= code < 600, unsent=code == 503)


class RemoteBackend:
    """A :class:`~cityculture.store.backends.Backend` on a SPARQL 1.1 endpoint.

    :param endpoint: the query URL.
    :param update_endpoint: the update URL (default: ``endpoint``).
    :param gsp_endpoint: the Graph Store Protocol URL; the graph goes in the query string
        parameter ``gsp_graph_param`` (``graph``, as in the GSP Recommendation).
    :param auth: ``(user, password)`` (basic), :class:`BasicAuth`, :class:`DigestAuth` or
        :class:`BearerAuth`.
    :param timeout: seconds each connect and each read may take.
    :param retries: how many times a failed request is repeated (see the module docstring).
    :param backoff: the first wait before a retry, in seconds; doubled at each retry.
    :param replace_mode: ``"staging"`` or ``"put"`` (see the module docstring).
    :param check_rdf: parse N-Triples locally before sending them.
    :param hidden_graphs: graph-name prefixes ``graph_names`` leaves out (server graphs).
    :param allow_truncated: return results the server says it truncated instead of raising.
    :param query_params: extra request parameters sent with every query (server options,
        e.g. Virtuoso's ``timeout`` or ``maxrows``).
    """

    def __init__(
        self,
        endpoint: str,
        *,
        update_endpoint: str | None = None,
        gsp_endpoint: str | None = None,
        auth: Auth = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.25,
        max_backoff: float = 8.0,
        replace_mode: str = "staging",
        gsp_graph_param: str = "graph",
        check_rdf: bool = True,
        hidden_graphs: tuple[str, ...] = (),
        allow_truncated: bool = False,
        query_params: dict[str, str] | None = None,
        name: str = "remote",
    ) -> None:
        """Configure the endpoint URLs, authentication, timeout and retries (no request yet)."""
        if replace_mode not in ("staging", "put"):
            raise ValueError("replace_mode must be 'staging' or 'put'")
        if retries < 0 or timeout <= 0:
            raise ValueError("retries must be >= 0 and timeout > 0")
        self.endpoint = endpoint
        self.update_endpoint = update_endpoint or endpoint
        self.gsp_endpoint = gsp_endpoint
        self.auth = _as_auth(auth)
        self.timeout = float(timeout)
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.replace_mode = replace_mode
        self.gsp_graph_param = gsp_graph_param
        self.check_rdf = check_rdf
        self.hidden_graphs = hidden_graphs
        self.allow_truncated = allow_truncated
        self.query_params = dict(query_params or {})
        self.name = name
        handlers: list[urllib.request.BaseHandler] = []
        if isinstance(self.auth, DigestAuth) and gsp_endpoint:
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            passwords.add_password(None, gsp_endpoint, self.auth.user, self.auth.password)
            handlers.append(urllib.request.HTTPDigestAuthHandler(passwords))
        self._opener = urllib.request.build_opener(*handlers)

    @classmethod
    def for_oxigraph_server(cls, base_url: str, **options: Any) -> RemoteBackend:
        """Oxigraph server at ``base_url``: ``/query``, ``/update``, ``/store``; replace by PUT."""
        base = base_url.rstrip("/")
        options.setdefault("replace_mode", "put")
        options.setdefault("name", "oxigraph-server")
        return cls(base + "/query", update_endpoint=base + "/update",
                   gsp_endpoint=base + "/store", **options)

    @classmethod
    def for_virtuoso(cls, url: str, *, gsp_endpoint: str | None = None,
                     **options: Any) -> RemoteBackend:
        """Virtuoso at ``url`` (base URL or ``/sparql``); replace through a staging graph.

        GSP defaults to ``/sparql-graph-crud`` (anonymous writes need
        ``grant SPARQL_UPDATE to "SPARQL"``); with :class:`DigestAuth` use ``/sparql-auth``
        as ``url`` and ``/sparql-graph-crud-auth`` as ``gsp_endpoint``.
        """
        endpoint = url.rstrip("/")
        base = re.sub(r"/sparql(-auth)?$", "", endpoint)
        if endpoint == base:
            endpoint = base + "/sparql"
        options.setdefault("replace_mode", "staging")
        options.setdefault("name", "virtuoso")
        options.setdefault("hidden_graphs", (*VIRTUOSO_SYSTEM_GRAPHS, base + "/"))
        return cls(endpoint, gsp_endpoint=gsp_endpoint or base + "/sparql-graph-crud",
                   **options)

    # --- requests -------------------------------------------------------------------------

    def _attempts(self, url: str, action: str, call: Callable[[], T], *,
                  idempotent: bool = True) -> T:
        """Run ``call`` with retries and back-off; raise :class:`EndpointError` at the end."""
        delay = self.backoff
        attempt = 0
        while True:
            attempt += 1
            try:
                return call()
            except Exception as err:  # classified below; anything unknown is re-raised
                failure = _classify(err, self.timeout)
                repeat = failure.unsent or (idempotent and failure.retry)
                if not repeat or attempt > self.retries:
                    tries = f" (after {attempt} attempts)" if attempt > 1 else ""
                    raise EndpointError(url, f"{action} failed: {failure.what}{tries}",
                                        status=failure.status, attempts=attempt) from err
                time.sleep(min(delay, self.max_backoff))
                delay *= 2

    def _wrapper(self, text: str, query_type: str) -> SPARQLWrapper:
        wrapper = SPARQLWrapper(self.endpoint, updateEndpoint=self.update_endpoint,
                                returnFormat=JSON, agent=USER_AGENT)
        wrapper.setMethod(POST)
        wrapper.setRequestMethod(URLENCODED)
        wrapper.setOnlyConneg(True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SPARQLWrapper's guess of the query form
            wrapper.setQuery(text)
        wrapper.queryType = query_type  # decided by the caller, not guessed from the text
        wrapper.timeout = self.timeout  # type: ignore[assignment]  # setTimeout rounds to int
        if query_type in (SELECT, "ASK"):
            for key, value in self.query_params.items():
                wrapper.addParameter(key, value)
        if isinstance(self.auth, BasicAuth):
            wrapper.setCredentials(self.auth.user, self.auth.password)
        elif isinstance(self.auth, DigestAuth):
            wrapper.setHTTPAuth(DIGEST)
            wrapper.setCredentials(self.auth.user, self.auth.password)
        elif isinstance(self.auth, BearerAuth):
            wrapper.addCustomHttpHeader("Authorization", f"Bearer {self.auth.token}")
        return wrapper

    def _sparql(self, text: str, query_type: str) -> tuple[bytes, Message]:
        """Send one query or update; return the answer body and headers."""
        is_update = query_type not in (SELECT, "ASK")
        url = self.update_endpoint if is_update else self.endpoint

        def call() -> tuple[bytes, Message]:
            result = self._wrapper(text, query_type).query()
            response = result.response
            try:
                return response.read(), response.headers
            finally:
                response.close()

        action = "update" if is_update else f"{query_type} query"
        return self._attempts(url, action, call, idempotent=not is_update)

    def _results(self, text: str, query_type: str) -> tuple[dict[str, Any], Message]:
        body, headers = self._sparql(text, query_type)
        try:
            data = json.loads(body)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
        except (ValueError, UnicodeDecodeError) as err:
            kind = headers.get("Content-Type", "no Content-Type")
            raise EndpointError(
                self.endpoint,
                f"{query_type} query failed: unparseable answer (expected SPARQL JSON results, "
                f"got {kind}: {_snippet(body, 80)!r}; {err})",
            ) from err
        return data, headers

    def select(self, query: str, bindings: Bindings = None) -> list[Row]:
        """Run a SELECT query; parameters go in as escaped terms (:func:`bind_values`).

        :raises EndpointError: the request failed, the answer does not parse, or the server
            says it truncated the result (``X-SPARQL-MaxRows`` or ``X-SQL-State`` headers).
        """
        text = bind_values(query, bindings)
        data, headers = self._results(text, SELECT)
        try:
            names = [str(v) for v in data["head"]["vars"]]
            rows = [{n: _json_term(cell[n]) if n in cell else None for n in names}
                    for cell in data["results"]["bindings"]]
        except (KeyError, TypeError, ValueError) as err:
            raise EndpointError(self.endpoint, "SELECT query failed: unparseable answer "
                                f"(not SPARQL JSON results: {type(err).__name__} {err})") from err
        self._check_complete(rows, headers)
        return rows

    def _check_complete(self, rows: list[Row], headers: Message) -> None:
        if self.allow_truncated:
            return
        max_rows = headers.get("X-SPARQL-MaxRows")
        if max_rows is not None and max_rows.strip().isdigit() and len(rows) >= int(max_rows):
            raise EndpointError(
                self.endpoint,
                f"SELECT query failed: answer truncated at {max_rows} rows by the server "
                "(X-SPARQL-MaxRows; raise Virtuoso's ResultSetMaxRows or page with LIMIT/OFFSET)")
        state = headers.get("X-SQL-State")
        if state:
            message = headers.get("X-SQL-Message", "")
            raise EndpointError(self.endpoint, f"SELECT query failed: partial answer "
                                f"(X-SQL-State {state}: {_snippet(message, 100)})")

    def ask(self, query: str, bindings: Bindings = None) -> bool:
        """Run an ASK query."""
        text = bind_values(query, bindings)
        data, _ = self._results(text, "ASK")
        answer = data.get("boolean")
        if not isinstance(answer, bool):
            raise EndpointError(self.endpoint,
                                "ASK query failed: unparseable answer (no boolean in it)")
        return answer

    def update(self, update: str) -> None:
        """Run a SPARQL Update request (repeated only if it cannot have been applied)."""
        self._sparql(update, "INSERT")

    # --- Graph Store Protocol ------------------------------------------------------------

    def _gsp_url(self, graph: str) -> str:
        if not self.gsp_endpoint:
            raise ValueError(f"{self.name}: no Graph Store Protocol URL (gsp_endpoint) given")
        query = urllib.parse.urlencode({self.gsp_graph_param: check_graph_name(graph)})
        return f"{self.gsp_endpoint}{'&' if '?' in self.gsp_endpoint else '?'}{query}"

    def _http(self, method: str, url: str, *, data: bytes | None = None,
              headers: dict[str, str] | None = None, missing_ok: bool = False) -> bytes:
        """One GSP request with retries; returns the body (empty for 404 when missing_ok)."""
        request_headers = {"User-Agent": USER_AGENT, **(headers or {})}
        if isinstance(self.auth, BasicAuth):
            token = b64encode(f"{self.auth.user}:{self.auth.password}".encode()).decode()
            request_headers["Authorization"] = f"Basic {token}"
        elif isinstance(self.auth, BearerAuth):
            request_headers["Authorization"] = f"Bearer {self.auth.token}"

        def call() -> bytes:
            request = urllib.request.Request(url, data=data, method=method,
                                             headers=request_headers)
            try:
                with self._opener.open(request, timeout=self.timeout) as response:
                    return bytes(response.read())
            except urllib.error.HTTPError as err:
                if missing_ok and err.code == 404:
                    return b""
                raise

        return self._attempts(self.gsp_endpoint or url, f"graph store {method} of {url}", call)

    def _put(self, graph: str, ntriples: bytes) -> None:
        self._http("PUT", self._gsp_url(graph), data=ntriples,
                   headers={"Content-Type": "application/n-triples"})

    def replace_graph(self, graph: str, ntriples: NTriples) -> None:
        """Replace ``graph`` all-or-nothing (one PUT, or staging graph plus one update).

        Parts are joined and sent as one request: a retried request then never adds a part's
        blank nodes twice.
        """
        check_graph_name(graph)
        ntriples = ntriples_document(ntriples)
        if self.check_rdf:
            check_ntriples(ntriples)
        if self.replace_mode == "put":
            self._put(graph, ntriples)
            return
        staging = graph + (STAGING_SUFFIX if "#" not in graph else "-staging")
        try:
            self._put(staging, ntriples)
        except EndpointError:
            self._drop_quietly(staging)
            raise
        try:
            self.update(f"DROP SILENT GRAPH <{graph}> ; "
                        f"ADD SILENT GRAPH <{staging}> TO GRAPH <{graph}> ; "
                        f"DROP SILENT GRAPH <{staging}>")
        except EndpointError:
            self._drop_quietly(staging)
            raise

    def _drop_quietly(self, graph: str) -> None:
        try:
            self.drop_graph(graph)
        except EndpointError:
            pass  # best effort: a leftover staging graph is never read as data

    def graph_ntriples(self, graph: str) -> bytes:
        """Return ``graph`` as sorted N-Triples (GSP GET; empty when there is no graph)."""
        url = self._gsp_url(graph)
        body = self._http("GET", url, headers={"Accept": "application/n-triples"},
                          missing_ok=True)
        try:
            return sorted_ntriples(body)
        except SyntaxError as err:
            raise EndpointError(self.gsp_endpoint or url, f"graph store GET of {url} failed: "
                                f"unparseable answer (not N-Triples: {err})") from err

    def drop_graph(self, graph: str) -> None:
        """Remove ``graph`` (GSP DELETE, or ``DROP SILENT GRAPH`` without GSP)."""
        if self.gsp_endpoint:
            self._http("DELETE", self._gsp_url(graph), missing_ok=True)
        else:
            self.update(f"DROP SILENT GRAPH <{check_graph_name(graph)}>")

    def graph_names(self) -> list[str]:
        """Return the named graphs holding triples, sorted (staging and server graphs left out)."""
        rows = self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        names = {str(r["g"]) for r in rows if isinstance(r["g"], URIRef)}
        return sorted(
            n for n in names
            if not n.endswith((STAGING_SUFFIX, "-staging"))
            and not any(n.startswith(prefix) for prefix in self.hidden_graphs)
        )

    def close(self) -> None:
        """Nothing to release: every request opens and closes its own connection."""


def _json_term(cell: Any) -> Identifier:
    """One RDF term of SPARQL 1.1 JSON results (``typed-literal``: Virtuoso's older form)."""
    kind, value = cell["type"], cell["value"]
    if not isinstance(value, str):
        raise ValueError(f"term value {value!r} is not a string")
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    if kind in ("literal", "typed-literal"):
        return canonical_literal(value, cell.get("datatype"), cell.get("xml:lang"))
    raise ValueError(f"unknown term type {kind!r}")
