"""Indicators and city code lists that a researcher declares in RDF, next to the bundled scheme.

A framework file (``--framework FILE.ttl``) or a scheme file (``--scheme FILE.ttl``) may
declare its own indicators as SKOS concepts, with the properties of the bundled scheme::

    si:SDG01-01 a skos:Concept ; skos:inScheme <scheme> ; skos:notation "SDG01-01" ;
        skos:prefLabel "20:20 ratio"@es ; csp:unit <unit> ; csp:valueKind csp:quantity ;
        csp:direction csp:higherIsBetter .

A concept with a ``csp:unit`` is an indicator (the ontology gives ``csp:unit`` the domain
``csp:Indicator``), and validation treats it exactly like a bundled one. A unit that is not
in the bundled scheme is declared the same way (``<unit> a csp:Unit ; skos:notation "..."``).

The same files may declare city code lists, for submissions whose cities have a statistics
office's code rather than a Wikidata QID: a ``skos:ConceptScheme`` with a ``void:uriSpace``,
whose concepts carry the codes as ``skos:notation``. A city's IRI is minted from the list:
the uriSpace followed by the code, percent-encoded.

This module belongs to the ingest stage: it reads and checks the declarations; the
vocabulary (look-ups) and the validation data graph take them from here.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import SKOS
from rdflib.term import Node

from cityculture.ingest.errors import UnusableInput
from cityculture.ingest.rdf_input import parse_rdf
from cityculture.model import model_graph
from cityculture.namespaces import CSP
from cityculture.rdf_terms import to_oxigraph

VOID_URI_SPACE = URIRef("http://rdfs.org/ns/void#uriSpace")


@dataclass(frozen=True)
class DeclaredIndicator:
    """An indicator declared in a researcher's file."""

    iri: str
    notation: str
    label: str
    unit: str
    unit_notation: str
    value_kind: str
    direction: str
    path: Path
    measures: str = ""
    """Label of what it feeds: the parent of the framework node that stands for it."""
    scheme_label: str = ""
    """Label of the framework that uses it, else of its concept scheme."""


@dataclass(frozen=True)
class CodeList:
    """A city code list: codes (NFC text) -> label, and the uriSpace city IRIs are minted in."""

    iri: str
    uri_space: str
    codes: dict[str, str]
    path: Path

    def city_iri(self, code: str) -> str:
        """Return the IRI the list mints for one of its codes."""
        return self.uri_space + quote(code, safe="")


@dataclass
class Scheme:
    """What the given files declare, checked: indicators, units, code lists, and their triples."""

    paths: tuple[Path, ...] = ()
    indicators: list[DeclaredIndicator] = field(default_factory=list)
    units: dict[str, str] = field(default_factory=dict)
    """Unit notation (upper case) -> IRI, for the units the files declare."""
    code_lists: list[CodeList] = field(default_factory=list)
    triples: list[ox.Triple] = field(default_factory=list)
    """The files' triples, plus the ``csp:Indicator`` type the ontology entails."""

    def city_codes(self) -> dict[str, str]:
        """Return code -> city IRI over all code lists."""
        return {code: codes.city_iri(code) for codes in self.code_lists for code in codes.codes}


def _one(graph: Graph, subject: Node, prop: URIRef, path: Path, what: str) -> Node:
    values = list(graph.objects(subject, prop))
    name = graph.namespace_manager.normalizeUri(prop)
    if not values:
        raise UnusableInput(path, f"{what} <{subject}> has no {name}")
    if len(values) > 1:
        shown = ", ".join(sorted(str(v) for v in values))
        raise UnusableInput(path, f"{what} <{subject}> has {len(values)} {name} ({shown}); "
                             "give exactly one")
    return values[0]


def _label(graph: Graph, subject: Node) -> str | None:
    labels = [*graph.objects(subject, SKOS.prefLabel), *graph.objects(subject, RDFS.label)]
    english = [label for label in labels if isinstance(label, Literal) and label.language == "en"]
    chosen = sorted(english or labels, key=str)
    return str(chosen[0]) if chosen else None


@cache
def _model_terms() -> tuple[frozenset[str], frozenset[str], dict[str, str], URIRef]:
    """Value kinds, directions, units (IRI -> notation) and the class csp:unit implies."""
    model = model_graph()
    kinds = frozenset(str(k) for k in model.subjects(RDF.type, CSP.ValueKind))
    directions = frozenset(str(d) for d in model.subjects(RDF.type, CSP.Direction))
    units = {str(u): str(n) for u in model.subjects(RDF.type, CSP.Unit)
             for n in model.objects(u, SKOS.notation)}
    domain = model.value(CSP.unit, RDFS.domain)
    return kinds, directions, units, URIRef(str(domain))


def _local(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _read_indicators(graph: Graph, path: Path, scheme: Scheme) -> None:
    kinds, directions, model_units, indicator_class = _model_terms()
    file_units = {str(u): str(n) for u in graph.subjects(RDF.type, CSP.Unit)
                  for n in graph.objects(u, SKOS.notation)}
    for unit, notation in file_units.items():
        scheme.units[notation.upper()] = unit
    declared = {s for s in graph.subjects(CSP.unit, None)} | {
        s for s in graph.subjects(RDF.type, indicator_class)}
    for subject in sorted(declared, key=str):
        if not isinstance(subject, URIRef):
            raise UnusableInput(path, "an indicator is a blank node; give it an IRI")
        notation = str(_one(graph, subject, SKOS.notation, path, "indicator"))
        what = f"indicator {notation}"
        who = f"{what} <{subject}>"
        label = _label(graph, subject)
        if label is None:
            raise UnusableInput(path, f"{who} has no skos:prefLabel")
        unit = str(_one(graph, subject, CSP.unit, path, what))
        unit_notation = file_units.get(unit) or model_units.get(unit)
        if unit_notation is None:
            raise UnusableInput(
                path, f"{who}: its csp:unit <{unit}> is neither in the indicator scheme nor "
                f"declared in the file (declare it: <{unit}> a csp:Unit ; skos:notation \"...\")")
        kind = str(_one(graph, subject, CSP.valueKind, path, what))
        if kind not in kinds:
            known = ", ".join(sorted(f"csp:{_local(k)}" for k in kinds))
            raise UnusableInput(path, f"{who}: csp:valueKind <{kind}> is not a value kind "
                                 f"(known: {known})")
        direction = str(_one(graph, subject, CSP.direction, path, what))
        if direction not in directions:
            known = ", ".join(sorted(f"csp:{_local(d)}" for d in directions))
            raise UnusableInput(path, f"{who}: csp:direction <{direction}> is not a "
                                 f"direction (known: {known})")
        nodes = list(graph.subjects(CSP.standsFor, subject))
        parents = sorted({_label(graph, p) or str(p) for n in nodes
                          for p in graph.objects(n, CSP.parentNode)})
        owners = [*(f for n in nodes for f in graph.objects(n, CSP.inFramework)),
                  *graph.objects(subject, SKOS.inScheme)]
        scheme.indicators.append(DeclaredIndicator(
            iri=str(subject), notation=notation, label=label, unit=unit,
            unit_notation=unit_notation, value_kind=kind, direction=direction, path=path,
            measures=", ".join(parents),
            scheme_label=(_label(graph, owners[0]) or str(owners[0])) if owners else ""))
        scheme.triples.append(ox.Triple(ox.NamedNode(str(subject)), ox.NamedNode(str(RDF.type)),
                                        ox.NamedNode(str(indicator_class))))


def _read_code_lists(graph: Graph, path: Path, scheme: Scheme) -> None:
    for code_list, space in sorted(graph.subject_objects(VOID_URI_SPACE), key=str):
        if (code_list, RDF.type, SKOS.ConceptScheme) not in graph:
            continue
        uri_space = str(space)
        try:
            ox.NamedNode(uri_space)
            valid = uri_space.startswith(("https://", "http://"))
        except ValueError:
            valid = False
        if not valid:
            raise UnusableInput(path, f"code list <{code_list}>: void:uriSpace "
                                 f"{uri_space!r} is not an http(s) IRI")
        codes: dict[str, str] = {}
        for concept in graph.subjects(SKOS.inScheme, code_list):
            code = unicodedata.normalize(
                "NFC", str(_one(graph, concept, SKOS.notation, path, "city code"))).strip()
            if code in codes:
                raise UnusableInput(path, f"code list <{code_list}>: the code {code!r} "
                                     "is given twice")
            codes[code] = _label(graph, concept) or code
        if not codes:
            raise UnusableInput(path, f"code list <{code_list}> has no codes (concepts with "
                                 "skos:inScheme and skos:notation)")
        scheme.code_lists.append(CodeList(iri=str(code_list), uri_space=uri_space, codes=codes,
                                          path=path))


@cache
def _bundled_declarations() -> dict[str, DeclaredIndicator]:
    """Return the bundled indicators (scheme and frameworks) as declarations, by IRI."""
    from cityculture.model import framework_files, indicators_path

    bundled = Scheme()
    for path in [indicators_path(), *framework_files()]:
        graph = Graph().parse(path, format="turtle")
        graph.namespace_manager.bind("csp", CSP)
        _read_indicators(graph, path, bundled)
    return {i.iri: i for i in bundled.indicators}


def _check_bundled_unchanged(scheme: Scheme) -> None:
    """Refuse a file that declares a bundled indicator anew with another unit, kind or way."""
    bundled = _bundled_declarations()
    for indicator in scheme.indicators:
        known = bundled.get(indicator.iri)
        if known is None:
            continue
        for prop, mine, theirs in (("csp:unit", indicator.unit, known.unit),
                                   ("csp:valueKind", indicator.value_kind, known.value_kind),
                                   ("csp:direction", indicator.direction, known.direction)):
            if mine != theirs:
                raise UnusableInput(
                    indicator.path, f"indicator {indicator.notation} <{indicator.iri}> is a "
                    f"bundled indicator with {prop} <{theirs}>; a file may not change it to "
                    f"<{mine}> (declare an indicator of your own instead)")


def _check_notations(scheme: Scheme, bundled: dict[str, str]) -> None:
    """Refuse a notation that two different indicators (or two code lists' cities) share."""
    seen = dict(bundled)
    for indicator in scheme.indicators:
        key = indicator.notation.strip().upper()
        other = seen.setdefault(key, indicator.iri)
        if other != indicator.iri:
            raise UnusableInput(
                indicator.path, f"indicator {indicator.notation} <{indicator.iri}>: the "
                f"notation is already used by <{other}>; a notation names one indicator")
    cities: dict[str, str] = {}
    for codes in scheme.code_lists:
        for code in codes.codes:
            other = cities.setdefault(code, codes.iri)
            if other != codes.iri:
                raise UnusableInput(codes.path, f"the city code {code!r} is in two code "
                                     f"lists, <{other}> and <{codes.iri}>: which city is meant?")


def load_scheme(paths: Sequence[Path], bundled: dict[str, str] | None = None) -> Scheme:
    """Read and check the indicators and code lists that scheme or framework files declare.

    ``bundled`` maps the bundled scheme's notations (upper case) to IRIs, to refuse a
    declared indicator that takes a bundled notation for another IRI; given, a bundled
    indicator declared anew must also keep its unit, value kind and direction.

    :raises UnusableInput: a declaration is incomplete, unknown or ambiguous (one line
        naming the file, the concept and the property); also for a file that is not RDF.
    """
    scheme = Scheme(paths=tuple(paths))
    for path in paths:
        graph = parse_rdf(Path(path))
        graph.namespace_manager.bind("csp", CSP)
        _read_indicators(graph, Path(path), scheme)
        _read_code_lists(graph, Path(path), scheme)
        try:
            scheme.triples.extend(ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o))  # type: ignore[arg-type]
                                  for s, p, o in graph)
        except ValueError as exc:  # an IRI the parser let through (e.g. resolved from JSON-LD)
            raise UnusableInput(path, f"not a valid IRI ({exc})") from None
    _check_notations(scheme, bundled or {})
    if bundled is not None:
        _check_bundled_unchanged(scheme)
    # the same declaration in two files (a framework and its scheme) is one declaration
    scheme.indicators = list({i.iri: i for i in reversed(scheme.indicators)}.values())[::-1]
    scheme.code_lists = list({c.iri: c for c in reversed(scheme.code_lists)}.values())[::-1]
    return scheme
