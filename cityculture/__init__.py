"""cityculture: a knowledge-graph toolkit for the soft power of city culture.

The public API is small. The model (ontology and indicator scheme) is data:

>>> import cityculture
>>> [e.notation for e in cityculture.elements()]
['CO', 'AP', 'IN', 'IF', 'RA']
>>> graph = cityculture.load_model()
>>> rows = cityculture.run_query("cq03-indicators-by-aspect", graph)
>>> len(rows) > 35
True

The stages run over one store (:mod:`cityculture.pipeline`: ``accept``, ``assess``,
``publish``, ``example``; ``assess`` and ``publish`` are also the names of the stages'
packages, so they are called through the module): an embedded Oxigraph store, an rdflib
dataset, or a SPARQL 1.1 endpoint (:func:`cityculture.store.opening.open_backend`):

>>> from cityculture import pipeline
>>> done = cityculture.example()      # the bundled GPCI 2023 example, accepted and assessed
>>> done.report.accepted
True
>>> again = pipeline.assess(done.store, "gpci-2023")
>>> again.framework.iri
'https://w3id.org/cityculture/framework/gpci-2023'
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from cityculture.resources import resource_dir, resource_path
from cityculture.version import __version__

if TYPE_CHECKING:
    from cityculture.model import (
        ElementSummary,
        elements,
        indicators_path,
        load_indicators,
        load_model,
        load_ontology,
        ontology_path,
    )
    from cityculture.pipeline import Example, example
    from cityculture.queries import load_query, query_names, run_query
    from cityculture.reasoning import ConsistencyReport, check_consistency

_LAZY = {
    **dict.fromkeys(("ElementSummary", "elements", "indicators_path", "load_indicators",
                     "load_model", "load_ontology", "ontology_path"), "cityculture.model"),
    **dict.fromkeys(("load_query", "query_names", "run_query"), "cityculture.queries"),
    **dict.fromkeys(("ConsistencyReport", "check_consistency"), "cityculture.reasoning"),
    **dict.fromkeys(("Example", "example"), "cityculture.pipeline"),
}


def __getattr__(name: str) -> Any:
    """Import the API's modules on first use: ``import cityculture`` stays light.

    rdflib and the pipeline take a second or more to import, which a process that needs
    neither (a SPARQL worker of ``serve``) would otherwise pay at start.
    """
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cityculture' has no attribute {name!r}")
    return getattr(import_module(module), name)


__all__ = [
    "ConsistencyReport",
    "ElementSummary",
    "Example",
    "__version__",
    "check_consistency",
    "elements",
    "example",
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
