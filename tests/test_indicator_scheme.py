"""The indicator scheme: enough indicators, every element covered, every field present."""

from __future__ import annotations

from collections import Counter

import pytest
from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.namespace import SKOS

from cityculture.namespaces import CSP, SCHEME_IRI

ELEMENTS = [CSP.cohesion, CSP.appeal, CSP.innovation, CSP.integrationForce, CSP.radiation]
CITY_DIMENSIONS = [CSP.economicDimension, CSP.technologicalDimension, CSP.infrastructureDimension]
FRAMEWORK_LABELS = {"Global Power City Index (GPCI)", "JRC Cultural and Creative Cities Monitor",
                    "ISO 37120 Indicators for city services and quality of life",
                    "UNESCO Culture|2030 Indicators", "UNESCO World Heritage List", "Wikidata"}


def indicators(model: Graph) -> list[URIRef]:
    return sorted(s for s in model.subjects(RDF.type, CSP.Indicator) if isinstance(s, URIRef))


def test_at_least_35_indicators(model: Graph) -> None:
    assert len(indicators(model)) >= 35


def aspect_of(model: Graph, indicator: URIRef) -> URIRef | None:
    """The element an indicator is a proxy for, or the dimension it measures."""
    return model.value(indicator, CSP.proxyFor) or model.value(indicator, CSP.measures)


def test_each_element_and_city_dimension_has_five(model: Graph) -> None:
    counts = Counter(aspect_of(model, i) for i in indicators(model))
    for aspect in ELEMENTS + CITY_DIMENSIONS:
        assert counts[aspect] >= 5, aspect


def test_military_power_has_no_indicator_in_the_scheme(model: Graph) -> None:
    assert not list(model.subjects(CSP.measures, CSP.militaryDimension))
    assert model.value(CSP.militaryDimension, SKOS.scopeNote) is not None


@pytest.mark.parametrize("prop", [SKOS.notation, CSP.unit, CSP.direction,
                                  CSP.fromFramework, CSP.valueKind])
def test_every_indicator_has_exactly_one(model: Graph, prop: URIRef) -> None:
    wrong = [i for i in indicators(model) if len(list(model.objects(i, prop))) != 1]
    assert wrong == []


def test_every_indicator_measures_or_is_a_proxy_for_one_aspect(model: Graph) -> None:
    def links(i: URIRef) -> int:
        return len(list(model.objects(i, CSP.measures))) + len(list(model.objects(i, CSP.proxyFor)))
    wrong = [i for i in indicators(model) if links(i) != 1]
    assert wrong == []


def test_labels_definitions_and_scheme(model: Graph) -> None:
    scheme = URIRef(SCHEME_IRI)
    for ind in indicators(model):
        assert (ind, SKOS.inScheme, scheme) in model
        assert {lit.language for lit in model.objects(ind, SKOS.prefLabel)} >= {"en", "zh"}
        assert model.value(ind, SKOS.definition) is not None
        assert (ind, SKOS.broader, aspect_of(model, ind)) in model


def test_notations_are_unique_and_follow_the_aspect(model: Graph) -> None:
    notations = [str(model.value(i, SKOS.notation)) for i in indicators(model)]
    assert len(notations) == len(set(notations))
    for ind in indicators(model):
        aspect_code = str(model.value(aspect_of(model, ind), SKOS.notation))
        assert str(model.value(ind, SKOS.notation)).startswith(aspect_code + "-")


def test_units_directions_and_frameworks_are_described(model: Graph) -> None:
    used_frameworks = set()
    for ind in indicators(model):
        unit = model.value(ind, CSP.unit)
        assert (unit, RDF.type, CSP.Unit) in model, unit
        assert str(unit).startswith(("http://qudt.org/vocab/unit/", "https://w3id.org/cityculture/unit/"))
        assert model.value(ind, CSP.direction) in (CSP.higherIsBetter, CSP.lowerIsBetter)
        used_frameworks.add(str(model.value(model.value(ind, CSP.fromFramework), RDFS.label)))
    assert used_frameworks == FRAMEWORK_LABELS


def test_both_directions_occur(model: Graph) -> None:
    directions = Counter(model.value(i, CSP.direction) for i in indicators(model))
    assert directions[CSP.lowerIsBetter] >= 2


def test_bundled_indicators_pass_the_checks_a_researchers_declarations_get() -> None:
    """A researcher declares indicators with the bundled scheme's properties, checked alike."""
    from cityculture.ingest.scheme import load_scheme
    from cityculture.ingest.vocabulary import vocabulary
    from cityculture.model import framework_files, indicators_path

    bundled = vocabulary().indicators
    scheme = load_scheme([indicators_path(), *framework_files()], bundled=bundled)
    assert {i.notation.upper(): i.iri for i in scheme.indicators} == bundled
    assert all(i.unit_notation and i.label for i in scheme.indicators)
