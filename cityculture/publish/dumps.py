"""Dumps of a published site: each part of the dataset in Turtle, N-Triples, JSON-LD, RDF/XML.

The W3C "Data on the Web Best Practices" ask for bulk downloads in several formats
(BP 14, 17); the dumps are what the DCAT distributions of the description point at. Each
file is serialised by Oxigraph (JSON-LD by :mod:`cityculture.publish.jsonld`, with the
context inline) and measured afterwards, so sizes and triple counts in the description are
those of the files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from cityculture.publish.jsonld import jsonld_bytes


@dataclass(frozen=True)
class DumpFormat:
    """One serialisation: its name, file suffix, media type and W3C specification."""

    name: str
    suffix: str
    media_type: str
    spec: str


DUMP_FORMATS: dict[str, DumpFormat] = {f.name: f for f in (
    DumpFormat("turtle", ".ttl", "text/turtle", "http://www.w3.org/ns/formats/Turtle"),
    DumpFormat("nt", ".nt", "application/n-triples", "http://www.w3.org/ns/formats/N-Triples"),
    DumpFormat("jsonld", ".jsonld", "application/ld+json", "http://www.w3.org/ns/formats/JSON-LD"),
    DumpFormat("rdfxml", ".rdf", "application/rdf+xml", "http://www.w3.org/ns/formats/RDF_XML"),
    DumpFormat("nquads", ".nq", "application/n-quads", "http://www.w3.org/ns/formats/N-Quads"),
)}
TRIPLE_FORMATS = ("turtle", "nt", "jsonld")


@dataclass
class Dump:
    """One part of the dataset (ontology, indicators, data, a run...) and its files."""

    name: str
    title: str
    description: str
    graphs: list[str]
    formats: tuple[str, ...] = TRIPLE_FORMATS
    licence: str | None = None
    rights: str | None = None
    files: dict[str, Path] = field(default_factory=dict)
    triples: int = 0

    def path(self, fmt: str) -> str:
        """Return the site path of the file in one format (``dumps/data.ttl``)."""
        return f"dumps/{self.name}{DUMP_FORMATS[fmt].suffix}"


def serialise(triples: list[ox.Triple], fmt: str, prefixes: Mapping[str, str]) -> bytes:
    """Serialise triples in one of :data:`DUMP_FORMATS` (not N-Quads)."""
    if fmt == "jsonld":
        return jsonld_bytes(triples, prefixes)
    formats = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES,
               "rdfxml": ox.RdfFormat.RDF_XML}
    if fmt not in formats:
        raise ValueError(f"not a triple format: {fmt}")
    if fmt == "nt":
        return ox.serialize(triples, format=formats[fmt])
    return ox.serialize(triples, format=formats[fmt], prefixes=dict(prefixes))


def write_dump(dump: Dump, triples: list[ox.Triple], outdir: Path,
               prefixes: Mapping[str, str]) -> Dump:
    """Write one part of the dataset in each of its formats; record files and triple count."""
    dump.triples = len(triples)
    for fmt in dump.formats:
        path = outdir / dump.path(fmt)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(serialise(triples, fmt, prefixes))
        dump.files[fmt] = path
    return dump


def write_nquads(quads: Iterable[ox.Quad], path: Path) -> int:
    """Write quads as N-Quads (what ``serve`` loads), sorted; return the quad count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    unique = sorted({str(q): q for q in quads}.items())
    path.write_bytes(ox.serialize([q for _, q in unique], format=ox.RdfFormat.N_QUADS))
    return len(unique)
