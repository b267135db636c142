"""Namespaces of the cityculture vocabularies and of the vocabularies they reuse."""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD, NamespaceManager

CSP = Namespace("https://w3id.org/cityculture/ontology/")
"""Terms of the ontology (classes, properties, elements, roles)."""
IND = Namespace("https://w3id.org/cityculture/indicator/")
"""Indicators of the indicator scheme."""
UNIT = Namespace("https://w3id.org/cityculture/unit/")
"""Units the toolkit defines where QUDT has none."""
QUDT_UNIT = Namespace("http://qudt.org/vocab/unit/")
QB = Namespace("http://purl.org/linked-data/cube#")
SCHEMA = Namespace("https://schema.org/")
WD = Namespace("http://www.wikidata.org/entity/")
VANN = Namespace("http://purl.org/vocab/vann/")

ONTOLOGY_IRI = "https://w3id.org/cityculture/ontology"
SCHEME_IRI = "https://w3id.org/cityculture/indicators"

BASE = "https://w3id.org/cityculture/"
"""The base of every IRI the toolkit mints (publishing rewrites it to the publisher's)."""
CITY_BASE = BASE + "city/"
NATION_BASE = BASE + "nation/"
AGENT_BASE = BASE + "agent/"
SUBMISSION_BASE = BASE + "submission/"
"""Each accepted submission is the named graph ``SUBMISSION_BASE`` + its content digest."""
MODEL_GRAPH = BASE + "graph/model"
"""The named graph of the ontology; the scheme and the cube structure are beside it."""
SCHEME_GRAPH = BASE + "graph/scheme/"
"""Named graphs of the researchers' scheme files stored with the data, keyed by checksum."""
FRAMEWORK_GRAPH = BASE + "graph/framework/"
"""Named graphs of the frameworks assessments ran with: ``sha256-`` + the file's digest."""
RUN_BASE = BASE + "run/"
"""Each assessment run is a named graph under this base (a timestamp and a digest)."""
UNKNOWN_CITY_CODE_BASE = CITY_BASE + "code/"
"""Stands for a city code that no code list knows (so that the validator can name it)."""
CATALOG = BASE + "catalog"
"""The IRI of the published site's catalog, the entry point for harvesters."""
DATASET = BASE + "dataset"
"""The IRI of the whole published dataset (before rewriting to the publisher's base)."""
SPARQL_SERVICE = BASE + "sparql"
"""The IRI of the read-only SPARQL endpoint ``cityculture serve`` answers at."""

PREFIXES: dict[str, Namespace] = {
    "csp": CSP,
    "ind": IND,
    "ccunit": UNIT,
    "unit": QUDT_UNIT,
    "qb": QB,
    "schema": SCHEMA,
    "wd": WD,
    "vann": VANN,
    "skos": SKOS,
    "prov": PROV,
    "dcterms": DCTERMS,
    "owl": OWL,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
}


def bind_prefixes(manager: NamespaceManager) -> None:
    """Bind the project's preferred prefixes on a graph's namespace manager."""
    for prefix, namespace in PREFIXES.items():
        manager.bind(prefix, namespace, override=True, replace=True)
