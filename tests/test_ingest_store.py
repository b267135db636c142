"""Ingest keeps provenance; a failed load leaves the store exactly as it was."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from cityculture.cli import main
from cityculture.ingest.reader import read_submission
from cityculture.resources import resource_path
from cityculture.store.backends import OxigraphBackend
from cityculture.validate.engine import validate_submissions

from .test_validation import CASES, CLEAN, HEADER, write_csv


def test_gpci_example_validates_clean() -> None:
    path = resource_path("examples", "gpci-2023-submission.csv")
    submission = read_submission(path)
    report = validate_submissions([submission])
    assert report.findings == [], report.to_table()
    observations = [t for t in submission.triples
                    if t.predicate.value.endswith("#type")
                    and t.object.value.endswith("ontology/Observation")]
    assert len(observations) == 48 * 31  # 48 cities x 31 GPCI indicators of the scheme


def test_observation_provenance(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "prov.csv", CLEAN)
    submission = read_submission(path, body="Statistics Office Test")
    store = ox.Store()
    store.extend(submission.quads())
    rows = list(store.query("""
        PREFIX csp: <https://w3id.org/cityculture/ontology/>
        PREFIX qb: <http://purl.org/linked-data/cube#>
        PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?row ?file ?body ?issued ?column WHERE { GRAPH ?g {
          ?obs csp:refYear 2023 ; csp:value 7.1 ; csp:sourceRow ?row ; qb:dataSet ?ds .
          ?ds csp:sourceFile ?file ; dcterms:issued ?issued ; prov:wasAttributedTo ?agent ;
              csp:columnMapping ?m .
          ?agent rdfs:label ?body .
          ?m csp:mapsProperty csp:value ; csp:columnLetter ?column .
        } }"""))
    assert len(rows) == 1
    row = rows[0]
    assert (row["row"].value, row["file"].value, row["body"].value, row["column"].value) == (
        "3", "prov.csv", "Statistics Office Test", "F")


def test_xlsx_findings_name_the_sheet(tmp_path: Path) -> None:
    workbook = Workbook()
    notes = workbook.active
    notes.title = "Read me"
    notes.append(["This workbook holds our submission."])
    data = workbook.create_sheet("Data 2023")
    data.append(HEADER.split(","))
    for line in CASES["VALUE-OUT-OF-RANGE"][0]:
        cells = line.split(",")
        data.append([*cells[:4], int(cells[4]), float(cells[5]), *cells[6:]])
    path = tmp_path / "submission.xlsx"
    workbook.save(path)
    report = validate_submissions([read_submission(path)])
    (finding,) = report.findings
    assert (finding.code, finding.sheet, finding.row, finding.column) == (
        "VALUE-OUT-OF-RANGE", "Data 2023", 5, "F (value)")


def _dump(store_dir: Path) -> bytes:
    with OxigraphBackend(store_dir) as store:
        return store.dump_nquads()


def test_refused_load_leaves_store_unchanged(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    runner = CliRunner()
    good = write_csv(tmp_path / "good.csv", CLEAN)
    loaded = runner.invoke(main, ["load", "--store", str(store_dir), str(good)])
    assert loaded.exit_code == 0, loaded.output
    before = _dump(store_dir)
    assert before  # something was stored
    bad = write_csv(tmp_path / "bad.csv", CASES["UNIT-MISMATCH"][0])
    other_good = write_csv(tmp_path / "other.csv", [CLEAN[0].replace("Q90", "Q64")])
    refused = runner.invoke(main, ["load", "--store", str(store_dir), str(other_good), str(bad)])
    assert refused.exit_code == 1
    assert "UNIT-MISMATCH" in refused.output
    assert _dump(store_dir) == before


def test_reload_replaces_the_submission_graph(tmp_path: Path) -> None:
    store = OxigraphBackend(tmp_path / "store")
    submission = read_submission(write_csv(tmp_path / "a.csv", CLEAN))
    store.replace_graph(submission.iri, submission.ntriples())
    first = store.count(submission.iri)
    store.replace_graph(submission.iri, submission.ntriples())
    assert store.count(submission.iri) == first == len(submission.triples)
    assert store.graph_names() == [submission.iri]


def test_template_lists_every_indicator(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["template", str(tmp_path)])
    assert result.exit_code == 0
    header = (tmp_path / "submission-template.csv").read_text(encoding="utf-8").strip()
    assert header == HEADER
    listed = (tmp_path / "indicators.csv").read_text(encoding="utf-8").splitlines()
    assert len(listed) - 1 == 65
    workbook = load_workbook(tmp_path / "submission-template.xlsx", read_only=True)
    assert workbook.sheetnames == ["Data", "Indicators"]
    # the empty template is itself a readable (if empty) submission
    data_rows = list(workbook["Data"].iter_rows(values_only=True))
    assert list(data_rows[0]) == HEADER.split(",")
