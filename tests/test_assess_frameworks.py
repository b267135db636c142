"""Frameworks checked before anything runs, and runs isolated from each other.

A framework file breaking shapes/frameworks/framework.ttl gives one finding per fault naming the
file, the node and the term, exit code 2, and the store is left as it was. Each run reads only
the copy of its own framework (a graph named by the file's digest): an edited copy with the same
framework IRI leaves later runs of the original unchanged, and no query doubles rows.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cityculture.assess.framework_check import check_framework
from cityculture.assess.frameworks import BUILTIN, FrameworkError, framework_path, resolve_framework
from cityculture.assess.run import assess
from cityculture.cli import main
from cityculture.ingest.reader import read_submission
from cityculture.queries import load_query
from cityculture.store.backends import OxigraphBackend

DATA = Path(__file__).resolve().parent / "data"
TINY = DATA / "tiny-framework.ttl"


def edited(tmp_path: Path, old: str, new: str, name: str = "edited.ttl") -> Path:
    text = TINY.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_the_bundled_frameworks_pass(name: str) -> None:
    path = framework_path(name)
    assert check_framework(path, path.read_bytes()) == []


FAULTS = [
    ('csp:aggregation csp:weightedMean ; rdfs:label "cohesion"',
     'csp:aggregation csp:geometricMaen ; rdfs:label "cohesion"',
     "node <https://example.org/tiny/CO> (CO): csp:geometricMaen: UNKNOWN-TERM"),
    ("csp:minimumCoverage 0.5", "csp:minimumCoverag 0.5",
     "node <https://example.org/tiny>: csp:minimumCoverag: UNKNOWN-TERM"),
    ("csp:normalisation csp:minMax", "csp:normalisation csp:minMax ; csp:winsorisationLimit \"5x\"",
     "node <https://example.org/tiny>: csp:winsorisationLimit: NOT-A-NUMBER"),
    ('csp:parentNode t:CO ; csp:weight 1 ; skos:notation "CO-01"',
     'csp:parentNode t:CO ; csp:weight -1 ; skos:notation "CO-01"',
     "node <https://example.org/tiny/CO-01> (CO-01): csp:weight: BAD-WEIGHT"),
    ('csp:parentNode t:CO ; csp:weight 1 ; skos:notation "CO-01"',
     'csp:parentNode t:CO ; csp:weight "heavy" ; skos:notation "CO-01"',
     "node <https://example.org/tiny/CO-01> (CO-01): csp:weight: BAD-WEIGHT"),
    ('csp:standsFor csp:appeal ; csp:parentNode t:SOFT ; csp:weight 1 ;',
     'csp:standsFor csp:appeal ; csp:weight 1 ;',
     "node <https://example.org/tiny/AP> (AP): csp:parentNode: NO-PARENT"),
    ("csp:standsFor ind:CO-01 ;", "csp:standsFor ind:CO-99 ;",
     "node <https://example.org/tiny/CO-01> (CO-01): ind:CO-99: UNDECLARED-INDICATOR"),
]


@pytest.mark.parametrize(("old", "new", "expected"), FAULTS,
                         ids=[f[2].rsplit(": ", 1)[-1] for f in FAULTS])
def test_each_fault_is_one_finding(tmp_path: Path, old: str, new: str, expected: str) -> None:
    path = edited(tmp_path, old, new)
    findings = check_framework(path, path.read_bytes())
    assert len(findings) == 1, findings
    assert findings[0].startswith(f"{path}: {expected}: ")


def test_a_cycle_is_found(tmp_path: Path) -> None:
    soft = "t:SOFT a csp:FrameworkNode ; csp:inFramework <https://example.org/tiny> ; csp:level 2 ;"
    path = edited(tmp_path, soft, soft + " csp:parentNode t:CO ; csp:weight 1 ;")
    findings = check_framework(path, path.read_bytes())
    assert [f.split(": ")[2:4] for f in findings] == [["csp:parentNode", "CYCLE"]] * 2
    with pytest.raises(FrameworkError):
        resolve_framework(path)


def test_a_misspelt_term_exits_2_with_one_finding_and_writes_nothing(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    with OxigraphBackend(store_dir) as store:
        submission = read_submission(DATA / "tiny-cities.csv")
        store.replace_graph(submission.iri, submission.ntriples())
        before = store.dump_nquads()
    bad = edited(tmp_path, 'csp:aggregation csp:weightedMean ; rdfs:label "cohesion"',
                 'csp:aggregation csp:geometricMaen ; rdfs:label "cohesion"')
    result = CliRunner().invoke(main, ["assess", "--store", str(store_dir), "--framework",
                                       str(bad)])
    assert result.exit_code == 2, result.output
    assert result.output.count("UNKNOWN-TERM") == 1
    assert f"{bad}: node <https://example.org/tiny/CO> (CO): csp:geometricMaen" in result.output
    assert "Traceback" not in result.output
    with OxigraphBackend(store_dir) as store:
        assert store.dump_nquads() == before


SCORES = """PREFIX csp: <https://w3id.org/cityculture/ontology/>
SELECT ?node ?city ?year (STR(?v) AS ?value) WHERE { GRAPH ?run {
  ?s csp:frameworkNode ?node ; csp:city ?city ; csp:refYear ?year ; csp:scoreValue ?v } }"""


def scores(store: OxigraphBackend, run: str) -> set[tuple[str, str, str, str]]:
    return {(str(r["node"]), str(r["city"]), str(r["year"]), str(r["value"]))
            for r in store.select(SCORES.replace("?run", f"<{run}>"))}


def test_an_edited_copy_leaves_the_original_alone(tmp_path: Path) -> None:
    """The README's recipe: copy a framework, change a weight, run it; then run the original
    again. The copy has the same framework IRI and node IRIs."""
    store = OxigraphBackend()
    submission = read_submission(DATA / "tiny-cities.csv")
    store.replace_graph(submission.iri, submission.ntriples())
    original = resolve_framework(TINY)
    copy = resolve_framework(edited(tmp_path, 't:CO a csp:FrameworkNode ; csp:inFramework '
                                              '<https://example.org/tiny> ; csp:level 1 ;\n'
                                              '    csp:standsFor csp:cohesion ; csp:parentNode '
                                              't:SOFT ; csp:weight 1 ;',
                                    't:CO a csp:FrameworkNode ; csp:inFramework '
                                    '<https://example.org/tiny> ; csp:level 1 ;\n'
                                    '    csp:standsFor csp:cohesion ; csp:parentNode '
                                    't:SOFT ; csp:weight 3 ;'))
    assert copy.iri == original.iri and copy.graph != original.graph
    first = assess(store, original).iri
    edited_run = assess(store, copy).iri
    later = assess(store, original).iri
    assert scores(store, later) == scores(store, first)
    assert scores(store, edited_run) != scores(store, first)
    # no doubled rows: cq04 gives one row per city, year and node above the indicators
    for run in (first, edited_run, later):
        rows = store.select(load_query("cq04-city-scores").text.replace("?run", f"<{run}>"))
        keys = [(str(r["city"]), str(r["year"]), str(r["node"])) for r in rows]
        assert len(keys) == len(set(keys)) == 9 * 5
    runs = store.select(load_query("list-runs").text)
    assert [str(r["run"]) for r in runs] == [later, edited_run, first]
    digests = {str(r["run"]): str(r["digest"]) for r in runs}
    assert digests[first] == digests[later] == original.digest != digests[edited_run]
    assert all(str(r["frameworkLabel"]) == "tiny test framework" for r in runs)


def test_list_runs_shows_framework_digest_and_date(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    runner = CliRunner()
    result = runner.invoke(main, ["load", str(DATA / "tiny-cities.csv"), "--store",
                                  str(store_dir)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["assess", "--store", str(store_dir), "--framework", str(TINY)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["query", "list-runs", "--store", str(store_dir),
                                  "--format", "json"])
    assert result.exit_code == 0, result.output
    assert resolve_framework(TINY).digest in result.output
    assert "https://example.org/tiny" in result.output and "started" in result.output
