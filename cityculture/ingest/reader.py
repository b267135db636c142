"""Read any submitted file into a :class:`Submission`: tabular (CSV, XLSX) or RDF.

The one entry point of the ingest stage. Files that cannot be read at all raise
:class:`~cityculture.ingest.errors.UnusableInput`, whose message is one line naming the file,
row/line and column.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from cityculture.ingest.errors import UnusableInput
from cityculture.ingest.observations import (
    AGENT_BASE,
    DCT_ISSUED,
    DCT_TITLE,
    PROV_AGENT,
    PROV_ATTRIBUTED,
    RDF_TYPE,
    RDFS_LABEL,
    XSD_DATE,
    slug,
    submission_from_tables,
)
from cityculture.ingest.rdf_input import RDF_SUFFIXES, UnsafeOrInvalidRDF, parse_rdf
from cityculture.ingest.submission import Submission, file_digest, submission_iri
from cityculture.ingest.tabular import read_table
from cityculture.ingest.vocabulary import Vocabulary
from cityculture.namespaces import CSP, QB
from cityculture.rdf_terms import to_oxigraph

TABULAR_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")


def _invalid(term: object) -> bool:
    try:
        to_oxigraph(term)  # type: ignore[arg-type]
    except ValueError:
        return True
    return False


def submission_from_graph(
    path: Path, graph: Graph, *, body: str, submitted: date
) -> Submission:
    """Wrap an RDF submission's triples, adding the submission's own description."""
    digest = file_digest(path)
    iri = submission_iri(digest)
    sub = ox.NamedNode(iri)
    agent = ox.NamedNode(AGENT_BASE + slug(body))
    triples = []
    for s, p, o in graph:
        try:
            triples.append(ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)))  # type: ignore[arg-type]
        except ValueError as exc:  # an IRI the parser let through (e.g. resolved from JSON-LD)
            bad = next((t for t in (s, p, o) if _invalid(t)), s)
            raise UnsafeOrInvalidRDF(path, f"not a valid IRI: <{bad}> ({exc})") from None
    triples += [
        ox.Triple(sub, RDF_TYPE, ox.NamedNode(f"{CSP}Submission")),
        ox.Triple(sub, RDF_TYPE, ox.NamedNode(f"{QB}DataSet")),
        ox.Triple(sub, ox.NamedNode(f"{QB}structure"),
                  ox.NamedNode(f"{CSP}cityIndicatorStructure")),
        ox.Triple(sub, DCT_TITLE, ox.Literal(path.name)),
        ox.Triple(sub, ox.NamedNode(f"{CSP}sourceFile"), ox.Literal(path.name)),
        ox.Triple(sub, ox.NamedNode(f"{CSP}sha256"), ox.Literal(digest)),
        ox.Triple(sub, DCT_ISSUED, ox.Literal(submitted.isoformat(), datatype=XSD_DATE)),
        ox.Triple(sub, PROV_ATTRIBUTED, agent),
        ox.Triple(agent, RDF_TYPE, PROV_AGENT),
        ox.Triple(agent, RDFS_LABEL, ox.Literal(body)),
    ]
    return Submission(iri=iri, path=path, kind="rdf", triples=triples)


def read_submission(
    path: Path,
    *,
    body: str = "unspecified submitting body",
    submitted: date | None = None,
    vocab: Vocabulary | None = None,
    preload: bool = False,
) -> Submission:
    """Read one submitted file (CSV, TSV, XLSX, Turtle, N-Triples, JSON-LD, RDF/XML).

    ``vocab`` resolves a tabular file's indicator notations, unit names and city codes
    (default: the bundled scheme; ``vocabulary().with_scheme(...)`` adds a researcher's own).
    ``preload``: a tabular file's triples also fill an in-memory store as they are made, which
    the validation takes (see :mod:`cityculture.ingest.serialised`).
    """
    submitted = submitted or date.today()
    suffix = path.suffix.lower()
    if not path.is_file():
        raise UnusableInput(path, "no such file")
    if suffix in RDF_SUFFIXES:
        return submission_from_graph(path, parse_rdf(path), body=body, submitted=submitted)
    if suffix in TABULAR_SUFFIXES:
        return submission_from_tables(read_table(path), body=body, submitted=submitted,
                                      vocab=vocab, preload=preload)
    raise UnusableInput(
        path, f"unknown format {suffix or '(no suffix)'!r}: expected one of "
        f"{', '.join(TABULAR_SUFFIXES + tuple(RDF_SUFFIXES))}")
