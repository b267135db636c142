"""The validation store filled while a tabular file is read gives the same findings."""

from __future__ import annotations

import gc
import threading
import time
from pathlib import Path

import pytest

from cityculture.ingest import serialised
from cityculture.ingest.reader import read_submission
from cityculture.validate.engine import validate_submissions

from .test_validation import CASES, CLEAN, write_csv


def _keys(report: object) -> list[tuple[object, ...]]:
    return sorted((f.code, f.file, f.row, f.column, f.value) for f in report.findings)


@pytest.mark.parametrize("code", sorted(CASES))
def test_preloaded_store_gives_the_same_findings(tmp_path: Path, code: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serialised, "BLOCK", 3)  # several blocks pass through the queue
    rows = CASES[code][0]
    path = write_csv(tmp_path / "data.csv", rows)
    other = write_csv(tmp_path / "other.csv",  # other cities: the findings stay the file's
                      [r.replace("Q90", "Q91").replace("Q64", "Q65") for r in CLEAN])
    plain = validate_submissions([read_submission(path), read_submission(other)])
    first = read_submission(path, preload=True)
    assert first.triples.preloading
    preloaded = validate_submissions([first, read_submission(other)])
    assert not first.triples.preloading  # the validation took the store
    assert _keys(preloaded) == _keys(plain)
    assert code in {f.code for f in preloaded.findings}


def test_preloaded_store_holds_every_triple(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serialised, "BLOCK", 2)
    path = write_csv(tmp_path / "data.csv", CLEAN * 3)
    submission = read_submission(path, preload=True)
    store = submission.triples.take_preloaded()
    assert store is not None and submission.triples.take_preloaded() is None
    stored = {(q.subject, q.predicate, q.object) for q in store}
    assert stored == {(t.subject, t.predicate, t.object) for t in submission.triples}
    assert len(stored) == len(store) > 20


def test_a_failed_block_is_raised_when_the_store_is_taken() -> None:
    triples = serialised.SerialisedTriples()
    triples.preload()
    triples.add_lines("<http://a> <http://b> not-a-term .\n", 1)
    with pytest.raises(SyntaxError):
        triples.take_preloaded()
    assert not triples.preloading


def test_triples_dropped_untaken_end_their_thread() -> None:
    def running() -> int:
        return sum(1 for t in threading.enumerate() if t.name == "preload")

    before = running()
    triples = serialised.SerialisedTriples()
    triples.preload()
    assert running() == before + 1
    del triples
    gc.collect()
    for _ in range(100):  # the thread ends once it reads the stop mark
        if running() == before:
            break
        time.sleep(0.01)
    assert running() == before
