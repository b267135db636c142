"""Safe parsing of submitted RDF files (cityculture.ingest.rdf_input)."""

from __future__ import annotations

import json
import pickle
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from rdflib import OWL, RDF, BNode, Literal, URIRef

from cityculture.ingest.rdf_input import RDF_SUFFIXES, UnsafeOrInvalidRDF, parse_rdf

EX = "http://example.org/"
CSP = "https://w3id.org/cityculture/ontology#"
XSD_DECIMAL = URIRef("http://www.w3.org/2001/XMLSchema#decimal")
XSD_INTEGER = URIRef("http://www.w3.org/2001/XMLSchema#integer")

TURTLE = f"""\
@prefix ex: <{EX}> .
@prefix csp: <{CSP}> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

ex:obs1 a csp:Observation ;
    csp:value "12.5"^^xsd:decimal ;
    csp:label "Museums"@en , "plain" ;
    csp:city [ csp:name "Lyon" ] .
ex:obs2 csp:related _:x .
ex:obs3 csp:related _:x .
<rel> csp:value 3 .
"""

NTRIPLES = f"""\
<{EX}a> <{EX}p> <{EX}b> .
<{EX}a> <{EX}q> "quarante-deux"@fr .
<{EX}a> <{EX}r> "42"^^<http://www.w3.org/2001/XMLSchema#integer> .
"""

JSONLD = {
    "@context": {"ex": EX, "csp": CSP, "value": {"@id": "csp:value", "@type": "xsd:decimal"},
                 "xsd": "http://www.w3.org/2001/XMLSchema#"},
    "@graph": [
        {"@id": "ex:obs1", "@type": "csp:Observation", "value": "12.5",
         "csp:label": {"@value": "Museums", "@language": "en"}},
        {"@id": "ex:obs2", "csp:city": {"@id": "ex:Lyon"}},
    ],
}

RDFXML = f"""\
<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:csp="{CSP}">
  <csp:Observation rdf:about="{EX}obs1">
    <csp:label xml:lang="en">Museums</csp:label>
    <csp:value rdf:datatype="http://www.w3.org/2001/XMLSchema#decimal">12.5</csp:value>
  </csp:Observation>
</rdf:RDF>
"""

BILLION_LAUGHS = """\
<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:ex="http://example.org/">
  <rdf:Description rdf:about="http://example.org/a"><ex:p>&lol9;</ex:p></rdf:Description>
</rdf:RDF>
"""


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def jsonld_file(tmp_path: Path, document: object, name: str = "sub.jsonld") -> Path:
    return write(tmp_path, name, json.dumps(document))


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Make every connection attempt fail loudly, and record it."""
    attempts: list[object] = []

    def refuse_connect(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise AssertionError(f"network connection attempted to {address!r}")

    def refuse_urlopen(url: object, *args: object, **kwargs: object) -> None:
        attempts.append(url)
        raise AssertionError(f"urlopen attempted for {url!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse_connect)
    monkeypatch.setattr(socket, "create_connection", refuse_connect)
    monkeypatch.setattr(urllib.request, "urlopen", refuse_urlopen)
    return attempts


# --- valid files -----------------------------------------------------------------------------


def test_suffix_table() -> None:
    assert RDF_SUFFIXES == {".ttl": "turtle", ".nt": "nt", ".jsonld": "json-ld",
                            ".json": "json-ld", ".rdf": "xml", ".owl": "xml", ".xml": "xml"}


def test_turtle_parses_to_expected_triples(tmp_path: Path, no_network: list[object]) -> None:
    graph = parse_rdf(write(tmp_path, "sub.ttl", TURTLE))
    assert len(graph) == 9
    obs1 = URIRef(f"{EX}obs1")
    assert (obs1, RDF.type, URIRef(f"{CSP}Observation")) in graph
    assert (obs1, URIRef(f"{CSP}value"), Literal("12.5", datatype=XSD_DECIMAL)) in graph
    assert (obs1, URIRef(f"{CSP}label"), Literal("Museums", lang="en")) in graph
    # xsd:string literals come out as plain rdflib literals, as rdflib's own parsers make them
    assert (obs1, URIRef(f"{CSP}label"), Literal("plain")) in graph
    city = graph.value(obs1, URIRef(f"{CSP}city"))
    assert isinstance(city, BNode)
    assert graph.value(city, URIRef(f"{CSP}name")) == Literal("Lyon")
    # the same blank node label is the same node
    x2 = graph.value(URIRef(f"{EX}obs2"), URIRef(f"{CSP}related"))
    x3 = graph.value(URIRef(f"{EX}obs3"), URIRef(f"{CSP}related"))
    assert isinstance(x2, BNode)
    assert x2 == x3
    # relative IRIs resolve against the file's own location (an IRI; nothing else is read)
    rel = URIRef((tmp_path / "rel").resolve().as_uri())
    assert (rel, URIRef(f"{CSP}value"), Literal(3)) in graph
    assert no_network == []


def test_ntriples_parses_to_expected_triples(tmp_path: Path) -> None:
    graph = parse_rdf(write(tmp_path, "sub.nt", NTRIPLES))
    assert len(graph) == 3
    a = URIRef(f"{EX}a")
    assert (a, URIRef(f"{EX}p"), URIRef(f"{EX}b")) in graph
    assert (a, URIRef(f"{EX}q"), Literal("quarante-deux", lang="fr")) in graph
    assert (a, URIRef(f"{EX}r"), Literal("42", datatype=XSD_INTEGER)) in graph


def test_jsonld_with_inline_context_parses(tmp_path: Path, no_network: list[object]) -> None:
    graph = parse_rdf(jsonld_file(tmp_path, JSONLD))
    assert len(graph) == 4
    obs1 = URIRef(f"{EX}obs1")
    assert (obs1, RDF.type, URIRef(f"{CSP}Observation")) in graph
    assert (obs1, URIRef(f"{CSP}value"), Literal("12.5", datatype=XSD_DECIMAL)) in graph
    assert (obs1, URIRef(f"{CSP}label"), Literal("Museums", lang="en")) in graph
    assert (URIRef(f"{EX}obs2"), URIRef(f"{CSP}city"), URIRef(f"{EX}Lyon")) in graph
    assert no_network == []


def test_json_suffix_is_jsonld(tmp_path: Path) -> None:
    graph = parse_rdf(jsonld_file(tmp_path, JSONLD, name="sub.json"))
    assert len(graph) == 4


def test_rdfxml_parses_to_expected_triples(tmp_path: Path) -> None:
    graph = parse_rdf(write(tmp_path, "sub.rdf", RDFXML))
    assert len(graph) == 3
    obs1 = URIRef(f"{EX}obs1")
    assert (obs1, RDF.type, URIRef(f"{CSP}Observation")) in graph
    assert (obs1, URIRef(f"{CSP}value"), Literal("12.5", datatype=XSD_DECIMAL)) in graph
    assert (obs1, URIRef(f"{CSP}label"), Literal("Museums", lang="en")) in graph


@pytest.mark.parametrize("suffix", [".owl", ".xml", ".RDF"])
def test_other_xml_suffixes(tmp_path: Path, suffix: str) -> None:
    assert len(parse_rdf(write(tmp_path, f"sub{suffix}", RDFXML))) == 3


def test_bom_prefixed_turtle_parses(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.ttl", b"\xef\xbb\xbf" + TURTLE.encode("utf-8"))
    graph = parse_rdf(path)
    assert len(graph) == 9
    assert (URIRef(f"{EX}obs1"), RDF.type, URIRef(f"{CSP}Observation")) in graph


def test_bom_prefixed_jsonld_parses(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.jsonld", b"\xef\xbb\xbf" + json.dumps(JSONLD).encode())
    assert len(parse_rdf(path)) == 4


# --- owl:imports is never followed ----------------------------------------------------------


def test_owl_imports_is_kept_and_not_followed(tmp_path: Path, no_network: list[object]) -> None:
    path = write(tmp_path, "imports.ttl",
                 "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
                 "<http://example.org/onto> owl:imports <http://127.0.0.1:9/x.ttl> .\n")
    graph = parse_rdf(path)
    assert set(graph) == {
        (URIRef("http://example.org/onto"), OWL.imports, URIRef("http://127.0.0.1:9/x.ttl")),
    }
    assert no_network == []


def test_owl_imports_in_rdfxml_not_followed(tmp_path: Path, no_network: list[object]) -> None:
    path = write(tmp_path, "imports.owl",
                 '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"\n'
                 '         xmlns:owl="http://www.w3.org/2002/07/owl#">\n'
                 '  <owl:Ontology rdf:about="http://example.org/onto">\n'
                 '    <owl:imports rdf:resource="http://127.0.0.1:9/x.owl"/>\n'
                 "  </owl:Ontology>\n</rdf:RDF>\n")
    graph = parse_rdf(path)
    assert len(graph) == 2
    assert (URIRef("http://example.org/onto"), OWL.imports,
            URIRef("http://127.0.0.1:9/x.owl")) in graph
    assert no_network == []


# --- syntax errors ----------------------------------------------------------------------------


def test_turtle_syntax_error_reports_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.ttl",
                 "@prefix ex: <http://example.org/> .\n"
                 "ex:a ex:b ex:c .\n"
                 "ex:a ex:b ex:c ex:d .\n")
    with pytest.raises(UnsafeOrInvalidRDF) as info:
        parse_rdf(path)
    err = info.value
    assert err.line == 3
    assert err.column == 16
    assert err.path == path
    assert "dot is expected" in err.message
    assert str(err).startswith("bad.ttl: line 3, column 16: ")
    assert "\n" not in str(err)


def test_turtle_unterminated_string_reports_start(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.ttl", '<a> <b> <c> .\n<a> <b> "open\n<a> <b> <c> .\n')
    with pytest.raises(UnsafeOrInvalidRDF) as info:
        parse_rdf(path)
    assert info.value.line == 2
    assert info.value.column == 9


def test_ntriples_syntax_error_reports_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.nt", NTRIPLES + f"<{EX}a> <{EX}p> .\n")
    with pytest.raises(UnsafeOrInvalidRDF) as info:
        parse_rdf(path)
    assert info.value.line == 4
    assert str(info.value).startswith("bad.nt: line 4, column ")


def test_jsonld_syntax_error_reports_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.jsonld", '{\n  "@id": "http://example.org/a",\n  "x": ,\n}\n')
    with pytest.raises(UnsafeOrInvalidRDF) as info:
        parse_rdf(path)
    assert info.value.line == 3
    assert info.value.column == 8
    assert str(info.value).startswith("bad.jsonld: line 3, column 8: invalid JSON")


def test_rdfxml_syntax_error_reports_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.rdf",
                 '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
                 '<rdf:Description rdf:about="http://example.org/a">\n'
                 "</rdf:RDF>\n")
    with pytest.raises(UnsafeOrInvalidRDF) as info:
        parse_rdf(path)
    assert info.value.line == 3
    assert "mismatched tag" in info.value.message


def test_rdfxml_rdf_error_reports_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.rdf",
                 '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"\n'
                 '         xmlns:ex="http://example.org/">\n'
                 '<rdf:Description rdf:about="http://example.org/a"><ex:p rdf:li="x"/>'
                 "</rdf:Description>\n</rdf:RDF>\n")
    with pytest.raises(UnsafeOrInvalidRDF) as info:
        parse_rdf(path)
    assert info.value.line == 3
    assert info.value.column == 51
    assert "rdf:" in info.value.message or "rdf-syntax-ns#li" in info.value.message


def test_turtle_triple_terms_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "star.ttl", "<http://e/a> <http://e/b> <<( <http://e/a> "
                                       "<http://e/b> <http://e/c> )>> .\n")
    with pytest.raises(UnsafeOrInvalidRDF, match="triple term"):
        parse_rdf(path)


# --- JSON-LD contexts by reference -----------------------------------------------------------


def test_jsonld_remote_context_refused(tmp_path: Path, no_network: list[object]) -> None:
    doc = {"@context": "http://127.0.0.1:9/ctx.jsonld", "@id": "http://example.org/a",
           "name": "x"}
    with pytest.raises(UnsafeOrInvalidRDF) as info:
        parse_rdf(jsonld_file(tmp_path, doc))
    assert info.value.message == ("remote or file @context http://127.0.0.1:9/ctx.jsonld "
                                  "refused: embed the context inline")
    assert no_network == []


def test_jsonld_context_array_with_url_refused(tmp_path: Path, no_network: list[object]) -> None:
    doc = {"@context": ["https://schema.org/", {"ex": EX}], "@id": "ex:a", "name": "x"}
    with pytest.raises(UnsafeOrInvalidRDF, match=r"@context https://schema\.org/ refused"):
        parse_rdf(jsonld_file(tmp_path, doc))
    assert no_network == []


def test_jsonld_file_context_refused(tmp_path: Path) -> None:
    doc = {"@context": "file:///etc/passwd", "@id": "http://example.org/a"}
    with pytest.raises(UnsafeOrInvalidRDF, match="file:///etc/passwd refused"):
        parse_rdf(jsonld_file(tmp_path, doc))


def test_jsonld_relative_context_refused(tmp_path: Path) -> None:
    (tmp_path / "ctx.jsonld").write_text('{"@context": {"ex": "http://example.org/"}}')
    doc = {"@context": "ctx.jsonld", "@id": "ex:a", "ex:p": "x"}
    with pytest.raises(UnsafeOrInvalidRDF, match=r"@context ctx\.jsonld refused"):
        parse_rdf(jsonld_file(tmp_path, doc))


def test_jsonld_nested_context_refused(tmp_path: Path, no_network: list[object]) -> None:
    doc = {
        "@context": {"ex": EX},
        "@graph": [{"@id": "ex:a",
                    "ex:knows": {"@context": ["http://127.0.0.1:9/nested.jsonld"],
                                 "@id": "ex:b"}}],
    }
    with pytest.raises(UnsafeOrInvalidRDF, match=r"nested\.jsonld refused"):
        parse_rdf(jsonld_file(tmp_path, doc))
    assert no_network == []


def test_jsonld_scoped_context_by_reference_refused(tmp_path: Path) -> None:
    doc = {"@context": {"ex": EX, "knows": {"@id": "ex:knows",
                                            "@context": "https://example.org/scoped"}},
           "@id": "ex:a", "knows": {"@id": "ex:b"}}
    with pytest.raises(UnsafeOrInvalidRDF, match="scoped refused"):
        parse_rdf(jsonld_file(tmp_path, doc))


def test_jsonld_import_refused(tmp_path: Path, no_network: list[object]) -> None:
    doc = {"@context": {"@version": 1.1, "@import": "http://127.0.0.1:9/ctx.jsonld"},
           "@id": "http://example.org/a"}
    with pytest.raises(UnsafeOrInvalidRDF, match="@import"):
        parse_rdf(jsonld_file(tmp_path, doc))
    assert no_network == []


def test_jsonld_duplicate_context_key_checked_as_parsed(tmp_path: Path) -> None:
    # json keeps the last duplicate; that is the value checked and the value parsed
    text = ('{"@context": {"ex": "http://example.org/"}, '
            '"@context": "http://127.0.0.1:9/ctx.jsonld", "@id": "ex:a"}')
    with pytest.raises(UnsafeOrInvalidRDF, match="refused"):
        parse_rdf(write(tmp_path, "dup.jsonld", text))


@pytest.mark.parametrize("text", [
    "[" * 10_000 + "]" * 10_000,
    '{"a":' * 10_000 + "1" + "}" * 10_000,
    '{"@context": {"ex": "http://example.org/"}, "ex:p": ' + "[" * 100_000,  # never closed
])
def test_jsonld_deep_nesting_refused_quickly(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "deep.jsonld", text)
    start = time.perf_counter()
    with pytest.raises(UnsafeOrInvalidRDF, match="limit of 64 levels"):
        parse_rdf(path)
    assert time.perf_counter() - start < 2.0


def test_jsonld_depth_limit_is_configurable(tmp_path: Path) -> None:
    doc = {"@context": {"ex": EX}, "@id": "ex:a", "ex:p": {"ex:q": {"ex:r": {"@id": "ex:b"}}}}
    path = jsonld_file(tmp_path, doc)
    assert len(parse_rdf(path)) == 3
    with pytest.raises(UnsafeOrInvalidRDF, match="limit of 3 levels"):
        parse_rdf(path, max_jsonld_depth=3)


def test_jsonld_brackets_inside_strings_do_not_count(tmp_path: Path) -> None:
    doc = {"@context": {"ex": EX}, "@id": "ex:a", "ex:p": "[[[[{{{{" * 100 + '\\"]'}
    graph = parse_rdf(jsonld_file(tmp_path, doc), max_jsonld_depth=4)
    assert graph.value(URIRef(f"{EX}a"), URIRef(f"{EX}p")) == Literal("[[[[{{{{" * 100 + '\\"]')


# --- RDF/XML entities --------------------------------------------------------------------------


BILLION_LAUGHS_CHILD = """\
import sys, time
try:
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
except (ImportError, ValueError, OSError):
    pass
from pathlib import Path
from cityculture.ingest.rdf_input import UnsafeOrInvalidRDF, parse_rdf
start = time.perf_counter()
try:
    parse_rdf(Path(sys.argv[1]))
except UnsafeOrInvalidRDF as exc:
    print(f"{time.perf_counter() - start:.3f}", exc.line, exc.message, sep="\\t")
else:
    print("parsed")
"""


def test_rdfxml_billion_laughs_refused_quickly(tmp_path: Path) -> None:
    # in a child process, so that a regression fails the test instead of hanging the run
    path = write(tmp_path, "lol.rdf", BILLION_LAUGHS)
    try:
        done = subprocess.run([sys.executable, "-c", BILLION_LAUGHS_CHILD, str(path)],
                              capture_output=True, text=True, timeout=30,
                              cwd=Path(__file__).resolve().parent.parent)
    except subprocess.TimeoutExpired:
        pytest.fail("parsing the billion-laughs document did not stop within 30 s")
    assert done.returncode == 0, done.stderr
    elapsed, line, message = done.stdout.strip().split("\t")
    assert float(elapsed) < 1.0
    assert line == "2"
    assert message == "DOCTYPE/entity declarations are refused in RDF/XML"


def test_rdfxml_external_entity_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "xxe.rdf",
                 '<?xml version="1.0"?>\n'
                 '<!DOCTYPE rdf:RDF [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>\n'
                 '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"\n'
                 '         xmlns:ex="http://example.org/">\n'
                 '  <rdf:Description rdf:about="http://example.org/a">'
                 "<ex:p>&xxe;</ex:p></rdf:Description>\n"
                 "</rdf:RDF>\n")
    with pytest.raises(UnsafeOrInvalidRDF, match="DOCTYPE/entity declarations are refused"):
        parse_rdf(path)


def test_rdfxml_entity_without_doctype_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "ent.xml", RDFXML.replace("<rdf:RDF", '<!ENTITY x "y">\n<rdf:RDF'))
    with pytest.raises(UnsafeOrInvalidRDF, match="DOCTYPE/entity"):
        parse_rdf(path)


def test_rdfxml_utf16_declaration_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "enc.rdf", RDFXML.replace('encoding="UTF-8"', 'encoding="UTF-16"'))
    with pytest.raises(UnsafeOrInvalidRDF, match="UTF-8"):
        parse_rdf(path)


def test_rdfxml_utf16_without_bom_refused(tmp_path: Path) -> None:
    # bytes that are valid UTF-8 (NULs) but that expat would read as UTF-16, hiding a DOCTYPE
    path = write(tmp_path, "u16.rdf", BILLION_LAUGHS.encode("utf-16-le"))
    with pytest.raises(UnsafeOrInvalidRDF, match="NUL character"):
        parse_rdf(path)


# --- limits and encoding -------------------------------------------------------------------------


def test_oversized_file_refused_before_reading(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "big.ttl", TURTLE)
    size = path.stat().st_size

    def no_open(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was opened")

    monkeypatch.setattr(Path, "open", no_open)
    with pytest.raises(UnsafeOrInvalidRDF) as info:
        parse_rdf(path, max_bytes=100)
    assert "limit of 100 bytes" in info.value.message
    assert str(size) in info.value.message


def test_file_at_the_limit_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "exact.nt", NTRIPLES)
    assert len(parse_rdf(path, max_bytes=path.stat().st_size)) == 3


def test_empty_file_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsafeOrInvalidRDF, match="empty"):
        parse_rdf(write(tmp_path, "empty.ttl", b""))
    with pytest.raises(UnsafeOrInvalidRDF, match="empty"):
        parse_rdf(write(tmp_path, "bomonly.ttl", b"\xef\xbb\xbf"))


def test_missing_file_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsafeOrInvalidRDF, match="not a regular file"):
        parse_rdf(tmp_path / "missing.ttl")


def test_long_literal_refused_naming_subject(tmp_path: Path) -> None:
    path = write(tmp_path, "long.ttl", f'<{EX}s> <{EX}p> "{"x" * 101}" .\n')
    with pytest.raises(UnsafeOrInvalidRDF) as info:
        parse_rdf(path, max_literal_chars=100)
    assert f"<{EX}s>" in info.value.message
    assert "101 characters" in info.value.message
    assert len(parse_rdf(path, max_literal_chars=101)) == 1


def test_long_literal_refused_in_jsonld(tmp_path: Path) -> None:
    doc = {"@id": f"{EX}s", f"{EX}p": "y" * 50}
    with pytest.raises(UnsafeOrInvalidRDF, match=f"<{EX}s>"):
        parse_rdf(jsonld_file(tmp_path, doc), max_literal_chars=49)


def test_latin1_refused_naming_utf8(tmp_path: Path) -> None:
    content = f'<{EX}s> <{EX}p> "ok" .\n<{EX}s> <{EX}p> "Orléans" .\n'.encode("latin-1")
    with pytest.raises(UnsafeOrInvalidRDF) as info:
        parse_rdf(write(tmp_path, "latin1.nt", content))
    assert "UTF-8" in info.value.message
    assert info.value.line == 2
    assert info.value.column == len(f'<{EX}s> <{EX}p> "Orl') + 1


@pytest.mark.parametrize("text", ['"just a string"', "42", "null"])
def test_jsonld_scalar_document_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(UnsafeOrInvalidRDF, match="must be a JSON object or array"):
        parse_rdf(write(tmp_path, "scalar.jsonld", text))


def test_unknown_suffix_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsafeOrInvalidRDF, match=r"unknown RDF format '\.n3'"):
        parse_rdf(write(tmp_path, "sub.n3", TURTLE))


def test_error_message_format() -> None:
    full = UnsafeOrInvalidRDF(Path("/some/dir/x.ttl"), "bad\nthing", line=3, column=14)
    assert str(full) == "x.ttl: line 3, column 14: bad thing"
    assert str(UnsafeOrInvalidRDF(Path("x.ttl"), "m", line=3)) == "x.ttl: line 3: m"
    assert str(UnsafeOrInvalidRDF(Path("x.ttl"), "m")) == "x.ttl: m"
    assert full.line == 3
    assert full.column == 14
    assert full.message == "bad thing"
    again = pickle.loads(pickle.dumps(full))
    assert (again.path, again.message, again.line, again.column) == (
        Path("/some/dir/x.ttl"), "bad thing", 3, 14)
    assert str(again) == str(full)
