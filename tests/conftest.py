"""Shared fixtures: the model graph, parsed once per session; the real and fake servers."""

from __future__ import annotations

import shutil

import pytest
from rdflib import Graph

from cityculture.model import load_model
from tests.conftest_servers import (  # noqa: F401 (fixtures, used by name in every module)
    fake_server_fixture,
    oxigraph_server_url_fixture,
    virtuoso_fixture,
)


@pytest.fixture(scope="session")
def model() -> Graph:
    return load_model()


def java_available() -> bool:
    import owlready2

    return shutil.which(owlready2.JAVA_EXE) is not None


needs_java = pytest.mark.skipif(not java_available(), reason="HermiT needs Java, none found")

# What makes a test slow here is what it starts: a SPARQL server, a browser, a Java reasoner, a
# pip install, a killed child process, or a whole assessment on rdflib's engine. Marking by
# those causes keeps `pytest -m "not slow"` the everyday loop without a list of test names.
SLOW_FIXTURES = {"oxigraph_server_url", "virtuoso"}
SLOW_PARAMETERS = ("virtuoso", "oxigraph-server", "rdflib")
SLOW_MODULES = {
    "test_package_install", "test_publish_browser", "test_publish_crawl", "test_serve_load",
    "test_kill_during_load", "test_same_results_on_rdflib", "test_assess_backends",
    "test_assess_kill", "test_assess_sdg",
}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark as ``slow`` every test that starts a server, a browser, Java or a child install."""
    for item in items:
        module = item.nodeid.split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py")
        callspec = getattr(item, "callspec", None)
        params = callspec.id if callspec else ""
        if (item.get_closest_marker("reasoner") or module in SLOW_MODULES
                or SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))
                or any(word in params for word in SLOW_PARAMETERS)):
            item.add_marker(pytest.mark.slow)
