"""Classify cities from their results with HermiT, and write the inferred types back.

The soft/hard balance of each city (CQ5) becomes a ``csp:BalanceAssessment`` in the run
graph; HermiT then places the cities into the ontology's defined classes
(``csp:SoftPowerLedCity``, ``csp:HardPowerLedCity``, ``csp:CityInDislocation``,
``csp:CityInHarmony``) and the inferred types are written into the run graph: the reasoner,
not Python, decides what a dislocated city is.
"""

from __future__ import annotations

import hashlib

from rdflib import RDF, Graph, Literal, URIRef

from cityculture.assess.run import AssessmentStore
from cityculture.namespaces import CSP
from cityculture.queries import bind_parameters, load_query, sparql_term
from cityculture.reasoning import inferred_types

DEFINED = [CSP.SoftPowerLedCity, CSP.HardPowerLedCity, CSP.CityInDislocation, CSP.CityInHarmony]
QUADRANTS = {"strong-strong": CSP.strongStrong, "soft-led": CSP.softLed,
             "hard-led": CSP.hardLed, "weak-weak": CSP.weakWeak}


def classify_cities(store: AssessmentStore, run: str, year: int) -> dict[str, set[str]]:
    """Classify the cities of one run and year; write balances and inferred types; return them."""
    rows = store.select(bind_parameters(load_query("cq05-soft-hard-balance").text,
                                        {"run": URIRef(run), "year": Literal(year)}))
    abox = Graph()
    for row in rows:
        city = URIRef(str(row["city"]))
        balance = URIRef(f"{run}/balance/"
                         + hashlib.md5(f"{city} {year}".encode()).hexdigest())
        abox.add((city, RDF.type, CSP.City))
        abox.add((city, CSP.hasBalance, balance))
        abox.add((balance, RDF.type, CSP.BalanceAssessment))
        abox.add((balance, CSP.quadrant, QUADRANTS[str(row["quadrant"])]))
        abox.add((balance, CSP.dislocated, Literal(bool(row["dislocated"].toPython()))))
        abox.add((balance, CSP.refYear, Literal(year)))
        abox.add((balance, CSP.city, city))
    cities = sorted({str(c) for c in abox.subjects(RDF.type, CSP.City)})
    if not cities:
        return {}
    types = inferred_types(abox, cities)
    classified = {city: {c for c in found if URIRef(c) in DEFINED}
                  for city, found in types.items()}
    for city, classes in classified.items():
        for cls in classes:
            abox.add((URIRef(city), RDF.type, URIRef(cls)))
    triples = " ".join(f"{sparql_term(s)} {sparql_term(p)} {sparql_term(o)} ."
                       for s, p, o in abox if not (p == RDF.type and o == CSP.City))
    store.update(f"INSERT DATA {{ GRAPH {sparql_term(URIRef(run))} {{ {triples} }} }}")
    return classified
