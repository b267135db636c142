"""cityculture: a knowledge-graph toolkit for the soft power of city culture.

The public API is small. The model (ontology and indicator scheme) is data:

>>> import cityculture
>>> [e.notation for e in cityculture.elements()]
['CO', 'AP', 'IN', 'IF', 'RA']
>>> graph = cityculture.load_model()
>>> rows = cityculture.run_query("cq03-indicators-by-aspect", graph)
>>> len(rows) > 35
True
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from cityculture.model import (
    ElementSummary,
    elements,
    indicators_path,
    load_indicators,
    load_model,
    load_ontology,
    ontology_path,
)
from cityculture.queries import load_query, query_names, run_query
from cityculture.reasoning import ConsistencyReport, check_consistency
from cityculture.resources import resource_dir, resource_path

try:
    __version__ = version("cityculture")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "ConsistencyReport",
    "ElementSummary",
    "__version__",
    "check_consistency",
    "elements",
    "indicators_path",
    "load_indicators",
    "load_model",
    "load_ontology",
    "load_query",
    "ontology_path",
    "query_names",
    "resource_dir",
    "resource_path",
    "run_query",
]
