"""Load test: `cityculture serve` under N concurrent clients on loopback for D seconds.

Publishes the bundled example (or takes a published site with ``--site``), starts
``cityculture serve`` as a real subprocess on a free 127.0.0.1 port with explicit limits,
then runs ``--clients`` threads, each on its own keep-alive HTTP connection, sending
requests back to back for ``--duration`` seconds. The mix (weights in ``MIX``):

- resource IRIs by ``Accept`` (HTML, Turtle, JSON-LD, N-Triples): the 303 is followed on
  the same connection and the document checked;
- cheap SPARQL SELECTs (JSON results, CSV; GET, POST form and POST sparql-query),
  CONSTRUCTs (Turtle, JSON-LD);
- a query whose result passes the row limit (the server answers 400 "result too large");
- a deliberately expensive cross join, which the time limit must stop (503 + Retry-After).

Every response is checked: a 200 body parses (SPARQL JSON results have ``head`` and
``results``, CSV has the expected header, Turtle/N-Triples/JSON-LD parse with pyoxigraph,
HTML ends with ``</html>``), or the status is one the server documents for that request (a
503 with ``Retry-After`` when the endpoint is busy or the time limit stopped the query, a 400
when the result is too large). Anything else -- a connection reset, a client timeout, a 500,
a malformed body, a 503 without ``Retry-After`` -- is a failure.

Measured: requests per second, latency p50/p95/p99 per kind, counts by status, the longest
time an expensive query held its client (bound: queue wait + time limit + slack, since the
time limit counts from when a worker takes the query), and the resident memory (VmRSS) of
the server process plus every descendant (SPARQL workers, the multiprocessing resource
tracker), sampled every 0.5 s from /proc. Prints a table and a JSON summary; exits 1 when a
response was invalid, the time limit was not honoured, or the peak memory passed
``--max-rss-mib`` (default 256 MiB per process: the server and each worker).

The load generator runs on the same machine (and cores) as the server: the figures are
for both together, the clients in a closed loop (each sends its next request when the
previous one is answered).

Usage:
    python bench/serve_load.py [--site DIR] [--clients 50] [--duration 30] [--timeout 2]
                               [--workers 2] [--queue-timeout 5] [--worker-memory 2048]
                               [--max-rss-mib MIB] [--slack 2] [--seed 1]
                               [--mix expensive=3,...] [--json FILE]
"""

from __future__ import annotations

import argparse
import csv
import http.client
import io
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
COMMAND = [sys.executable, "-c", "from cityculture.cli import main; main()"]
EXPENSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
TOO_LARGE = "SELECT * WHERE { ?s ?p ?o }"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"

# kind -> weight (share of the requests each client picks at random)
MIX: dict[str, int] = {
    "html": 20,
    "turtle": 12,
    "jsonld": 8,
    "ntriples": 4,
    "select_json": 20,
    "select_csv": 12,
    "construct": 12,
    "too_large": 4,
    "expensive": 3,
}
RESOURCE_KINDS = {"html": ("text/html", ".html"), "turtle": ("text/turtle", ".ttl"),
                  "jsonld": ("application/ld+json", ".jsonld"),
                  "ntriples": ("application/n-triples", ".nt")}


# -- what to ask --------------------------------------------------------------------------

@dataclass(frozen=True)
class Targets:
    """What a published site offers: its base IRI and resource paths to dereference."""

    base: str
    resources: tuple[str, ...]
    cities: tuple[str, ...]


def site_targets(site: Path) -> Targets:
    """Read the base IRI and pick resources (cities, nations, indicators, terms, home)."""
    manifest = json.loads((site / "site.json").read_text(encoding="utf-8"))
    resources: list[str] = [""]
    cities: list[str] = []
    for folder in ("city", "nation", "indicator", "ontology", "run", "unit"):
        for page in sorted((site / folder).glob("*.html")):
            if "~" in page.stem:
                continue  # escaped names: keep the mix to plain IRIs
            resources.append(f"{folder}/{page.stem}")
            if folder == "city":
                cities.append(page.stem)
    resources += ["dataset", "ontology", "indicators"]
    return Targets(manifest["base"], tuple(resources), tuple(cities))


@dataclass
class Exchange:
    """One HTTP response as the client saw it."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Outcome:
    """One request of the mix: its kind, how long it held the client, what came back."""

    kind: str
    seconds: float
    statuses: list[int]
    error: str | None = None  # None: valid
    note: str = ""  # "ok", "busy", "time-limit", "too-large"


class Invalid(Exception):
    """A response the server does not document for this request."""


def _parse_rdf(body: bytes, fmt: ox.RdfFormat, base: str) -> int:
    try:
        count = sum(1 for _ in ox.parse(body, format=fmt, base_iri=base))
    except (SyntaxError, ValueError, OSError) as exc:
        raise Invalid(f"{fmt.name} does not parse: {exc}") from exc
    if count == 0:
        raise Invalid(f"empty {fmt.name} document")
    return count


def _content_type(exchange: Exchange, expected: str) -> None:
    found = exchange.headers.get("content-type", "")
    if not found.startswith(expected):
        raise Invalid(f"content-type {found!r}, expected {expected}")


def _json_results(body: bytes, names: list[str]) -> int:
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise Invalid(f"SPARQL JSON results do not parse: {exc}") from exc
    if not isinstance(data, dict) or "head" not in data or "results" not in data:
        raise Invalid("SPARQL JSON results without head/results")
    if data["head"].get("vars") != names:
        raise Invalid(f"unexpected variables {data['head'].get('vars')}")
    bindings = data["results"].get("bindings")
    if not isinstance(bindings, list):
        raise Invalid("results.bindings is not a list")
    return len(bindings)


def _sparql_refusal(exchange: Exchange, allowed: tuple[str, ...]) -> str:
    """Classify a non-200 SPARQL answer as documented ("busy", "time-limit", ...) or raise."""
    text = exchange.body.decode("utf-8", "replace")
    if exchange.status == 503:
        if "retry-after" not in exchange.headers:
            raise Invalid("503 without Retry-After")
        if "time limit" in text:
            return "time-limit"
        if "busy" in text:
            return "busy"
        if "memory" in text:
            return "out-of-memory"
        raise Invalid(f"503 with an undocumented reason: {text[:80]!r}")
    if exchange.status == 400 and "too-large" in allowed and "result too large" in text:
        return "too-large"
    raise Invalid(f"status {exchange.status}: {text[:120]!r}")


def validate(kind: str, exchange: Exchange, base: str, expect: dict[str, object]) -> str:
    """Check one final response for a request of ``kind``; return a note or raise Invalid.

    ``expect`` carries what the request implies (variables of a SELECT, the media type).
    """
    if kind in RESOURCE_KINDS:
        if exchange.status != 200:
            raise Invalid(f"status {exchange.status} for a document")
        media = RESOURCE_KINDS[kind][0]
        _content_type(exchange, media)
        if kind == "html":
            if b"</html>" not in exchange.body:
                raise Invalid("HTML page without </html>")
        elif kind == "turtle":
            _parse_rdf(exchange.body, ox.RdfFormat.TURTLE, base)
        elif kind == "jsonld":
            _parse_rdf(exchange.body, ox.RdfFormat.JSON_LD, base)
        else:
            _parse_rdf(exchange.body, ox.RdfFormat.N_TRIPLES, base)
        return "ok"
    if exchange.status != 200:
        allowed = ("too-large",) if kind == "too_large" else ()
        return _sparql_refusal(exchange, allowed)
    if kind == "too_large":
        raise Invalid("a result past the row limit was answered 200")
    media = str(expect["media"])
    _content_type(exchange, media)
    if kind in ("select_json", "expensive"):
        _json_results(exchange.body, list(expect["vars"]))  # type: ignore[call-overload]
    elif kind == "select_csv":
        try:
            rows = list(csv.reader(io.StringIO(exchange.body.decode("utf-8"))))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise Invalid(f"CSV does not parse: {exc}") from exc
        if not rows or rows[0] != list(expect["vars"]):  # type: ignore[call-overload]
            raise Invalid(f"CSV header {rows[:1]}, expected {expect['vars']}")
        if any(len(row) != len(rows[0]) for row in rows[1:]):
            raise Invalid("CSV rows of uneven length")
    elif kind == "construct":
        fmt = ox.RdfFormat.TURTLE if media == "text/turtle" else ox.RdfFormat.JSON_LD
        _parse_rdf(exchange.body, fmt, base)
    return "ok"


# -- the client -----------------------------------------------------------------------------

class Client:
    """One keep-alive connection; reconnects after an error or a ``Connection: close``."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        """Connect lazily to ``host:port``; ``timeout`` bounds every socket operation."""
        self.host, self.port, self.timeout = host, port, timeout
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, headers: dict[str, str],
                body: bytes | None = None) -> Exchange:
        """Send one request and read the whole response."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except BaseException:
            self.close()
            raise
        found = {k.lower(): v for k, v in response.getheaders()}
        if found.get("connection", "").lower() == "close":
            self.close()
        return Exchange(response.status, found, data)

    def close(self) -> None:
        """Drop the connection."""
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _sparql_request(query: str, accept: str, style: str) -> tuple[str, str, dict[str, str],
                                                                  bytes | None]:
    headers = {"Accept": accept}
    if style == "get":
        return "GET", "/sparql?" + urllib.parse.urlencode({"query": query}), headers, None
    if style == "form":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return "POST", "/sparql", headers, urllib.parse.urlencode({"query": query}).encode()
    headers["Content-Type"] = "application/sparql-query"
    return "POST", "/sparql", headers, query.encode()


def one_request(client: Client, kind: str, targets: Targets, rng: random.Random) -> Outcome:
    """Run one request of ``kind`` (following a 303 for resources) and validate the answer."""
    statuses: list[int] = []
    started = time.monotonic()
    expect: dict[str, object] = {}
    try:
        if kind in RESOURCE_KINDS:
            accept, suffix = RESOURCE_KINDS[kind]
            resource = rng.choice(targets.resources)
            first = client.request("GET", "/" + resource, {"Accept": accept})
            statuses.append(first.status)
            if first.status == 303:
                location = first.headers.get("location", "")
                if not location.endswith(suffix) or "accept" not in first.headers.get(
                        "vary", "").lower():
                    raise Invalid(f"303 to {location!r} for Accept {accept}")
                path = urllib.parse.urlsplit(location).path
                exchange = client.request("GET", path, {"Accept": accept})
                statuses.append(exchange.status)
            else:
                exchange = first  # the home page answers 200 directly
        else:
            city = targets.base + "city/" + rng.choice(targets.cities)
            style = rng.choice(("get", "form", "query"))
            if kind == "select_json":
                query = (f"SELECT ?city ?name WHERE {{ ?city a <{targets.base}ontology/City> ; "
                         f"<{RDFS_LABEL}> ?name }} LIMIT {rng.randint(1, 200)}")
                expect = {"vars": ["city", "name"], "media": "application/sparql-results+json"}
            elif kind == "select_csv":
                query = (f"SELECT ?p ?o WHERE {{ <{city}> ?p ?o }} LIMIT 100")
                expect = {"vars": ["p", "o"], "media": "text/csv"}
            elif kind == "construct":
                query = f"CONSTRUCT {{ <{city}> ?p ?o }} WHERE {{ <{city}> ?p ?o }}"
                expect = {"media": rng.choice(("text/turtle", "application/ld+json"))}
            elif kind == "too_large":
                query = TOO_LARGE
                expect = {"vars": ["s", "p", "o"], "media": "application/sparql-results+json"}
            elif kind == "expensive":
                query = EXPENSIVE
                expect = {"vars": ["n"], "media": "application/sparql-results+json"}
            else:
                raise ValueError(kind)
            method, path, headers, body = _sparql_request(query, str(expect["media"]), style)
            exchange = client.request(method, path, headers, body)
            statuses.append(exchange.status)
        note = validate(kind, exchange, targets.base, expect)
    except Invalid as exc:
        return Outcome(kind, time.monotonic() - started, statuses, str(exc))
    except (OSError, http.client.HTTPException) as exc:
        return Outcome(kind, time.monotonic() - started, statuses,
                       f"{type(exc).__name__}: {exc}")
    return Outcome(kind, time.monotonic() - started, statuses, None, note)


# -- memory ---------------------------------------------------------------------------------

def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/children") as handle:
                    found += [int(p) for p in handle.read().split()]
            except OSError:
                continue
    except OSError:
        return []
    return found


def descendants(pid: int) -> list[int]:
    """The process and all its descendants (from /proc/PID/task/*/children)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += _children(current)
    return found


def rss_kib(pid: int) -> int:
    """VmRSS of one process in KiB (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class MemorySampler:
    """Samples the RSS of a process tree every ``interval`` seconds in a thread."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        """Watch ``pid`` and its descendants."""
        self.pid, self.interval = pid, interval
        self.samples: list[tuple[float, int, int, int]] = []  # (t, server KiB, total, procs)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> tuple[int, int, int]:
        """Return (server KiB, total KiB, number of processes) now."""
        tree = descendants(self.pid)
        sizes = [rss_kib(p) for p in tree]
        return sizes[0], sum(sizes), len(tree)

    def _run(self) -> None:
        start = time.monotonic()
        while not self._stop.is_set():
            server, total, procs = self.sample()
            self.samples.append((time.monotonic() - start, server, total, procs))
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        """Start sampling."""
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        """Stop sampling."""
        self._stop.set()
        self._thread.join(5)


# -- the run --------------------------------------------------------------------------------

def _percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class LoadReport:
    """What a load run saw."""

    clients: int
    duration: float
    elapsed: float
    time_limit: float
    queue_timeout: float
    outcomes: list[Outcome] = field(default_factory=list)
    memory: list[tuple[float, int, int, int]] = field(default_factory=list)
    rss_before_kib: int = 0
    rss_after_kib: int = 0

    @property
    def failures(self) -> list[Outcome]:
        """The requests that did not get a valid, documented answer."""
        return [o for o in self.outcomes if o.error is not None]

    def hold_bound(self, slack: float) -> float:
        """Longest an expensive query may hold a client: queue wait + time limit + slack."""
        return self.queue_timeout + self.time_limit + slack

    def max_hold(self, kind: str = "expensive", note: str | None = None) -> float:
        """The longest a request of ``kind`` (with ``note``, if given) held its client."""
        held = [o.seconds for o in self.outcomes if o.kind == kind
                and (note is None or o.note == note)]
        return max(held, default=0.0)

    def peak_rss_mib(self) -> float:
        """Peak total RSS (server and descendants) in MiB."""
        return max((s[2] for s in self.memory), default=0) / 1024

    def summary(self) -> dict[str, object]:
        """Everything as plain data (the JSON summary)."""
        by_kind: dict[str, list[Outcome]] = defaultdict(list)
        for outcome in self.outcomes:
            by_kind[outcome.kind].append(outcome)
        statuses = Counter(s for o in self.outcomes for s in o.statuses)
        kinds = {}
        for kind, items in sorted(by_kind.items()):
            seconds = [o.seconds for o in items]
            kinds[kind] = {
                "requests": len(items),
                "invalid": sum(o.error is not None for o in items),
                "notes": dict(Counter(o.note for o in items if o.error is None)),
                "p50_ms": round(_percentile(seconds, 0.50) * 1000, 1),
                "p95_ms": round(_percentile(seconds, 0.95) * 1000, 1),
                "p99_ms": round(_percentile(seconds, 0.99) * 1000, 1),
                "max_ms": round(max(seconds) * 1000, 1),
            }
        seconds = [o.seconds for o in self.outcomes]
        return {
            "clients": self.clients,
            "duration_s": self.duration,
            "elapsed_s": round(self.elapsed, 2),
            "requests": len(self.outcomes),
            "http_responses": sum(statuses.values()),
            "requests_per_s": round(len(self.outcomes) / self.elapsed, 1) if self.elapsed else 0,
            "p50_ms": round(_percentile(seconds, 0.50) * 1000, 1),
            "p95_ms": round(_percentile(seconds, 0.95) * 1000, 1),
            "p99_ms": round(_percentile(seconds, 0.99) * 1000, 1),
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "invalid": len(self.failures),
            "invalid_examples": sorted({f"{o.kind}: {o.error}" for o in self.failures})[:10],
            "time_limit_s": self.time_limit,
            "queue_timeout_s": self.queue_timeout,
            "expensive_max_hold_s": round(self.max_hold(), 3),
            "expensive_max_hold_time_limit_s": round(self.max_hold(note="time-limit"), 3),
            "busy_max_hold_s": round(max((o.seconds for o in self.outcomes
                                          if o.note == "busy"), default=0.0), 3),
            "rss_peak_total_mib": round(self.peak_rss_mib(), 1),
            "rss_peak_server_mib": round(max((s[1] for s in self.memory), default=0) / 1024, 1),
            "rss_server_before_mib": round(self.rss_before_kib / 1024, 1),
            "rss_server_after_mib": round(self.rss_after_kib / 1024, 1),
            "max_processes": max((s[3] for s in self.memory), default=0),
            "kinds": kinds,
        }

    def problems(self, slack: float, max_rss_mib: float) -> list[str]:
        """Why the run failed (empty when every property held)."""
        found = []
        if self.failures:
            found.append(f"{len(self.failures)} invalid responses, e.g. "
                         + "; ".join(sorted({f"{o.kind}: {o.error}"
                                             for o in self.failures})[:5]))
        if not any(o.kind == "expensive" for o in self.outcomes):
            found.append("no expensive query was sent")
        bound = self.hold_bound(slack)
        if self.max_hold() > bound:
            found.append(f"an expensive query held its client {self.max_hold():.2f} s "
                         f"(bound {bound:.2f} s: queue wait + time limit + slack)")
        busy = max((o.seconds for o in self.outcomes if o.note == "busy"), default=0.0)
        if busy > self.queue_timeout + slack:
            found.append(f"a 'busy' 503 came after {busy:.2f} s (queue wait "
                         f"{self.queue_timeout:g} s + slack {slack:g} s)")
        if not self.memory:
            found.append("no memory sample")
        elif self.peak_rss_mib() > max_rss_mib:
            found.append(f"peak RSS {self.peak_rss_mib():.0f} MiB > {max_rss_mib:g} MiB")
        return found

    def table(self) -> str:
        """A plain-text table of the run."""
        data = self.summary()
        lines = [f"{data['clients']} clients for {data['duration_s']} s: {data['requests']} "
                 f"requests ({data['http_responses']} HTTP responses) in {data['elapsed_s']} s"
                 f", {data['requests_per_s']} requests/s, {data['invalid']} invalid",
                 "",
                 f"{'kind':<12}{'requests':>9}{'invalid':>8}{'p50 ms':>9}{'p95 ms':>9}"
                 f"{'p99 ms':>9}{'max ms':>9}  outcomes"]
        for kind, row in data["kinds"].items():  # type: ignore[union-attr]
            notes = ", ".join(f"{k} {v}" for k, v in sorted(row["notes"].items()))
            lines.append(f"{kind:<12}{row['requests']:>9}{row['invalid']:>8}"
                         f"{row['p50_ms']:>9}{row['p95_ms']:>9}{row['p99_ms']:>9}"
                         f"{row['max_ms']:>9}  {notes}")
        lines += [f"{'all':<12}{data['requests']:>9}{data['invalid']:>8}{data['p50_ms']:>9}"
                  f"{data['p95_ms']:>9}{data['p99_ms']:>9}",
                  "",
                  "HTTP statuses: " + ", ".join(f"{k}: {v}" for k, v in
                                                data["statuses"].items()),  # type: ignore[union-attr]
                  f"expensive query: longest hold {data['expensive_max_hold_s']} s "
                  f"(stopped by the time limit: {data['expensive_max_hold_time_limit_s']} s); "
                  f"time limit {data['time_limit_s']} s, queue wait {data['queue_timeout_s']} s",
                  f"memory: peak {data['rss_peak_total_mib']} MiB server + workers "
                  f"(server alone {data['rss_peak_server_mib']} MiB; "
                  f"{data['rss_server_before_mib']} MiB before, {data['rss_server_after_mib']}"
                  f" MiB after; up to {data['max_processes']} processes)"]
        return "\n".join(lines)


def run_load(url: str, server_pid: int, targets: Targets, *, clients: int = 50,
             duration: float = 30.0, time_limit: float = 2.0, queue_timeout: float = 5.0,
             seed: int = 1, mix: dict[str, int] | None = None,
             client_timeout: float | None = None,
             progress: Callable[[str], None] | None = None) -> LoadReport:
    """Run ``clients`` threads against ``url`` for ``duration`` seconds; return the report.

    Each client picks kinds from ``mix`` at random (seeded per client) and sends requests
    back to back; a request in flight when the time is up is completed and counted. A
    client gives up on a response after ``client_timeout`` seconds (default: queue wait +
    time limit + 30 s), which counts as a failure.
    """
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    weights = mix or MIX
    kinds, shares = list(weights), list(weights.values())
    timeout = client_timeout or (queue_timeout + time_limit + 30)
    report = LoadReport(clients, duration, 0.0, time_limit, queue_timeout)
    lock = threading.Lock()
    start_line = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client_loop(number: int) -> None:
        rng = random.Random(seed * 100_003 + number)
        client = Client(host, port, timeout)
        mine: list[Outcome] = []
        start_line.wait()
        try:
            while time.monotonic() < deadline[0]:
                mine.append(one_request(client, rng.choices(kinds, shares)[0], targets, rng))
        finally:
            client.close()
            with lock:
                report.outcomes.extend(mine)

    threads = [threading.Thread(target=client_loop, args=(n,), daemon=True)
               for n in range(clients)]
    for thread in threads:
        thread.start()
    sampler = MemorySampler(server_pid)
    report.rss_before_kib = rss_kib(server_pid)
    with sampler:
        started = time.monotonic()
        deadline[0] = started + duration
        start_line.wait()
        for thread in threads:
            thread.join(duration + timeout + 30)
        report.elapsed = time.monotonic() - started
    report.memory = sampler.samples
    report.rss_after_kib = rss_kib(server_pid)
    if any(thread.is_alive() for thread in threads):
        report.outcomes.append(Outcome("client", report.elapsed, [], "a client never returned"))
    if progress:
        progress(f"{len(report.outcomes)} requests in {report.elapsed:.1f} s")
    return report


# -- the server -----------------------------------------------------------------------------

def rss_bound_mib(workers: int) -> float:
    """A memory bound for server + workers: 256 MiB for the server and for each worker.

    Serving the example, the server process takes about 100 MiB and each worker about
    115 MiB (its in-memory copy of ``dumps/all.nq``, 37,000 quads, and the interpreter),
    the multiprocessing resource tracker 12 MiB: the bound is about twice that, so that
    growth under load (buffers, results held, a leak) shows while noise does not.
    """
    return 256.0 * (workers + 1)


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_options(time_limit: float, workers: int, queue_timeout: float,
                   worker_memory: int, max_results: int = 10_000) -> list[str]:
    """The ``cityculture serve`` options for these limits."""
    return ["--timeout", f"{time_limit:g}", "--workers", str(workers), "--queue-timeout",
            f"{queue_timeout:g}", "--worker-memory", str(worker_memory), "--max-results",
            str(max_results)]


@contextmanager
def serving(site: Path, options: list[str], port: int | None = None,
            startup: float = 120.0) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run ``cityculture serve SITE`` on a free 127.0.0.1 port; yield its URL and process."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    log = tempfile.TemporaryFile()
    process = subprocess.Popen([*COMMAND, "serve", str(site), "--host", "127.0.0.1", "--port",
                                str(port), *options], cwd=ROOT, stdout=log,
                               stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + startup
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError("cityculture serve exited: " + log.read().decode())
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/sparql?query=ASK%7B%7D")
                if conn.getresponse().status == 200:
                    conn.close()
                    break
                conn.close()
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("cityculture serve did not start")
            time.sleep(0.3)
        yield url, process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        log.close()


def publish_example(folder: Path) -> Path:
    """Publish the bundled example into ``folder/site``."""
    site = folder / "site"
    subprocess.run([*COMMAND, "publish", str(site)], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    return site


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, help="a published site (default: publish the "
                                                  "example to a temporary folder)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--timeout", type=float, default=2.0, help="serve --timeout")
    parser.add_argument("--workers", type=int, default=2, help="serve --workers")
    parser.add_argument("--queue-timeout", type=float, default=5.0)
    parser.add_argument("--worker-memory", type=int, default=2048, help="MB per worker")
    parser.add_argument("--max-rss-mib", type=float, default=None,
                        help="fail when server + workers pass this (default: "
                             "256 MiB x (workers + 1), see rss_bound_mib)")
    parser.add_argument("--slack", type=float, default=2.0,
                        help="seconds allowed past queue wait + time limit")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mix", type=_mix, default=None, metavar="KIND=W,...",
                        help="override weights of the request mix, e.g. expensive=10")
    parser.add_argument("--json", type=Path, help="also write the JSON summary here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="cityculture-load-") as tmp:
        site = args.site
        if site is None:
            print("publishing the example ...", file=sys.stderr)
            site = publish_example(Path(tmp))
        targets = site_targets(site)
        options = server_options(args.timeout, args.workers, args.queue_timeout,
                                 args.worker_memory)
        with serving(site, options) as (url, process):
            print(f"cityculture serve {' '.join(options)} on {url}; {args.clients} clients "
                  f"for {args.duration:g} s ...", file=sys.stderr)
            report = run_load(url, process.pid, targets, clients=args.clients,
                              duration=args.duration, time_limit=args.timeout,
                              queue_timeout=args.queue_timeout, seed=args.seed,
                              mix=args.mix)
            recovered = recovers(url, targets)
    max_rss = args.max_rss_mib or rss_bound_mib(args.workers)
    problems = report.problems(args.slack, max_rss)
    if not recovered:
        problems.append("the server did not answer a normal query after the load")
    summary = {**report.summary(), "server_options": options, "max_rss_mib": max_rss,
               "answers_after_load": recovered, "problems": problems}
    print(report.table())
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    if problems:
        print("FAILED: " + "; ".join(problems), file=sys.stderr)
        sys.exit(1)


def _mix(text: str) -> dict[str, int]:
    """Parse ``kind=weight,...`` over the default mix."""
    weights = dict(MIX)
    for item in filter(None, text.split(",")):
        kind, _, weight = item.partition("=")
        if kind.strip() not in MIX:
            raise argparse.ArgumentTypeError(f"unknown kind {kind!r} (one of {', '.join(MIX)})")
        weights[kind.strip()] = int(weight)
    return weights


def _recovers(client: Client, targets: Targets, within: float = 60.0) -> bool:
    """Whether a normal SELECT gets a valid 200 within ``within`` seconds after the load."""
    deadline = time.monotonic() + within
    rng = random.Random(0)
    while time.monotonic() < deadline:
        outcome = one_request(client, "select_json", targets, rng)
        if outcome.error is None and outcome.note == "ok":
            return True
        time.sleep(0.5)
    return False


def recovers(url: str, targets: Targets, within: float = 60.0) -> bool:
    """Whether the server at ``url`` answers a normal SELECT (200, valid) within ``within`` s."""
    port = urllib.parse.urlsplit(url).port or 80
    client = Client("127.0.0.1", port, 30)
    try:
        return _recovers(client, targets, within)
    finally:
        client.close()


if __name__ == "__main__":
    main()
