"""An assessment run as RDF: the N-Triples of its named graph, with PROV.

One graph per run, written in one replace (in parts, which the store loads as they come).
It holds:

* the run (``csp:AssessmentRun``, a ``prov:Activity``): its framework, the digest of the
  framework file and the graph holding the copy it read (``csp:frameworkGraph``), the graphs
  its observations came from (``prov:used``), when it started and ended;
* its steps (``csp:AssessmentStep``, each a ``prov:Activity`` part of the run): imputation,
  transformation, outlier treatment, normalisation, aggregation of each level, ranking, each
  naming the method terms it applied (``csp:method``);
* every indicator score (``csp:IndicatorScore``, a blank node: node, city, year, score; the
  value before and after treatment where a transformation or winsorisation changed it,
  ``csp:imputedBy`` where the value was imputed);
* every score above the indicators (``csp:ElementScore``, ``csp:CompositeIndex`` or
  ``csp:Assessment``) with its coverage, rank, the step that generated it and the scores of
  the level below it was derived from, or a ``csp:NotScored`` record with the reason;
* the outlier checks (``csp:OutlierCheck``).

Numbers are written as ``xsd:decimal`` (Virtuoso returns doubles with six digits only).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import count, islice

import numpy as np

from cityculture.assess.frameworks import Framework
from cityculture.assess.numerics import Assessment, NodeScores
from cityculture.namespaces import CSP

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_PROV = "http://www.w3.org/ns/prov#"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_DCT = "http://purl.org/dc/terms/"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
C = str(CSP)

PART_BYTES = 64 << 20
"""About how many bytes of N-Triples each part of a run graph holds (whole framework nodes
are put together up to this size): each part the embedded store bulk-loads costs a fixed
time, and the loader holds one part in memory at a time."""

STEPS = ["imputation", "transformation", "outlierTreatment", "normalisation"]


def decimal(value: float) -> str:
    """Write a finite float as an ``xsd:decimal`` literal, with its shortest exact digits."""
    text = repr(value)
    if "e" in text or "n" in text:  # exponent form (or inf/nan, which no formula yields)
        text = np.format_float_positional(value, unique=True, trim="-")
    elif text.endswith(".0"):
        text = text[:-2]
    return f'"{text}"^^<{_XSD}decimal>'


def _integer(value: int) -> str:
    return f'"{value}"^^<{_XSD}integer>'


def _string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _time(value: datetime) -> str:
    # UTC written as "Z", the form every engine keeps (Oxigraph rewrites "+00:00" to it)
    return f'"{value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}"^^<{_XSD}dateTime>'


def step_iri(run: str, step: str) -> str:
    """Return the IRI of one step of a run."""
    return f"{run}/step/{step}"


def _reason(have: float, selected: float, minimum: float) -> str:
    return (f"data for {int(have)} of {int(selected)} parts; at least "
            f"{round(minimum * 100)} % are needed")


def run_ntriples(assessment: Assessment, framework: Framework, *, run: str, used: list[str],
                 year: int | None, started: datetime, ended: datetime) -> bytes:
    """Return the run's graph as one N-Triples document (:func:`run_ntriples_parts` joined)."""
    return b"".join(run_ntriples_parts(assessment, framework, run=run, used=used, year=year,
                                       started=started, ended=ended))


def run_ntriples_parts(assessment: Assessment, framework: Framework, *, run: str,
                       used: list[str], year: int | None, started: datetime,
                       ended: datetime) -> Iterator[bytes]:
    """Yield the run's graph as N-Triples, in parts of whole framework nodes (:data:`PART_BYTES`).

    The first part starts with the run and its steps, the last holds the outlier checks. A national
    corpus's run graph is hundreds of megabytes: written part by part, it is held in memory
    one part at a time by a store that loads the parts as they come
    (:meth:`~cityculture.store.interface.Backend.replace_graph`). Every blank node (an
    indicator score) is written whole within one part, under a label unique in the run.
    """
    out: list[str] = []
    r = f"<{run}>"
    out += [f"{r} <{_RDF}type> <{C}AssessmentRun> .", f"{r} <{_RDF}type> <{_PROV}Activity> .",
            f"{r} <{C}framework> <{framework.iri}> .",
            f"{r} <{C}frameworkGraph> <{framework.graph}> .",
            f"{r} <{C}frameworkDigest> {_string(framework.digest)} .",
            f"{r} <{_PROV}used> <{framework.graph}> .",
            f"{r} <{_PROV}startedAtTime> {_time(started)} .",
            f"{r} <{_PROV}endedAtTime> {_time(ended)} ."]
    out += [f"{r} <{_PROV}used> <{graph}> ." for graph in used]
    if year is not None:
        out.append(f"{r} <{C}refYear> {_integer(year)} .")
    for step, methods in assessment.methods.items():
        s = f"<{step_iri(run, step)}>"
        out += [f"{s} <{_RDF}type> <{C}AssessmentStep> .", f"{s} <{_RDF}type> <{_PROV}Activity> .",
                f"{s} <{_DCT}isPartOf> {r} .", f"{s} <{_RDFS}label> {_string(step)} ."]
        out += [f"{s} <{C}method> <{m}> ." for m in sorted(methods)]
    years = [i for i, y in enumerate(assessment.years) if year is None or y == year]
    counter = count()
    iris: dict[tuple[str, int, int], str] = {}

    def iri(node: str, i: int, c: int) -> str:
        key = (node, i, c)
        found = iris.get(key)
        if found is None:
            found = iris[key] = f"<{run}/score/{next(counter)}>"
        return found

    blocks = [_encoded(out)]  # the run's own triples
    size = len(blocks[0])
    for result in sorted(assessment.nodes.values(), key=lambda n: (n.node.level, n.node.iri)):
        if result.node.level == 0:
            # an indicator score is a blank node (nothing links to it): an IRI of the run's
            # length for each of a national corpus's would be most of the run graph's bytes
            _indicator_scores(out, result, assessment, years, counter)
        else:
            _upper_scores(out, result, assessment, framework, years, iri, run)
        if out:
            blocks.append(_encoded(out))
            size += len(blocks[-1])
        if size >= PART_BYTES:
            yield b"".join(blocks)
            blocks, size = [], 0
    if blocks:
        yield b"".join(blocks)
    for k, check in enumerate(assessment.outliers):
        if year is not None and check.year != year:
            continue
        o = f"<{run}/outlier/{k}>"
        out += [f"{o} <{_RDF}type> <{C}OutlierCheck> .", f"{o} <{C}frameworkNode> <{check.node}> .",
                f"{o} <{C}refYear> {_integer(check.year)} .",
                f"{o} <{C}skewness> {decimal(check.skewness)} .",
                f"{o} <{C}kurtosis> {decimal(check.kurtosis)} .",
                f"{o} <{_PROV}wasGeneratedBy> <{step_iri(run, 'outlierTreatment')}> ."]
        if check.winsorised_points:
            out.append(f"{o} <{C}winsorisedPoints> {_integer(check.winsorised_points)} .")
    if out:
        yield _encoded(out)


def _encoded(lines: list[str]) -> bytes:
    """Return ``lines`` as N-Triples bytes and empty the list (its strings are then freed)."""
    data = ("\n".join(lines) + "\n").encode("utf-8")
    lines.clear()
    return data


def _indicator_scores(out: list[str], result: NodeScores, assessment: Assessment,
                      years: list[int], counter: Iterator[int]) -> None:
    """Append the indicator scores of one node, each a blank node labelled from ``counter``.

    The text of a year's scores is built in one comprehension (a national corpus has
    hundreds of thousands of them); the few scores with an imputed, treated or winsorised
    value get their extra triples after it.
    """
    node = f"<{result.node.iri}>"
    imputation = result.node.method(CSP.imputation)
    cities = [f"<{city}>" for city in assessment.cities]
    head = f" <{_RDF}type> <{C}IndicatorScore> .\n"
    at_node = f" <{C}frameworkNode> {node} .\n"
    at_city = f" <{C}city> "
    at_score = f" <{C}scoreValue> "
    original, treated, winsorised = result.original, result.treated, result.winsorised
    for i in years:
        row = result.score[i]
        where = np.flatnonzero(~np.isnan(row))
        if where.size == 0:
            continue
        columns = where.tolist()
        labels = [f"_:i{k}" for k in islice(counter, len(columns))]
        at_year = f" <{C}refYear> {_integer(assessment.years[i])} .\n"
        out.extend([f"{s}{head}{s}{at_node}{s}{at_city}{cities[c]} .\n{s}{at_year}"
                    f"{s}{at_score}{decimal(v)} ."
                    for s, c, v in zip(labels, columns, row[where].tolist(), strict=True)])
        flagged = result.imputed[i, where]
        if treated is not None:
            assert original is not None
            flagged = flagged | (treated[i, where] != original[i, where])
        if winsorised is not None:
            flagged = flagged | winsorised[i, where]
        for k in np.flatnonzero(flagged).tolist():
            s, c = labels[k], columns[k]
            if result.imputed[i, c]:
                out.append(f"{s} <{C}imputedBy> <{imputation}> .")
            if treated is not None and treated[i, c] != original[i, c]:  # type: ignore[index]
                out += [f"{s} <{C}originalValue> {decimal(float(original[i, c]))} .",  # type: ignore[index]
                        f"{s} <{C}treatedValue> {decimal(float(treated[i, c]))} ."]
            if winsorised is not None and winsorised[i, c]:
                out.append(f"{s} <{_RDF}type> <{C}WinsorisedValue> .")


def _upper_scores(out: list[str], result: NodeScores, assessment: Assessment,
                  framework: Framework, years: list[int], iri, run: str) -> None:  # noqa: ANN001
    node = result.node
    n = f"<{node.iri}>"
    score_class = ("CompositeIndex" if node.parent is None
                   else "ElementScore" if node.stands_for else "Assessment")
    generated = f"<{step_iri(run, f'aggregation-{node.level}')}>"
    minimum = node.number(CSP.minimumCoverage) or 0.0
    imputation = node.method(CSP.imputation)
    children = framework.children(node.iri) if node.level > 1 else []
    assert result.coverage is not None and result.have is not None
    assert result.selected is not None and result.rank is not None
    cities = [f"<{city}>" for city in assessment.cities]
    for i in years:
        year = _integer(assessment.years[i])
        scored = ~np.isnan(result.score[i])
        reported = scored | (assessment.compared[i] & (result.selected[i] > 0)
                             & ((result.have[i] > 0) | (minimum > 0)))
        for c in np.flatnonzero(reported).tolist():
            value = float(result.score[i, c])
            selected = float(result.selected[i, c])
            have = float(result.have[i, c])
            s = iri(node.iri, i, c)
            out.append(f"{s} <{C}frameworkNode> {n} .\n{s} <{C}city> {cities[c]} .\n"
                       f"{s} <{C}refYear> {year} .\n{s} <{_PROV}wasGeneratedBy> {generated} .")
            if selected > 0:
                out.append(f"{s} <{C}coverage> {decimal(have / selected)} .")
            if scored[c]:
                out.append(f"{s} <{_RDF}type> <{C}{score_class}> .\n"
                           f"{s} <{C}scoreValue> {decimal(value)} .\n"
                           f"{s} <{C}rankValue> {_integer(int(result.rank[i, c]))} .")
                if result.imputed[i, c]:
                    out.append(f"{s} <{C}imputedBy> <{imputation}> .")
            else:
                out.append(f"{s} <{_RDF}type> <{C}NotScored> .\n"
                           f"{s} <{C}reason> {_string(_reason(have, selected, minimum))} .")
            for child in children:
                if not np.isnan(assessment.nodes[child.iri].score[i, c]):
                    out.append(f"{s} <{_PROV}wasDerivedFrom> {iri(child.iri, i, c)} .")
