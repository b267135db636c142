"""Which index ranks the cities is read from the framework, not from the codes' order."""

from __future__ import annotations

import pytest

from cityculture.assess.results import SOFT_POWER_INDEX, CityResult

HARD = "https://w3id.org/cityculture/ontology/hardPowerIndex"


def result(levels: dict[str, int], aspects: dict[str, str]) -> CityResult:
    return CityResult(city="c", name="C", year=2023, levels=levels, aspects=aspects)


def test_the_soft_power_index_ranks_even_when_its_code_sorts_first() -> None:
    found = result({"CSPI": 2, "HPI": 2, "CO": 1},
                   {"CSPI": SOFT_POWER_INDEX, "HPI": HARD})
    assert found.top_code() == "CSPI"


def test_a_single_top_node_ranks() -> None:
    assert result({"Comprehensive": 3, "Economy": 2}, {}).top_code() == "Comprehensive"


def test_two_top_nodes_without_the_soft_power_index_are_refused() -> None:
    with pytest.raises(ValueError, match=r"2 top-level nodes \(A, B\)"):
        result({"A": 2, "B": 2}, {"A": HARD}).top_code()
