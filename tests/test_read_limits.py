"""Small files that used to cost gigabytes or minutes: each is refused (or read) within 30 s
and 1.5 GB, with a one-line message naming the limit, no connection out and the store as it
was. Each load runs in a process of its own, so its peak memory is measured."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from cityculture.ingest.limits import DEFAULT_LIMITS
from cityculture.store.backends import OxigraphBackend
from tests import hostile_files as hostile
from tests.test_hardening import GOOD, write
from tests.test_serve import Listener

# Each load runs in a child process of its own (to measure its peak memory): seconds each.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SECONDS = 30
PEAK_BYTES = 1.5 * 1024**3
PAST_ROWS = DEFAULT_LIMITS.max_rows + 10_000


def load(path: Path, store: Path) -> tuple[int, str, float]:
    """Run ``cityculture load`` in a child process; return exit code, output and seconds."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", "from cityculture.cli import main; main()",
                           "load", str(path), "--store", str(store)], cwd=ROOT,
                          capture_output=True, text=True, timeout=SECONDS * 4, check=False)
    return done.returncode, (done.stdout + done.stderr).strip(), time.monotonic() - started


def peak_of_children() -> float:
    """The largest resident size any finished child reached, in bytes (Linux: KiB)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024.0


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("limits")
    path = folder / "store"
    code, output, _ = load(write(folder / "good.csv", GOOD), path)
    assert code == 0, output
    return path


def dump(path: Path) -> bytes:
    with OxigraphBackend(path) as opened:
        return opened.dump_nquads()


REFUSED: dict[str, tuple[Callable[[Path], Path], str, str]] = {
    # name: (writer, file name, what the one-line refusal names)
    "one shared string in every cell": (hostile.shared_string_amplifier, "strings.xlsx",
                                        "the limit of text per file"),
    "rows past the limit, with a cell in column XFD": (
        lambda p: hostile.far_empty_cells(p, PAST_ROWS), "far.xlsx",
        "the limit of rows per sheet"),
    "a DOCTYPE after a long comment": (hostile.doctype_after_comment, "comment.xlsx",
                                       "DOCTYPE/ENTITY"),
    "a part in UTF-16 without BOM": (hostile.utf16_without_bom, "utf16.xlsx", "NUL byte"),
    "a prefix of a million characters": (hostile.long_prefix_turtle, "prefix.ttl",
                                         "the limit of 8,192 characters per IRI"),
    "CSV rows past the limit": (lambda p: hostile.many_rows_csv(p, PAST_ROWS), "rows.csv",
                                "the limit of rows per file"),
    "a long @vocab at every key": (hostile.long_vocab_jsonld, "vocab.jsonld",
                                   "characters, the limit per file"),
    "a long namespace at every element": (hostile.long_namespace_rdfxml, "ns.rdf",
                                          "characters, the limit per file"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_amplifying_files_are_refused_within_bounds(name: str, store: Path,
                                                    tmp_path: Path) -> None:
    writer, file_name, limit = REFUSED[name]
    path = writer(tmp_path / file_name)
    assert path.stat().st_size < 20_000_000  # small files; the row cases just pass the limit
    before = dump(store)
    code, output, seconds = load(path, store)
    assert code == 2, output
    assert len(output.splitlines()) == 1 and file_name in output and limit in output, output
    assert seconds < SECONDS
    assert peak_of_children() < PEAK_BYTES
    assert dump(store) == before


@pytest.mark.parametrize("writer", [hostile.huge_dimension, hostile.far_row],
                         ids=["declared A1:XFD1048576", "one cell in row 1,048,576"])
def test_what_a_sheet_declares_or_leaves_empty_costs_nothing(
        writer: Callable[[Path], Path], tmp_path: Path) -> None:
    path = writer(tmp_path / "sheet.xlsx")
    code, output, seconds = load(path, tmp_path / "store")
    assert code == 0, output
    assert seconds < SECONDS
    assert peak_of_children() < PEAK_BYTES
    with OxigraphBackend(tmp_path / "store") as opened:
        assert b"Paris" in opened.dump_nquads()


def test_an_external_entity_is_refused_and_never_fetched(store: Path, tmp_path: Path) -> None:
    listener = Listener()
    try:
        path = hostile.external_entity_xlsx(tmp_path / "external.xlsx",
                                            f"http://127.0.0.1:{listener.port}/secret")
        before = dump(store)
        code, output, _ = load(path, store)
        assert code == 2 and "DOCTYPE/ENTITY" in output, output
        time.sleep(0.3)
        assert listener.connections == 0
        assert dump(store) == before
    finally:
        listener.close()
