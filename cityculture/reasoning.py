"""Consistency checking with the HermiT reasoner (through owlready2), offline.

owlready2 reads N-Triples but not Turtle, so graphs are converted with rdflib first and every
``owl:imports`` triple is dropped: nothing is ever fetched. HermiT runs in the local Java.
When HermiT finds an inconsistency it gives no explanation through owlready2, so the checker
blames the data itself: it re-checks the model with the assertions about one individual at a
time and names the individuals (with their assertions) that make it inconsistent alone.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import OWL, RDF, Graph, URIRef
from rdflib.term import Node

from cityculture.model import load_model

if TYPE_CHECKING:
    import owlready2

log = logging.getLogger(__name__)

MAX_BLAME_CANDIDATES = 25
"""At most this many individuals are re-checked one by one to explain an inconsistency."""


class ReasonerUnavailable(RuntimeError):
    """Raised when HermiT cannot run (no Java on the machine)."""


@dataclass
class ConsistencyReport:
    """What HermiT found: consistency, unsatisfiable classes, and what to blame."""

    consistent: bool
    unsatisfiable_classes: list[str] = field(default_factory=list)
    offending: list[str] = field(default_factory=list)
    """Human-readable offending axioms: for each blamed individual, its assertions."""

    @property
    def ok(self) -> bool:
        """True when consistent and no named class is unsatisfiable."""
        return self.consistent and not self.unsatisfiable_classes


def _world(graph: Graph, workdir: Path) -> owlready2.World:
    """Load a graph into a fresh owlready2 world, with every owl:imports dropped."""
    import owlready2

    if shutil.which(owlready2.JAVA_EXE) is None and not Path(owlready2.JAVA_EXE).exists():
        raise ReasonerUnavailable(f"HermiT needs Java; {owlready2.JAVA_EXE!r} was not found")
    clean = Graph()
    for triple in graph:
        if triple[1] != OWL.imports:
            clean.add(triple)
    path = workdir / "model.nt"
    clean.serialize(path, format="nt", encoding="utf-8")
    world = owlready2.World()
    world.get_ontology(path.as_uri()).load()
    return world


def _hermit_consistent(graph: Graph, workdir: Path) -> tuple[bool, list[str]]:
    """Run HermiT on a graph; return (consistent, unsatisfiable class IRIs)."""
    import owlready2

    world = _world(graph, workdir)
    try:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        unsat = {
            cls.iri
            for cls in world.inconsistent_classes()
            if getattr(cls, "iri", None) and cls.iri != str(OWL.Nothing)
        }
    except owlready2.OwlReadyInconsistentOntologyError:
        return False, []
    finally:
        world.close()
    return True, sorted(unsat)


def _describe(graph: Graph, subject: Node) -> list[str]:
    nm = graph.namespace_manager
    return [
        f"{subject.n3(nm)} {p.n3(nm)} {o.n3(nm)} ."
        for p, o in sorted(graph.predicate_objects(subject))
    ]


def _blame(model: Graph, data: Graph, workdir: Path) -> list[str]:
    """Name the data individuals whose assertions alone make the model inconsistent."""
    identity = Graph()
    for predicate in (OWL.differentFrom, OWL.sameAs):
        for triple in data.triples((None, predicate, None)):
            identity.add(triple)
    subjects = sorted({s for s in data.subjects() if isinstance(s, URIRef)})
    blamed: list[str] = []
    for subject in subjects[:MAX_BLAME_CANDIDATES]:
        probe = Graph()
        probe += model
        probe += identity
        for triple in data.triples((subject, None, None)):
            probe.add(triple)
        # keep the types of the individuals this one points to
        for obj in set(data.objects(subject)):
            for triple in data.triples((obj, RDF.type, None)):
                probe.add(triple)
        consistent, _ = _hermit_consistent(probe, workdir)
        if not consistent:
            blamed.extend(_describe(data, subject))
    return blamed


def check_consistency(extra: Iterable[Graph] = (), *, explain: bool = True) -> ConsistencyReport:
    """Check the ontology and indicator scheme, plus optional extra graphs, with HermiT.

    ``extra`` graphs (for example individuals to test the axioms with) are added to the
    model. When the union is inconsistent and ``explain`` is true, the individuals of the
    extra graphs that cause it on their own are named in ``report.offending``.
    """
    model = load_model()
    data = Graph()
    data.namespace_manager = model.namespace_manager
    for graph in extra:
        data += graph
    union = Graph()
    union.namespace_manager = model.namespace_manager
    union += model
    union += data
    with tempfile.TemporaryDirectory(prefix="cityculture-hermit-") as tmp:
        workdir = Path(tmp)
        consistent, unsat = _hermit_consistent(union, workdir)
        report = ConsistencyReport(consistent=consistent, unsatisfiable_classes=unsat)
        if not consistent and explain and len(data):
            report.offending = _blame(model, data, workdir)
    return report


def inferred_types(extra: Graph, individuals: Iterable[str]) -> dict[str, set[str]]:
    """Classify individuals with HermiT against the ontology; return their inferred classes.

    ``extra`` holds the individuals' assertions. Only named classes are returned.
    """
    import owlready2

    union = Graph()
    union += load_model()
    union += extra
    with tempfile.TemporaryDirectory(prefix="cityculture-hermit-") as tmp:
        world = _world(union, Path(tmp))
        try:
            owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
            found: dict[str, set[str]] = {}
            for iri in individuals:
                entity = world[iri]
                classes = set()
                if entity is not None:
                    for cls in entity.INDIRECT_is_a:
                        cls_iri = getattr(cls, "iri", None)
                        if cls_iri:
                            classes.add(cls_iri)
                found[iri] = classes
        finally:
            world.close()
    return found
