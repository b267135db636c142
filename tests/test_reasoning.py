"""HermiT finds the model consistent, and the axioms bite on bad individuals."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph

from cityculture.cli import main
from cityculture.reasoning import check_consistency

from .conftest import needs_java

pytestmark = [needs_java, pytest.mark.reasoner]

PREFIXES = """
@prefix csp: <https://w3id.org/cityculture/ontology/> .
@prefix ind: <https://w3id.org/cityculture/indicator/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix ex:  <https://example.org/> .
"""

BOTH_HARD_AND_SOFT = PREFIXES + "ex:p a csp:EconomicPower , csp:CulturalSoftPower ."
CITY_IN_TWO_NATIONS = PREFIXES + """
ex:fr a csp:Nation . ex:de a csp:Nation . ex:fr owl:differentFrom ex:de .
ex:strasbourg a csp:City ; csp:locatedInNation ex:fr , ex:de .
"""
CITY_LEARNS_FROM_ITSELF = PREFIXES + "ex:x a csp:City ; csp:drawsLessonsFrom ex:x ."
GOOD_DATA = PREFIXES + """
ex:fr a csp:Nation .
ex:paris a csp:City ; csp:locatedInNation ex:fr ; csp:drawsLessonsFrom ex:lyon .
ex:lyon a csp:City ; csp:locatedInNation ex:fr .
ex:parisCulture a csp:CityCulturalSoftPower ; csp:heldBy ex:paris ;
    csp:interdependentWith ex:parisEconomy ; csp:contributesTo ex:frCulture .
ex:parisEconomy a csp:EconomicPower ; csp:heldBy ex:paris .
ex:frCulture a csp:NationalCulturalSoftPower ; csp:heldBy ex:fr .
ex:fete a csp:CulturalCelebration ; csp:organisedBy ex:cityHall ; csp:heldIn ex:paris .
ex:cityHall a csp:Government .
"""


def graph(text: str) -> Graph:
    return Graph().parse(data=text, format="turtle")


def test_model_is_consistent() -> None:
    report = check_consistency()
    assert report.consistent
    assert report.unsatisfiable_classes == []


def test_consistent_data_stays_consistent() -> None:
    assert check_consistency([graph(GOOD_DATA)], explain=False).ok


def test_power_both_hard_and_soft_is_inconsistent() -> None:
    report = check_consistency([graph(BOTH_HARD_AND_SOFT)])
    assert not report.consistent
    assert any("ex:p" in a or "example.org/p>" in a for a in report.offending)


def test_city_in_two_nations_is_inconsistent() -> None:
    report = check_consistency([graph(CITY_IN_TWO_NATIONS)])
    assert not report.consistent
    assert any("locatedInNation" in a for a in report.offending)


def test_military_indicator_at_city_level_is_consistent() -> None:
    # the paper holds a city's strength by quantising its military equipment (3.1)
    probe = PREFIXES + """
    ex:fr a csp:Nation . ex:toulon a csp:City ; csp:locatedInNation ex:fr .
    ex:warships a csp:Indicator ; csp:measures csp:militaryDimension .
    ex:obs a csp:Observation ; csp:indicator ex:warships ; csp:city ex:toulon ;
        csp:refYear 2023 ; csp:value 12 .
    """
    assert check_consistency([graph(probe)], explain=False).ok


# Data each axiom of the paper's claims (or the project's reading of them) refuses: one probe
# per axiom, each inconsistent on its own.
NOT_A = "[ a owl:Class ; owl:complementOf [ a owl:Restriction ; owl:onProperty {p} ; {v} ] ]"
INCONSISTENT = {
    "soft power measured directly by an indicator": """
        ex:i a csp:Indicator ; csp:measures ex:sp . ex:sp a csp:CityCulturalSoftPower .""",
    "element measured directly by an indicator": """
        ex:i a csp:Indicator ; csp:measures csp:cohesion .""",
    "soft power that can be quantified": """
        ex:p a csp:SoftPower ; csp:hasCharacteristic csp:quantifiable .""",
    "hard power that cannot be quantified": """
        ex:p a csp:EconomicPower ; csp:hasCharacteristic csp:notQuantifiable .""",
    "proxy composite index that is an element": """
        csp:softPowerIndex a csp:Element .""",
    "lessons drawn by simple imitation": """
        ex:d a csp:LessonDrawing ; csp:learningMode csp:simpleImitation .""",
    "lessons drawn without regard to the developing environment": """
        ex:d a csp:LessonDrawing , """ + NOT_A.format(
            p="csp:considers", v="owl:someValuesFrom csp:DevelopingEnvironment") + " .",
    "city without a cultural advantage": """
        ex:c a csp:City , """ + NOT_A.format(
            p="csp:hasCulturalAdvantage", v="owl:someValuesFrom csp:CulturalAdvantage") + " .",
    "developing environment without a humanist tradition": """
        ex:e a csp:DevelopingEnvironment , """ + NOT_A.format(
            p="csp:covers", v="owl:someValuesFrom csp:HumanistTradition") + " .",
    "soft power of city culture not based on government public service": """
        ex:s a csp:CityCulturalSoftPower , """ + NOT_A.format(
            p="csp:basedOn", v="owl:hasValue csp:governmentPublicService") + " .",
    "soft power of city culture without the integration force of policy": """
        ex:s a csp:CityCulturalSoftPower , """ + NOT_A.format(
            p="csp:hasComponent", v="owl:someValuesFrom csp:PolicyPower") + " .",
    "national cultural soft power without city culture": """
        ex:n a csp:NationalCulturalSoftPower , """ + NOT_A.format(
            p="csp:hasContributionFrom", v="owl:someValuesFrom csp:CityCulturalSoftPower") + " .",
    "a city's hard power that does not depend on soft power": """
        ex:c a csp:City . ex:h a csp:EconomicPower ; csp:heldBy ex:c ; a """ + NOT_A.format(
            p="csp:dependsOn", v="owl:someValuesFrom csp:SoftPower") + " .",
}


@pytest.mark.parametrize("name", sorted(INCONSISTENT))
def test_axiom_refuses_data_that_contradicts_it(name: str) -> None:
    probe = graph(PREFIXES + INCONSISTENT[name])
    assert not check_consistency([probe], explain=False).consistent, name


CONSISTENT = {
    "indicator that is a proxy for an element": """
        ex:i a csp:Indicator ; csp:proxyFor csp:cohesion .""",
    "policy power that is also cultural soft power": """
        ex:p a csp:PolicyPower , csp:CulturalSoftPower .""",
    "lessons drawn by innovation based on imitation, fitting the city": """
        ex:x a csp:City . ex:d a csp:LessonDrawing ; csp:learner ex:x ;
            csp:learningMode csp:innovationBasedOnImitation , csp:criticalAbsorption ;
            csp:considers ex:env . ex:env a csp:DevelopingEnvironment .""",
}


@pytest.mark.parametrize("name", sorted(CONSISTENT))
def test_axiom_admits_data_the_paper_allows(name: str) -> None:
    assert check_consistency([graph(PREFIXES + CONSISTENT[name])], explain=False).ok, name


def test_city_cannot_draw_lessons_from_itself() -> None:
    assert not check_consistency([graph(CITY_LEARNS_FROM_ITSELF)], explain=False).consistent


def test_cli_check_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["ontology", "check"])
    assert ok.exit_code == 0, ok.output
    assert "consistent" in ok.output
    bad = tmp_path / "bad.ttl"
    bad.write_text(BOTH_HARD_AND_SOFT, encoding="utf-8")
    result = runner.invoke(main, ["ontology", "check", str(bad)])
    assert result.exit_code == 1
    assert "INCONSISTENT" in result.output
    assert "csp:EconomicPower" in result.output
