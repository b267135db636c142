"""JSON-LD with a local context: every published JSON-LD document carries its context inline.

Nothing that reads these files needs the network: the context is embedded in each document
(and also written once as ``context.jsonld`` for those who want to compact their own data
with it), never referenced by URL. Keys and ``@id`` values are compact IRIs (``csp:City``)
where a prefix of the context covers them; literals keep their exact lexical form.

A key means only what the document's context makes it mean. An IRI that no prefix covers is
written in full, and a JSON-LD processor would still read ``rdfs:label`` as a compact IRI
if ``rdfs`` were a prefix: so a document that holds such an IRI (``<rdfs:label>``, whose
scheme is ``rdfs``) leaves that prefix out of its context and writes the real
``rdfs:label`` in full; and a predicate IRI that reads like a compact IRI is never a key
itself but a term the context defines (``"iri-1": {"@id": "rdfs:label"}``), so a reader that
takes keys at their word is not misled either. Every key is a term or a compact IRI of the
context, or a full ``scheme://`` IRI, and expands to exactly the predicate it stands for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

import pyoxigraph as ox

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
# A suffix that JSON-LD could not mistake for anything else once appended to a prefix.
_SUFFIX = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.~%-]*$")


class Compactor:
    """Turns IRIs into compact IRIs with the prefixes of a context (longest namespace wins)."""

    def __init__(self, prefixes: Mapping[str, str]) -> None:
        """Use ``prefixes`` (prefix -> namespace IRI)."""
        self.prefixes = dict(prefixes)
        self._ordered = sorted(prefixes.items(), key=lambda item: -len(item[1]))
        self._known: dict[str, str] = {}

    def compact(self, iri: str) -> str:
        """Return ``prefix:suffix`` when a namespace covers ``iri`` safely, else ``iri``.

        >>> Compactor({"csp": "https://w3id.org/cityculture/ontology/"}).compact(
        ...     "https://w3id.org/cityculture/ontology/City")
        'csp:City'
        """
        known = self._known.get(iri)
        if known is not None:
            return known
        written = iri
        for prefix, namespace in self._ordered:
            if iri.startswith(namespace):
                suffix = iri[len(namespace):]
                if _SUFFIX.match(suffix):
                    written = f"{prefix}:{suffix}"
                    break
        if len(self._known) < 1_000_000:
            self._known[iri] = written
        return written


def _node_id(term: ox.NamedNode | ox.BlankNode, compactor: Compactor) -> str:
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return compactor.compact(term.value)


def _value(term: object, compactor: Compactor) -> dict[str, str]:
    if isinstance(term, ox.NamedNode | ox.BlankNode):
        return {"@id": _node_id(term, compactor)}
    if isinstance(term, ox.Literal):
        if term.language:
            return {"@value": term.value, "@language": term.language}
        if term.datatype.value == XSD_STRING:
            return {"@value": term.value}
        return {"@value": term.value, "@type": compactor.compact(term.datatype.value)}
    raise TypeError(f"cannot write {type(term).__name__} as JSON-LD")


def _iris(triples: list[ox.Triple]) -> set[str]:
    """Every IRI written in the document: subjects, predicates, objects and datatypes."""
    found: set[str] = set()
    for triple in triples:
        for term in (triple.subject, triple.predicate, triple.object):
            if isinstance(term, ox.NamedNode):
                found.add(term.value)
            elif isinstance(term, ox.Literal):
                found.add(term.datatype.value)
    return found


def unambiguous_prefixes(iris: set[str], prefixes: Mapping[str, str]) -> dict[str, str]:
    """Return the prefixes minus those named like the scheme of an IRI written in full.

    >>> unambiguous_prefixes({"rdfs:label", "http://www.w3.org/2000/01/rdf-schema#label"},
    ...                      {"rdfs": "http://www.w3.org/2000/01/rdf-schema#", "ex": "urn:x:"})
    {'ex': 'urn:x:'}
    """
    kept = dict(prefixes)
    while True:  # leaving a prefix out writes more IRIs in full: repeat until none clashes
        compactor = Compactor(kept)
        schemes = {iri.split(":", 1)[0] for iri in iris if compactor.compact(iri) == iri}
        clashes = schemes & set(kept)
        if not clashes:
            return kept
        for name in clashes:
            del kept[name]


def _looks_compact(iri: str) -> bool:
    """Tell whether an IRI written in full reads like ``prefix:name`` (no ``//`` after it)."""
    return not iri.split(":", 1)[1].startswith("//")


def jsonld_document(triples: Iterable[ox.Triple], prefixes: Mapping[str, str]) -> dict:
    """Return a JSON-LD document (``@context`` inline, ``@graph`` of nodes) for the triples."""
    triples = list(triples)
    prefixes = unambiguous_prefixes(_iris(triples), prefixes)
    compactor = Compactor(prefixes)
    context: dict[str, object] = dict(prefixes)
    terms: dict[str, str] = {}  # predicate IRI -> the term defined for it

    def key_of(predicate: str) -> str:
        written = compactor.compact(predicate)
        if written != predicate or not _looks_compact(predicate):
            return written
        if predicate not in terms:
            name = next(f"iri-{n}" for n in range(len(terms) + 1, len(terms) + len(context) + 2)
                        if f"iri-{n}" not in context)
            terms[predicate] = name
            context[name] = {"@id": predicate}
        return terms[predicate]

    nodes: dict[str, dict[str, list[ox.Triple]]] = {}
    subjects: dict[str, ox.NamedNode | ox.BlankNode] = {}
    for triple in triples:
        key = _node_id(triple.subject, compactor)  # type: ignore[arg-type]
        subjects[key] = triple.subject  # type: ignore[assignment]
        nodes.setdefault(key, {}).setdefault(triple.predicate.value, []).append(triple)
    graph = []
    for key in sorted(nodes):
        node: dict[str, object] = {"@id": key}
        for predicate in sorted(nodes[key]):
            objects = sorted({str(t.object): t.object for t in nodes[key][predicate]}.items())
            if predicate == RDF_TYPE and all(isinstance(o, ox.NamedNode) for _, o in objects):
                node["@type"] = [compactor.compact(o.value) for _, o in objects]
            else:
                node[key_of(predicate)] = [_value(o, compactor) for _, o in objects]
        graph.append(node)
    return {"@context": context, "@graph": graph}


def jsonld_bytes(triples: Iterable[ox.Triple], prefixes: Mapping[str, str], *,
                 indent: int | None = 1) -> bytes:
    """Serialise triples as a JSON-LD document with an inline local context (UTF-8)."""
    document = jsonld_document(triples, prefixes)
    return json.dumps(document, ensure_ascii=False, indent=indent).encode("utf-8")


def jsonld_lines(triples: Iterable[ox.Triple], prefixes: Mapping[str, str]) -> bytes:
    """Serialise triples as :func:`jsonld_bytes` does, one node per line (for large dumps).

    The same document, written without indentation: Python's JSON encoder is many times
    faster then (its C encoder does not indent), which a dump of millions of triples needs.
    """
    document = jsonld_document(triples, prefixes)
    context = json.dumps(document["@context"], ensure_ascii=False)
    nodes = ",\n".join(json.dumps(node, ensure_ascii=False) for node in document["@graph"])
    return f'{{"@context": {context},\n"@graph": [\n{nodes}\n]}}\n'.encode()


def context_bytes(prefixes: Mapping[str, str]) -> bytes:
    """Return the context alone, as the ``context.jsonld`` file written beside the dumps."""
    return json.dumps({"@context": dict(prefixes)}, ensure_ascii=False, indent=2).encode()
