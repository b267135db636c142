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
MILITARY_INDICATOR = PREFIXES + "ex:tanks a csp:Indicator ; csp:measures csp:militaryDimension ."
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


def test_indicator_of_military_power_is_inconsistent() -> None:
    assert not check_consistency([graph(MILITARY_INDICATOR)], explain=False).consistent


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
