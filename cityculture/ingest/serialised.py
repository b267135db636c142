"""The triples of a large submission, kept as N-Triples instead of Python objects.

A ``pyoxigraph.Triple`` takes about 400 bytes of memory; the same triple as an N-Triples
line takes about 170, and N-Triples is the form the validator and the store load anyway. A
national file of 240,000 rows makes 2.4 million triples: kept as objects they took a
gigabyte. :class:`SerialisedTriples` collects triples like a list, serialises them a block at
a time, and gives them back by iteration (parsed again, in order) or as N-Triples parts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyoxigraph as ox

BLOCK = 50_000
"""Triples serialised together: large enough to be fast, small enough to be brief."""


class SerialisedTriples:
    """An append-only sequence of triples stored as N-Triples blocks.

    >>> triples = SerialisedTriples()
    >>> triples.append(ox.Triple(ox.NamedNode("http://a"), ox.NamedNode("http://b"),
    ...                          ox.Literal("c")))
    >>> len(triples), [t.object.value for t in triples]
    (1, ['c'])
    >>> triples.ntriples().decode().strip()
    '<http://a> <http://b> "c" .'
    """

    def __init__(self, triples: Iterable[ox.Triple] = ()) -> None:
        """Start with ``triples`` (none by default)."""
        self._blocks: list[bytes] = []
        self._serialised = 0
        self._pending: list[ox.Triple] = []
        self.extend(triples)

    def append(self, triple: ox.Triple) -> None:
        """Add one triple."""
        self._pending.append(triple)
        if len(self._pending) >= BLOCK:
            self._flush()

    def extend(self, triples: Iterable[ox.Triple]) -> None:
        """Add triples in order."""
        for triple in triples:
            self.append(triple)

    def _flush(self) -> None:
        if self._pending:
            self._blocks.append(ox.serialize(self._pending, format=ox.RdfFormat.N_TRIPLES)
                                or b"")
            self._serialised += len(self._pending)
            self._pending = []

    def __len__(self) -> int:
        return self._serialised + len(self._pending)

    def __iter__(self) -> Iterator[ox.Triple]:
        for block in self._blocks:
            for quad in ox.parse(block, format=ox.RdfFormat.N_TRIPLES):
                yield quad.triple
        yield from list(self._pending)

    def parts(self) -> Iterator[tuple[bytes, int]]:
        """Yield the triples as N-Triples blocks, each with its number of triples."""
        self._flush()
        for block in self._blocks:
            yield block, block.count(b"\n")

    def ntriples(self) -> bytes:
        """Return every triple as one N-Triples document."""
        self._flush()
        return b"".join(self._blocks)

    def count_predicate(self, iri: str) -> int:
        """Count the triples whose predicate is ``iri`` (without parsing them)."""
        self._flush()
        needle = f"> <{iri}> ".encode()
        return sum(block.count(needle) for block in self._blocks)
