"""Numbers as programs write them: plain or scientific, kept to double precision if need be."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest

from cityculture.ingest import observations
from cityculture.ingest.observations import parse_number
from cityculture.ingest.reader import read_submission
from cityculture.validate.engine import validate_submissions

from .test_validation import CLEAN, replace, write_csv

XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.mark.parametrize(("text", "datatype", "lexical"), [
    ("12.50", "decimal", "12.50"),
    ("+3", "decimal", "3"),
    ("1.5e3", "decimal", "1500"),
    ("0.001282034845708445", "decimal", "0.001282034845708445"),  # 18 decimals: a decimal
    ("0.0012820348457084456", "double", "0.0012820348457084456"),  # 19: beyond Oxigraph's
    ("6.394884621840903e-16", "double", "6.394884621840903e-16"),
    ("123456789012345678901234", "double", "1.2345678901234569e+23"),
    ("0.10000000000000000000000", "decimal", "0.1"),  # trailing zeros are no digits
    ("0e-999999999999", "decimal", "0"),
])
def test_finite_numbers_are_numeric(text: str, datatype: str, lexical: str) -> None:
    literal = parse_number(text)
    assert (literal.datatype.value, literal.value) == (XSD + datatype, lexical)
    if datatype == "double":
        assert float(literal.value) == float(text)  # the nearest double, nothing lost beyond


@pytest.mark.parametrize("text", ["1e309", "-1e309", "NaN", "nan", "inf", "-Infinity",
                                  "1,234", "12,5", "1 200", "1e-400", "1E+999999999999",
                                  "0x10", "1e", ".e5"])
def test_what_is_no_finite_double_stays_text(text: str) -> None:
    assert parse_number(text).datatype.value == XSD + "string"


def test_long_and_scientific_values_validate_and_keep_their_value(tmp_path: Path) -> None:
    rows = replace(3, "value", "6.394884621840903e-16",
                   replace(5, "value", "0.0012820348457084456"))
    submission = read_submission(write_csv(tmp_path / "long.csv", rows))
    assert validate_submissions([submission]).findings == []
    store = ox.Store()
    store.extend(submission.quads())
    values = sorted(float(s["v"].value) for s in store.query(  # type: ignore[union-attr]
        "SELECT ?v WHERE { GRAPH ?g { ?o <https://w3id.org/cityculture/ontology/value> ?v } "
        "FILTER (isNumeric(?v) && ?v < 0.01) }"))
    assert values == [6.394884621840903e-16, 0.0012820348457084456]


@pytest.mark.parametrize("text", ["1e309", "NaN", "inf", '"1,234"'])
def test_refused_numbers_are_reported_on_their_row(tmp_path: Path, text: str) -> None:
    path = write_csv(tmp_path / "bad.csv", replace(3, "value", text, CLEAN))
    report = validate_submissions([read_submission(path)])
    assert [(f.code, f.row) for f in report.findings] == [("VALUE-NOT-NUMBER", 3)]


@pytest.mark.parametrize("text", ["1", "+1", "-0", "0.000", "5.", "12.50", "007.5", "1" * 20,
                                  "1" * 21, "0." + "1" * 18, "0." + "1" * 19, "+0.5",
                                  "0" * 22 + "1", "-3.250"])
def test_plain_decimal_shortcut_matches_the_general_rule(text: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    shortcut = parse_number(text)
    monkeypatch.setattr(observations, "_PLAIN_DECIMAL", re.compile(r"(?!)"))  # never matches
    assert parse_number(text) == shortcut
