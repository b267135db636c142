"""`cityculture serve` under concurrent load on loopback (the short CI run of
bench/serve_load.py), the load checker itself, and the SPARQL pool's time limit when more
queries run at once than asyncio's default executor has threads."""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bench import serve_load as load
from cityculture.serve.sparql import DataFiles, Limits, QueryJob, QueryPool
from tests.publishing import published_site

CLIENTS = 20
DURATION = 8.0
TIME_LIMIT = 2.0
QUEUE_WAIT = 3.0
WORKERS = 2
SLACK = 2.0  # seconds past queue wait + time limit: answering, scheduling on 2 shared cores


def test_serve_under_concurrent_load() -> None:
    """20 clients for 8 s: every answer valid or a documented refusal, the time limit
    honoured, memory bounded, and the endpoint answers normally afterwards."""
    site = published_site().path
    targets = load.site_targets(site)
    mix = {**load.MIX, "expensive": 10}  # about 13 cross joins in 8 s: several reach a worker
    options = load.server_options(TIME_LIMIT, WORKERS, QUEUE_WAIT, worker_memory=2048)
    with load.serving(site, options) as (url, process):
        report = load.run_load(url, process.pid, targets, clients=CLIENTS, duration=DURATION,
                               time_limit=TIME_LIMIT, queue_timeout=QUEUE_WAIT, seed=7,
                               mix=mix)
        summary = report.summary()
        print(report.table())
        assert report.problems(SLACK, load.rss_bound_mib(WORKERS)) == [], summary
        assert load.recovers(url, targets, within=30), "no normal answer after the load"
        assert process.poll() is None
    kinds = summary["kinds"]
    assert set(kinds) == set(mix), kinds  # every kind of request was sent
    assert sum(o.note == "ok" for o in report.outcomes) > CLIENTS  # real work was done
    for kind in ("html", "turtle", "jsonld"):  # documents never wait for SPARQL workers
        assert kinds[kind]["notes"] == {"ok": kinds[kind]["requests"]}, kinds[kind]
    stopped = [o for o in report.outcomes if o.note == "time-limit"]
    assert stopped, "no expensive query reached a worker: the time limit was not exercised"
    assert all(o.seconds <= QUEUE_WAIT + TIME_LIMIT + SLACK for o in stopped)
    assert all(o.seconds >= TIME_LIMIT - 0.1 for o in stopped)  # stopped, not refused early
    assert not any(o.note == "ok" for o in report.outcomes if o.kind == "expensive")
    # memory: the server process itself does not grow with the load
    assert report.rss_after_kib - report.rss_before_kib < 100 * 1024, summary
    assert summary["max_processes"] <= WORKERS + 2  # server, tracker, workers: none leaked


# -- the checker fails when it should ---------------------------------------------------------

BASE = "http://127.0.0.1:1/"
JSON_SELECT = {"vars": ["city", "name"], "media": "application/sparql-results+json"}


def _answer(status: int, body: bytes, **headers: str) -> load.Exchange:
    return load.Exchange(status, {k.replace("_", "-"): v for k, v in headers.items()}, body)


@pytest.mark.parametrize(("kind", "exchange", "expect"), [
    ("select_json", _answer(500, b"Internal Server Error"), JSON_SELECT),
    ("select_json", _answer(503, b"the endpoint is busy"), JSON_SELECT),  # no Retry-After
    ("select_json", _answer(503, b"oops", retry_after="2"), JSON_SELECT),
    ("select_json", _answer(200, b'{"head": {"vars": ["city", "name"]}, "results": {"bind',
                            content_type="application/sparql-results+json"), JSON_SELECT),
    ("select_json", _answer(200, b'{"head": {"vars": ["x"]}, "results": {"bindings": []}}',
                            content_type="application/sparql-results+json"), JSON_SELECT),
    ("select_json", _answer(200, b"city,name\r\n", content_type="text/csv"), JSON_SELECT),
    ("select_csv", _answer(200, b"s,o\r\nx,y\r\n", content_type="text/csv"),
     {"vars": ["p", "o"], "media": "text/csv"}),
    ("too_large", _answer(200, b'{"head": {"vars": ["s", "p", "o"]}, "results": '
                               b'{"bindings": []}}',
                          content_type="application/sparql-results+json"),
     {"vars": ["s", "p", "o"], "media": "application/sparql-results+json"}),
    ("select_json", _answer(400, b"result too large: ..."), JSON_SELECT),
    ("construct", _answer(200, b"<a> <b> ", content_type="text/turtle"),
     {"media": "text/turtle"}),
    ("html", _answer(200, b"<html><body>cut off", content_type="text/html"), {}),
    ("turtle", _answer(200, b"", content_type="text/turtle"), {}),
    ("jsonld", _answer(200, b'{"@id": ', content_type="application/ld+json"), {}),
    ("turtle", _answer(503, b"busy", retry_after="2"), {}),  # documents are never refused
])
def test_checker_refuses_what_the_server_does_not_document(
        kind: str, exchange: load.Exchange, expect: dict) -> None:
    with pytest.raises(load.Invalid):
        load.validate(kind, exchange, BASE, expect)


def test_checker_accepts_documented_answers() -> None:
    results = json.dumps({"head": {"vars": ["city", "name"]}, "results": {"bindings": []}})
    assert load.validate("select_json", _answer(
        200, results.encode(), content_type="application/sparql-results+json"),
        BASE, JSON_SELECT) == "ok"
    assert load.validate("select_json", _answer(
        503, b"the endpoint is busy; try again shortly", retry_after="2"),
        BASE, JSON_SELECT) == "busy"
    assert load.validate("expensive", _answer(
        503, b"query time limit (2 s) exceeded", retry_after="2"),
        BASE, {"vars": ["n"]}) == "time-limit"
    assert load.validate("too_large", _answer(400, b"result too large: more than 10000 rows"),
                         BASE, {}) == "too-large"
    assert load.validate("turtle", _answer(200, b"<a> <b> <c> .", content_type="text/turtle"),
                         BASE, {}) == "ok"


def test_report_flags_a_time_limit_not_honoured_and_memory() -> None:
    report = load.LoadReport(1, 1.0, 1.0, time_limit=2.0, queue_timeout=1.0,
                             memory=[(0.0, 100 * 1024, 900 * 1024, 3)])
    report.outcomes.append(load.Outcome("expensive", 6.0, [503], None, "time-limit"))
    problems = report.problems(slack=1.0, max_rss_mib=512)
    assert any("held its client 6.00 s" in p for p in problems)
    assert any("peak RSS 900 MiB" in p for p in problems)
    report.outcomes[0] = load.Outcome("expensive", 2.5, [503], None, "time-limit")
    assert report.problems(slack=1.0, max_rss_mib=1024) == []


# -- the time limit does not depend on asyncio's default executor -----------------------------

def test_time_limit_holds_when_more_queries_run_than_default_threads(tmp_path: Path) -> None:
    """Each of N workers runs a query at once; asyncio's default executor is made smaller
    than N (on a small machine it has cpu_count + 4 threads). Every query must still be
    stopped at the time limit, not wait for a shared thread first."""
    workers, limit = 3, 1.0
    quads = tmp_path / "data.nq"
    quads.write_text("".join(f"<http://e/s{i}> <http://e/p> \"{i}\" <http://e/g> .\n"
                             for i in range(1000)), encoding="utf-8")
    pool = QueryPool(DataFiles(nquads=(quads,)), workers=workers,
                     limits=Limits(timeout=limit), memory_mb=0, queue_timeout=30)

    async def run() -> list[tuple[float, int]]:
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=1))
        await pool.start()
        try:
            async def timed() -> tuple[float, int]:
                started = time.monotonic()
                outcome = await pool.run(QueryJob(query=load.EXPENSIVE, accept=None))
                return time.monotonic() - started, outcome.status

            return await asyncio.gather(*(timed() for _ in range(workers)))
        finally:
            pool.close()

    answers = asyncio.run(run())
    assert [status for _, status in answers] == [503] * workers
    assert max(seconds for seconds, _ in answers) < limit + 0.8, answers
