"""Rebuild the Spanish Cities SDG Index 2018 example from the published workbook.

Source: REDS (Red Española para el Desarrollo Sostenible), *Los ODS en 100 ciudades
españolas* (2018), workbook as published in the public repository
jramonlab/sdg-es-cities-regions-2018 (``data/ods-es-cities-by-regions-2018.xlsx``, commit
6ee757ce), whose author added a ``region_id`` column and a ``Regions`` sheet. Repository
licence CC BY-NC-SA 4.0; REDS states none.

Writes, next to this script:

- ``submission.csv``: the RAW value of each of the 85 indicators for each of the 100 cities
  (one row per value the workbook holds, empty cells left out), in the long format of
  ``cityculture template``. Cities are identified by ``city_code``, the workbook's own city
  ``id``, from the code list in the framework files; the workbook gives no Wikidata QIDs.
- ``framework.ttl``: the REDS method as a csp:AssessmentFramework that also declares its
  85 indicators (SKOS concepts), their unit and the city code list. Indicator score =
  goalposts between a lower and an upper bound, inverted where lower is better, clamped to
  0-100; goal score (``SDG01`` .. ``SDG17``) = mean of the available indicator scores;
  index ``SDGI`` = mean of the available goal scores, where goal 14 (coastal cities only) is
  filled with the mean of the cities that have it.
- ``framework-wo14.ttl``: the same index over the 16 other goals (the workbook's
  ``avg (wo SDG14)``).

The workbook does not list the goalposts. They are DERIVED here, for each indicator, from
its raw values (``sdgNN_key`` columns) and its published scores (``n_sdgNN_key`` columns):
on the cities whose score is strictly between 0 and 100 the score is a straight line of the
raw value; the two such cities farthest apart fix the line; its sign is the direction (a
falling line: lower is better) and the raw values where it crosses 0 and 100 are the bounds,
written as the shortest decimal within 1e-9 of the fitted value. The value kind is derived
the same way: ``csp:quantity`` where no raw value is negative, else ``csp:amount``. The
workbook states no units: every indicator has the one unit ``REDS-VALUE`` declared here.

Before writing anything the script checks, in plain Python, that the derived bounds
reproduce every published indicator score, goal score, ``avg`` and ``avg (wo SDG14)``
within 1e-6, and names every indicator (or goal, or city) where they do not (exit 1).

Usage: python examples/sdg-es-2018/build.py PATH/TO/ods-es-cities-by-regions-2018.xlsx [OUTDIR]
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import openpyxl
from rdflib import Literal

HERE = Path(__file__).resolve().parent
TOLERANCE = 1e-6
YEAR = 2018
SOURCE = ("REDS, Los ODS en 100 ciudades españolas (2018), workbook "
          "ods-es-cities-by-regions-2018.xlsx (jramonlab/sdg-es-cities-regions-2018)")
GOALS = [f"SDG{number:02d}" for number in range(1, 18)]
IMPUTED_GOAL = "SDG14"
FRAMEWORK = "https://w3id.org/cityculture/framework/sdg-es-2018"
SCHEME = "https://w3id.org/cityculture/sdg-es-2018/indicators"
CODE_LIST = "https://w3id.org/cityculture/codes/reds-sdg-es-2018"
CITY_SPACE = "https://w3id.org/cityculture/city/reds-sdg-es-2018/"
UNIT = "https://w3id.org/cityculture/unit/REDS-VALUE"
UNIT_NOTATION = "REDS-VALUE"
INDEX_SHEET = "100 Cities Index"
LABEL_SHEET = "100 Cities dash by ind"


@dataclass
class Indicator:
    """One REDS indicator: workbook key, notation, label and the derived method."""

    key: str  # sdg01_rentabaja
    notation: str  # SDG01-03
    label: str
    lower: float
    upper: float
    lower_is_better: bool
    negative_values: bool

    @property
    def goal(self) -> str:
        """Return the goal notation, e.g. ``SDG01``."""
        return self.notation.split("-")[0]

    def score(self, value: float) -> float:
        """Return the goalposts score: 0-100 between the bounds, inverted, clamped."""
        score = 100 * (value - self.lower) / (self.upper - self.lower)
        if self.lower_is_better:
            score = 100 - score
        return min(100.0, max(0.0, score))


@dataclass
class City:
    """One city row of the index sheet."""

    code: str
    name: str
    region: str
    raw: dict[str, float]  # indicator key -> raw value (present values only)
    published: dict[str, float | None]  # n_ columns, goal columns, avg, avg (wo SDG14)


def read_workbook(path: Path) -> tuple[list[str], dict[str, str], list[City]]:
    """Return the indicator keys (workbook order), their Spanish labels, and the cities."""
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = list(workbook[INDEX_SHEET].iter_rows(values_only=True))
    header = [str(h) if h is not None else "" for h in rows[0]]
    column = {name: index for index, name in enumerate(header) if name}
    keys = [name[2:] for name in header if name.startswith("n_")]
    published_columns = [f"n_{key}" for key in keys] + [g.lower() for g in GOALS] + [
        "avg", "avg (wo SDG14)"]
    cities = []
    for row in rows[1:]:
        if not row[column["id"]]:
            continue
        raw = {key: float(row[column[key]]) for key in keys if row[column[key]] is not None}
        published = {name: (None if row[column[name]] is None else float(row[column[name]]))
                     for name in published_columns}
        cities.append(City(code=str(row[column["id"]]), name=str(row[column["City"]]),
                           region=str(row[column["region_id"]]).strip(), raw=raw,
                           published=published))
    label_header = next(workbook[LABEL_SHEET].iter_rows(values_only=True))
    labels = {}
    for index, name in enumerate(label_header):
        if isinstance(name, str) and name.startswith("n3_"):
            labels[name[3:]] = str(label_header[index - 1]).strip()
    workbook.close()
    return keys, labels, cities


def shortest(value: float) -> float:
    """Return the shortest decimal within 1e-9 (relative) of ``value``: 4.75, not 4.750000000001."""
    for digits in range(1, 18):
        candidate = float(f"{value:.{digits}g}")
        if abs(candidate - value) <= 1e-9 * max(1.0, abs(value)):
            return candidate
    return value


def derive_indicator(key: str, notation: str, label: str, cities: list[City]) -> Indicator:
    """Derive goalposts and direction from raw values and published scores (see module doc)."""
    pairs = [(c.raw[key], c.published[f"n_{key}"]) for c in cities if key in c.raw]
    inner = sorted((x, s) for x, s in pairs if s is not None and 0 < s < 100)
    if len(inner) < 2 or inner[0][0] == inner[-1][0]:
        raise SystemExit(f"{key}: fewer than two distinct unclamped scores; bounds undetermined")
    (x1, s1), (x2, s2) = inner[0], inner[-1]
    slope = (s2 - s1) / (x2 - x1)
    at_zero = x1 - s1 / slope
    at_hundred = x1 + (100 - s1) / slope
    return Indicator(key=key, notation=notation, label=label,
                     lower=shortest(min(at_zero, at_hundred)),
                     upper=shortest(max(at_zero, at_hundred)),
                     lower_is_better=slope < 0,
                     negative_values=any(x < 0 for x, _ in pairs))


def mean(values: list[float]) -> float | None:
    """Return the arithmetic mean, or None for no values."""
    return sum(values) / len(values) if values else None


def verify(indicators: list[Indicator], cities: list[City]) -> list[str]:
    """Recompute every published score from the derived bounds; return what differs."""
    problems = []
    for indicator in indicators:
        worst = max((abs(indicator.score(c.raw[indicator.key])
                         - (c.published[f"n_{indicator.key}"] or 0.0))
                     for c in cities if indicator.key in c.raw), default=0.0)
        if worst > TOLERANCE:
            problems.append(f"indicator {indicator.notation} ({indicator.key}): off by {worst:.3g}")
    goal_scores: dict[str, dict[str, float | None]] = {}
    for city in cities:
        goal_scores[city.code] = {goal: mean([i.score(city.raw[i.key]) for i in indicators
                                              if i.goal == goal and i.key in city.raw])
                                  for goal in GOALS}
    have = [s[IMPUTED_GOAL] for s in goal_scores.values() if s[IMPUTED_GOAL] is not None]
    imputed = mean(have)  # type: ignore[arg-type]
    for city in cities:
        scores = goal_scores[city.code]
        for goal in GOALS:
            mine = scores[goal] if goal != IMPUTED_GOAL or scores[goal] is not None else imputed
            theirs = city.published[goal.lower()]
            if (mine is None) != (theirs is None) or (
                    mine is not None and theirs is not None and abs(mine - theirs) > TOLERANCE):
                problems.append(f"{city.code}: goal {goal} is {mine}, published {theirs}")
        with_14 = [v for g, v in scores.items() if v is not None or g == IMPUTED_GOAL]
        index = mean([imputed if v is None else v for v in with_14])  # type: ignore[misc]
        without_14 = mean([v for g, v in scores.items() if g != IMPUTED_GOAL and v is not None])
        for name, mine in (("avg", index), ("avg (wo SDG14)", without_14)):
            theirs = city.published[name]
            if mine is None or theirs is None or abs(mine - theirs) > TOLERANCE:
                problems.append(f"{city.code}: {name} is {mine}, published {theirs}")
    return problems


def write_submission(indicators: list[Indicator], cities: list[City], out: Path) -> int:
    """Write the raw values in the long format; return the number of rows."""
    count = 0
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["city_code", "city_name", "country", "region", "indicator", "year",
                         "value", "unit", "source", "reds_indicator"])
        for city in cities:
            for indicator in indicators:
                if indicator.key not in city.raw:
                    continue
                value = city.raw[indicator.key]
                text = str(int(value)) if value.is_integer() else repr(value)
                writer.writerow([city.code, city.name, "ES", city.region, indicator.notation,
                                 YEAR, text, UNIT_NOTATION, SOURCE, indicator.key])
                count += 1
    return count


def lit(text: str, lang: str | None = None) -> str:
    """Return a Turtle literal, escaped by rdflib."""
    return Literal(text, lang=lang).n3()


HEAD = """# {title}
#
# Source: REDS (Red Española para el Desarrollo Sostenible), Los ODS en 100 ciudades
# españolas (2018), workbook ods-es-cities-by-regions-2018.xlsx as published in the public
# repository jramonlab/sdg-es-cities-regions-2018 (commit 6ee757ce; licence CC BY-NC-SA 4.0).
# Indicator score = goalposts (inverted where lower is better, clamped to 0-100); goal score =
# mean of the available indicator scores; {index_rule}
# The workbook does not list the goalposts: examples/sdg-es-2018/build.py derived each
# indicator's bounds and direction from its raw values and published scores, and checked
# that they reproduce every published score within 1e-6. The workbook states no units.
# Generated by examples/sdg-es-2018/build.py; do not edit.

@prefix csp:  <https://w3id.org/cityculture/ontology/> .
@prefix si:   <https://w3id.org/cityculture/sdg-es-2018/indicator/> .
@prefix sn:   <{nodes}> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix void: <http://rdfs.org/ns/void#> .
@prefix dcterms: <http://purl.org/dc/terms/> .

<{framework}>
    a csp:AssessmentFramework , prov:Plan ;
    rdfs:label {label} ;
    skos:definition {definition} ;
    csp:normalisation csp:goalposts ;
    csp:aggregation csp:weightedMean ;
    csp:imputation csp:noImputation ;
    csp:minimumCoverage 0 ;
    dcterms:source {source} .

<{unit}> a csp:Unit ;
    skos:notation "{unit_notation}" ;
    rdfs:label "value as published in the REDS workbook (unit not stated there)"@en ;
    skos:definition "The raw value of a REDS Spanish Cities SDG Index 2018 indicator in the unit of the workbook, which does not state it."@en .

<{scheme}> a skos:ConceptScheme ;
    rdfs:label "REDS Spanish Cities SDG Index 2018 indicators"@en ;
    skos:definition "The 85 indicators of the Spanish Cities SDG Index 2018, as raw values."@en .

<{code_list}> a skos:ConceptScheme ;
    rdfs:label "REDS Spanish Cities SDG Index 2018 city codes"@en ;
    skos:definition "The 100 cities of the index, each by the id the workbook gives it; a city's IRI is the uriSpace followed by its code."@en ;
    void:uriSpace "{city_space}" .
"""


def framework_turtle(indicators: list[Indicator], cities: list[City], *,
                     with_14: bool) -> str:
    """Return one framework file: method, indicators, code list, nodes."""
    iri = FRAMEWORK if with_14 else FRAMEWORK + "-wo14"
    goals = [g for g in GOALS if with_14 or g != IMPUTED_GOAL]
    if with_14:
        title = "The REDS Spanish Cities SDG Index 2018 as an assessment framework."
        index_rule = ("index SDGI = mean of the available\n# goal scores, goal SDG14 "
                      "(coastal cities only) filled with the mean of the cities that have it.")
        label = lit("Spanish Cities SDG Index 2018 (REDS)", "en")
    else:
        title = "The REDS Spanish Cities SDG Index 2018 without goal 14 (avg wo SDG14)."
        index_rule = "index SDGI = mean of the available\n# scores of the 16 goals other than SDG14."
        label = lit("Spanish Cities SDG Index 2018 (REDS), without SDG 14", "en")
    definition = lit("The REDS method: indicator score = goalposts between derived bounds, "
                     "inverted where lower is better, clamped to 0-100; goal score = mean of "
                     "the available indicator scores; SDGI = mean of the available goal "
                     + ("scores, SDG14 filled with the mean of the cities that have it."
                        if with_14 else "scores of the 16 goals other than SDG14."), "en")
    out = [HEAD.format(title=title, index_rule=index_rule, nodes=iri + "/", framework=iri,
                       city_space=CITY_SPACE, label=label, definition=definition,
                       source=lit(SOURCE), unit=UNIT, unit_notation=UNIT_NOTATION,
                       scheme=SCHEME, code_list=CODE_LIST)]
    for city in cities:
        out.append(f"<{CITY_SPACE}{quote(city.code, safe='')}> a skos:Concept ; skos:inScheme <{CODE_LIST}> ; "
                   f"skos:notation {lit(city.code)} ;\n    skos:prefLabel {lit(city.name, 'es')} ; "
                   f"csp:countryCode \"ES\" .")
    out.append("")
    link = f"csp:inFramework <{iri}>"
    out.append(f"sn:SDGI a csp:FrameworkNode ; {link} ;\n    csp:level 2 ; "
               "csp:aggregation csp:weightedMean ; rdfs:label \"SDG Index\"@en ; "
               "skos:notation \"SDGI\" .\n")
    for goal in goals:
        imputation = " csp:imputation csp:meanImputation ;" if goal == IMPUTED_GOAL else ""
        out.append(f"sn:{goal} a csp:FrameworkNode ; {link} ;\n    csp:level 1 ; "
                   f"csp:parentNode sn:SDGI ; csp:weight 1 ;{imputation}\n    "
                   f"csp:aggregation csp:weightedMean ; rdfs:label \"SDG {goal[3:]}\"@en ; "
                   f"skos:notation \"{goal}\" .\n")
    for ind in indicators:
        direction = "csp:lowerIsBetter" if ind.lower_is_better else "csp:higherIsBetter"
        kind = "csp:amount" if ind.negative_values else "csp:quantity"
        out.append(
            f"si:{ind.notation} a skos:Concept ; skos:inScheme <{SCHEME}> ;\n"
            f"    skos:notation \"{ind.notation}\" ; skos:prefLabel {lit(ind.label, 'es')} ;\n"
            f"    dcterms:identifier \"{ind.key}\" ;\n"
            f"    csp:unit <{UNIT}> ; csp:valueKind {kind} ; csp:direction {direction} .")
        if ind.goal in goals:
            out.append(
                f"sn:I-{ind.notation} a csp:FrameworkNode ; {link} ;\n"
                f"    csp:standsFor si:{ind.notation} ; csp:level 0 ; "
                f"csp:parentNode sn:{ind.goal} ; csp:weight 1 ;\n"
                f"    csp:lowerBound {ind.lower!r} ; csp:upperBound {ind.upper!r} ; "
                f"skos:notation \"{ind.notation}\" .")
        out.append("")
    return "\n".join(out)


def main(workbook: Path, out: Path = HERE) -> None:
    """Derive the method, verify it against the published scores, write the example files."""
    keys, labels, cities = read_workbook(workbook)
    numbers: dict[str, int] = {}
    indicators = []
    for key in keys:
        goal = key.split("_", 1)[0].upper()
        numbers[goal] = numbers.get(goal, 0) + 1
        indicators.append(derive_indicator(key, f"{goal}-{numbers[goal]:02d}",
                                           labels.get(key, key), cities))
    problems = verify(indicators, cities)
    if problems:
        for problem in problems:
            print(f"not reproduced: {problem}", file=sys.stderr)
        raise SystemExit(1)
    print(f"derived bounds of {len(indicators)} indicators reproduce every published "
          f"indicator score, goal score, avg and avg (wo SDG14) of {len(cities)} cities "
          f"within {TOLERANCE}")
    rows = write_submission(indicators, cities, out / "submission.csv")
    print(f"wrote {out / 'submission.csv'} ({rows} rows)")
    for name, with_14 in (("framework.ttl", True), ("framework-wo14.ttl", False)):
        (out / name).write_text(framework_turtle(indicators, cities, with_14=with_14),
                                encoding="utf-8")
        print(f"wrote {out / name}")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__.rsplit("Usage: ", 1)[-1].strip())
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) == 3 else HERE)
