"""`cityculture publish --endpoint`: a site published from an Oxigraph server is the site
published from the embedded store that holds the same graphs.

The server is this module's own (a fresh directory), so that no other test's data is on it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from rdflib import Dataset
from rdflib.compare import isomorphic

from cityculture.cli import main
from tests.conftest_servers import started
from tests.servers import free_port, oxigraph_server

DATA = Path(__file__).resolve().parent / "data"
TINY = DATA / "tiny-cities.csv"
FRAMEWORK = DATA / "tiny-framework.ttl"
ALPHA_PAGE = Path("city") / "Q1001.html"


def cc(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with started(oxigraph_server(tmp_path_factory.mktemp("oxigraph-publish") / "data"),
                 "Oxigraph server") as url:
        yield url


@pytest.fixture(scope="module")
def sites(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The tiny data loaded and assessed in an embedded store, pushed to the server, then
    published once from each."""
    work = tmp_path_factory.mktemp("publish-endpoint")
    store = work / "store"
    server = ("--endpoint", server_url, "--server", "oxigraph")
    for step in (("load", TINY, "--store", store, "--body", "Test statistics office"),
                 ("assess", "--store", store, "--framework", FRAMEWORK),
                 ("push", "--store", store, *server),
                 ("publish", work / "from-store", "--store", store),
                 ("publish", work / "from-endpoint", *server)):
        done = cc(*step)
        assert done.exit_code == 0, (step, done.output)
    return work / "from-store", work / "from-endpoint"


def files(site: Path) -> set[Path]:
    return {p.relative_to(site) for p in site.rglob("*") if p.is_file()}


def test_the_endpoint_site_has_the_same_files(sites: tuple[Path, Path]) -> None:
    from_store, from_endpoint = sites
    assert ALPHA_PAGE in files(from_store)
    assert files(from_endpoint) == files(from_store)


def test_the_endpoint_site_has_the_same_data(sites: tuple[Path, Path]) -> None:
    from_store, from_endpoint = sites
    dumps = sorted(p for p in files(from_store) if p.suffix == ".nq")
    assert dumps, "no N-Quads dump was published"
    for dump in dumps:
        stored, served = Dataset(), Dataset()
        stored.parse(from_store / dump, format="nquads")
        served.parse(from_endpoint / dump, format="nquads")
        assert len(served) > 0
        for graph in stored.graphs():
            assert isomorphic(graph, served.graph(graph.identifier)), (dump, graph.identifier)


def test_the_endpoint_site_shows_the_scores(sites: tuple[Path, Path]) -> None:
    from_store, from_endpoint = sites
    page = (from_endpoint / ALPHA_PAGE).read_text(encoding="utf-8")
    # Alpha's soft power index in the tiny framework is 75 (tests/test_cq04_to_cq12.py).
    assert "75" in page and "Alpha" in page
    # Indicator scores are blank nodes, which a page lists in the order the store gives them:
    # the same figures, not necessarily in the same order.
    stored = (from_store / ALPHA_PAGE).read_text(encoding="utf-8")
    assert Counter(re.findall(r"\d+(?:\.\d+)?", page)) == Counter(
        re.findall(r"\d+(?:\.\d+)?", stored))


def test_a_down_endpoint_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/sparql"
    result = cc("publish", tmp_path / "site", "--endpoint", url, "--retries", "0",
                "--timeout", "2")
    assert result.exit_code == 3
    assert url in result.output
    assert not (tmp_path / "site").exists()


def test_store_and_endpoint_together_are_refused(tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert cc("load", TINY, "--store", store).exit_code == 0
    result = cc("publish", tmp_path / "site", "--store", store, "--endpoint",
                "http://127.0.0.1:1/sparql")
    assert result.exit_code == 2
    assert "--store or --endpoint" in result.output
