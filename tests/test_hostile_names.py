"""Text from submissions is data, never interpreted: city names that chart libraries would
read as TeX, and IRIs that a JSON-LD reader would take for compact IRIs."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from cityculture.cli import main
from cityculture.publish.jsonld import jsonld_bytes, jsonld_document

HEADER = "city_qid,city_name,country,indicator,year,value,unit,source"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
CSP = "https://w3id.org/cityculture/ontology/"
NAMES = [r"$\alert{x}$", r"$x^{$", r"$\frac{1}{0}$ and \$5", "$$", r"\textbf{bold}"]


def cc(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def submission(path: Path, name: str) -> Path:
    rows = [f'Q1001,"{name}",FR,CO-01,2023,10,NUM,test', "Q1002,Beta,FR,CO-01,2023,0,NUM,test",
            "Q1003,Gamma,DE,CO-01,2023,5,NUM,test"]
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("name", NAMES)
def test_tex_in_a_city_name_is_drawn_as_text(tmp_path: Path, name: str) -> None:
    data = submission(tmp_path / "tex.csv", name)
    assert cc("validate", data).exit_code == 0
    out = tmp_path / "out"
    result = cc("assess", data, "--out", out)
    assert result.exit_code == 0, result.output
    svg = next(out.glob("ranking-*.svg")).read_text(encoding="utf-8")
    # matplotlib writes each text as paths under a comment holding the text itself
    assert f"<!-- {name.replace('--', '- -')} -->" in svg.replace("&amp;", "&") or name in svg


@pytest.mark.publishes
def test_tex_in_a_city_name_does_not_stop_publishing(tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert cc("load", submission(tmp_path / "tex.csv", NAMES[0]), "--store", store
              ).exit_code == 0
    assert cc("assess", "--store", store).exit_code == 0
    result = cc("publish", tmp_path / "site", "--store", store)
    assert result.exit_code == 0, result.output
    assert list((tmp_path / "site").rglob("*.svg"))


HOSTILE_IRIS = [
    ox.Triple(ox.NamedNode(f"{CSP}x"), ox.NamedNode(f"{RDFS}label"), ox.Literal("Paris")),
    ox.Triple(ox.NamedNode(f"{CSP}x"), ox.NamedNode("rdfs:label"), ox.Literal("Fake")),
    ox.Triple(ox.NamedNode(f"{CSP}x"), ox.NamedNode("csp:name"), ox.NamedNode("rdfs:Class")),
    ox.Triple(ox.NamedNode("csp:y"), ox.NamedNode("urn:isbn:p"),
              ox.Literal("1", datatype=ox.NamedNode("rdfs:dt"))),
]
PREFIXES = {"rdfs": RDFS, "csp": CSP}


def test_jsonld_keys_mean_what_they_were_written_for() -> None:
    document = jsonld_document(HOSTILE_IRIS, PREFIXES)
    keys = {key for node in document["@graph"] for key in node}
    assert "rdfs:label" not in keys and "csp:name" not in keys
    assert all(key.startswith("@") or key in document["@context"] or "://" in key
               or key.split(":")[0] in document["@context"] for key in keys)
    parsed = Graph().parse(data=jsonld_bytes(HOSTILE_IRIS, PREFIXES), format="json-ld")
    expected = Graph().parse(data=ox.serialize(HOSTILE_IRIS, format=ox.RdfFormat.N_TRIPLES),
                             format="nt")
    assert isomorphic(parsed, expected)
    labels = set(parsed.objects(URIRef(f"{CSP}x"), URIRef(f"{RDFS}label")))
    assert {str(label) for label in labels} == {"Paris"}


def test_jsonld_without_hostile_iris_keeps_its_compact_keys() -> None:
    document = jsonld_document(HOSTILE_IRIS[:1], PREFIXES)
    assert document["@context"] == PREFIXES
    assert "rdfs:label" in document["@graph"][0]


@pytest.mark.publishes
def test_a_published_twin_does_not_take_a_hostile_predicate_for_the_name(tmp_path: Path
                                                                         ) -> None:
    data = tmp_path / "names.ttl"
    data.write_text("<https://w3id.org/cityculture/city/Q90> <rdfs:label> \"Fake name\" ;\n"
                    f"  <{RDFS}label> \"Paris\" .\n", encoding="utf-8")
    store = tmp_path / "store"
    result = cc("load", data, "--store", store)
    if result.exit_code != 0:
        pytest.skip(f"the shapes refuse this submission: {result.output.strip()}")
    assert cc("publish", tmp_path / "site", "--store", store).exit_code == 0
    twins = [p for p in (tmp_path / "site").rglob("*.jsonld")
             if b"Fake name" in p.read_bytes() and p.parent.name == "city"]
    assert twins
    for twin in twins:
        document = json.loads(twin.read_text(encoding="utf-8"))
        assert all("rdfs:label" not in node or "Fake name" not in json.dumps(node["rdfs:label"])
                   for node in document["@graph"])
        parsed = Graph().parse(data=twin.read_bytes(), format="json-ld")
        labels = {str(o) for o in parsed.objects(None, URIRef(f"{RDFS}label"))}
        assert "Paris" in labels and "Fake name" not in labels
