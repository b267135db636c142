"""Findings at scale: past 50, the table ends with a summary by code; JSON keeps them all."""

from __future__ import annotations

import json
from pathlib import Path

from cityculture.ingest.reader import read_submission
from cityculture.validate.causes import likely_causes
from cityculture.validate.engine import validate_submissions
from cityculture.validate.findings import TABLE_LIMIT, ValidationReport

from .test_validation import write_csv


def _report(tmp_path: Path, bad_units: int, bad_values: int = 0) -> ValidationReport:
    rows = [f"Q{100 + i},City {i},FR,EC-04,2023,5.5,NUM,survey" for i in range(bad_units)]
    rows += [f"Q{900 + i},Town {i},FR,CO-01,2023,\"1,5\",NUM,survey" for i in range(bad_values)]
    path = write_csv(tmp_path / "many.csv", rows)
    return validate_submissions([read_submission(path)])


def test_past_the_limit_the_table_ends_with_a_summary_by_code(tmp_path: Path) -> None:
    report = _report(tmp_path, 60, 3)
    assert len(report.findings) == 63
    table = report.to_table()
    head, summary = table.split("summary by code:\n")
    finding_lines = [line for line in head.splitlines() if line.startswith("many.csv")]
    assert len(finding_lines) == TABLE_LIMIT
    assert "... and 13 more finding(s); --format json lists them all" in head
    lines = summary.splitlines()
    assert lines[0].split() == ["code", "severity", "count", "first", "rows", "likely", "cause"]
    unit, number = lines[2], lines[3]
    assert unit.split()[:3] == ["UNIT-MISMATCH", "Violation", "60"]
    assert "many.csv rows 2, 3, 4, 5, 6, ..." in unit
    assert likely_causes()["UNIT-MISMATCH"] in unit
    assert number.split()[:3] == ["VALUE-NOT-NUMBER", "Violation", "3"]
    assert "many.csv rows 62, 63, 64" in number and "..." not in number
    assert lines[-1] == "does not conform: 63 violation(s), 0 warning(s)"
    assert len(json.loads(report.to_json())["findings"]) == 63


def test_up_to_the_limit_every_finding_is_a_line_and_no_summary(tmp_path: Path) -> None:
    report = _report(tmp_path, TABLE_LIMIT)
    table = report.to_table()
    assert "summary by code" not in table
    assert sum(line.startswith("many.csv") for line in table.splitlines()) == TABLE_LIMIT


def test_a_code_without_a_noted_cause_is_summarised_by_its_message(tmp_path: Path) -> None:
    rows = [f"Q{100 + i},City {i},FR,CO-01,2023,4,NUM," for i in range(TABLE_LIMIT + 1)]
    report = validate_submissions([read_submission(write_csv(tmp_path / "m.csv", rows))])
    assert "MISSING-SOURCE" in likely_causes()
    report.findings = [f for f in report.findings if f.code == "MISSING-SOURCE"]
    for finding in report.findings:
        finding.code = "NO-NOTE-FOR-THIS"
    summary = report.to_table().split("summary by code:\n")[1]
    assert "The source is missing" in summary
