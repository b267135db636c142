"""Untrusted input: each threat gets a clear refusal (or a documented safe behaviour).

For each: a non-zero exit where the input is refused, the store unchanged, and no network
connection (a listening socket on 127.0.0.1 records any connection attempt). The threats
covered elsewhere: XML entities and DOCTYPEs, JSON-LD contexts, owl:imports, sizes, deep
nesting, zip bombs, NUL bytes and encodings (tests/test_rdf_input.py, tests/test_tabular.py);
SPARQL injection (tests/test_injection.py); HTTP requests to ``serve`` (tests/test_serve.py).
"""

from __future__ import annotations

import csv
import io
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cityculture.cli import main
from cityculture.store.backends import OxigraphBackend

HEADER = "city_qid,city_name,country,indicator,year,value,unit,source"
GOOD = ["Q90,Paris,FR,CO-01,2023,4,NUM,UNESCO", "Q64,Berlin,DE,CO-01,2023,3,NUM,UNESCO"]


def cc(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def write(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture()
def listener() -> Iterator[tuple[str, list[bytes]]]:
    """A TCP server on 127.0.0.1 that records whatever connects to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    seen: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    seen.append(conn.recv(4096) or b"(connected)")
                except OSError:
                    seen.append(b"(connected)")

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", seen
    stop.set()
    thread.join(timeout=5)
    server.close()


@pytest.fixture()
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store"
    assert cc("load", write(tmp_path / "good.csv", GOOD), "--store", path).exit_code == 0
    return path


def dump(path: Path) -> bytes:
    with OxigraphBackend(path) as opened:
        return opened.dump_nquads()


@pytest.mark.parametrize(("char", "name"), [
    ("\u202e", "RIGHT-TO-LEFT OVERRIDE"),
    ("\u2066", "LEFT-TO-RIGHT ISOLATE"),
    ("\ufeff", "ZERO WIDTH NO-BREAK SPACE"),   # a byte-order mark in the middle of the text
    ("\x1b", "control character"),
])
def test_hidden_control_characters_are_refused(store: Path, tmp_path: Path, char: str,
                                               name: str) -> None:
    before = dump(store)
    bad = write(tmp_path / "bidi.csv", [*GOOD, f"Q1,Exe{char}ter,GB,CO-01,2023,2,NUM,x"])
    result = cc("load", bad, "--store", store)
    assert result.exit_code == 2
    assert "bidi.csv: row 4, column 'city_name'" in result.output and name in result.output
    assert dump(store) == before


def test_non_nfc_spellings_of_a_name_are_one_city(tmp_path: Path) -> None:
    decomposed, composed = "Zu\u0308rich", "Z\u00fcrich"
    data = write(tmp_path / "nfc.csv", [
        f"Q72,{decomposed},CH,CO-01,2023,11,NUM,UNESCO",
        f"Q72,{composed},CH,CO-02,2023,20,USD-PER-CAPITA,x"])
    path = tmp_path / "store"
    assert cc("load", data, "--store", path).exit_code == 0
    names = tmp_path / "names.rq"
    names.write_text("# Parameters: none.\nSELECT ?name WHERE { GRAPH ?g { "
                     "<https://w3id.org/cityculture/city/Q72> "
                     "<http://www.w3.org/2000/01/rdf-schema#label> ?name } }\n",
                     encoding="utf-8")
    result = cc("query", names, "--store", path, "--format", "csv")
    assert result.stdout.splitlines()[1:] == [composed]
    # Either spelling finds the city.
    count = Path(__file__).parent / "data" / "count-observations.rq"
    for spelling in (decomposed, composed):
        found = cc("query", count, "--store", path, "--param", f"city={spelling}",
                   "--format", "csv")
        assert found.stdout.splitlines()[1:] == ["2"]


@pytest.mark.parametrize("value", ['"1,234"', '"7,1"', "1e309", "NaN", "-Infinity", "inf",
                                   "0x1F", "1_000"])
def test_malformed_numbers_are_violations(store: Path, tmp_path: Path, value: str) -> None:
    before = dump(store)
    bad = write(tmp_path / "numbers.csv", [f"Q1,Exeter,GB,CO-01,2023,{value},NUM,x"])
    result = cc("load", bad, "--store", store, "--format", "json")
    assert result.exit_code == 1
    assert '"code": "VALUE-NOT-NUMBER"' in result.output and '"row": 2' in result.output
    assert dump(store) == before


def test_the_same_file_twice_is_stored_once(store: Path, tmp_path: Path) -> None:
    before = dump(store)
    assert cc("load", tmp_path / "good.csv", "--store", store).exit_code == 0
    assert dump(store) == before


@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)"])
def test_exported_csv_cells_cannot_run_as_formulas(tmp_path: Path, name: str) -> None:
    data = tmp_path / "formula.csv"
    with data.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER.split(","))
        writer.writerow(["Q90", "Paris", "FR", "CO-01", "2023", "4", "NUM", "x"])
        writer.writerow(["Q1", name, "GB", "CO-01", "2023", "2", "NUM", "x"])
    assessed = cc("assess", data, "--format", "csv")
    assert assessed.exit_code == 0, assessed.output
    names = [row["name"] for row in csv.DictReader(io.StringIO(assessed.stdout))]
    assert "'" + name in names and name not in names
    path = tmp_path / "store"
    assert cc("load", data, "--store", path).exit_code == 0
    labels = tmp_path / "labels.rq"
    labels.write_text("# Parameters: none.\nSELECT ?name WHERE { GRAPH ?g { "
                      "<https://w3id.org/cityculture/city/Q1> "
                      "<http://www.w3.org/2000/01/rdf-schema#label> ?name } }\n",
                      encoding="utf-8")
    exported = cc("query", labels, "--store", path, "--format", "csv").stdout
    assert [row["name"] for row in csv.DictReader(io.StringIO(exported))] == ["'" + name]


SHAPE = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix csp: <https://w3id.org/cityculture/ontology/> .
<urn:shape> a sh:NodeShape ; sh:targetClass csp:Observation ;
  sh:sparql [ sh:message "reached" ; sh:select \"\"\"{query}\"\"\" ] .
"""


@pytest.mark.parametrize("engine", ["fast", "pyshacl"])
@pytest.mark.parametrize("query", [
    "SELECT $this WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}",
    "SELECT $this WHERE {{ $this ?p ?o }} ; LOAD <{url}/data.ttl>",
    "DELETE WHERE {{ ?s ?p ?o }}",
])
def test_shapes_that_reach_out_or_write_are_refused(tmp_path: Path, engine: str, query: str,
                                                    listener: tuple[str, list[bytes]]) -> None:
    url, seen = listener
    shapes = tmp_path / "extra.ttl"
    shapes.write_text(SHAPE.replace("{query}", query.format(url=url)), encoding="utf-8")
    result = cc("validate", write(tmp_path / "good.csv", GOOD), "--shapes", shapes,
                "--engine", engine)
    assert result.exit_code == 2
    assert "extra.ttl" in result.output and "urn:shape" in result.output
    assert seen == []


def test_bad_turtle_in_shapes_is_named(tmp_path: Path) -> None:
    shapes = tmp_path / "broken.ttl"
    shapes.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n<urn:a> sh:x ", "utf-8")
    result = cc("validate", write(tmp_path / "good.csv", GOOD), "--shapes", shapes)
    assert result.exit_code == 2 and "broken.ttl: not valid Turtle" in result.output


def test_from_in_a_user_query_fetches_nothing(store: Path, tmp_path: Path,
                                              listener: tuple[str, list[bytes]]) -> None:
    url, seen = listener
    query = tmp_path / "from.rq"
    query.write_text(f"# Parameters: none.\nSELECT ?s FROM <{url}/data.ttl> "
                     f"FROM NAMED <{url}/other.ttl> WHERE {{ ?s ?p ?o }}\n", encoding="utf-8")
    result = cc("query", query, "--store", store)
    assert result.exit_code == 0, result.output
    assert "(0 rows)" in result.output
    assert seen == []


@pytest.mark.parametrize("name", ["-rf.csv", "a b;c.csv", "$(touch pwned).csv", "Zürich\u2019s.csv",
                                  "..csv"])
def test_odd_file_names_are_data_not_commands(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    data = write(folder / name, GOOD)
    path = tmp_path / "store"
    result = cc("load", "--store", path, "--", data)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == [name]
    assert not (Path.cwd() / "pwned").exists()
    files = tmp_path / "files.rq"
    files.write_text("# Parameters: none.\nSELECT ?file WHERE { GRAPH ?g { ?s "
                     "<https://w3id.org/cityculture/ontology/sourceFile> ?file } }\n",
                     encoding="utf-8")
    listed = cc("query", files, "--store", path, "--format", "csv").stdout.splitlines()
    assert listed[1:] == [("'" + name) if name[0] in "=+-@" else name]
