"""Look-ups from what a submission writes (notations, unit names) to the scheme's IRIs.

The tables are read from the indicator scheme, so a new indicator or unit alias is a triple,
not code; a researcher's scheme or framework file adds its own indicators, units and city
code lists (:meth:`Vocabulary.with_scheme`). Unknown names are minted into the project's
namespaces so that validation can report them with their value instead of losing the row.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import quote

from rdflib import RDF, URIRef
from rdflib.namespace import SKOS

from cityculture.ingest.scheme import Scheme
from cityculture.model import framework_files, load_indicators
from cityculture.namespaces import CSP, IND, PREFIXES, UNIT, UNKNOWN_CITY_CODE_BASE

"""Where a city code found in no code list is minted, so that validation can name it."""


@dataclass(frozen=True)
class Vocabulary:
    """Notation -> indicator IRI and unit name -> unit IRI (keys upper-cased); city codes."""

    indicators: dict[str, str]
    units: dict[str, str]
    city_codes: dict[str, str] = field(default_factory=dict)
    """City code (NFC, as written) -> city IRI minted from its code list."""

    def with_scheme(self, scheme: Scheme) -> Vocabulary:
        """Return a vocabulary that also knows what a researcher's files declare."""
        indicators = self.indicators | {i.notation.strip().upper(): i.iri
                                        for i in scheme.indicators}
        units = self.units | scheme.units | {u.upper(): u for u in scheme.units.values()}
        return Vocabulary(indicators=indicators, units=units,
                          city_codes=self.city_codes | scheme.city_codes())

    def city_by_code(self, code: str) -> tuple[str, bool]:
        """Return the IRI of the city with this code and whether a code list knows it.

        An unknown code is minted under :data:`UNKNOWN_CITY_CODE_BASE` (not a city: the
        validation names it as unknown).
        """
        text = unicodedata.normalize("NFC", code.strip())
        known = self.city_codes.get(text)
        if known is not None:
            return known, True
        return UNKNOWN_CITY_CODE_BASE + quote(text, safe=""), False

    def indicator_iri(self, notation: str) -> str:
        """Return the IRI of an indicator by notation, or a minted IRI for an unknown one."""
        key = notation.strip().upper()
        return self.indicators.get(key) or str(IND) + quote(notation.strip(), safe="")

    def unit_iri(self, name: str) -> str:
        """Return the IRI of a unit by notation, alias, prefixed name or IRI; mint if unknown."""
        text = name.strip()
        found = self.units.get(text.upper())
        if found:
            return found
        if ":" in text:
            prefix, _, local = text.partition(":")
            if prefix in PREFIXES and not local.startswith("//"):
                return str(PREFIXES[prefix]) + local
            if text.startswith(("http://", "https://")):
                return text
        return str(UNIT) + quote(text, safe="")


@cache
def vocabulary() -> Vocabulary:
    """Build the look-up tables from the bundled indicator scheme (once per process).

    Indicators and units are declared in the scheme (and frameworks may add indicators);
    the ontology, five times larger, declares none and is not read.
    """
    model = load_indicators()
    for path in framework_files():
        model.parse(path, format="turtle")
    indicators = {
        str(model.value(ind, SKOS.notation)).upper(): str(ind)
        for ind in model.subjects(RDF.type, CSP.Indicator)
        if isinstance(ind, URIRef)
    }
    units: dict[str, str] = {}
    for unit in model.subjects(RDF.type, CSP.Unit):
        for prop in (SKOS.notation, SKOS.altLabel):
            for name in model.objects(unit, prop):
                units[str(name).upper()] = str(unit)
        units[str(unit).upper()] = str(unit)
    return Vocabulary(indicators=indicators, units=units)
