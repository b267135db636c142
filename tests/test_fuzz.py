"""Property-based fuzzing of what comes in: tabular ingest, RDF ingest and the validator.

For any input, a reader either returns a submission or raises one of the documented input
errors (``UnusableInput``: one line naming the file); the validator returns a report. Nothing
else may escape, and no example may run longer than ``LIMIT_S`` (a SIGALRM guard turns a
hang into a failure). The number of examples is bounded so CI runs this on every
submission; set ``CITYCULTURE_FUZZ_EXAMPLES`` for a longer campaign.
"""

from __future__ import annotations

import json
import os
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cityculture.ingest.errors import UnusableInput
from cityculture.ingest.reader import read_submission
from cityculture.validate.engine import validate_submissions

EXAMPLES = int(os.environ.get("CITYCULTURE_FUZZ_EXAMPLES", "40"))
LIMIT_S = 20
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                derandomize="CITYCULTURE_FUZZ_EXAMPLES" not in os.environ,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
HEADER = ["city_qid", "city_name", "country", "indicator", "year", "value", "unit", "source"]


@contextmanager
def time_limit(seconds: int = LIMIT_S) -> Iterator[None]:
    """Fail the example if it runs longer than ``seconds`` (a hang, not just slowness)."""

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"example ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def read(data: bytes, suffix: str) -> object:
    """Write ``data`` to a file with ``suffix``, read it; return the submission or the error."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"fuzz{suffix}"
        path.write_bytes(data)
        with time_limit():
            try:
                return read_submission(path, body="fuzz")
            except UnusableInput as exc:
                message = str(exc)
                assert "\n" not in message and path.name in message
                return exc


# Cells that look like what municipalities send, and what breaks readers.
CELL = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["Q90", "Q64", "Paris", "Zürich", "FR", "DE", "CO-01", "AP-04", "EC-04",
                     "2023", "1850", "20x3", "4", "7,1", "1e309", "NaN", "-1", "12.5", "NUM",
                     "PERCENT", "INDEX-POINT", "", " ", '"', "=1+1", "\ufeff", "\u202e",
                     "\x00", ";", "\t", "\r\n"]),
)
ROW = st.lists(CELL, min_size=0, max_size=10)


def to_csv(rows: list[list[str]], delimiter: str) -> bytes:
    """Join rows naively (no quoting), so broken quoting and stray delimiters happen too."""
    return "\n".join(delimiter.join(row) for row in [HEADER, *rows]).encode("utf-8",
                                                                             "surrogatepass")


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from([".csv", ".tsv", ".xlsx", ".ttl", ".nt",
                                                  ".jsonld", ".rdf"]))
def test_any_bytes_are_read_or_refused(data: bytes, suffix: str) -> None:
    read(data, suffix)


@FUZZ
@given(st.lists(ROW, max_size=8), st.sampled_from([",", ";", "\t"]))
def test_tabular_rows_are_read_and_validated(rows: list[list[str]], delimiter: str) -> None:
    submission = read(to_csv(rows, delimiter), ".csv")
    if isinstance(submission, UnusableInput):
        return
    with time_limit():
        report = validate_submissions([submission])  # type: ignore[list-item]
    for finding in report.findings:
        assert finding.code and finding.message


IRI = st.sampled_from(["<https://w3id.org/cityculture/city/Q90>", "<urn:x>", "<>",
                       "<http://example.org/a b>", "_:b0",
                       "<https://w3id.org/cityculture/ontology/value>"])
LITERAL = st.one_of(st.text(max_size=10).map(json.dumps), st.sampled_from(
    ['"4"^^<http://www.w3.org/2001/XMLSchema#decimal>', '"x"@en', '"1e309"', '"""a\nb"""']))


@FUZZ
@given(st.lists(st.tuples(IRI, IRI, st.one_of(IRI, LITERAL)), max_size=12),
       st.sampled_from([".ttl", ".nt"]), st.text(max_size=20))
def test_turtle_and_ntriples_are_read_or_refused(triples: list[tuple[str, str, str]],
                                                 suffix: str, noise: str) -> None:
    text = "\n".join(f"{s} {p} {o} ." for s, p, o in triples) + noise
    submission = read(text.encode("utf-8", "surrogatepass"), suffix)
    if not isinstance(submission, UnusableInput):
        with time_limit():
            validate_submissions([submission])  # type: ignore[list-item]


JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
              st.text(max_size=8),
              st.sampled_from(["https://w3id.org/cityculture/city/Q90", "http://127.0.0.1:9/c",
                               "file:///etc/passwd", "@id", "@type"])),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(["@context", "@id", "@type", "@graph", "@value",
                                         "@import", "@vocab", "name", "value"]), inner,
                        max_size=4)),
    max_leaves=30,
)


@FUZZ
@given(JSON)
@example({"@type": "{"})  # found by this harness: a relative IRI with '{' escaped the reader
def test_jsonld_documents_are_read_or_refused(document: object) -> None:
    read(json.dumps(document).encode(), ".jsonld")
