"""Every term of the ontology is documented, and the header carries what ontology checkers want."""

from __future__ import annotations

import pytest
from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from cityculture.model import load_ontology
from cityculture.namespaces import CSP, ONTOLOGY_IRI, VANN

ONTOLOGY = URIRef(ONTOLOGY_IRI)
TERM_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty,
              OWL.NamedIndividual)


@pytest.fixture(scope="module")
def onto() -> Graph:
    return load_ontology()


def own_terms(graph: Graph) -> list[URIRef]:
    terms = {
        s for t in TERM_TYPES for s in graph.subjects(RDF.type, t)
        if isinstance(s, URIRef) and str(s).startswith(str(CSP))
    }
    return sorted(terms)


def test_ontology_has_many_terms(onto: Graph) -> None:
    classes = [t for t in own_terms(onto) if (t, RDF.type, OWL.Class) in onto]
    properties = [t for t in own_terms(onto)
                  if (t, RDF.type, OWL.ObjectProperty) in onto
                  or (t, RDF.type, OWL.DatatypeProperty) in onto]
    assert len(classes) >= 50
    assert len(properties) >= 30


def test_every_term_has_label_definition_source(onto: Graph) -> None:
    missing = []
    for term in own_terms(onto):
        labels = {lit.language for lit in onto.objects(term, RDFS.label)}
        if "en" not in labels:
            missing.append(f"{term} lacks an English rdfs:label")
        if "zh" not in labels:
            missing.append(f"{term} lacks a Chinese rdfs:label")
        definitions = [d for d in onto.objects(term, SKOS.definition) if d.language == "en"]
        if len(definitions) != 1:
            missing.append(f"{term} has {len(definitions)} English skos:definition")
        if (term, RDFS.isDefinedBy, ONTOLOGY) not in onto:
            missing.append(f"{term} lacks rdfs:isDefinedBy the ontology")
        marks = (onto.value(term, CSP.paperSection), onto.value(term, CSP.projectAddition))
        if marks == (None, None):
            missing.append(f"{term} lacks csp:paperSection (the paper's) or csp:projectAddition")
    assert missing == []


def test_walker_catches_an_undocumented_term(onto: Graph) -> None:
    # the same walk must fail on a term without documentation
    broken = Graph()
    broken += onto
    broken.add((CSP.Undocumented, RDF.type, OWL.Class))
    assert CSP.Undocumented in own_terms(broken)
    assert broken.value(CSP.Undocumented, SKOS.definition) is None


def test_header(onto: Graph) -> None:
    assert (ONTOLOGY, RDF.type, OWL.Ontology) in onto
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.license, DCTERMS.creator,
                 DCTERMS.created, DCTERMS.modified, OWL.versionIRI, OWL.versionInfo,
                 VANN.preferredNamespacePrefix, VANN.preferredNamespaceUri):
        assert onto.value(ONTOLOGY, prop) is not None, prop
    assert str(onto.value(ONTOLOGY, OWL.versionIRI)).startswith("https://w3id.org/cityculture/")
    assert onto.value(ONTOLOGY, VANN.preferredNamespaceUri) == Literal(str(CSP))
    assert onto.value(ONTOLOGY, DCTERMS.created).datatype == XSD.date
    assert not list(onto.objects(ONTOLOGY, OWL.imports)), "nothing is imported"


def test_all_iris_are_persistent(onto: Graph) -> None:
    for term in own_terms(onto):
        assert str(term).startswith("https://w3id.org/cityculture/")


SECTION_TERMS = {
    "abstract": [CSP.CityCulturalSoftPower, CSP.CitySoftPower, CSP.isCoreOf],
    "1": [CSP.City, CSP.Nation, CSP.SoftPower, CSP.CulturalSoftPower, CSP.PolicyPower,
          CSP.attracts, CSP.nyeBoundToLead, CSP.nyeSoftPower, CSP.governmentPublicService],
    "2": [CSP.Element, CSP.hasRole, CSP.ElementRole],
    "2.1": [CSP.cohesion, CSP.CulturalHeritage, CSP.protects],
    "2.2": [CSP.appeal],
    "2.3": [CSP.innovation, CSP.CulturalEnterprise, CSP.CulturalProduct],
    "2.4": [CSP.integrationForce, CSP.CulturalActivity, CSP.GovernmentOrganisedActivity,
            CSP.SportsMeeting, CSP.AwardCeremony, CSP.CivilianActivity],
    "2.5": [CSP.radiation, CSP.CityImage],
    "3.1": [CSP.Power, CSP.HardPower, CSP.complements, CSP.dependsOn, CSP.interdependentWith,
            CSP.notQuantifiable, CSP.militaryDimension, CSP.CityInHarmony],
    "3.2": [CSP.reflectedIn, CSP.contributesTo, CSP.acceptedBy],
    "3.3": [CSP.drawsLessonsFrom, CSP.CulturalAdvantage, CSP.DevelopingEnvironment,
            CSP.HumanistTradition, CSP.LessonDrawing, CSP.innovationBasedOnImitation],
}

PROJECT_TERMS = [CSP.locatedInNation, CSP.countryCode, CSP.WorldHeritageSite, CSP.Indicator,
                 CSP.measures, CSP.proxyFor, CSP.MeasuredAspect, CSP.softPowerIndex,
                 CSP.hardPowerIndex, CSP.peerHardPowerBand, CSP.dislocationThreshold,
                 CSP.strongThreshold, CSP.Quadrant, CSP.BalanceAssessment, CSP.ElementScore]


@pytest.mark.parametrize("section", sorted(SECTION_TERMS))
def test_paper_sections_are_encoded(onto: Graph, section: str) -> None:
    for term in SECTION_TERMS[section]:
        sections = str(onto.value(term, CSP.paperSection))
        assert section in [s.strip() for s in sections.split(",")], (term, sections)


@pytest.mark.parametrize("term", PROJECT_TERMS, ids=lambda t: t.split("/")[-1])
def test_terms_the_paper_does_not_name_are_the_projects(onto: Graph, term: URIRef) -> None:
    assert onto.value(term, CSP.paperSection) is None
    reason = onto.value(term, CSP.projectAddition)
    assert (reason, RDF.type, CSP.ProjectReason) in onto
    assert onto.value(reason, SKOS.definition) is not None


def test_relations_have_domains_ranges_and_characteristics(onto: Graph) -> None:
    assert (CSP.complements, RDF.type, OWL.SymmetricProperty) in onto
    assert (CSP.interdependentWith, RDF.type, OWL.SymmetricProperty) in onto
    assert (CSP.drawsLessonsFrom, RDF.type, OWL.IrreflexiveProperty) in onto
    assert (CSP.locatedInNation, RDF.type, OWL.FunctionalProperty) in onto
    assert onto.value(CSP.contributesTo, RDFS.range) == CSP.NationalCulturalSoftPower
    assert onto.value(CSP.reflectedIn, RDFS.domain) == CSP.CityCulturalSoftPower
    assert onto.value(CSP.drawsLessonsFrom, RDFS.domain) == CSP.City
    assert (CSP.HardPower, OWL.disjointWith, CSP.SoftPower) in onto


def test_integration_force_has_no_invented_role(onto: Graph) -> None:
    assert onto.value(CSP.integrationForce, CSP.hasRole) is None
    definition = str(onto.value(CSP.integrationForce, SKOS.definition))
    assert "names no role" in definition
    roles = {e: onto.value(e, CSP.hasRole) for e in
             (CSP.cohesion, CSP.appeal, CSP.innovation, CSP.radiation)}
    assert roles == {CSP.cohesion: CSP.core, CSP.appeal: CSP.foundation,
                     CSP.innovation: CSP.multiplication, CSP.radiation: CSP.presentation}
