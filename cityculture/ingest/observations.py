"""Tabular rows -> RDF Data Cube observations, each remembering its file, sheet, row and column.

One row becomes one ``csp:Observation`` with the dimensions city, indicator and year, the
measure value and the attribute unit. Cells that do not parse (a value of ``12,5``, a year of
``20x3``) are kept as plain strings so that validation reports them with their row and column
instead of the row silently disappearing. Extra columns are kept as literals of a property
minted per column. Cities are keyed by Wikidata QID or, where a row has none, by a
``city_code`` from a code list declared in RDF (see ``ingest.scheme``), which mints the IRI.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date
from decimal import Decimal
from functools import lru_cache
from urllib.parse import quote

import pyoxigraph as ox

from cityculture.ingest.serialised import SerialisedTriples
from cityculture.ingest.submission import Submission, file_digest, submission_iri
from cityculture.ingest.tabular import ALTERNATIVE_COLUMNS, REQUIRED_COLUMNS, Table
from cityculture.ingest.vocabulary import Vocabulary, vocabulary
from cityculture.namespaces import AGENT_BASE, CITY_BASE, CSP, NATION_BASE, QB, WD
from cityculture.rdf_terms import may_be_rewritten

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
OWL_SAMEAS = ox.NamedNode("http://www.w3.org/2002/07/owl#sameAs")
XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_DECIMAL = ox.NamedNode(XSD + "decimal")
XSD_DOUBLE = ox.NamedNode(XSD + "double")
XSD_INTEGER = ox.NamedNode(XSD + "integer")
XSD_DATE = ox.NamedNode(XSD + "date")
DCT_SOURCE = ox.NamedNode("http://purl.org/dc/terms/source")
DCT_IDENTIFIER = ox.NamedNode("http://purl.org/dc/terms/identifier")
DCT_ISSUED = ox.NamedNode("http://purl.org/dc/terms/issued")
DCT_TITLE = ox.NamedNode("http://purl.org/dc/terms/title")
PROV = "http://www.w3.org/ns/prov#"
PROV_DERIVED = ox.NamedNode(PROV + "wasDerivedFrom")
PROV_ATTRIBUTED = ox.NamedNode(PROV + "wasAttributedTo")
PROV_AGENT = ox.NamedNode(PROV + "Agent")


def _n(namespace: object, local: str) -> ox.NamedNode:
    return ox.NamedNode(f"{namespace}{local}")


P_CITY = _n(CSP, "city")
P_INDICATOR = _n(CSP, "indicator")
P_YEAR = _n(CSP, "refYear")
P_VALUE = _n(CSP, "value")
P_UNIT = _n(CSP, "unitMeasure")
P_ROW = _n(CSP, "sourceRow")
P_SHEET = _n(CSP, "sourceSheet")
P_QID = _n(CSP, "qid")
P_COUNTRY = _n(CSP, "countryCode")
P_DATASET = _n(QB, "dataSet")
C_OBSERVATION = _n(CSP, "Observation")
C_QB_OBSERVATION = _n(QB, "Observation")

# column -> the property its cell becomes on the observation (or on the city)
COLUMN_PROPERTIES: dict[str, ox.NamedNode] = {
    "city_qid": P_CITY,
    "city_name": RDFS_LABEL,
    "country": _n(CSP, "countryCode"),
    "indicator": P_INDICATOR,
    "year": P_YEAR,
    "value": P_VALUE,
    "unit": P_UNIT,
    "source": DCT_SOURCE,
}

KNOWN_COLUMNS = (*REQUIRED_COLUMNS, *(alt for alts in ALTERNATIVE_COLUMNS.values()
                                       for alt in alts))
"""Columns that become properties of their own; any other column is an extra column."""

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_YEAR = re.compile(r"^[+-]?\d{1,6}$")
DECIMAL_FRACTION_DIGITS = 18
DECIMAL_INTEGER_DIGITS = 20
"""What every store here holds exactly as ``xsd:decimal`` (Oxigraph's decimal: 18 digits after
the point, about 1.7e20 in magnitude); a number beyond either becomes an ``xsd:double``."""
_PLAIN_DECIMAL = re.compile(
    rf"^[+-]?\d{{1,{DECIMAL_INTEGER_DIGITS}}}(\.\d{{0,{DECIMAL_FRACTION_DIGITS}}})?$")


def parse_number(text: str) -> ox.Literal:
    """Return a numeric literal for a number in plain or scientific notation, else a string.

    A number an ``xsd:decimal`` can hold exactly stays one (as written, when written plain);
    one with more digits than that (``0.0012820348457084456``, ``6.394884621840903e-16``)
    becomes the nearest ``xsd:double``. Text that is no finite double (``1e309``, ``NaN``,
    ``inf``, ``1,234``, ``1e-400``) stays a string, for validation to report.

    >>> parse_number("12.50").value, parse_number("12,5").datatype.value.endswith("string")
    ('12.50', True)
    >>> parse_number("6.394884621840903e-16").datatype.value.endswith("double")
    True
    """
    if _PLAIN_DECIMAL.match(text):  # most cells: a decimal holds it as written
        return ox.Literal(text.lstrip("+"), datatype=XSD_DECIMAL)
    if not _NUMBER.match(text):
        return ox.Literal(text)
    number = Decimal(text)  # the pattern admits only what Decimal reads, never NaN or inf
    # far beyond either type (1e999999999999): straight to the double test, which refuses it
    candidates = (number, number.normalize()) if abs(number.adjusted()) < 400 else ()
    if not number:
        candidates = (number, Decimal(0))
    for candidate in candidates:
        exponent = candidate.as_tuple().exponent
        assert isinstance(exponent, int)
        if exponent >= -DECIMAL_FRACTION_DIGITS and (
                not candidate or candidate.adjusted() < DECIMAL_INTEGER_DIGITS):
            plain = candidate is number and "e" not in text.lower()
            return ox.Literal(text.lstrip("+") if plain else format(candidate, "f"),
                              datatype=XSD_DECIMAL)
    double = float(number)
    if not math.isfinite(double) or double == 0.0:
        return ox.Literal(text)  # beyond a double, or below its smallest magnitude
    return ox.Literal(repr(double), datatype=XSD_DOUBLE)


@lru_cache(maxsize=4096)
def parse_year(text: str) -> ox.Literal:
    """Return an ``xsd:integer`` literal for a whole number, else the text as a string."""
    if _YEAR.match(text):
        return ox.Literal(str(int(text)), datatype=XSD_INTEGER)
    return ox.Literal(text)


def slug(text: str) -> str:
    """Return a safe IRI segment for a name (NFC-normalised, percent-encoded)."""
    return quote(unicodedata.normalize("NFC", text.strip()), safe="")


def city_columns(columns: list[str]) -> dict[str, ox.NamedNode]:
    """Return the column -> property map of a table: ``city_code`` names the city if no QID does."""
    if "city_qid" in columns:
        return COLUMN_PROPERTIES
    return COLUMN_PROPERTIES | {"city_code": P_CITY}


def city_iri(qid: str) -> ox.NamedNode:
    """Return the IRI of a city keyed by its Wikidata QID (or by the raw text if malformed)."""
    return ox.NamedNode(CITY_BASE + slug(qid.upper() if qid.strip()[:1] in "qQ" else qid))


def submission_from_tables(
    tables: list[Table],
    *,
    body: str = "unspecified submitting body",
    submitted: date | None = None,
    vocab: Vocabulary | None = None,
    preload: bool = False,
) -> Submission:
    """Turn the tables read from one file into a :class:`Submission` of observations.

    The tables' rows are taken (each table is left without rows), one row at a time.

    ``preload``: fill an in-memory store with the triples while they are made, for the
    validation that follows (:meth:`SerialisedTriples.preload`).
    """
    path = tables[0].path
    digest = file_digest(path)
    iri = submission_iri(digest)
    vocab = vocab or vocabulary()
    submitted = submitted or date.today()
    sub = ox.NamedNode(iri)
    triples = SerialisedTriples()  # a national file: millions of triples, kept compact
    if preload:
        triples.preload()
    add = triples.append

    agent = ox.NamedNode(AGENT_BASE + slug(body))
    add(ox.Triple(sub, RDF_TYPE, _n(CSP, "Submission")))
    add(ox.Triple(sub, RDF_TYPE, _n(QB, "DataSet")))
    add(ox.Triple(sub, _n(QB, "structure"), _n(CSP, "cityIndicatorStructure")))
    add(ox.Triple(sub, DCT_TITLE, ox.Literal(path.name)))
    add(ox.Triple(sub, _n(CSP, "sourceFile"), ox.Literal(path.name)))
    add(ox.Triple(sub, _n(CSP, "sha256"), ox.Literal(digest)))
    add(ox.Triple(sub, DCT_ISSUED, ox.Literal(submitted.isoformat(), datatype=XSD_DATE)))
    add(ox.Triple(sub, PROV_ATTRIBUTED, agent))
    add(ox.Triple(agent, RDF_TYPE, PROV_AGENT))
    add(ox.Triple(agent, RDFS_LABEL, ox.Literal(body)))

    cities: dict[str, _CityEntry] = {}
    cells: dict[tuple[str, str, str], tuple[str | None, int]] = {}
    # terms repeat across rows: build each once
    indicator_nodes: dict[str, ox.NamedNode] = {}
    unit_nodes: dict[str, ox.NamedNode] = {}
    source_texts: dict[str, str] = {}
    add_lines = triples.add_lines
    last_said: tuple[object, ...] = ()
    for table in tables:
        extra = [c for c in table.columns if c not in KNOWN_COLUMNS]
        extra_props = {c: ox.NamedNode(f"{iri}/column/{slug(c)}") for c in extra}
        _describe_columns(triples, sub, table, extra_props)
        sheet_part = f"{slug(table.sheet)}/" if table.sheet else ""
        sheet_literal = ox.Literal(table.sheet) if table.sheet else None
        # each row is written as N-Triples lines from the terms' own N-Triples forms
        head = (f" {RDF_TYPE} {C_OBSERVATION} .\n{{o}} {RDF_TYPE} {C_QB_OBSERVATION} .\n"
                f"{{o}} {P_DATASET} {sub} .\n{{o}} {P_ROW} ")
        sheet_line = f" {P_SHEET} {sheet_literal} .\n" if sheet_literal is not None else ""
        obs_base = f"{iri}/obs/{sheet_part}"
        rows, table.rows = table.rows, []
        rows.reverse()
        while rows:  # each row freed once written: the rows and the store never peak together
            row = rows.pop()
            v = row.values
            obs_iri = f"{obs_base}{row.row:07d}"
            o = f"<{obs_iri}>"
            lines = [o, head.replace("{o}", o), f'"{row.row}"^^{XSD_INTEGER} .\n']
            count = 4
            if sheet_line:
                lines += (o, sheet_line)
                count += 1
            entry = _row_city(v, cities, vocab)
            if entry is not None:
                lines.append(f"{o} {P_CITY} {entry[0]} .\n")
                count += 1
                facts = entry[1]
                said = (entry[0], v.get("city_name"), v.get("country"), v.get("city_qid"))
                if facts is not None and said != last_said:  # a city's rows repeat its facts
                    last_said = said
                    name = unicodedata.normalize("NFC", v.get("city_name") or "")
                    if name:
                        facts["name"].add(name)
                    if v.get("country"):
                        facts["country"].add(v["country"])
                    qid = (v.get("city_qid") or "").strip()
                    for prop, cell in ((P_QID, qid), (RDFS_LABEL, name),
                                       (P_COUNTRY, v.get("country") or "")):
                        if prop != P_QID or qid:
                            cells.setdefault((entry[0].value, prop.value, cell),
                                             (table.sheet, row.row))
            notation = v.get("indicator")
            if notation:
                node = indicator_nodes.get(notation)
                if node is None:
                    node = indicator_nodes[notation] = ox.NamedNode(vocab.indicator_iri(notation))
                lines.append(f"{o} {P_INDICATOR} {node} .\n")
                count += 1
            if v.get("year"):
                lines.append(f"{o} {P_YEAR} {parse_year(v['year'])} .\n")
                count += 1
            if v.get("value"):
                value = parse_number(v["value"])
                lines.append(f"{o} {P_VALUE} {value} .\n")
                count += 1
                if may_be_rewritten(value):
                    triples.note_rewritable(ox.Triple(ox.NamedNode(obs_iri), P_VALUE, value))
            unit = v.get("unit")
            if unit:
                node = unit_nodes.get(unit)
                if node is None:
                    node = unit_nodes[unit] = ox.NamedNode(vocab.unit_iri(unit))
                lines.append(f"{o} {P_UNIT} {node} .\n")
                count += 1
            source = v.get("source")
            if source:
                text = source_texts.get(source)
                if text is None:
                    text = source_texts[source] = f" {DCT_SOURCE} {ox.Literal(source)} .\n"
                lines += (o, text)
                count += 1
            for column, prop in extra_props.items():
                if v.get(column):
                    lines.append(f"{o} {prop} {ox.Literal(v[column])} .\n")
                    count += 1
            add_lines("".join(lines), count)

    merged: dict[str, tuple[ox.NamedNode, dict[str, set[str]]]] = {}
    unknown: dict[str, ox.NamedNode] = {}
    for key, (city, facts) in cities.items():  # spellings of one QID ("q90", "Q90") meet here
        if facts is None:
            unknown[key[1:]] = city
            continue
        entry = merged.setdefault(city.value, (city, _no_facts()))
        for fact, values in facts.items():
            entry[1][fact].update(values)
    for city, facts in merged.values():
        _describe_city(triples, city, facts)
    for code, city in unknown.items():
        add(ox.Triple(city, DCT_IDENTIFIER, ox.Literal(code)))
    return Submission(iri=iri, path=path, kind="tabular", triples=triples,
                      other_subjects={agent.value, *merged, *(c.value for c in unknown.values())},
                      cells=cells)


def _no_facts() -> dict[str, set[str]]:
    return {"qid": set(), "code": set(), "name": set(), "country": set()}


_CityEntry = tuple[ox.NamedNode, dict[str, set[str]] | None]


def _row_city(values: dict[str, str], cities: dict[str, _CityEntry],
              vocab: Vocabulary) -> _CityEntry | None:
    """Return the row's city (IRI and facts to describe it; no facts for an unknown code).

    The QID names the city where the row has one (a code beside it is kept as its
    ``dcterms:identifier``), else the ``city_code``.
    """
    qid = values.get("city_qid", "")
    code = unicodedata.normalize("NFC", values.get("city_code", ""))
    if not qid and not code:
        return None
    key = qid if qid else "\0" + code  # "\0": never a QID
    entry = cities.get(key)
    if entry is None:
        if qid:
            entry = (city_iri(qid), _no_facts())
        else:
            iri, known = vocab.city_by_code(code)
            entry = (ox.NamedNode(iri), _no_facts() if known else None)
        cities[key] = entry
    facts = entry[1]
    if facts is not None:
        if qid:
            facts["qid"].add(qid.strip())
        if code:
            facts["code"].add(code)
    return entry


def _describe_columns(
    triples: SerialisedTriples, sub: ox.NamedNode, table: Table,
    extra_props: dict[str, ox.NamedNode],
) -> None:
    """Record which column each property came from, so findings can name the column."""
    properties = city_columns(table.columns) | extra_props
    for column, original in zip(table.columns, table.original_columns, strict=True):
        prop = properties.get(column)
        if prop is None:
            continue
        mapping = ox.NamedNode(f"{sub.value}/mapping/{slug(table.sheet or '')}/{slug(column)}")
        triples.append(ox.Triple(sub, _n(CSP, "columnMapping"), mapping))
        triples.append(ox.Triple(mapping, RDF_TYPE, _n(CSP, "ColumnMapping")))
        triples.append(ox.Triple(mapping, _n(CSP, "mapsProperty"), prop))
        triples.append(ox.Triple(mapping, _n(CSP, "columnName"), ox.Literal(original.strip())))
        triples.append(ox.Triple(mapping, _n(CSP, "columnLetter"),
                                 ox.Literal(table.column_letter(column))))
        if table.sheet:
            triples.append(ox.Triple(mapping, P_SHEET, ox.Literal(table.sheet)))


def _describe_city(
    triples: SerialisedTriples, city: ox.NamedNode, facts: dict[str, set[str]]
) -> None:
    triples.append(ox.Triple(city, RDF_TYPE, _n(CSP, "City")))
    for qid in sorted(facts["qid"]):
        triples.append(ox.Triple(city, _n(CSP, "qid"), ox.Literal(qid)))
        if re.fullmatch(r"Q[1-9][0-9]*", qid):
            triples.append(ox.Triple(city, OWL_SAMEAS, ox.NamedNode(f"{WD}{qid}")))
    for code in sorted(facts["code"]):
        triples.append(ox.Triple(city, DCT_IDENTIFIER, ox.Literal(code)))
    for name in sorted(facts["name"]):
        triples.append(ox.Triple(city, RDFS_LABEL, ox.Literal(name)))
    for country in sorted(facts["country"]):
        triples.append(ox.Triple(city, _n(CSP, "countryCode"), ox.Literal(country)))
        if re.fullmatch(r"[A-Z]{2}", country):
            triples.append(ox.Triple(city, _n(CSP, "locatedInNation"),
                                     ox.NamedNode(NATION_BASE + country)))
