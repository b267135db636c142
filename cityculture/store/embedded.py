"""The embedded store: Oxigraph (pyoxigraph) in memory or in a directory, no server needed.

:class:`OxigraphBackend` is the store interface's (:class:`~cityculture.store.interface.
Backend`) embedded engine. Each accepted submission is one named graph, written all-or-nothing:

* a graph that does not exist yet (the usual case: submissions are named by the digest of
  their content, runs by their time) is bulk-loaded straight into place, at the speed of
  Oxigraph's bulk loader, in few calls however many parts it is given in. A marker file
  (``cityculture-loading`` in the store directory, naming the graph) is written and synced
  before and removed after; if the process dies in between, the next open finds the marker
  and removes the half-loaded graph. A small graph (:data:`SMALL_GRAPH_BYTES`) is loaded in
  one transaction instead, which needs no marker;
* a graph that exists is replaced through a staging graph (``<graph>#staging``, bulk-loaded),
  then a single SPARQL Update request (one transaction in Oxigraph) swaps it in. A process
  killed in between leaves the previous version intact; a leftover staging graph is never
  read as accepted data and is removed the next time the store is opened. On disk this
  swap is a large transaction and takes much longer than the bulk load.

Stores written by earlier versions marked a loading graph with a graph (``<graph>#loading``):
those markers are honoured on open too. Marker and staging graphs are hidden from
:meth:`OxigraphBackend.graph_names`.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from cityculture.namespaces import SUBMISSION_BASE
from cityculture.query_text import has_dataset_clause
from cityculture.rdf_terms import solution_rows
from cityculture.store.interface import (
    Bindings,
    InvalidRDFError,
    NTriples,
    Row,
    bind_values,
    canonical_ox_term,
    check_graph_name,
    ntriples_parts,
)

STAGING_SUFFIX = "#staging"
LOADING_SUFFIX = "#loading"
HIDDEN_SUFFIXES = (STAGING_SUFFIX, LOADING_SUFFIX)
LOADING_MARKER = "cityculture-loading"
"""The marker file, in the store directory, naming the graphs being bulk-loaded (one per line)."""
BULK_CALL_BYTES = 128 << 20
"""About how many bytes of N-Triples parts one call of the bulk loader reads (whole parts)."""
SMALL_GRAPH_BYTES = 1 << 20
"""A new graph given as one document of at most this many bytes is loaded in a transaction."""


def is_store_directory(path: Path) -> bool:
    """Tell whether ``path`` is a directory holding an on-disk store (RocksDB's ``CURRENT``)."""
    return path.is_dir() and (path / "CURRENT").is_file()


class OxigraphBackend:
    """The embedded pyoxigraph store, in memory (``path=None``) or in a directory.

    ``replace_graph`` is all-or-nothing (see the module's description); a failed load leaves
    the previous version of the graph untouched.
    """

    name = "oxigraph"

    def __init__(self, path: Path | None = None, *, union_default_graph: bool = False) -> None:
        """Open (or create) a store in ``path``, or in memory when ``path`` is None.

        ``union_default_graph``: queries see the union of all named graphs as their default
        graph (as Virtuoso does by default), so a query without ``GRAPH`` reads every graph;
        a query with ``FROM`` or ``FROM NAMED`` gets the dataset it names.
        """
        self.path = path
        self.union_default_graph = union_default_graph
        self.guarded = False
        """True while an all-or-nothing block (:mod:`cityculture.store.checkpoint`) runs."""
        self._store = ox.Store(str(path)) if path is not None else ox.Store()
        self._recover()

    def _recover(self) -> None:
        """Undo what a process killed during a load left: half-loaded and staging graphs."""
        marker = self._marker()
        loading = marker.read_text(encoding="utf-8").split() if marker and marker.exists() else []
        for name in self._named_graphs():
            if name.endswith(LOADING_SUFFIX):
                loading.append(name.removesuffix(LOADING_SUFFIX))
        for name in loading:
            self._store.remove_graph(ox.NamedNode(name))
        for name in self._named_graphs():
            if name.endswith(HIDDEN_SUFFIXES):
                self._store.remove_graph(ox.NamedNode(name))
        if self.path is not None:
            self._store.flush()
        if marker is not None:
            marker.unlink(missing_ok=True)

    def _marker(self) -> Path | None:
        """Return the marker file of an on-disk store (None in memory: nothing to recover)."""
        return self.path / LOADING_MARKER if self.path is not None else None

    def _named_graphs(self) -> list[str]:
        """Every named graph Oxigraph knows, marker and staging graphs included."""
        return [g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode)]

    @property
    def oxigraph(self) -> ox.Store:
        """The underlying pyoxigraph store."""
        return self._store

    # --- the store interface ------------------------------------------------------------------

    def _query(self, query: str, bindings: Bindings) -> Any:
        union = self.union_default_graph and not has_dataset_clause(query)
        return self._store.query(bind_values(query, bindings), use_default_graph_as_union=union)

    def select(self, query: str, bindings: Bindings = None) -> list[Row]:
        """Run a SELECT query; parameters go in as escaped terms (:func:`bind_values`)."""
        solutions = self._query(query, bindings)
        if not isinstance(solutions, ox.QuerySolutions):
            raise ValueError("not a SELECT query")
        return solution_rows(solutions, canonical_ox_term)

    def ask(self, query: str, bindings: Bindings = None) -> bool:
        """Run an ASK query."""
        answer = self._query(query, bindings)
        if not isinstance(answer, ox.QueryBoolean):
            raise ValueError("not an ASK query")
        return bool(answer)

    def update(self, update: str) -> None:
        """Run a SPARQL Update request (one transaction)."""
        self._store.update(update)

    def replace_graph(self, graph: str, ntriples: NTriples) -> None:
        """Replace the content of one named graph atomically with N-Triples data.

        ``ntriples``: bytes, or parts of N-Triples (each whole lines) read as the loader takes
        them: a large graph given in parts is never held whole as text. As the store
        interface asks, no blank-node label is used in two parts (parts may be read by
        different calls of the loader, each its own document).

        :raises InvalidRDFError: the data do not parse (the store is left as it was).
        """
        name = ox.NamedNode(check_graph_name(graph))
        try:
            self._replace(name, ntriples if isinstance(ntriples, bytes)
                          else ntriples_parts(ntriples))
        except SyntaxError as err:
            raise InvalidRDFError(f"invalid N-Triples for <{graph}>: {err}") from err
        finally:
            staging = ox.NamedNode(graph + STAGING_SUFFIX)
            if self._store.contains_named_graph(staging):
                self._store.remove_graph(staging)

    def graph_ntriples(self, graph: str) -> bytes:
        """Return ``graph`` as sorted N-Triples."""
        data = self._store.dump(format=ox.RdfFormat.N_TRIPLES,
                                from_graph=ox.NamedNode(check_graph_name(graph))) or b""
        return b"".join(sorted(data.splitlines(keepends=True)))

    def drop_graph(self, graph: str) -> None:
        """Remove ``graph`` (no error when absent)."""
        name = ox.NamedNode(check_graph_name(graph))
        if self._store.contains_named_graph(name):
            self._store.remove_graph(name)

    def graph_names(self, *, include_staging: bool = False) -> list[str]:
        """Return the named graphs holding triples, sorted.

        ``include_staging``: list the marker and staging graphs too (hidden otherwise).
        """
        store = self._store
        return sorted(
            name for name in self._named_graphs()
            if (include_staging or not name.endswith(HIDDEN_SUFFIXES))
            and next(iter(store.quads_for_pattern(None, None, None, ox.NamedNode(name))),
                     None) is not None)

    def close(self) -> None:
        """Flush and release the store (and its directory lock); closing twice does nothing."""
        if not hasattr(self, "_store"):
            return
        if self.path is not None and self.path.exists():
            self._store.flush()
        del self._store

    # --- the embedded store's own operations ---------------------------------------------------

    def reopen(self) -> None:
        """Open the store directory again (after :meth:`close` and a change on disk)."""
        self.close()
        self._store = ox.Store(str(self.path)) if self.path is not None else ox.Store()

    def __enter__(self) -> OxigraphBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _replace(self, name: ox.NamedNode, ntriples: bytes | Iterable[bytes]) -> None:
        """Replace one named graph: load a new one, or swap a staging graph in.

        The parts are read one at a time as the loader takes them, in calls of
        :data:`BULK_CALL_BYTES` (each call parses its own document).

        :raises SyntaxError: the data do not parse (the store is left as it was).
        """
        if not self._store.contains_named_graph(name):
            if isinstance(ntriples, bytes) and len(ntriples) <= SMALL_GRAPH_BYTES:
                self._store.load(input=ntriples, format=ox.RdfFormat.N_TRIPLES, to_graph=name)
            else:
                self._load_new_graph(name, ntriples)
            return
        staging = ox.NamedNode(name.value + STAGING_SUFFIX)
        if self._store.contains_named_graph(staging):
            self._store.remove_graph(staging)
        self._bulk_load(ntriples, staging)
        self._store.update(
            f"DROP SILENT GRAPH <{name.value}> ; "
            f"ADD SILENT GRAPH <{staging.value}> TO GRAPH <{name.value}> ; "
            f"DROP SILENT GRAPH <{staging.value}>"
        )
        if self.path is not None:
            self._store.flush()

    def _bulk_load(self, ntriples: bytes | Iterable[bytes], graph: ox.NamedNode) -> None:
        """Bulk-load N-Triples, whole or in parts, into ``graph``: parts joined in few calls.

        Parts are read by one call of the loader up to :data:`BULK_CALL_BYTES`: each call
        of Oxigraph's bulk loader writes and ingests its own sorted files, which then have
        to be merged, but the loader's memory grows with what one call reads.
        """
        if isinstance(ntriples, bytes):
            self._store.bulk_load(input=ntriples, format=ox.RdfFormat.N_TRIPLES, to_graph=graph)
            return
        parts = iter(ntriples)
        while True:
            reader = _PartsReader(parts, BULK_CALL_BYTES)
            try:
                self._store.bulk_load(input=io.BufferedReader(reader, 1 << 20),
                                      format=ox.RdfFormat.N_TRIPLES, to_graph=graph)
            except BaseException:
                if reader.error is not None:  # what went wrong was making the parts
                    raise reader.error from None
                raise
            if reader.exhausted:
                return

    def _load_new_graph(self, name: ox.NamedNode, parts: bytes | Iterable[bytes]) -> None:
        """Bulk-load a graph that does not exist yet, named in a marker file meanwhile.

        In memory there is nothing to recover after a crash, so no marker is written.
        """
        marker = self._marker()
        if marker is not None:
            _write_synced(marker, name.value + "\n")
        try:
            self._bulk_load(parts, name)
            if marker is not None:
                self._store.flush()
        except BaseException:
            self._store.remove_graph(name)
            raise
        finally:
            if marker is not None:
                marker.unlink(missing_ok=True)

    def accepted_triples(self, exclude: tuple[str, ...] = ()) -> Iterator[ox.Triple]:
        """Yield the triples of every accepted submission graph but those in ``exclude``."""
        for name in self.graph_names():
            if name.startswith(SUBMISSION_BASE) and name not in exclude:
                for quad in self._store.quads_for_pattern(None, None, None, ox.NamedNode(name)):
                    yield ox.Triple(quad.subject, quad.predicate, quad.object)

    def dump_nquads(self) -> bytes:
        """Return the whole store as N-Quads, sorted (to compare two states of a store)."""
        data = self._store.dump(format=ox.RdfFormat.N_QUADS)
        return b"\n".join(sorted(data.splitlines()))

    def count(self, graph: str | None = None) -> int:
        """Count the triples of one named graph, or of all graphs (with a SPARQL COUNT)."""
        scope = f"GRAPH <{graph}> {{ ?s ?p ?o }}" if graph else "GRAPH ?g { ?s ?p ?o }"
        solutions = self._store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {scope} }}")
        return int(next(iter(solutions))["n"].value)  # type: ignore[arg-type,index]


class _PartsReader(io.RawIOBase):
    """A binary file over parts of bytes, taken from their iterator as the reader gets to them.

    It ends after the part that reaches ``limit`` bytes (or after the last part).

    An exception raised while making a part is kept in :attr:`error` (the loader that reads
    reports it as an I/O error of its own).
    """

    def __init__(self, parts: Iterator[bytes], limit: int) -> None:
        super().__init__()
        self._parts = parts
        self._part = memoryview(b"")
        self._left = limit
        self.error: BaseException | None = None
        self.exhausted = False
        """The parts have all been read (else the reader stopped at ``limit`` bytes)."""

    def readable(self) -> bool:
        """Tell that the reader can be read (it can)."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Copy the next bytes into ``buffer``; return how many (0 at the end)."""
        while not self._part:
            if self._left <= 0:  # whole parts only: the next call goes on from here
                return 0
            try:
                part = next(self._parts, None)
            except BaseException as exc:
                self.error = exc
                raise
            if part is None:
                self.exhausted = True
                return 0
            self._part = memoryview(part)
            self._left -= len(part)
        size = min(len(buffer), len(self._part))
        buffer[:size] = self._part[:size]
        self._part = self._part[size:]
        return size


def _write_synced(path: Path, text: str) -> None:
    """Write ``path`` and make it durable (the file and its directory entry) before going on."""
    with path.open("w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
