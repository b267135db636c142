"""Where the bundled knowledge lives: ontology, indicator scheme, shapes, queries, examples.

In an installed wheel these folders ship inside the package as ``cityculture/_resources``;
in a source checkout (editable install, tests) they are the top-level folders of the
repository. Every other module finds them through :func:`resource_dir` only.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_KINDS = ("ontology", "shapes", "queries", "examples")


def resource_dir(kind: str) -> Path:
    """Return the folder holding one kind of bundled resource.

    >>> resource_dir("ontology").joinpath("cityculture.ttl").is_file()
    True
    """
    if kind not in _KINDS:
        raise ValueError(f"unknown resource kind {kind!r}; expected one of {', '.join(_KINDS)}")
    installed = _PACKAGE_DIR / "_resources" / kind
    if installed.is_dir():
        return installed
    checkout = _PACKAGE_DIR.parent / kind
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(
        f"bundled folder {kind!r} not found (looked in {installed} and {checkout})"
    )


def resource_path(kind: str, name: str) -> Path:
    """Return the path of one bundled file, failing clearly if it is missing."""
    path = resource_dir(kind) / name
    if not path.is_file():
        raise FileNotFoundError(f"bundled file {kind}/{name} not found at {path}")
    return path
