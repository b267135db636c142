"""Shared fixtures: the model graph, parsed once per session."""

from __future__ import annotations

import shutil

import pytest
from rdflib import Graph

from cityculture.model import load_model


@pytest.fixture(scope="session")
def model() -> Graph:
    return load_model()


def java_available() -> bool:
    import owlready2

    return shutil.which(owlready2.JAVA_EXE) is not None


needs_java = pytest.mark.skipif(not java_available(), reason="HermiT needs Java, none found")
