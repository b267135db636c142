"""The triples of a large submission, kept as N-Triples instead of Python objects.

A ``pyoxigraph.Triple`` takes about 400 bytes of memory; the same triple as an N-Triples
line takes about 120, and N-Triples is the form the validator and the store load anyway. A
national file of 240,000 rows makes 2.4 million triples: kept as objects they took a
gigabyte, and as N-Triples text still 400 MB. :class:`SerialisedTriples` collects triples
like a list (as objects, or as lines the tabular reader formats from terms it built), keeps
them as N-Triples blocks compressed with zlib (a block of a submission's lines, which repeat
long IRIs, shrinks about 25 times, at about 500 MB/s on one core), and gives them back by
iteration (parsed again, in order) or as N-Triples parts.

A submission about to be validated can have its triples loaded into an in-memory store while
it is still being read (:meth:`SerialisedTriples.preload`): Oxigraph parses and indexes a
block without holding Python's global lock, so the store fills on the second core while the
first one reads the next rows, and the validator takes the filled store
(:meth:`SerialisedTriples.take_preloaded`) instead of loading the file after reading it.

Validation needs to know which submitted literals a store could keep in another form
(:func:`cityculture.rdf_terms.may_be_rewritten`); those few triples are kept aside as objects
(:attr:`SerialisedTriples.rewritable`) so that nobody has to parse the whole file again to
find them.
"""

from __future__ import annotations

import queue
import threading
import weakref
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
        self._preloading: _Preloader | None = None
        self.extend(triples)

    def preload(self) -> None:
        """Load every block into an in-memory store as it is completed, on another thread.

        Blocks already completed are loaded first. :meth:`take_preloaded` hands the store over.
        """
        if self._preloading is None:
            self._preloading = _Preloader()
            # triples dropped untaken (a file refused half-way): the thread ends, the store goes
            weakref.finalize(self, self._preloading.stop)
            for block in self._blocks:
                self._preloading.put(zlib.decompress(block))

    def __getstate__(self) -> dict[str, object]:
        """Pickle the blocks (for a child process), not a store being filled here."""
        self._flush()
        return {**self.__dict__, "_preloading": None}

    @property
    def preloading(self) -> bool:
        """Tell whether a store is being filled with these triples (:meth:`preload`)."""
        return self._preloading is not None

    def take_preloaded(self) -> ox.Store | None:
        """Return the store :meth:`preload` filled, holding every triple, and let it go.

        Returns None when :meth:`preload` was not called (or the store was taken already).
        """
        if self._preloading is None:
            return None
        self._flush()
        preloading, self._preloading = self._preloading, None
        return preloading.finish()

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
            text = "".join(self._pending).encode()
            if self._preloading is not None:
                self._preloading.put(text)
            self._blocks.append(zlib.compress(text, LEVEL))
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


class _Preloader:
    """An in-memory store filled block by block on a background thread."""

    def __init__(self) -> None:
        self.store = ox.Store()
        self._blocks: queue.Queue[bytes | None] = queue.Queue(maxsize=4)  # bounded: memory
        self._failure: BaseException | None = None
        self._stopped = False
        self._thread = threading.Thread(target=self._work, name="preload", daemon=True)
        self._thread.start()

    def put(self, block: bytes) -> None:
        """Queue one N-Triples block (waits while four are queued)."""
        self._blocks.put(block)

    def _work(self) -> None:
        graph = ox.DefaultGraph()
        while (block := self._blocks.get()) is not None:
            if self._failure is None:
                try:  # a transactional load: faster than the bulk loader in memory
                    self.store.load(input=block, format=ox.RdfFormat.N_TRIPLES, to_graph=graph)
                except BaseException as failure:  # raised again in finish()
                    self._failure = failure

    def stop(self) -> None:
        """Let the thread end once the queued blocks are loaded (no more will come)."""
        if not self._stopped:
            self._stopped = True
            self._blocks.put(None)

    def finish(self) -> ox.Store:
        """Wait for the queued blocks; return the store, or raise what loading raised."""
        self.stop()
        self._thread.join()
        if self._failure is not None:
            raise self._failure
        return self.store
