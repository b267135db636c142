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
