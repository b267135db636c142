"""The read-only SPARQL 1.1 endpoint: queries run in worker processes that can be killed.

pyoxigraph cannot interrupt a query running in a thread, so each query runs in one of a
fixed number of worker processes, each holding its own in-memory copy of the published
data. The server waits for the answer at most the time limit; past it, the worker is
killed (SIGKILL) and replaced, and the client gets 503. Each worker's address space is
capped (``RLIMIT_AS``), so a query that would exhaust memory kills only its worker (503).
Results are written row by row and refused past the row or byte limit. When every worker
is busy for longer than the queue wait, the client gets 503 with ``Retry-After``.

Everything whose cost grows with the query happens in the worker, never in the server's
event loop: the check of :func:`cityculture.query_text.check_read_only` (updates and
``SERVICE`` refused from the parsed query, 400) runs there under the same time limit.
Read-only by construction: the worker only ever calls ``Store.query``. Offline by
construction: before it reads a query, the worker gives up its network access for good
(:func:`cityculture.offline.forbid_network`), so even a ``SERVICE`` the check missed cannot
connect. ``FROM`` and ``FROM NAMED`` name graphs of the local dataset and are never fetched.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import multiprocessing
import multiprocessing.connection
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

import pyoxigraph as ox

from cityculture.offline import forbid_network
from cityculture.publish.jsonld import jsonld_bytes
from cityculture.query_text import UnsafeQueryError, check_read_only, has_dataset_clause
from cityculture.serve.negotiation import negotiate
from cityculture.store.results import csv_text

SELECT_TYPES = ("application/sparql-results+json", "application/sparql-results+xml",
                "text/csv", "text/tab-separated-values", "application/json", "application/xml")
ASK_TYPES = ("application/sparql-results+json", "application/sparql-results+xml",
             "application/json", "application/xml")
GRAPH_TYPES = ("text/turtle", "application/n-triples", "application/ld+json",
               "application/rdf+xml")
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
T = TypeVar("T")


@dataclass(frozen=True)
class Limits:
    """How much one query may take: seconds, result rows (or triples), result bytes."""

    timeout: float = 10.0
    max_results: int = 10_000
    max_bytes: int = 50_000_000


@dataclass
class QueryJob:
    """One query to run, with what the client accepts."""

    query: str
    accept: str | None
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)


@dataclass
class QueryOutcome:
    """What to answer: status, media type and body (and extra headers)."""

    status: int
    media_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def text_outcome(status: int, message: str, headers: dict[str, str] | None = None
                 ) -> QueryOutcome:
    """Return a plain-text answer (errors, refusals)."""
    return QueryOutcome(status, "text/plain; charset=utf-8", (message + "\n").encode(),
                        headers or {})


# -- refusing what a read-only, offline endpoint must not run -----------------------------

def refusal(query: str) -> str | None:
    """Return why a query is refused (an update, SERVICE, no query form), or None.

    The check is :func:`cityculture.query_text.check_read_only` (on the parsed query), the
    same the ``query`` command and the shapes check use. It runs in a worker (:func:`execute`).

    >>> refusal("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    'refused: SERVICE (federated query) would make the store connect to another server'
    >>> refusal('SELECT ?service WHERE { ?service <http://x/SERVICE> "SERVICE" }') is None
    True
    """
    try:
        check_read_only(query)
    except UnsafeQueryError as exc:
        return str(exc)
    return None


# -- result writers -----------------------------------------------------------------------

class ResultTooLarge(Exception):
    """The result passed the row or byte limit."""


class _Buffer(io.BytesIO):
    """A byte buffer that refuses to grow past a limit."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if self.tell() + len(data) > self.limit:
            raise ResultTooLarge(f"the result is larger than {self.limit} bytes")
        return super().write(data)


def _limited(items: Iterable, limit: int) -> Iterator:
    for count, item in enumerate(items, start=1):
        if count > limit:
            raise ResultTooLarge(f"the result has more than {limit} rows or triples")
        yield item


def _json_term(term: object) -> dict[str, object]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        found: dict[str, object] = {"type": "literal", "value": term.value}
        if term.language:
            found["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            found["datatype"] = term.datatype.value
        return found
    if isinstance(term, ox.Triple):
        return {"type": "triple", "value": {"subject": _json_term(term.subject),
                                            "predicate": _json_term(term.predicate),
                                            "object": _json_term(term.object)}}
    raise TypeError(f"unexpected term {term!r}")


def _xml_term(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{xml_escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{xml_escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return (f"<literal xml:lang={quoteattr(term.language)}>"
                    f"{xml_escape(term.value)}</literal>")
        if term.datatype.value != XSD_STRING:
            return (f"<literal datatype={quoteattr(term.datatype.value)}>"
                    f"{xml_escape(term.value)}</literal>")
        return f"<literal>{xml_escape(term.value)}</literal>"
    if isinstance(term, ox.Triple):
        return (f"<triple><subject>{_xml_term(term.subject)}</subject><predicate>"
                f"{_xml_term(term.predicate)}</predicate><object>{_xml_term(term.object)}"
                f"</object></triple>")
    raise TypeError(f"unexpected term {term!r}")


def _csv_value(term: object) -> str:
    """One CSV cell, made safe for spreadsheets as ``query --format csv`` makes it."""
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        return csv_text(term.value, term.datatype.value)
    if isinstance(term, ox.NamedNode):
        return csv_text(term.value)
    return csv_text(str(term))


def write_solutions(solutions: ox.QuerySolutions, media_type: str, limits: Limits) -> bytes:
    """Write SELECT results (JSON, XML, CSV or TSV) within the row and byte limits."""
    names = [v.value for v in solutions.variables]
    rows = _limited(solutions, limits.max_results)
    out = _Buffer(limits.max_bytes)
    if media_type in ("application/sparql-results+json", "application/json"):
        out.write(json.dumps({"head": {"vars": names}}).encode()[:-1])
        out.write(b', "results": {"bindings": [')
        for position, row in enumerate(rows):
            binding = {n: _json_term(row[n]) for n in names if row[n] is not None}
            out.write((", " if position else "").encode() + json.dumps(
                binding, ensure_ascii=False).encode())
        out.write(b"]}}\n")
    elif media_type in ("application/sparql-results+xml", "application/xml"):
        out.write(b'<?xml version="1.0" encoding="utf-8"?>\n'
                  b'<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>')
        out.write("".join(f"<variable name={quoteattr(n)}/>" for n in names).encode())
        out.write(b"</head><results>")
        for row in rows:
            cells = "".join(f"<binding name={quoteattr(n)}>{_xml_term(row[n])}</binding>"
                            for n in names if row[n] is not None)
            out.write(f"<result>{cells}</result>".encode())
        out.write(b"</results></sparql>\n")
    elif media_type == "text/csv":
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(names)
        out.write(text.getvalue().encode())
        for row in rows:
            text.seek(0)
            text.truncate()
            writer.writerow([_csv_value(row[n]) for n in names])
            out.write(text.getvalue().encode())
    elif media_type == "text/tab-separated-values":
        out.write(("\t".join(f"?{n}" for n in names) + "\n").encode())
        for row in rows:
            out.write(("\t".join("" if row[n] is None else str(row[n]) for n in names)
                       + "\n").encode())
    else:
        raise ValueError(media_type)
    return out.getvalue()


def write_boolean(value: bool, media_type: str) -> bytes:
    """Write an ASK result (JSON or XML)."""
    if media_type in ("application/sparql-results+xml", "application/xml"):
        return (b'<?xml version="1.0" encoding="utf-8"?>\n<sparql xmlns="http://www.w3.org/'
                b'2005/sparql-results#"><head/><boolean>' + (b"true" if value else b"false")
                + b"</boolean></sparql>\n")
    return json.dumps({"head": {}, "boolean": value}).encode() + b"\n"


def write_triples(triples: ox.QueryTriples, media_type: str, limits: Limits,
                  prefixes: dict[str, str]) -> bytes:
    """Write CONSTRUCT or DESCRIBE results within the triple and byte limits."""
    collected = list(_limited(triples, limits.max_results))
    if media_type == "application/ld+json":
        data = jsonld_bytes(collected, prefixes)
    else:
        formats = {"text/turtle": ox.RdfFormat.TURTLE, "application/n-triples":
                   ox.RdfFormat.N_TRIPLES, "application/rdf+xml": ox.RdfFormat.RDF_XML}
        out = _Buffer(limits.max_bytes)
        ox.serialize(collected, out, formats[media_type], prefixes=prefixes)
        return out.getvalue()
    if len(data) > limits.max_bytes:
        raise ResultTooLarge(f"the result is larger than {limits.max_bytes} bytes")
    return data


def execute(store: ox.Store, job: QueryJob, limits: Limits,
            prefixes: dict[str, str]) -> QueryOutcome:
    """Check one query, run it on a store and write its result as the client accepts.

    Runs in a worker: the check (a parse) costs time in proportion to the query.
    """
    reason = refusal(job.query)
    if reason:
        return text_outcome(400, reason)
    options: dict[str, object] = {}
    try:
        if job.default_graphs:
            options["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs]
        elif not has_dataset_clause(job.query):
            # The default graph is the union of the named graphs, unless the query says which
            # graphs make it (FROM): those are local graph names, never fetched.
            options["use_default_graph_as_union"] = True
        if job.named_graphs:
            options["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
        result = store.query(job.query, **options)  # type: ignore[arg-type]
    except (SyntaxError, ValueError) as exc:  # the query, or a graph name that is no IRI
        return text_outcome(400, f"query not accepted: {' '.join(str(exc).split())}")
    try:
        if isinstance(result, ox.QuerySolutions):
            media = negotiate(job.accept, SELECT_TYPES)
            if media is None:
                return text_outcome(406, "SELECT results are offered as " + ", ".join(
                    SELECT_TYPES[:4]))
            body = write_solutions(result, media, limits)
        elif isinstance(result, ox.QueryBoolean):
            media = negotiate(job.accept, ASK_TYPES)
            if media is None:
                return text_outcome(406, "ASK results are offered as " + ", ".join(
                    ASK_TYPES[:2]))
            body = write_boolean(bool(result), media)
        else:
            media = negotiate(job.accept, GRAPH_TYPES)
            if media is None:
                return text_outcome(406, "graph results are offered as " + ", ".join(
                    GRAPH_TYPES))
            body = write_triples(result, media, limits, prefixes)
    except ResultTooLarge as exc:
        return text_outcome(400, f"result too large: {exc} (this endpoint's limit); add a "
                                 "LIMIT or narrow the query")
    except OSError as exc:  # evaluation errors surface while iterating
        return text_outcome(400, f"query failed: {exc}")
    charset = "; charset=utf-8" if media.startswith("text/") or "json" in media else ""
    return QueryOutcome(200, media + charset, body)


# -- worker processes ---------------------------------------------------------------------

@dataclass(frozen=True)
class DataFiles:
    """What each worker loads: N-Quads files, and Turtle files each into a named graph.

    Or ``store``: an embedded store directory that each worker opens read-only instead of
    loading files (nothing to load, so the endpoint answers at once).
    """

    nquads: tuple[Path, ...] = ()
    turtle: tuple[tuple[Path, str], ...] = ()
    prefixes: tuple[tuple[str, str], ...] = ()
    store: Path | None = None

    def __post_init__(self) -> None:
        """Refuse files together with a store: a read-only store cannot load them."""
        if self.store is not None and (self.nquads or self.turtle):
            raise ValueError("a SPARQL worker reads either a store or files, not both")


def _worker_main(conn: multiprocessing.connection.Connection, data: DataFiles,
                 limits: Limits, memory_mb: int) -> None:
    """Worker process: give up the network, load the data, answer jobs until the pipe closes."""
    try:
        forbid_network()
    except OSError as exc:
        conn.send(("failed", f"a SPARQL worker could not give up its network access, so "
                             f"the endpoint does not start: {exc}"))
        return
    if memory_mb > 0:
        import resource

        cap = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    store = ox.Store.read_only(str(data.store)) if data.store is not None else ox.Store()
    for path in data.nquads:
        store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
    for path, graph in data.turtle:
        store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(graph))
    prefixes = dict(data.prefixes)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            outcome = execute(store, job, limits, prefixes)
        except MemoryError:
            outcome = text_outcome(503, "query ran out of memory")
        conn.send(outcome)


class WorkerTimeout(Exception):
    """The worker did not answer in time."""


class Worker:
    """One worker process and the pipe to it."""

    def __init__(self, data: DataFiles, limits: Limits, memory_mb: int,
                 startup_timeout: float = 120.0) -> None:
        """Start a worker and wait until it has loaded the data."""
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, data, limits, memory_mb),
                                       daemon=True, name="cityculture-sparql-worker")
        self.process.start()
        child.close()
        if not self.conn.poll(startup_timeout):
            self.kill()
            raise RuntimeError("a SPARQL worker did not start in time")
        state, detail = self.conn.recv()
        if state != "ready":
            self.kill()
            raise RuntimeError(detail)

    def call(self, job: QueryJob, timeout: float) -> QueryOutcome:
        """Send a job and wait for the outcome at most ``timeout`` seconds."""
        self.conn.send(job)
        if not self.conn.poll(timeout):
            raise WorkerTimeout
        return self.conn.recv()

    def kill(self) -> None:
        """Stop the worker at once."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class QueryPool:
    """A fixed number of workers; a query waits for a free one, then runs under a deadline."""

    def __init__(self, data: DataFiles, *, workers: int = 2, limits: Limits | None = None,
                 memory_mb: int = 2048, queue_timeout: float = 5.0) -> None:
        """Describe the pool; :meth:`start` starts it."""
        self.data = data
        self.size = max(1, workers)
        self.limits = limits or Limits()
        self.memory_mb = memory_mb
        self.queue_timeout = queue_timeout
        self._idle: asyncio.Queue[Worker] | None = None
        self._all: set[Worker] = set()
        self._lock = threading.Lock()
        self._threads: ThreadPoolExecutor | None = None
        self.stats = {"answered": 0, "timeouts": 0, "crashed": 0, "busy": 0}

    async def _in_thread(self, function: Callable[..., T], *args: object) -> T:
        assert self._threads is not None, "the pool is not started"
        return await asyncio.get_running_loop().run_in_executor(self._threads, function, *args)

    async def start(self) -> None:
        """Start every worker (in parallel threads) and wait until all are ready.

        The pool waits on its workers in threads of its own, one per worker for a query and
        one per worker being replaced: never fewer than the queries that can run at once,
        so a query's time limit starts when it is sent, not when a shared thread (asyncio's
        default executor has ``cpu_count + 4``) happens to be free.
        """
        self._idle = asyncio.Queue()
        self._threads = ThreadPoolExecutor(max_workers=2 * self.size,
                                           thread_name_prefix="cityculture-sparql")
        workers = await asyncio.gather(*(self._in_thread(self._spawn)
                                         for _ in range(self.size)))
        for worker in workers:
            self._idle.put_nowait(worker)

    def _spawn(self) -> Worker:
        worker = Worker(self.data, self.limits, self.memory_mb)
        with self._lock:
            self._all.add(worker)
        return worker

    def _kill_and_spawn(self, worker: Worker) -> Worker:
        with self._lock:
            self._all.discard(worker)
        worker.kill()
        return self._spawn()

    async def _replace(self, worker: Worker) -> None:
        replacement = await self._in_thread(self._kill_and_spawn, worker)
        assert self._idle is not None
        self._idle.put_nowait(replacement)

    async def run(self, job: QueryJob) -> QueryOutcome:
        """Run a query on a free worker within the time limit; 503 when none or too slow."""
        assert self._idle is not None, "the pool is not started"
        try:
            worker = await asyncio.wait_for(self._idle.get(), self.queue_timeout)
        except TimeoutError:
            self.stats["busy"] += 1
            return text_outcome(503, "the endpoint is busy; try again shortly",
                                {"Retry-After": "2"})
        try:  # the time limit counts from when a worker takes the query
            outcome = await self._in_thread(worker.call, job, self.limits.timeout)
        except WorkerTimeout:
            self.stats["timeouts"] += 1
            asyncio.get_running_loop().create_task(self._replace(worker))
            return text_outcome(503, f"query time limit ({self.limits.timeout:g} s) exceeded; "
                                     "the query was stopped", {"Retry-After": "2"})
        except (EOFError, OSError, BrokenPipeError):
            self.stats["crashed"] += 1
            asyncio.get_running_loop().create_task(self._replace(worker))
            return text_outcome(503, "the query exhausted the worker's memory and was "
                                     "stopped", {"Retry-After": "2"})
        self.stats["answered"] += 1
        self._idle.put_nowait(worker)
        return outcome

    def close(self) -> None:
        """Kill every worker."""
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.kill()
        if self._threads is not None:
            self._threads.shutdown(wait=False, cancel_futures=True)
