"""An index of the triples to publish: what each IRI says, what points at it, its labels.

Built once from every quad of the source store (and the dataset description), it gives
each published resource its description (the triples with it as subject, with the blank
nodes they lead to, as a Concise Bounded Description) and the labels pages show.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import pyoxigraph as ox

from cityculture.publish.iris import DEFAULT_BASE, document_iri

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL_PROPERTIES = (
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://purl.org/dc/terms/title",
    "http://xmlns.com/foaf/0.1/name",
)
NOTATION = "http://www.w3.org/2004/02/skos/core#notation"


def node_key(term: object) -> str:
    """Return the key of a subject or object in the index (``_:id`` for blank nodes)."""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value  # type: ignore[attr-defined]


class SiteIndex:
    """Triples by subject and by object, labels and types, and the IRIs under the base."""

    def __init__(self, triples: Iterable[ox.Triple], graph_names: Iterable[str] = ()) -> None:
        """Index distinct triples; ``graph_names`` are IRIs to publish even without triples."""
        self.out: dict[str, list[ox.Triple]] = defaultdict(list)
        self.inc: dict[str, list[ox.Triple]] = defaultdict(list)
        self.types: dict[str, set[str]] = defaultdict(set)
        self.labels: dict[str, dict[str, str]] = defaultdict(dict)
        self.iris: set[str] = set()
        self.by_predicate: dict[str, list[ox.Triple]] = defaultdict(list)
        seen: set[ox.Triple] = set()
        ranks: dict[tuple[str, str], tuple[int, str]] = {}
        for triple in triples:
            if triple in seen:
                continue
            seen.add(triple)
            subject, predicate, obj = triple.subject, triple.predicate.value, triple.object
            key = node_key(subject)
            self.out[key].append(triple)
            if len(self.by_predicate[predicate]) < 50:
                self.by_predicate[predicate].append(triple)
            if isinstance(obj, ox.NamedNode):
                self.inc[obj.value].append(triple)
                if predicate == RDF_TYPE:
                    self.types[key].add(obj.value)
            elif isinstance(obj, ox.Literal) and predicate in LABEL_PROPERTIES:
                lang = obj.language or ""
                rank = (LABEL_PROPERTIES.index(predicate), obj.value)
                if rank < ranks.get((key, lang), (99, "")):
                    self.labels[key][lang] = obj.value
                    ranks[key, lang] = rank
            elif isinstance(obj, ox.Literal) and predicate == NOTATION:
                self.labels[key].setdefault("notation", obj.value)
            for term in (subject, triple.predicate, obj):
                if isinstance(term, ox.NamedNode) and term.value.startswith(DEFAULT_BASE):
                    self.iris.add(document_iri(term.value))
        for name in graph_names:
            if name.startswith(DEFAULT_BASE):
                self.iris.add(document_iri(name))

    def label(self, iri: str, lang: str = "en") -> str:
        """Return the best label of a node: in ``lang``, untagged, a notation, or its name."""
        labels = self.labels.get(iri, {})
        for key in (lang, "", "en", "notation"):
            if labels.get(key):
                return labels[key]
        tail = iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
        return tail or iri

    def label_in(self, iri: str, lang: str) -> str | None:
        """Return the label in exactly one language, if there is one."""
        return self.labels.get(iri, {}).get(lang)

    def description(self, iri: str) -> list[ox.Triple]:
        """Return the Concise Bounded Description: triples about ``iri`` and its blank nodes."""
        result: list[ox.Triple] = []
        todo = [iri]
        done: set[str] = set()
        while todo:
            key = todo.pop()
            if key in done:
                continue
            done.add(key)
            for triple in self.out.get(key, ()):
                result.append(triple)
                if isinstance(triple.object, ox.BlankNode):
                    todo.append(node_key(triple.object))
        return result

    def values(self, iri: str, predicate: str) -> list[object]:
        """Return the objects of one predicate of a subject."""
        return [t.object for t in self.out.get(iri, ()) if t.predicate.value == predicate]

    def value(self, iri: str, predicate: str) -> object | None:
        """Return one object of one predicate (the first in sort order), or None."""
        found = sorted(self.values(iri, predicate), key=str)
        return found[0] if found else None

    def by_predicate_all(self, predicate: str) -> list[ox.Triple]:
        """Return every triple with one predicate (a scan: for rare uses)."""
        return [t for triples in self.out.values() for t in triples
                if t.predicate.value == predicate]

    def subjects_of_type(self, cls: str) -> list[str]:
        """Return the IRIs typed with a class, sorted."""
        return sorted(t.subject.value for t in self.inc.get(cls, ())
                      if t.predicate.value == RDF_TYPE and isinstance(t.subject, ox.NamedNode))
