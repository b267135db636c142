"""Validation findings and the report, rendered as a table, JSON or a SHACL report graph.

A finding is the frictionless-style view of a SHACL validation result: a stable code, the
file, sheet, row and column it came from (focus node and path for RDF input), the offending
value, a message a municipal clerk understands, and the shape that raised it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields

from rdflib import RDF, BNode, Graph, Literal
from rdflib.namespace import SH

from cityculture.namespaces import CSP, bind_prefixes
from cityculture.tables import render_table
from cityculture.validate.shacl_results import ShaclResult, write_result

SEVERITY_ORDER = {str(SH.Violation): 0, str(SH.Warning): 1, str(SH.Info): 2}
ACCEPTED_SEVERITIES = frozenset({str(SH.Warning), str(SH.Info)})
"""Severities a submission may be loaded with: any other (sh:Violation, or a severity of
the shapes' own) refuses it."""


def severity_name(severity: str) -> str:
    """Short name of a severity IRI for tables (``Violation``); other IRIs stay whole."""
    if severity.startswith(str(SH)):
        return severity.removeprefix(str(SH))
    return severity
TABLE_LIMIT = 50
"""Findings a table shows one per line; past this, it shows the first ones and a summary."""
FIRST_PLACES = 5


@dataclass
class Finding:
    """One SHACL result about a submission, located in its file.

    ``severity`` and ``component`` are IRIs; ``focus`` is the focus node's IRI (other terms
    in N-Triples form); ``path`` the result path (a predicate IRI, or the SHACL path in
    SPARQL property-path syntax); ``details`` the nested ``sh:detail`` results.
    """

    code: str
    severity: str
    file: str
    row: int | None
    column: str | None
    value: str | None
    message: str
    shape: str
    sheet: str | None = None
    focus: str | None = None
    path: str | None = None
    component: str | None = None
    message_zh: str | None = None
    details: list[Finding] = field(default_factory=list)
    result: ShaclResult | None = field(default=None, repr=False, compare=False)

    def sort_key(self) -> tuple[object, ...]:
        """Order by file, sheet, row, column, severity, code."""
        return (self.file, self.sheet or "", self.row or 0, self.column or "",
                SEVERITY_ORDER.get(self.severity, 9), self.code, self.focus or "")

    def location(self) -> str:
        """Return 'file, sheet S: row R, column C' (or the focus node for RDF input)."""
        parts = [self.file + (f", sheet {self.sheet!r}" if self.sheet else "")]
        if self.row is not None:
            where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
            parts.append(where)
        elif self.focus:
            focus = f"<{self.focus}>" if ":" in self.focus and not self.focus.startswith(
                ('"', "_:")) else self.focus
            parts.append(focus + (f" {self.path}" if self.path else ""))
        return ": ".join(parts)

    def as_dict(self) -> dict[str, object]:
        """Return the finding as JSON-ready data (details nested)."""
        data: dict[str, object] = {f.name: getattr(self, f.name) for f in fields(self)
                                   if f.name not in ("result", "details")}
        data["details"] = [d.as_dict() for d in self.details]
        return data


def _first_places(findings: list[Finding]) -> str:
    """Name where the first few findings are: ``a.csv rows 2, 3, 4, ...``, per file."""
    by_file: dict[str, list[str]] = {}
    for finding in findings[:FIRST_PLACES]:
        if finding.row is not None:
            place = str(finding.row)
        else:
            place = f"<{finding.focus}>" if finding.focus else "?"
        sheet = f", sheet {finding.sheet!r}" if finding.sheet else ""
        by_file.setdefault(finding.file + sheet, []).append(place)
    more = ", ..." if len(findings) > FIRST_PLACES else ""
    parts = []
    for file, places in by_file.items():
        word = ("row " if len(places) == 1 else "rows ") if places[0].isdigit() else ""
        parts.append(f"{file} {word}{', '.join(places)}")
    return "; ".join(parts) + more


@dataclass
class ValidationReport:
    """All results of one validation run.

    ``conforms`` is SHACL's: true only when there is no result at all. ``accepted`` is the
    project's policy: a submission whose results are all warnings or infos may be loaded.
    """

    findings: list[Finding] = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        """True when there is no validation result (of any severity)."""
        return not self.findings

    @property
    def accepted(self) -> bool:
        """True when every result is a warning or an info (the data may be loaded)."""
        return all(f.severity in ACCEPTED_SEVERITIES for f in self.findings)

    def count(self, severity: str) -> int:
        """Count the findings of one severity (its IRI or its short name)."""
        return sum(1 for f in self.findings
                   if severity in (f.severity, severity_name(f.severity)))

    def to_json(self) -> str:
        """Return ``{"conforms": bool, "accepted": bool, "findings": [...]}`` as JSON text."""
        return json.dumps(
            {"conforms": self.conforms, "accepted": self.accepted,
             "findings": [f.as_dict() for f in self.findings]},
            ensure_ascii=False, indent=2,
        )

    def to_table(self, limit: int = TABLE_LIMIT) -> str:
        """Return a terminal table, one finding per line, then a summary line.

        Past ``limit`` findings the table shows the first ``limit``, then a summary by code
        (count, first rows, likely cause); :meth:`to_json` keeps every finding.
        """
        shown = self.findings[:limit]
        rows = [[f.location(), severity_name(f.severity), f.code, f.value, f.message]
                for f in shown]
        verdict = ("conforms" if self.conforms else
                   "does not conform (accepted: warnings only)" if self.accepted else
                   "does not conform")
        others = len(self.findings) - self.count("Violation") - self.count("Warning")
        summary = (f"{verdict}: {self.count('Violation')} violation(s), "
                   f"{self.count('Warning')} warning(s)"
                   + (f", {others} other result(s)" if others else ""))
        if not rows:
            return summary
        table = render_table(["where", "severity", "code", "value", "message"], rows)
        if len(self.findings) <= limit:
            return f"{table}\n{summary}"
        rest = len(self.findings) - limit
        return (f"{table}\n... and {rest:,} more finding(s); --format json lists them all\n\n"
                f"summary by code:\n{self.summary_by_code()}\n{summary}")

    def summary_by_code(self) -> str:
        """Return a table with one line per finding code: count, first places, likely cause."""
        from cityculture.validate.causes import likely_causes

        causes = likely_causes()
        groups: dict[tuple[str, str], list[Finding]] = {}
        for finding in self.findings:
            groups.setdefault((finding.code, finding.severity), []).append(finding)
        order = sorted(groups, key=lambda k: (SEVERITY_ORDER.get(k[1], 9), -len(groups[k]), k[0]))
        rows = [[code, severity_name(severity), f"{len(groups[code, severity]):,}",
                 _first_places(groups[code, severity]),
                 causes.get(code, groups[code, severity][0].message)]
                for code, severity in order]
        return render_table(["code", "severity", "count", "first rows", "likely cause"], rows)

    def to_graph(self) -> Graph:
        """Return the SHACL validation report graph (csp: terms locate each result)."""
        graph = Graph()
        bind_prefixes(graph.namespace_manager)
        graph.bind("sh", SH)
        report = BNode()
        graph.add((report, RDF.type, SH.ValidationReport))
        graph.add((report, SH.conforms, Literal(self.conforms)))
        for f in self.findings:
            if f.result is None:
                continue
            result = write_result(graph, f.result)
            graph.add((report, SH.result, result))
            graph.add((result, CSP.findingCode, Literal(f.code)))
            graph.add((result, CSP.sourceFile, Literal(f.file)))
            if f.sheet:
                graph.add((result, CSP.sourceSheet, Literal(f.sheet)))
            if f.row is not None:
                graph.add((result, CSP.sourceRow, Literal(f.row)))
            if f.column:
                graph.add((result, CSP.columnName, Literal(f.column)))
        return graph
