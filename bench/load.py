"""Benchmark: load the national corpus through our loader, raw bulk_load, and over HTTP.

The corpus is the one of ``bench/assess.py`` (700 cities x 40 indicators x 20 years, about
560,000 observations, about 5 million triples, as N-Triples). In one run it is loaded:

1. into an embedded store through our loader (``OxigraphBackend.replace_graph``: the atomic
   write that ``cityculture load`` and ``cityculture assess`` use) and through raw
   ``pyoxigraph.Store.bulk_load`` into a fresh store, on disk and in memory; each pair is
   measured in a fresh child process, alternating which goes first, repeated ``--repeat``
   times; the best of each is reported, with our rate as a share of raw;
2. into a real Oxigraph server (``oxigraph serve`` on a throw-away directory, 127.0.0.1)
   over HTTP: through our remote backend (one Graph Store Protocol PUT, transactional, so a
   failed or cut request changes nothing) and, for comparison, a POST with Oxigraph's
   ``no_transaction`` option (its bulk loader, not atomic).

Usage:
    python bench/load.py [--cities 700] [--indicators 40] [--years 20] [--repeat 2]
                         [--no-http]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))  # tests.servers

from assess import SUB, generate  # the corpus generator of bench/assess.py


def _child(method: str, where: str, corpus: Path, workdir: Path) -> dict[str, object]:
    """Load the corpus once, in this process; return seconds and triples."""
    import pyoxigraph as ox

    from cityculture.store.backends import OxigraphBackend

    data = corpus.read_bytes()
    triples = data.count(b"\n")
    path = workdir / f"{method}-store" if where == "disk" else None
    start = time.perf_counter()
    if method == "ours":
        backend = OxigraphBackend(path)
        backend.replace_graph(SUB, data)
        seconds = time.perf_counter() - start
        loaded = backend.count(SUB)
        backend.close()
    else:
        store = ox.Store(str(path)) if path is not None else ox.Store()
        store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(SUB))
        store.flush()
        seconds = time.perf_counter() - start
        loaded = len(store)
        del store
    assert loaded == triples, (loaded, triples)
    return {"method": method, "where": where, "seconds": seconds, "triples": triples,
            "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def measure(method: str, where: str, corpus: Path) -> dict[str, object]:
    """Run one load in a fresh child process (so memory and caches start equal)."""
    with tempfile.TemporaryDirectory(dir=corpus.parent) as work:
        done = subprocess.run([sys.executable, __file__, "--child", method, where,
                               str(corpus), work], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def http_loads(corpus: Path) -> list[dict[str, object]]:
    """Load the corpus into a real Oxigraph server: our PUT, then a no_transaction POST."""
    from cityculture.store.opening import open_backend
    from tests.servers import ServerUnavailable, oxigraph_server

    data = corpus.read_bytes()
    triples = data.count(b"\n")
    results: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(dir=corpus.parent) as work:
        try:
            server = oxigraph_server(Path(work) / "data")
            base = server.__enter__()
        except ServerUnavailable as err:
            return [{"method": "http", "skipped": err.reason}]
        try:
            backend = open_backend("oxigraph-server", endpoint=base, timeout=3600, retries=0)
            start = time.perf_counter()
            backend.replace_graph(SUB, data)
            results.append({"method": "ours over HTTP (GSP PUT, atomic)",
                            "seconds": time.perf_counter() - start, "triples": triples})
            request = urllib.request.Request(
                f"{base}/store?graph={SUB}-bulk&no_transaction", data=data, method="POST",
                headers={"Content-Type": "application/n-triples"})
            start = time.perf_counter()
            with urllib.request.urlopen(request, timeout=3600) as answer:
                assert answer.status in (200, 201, 204)
            results.append({"method": "server bulk (POST no_transaction, not atomic)",
                            "seconds": time.perf_counter() - start, "triples": triples})
        finally:
            server.__exit__(None, None, None)
    return results


def rate(result: dict[str, object]) -> float:
    """Triples per second of one measured load."""
    return float(str(result["triples"])) / float(str(result["seconds"]))


def main() -> None:
    """Generate the corpus, run every load, print a table and a JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cities", type=int, default=700)
    parser.add_argument("--indicators", type=int, default=40)
    parser.add_argument("--years", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--no-http", action="store_true", help="skip the Oxigraph server")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        method, where, corpus, work = args.child
        print(json.dumps(_child(method, where, Path(corpus), Path(work))))
        return

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.nt"
        observations = generate(corpus, args.cities, args.indicators, args.years)
        print(f"corpus: {observations} observations, {corpus.stat().st_size / 2**20:.0f} MiB "
              "of N-Triples", flush=True)
        summary: dict[str, object] = {"observations": observations}
        for where in ("disk", "memory"):
            best: dict[str, dict[str, object]] = {}
            for attempt in range(args.repeat):
                order = ("ours", "raw") if attempt % 2 == 0 else ("raw", "ours")
                for method in order:
                    result = measure(method, where, corpus)
                    print(f"  {where:6} {method:4} {float(str(result['seconds'])):7.1f} s "
                          f"{rate(result):>10,.0f} triples/s peak {result['peak_mib']} MiB",
                          flush=True)
                    if method not in best or rate(result) > rate(best[method]):
                        best[method] = result
            ours, raw = best["ours"], best["raw"]
            share = rate(ours) / rate(raw)
            print(f"{where}: ours {rate(ours):,.0f} triples/s = {share:.0%} of raw bulk_load "
                  f"({rate(raw):,.0f} triples/s)", flush=True)
            summary[where] = {"ours": ours, "raw": raw, "share_of_raw": round(share, 3)}
        if not args.no_http:
            summary["http"] = http_loads(corpus)
            for result in summary["http"]:  # type: ignore[attr-defined]
                if "seconds" in result:
                    print(f"http: {result['method']}: {float(result['seconds']):.1f} s, "
                          f"{rate(result):,.0f} triples/s", flush=True)
                else:
                    print(f"http: skipped: {result['skipped']}")
        print(json.dumps(summary, default=str))


if __name__ == "__main__":
    main()
