"""Classify cities from their results with HermiT, and write the inferred types back.

The soft/hard balance of each city (CQ5) becomes a ``csp:BalanceAssessment`` in the run
graph; HermiT then places the cities into the ontology's defined classes
(``csp:SoftPowerLedCity``, ``csp:HardPowerLedCity``, ``csp:CityInDislocation``,
``csp:CityInHarmony``) and the inferred types are written into the run graph: the reasoner,
not Python, decides what a dislocated city is.
"""

from __future__ import annotations

import hashlib
from functools import cache

from rdflib import RDF, Graph, Literal, URIRef

from cityculture.model import model_graph
from cityculture.namespaces import CSP
from cityculture.queries import load_query, sparql_term
from cityculture.reasoning import inferred_types
from cityculture.store.interface import Backend

_DEFINED = """PREFIX csp: <https://w3id.org/cityculture/ontology/>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
SELECT DISTINCT ?class WHERE {
  ?class owl:equivalentClass/owl:intersectionOf/rdf:rest*/rdf:first csp:City .
}"""
_QUADRANTS = """PREFIX csp: <https://w3id.org/cityculture/ontology/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?quadrant ?label WHERE {
  ?quadrant a csp:Quadrant ; rdfs:label ?label . FILTER (langMatches(lang(?label), "en"))
}"""


@cache
def defined_city_classes() -> frozenset[URIRef]:
    """Return the ontology's defined classes of cities (a city and some restrictions).

    >>> sorted(c.rsplit("/", 1)[-1] for c in defined_city_classes())
    ['CityInDislocation', 'CityInHarmony', 'HardPowerLedCity', 'SoftPowerLedCity']
    """
    return frozenset(URIRef(str(row[0])) for row in model_graph().query(_DEFINED))


@cache
def quadrants() -> dict[str, URIRef]:
    """Return the ontology's quadrants by their English label (what cq05 answers).

    >>> quadrants()["soft-led"]
    rdflib.term.URIRef('https://w3id.org/cityculture/ontology/softLed')
    """
    return {str(row[1]): URIRef(str(row[0])) for row in model_graph().query(_QUADRANTS)}


def classify_cities(store: Backend, run: str, year: int) -> dict[str, set[str]]:
    """Classify the cities of one run and year; write balances and inferred types; return them."""
    rows = store.select(load_query("cq05-soft-hard-balance").text,
                        {"run": URIRef(run), "year": Literal(year)})
    abox = Graph()
    for row in rows:
        city = URIRef(str(row["city"]))
        balance = URIRef(f"{run}/balance/"
                         + hashlib.md5(f"{city} {year}".encode()).hexdigest())
        abox.add((city, RDF.type, CSP.City))
        abox.add((city, CSP.hasBalance, balance))
        abox.add((balance, RDF.type, CSP.BalanceAssessment))
        abox.add((balance, CSP.quadrant, quadrants()[str(row["quadrant"])]))
        abox.add((balance, CSP.dislocated, Literal(bool(row["dislocated"].toPython()))))
        abox.add((balance, CSP.refYear, Literal(year)))
        abox.add((balance, CSP.city, city))
    cities = sorted({str(c) for c in abox.subjects(RDF.type, CSP.City)})
    if not cities:
        return {}
    types = inferred_types(abox, cities)
    classified = {city: {c for c in found if URIRef(c) in defined_city_classes()}
                  for city, found in types.items()}
    for city, classes in classified.items():
        for cls in classes:
            abox.add((URIRef(city), RDF.type, URIRef(cls)))
    triples = " ".join(f"{sparql_term(s)} {sparql_term(p)} {sparql_term(o)} ."
                       for s, p, o in abox if not (p == RDF.type and o == CSP.City))
    store.update(f"INSERT DATA {{ GRAPH {sparql_term(URIRef(run))} {{ {triples} }} }}")
    return classified
