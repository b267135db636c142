"""SPARQL injection: a hostile city name through every command that takes a parameter.

The name is full of quotes, braces, ``}``, ``;`` and ``DROP ALL``. Through each command it is
either refused before any query runs (it is not an IRI, an integer, a graph name...) or bound
as one typed literal in a lookup; the store is never changed, and every query that ran is
recorded and checked: the name appears in it only inside one escaped string literal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from rdflib import Literal

from cityculture.cli import main
from cityculture.queries import sparql_term
from cityculture.store.backends import OxigraphBackend, RdflibBackend
from cityculture.store.remote import RemoteBackend

DATA = Path(__file__).resolve().parent / "data"
EVIL = ('Bei"jing"} ; DROP ALL ; INSERT DATA { GRAPH <urn:x> { <urn:a> <urn:b> "c" } } '
        '#\n\t\\ {}\'; }')
ESCAPED = sparql_term(Literal(EVIL))


def cc(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture()
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    """Record every query and update any backend sends (what the store actually receives)."""
    sent: list[tuple[str, str]] = []
    for cls in (OxigraphBackend, RdflibBackend, RemoteBackend):
        for method in ("select", "ask"):
            original = getattr(cls, method)

            def spy(self: object, query: str, bindings: object = None, *,
                    _original: object = original, _kind: str = method) -> object:
                from cityculture.store.backends import bind_values

                sent.append((_kind, bind_values(query, bindings)))  # type: ignore[arg-type]
                return _original(self, query, bindings)  # type: ignore[operator]

            monkeypatch.setattr(cls, method, spy)
        original_update = cls.update

        def spy_update(self: object, update: str, *, _original: object = original_update) -> None:
            sent.append(("update", update))
            _original(self, update)  # type: ignore[operator]

        monkeypatch.setattr(cls, "update", spy_update)
    # a user's query on the embedded store runs in a process without network: record its text
    import cityculture.store.offline_query as offline_query

    run_offline = offline_query.run_without_network

    def spy_offline(function: object, *args: object) -> object:
        sent.append(("select", str(args[2])))  # (path, nquads, query text, union)
        return run_offline(function, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(offline_query, "run_without_network", spy_offline)
    yield sent


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("injection") / "store"
    assert cc("load", DATA / "tiny-cities.csv", "--store", path).exit_code == 0
    assert cc("assess", "--store", path, "--framework", DATA / "tiny-framework.ttl"
              ).exit_code == 0
    with OxigraphBackend(path) as opened:
        run = next(n for n in opened.graph_names() if "/run/" in n)
    return path, run


def _dump(path: Path) -> bytes:
    with OxigraphBackend(path) as opened:
        return opened.dump_nquads()


def _only_as_literal(sent: list[tuple[str, str]]) -> None:
    """Wherever the name reached a query, it is one escaped literal, and no update ran."""
    assert not [q for kind, q in sent if kind == "update"]
    for _, query in sent:
        if "jing" in query:
            assert ESCAPED in query
            assert "DROP ALL" not in query.replace(ESCAPED, "")


CASES = {
    # command line -> what must happen (exit code, text in the output)
    "query, a label lookup (IRI parameter)": (
        ["query", "cq04-city-scores", "--param", "run={run}", "--param", f"city={EVIL}"],
        2, "no resource is labelled"),
    "query, a string parameter": (
        ["query", "cq11-failed-validations", "--param", f"file={EVIL}"], 0, ""),
    "query, an integer parameter": (
        ["query", "cq04-city-scores", "--param", "run={run}", "--param", f"year={EVIL}"],
        2, "not an integer"),
    "query, an undeclared parameter": (
        ["query", "cq04-city-scores", "--param", "run={run}", "--param", f"x={EVIL}"],
        2, "has no parameter 'x'"),
    "query, a parameter name": (
        ["query", "cq04-city-scores", "--param", "run={run}", "--param", f"{EVIL}=1"],
        2, "has no parameter"),
    "compare, run names": (["compare", EVIL, "{run}"], 2, "no resource is labelled"),
    "assess, the year": (["assess", "--year", EVIL], 2, "is not a valid integer"),
    "assess, the framework": (["assess", "--framework", EVIL], 2, "framework"),
    "push, a graph name": (["push", EVIL, "--endpoint", "http://127.0.0.1:9/x"], 2, "graph"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_hostile_name_changes_nothing(case: str, store: tuple[Path, str],
                                        recorded: list[tuple[str, str]]) -> None:
    path, run = store
    args, code, message = CASES[case]
    before = _dump(path)
    result = cc(*[a.replace("{run}", run) if isinstance(a, str) and "{run}" in a else a
                  for a in args], "--store", path)
    assert result.exit_code == code, result.output
    assert message in result.output
    _only_as_literal(recorded)
    assert _dump(path) == before


def test_the_lookup_is_the_only_query_and_binds_one_literal(
        store: tuple[Path, str], recorded: list[tuple[str, str]]) -> None:
    path, run = store
    cc("query", "cq04-city-scores", "--store", path, "--param", f"run={run}",
       "--param", f"city={EVIL}")
    lookups = [q for _, q in recorded if "jing" in q]
    assert len(lookups) == 1
    values = re.search(r"BIND \((.*) AS \?text\)", lookups[0], re.DOTALL)
    assert values is not None and values.group(1) == ESCAPED


def test_a_hostile_submitting_body_is_stored_as_text(tmp_path: Path) -> None:
    path = tmp_path / "store"
    result = cc("load", DATA / "tiny-cities.csv", "--store", path, "--body", EVIL)
    assert result.exit_code == 0, result.output
    ask = tmp_path / "body.rq"
    ask.write_text("# Which agents submitted data?\n# Parameters: none.\n"
                   "SELECT ?name WHERE { GRAPH ?g { ?agent a "
                   "<http://www.w3.org/ns/prov#Agent> ; "
                   "<http://www.w3.org/2000/01/rdf-schema#label> ?name } }\n", encoding="utf-8")
    names = cc("query", ask, "--store", path, "--format", "json")
    bindings = json.loads(names.stdout)["results"]["bindings"]
    assert [b["name"]["value"] for b in bindings] == [EVIL]
    with OxigraphBackend(path) as opened:
        stored = [g for g in opened.graph_names() if "/graph/model" not in g]
        assert len(stored) == 1  # the submission, beside the model graphs


def test_a_hostile_name_on_a_server(oxigraph_server_url: str,
                                    recorded: list[tuple[str, str]]) -> None:
    server = ("--endpoint", oxigraph_server_url, "--server", "oxigraph")
    backend = RemoteBackend.for_oxigraph_server(oxigraph_server_url)
    existing = set(backend.graph_names())
    try:
        assert cc("load", DATA / "tiny-cities.csv", *server).exit_code == 0
        before = cc("query", DATA / "count-observations.rq", *server, "--param", "city=Alpha",
                    "--format", "csv").stdout
        result = cc("query", DATA / "count-observations.rq", *server, "--param",
                    f"city={EVIL}")
        assert result.exit_code == 2 and "no resource is labelled" in result.output
        _only_as_literal(recorded)
        after = cc("query", DATA / "count-observations.rq", *server, "--param", "city=Alpha",
                   "--format", "csv").stdout
        assert before == after and before.splitlines()[1] != "0"
    finally:  # the server is shared by the session: leave it as it was
        for graph in set(backend.graph_names()) - existing:
            backend.drop_graph(graph)
        backend.close()
