"""HTML documentation of the ontology, in the manner of pyLODE and WIDOCO, made offline.

One page for the ontology IRI: its metadata (title, version, licence, creator, dates,
preferred prefix and namespace, as FOOPS! checks them), downloads in every format, then
every class, object property, datatype property, annotation property and named individual
with its labels in English and Chinese, definition, paper section, domain and range (or
super classes, disjoint classes, characteristics) and examples taken from the published data.
"""

from __future__ import annotations

import pyoxigraph as ox
from markupsafe import Markup

from cityculture.namespaces import CSP
from cityculture.publish.index import RDF_TYPE
from cityculture.publish.pages import PageWriter, site_path

OWL = "http://www.w3.org/2002/07/owl#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
CSP_SECTION = str(CSP.paperSection)

GROUPS = (
    ("classes", "Classes", OWL + "Class"),
    ("object-properties", "Object properties", OWL + "ObjectProperty"),
    ("datatype-properties", "Datatype properties", OWL + "DatatypeProperty"),
    ("annotation-properties", "Annotation properties", OWL + "AnnotationProperty"),
    ("individuals", "Named individuals", OWL + "NamedIndividual"),
)
RELATIONS = (
    ("Super classes", RDFS + "subClassOf"),
    ("Equivalent to", OWL + "equivalentClass"),
    ("Disjoint with", OWL + "disjointWith"),
    ("Super properties", RDFS + "subPropertyOf"),
    ("Inverse of", OWL + "inverseOf"),
    ("Domain", RDFS + "domain"),
    ("Range", RDFS + "range"),
)
METADATA = (
    ("Version", OWL + "versionInfo"),
    ("Version IRI", OWL + "versionIRI"),
    ("Licence", DCTERMS + "license"),
    ("Creator", DCTERMS + "creator"),
    ("Created", DCTERMS + "created"),
    ("Modified", DCTERMS + "modified"),
    ("Preferred prefix", "http://purl.org/vocab/vann/preferredNamespacePrefix"),
    ("Namespace", "http://purl.org/vocab/vann/preferredNamespaceUri"),
    ("Source", DCTERMS + "source"),
    ("See also", RDFS + "seeAlso"),
)
MAX_EXAMPLES = 3


def _text(value: object | None) -> str | None:
    return value.value if isinstance(value, ox.Literal) else None  # type: ignore[union-attr]


def _literal_in(writer: PageWriter, iri: str, predicate: str, lang: str) -> str | None:
    for value in writer.index.values(iri, predicate):
        if isinstance(value, ox.Literal) and value.language == lang:
            return value.value
    return None


def write_ontology_docs(writer: PageWriter, ontology: str, model_triples: list[ox.Triple],
                        downloads: list[Markup], data_graph_subjects: set[str]) -> str:
    """Write the documentation page of the ontology (its IRI's page); return its path.

    ``model_triples`` (the whole ontology) are the page's twins, so that asking the
    ontology IRI for Turtle gives the ontology. ``data_graph_subjects`` are the subjects of
    the published data, from which examples are taken.
    """
    index = writer.index
    page = site_path(ontology) + ".html"
    namespace = ontology + "/"
    terms = sorted(t.subject.value for t in index.inc.get(ontology, ())
                   if t.predicate.value == RDFS + "isDefinedBy"
                   and isinstance(t.subject, ox.NamedNode))
    groups = []
    listed: set[str] = set()
    for anchor, title, cls in GROUPS:
        members = [t for t in terms if cls in index.types.get(t, set()) and t not in listed]
        listed.update(members)
        groups.append({"anchor": anchor, "title": title,
                       "terms": [_term(writer, t, page, namespace, data_graph_subjects)
                                 for t in members]})
    other = [t for t in terms if t not in listed]
    if other:
        groups.append({"anchor": "other-terms", "title": "Other terms",
                       "terms": [_term(writer, t, page, namespace, data_graph_subjects)
                                 for t in other]})
    metadata = []
    for name, predicate in METADATA:
        values = sorted(index.values(ontology, predicate), key=str)
        if values:
            metadata.append({"name": name, "value": Markup(", ").join(
                writer.term(v, page, predicate) for v in values)})
    alternates = writer.twins(ontology, model_triples)
    writer.render("ontology.html", page, alternates=alternates,
                  iri=writer.rewriter.iri(ontology), title=index.label(ontology),
                  title_zh=index.label_in(ontology, "zh"),
                  description=_literal_in(writer, ontology, DCTERMS + "description", "en"),
                  metadata=metadata, downloads=downloads, groups=groups)
    return page


def _term(writer: PageWriter, iri: str, page: str, namespace: str,
          data_subjects: set[str]) -> dict[str, object]:
    index = writer.index
    local = iri[len(namespace):] if iri.startswith(namespace) else iri.rsplit("/", 1)[-1]
    relations = []
    for name, predicate in RELATIONS:
        values = sorted(index.values(iri, predicate), key=str)
        if values:
            relations.append({"name": name, "objects": [writer.term(v, page) for v in values]})
    characteristics = sorted(t for t in index.types.get(iri, ())
                             if t.startswith(OWL) and t.endswith("Property")
                             and t not in (OWL + "ObjectProperty", OWL + "DatatypeProperty",
                                           OWL + "AnnotationProperty"))
    if characteristics:
        relations.append({"name": "Characteristics",
                          "objects": [writer.link(c, page) for c in characteristics]})
    types = sorted(t for t in index.types.get(iri, ()) if not t.startswith(OWL))
    if types:
        relations.append({"name": "Type", "objects": [writer.link(t, page) for t in types]})
    return {
        "anchor": local,
        "label": index.label(iri),
        "label_zh": index.label_in(iri, "zh") or "",
        "link": writer.link(iri, page, writer.rewriter.iri(iri)),
        "definition": _literal_in(writer, iri, SKOS + "definition", "en"),
        "section": _text(index.value(iri, CSP_SECTION)),
        "relations": relations,
        "examples": _examples(writer, iri, page, data_subjects),
    }


def _examples(writer: PageWriter, iri: str, page: str, data_subjects: set[str]) -> list[Markup]:
    """Up to three uses of a term in the published data: instances, or triples."""
    index = writer.index
    found: list[Markup] = []
    for triple in index.inc.get(iri, ()):
        if (triple.predicate.value == RDF_TYPE and isinstance(triple.subject, ox.NamedNode)
                and triple.subject.value in data_subjects):
            found.append(Markup("{} a {}").format(writer.link(triple.subject.value, page),
                                                 writer.link(iri, page)))
            if len(found) >= MAX_EXAMPLES:
                return found
    for triple in index.by_predicate.get(iri, ()):
        if isinstance(triple.subject, ox.NamedNode) and triple.subject.value in data_subjects:
            found.append(Markup("{} {} {}").format(writer.term(triple.subject, page),
                                                  writer.link(iri, page),
                                                  writer.term(triple.object, page)))
            if len(found) >= MAX_EXAMPLES:
                break
    return found
