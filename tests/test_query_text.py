"""The scanner of SPARQL text: splitting an update request into its operations."""

from __future__ import annotations

from rdflib import Dataset

from cityculture.query_text import update_operations


def test_semicolons_in_strings_iris_and_comments_do_not_split() -> None:
    text = """PREFIX ex: <http://example.org/a;b#>
    # a comment; with a semicolon
    INSERT DATA { GRAPH ex:g { ex:a ex:b "x ; y" , '''long ; }''' } } ;
    PREFIX more: <http://example.org/more#>
    DELETE { ?s ex:b ?o } INSERT { ?s more:c ?o } WHERE { ?s ex:b ?o ; ex:d ?d } ;
    DROP SILENT GRAPH more:g ;
    """
    ops = update_operations(text)
    assert len(ops) == 3
    assert ops[0].startswith("PREFIX ex:") and ops[0].rstrip().endswith("} }")
    assert "PREFIX ex: <http://example.org/a;b#>" in ops[1]
    assert "PREFIX more: <http://example.org/more#>" in ops[1]
    assert ops[2].splitlines()[-1].strip() == "DROP SILENT GRAPH more:g"
    assert ops[2].count("PREFIX") == 2


def test_each_operation_runs_alone_and_together_they_do_what_the_request_does() -> None:
    text = """PREFIX ex: <http://example.org/>
    INSERT DATA { GRAPH ex:g { ex:a ex:b 1 . ex:a ex:b 2 } } ;
    DELETE { GRAPH ex:g { ?s ex:b ?o } } INSERT { GRAPH ex:g { ?s ex:c ?o } }
    WHERE { GRAPH ex:g { ?s ex:b ?o FILTER (?o > 1) } }"""
    whole, split = Dataset(), Dataset()
    whole.update(text)
    for op in update_operations(text):
        split.update(op)
    assert sorted(whole.quads()) == sorted(split.quads())
    assert len(sorted(split.quads())) == 2

