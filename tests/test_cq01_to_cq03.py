"""CQ1-CQ3 answered by the SPARQL files of queries/, checked against the expected answers."""

from __future__ import annotations

from rdflib import Graph, Literal

from cityculture.namespaces import CSP, IND
from cityculture.queries import load_query, run_query


def test_cq1_elements_and_roles(model: Graph) -> None:
    rows = run_query("cq01-elements-and-roles", model)
    answer = {str(r["notation"]): (str(r["roleLabel"]) if r["roleLabel"] else None) for r in rows}
    assert answer == {"CO": "core", "AP": "foundation", "IN": "multiplication", "IF": None,
                      "RA": "presentation"}
    by_code = {str(r["notation"]): r for r in rows}
    assert "names no role" in str(by_code["IF"]["roleNote"])
    assert by_code["CO"]["roleNote"] is None
    assert [str(r["section"]) for r in rows] == ["2.1", "2.2", "2.3", "2.4", "2.5"]
    assert all(int(r["indicatorCount"]) >= 5 for r in rows)


def test_cq2_hard_and_soft_power(model: Graph) -> None:
    rows = run_query("cq02-hard-and-soft-power", model)
    kinds = {(str(r["categoryLabel"]), str(r["kindLabel"])) for r in rows}
    assert kinds == {
        ("hard power", "economic power"),
        ("hard power", "scientific and technological power"),
        ("hard power", "military power"),
        ("hard power", "infrastructure power"),
        ("soft power", "cultural soft power"),
        ("soft power", "values and ideology power"),
        ("soft power", "policy power"),
    }
    for row in rows:
        characteristics = set(str(row["characteristics"]).split("; "))
        if row["category"] == CSP.HardPower:
            assert characteristics == {"visible, material", "quantifiable",
                                       "transplantable in a short time"}
        else:
            assert characteristics == {"invisible, spiritual", "cannot be quantified",
                                       "formed by long-term accumulation",
                                       "attracts instead of forcing"}
            assert row["indicatorCount"] is None
    counts = {r["kind"]: int(r["indicatorCount"]) for r in rows if r["category"] == CSP.HardPower}
    assert counts[CSP.MilitaryPower] == 0
    assert all(counts[k] >= 5 for k in (CSP.EconomicPower, CSP.TechnologicalPower,
                                        CSP.InfrastructurePower))


def test_cq3_indicators_by_aspect(model: Graph) -> None:
    rows = run_query("cq03-indicators-by-aspect", model)
    codes = {str(r["aspectNotation"]) for r in rows}
    assert codes == {"CO", "AP", "IN", "IF", "RA", "EC", "TE", "MI", "IS"}
    military = [r for r in rows if str(r["aspectNotation"]) == "MI"]
    assert len(military) == 1 and military[0]["indicator"] is None
    assert {r["proxy"] for r in rows if str(r["aspectNotation"]) in ("CO", "AP", "IN", "IF", "RA")
            } == {Literal(True)}
    assert {r["proxy"] for r in rows if str(r["aspectNotation"]) in ("EC", "TE", "IS")
            } == {Literal(False)}
    unemployment = next(r for r in rows if r["indicator"] == IND["EC-04"])
    assert unemployment["higherIsBetter"] == Literal(False)
    assert str(unemployment["unitLabel"]) == "per cent"
    whs = next(r for r in rows if r["indicator"] == IND["CO-01"])
    assert (str(whs["framework"]), whs["higherIsBetter"]) == ("UNESCO World Heritage List",
                                                             Literal(True))


def test_cq3_with_aspect_parameter(model: Graph) -> None:
    rows = run_query("cq03-indicators-by-aspect", model, {"aspect": CSP.cohesion})
    assert {r["aspect"] for r in rows} == {CSP.cohesion}
    assert len(rows) == 9


def test_every_query_has_a_header() -> None:
    from cityculture.queries import query_names

    for name in query_names():
        query = load_query(name)
        assert "Parameters:" in query.header, name
        assert "Output columns" in query.header or "Writes:" in query.header, name
