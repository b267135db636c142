"""The store commands: load, query, compare, push and pull, on the embedded store and servers.

Expected answers come from the hand-checked tiny dataset (tests/data/tiny-cities.csv with
tests/data/tiny-framework.ttl; see tests/test_cq04_to_cq12.py for the arithmetic).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from cityculture.cli import main, rounded
from cityculture.ingest.reader import read_submission
from cityculture.model import MODEL_GRAPH
from cityculture.pipeline import store_submissions
from cityculture.store.backends import OxigraphBackend, RdflibBackend
from cityculture.store.results import dataframe, select
from tests.servers import VirtuosoEndpoints, free_port

DATA = Path(__file__).resolve().parent / "data"
TINY = DATA / "tiny-cities.csv"
FRAMEWORK = DATA / "tiny-framework.ttl"
ALPHA = "https://w3id.org/cityculture/city/Q1001"
GAMMA = "https://w3id.org/cityculture/city/Q1003"
DELTA = "https://w3id.org/cityculture/city/Q1004"


def cc(*args: object) -> Result:
    """Run the command in-process; the result keeps stdout and stderr apart."""
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def dump(store: Path) -> bytes:
    with OxigraphBackend(store) as opened:
        return opened.dump_nquads()


def sparql_json_rows(text: str) -> list[dict[str, str]]:
    """Rows of a SPARQL 1.1 JSON result as variable -> value."""
    document = json.loads(text)
    assert set(document) == {"head", "results"}
    return [{k: v["value"] for k, v in b.items()} for b in document["results"]["bindings"]]


def latest_run(store: Path) -> str:
    result = cc("query", "list-runs", "--store", store, "--format", "json")
    assert result.exit_code == 0, result.output
    return sparql_json_rows(result.stdout)[0]["run"]


@pytest.fixture()
def loaded(tmp_path: Path) -> Path:
    store = tmp_path / "store"
    result = cc("load", TINY, "--store", store, "--body", "Test statistics office")
    assert result.exit_code == 0, result.output
    return store


@pytest.fixture()
def assessed(loaded: Path) -> tuple[Path, str]:
    result = cc("assess", "--store", loaded, "--framework", FRAMEWORK)
    assert result.exit_code == 0, result.output
    return loaded, latest_run(loaded)


def test_load_stores_the_data_and_the_model(loaded: Path) -> None:
    with OxigraphBackend(loaded) as store:
        names = store.graph_names()
    assert MODEL_GRAPH in names and MODEL_GRAPH + "/indicators" in names
    assert sum(n.startswith("https://w3id.org/cityculture/submission/") for n in names) == 1
    # The store answers CQ1 on its own (the default graph is the union of all graphs).
    result = cc("query", "cq01-elements-and-roles", "--store", loaded, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["notation"] for r in rows] == ["CO", "AP", "IN", "IF", "RA"]


def test_load_refuses_a_bad_file_and_stores_nothing(loaded: Path, tmp_path: Path) -> None:
    before = dump(loaded)
    bad = tmp_path / "bad.csv"
    bad.write_text(TINY.read_text(encoding="utf-8").replace(",2023,10,", ",2023,ten,", 1),
                   encoding="utf-8")
    result = cc("load", TINY, bad, "--store", loaded)
    assert result.exit_code == 1
    assert "bad.csv" in result.output and "refused: nothing was stored" in result.output
    assert dump(loaded) == before


def test_a_failed_store_removes_what_the_command_added() -> None:
    """If the second of two submissions cannot be stored, the first is taken out again."""

    class FailsSecond(RdflibBackend):
        calls = 0

        def replace_graph(self, graph: str, ntriples: bytes) -> None:
            FailsSecond.calls += 1
            if FailsSecond.calls == 2:
                raise OSError("disk full")
            super().replace_graph(graph, ntriples)

    backend = FailsSecond()
    first = read_submission(TINY)
    second = read_submission(DATA / "tabular" / "clean.csv")
    with pytest.raises(OSError, match="disk full"):
        store_submissions(backend, [first, second])
    assert backend.graph_names() == []


def test_a_failed_store_puts_the_store_on_disk_back(loaded: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """On disk, the checkpoint taken before the write replaces the store: same quads, no
    leftover checkpoint or discarded folder next to it."""
    before = dump(loaded)
    calls: list[str] = []
    original = OxigraphBackend.replace_graph

    def fails_second(self: OxigraphBackend, name: object, data: object) -> None:
        calls.append(str(name))
        if len(calls) == 2:
            raise OSError("disk full")
        original(self, name, data)  # type: ignore[arg-type]

    monkeypatch.setattr(OxigraphBackend, "replace_graph", fails_second)
    backend = OxigraphBackend(loaded)
    with pytest.raises(OSError, match="disk full"):
        store_submissions(backend, [read_submission(DATA / "tabular" / "clean.csv"),
                                    read_submission(TINY)])
    assert backend.graph_names()  # the backend is usable again, on the restored store
    backend.close()
    assert len(calls) == 2
    assert dump(loaded) == before
    assert [p.name for p in loaded.parent.iterdir()] == [loaded.name]


def test_store_paths_must_exist_except_for_load(loaded: Path, tmp_path: Path) -> None:
    missing = tmp_path / "stroe"
    for args in (["query", "cq01-elements-and-roles"], ["validate", TINY],
                 ["assess"], ["publish", tmp_path / "site"], ["serve"]):
        result = cc(*args, "--store", missing)
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.strip().splitlines() == [
            f"Error: --store {missing}: does not exist (cityculture load FILE --store PATH "
            "creates one)"], args
    assert not missing.exists()
    result = cc("load", TINY, "--store", missing)
    assert result.exit_code == 0, result.output
    assert f"created the store {missing}" in result.stderr


def test_a_refused_load_creates_no_store(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(TINY.read_text(encoding="utf-8").replace(",2023,10,", ",2023,ten,", 1),
                   encoding="utf-8")
    result = cc("load", bad, "--store", tmp_path / "new")
    assert result.exit_code == 1
    assert not (tmp_path / "new").exists()


def test_an_endpoint_without_a_graph_store_url_is_one_line(tmp_path: Path) -> None:
    result = cc("load", TINY, "--endpoint", "http://127.0.0.1:9/sparql")
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "--gsp-endpoint" in result.stderr


def test_query_binds_labels_prefixed_names_and_numbers(assessed: tuple[Path, str]) -> None:
    store, run = assessed
    by_label = cc("query", "cq04-city-scores", "--store", store, "--format", "json",
                  "--param", f"run={run}", "--param", "city=Alpha", "--param", "year=2023")
    assert by_label.exit_code == 0, by_label.output
    got = {r["code"]: (round(float(r["score"]), 4), int(r["rank"]))
           for r in sparql_json_rows(by_label.stdout)}
    assert got == {"SOFT": (75.0, 1), "HARD": (100.0, 1), "CO": (50.0, 2), "AP": (100.0, 1),
                   "EC": (100.0, 1)}
    by_iri = cc("query", "cq04-city-scores", "--store", store, "--format", "json",
                "--param", f"run=<{run}>", "--param", f"city={ALPHA}", "--param", "year=2023")
    assert sparql_json_rows(by_iri.stdout) == sparql_json_rows(by_label.stdout)
    aspect = cc("query", "cq03-indicators-by-aspect", "--param", "aspect=csp:radiation",
                "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(aspect.stdout)))
    assert rows and {r["aspectNotation"] for r in rows} == {"RA"}


def test_query_parameter_errors(assessed: tuple[Path, str]) -> None:
    store, run = assessed
    missing = cc("query", "cq06-peer-learning", "--store", store, "--param", f"run={run}")
    assert missing.exit_code == 2 and "--param city" in missing.output
    not_int = cc("query", "cq04-city-scores", "--store", store, "--param", f"run={run}",
                 "--param", "year=2023.5")
    assert not_int.exit_code == 2 and "not an integer" in not_int.output
    unknown = cc("query", "cq04-city-scores", "--store", store, "--param", f"run={run}",
                 "--param", "city=Atlantis")
    assert unknown.exit_code == 2 and "no resource is labelled 'Atlantis'" in unknown.output


def test_a_misspelt_parameter_is_an_error_naming_the_known_ones(
        assessed: tuple[Path, str]) -> None:
    store, run = assessed
    result = cc("query", "cq04-city-scores", "--store", store, "--param", f"run={run}",
                "--param", "cty=Alpha")
    assert result.exit_code == 2
    assert "no parameter 'cty'; its parameters: run, city, year" in result.stderr
    assert result.stdout == ""


def test_a_city_is_found_by_qid_iri_or_label(assessed: tuple[Path, str]) -> None:
    store, run = assessed

    def rows(city: str) -> list[dict[str, str]]:
        result = cc("query", "cq04-city-scores", "--store", store, "--format", "json",
                    "--param", f"run={run}", "--param", f"city={city}")
        assert result.exit_code == 0, result.output
        return sparql_json_rows(result.stdout)

    by_label = rows("Alpha")
    assert by_label and {r["city"] for r in by_label} == {ALPHA}
    for spelling in ("Q1001", "q1001", ALPHA, "http://www.wikidata.org/entity/Q1001"):
        assert rows(spelling) == by_label, spelling


def test_tables_round_numbers_and_json_keeps_every_digit(assessed: tuple[Path, str]) -> None:
    store, run = assessed
    args = ("query", "cq05-soft-hard-balance", "--store", store, "--param", f"run={run}")
    full = sparql_json_rows(cc(*args, "--format", "json").stdout)
    lines = cc(*args).stdout.splitlines()
    spans, start = [], 0
    for dashes in lines[1].split("  "):  # the column widths are the dash runs
        spans.append((start, start + len(dashes)))
        start += len(dashes) + 2
    table = [{lines[0][a:b].strip(): line[a:b].strip() for a, b in spans} for line in lines[2:]]
    assert len(table) == len(full) > 0
    checked = 0
    for cells, row in zip(table, full, strict=True):
        for column in ("soft", "hard", "gap", "ratio"):
            if column in row:
                assert cells[column] == rounded(row[column]), (column, row[column])
                checked += row[column] != rounded(row[column])
    assert checked  # some values had more digits than the table shows


def test_assess_names_its_run(loaded: Path) -> None:
    table = cc("assess", "--store", loaded, "--framework", FRAMEWORK)
    assert table.exit_code == 0, table.output
    assert f"run <{latest_run(loaded)}>" in table.stdout
    as_json = cc("assess", "--store", loaded, "--framework", FRAMEWORK, "--format", "json")
    json.loads(as_json.stdout)  # nothing but the results on stdout
    assert f"run <{latest_run(loaded)}>" in as_json.stderr


def test_queries_lists_questions_parameters_and_updates_apart() -> None:
    listing = cc("queries")
    assert listing.exit_code == 0
    # the assessment writes its run graph from Python, so no update file ships to list apart
    assert "Updates (" not in listing.stdout
    queries_part = listing.stdout
    assert "cq04-city-scores" in queries_part
    assert "parameters: run (IRI, required), city (IRI), year (integer)" in queries_part
    assert "and which should it\n      draw lessons from, element by element?" in queries_part
    entries = {e["name"]: e for e in json.loads(cc("queries", "--format", "json").stdout)}
    assert entries["cq12-year-change"]["parameters"][1] == {
        "name": "from", "type": "integer", "required": True}
    assert {e["kind"] for e in entries.values()} == {"query"}


def test_help_lists_one_command_per_line() -> None:
    text = cc("--help").stdout
    assert "\\b" not in text
    lines = text.splitlines()
    assert any(line.strip().startswith("Queries:") for line in lines)
    assert sum("cityculture " in line for line in lines) >= 12
    assert "Exit codes:" in text and "130" in text


def test_query_files_ask_and_refusals(loaded: Path, tmp_path: Path) -> None:
    before = dump(loaded)
    ask = tmp_path / "ask.rq"
    ask.write_text("# Is Alpha's name in the store?\n# Parameters:\n#   ?name  string\n"
                   "ASK { GRAPH ?g { ?city <http://www.w3.org/2000/01/rdf-schema#label> "
                   "?label } FILTER (STR(?label) = ?name) }\n", encoding="utf-8")
    assert cc("query", ask, "--store", loaded, "--param", "name=Alpha").stdout.strip() == "true"
    assert cc("query", ask, "--store", loaded, "--param", "name=Omega").stdout.strip() == "false"
    for text in ["DROP ALL", "INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> <urn:c> } }",
                 "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
                 "CONSTRUCT WHERE { ?s ?p ?o }"]:
        path = tmp_path / "q.rq"
        path.write_text(text, encoding="utf-8")
        result = cc("query", path, "--store", loaded)
        assert result.exit_code == 2, text
    assert dump(loaded) == before


def test_compare_shows_rank_changes(assessed: tuple[Path, str], tmp_path: Path) -> None:
    store, first = assessed
    text = FRAMEWORK.read_text(encoding="utf-8")
    heavier = text.replace("csp:standsFor csp:appeal ; csp:parentNode t:SOFT ; csp:weight 1 ;",
                           "csp:standsFor csp:appeal ; csp:parentNode t:SOFT ; csp:weight 3 ;")
    assert heavier != text
    framework = tmp_path / "heavy-appeal.ttl"
    framework.write_text(heavier, encoding="utf-8")
    assert cc("assess", "--store", store, "--framework", framework).exit_code == 0
    second = latest_run(store)
    assert second != first
    result = cc("compare", first, second, "--store", store, "--format", "json")
    assert result.exit_code == 0, result.output
    soft = {r["city"]: (int(r["rankA"]), int(r["rankB"]), int(r["rankChange"]))
            for r in sparql_json_rows(result.stdout) if r["code"] == "SOFT"
            and r["year"] == "2023"}
    # appeal x3: Gamma (CO 25, AP 66.67) rises to 56.25 and passes Delta (CO 100, AP 0) at 25.
    assert soft[GAMMA] == (3, 2, 1)
    assert soft[DELTA] == (2, 4, -2)


def test_results_as_rows_and_dataframe(assessed: tuple[Path, str]) -> None:
    store, run = assessed
    backend = OxigraphBackend(store)
    try:
        rows = select(backend, "cq04-city-scores",
                      {"run": URIRef(run), "year": Literal(2023)})
    finally:
        backend.close()
    frame = dataframe(rows)
    assert list(frame.columns)[:3] == ["city", "cityName", "year"]
    soft = frame[frame["code"] == "SOFT"].set_index("cityName")
    assert soft.loc["Alpha", "score"] == pytest.approx(75.0)
    assert soft.loc["Beta", "score"] == pytest.approx(16.6667, abs=1e-4)
    assert soft["rank"].sort_values().tolist() == [1, 2, 3, 4, 5]
    assert str(soft["score"].dtype) == "float64"


def test_push_and_pull_through_an_oxigraph_server(assessed: tuple[Path, str],
                                                  oxigraph_server_url: str,
                                                  tmp_path: Path) -> None:
    store, _ = assessed
    server = ("--endpoint", oxigraph_server_url, "--server", "oxigraph")
    pushed = cc("push", "--store", store, *server)
    assert pushed.exit_code == 0, pushed.output
    copy = tmp_path / "copy"
    pulled = cc("pull", "--store", copy, *server)
    assert pulled.exit_code == 0, pulled.output
    source, target = OxigraphBackend(store), OxigraphBackend(copy)
    try:
        assert source.graph_names() == target.graph_names()
        for graph in source.graph_names():
            assert isomorphic(Graph().parse(data=source.graph_ntriples(graph), format="nt"),
                              Graph().parse(data=target.graph_ntriples(graph), format="nt")), graph
    finally:
        source.close()
        target.close()


def test_load_and_query_on_virtuoso(virtuoso: VirtuosoEndpoints) -> None:
    server = ("--endpoint", virtuoso.base, "--server", "virtuoso")
    result = cc("load", TINY, *server)
    assert result.exit_code == 0, result.output
    names = cc("query", "cq03-indicators-by-aspect", *server, "--format", "json",
               "--param", "aspect=csp:cohesion")
    assert names.exit_code == 0, names.output
    assert {r["aspectNotation"] for r in sparql_json_rows(names.stdout)} == {"CO"}
    again = cc("load", TINY, *server)  # the same file again: replaced, not duplicated
    assert again.exit_code == 0, again.output
    count = cc("query", DATA / "count-observations.rq", *server, "--format", "csv",
               "--param", "city=Gamma")
    assert count.exit_code == 0, count.output
    # Six rows of tiny-cities.csv are about Q1003 (Gamma).
    assert list(csv.DictReader(io.StringIO(count.stdout))) == [{"n": "6"}]


def test_an_endpoint_that_is_down_is_named_and_nothing_changes(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = cc("load", TINY, "--endpoint", url, "--server", "oxigraph", "--retries", "1",
                "--timeout", "2")
    assert result.exit_code == 3
    assert url in result.output


def test_assess_on_an_endpoint(oxigraph_server_url: str, tmp_path: Path) -> None:
    """Load, assess and query on the Oxigraph server: the hand-checked answers of CQ4."""
    server = ("--endpoint", oxigraph_server_url, "--server", "oxigraph")
    assert cc("load", TINY, *server).exit_code == 0
    assessed = cc("assess", *server, "--framework", FRAMEWORK, "--format", "json")
    assert assessed.exit_code == 0, assessed.output
    runs = cc("query", "list-runs", *server, "--format", "json",
              "--param", "framework=https://example.org/tiny")
    run = sparql_json_rows(runs.stdout)[0]["run"]
    rows = cc("query", "cq04-city-scores", *server, "--format", "json", "--param", f"run={run}",
              "--param", "city=Alpha", "--param", "year=2023")
    got = {r["code"]: (round(float(r["score"]), 4), int(r["rank"]))
           for r in sparql_json_rows(rows.stdout)}
    assert got["SOFT"] == (75.0, 1) and got["CO"] == (50.0, 2)
