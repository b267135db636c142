"""Start and stop real SPARQL servers on 127.0.0.1 for the tests and benchmarks.

Two servers are supported, each as a context manager that starts the server, waits until it
answers, yields its endpoints and stops it again (also when the body raises):

* :func:`oxigraph_server`: ``oxigraph serve`` (``pip install oxigraph``) on a data directory.
* :func:`virtuoso_server`: Virtuoso Open Source 7 (Debian ``virtuoso-opensource``) with a
  throw-away database in a work directory.

Both raise :class:`ServerUnavailable` when the binary is missing or the server does not answer
in time; tests turn that (and only that) into a skip.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

VIRTUOSO_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
VIRTUOSO_VAD_DIR = "/usr/share/virtuoso-opensource-7/vad"
#: Virtuoso's default is 10000 rows, silently truncating larger results.
VIRTUOSO_MAX_ROWS = 10_000_000


class ServerUnavailable(RuntimeError):
    """A server could not be started: its binary is missing or it did not answer in time."""

    def __init__(self, reason: str) -> None:
        """Record why the server is unavailable."""
        super().__init__(reason)
        self.reason = reason


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago (bind to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_binary(name: str) -> str | None:
    """Find an executable on PATH or next to the running Python (an unactivated venv)."""
    found = shutil.which(name)
    if found:
        return found
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() and os.access(beside, os.X_OK) else None


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            response.read()
            return 200 <= response.status < 300
    except (OSError, urllib.error.URLError):
        return False


def _wait_until(ready: Callable[[], bool], proc: subprocess.Popen[bytes], what: str,
                timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerUnavailable(
                f"{what} exited with status {proc.returncode} while starting; "
                f"log: {_tail(log)}"
            )
        if ready():
            return
        time.sleep(0.1)
    raise ServerUnavailable(f"{what} did not answer within {timeout:.0f} s; log: {_tail(log)}")


def _tail(log: Path, lines: int = 5) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return " | ".join(text[-lines:]) or "(empty log)"


def _stop(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """Terminate a server process we started (SIGTERM, then SIGKILL after ``grace`` s)."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=grace)


@contextmanager
def oxigraph_server(data_dir: Path, port: int | None = None, *,
                    startup_timeout: float = 20.0) -> Iterator[str]:
    """Run ``oxigraph serve`` on ``data_dir`` at 127.0.0.1 and yield its base URL.

    Endpoints below the base URL: ``/query`` (SPARQL query), ``/update`` (SPARQL update),
    ``/store`` (Graph Store Protocol, ``?graph=IRI``). The server is stopped on exit.

    :raises ServerUnavailable: no ``oxigraph`` binary, or the server did not answer in time.
    """
    exe = find_binary("oxigraph")
    if exe is None:
        raise ServerUnavailable("no 'oxigraph' binary on PATH (pip install oxigraph)")
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    log = data_dir.parent / f"{data_dir.name}-oxigraph.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [exe, "serve", "--location", str(data_dir), "--bind", f"127.0.0.1:{port}"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    try:
        probe = base + "/query?" + urllib.parse.urlencode({"query": "ASK {}"})
        _wait_until(lambda: _http_ok(probe), proc, f"oxigraph server on {base}",
                    startup_timeout, log)
        yield base
    finally:
        _stop(proc)


@dataclass(frozen=True)
class VirtuosoEndpoints:
    """The URLs and credentials of a running Virtuoso started by :func:`virtuoso_server`."""

    base: str
    sparql: str  #: query and update, anonymous (user "SPARQL", granted SPARQL_UPDATE)
    gsp: str  #: Graph Store Protocol, anonymous (``?graph-uri=IRI`` or ``?graph=IRI``)
    sparql_auth: str  #: query and update with digest auth (dba)
    gsp_auth: str  #: Graph Store Protocol with digest auth (dba)
    isql_port: int
    user: str = "dba"
    password: str = "dba"


def edit_ini(text: str, changes: dict[str, dict[str, str]]) -> str:
    """Set ``key = value`` in the sections of an ini text, keeping everything else.

    Existing keys (and their duplicates) are replaced in place; missing keys are appended to
    their section; missing sections are appended at the end.
    """
    pending = {section: dict(keys) for section, keys in changes.items()}
    out: list[str] = []
    section: str | None = None

    def flush(name: str | None) -> None:
        if name in pending:
            out.extend(f"{key} = {value}" for key, value in pending.pop(name).items())

    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            flush(section)
            section = stripped[1:-1]
            out.append(line)
            continue
        if section in changes and "=" in stripped and not stripped.startswith(";"):
            key = stripped.split("=", 1)[0].strip()
            if key in changes[section]:
                if key in pending.get(section, {}):
                    out.append(f"{key} = {pending[section].pop(key)}")
                continue  # a duplicate of a key already written
        out.append(line)
    flush(section)
    for name in list(pending):
        out.append(f"[{name}]")
        flush(name)
    return "\n".join(out) + "\n"


def _isql(exe: str, port: int, sql: str, timeout: float = 30.0,
          password: str = "dba") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [exe, f"127.0.0.1:{port}", "dba", password, f"exec={sql}"],
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False,
    )


def _isql_ok(exe: str, port: int) -> bool:
    try:
        done = _isql(exe, port, "select 1;", timeout=5)
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0 and "Error" not in done.stdout + done.stderr


@contextmanager
def virtuoso_server(work_dir: Path, port: int | None = None, *, http_port: int | None = None,
                    max_rows: int = VIRTUOSO_MAX_ROWS,
                    startup_timeout: float = 60.0) -> Iterator[VirtuosoEndpoints]:
    """Run Virtuoso with a throw-away database in ``work_dir`` and yield its endpoints.

    The Debian ``virtuoso.ini`` is copied and edited: database, log and lock files in
    ``work_dir``; the SQL port (``port``) and the HTTP port (``http_port``) on 127.0.0.1;
    ``DirsAllowed`` including ``work_dir`` (for ``ld_dir`` bulk loads);
    ``ResultSetMaxRows = max_rows`` (the default 10000 truncates results silently);
    ``MaxQueryCostEstimationTime = 0`` (its cost estimate refuses parameterised queries on a
    wildly wrong guess, such as 15,913,142 s for a lookup of one city; the time limit,
    ``MaxQueryExecutionTime``, still bounds every query). ``SPARQL_UPDATE`` is granted to the
    anonymous ``SPARQL`` user so that updates on ``/sparql`` and writes on
    ``/sparql-graph-crud`` work without credentials. The server is stopped with ``shutdown``
    on exit (killed if it does not stop).

    :raises ServerUnavailable: ``virtuoso-t``/``isql-vt``/the ini file missing, or the server
        did not answer in time.
    """
    exe, isql = find_binary("virtuoso-t"), find_binary("isql-vt")
    if exe is None or isql is None:
        raise ServerUnavailable(
            "no 'virtuoso-t'/'isql-vt' on PATH (apt-get install virtuoso-opensource)")
    if not VIRTUOSO_INI.is_file():
        raise ServerUnavailable(f"no {VIRTUOSO_INI} (apt-get install virtuoso-opensource)")
    work_dir = Path(work_dir).resolve()
    work_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    http_port = http_port or free_port()
    while http_port == port:
        http_port = free_port()
    db = work_dir / "db"
    db.mkdir(exist_ok=True)
    ini = edit_ini(VIRTUOSO_INI.read_text(encoding="utf-8"), {
        "Database": {
            "DatabaseFile": str(db / "virtuoso.db"),
            "ErrorLogFile": str(db / "virtuoso.log"),
            "LockFile": str(db / "virtuoso.lck"),
            "TransactionFile": str(db / "virtuoso.trx"),
            "xa_persistent_file": str(db / "virtuoso.pxa"),
        },
        "TempDatabase": {
            "DatabaseFile": str(db / "virtuoso-temp.db"),
            "TransactionFile": str(db / "virtuoso-temp.trx"),
        },
        "Parameters": {
            "ServerPort": f"127.0.0.1:{port}",
            "DirsAllowed": f"., {work_dir}, {VIRTUOSO_VAD_DIR}",
            "NumberOfBuffers": "20000",
            "MaxDirtyBuffers": "15000",
        },
        "HTTPServer": {"ServerPort": f"127.0.0.1:{http_port}"},
        "SPARQL": {"ResultSetMaxRows": str(max_rows), "MaxQueryExecutionTime": "120",
                   "MaxQueryCostEstimationTime": "0"},
        "URIQA": {"DefaultHost": f"127.0.0.1:{http_port}"},
    })
    config = work_dir / "virtuoso.ini"
    config.write_text(ini, encoding="utf-8")
    log = work_dir / "virtuoso-stdout.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [exe, "+foreground", "+configfile", str(config)],
            cwd=work_dir, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    base = f"http://127.0.0.1:{http_port}"
    try:
        what = f"virtuoso on {base} (SQL port {port})"
        _wait_until(lambda: _isql_ok(isql, port), proc, what, startup_timeout, log)
        grant = _isql(isql, port, 'grant SPARQL_UPDATE to "SPARQL";')
        if grant.returncode != 0:
            raise ServerUnavailable(f"{what}: grant failed: {grant.stdout} {grant.stderr}")
        probe = base + "/sparql?" + urllib.parse.urlencode({"query": "ASK {}"})
        _wait_until(lambda: _http_ok(probe), proc, what, startup_timeout, log)
        yield VirtuosoEndpoints(
            base=base, sparql=base + "/sparql", gsp=base + "/sparql-graph-crud",
            sparql_auth=base + "/sparql-auth", gsp_auth=base + "/sparql-graph-crud-auth",
            isql_port=port,
        )
    finally:
        if proc.poll() is None:
            try:
                _isql(isql, port, "shutdown;", timeout=20)
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        _stop(proc)
