"""A missing Java: exit code 4, apart from 1 (inconsistent), with a one-line error."""

from __future__ import annotations

import os
import subprocess
import sys


def test_a_missing_java_has_its_own_exit_code() -> None:
    env = dict(os.environ, PATH="/nonexistent")  # no java on the PATH
    done = subprocess.run([sys.executable, "-m", "cityculture", "ontology", "check"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 4, done.stderr
    assert done.stderr.strip().splitlines() == [
        "Error: HermiT needs Java; 'java' was not found"]
