"""An empty SELECT result still has its columns, in the order the query projects them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from cityculture.cli import main
from cityculture.query_text import UnsafeQueryError, projected_variables

TINY = Path(__file__).resolve().parent / "data" / "tiny-cities.csv"
QUERY = """PREFIX csp: <https://w3id.org/cityculture/ontology/>
SELECT ?city (SUM(?v) AS ?total) ?t ("x" AS ?tag)
WHERE { GRAPH ?g { ?city csp:nothing ?v ; csp:nothingElse ?t } }
GROUP BY ?city ?t
"""


def test_projection_order_with_aggregates_and_expressions() -> None:
    assert projected_variables(QUERY) == ["city", "total", "t", "tag"]


def test_projection_of_other_forms() -> None:
    assert projected_variables("SELECT * WHERE { ?s ?p ?o }") == []
    assert projected_variables("SELECT $a ?b WHERE { ?a ?p ?b }") == ["a", "b"]
    with pytest.raises(UnsafeQueryError):
        projected_variables("SELECT ?a WHERE { ?a ")


def test_an_empty_result_has_the_projected_header(tmp_path: Path) -> None:
    query = tmp_path / "nothing.rq"
    query.write_text(QUERY, encoding="utf-8")
    store = str(tmp_path / "store")
    runner = CliRunner()
    assert runner.invoke(main, ["load", str(TINY), "--store", store]).exit_code == 0
    result = runner.invoke(main, ["query", str(query), "--store", store, "--format", "csv"],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert list(csv.reader(io.StringIO(result.stdout))) == [["city", "total", "t", "tag"]]
