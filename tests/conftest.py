"""Shared fixtures: the model graph, parsed once per session; the real and fake servers."""

from __future__ import annotations

import shutil
import types

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
# pip install, a killed child process, the command line in a child process (tests/publishing.py:
# the example published by one, `cityculture serve`), a whole assessment on rdflib's engine,
# pySHACL (the reference SHACL engine), a whole site published, every city's charts drawn or a
# large file read (markers), or the command line run against an on-disk store in every test of
# a module (a validation and a store written per test, seconds each). Marking by those causes
# keeps `pytest -m "not slow"` the everyday loop without a list of test names.
SLOW_FIXTURES = {
    "oxigraph_server_url", "virtuoso",  # the shared SPARQL servers (tests/conftest_servers.py)
    "server_url",  # an Oxigraph server of a module's own
}
SLOW_PARAMETERS = ("virtuoso", "oxigraph-server", "rdflib", "pyshacl")
SLOW_CALLS = {"cli", "published_site", "shared_server"}
"""Functions of tests/publishing.py that start a child process (the command line, a server),
called by a test or by a fixture it uses."""
SLOW_MODULES = {
    "test_package_install", "test_publish_browser", "test_publish_crawl", "test_serve_load",
    "test_kill_during_load", "test_same_results_on_rdflib", "test_assess_backends",
    "test_assess_kill", "test_assess_sdg",
    "test_cli_store", "test_hardening",  # the command line on an on-disk store, in every test
}
SLOW_MARKERS = ("reasoner", "charts", "publishes", "pyshacl", "large_file")


def called_names(function: object) -> set[str]:
    """Return the global names a test function (and the functions defined in it) refers to."""
    code = getattr(function, "__code__", None)
    codes = [code] if isinstance(code, types.CodeType) else []
    names: set[str] = set()
    while codes:
        current = codes.pop()
        names.update(current.co_names)
        codes.extend(c for c in current.co_consts if isinstance(c, types.CodeType))
    return names


def fixture_functions(item: pytest.Item) -> list[object]:
    """Return the functions of the fixtures a test uses (directly or through other fixtures)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return []
    return [definition.func for definitions in info.name2fixturedefs.values()
            for definition in definitions]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark as ``slow`` every test that starts a server, a browser, Java or a child process."""
    for item in items:
        module = item.nodeid.split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py")
        callspec = getattr(item, "callspec", None)
        params = callspec.id if callspec else ""
        if (any(item.get_closest_marker(name) for name in SLOW_MARKERS)
                or module in SLOW_MODULES
                or SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))
                or any(word in params for word in SLOW_PARAMETERS)
                or SLOW_CALLS & called_names(getattr(item, "function", None))
                or any(SLOW_CALLS & called_names(f) for f in fixture_functions(item))):
            item.add_marker(pytest.mark.slow)
