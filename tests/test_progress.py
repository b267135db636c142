"""Progress on standard error: shown on a terminal, silent in a pipe and with --quiet."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from cityculture import progress

TINY = Path(__file__).resolve().parent / "data" / "tiny-cities.csv"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_stage_on_a_terminal_shows_counts_and_time_left() -> None:
    terminal = _Terminal()
    progress.configure(stream=terminal)
    try:
        with progress.stage("storing", total=1000, unit="triples") as current:
            current._start -= 10  # as if 10 s had passed
            current._drawn = 0
            current.update(250)
        text = terminal.getvalue()
    finally:
        progress.configure()
    assert "storing: 250/1,000 triples (25%), about 30 s left" in text
    assert text.endswith("storing: 250/1,000 triples (25%), done in 10 s\n")
    assert "\r" in text


def test_quiet_and_pipes_get_nothing() -> None:
    terminal = _Terminal()
    progress.configure(quiet=True, stream=terminal)
    try:
        with progress.stage("storing", total=10) as current:
            current.update(5)
    finally:
        progress.configure()
    assert terminal.getvalue() == ""
    pipe = io.StringIO()
    progress.configure(stream=pipe)
    try:
        with progress.stage("storing", total=10) as current:
            current.update(5)
    finally:
        progress.configure()
    assert pipe.getvalue() == ""


def _load_stderr(tmp_path: Path, *options: str) -> str:
    """Run ``load`` with standard error on a pseudo-terminal; return what it wrote there."""
    leader, follower = pty.openpty()
    child = subprocess.Popen([sys.executable, "-m", "cityculture", *options, "load", str(TINY),
                              "--store", str(tmp_path / f"store{len(options)}")],
                             stdout=subprocess.PIPE, stderr=follower, text=True)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # the terminal closed with the child
            break
        if not data:
            break
        chunks.append(data)
    child.wait(timeout=300)
    os.close(leader)
    assert child.returncode == 0
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.slow  # two child processes
def test_load_reports_its_stages_on_a_terminal_unless_quiet(tmp_path: Path) -> None:
    shown = _load_stderr(tmp_path)
    rows = len(TINY.read_text(encoding="utf-8").splitlines()) - 1
    for stage in ("reading tiny-cities.csv", f"validating {rows} rows",
                  "storing: 330/330 triples"):
        assert stage in shown, shown
    assert "done in" in shown
    quiet = _load_stderr(tmp_path, "--quiet")
    assert "validating" not in quiet and "created the store" in quiet
