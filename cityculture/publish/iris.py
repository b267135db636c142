"""IRIs of a published site: the base a publisher chooses, and where each IRI's files live.

The toolkit mints every IRI under :data:`DEFAULT_BASE` (``https://w3id.org/cityculture/``).
A publisher who serves the data from another host passes ``--base-iri``; every IRI under the
default base is then rewritten to the new one, so that each IRI in the site dereferences on
the publisher's host.

An IRI under the base is published as files whose path is the rest of the IRI, made safe
for any file system and static web server by :func:`file_key`: ``<base>city/Q90`` becomes
``city/Q90.html``, ``city/Q90.ttl``, ``city/Q90.jsonld`` and ``city/Q90.nt``.
"""

from __future__ import annotations

import posixpath
import re
from functools import lru_cache
from urllib.parse import quote

import pyoxigraph as ox

from cityculture.namespaces import BASE

DEFAULT_BASE = BASE
"""The base of every IRI the toolkit mints."""

# Literals that hold an IRI as text and must follow it when the base changes.
_IRI_VALUED = {
    "http://purl.org/vocab/vann/preferredNamespaceUri",
    "http://rdfs.org/ns/void#uriSpace",
}
_ANY_URI = "http://www.w3.org/2001/XMLSchema#anyURI"
_SAFE = re.compile(r"[A-Za-z0-9._-]")
_IRI_CHARS = re.compile(r"^[^\s<>\"{}|\\^`]+$")


def check_base_iri(base: str) -> str:
    """Return ``base`` if it can serve as a base IRI (absolute http(s), ends with ``/``).

    >>> check_base_iri("https://data.example.org/cc/")
    'https://data.example.org/cc/'
    """
    if not re.match(r"^https?://[^/?#\s]+/", base) or not base.endswith("/"):
        raise ValueError(f"not a base IRI: {base!r} (expected http(s)://host/path/ ending in '/')")
    if "?" in base or "#" in base or not _IRI_CHARS.match(base):
        raise ValueError(f"not a base IRI: {base!r} (no query, fragment, spaces or <>\"{{}}|^`)")
    return base


class IriRewriter:
    """Rewrites terms, triples and quads from the default base to a publisher's base."""

    def __init__(self, base: str, source: str = DEFAULT_BASE) -> None:
        """Rewrite IRIs starting with ``source`` to start with ``base`` instead."""
        self.base = check_base_iri(base)
        self.source = source
        self.identity = base == source

    def iri(self, value: str) -> str:
        """Rewrite one IRI given as text."""
        if not self.identity and value.startswith(self.source):
            return self.base + value[len(self.source):]
        return value

    def term(self, term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.DefaultGraph,
             predicate: str | None = None) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        """Rewrite one term (IRI-valued literals included)."""
        if self.identity:
            return term  # type: ignore[return-value]
        if isinstance(term, ox.NamedNode):
            return ox.NamedNode(self.iri(term.value))
        if isinstance(term, ox.Literal) and (
                term.datatype.value == _ANY_URI or predicate in _IRI_VALUED):
            if term.language:
                return ox.Literal(self.iri(term.value), language=term.language)
            return ox.Literal(self.iri(term.value), datatype=term.datatype)
        return term  # type: ignore[return-value]

    def quad(self, quad: ox.Quad) -> ox.Quad:
        """Rewrite the four terms of a quad."""
        if self.identity:
            return quad
        predicate = quad.predicate.value
        return ox.Quad(self.term(quad.subject),  # type: ignore[arg-type]
                       self.term(quad.predicate),  # type: ignore[arg-type]
                       self.term(quad.object, predicate),
                       self.term(quad.graph_name)  # type: ignore[arg-type]
                       if isinstance(quad.graph_name, ox.NamedNode) else quad.graph_name)


def _safe_segment(segment: str) -> str:
    if segment == "":
        return "~"
    if set(segment) == {"."}:
        return "".join(f"~{b:02X}" for b in segment.encode())
    return "".join(ch if _SAFE.fullmatch(ch) else "".join(f"~{b:02X}" for b in ch.encode())
                   for ch in segment)


@lru_cache(maxsize=65536)
def file_key(relative: str) -> str:
    r"""Return the site path (without suffix) of an IRI path relative to the base.

    Each character outside ``[A-Za-z0-9._-]`` becomes ``~XX`` per UTF-8 byte, an empty
    segment becomes ``~`` and a segment of dots is escaped, so the mapping is one-to-one
    and never leaves the site folder.

    >>> file_key("city/Q90")
    'city/Q90'
    >>> file_key("agent/Mori%20Memorial")
    'agent/Mori~2520Memorial'
    >>> file_key("submission/x/mapping//year")
    'submission/x/mapping/~/year'
    >>> file_key("../etc")
    '~2E~2E/etc'
    """
    relative = relative.split("#", 1)[0]
    if relative == "":
        return "index"
    return "/".join(_safe_segment(segment) for segment in relative.split("/"))


def iri_to_uri(text: str) -> str:
    """Percent-encode what an IRI may hold but a URI may not (as browsers do).

    >>> iri_to_uri("city/北京")
    'city/%E5%8C%97%E4%BA%AC'
    >>> iri_to_uri("agent/Mori%20Memorial")
    'agent/Mori%20Memorial'
    """
    return quote(text, safe="!#$%&'()*+,/:;=?@[]~")


def document_iri(iri: str) -> str:
    """Return the IRI without its fragment: the document that describes it."""
    return iri.split("#", 1)[0]


def relative_link(from_path: str, to_path: str) -> str:
    """Return a relative URL from one site file to another (both site-relative paths).

    >>> relative_link("city/Q90.html", "indicator/CO-07.html")
    '../indicator/CO-07.html'
    >>> relative_link("index.html", "city/Q90.html")
    'city/Q90.html'
    """
    return _relative(posixpath.dirname(from_path), to_path)


@lru_cache(maxsize=65536)
def _relative(start: str, to_path: str) -> str:
    return posixpath.relpath(to_path, start or ".")
