"""The package's layers import in one direction only (README, "Design").

Imports are read with ``ast`` from the source (function-level imports included), so a lazy
import cannot hide a dependency. A module's layer is its subpackage (``ingest``, ``store``,
...) or, for a top-level module, the foundation (vocabulary, queries, resources), the
pipeline or the command line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cityculture"

# layer -> the layers it may import (besides itself). The store is the seam every stage
# reads and writes, so it stands below them all and imports only the foundation.
ALLOWED: dict[str, set[str]] = {
    "foundation": set(),
    "store": {"foundation"},
    "ingest": {"foundation"},
    "validate": {"foundation", "ingest"},
    "assess": {"foundation", "store", "ingest", "validate"},
    "publish": {"foundation", "store", "assess"},
    "serve": {"foundation", "store", "publish"},
    "pipeline": {"foundation", "store", "ingest", "validate", "assess", "publish"},
    "cli": {"foundation", "store", "ingest", "validate", "assess", "publish", "serve",
            "pipeline"},
}
TOP_LEVEL = {"pipeline": "pipeline", "__init__": "pipeline", "__main__": "cli"}
# Modules of one layer that must not know each other: the remote store builds on the
# backend interface, so the interface may not import it.
APART = [("cityculture.store.backends", "cityculture.store.remote")]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
MODULE_NAMES = set(MODULES)


def layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "pipeline"  # the package itself: its __init__ exports the public API
    name = parts[1]
    if name.startswith("cli"):
        return "cli"
    if len(parts) > 2 or name in ALLOWED:
        return name
    return TOP_LEVEL.get(name, "foundation")


def imports(path: Path) -> set[str]:
    """Every ``cityculture`` module ``path`` imports, at any depth of the module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # ``from cityculture import progress`` imports the module, not the package's API
            submodules = {f"{node.module}.{alias.name}" for alias in node.names}
            found.update(submodules & MODULE_NAMES)
            if submodules - MODULE_NAMES:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.split(".")[0] == "cityculture"}




def test_the_layer_rule_sees_every_layer() -> None:
    seen = {layer(m) for m in MODULES}
    assert {"foundation", "store", "ingest", "validate", "assess", "publish", "serve",
            "cli"} <= seen


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_one_way(module: str) -> None:
    own = layer(module)
    wrong = sorted(name for name in imports(MODULES[module])
                   if layer(name) != own and layer(name) not in ALLOWED[own])
    assert not wrong, f"{module} ({own}) may not import {wrong}"


def test_no_import_cycle_between_packages() -> None:
    edges = {(layer(m), layer(i)) for m, p in MODULES.items() for i in imports(p)}
    edges = {(a, b) for a, b in edges if a != b}
    assert not {(a, b) for a, b in edges if (b, a) in edges}


@pytest.mark.parametrize(("first", "second"), APART)
def test_modules_kept_apart(first: str, second: str) -> None:
    assert second not in imports(MODULES[first])
    assert first not in imports(MODULES[second])


def test_the_rule_catches_a_wrong_import(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.py"
    wrong.write_text("def f():\n    from cityculture.ingest.reader import read_submission\n")
    assert layer("cityculture.store.embedded") == "store"
    assert "cityculture.ingest.reader" in imports(wrong)
    assert layer("cityculture.ingest.reader") not in ALLOWED["store"]
