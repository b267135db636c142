"""Run a user's query on the embedded store in a process that has no network access.

``cityculture query`` reads untrusted SPARQL. The query check refuses ``SERVICE``; as a second
line, the query itself runs in a child process that gave up network access
(:func:`cityculture.offline.run_without_network`), on the store opened read-only (or on a
copy of an in-memory store), so whatever the query says, the engine cannot connect anywhere.
An endpoint (``--endpoint``) runs queries on its own server and is not concerned.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from cityculture.offline import can_forbid_network, run_without_network
from cityculture.query_text import has_dataset_clause
from cityculture.rdf_terms import solution_rows
from cityculture.store.backends import (
    Backend,
    Bindings,
    OxigraphBackend,
    Row,
    bind_values,
    canonical_ox_term,
)


def _answer(path: str | None, nquads: bytes, query: str, union: bool) -> list[Row] | bool:
    """In the child: open the data, run the query, return rows or the ASK answer."""
    if path is not None:
        store = ox.Store.read_only(path)
    else:
        store = ox.Store()
        store.bulk_load(nquads, ox.RdfFormat.N_QUADS)
    result = store.query(query, use_default_graph_as_union=union)
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    if isinstance(result, ox.QuerySolutions):
        return solution_rows(result, canonical_ox_term)
    raise ValueError("not a SELECT or ASK query")


def run_user_query(backend: Backend, form: str, query: str,
                   bindings: Bindings) -> list[Row] | bool:
    """Run a user's SELECT (rows) or ASK (answer): offline on the embedded store.

    On an endpoint the server runs the query, as any other; where the platform cannot take
    network access away (not Linux), in this process, guarded by the query check alone.
    """
    if not isinstance(backend, OxigraphBackend) or not can_forbid_network():
        return backend.ask(query, bindings) if form == "ASK" else backend.select(query, bindings)
    union = backend.union_default_graph and not has_dataset_clause(query)
    text = bind_values(query, bindings)
    path = backend.path
    if path is not None:
        return run_without_network(_answer, str(Path(path)), b"", text, union)
    return run_without_network(_answer, None, backend.dump_nquads(), text, union)
