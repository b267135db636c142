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
from cityculture.version import __version__

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
