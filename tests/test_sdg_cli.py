"""The REDS Spanish Cities SDG Index 2018 reproduced through the command line, as a user runs it.

``cityculture assess examples/sdg-es-2018/submission.csv --framework .../framework.ttl
--format json`` gives every goal score, the index (``avg``) and its ranks; the indicator
scores of the same run come from ``cityculture query indicator-scores`` on a store loaded
with ``load --scheme``. Everything is compared with the workbook's published columns within
1e-6 (tests/test_assess_sdg.py does the same through the library). Skipped where the example
or the workbook (../shared) is absent.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.namespace import DCTERMS, SKOS

from cityculture.cli import main
from tests.test_assess_sdg import EXAMPLE, GOALS, city_ids, published
from tests.test_assess_sdg import pytestmark as needs_example

pytestmark = [needs_example, pytest.mark.slow]

SUBMISSION = EXAMPLE / "submission.csv"


def cli(*args: object) -> tuple[str, str]:
    """Run the command; return stdout and stderr (exit code 0 required)."""
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output + result.stderr
    return result.stdout, result.stderr


def by_city(results: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    ids = city_ids()
    return {ids[str(entry["city"])]: entry for entry in results}


@pytest.mark.parametrize(("framework", "column"), [("framework.ttl", "avg"),
                                                   ("framework-wo14.ttl", "avg (wo SDG14)")])
def test_assess_command_reproduces_goals_index_and_ranks(framework: str, column: str) -> None:
    stdout, _ = cli("assess", SUBMISSION, "--framework", EXAMPLE / framework, "--format", "json")
    cities = by_city(json.loads(stdout))
    expected = published()
    assert set(cities) == set(expected)
    totals = {city: columns[column] for city, columns in expected.items()}
    goals = [g for g in GOALS if framework == "framework.ttl" or g != "SDG14"]
    for city, entry in cities.items():
        scores, ranks = entry["scores"], entry["ranks"]
        assert isinstance(scores, dict) and isinstance(ranks, dict)
        assert scores["SDGI"] == pytest.approx(totals[city], abs=1e-6), city
        higher = sum(other > totals[city] + 1e-9 for other in totals.values())  # type: ignore[operator]
        assert ranks["SDGI"] == 1 + higher, city
        for goal in goals:
            published_goal = expected[city][goal.lower()]
            if published_goal is None:
                assert goal not in scores, (city, goal)
            else:
                assert scores[goal] == pytest.approx(published_goal, abs=1e-6), (city, goal)


def test_indicator_scores_of_the_run_through_query(tmp_path: Path) -> None:
    store = tmp_path / "store"
    framework = EXAMPLE / "framework.ttl"
    cli("load", SUBMISSION, "--store", store, "--scheme", framework)
    _, stderr = cli("assess", "--store", store, "--framework", framework, "--format", "json")
    run = re.search(r"run <([^>]+)>", stderr)
    assert run, stderr
    stdout, _ = cli("query", "indicator-scores", "--store", store, "--param",
                    f"run=<{run.group(1)}>", "--format", "json")
    ids = city_ids()
    scores = {(ids[b["city"]["value"]], b["code"]["value"]): float(b["score"]["value"])
              for b in json.loads(stdout)["results"]["bindings"]}
    graph = Graph().parse(framework, format="turtle")
    code = {str(key): str(graph.value(s, SKOS.notation))
            for s, key in graph.subject_objects(DCTERMS.identifier)}
    compared = 0
    for city, columns in published().items():
        for name, value in columns.items():
            if not name.startswith("n_"):
                continue
            key = (city, code[name[2:]])
            if value is None:
                assert key not in scores, key
            else:
                assert scores[key] == pytest.approx(value, abs=1e-6), key
                compared += 1
    # one published score per submitted raw value, each compared
    rows = SUBMISSION.read_text(encoding="utf-8").count("\n") - 1
    assert compared == rows and len(scores) == rows
