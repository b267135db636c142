"""The triples of a large submission, kept as N-Triples instead of Python objects.

A ``pyoxigraph.Triple`` takes about 400 bytes of memory; the same triple as an N-Triples
line takes about 120, and N-Triples is the form the validator and the store load anyway. A
national file of 240,000 rows makes 2.4 million triples: kept as objects they took a
gigabyte, and as N-Triples text still 400 MB. :class:`SerialisedTriples` collects triples
like a list (as objects, or as lines the tabular reader formats from terms it built), keeps
them as N-Triples blocks compressed with zlib (a block of a submission's lines, which repeat
long IRIs, shrinks about 25 times, at about 500 MB/s on one core), and gives them back by
iteration (parsed again, in order) or as N-Triples parts.

Validation needs to know which submitted literals a store could keep in another form
(:func:`cityculture.rdf_terms.may_be_rewritten`); those few triples are kept aside as objects
(:attr:`SerialisedTriples.rewritable`) so that nobody has to parse the whole file again to
find them.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

import pyoxigraph as ox

from cityculture.rdf_terms import may_be_rewritten

BLOCK = 50_000
"""Triples serialised together: large enough to be fast, small enough to be brief."""
LEVEL = 1
"""zlib's fastest level: most of the saving for a fraction of the time of the default."""


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
        self._block_counts: list[int] = []
        self._serialised = 0
        self._pending: list[str] = []
        self._pending_count = 0
        self.rewritable: list[ox.Triple] = []
        """The triples whose literal object a store may keep in another form, in order."""
        self.extend(triples)

    def append(self, triple: ox.Triple) -> None:
        """Add one triple."""
        obj = triple.object
        if type(obj) is ox.Literal and may_be_rewritten(obj):
            self.rewritable.append(triple)
        self.add_lines(f"{triple} .\n", 1)

    def add_lines(self, text: str, count: int) -> None:
        """Add ``count`` triples already written as N-Triples lines (each ending in a newline).

        The caller formats the lines from ``str()`` of pyoxigraph terms, which are valid
        N-Triples, and passes the triples holding literals a store may rewrite to
        :meth:`note_rewritable`.
        """
        self._pending.append(text)
        self._pending_count += count
        if self._pending_count >= BLOCK:
            self._flush()

    def note_rewritable(self, triple: ox.Triple) -> None:
        """Record a triple added by :meth:`add_lines` whose literal a store may rewrite."""
        self.rewritable.append(triple)

    def extend(self, triples: Iterable[ox.Triple]) -> None:
        """Add triples in order."""
        for triple in triples:
            self.append(triple)

    def _flush(self) -> None:
        if self._pending:
            self._blocks.append(zlib.compress("".join(self._pending).encode(), LEVEL))
            self._block_counts.append(self._pending_count)
            self._serialised += self._pending_count
            self._pending, self._pending_count = [], 0

    def __len__(self) -> int:
        return self._serialised + self._pending_count

    def __iter__(self) -> Iterator[ox.Triple]:
        self._flush()
        for block in self._blocks:
            for quad in ox.parse(zlib.decompress(block), format=ox.RdfFormat.N_TRIPLES):
                yield quad.triple

    def parts(self) -> Iterator[tuple[bytes, int]]:
        """Yield the triples as N-Triples blocks, each with its number of triples."""
        self._flush()
        for block, count in zip(self._blocks, self._block_counts, strict=True):
            yield zlib.decompress(block), count

    def ntriples(self) -> bytes:
        """Return every triple as one N-Triples document."""
        self._flush()
        return b"".join(block for block, _ in self.parts())

    def count_predicate(self, iri: str) -> int:
        """Count the triples whose predicate is ``iri`` (without parsing them)."""
        self._flush()
        needle = f"> <{iri}> ".encode()
        return sum(block.count(needle) for block, _ in self.parts())
