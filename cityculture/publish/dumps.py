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

from cityculture.publish.files import SiteFiles
from cityculture.publish.jsonld import jsonld_bytes, jsonld_lines


@dataclass(frozen=True)
class DumpFormat:
    """One serialisation: its name, file suffix, media type and EU file-type code.

    The file-type code names the format in the EU file-type authority table
    (``http://publications.europa.eu/resource/authority/file-type/``), which DCAT-AP asks
    for in ``dct:format``; ``publish/catalog.ttl`` describes each one.
    """

    name: str
    suffix: str
    media_type: str
    file_type: str
    label: str


DUMP_FORMATS: dict[str, DumpFormat] = {f.name: f for f in (
    DumpFormat("turtle", ".ttl", "text/turtle", "RDF_TURTLE", "Turtle"),
    DumpFormat("nt", ".nt", "application/n-triples", "RDF_N_TRIPLES", "N-Triples"),
    DumpFormat("jsonld", ".jsonld", "application/ld+json", "JSON_LD", "JSON-LD"),
    DumpFormat("rdfxml", ".rdf", "application/rdf+xml", "RDF_XML", "RDF/XML"),
    DumpFormat("nquads", ".nq", "application/n-quads", "RDF_N_QUADS", "N-Quads"),
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
    entities: int = 0

    def path(self, fmt: str) -> str:
        """Return the site path of the file in one format (``dumps/data.ttl``)."""
        return f"dumps/{self.name}{DUMP_FORMATS[fmt].suffix}"


def serialise(triples: list[ox.Triple], fmt: str, prefixes: Mapping[str, str], *,
              large: bool = False) -> bytes:
    """Serialise triples in one of :data:`DUMP_FORMATS` (not N-Quads).

    ``large``: a dump, whose JSON-LD is written a node per line rather than indented.
    """
    if fmt == "jsonld":
        return jsonld_lines(triples, prefixes) if large else jsonld_bytes(triples, prefixes)
    formats = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES,
               "rdfxml": ox.RdfFormat.RDF_XML}
    if fmt not in formats:
        raise ValueError(f"not a triple format: {fmt}")
    if fmt == "nt":
        return ox.serialize(triples, format=formats[fmt])
    return ox.serialize(triples, format=formats[fmt], prefixes=dict(prefixes))


def write_dump(dump: Dump, triples: list[ox.Triple], files: SiteFiles,
               prefixes: Mapping[str, str]) -> Dump:
    """Write one part of the dataset in each of its formats; record files and triple count."""
    dump.triples = len(triples)
    for fmt in dump.formats:
        files.write(dump.path(fmt), serialise(triples, fmt, prefixes, large=True))
        dump.files[fmt] = files.path(dump.path(fmt))
    return dump


def write_nquads(quads: Iterable[ox.Quad], files: SiteFiles, path: str) -> int:
    """Write quads as N-Quads (what ``serve`` loads), sorted; return the quad count."""
    unique = sorted({str(q): q for q in quads}.items())
    files.write(path, ox.serialize([q for _, q in unique], format=ox.RdfFormat.N_QUADS))
    return len(unique)
