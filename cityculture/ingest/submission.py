"""A submission: the RDF made from one submitted file, before it is validated or stored."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

SUBMISSION_BASE = "https://w3id.org/cityculture/submission/"


@dataclass
class Submission:
    """The triples read from one file, to be stored in one named graph.

    ``iri`` names both the submission (a ``qb:DataSet``) and the named graph it is stored in.
    """

    iri: str
    path: Path
    kind: str  # "tabular" or "rdf"
    triples: list[ox.Triple] = field(default_factory=list)
    other_subjects: set[str] | None = None
    """Subjects whose IRI does not start with ``iri`` (cities, agents); None: work it out."""
    cells: dict[tuple[str, str, str], tuple[str | None, int]] = field(default_factory=dict)
    """(subject, predicate, value) -> (sheet, row) of the first row holding that cell, for
    facts gathered from several rows (a city's QID, name, country); value "" stands for the
    first row where the cell is empty."""

    @property
    def graph_name(self) -> ox.NamedNode:
        """The named graph the submission is stored in."""
        return ox.NamedNode(self.iri)

    def quads(self) -> list[ox.Quad]:
        """Return the triples as quads in the submission's named graph."""
        graph = self.graph_name
        return [ox.Quad(t.subject, t.predicate, t.object, graph) for t in self.triples]

    def ntriples(self) -> bytes:
        """Return the triples as N-Triples (serialised by Oxigraph, fast for bulk loads)."""
        return ox.serialize(self.triples, format=ox.RdfFormat.N_TRIPLES)

    def owns(self, node: str) -> bool:
        """Tell whether the node is a subject of this submission (a focus node judged on)."""
        if node.startswith(self.iri):
            return True
        if self.other_subjects is None:
            self.other_subjects = {
                t.subject.value for t in self.triples if not t.subject.value.startswith(self.iri)
            }
        return node in self.other_subjects


def file_digest(path: Path) -> str:
    """Return the SHA-256 of a file's bytes (hex), read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def submission_iri(digest: str) -> str:
    """Return the IRI of a submission keyed by its file's checksum (same file, same graph)."""
    return f"{SUBMISSION_BASE}{digest[:20]}"
