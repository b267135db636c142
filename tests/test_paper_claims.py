"""The paper's claims: quoted verbatim, encoded as asserted axioms, listed by CQ0, kept apart
from what the project adds."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import OWL, RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import SKOS

from cityculture.model import load_indicators, load_ontology, ontology_path
from cityculture.namespaces import CSP, ONTOLOGY_IRI, SCHEME_IRI
from cityculture.queries import bind_parameters, load_query, run_query

PAPER = Path(__file__).resolve().parents[2] / "shared" / "paper" / "soft-power-of-city-culture.txt"
SECTIONS = {"abstract", "1", "2", "2.1", "2.2", "2.3", "2.4", "2.5", "3.1", "3.2", "3.3"}
TERM_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty,
              OWL.NamedIndividual)


@pytest.fixture(scope="module")
def onto() -> Graph:
    return load_ontology()


def claims(graph: Graph) -> list[tuple[BNode, str, str]]:
    """Every owl:Axiom carrying a paper quote, with its quote and section."""
    found = []
    for axiom in graph.subjects(CSP.paperQuote, None):
        quotes = list(graph.objects(axiom, CSP.paperQuote))
        sections = list(graph.objects(axiom, CSP.paperSection))
        assert len(quotes) == 1 and len(sections) == 1, axiom
        found.append((axiom, str(quotes[0]), str(sections[0])))
    return found


def own_terms(graph: Graph) -> list[URIRef]:
    return sorted({s for t in TERM_TYPES for s in graph.subjects(RDF.type, t)
                   if isinstance(s, URIRef) and str(s).startswith(str(CSP))})


def reachable_iris(graph: Graph, node: object) -> Iterator[URIRef]:
    """The IRIs a claim's target names, through class expressions and RDF lists."""
    if isinstance(node, URIRef):
        yield node
        return
    for _, obj in graph.predicate_objects(node):
        if obj in (OWL.Restriction, OWL.Class, RDF.nil):
            continue
        yield from reachable_iris(graph, obj)


def unextract(text: str) -> str:
    """Undo the PDF text extraction: hyphenated line breaks, split ligatures, line breaks."""
    text = re.sub(r"-[ \t]*\n\s*", "", text)
    text = re.sub(r"(f[il]) (?=[a-z])", r"\1", text)
    return re.sub(r"\s+", " ", text)


def test_unextract_undoes_the_known_artefacts() -> None:
    raw = "It cannot be quanti-\nfi ed, to be infl uenced; the con-\ncept of  “soft power”.\n"
    expected = "It cannot be quantified, to be influenced; the concept of “soft power”. "
    assert unextract(raw) == expected


@pytest.mark.skipif(not PAPER.exists(), reason="the paper (../shared/paper) is not present")
def test_every_quote_occurs_verbatim_in_the_paper(onto: Graph) -> None:
    paper = unextract(PAPER.read_text(encoding="utf-8"))
    found = claims(onto)
    assert len(found) >= 100
    missing = [quote for _, quote, _ in found if quote not in paper]
    assert missing == []
    # the same check refuses a quote the paper does not contain
    assert "Soft power can be quantified" not in paper


def test_quotes_are_clean_text(onto: Graph) -> None:
    for _, quote, section in claims(onto):
        assert section in SECTIONS, (section, quote)
        assert quote == quote.strip() and "  " not in quote and "\n" not in quote, quote
        assert not re.search(r"\b(fi|fl) [a-z]|[a-z]- [a-z]", quote), quote


def test_every_claim_is_an_asserted_axiom(onto: Graph) -> None:
    reified = list(onto.subjects(RDF.type, OWL.Axiom))
    assert reified
    for axiom in reified:
        triple = (onto.value(axiom, OWL.annotatedSource), onto.value(axiom, OWL.annotatedProperty),
                  onto.value(axiom, OWL.annotatedTarget))
        assert triple in onto, triple
        marks = [(axiom, p, None) in onto for p in (CSP.paperQuote, CSP.projectAddition)]
        assert marks.count(True) == 1, triple


def test_a_term_is_either_the_papers_or_the_projects(onto: Graph) -> None:
    wrong = []
    for term in own_terms(onto):
        sections = list(onto.objects(term, CSP.paperSection))
        reasons = list(onto.objects(term, CSP.projectAddition))
        if len(sections) + len(reasons) != 1:
            wrong.append(f"{term}: {len(sections)} paper sections, {len(reasons)} reasons")
        for reason in reasons:
            if (reason, RDF.type, CSP.ProjectReason) not in onto:
                wrong.append(f"{term}: {reason} is not a csp:ProjectReason")
    assert wrong == []


def test_paper_sections_only_where_the_paper_says_it(onto: Graph) -> None:
    mentioned: dict[str, set[URIRef]] = {}
    for axiom, _, section in claims(onto):
        names = mentioned.setdefault(section, set())
        names.add(onto.value(axiom, OWL.annotatedSource))
        names.add(onto.value(axiom, OWL.annotatedProperty))
        names.update(reachable_iris(onto, onto.value(axiom, OWL.annotatedTarget)))
    unsupported = []
    for term in own_terms(onto):
        for value in onto.objects(term, CSP.paperSection):
            for section in (s.strip() for s in str(value).split(",")):
                if term not in mentioned.get(section, set()):
                    unsupported.append(f"{term} tagged {section} without a claim of {section}")
    assert unsupported == []


def test_section_check_catches_an_unsupported_tag(onto: Graph) -> None:
    # the measurement layer's terms are not in any claim: tagging one would be caught
    names = {onto.value(a, OWL.annotatedSource) for a, _, _ in claims(onto)}
    assert CSP.peerHardPowerBand not in names and CSP.Indicator not in names


def test_indicators_carry_no_paper_section() -> None:
    scheme = load_indicators()
    assert not list(scheme.subjects(CSP.paperSection, None))
    assert scheme.value(URIRef(SCHEME_IRI), CSP.projectAddition) == CSP.forMeasurement


def test_chinese_labels_are_marked_as_the_projects_translations(onto: Graph) -> None:
    assert (URIRef(ONTOLOGY_IRI), CSP.projectTranslation, Literal("zh")) in onto
    assert (URIRef(SCHEME_IRI), CSP.projectTranslation, Literal("zh")) in load_indicators()
    assert not [q for _, q, _ in claims(onto) if re.search(r"[\u4e00-\u9fff]", q)]


def test_no_chinese_label_names_two_disjoint_organiser_kinds(onto: Graph) -> None:
    def zh(term: URIRef) -> str:
        return next(str(v) for v in onto.objects(term, RDFS.label) if v.language == "zh")
    non_governmental = [zh(CSP.NonGovernmentalOrganiser), zh(CSP.NonGovernmentalActivity)]
    civilian = [zh(CSP.Civilians), zh(CSP.CivilianActivity)]
    assert all("非政府" in label for label in non_governmental)
    assert all(zh(CSP.Civilians) in label for label in civilian)
    assert not [label for label in non_governmental if zh(CSP.Civilians) in label]
    assert not [label for label in civilian if "非政府" in label]


# The claims the paper makes that the ontology once lacked or contradicted: each must be in CQ0.
EXPECTED_CLAIMS = [
    (CSP.SoftPower, "It cannot be quantified"),
    (CSP.HardPowerDimension, "the military equipment, the quantity of nuclear weapon"),
    (CSP.militaryDimension, "the quantity of nuclear weapon"),
    (CSP.SoftPower, "raised by Joseph S. Nye in the Bound to Lead"),
    (CSP.SoftPower, "The Means To Success in World Politics published in 2004"),
    (CSP.CityCulturalSoftPower, "the integration force of policy"),
    (CSP.CityCulturalSoftPower, "government public service"),
    (CSP.innovationBasedOnImitation, "the innovation based on the imitating may increase"),
    (CSP.LessonDrawing, "It cannot highlight the character by imitating simply"),
    (CSP.City, "Each city has its cultural advantage"),
    (CSP.City, "the humanist tradition"),
    (CSP.LessonDrawing, "take the actual situation and culture into consideration"),
    (CSP.NonGovernmentalActivity, "nongovernmental commercial activities"),
    (CSP.CivilianActivity, "the civilians\u2019 initiative cultural exhibition"),
    (CSP.Element, "We can divide the soft power of city culture to five"),
    (CSP.cohesion, "the cohesion of city culture is the core"),
]


def test_cq0_lists_the_claims_with_quote_and_section(onto: Graph) -> None:
    rows = run_query("cq00-paper-claims", onto)
    assert len(rows) == len(claims(onto))
    assert all(str(r["section"]) in SECTIONS for r in rows)
    assert str(rows[0]["section"]) == "abstract"
    for subject, words in EXPECTED_CLAIMS:
        assert any(r["subject"] == subject and words in str(r["quote"]) for r in rows), words
    policy = next(r for r in rows if "integration force of policy" in str(r["quote"]))
    assert (policy["expression"], policy["onProperty"], policy["filler"]) == (
        Literal("some"), CSP.hasComponent, CSP.PolicyPower)
    role = next(r for r in rows if str(r["quote"]) == "the cohesion of city culture is the core")
    assert (role["predicate"], role["object"], str(role["section"])) == (CSP.hasRole, CSP.core, "2")


def test_cq0_section_parameter(onto: Graph) -> None:
    rows = run_query("cq00-paper-claims", onto, {"section": Literal("3.3")})
    assert rows and {str(r["section"]) for r in rows} == {"3.3"}


def comparable(rows: list[dict]) -> list[tuple]:
    def term(value: object) -> str:
        if value is None or isinstance(value, BNode | ox.BlankNode):
            return ""
        return value.value if isinstance(value, ox.NamedNode | ox.Literal) else str(value)
    return sorted(tuple(term(r.get(k)) for k in sorted(r)) for r in rows)


def test_cq0_same_on_rdflib_and_oxigraph(onto: Graph) -> None:
    query = load_query("cq00-paper-claims")
    store = ox.Store()
    store.load(path=str(ontology_path()), format=ox.RdfFormat.TURTLE)
    for bindings in (None, {"section": Literal("2.4")}):
        text = bind_parameters(query.text, bindings)
        result = store.query(text)
        names = [v.value for v in result.variables]
        on_oxigraph = [{n: s[n] for n in names} for s in result]
        on_rdflib = [{str(k): v for k, v in r.items()} for r in onto.query(text).bindings]
        assert comparable(on_oxigraph) == comparable(
            [{n: r.get(n) for n in names} for r in on_rdflib])
        assert on_oxigraph


def test_element_indicators_are_proxies_and_hard_power_indicators_measures() -> None:
    scheme = load_indicators()
    elements = {CSP.cohesion, CSP.appeal, CSP.innovation, CSP.integrationForce, CSP.radiation}
    proxied = set(scheme.objects(None, CSP.proxyFor))
    measured = set(scheme.objects(None, CSP.measures))
    assert proxied == elements
    assert measured and not measured & elements
    assert all((m, SKOS.notation, None) in load_ontology() for m in measured)
