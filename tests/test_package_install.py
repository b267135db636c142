"""A non-editable install (a built wheel) finds the ontology, scheme, shapes and queries."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wheels = tmp_path_factory.mktemp("wheels")
    target = tmp_path_factory.mktemp("site")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels),
                    str(ROOT)], check=True)
    (wheel,) = wheels.glob("cityculture-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)],
                   check=True)
    return target


def run_installed(target: Path, code: str, cwd: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(target)}
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, check=True,
                          capture_output=True, text=True)
    return done.stdout


def test_wheel_ships_resources(installed: Path, tmp_path: Path) -> None:
    code = (
        "import cityculture as c\n"
        "print(c.__file__)\n"
        "for kind in ('ontology', 'queries', 'shapes', 'examples'): print(c.resource_dir(kind))\n"
        "print(len(c.load_model()))\n"
        "print(len(c.run_query('cq01-elements-and-roles', c.load_model())))\n"
    )
    lines = run_installed(installed, code, tmp_path).splitlines()
    assert lines[0].startswith(str(installed))
    for folder in lines[1:5]:
        assert folder.startswith(str(installed / "cityculture" / "_resources")), folder
    assert int(lines[5]) > 2000
    assert lines[6] == "5"
