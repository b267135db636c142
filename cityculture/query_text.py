"""Read the text of a user's SPARQL query: its form, and what a read-only query may not do.

User queries (``cityculture query``, the ``serve`` endpoint) are untrusted. Before they reach
a store they are scanned with string literals, IRIs and comments masked out, so a keyword
inside a city name or a comment is not mistaken for an operation:

* the query form (``SELECT``, ``ASK``, ``CONSTRUCT``, ``DESCRIBE``) is read after the
  prologue; SPARQL Update operations are refused;
* ``SERVICE`` (federated query: the store would connect to another server) is refused;
* ``FROM`` and ``FROM NAMED`` are allowed: the engines used here read them as names of graphs
  in the store, never as URLs to fetch.
"""

from __future__ import annotations

import re

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD",
                   "WITH")


class UnsafeQueryError(ValueError):
    """A query asks for something a read-only query may not do."""


_MASK = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'      # long strings
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'                # short strings
    r"|'(?:[^'\\\n]|\\.)*'"
    r'|<[^<>"{}|^`\\\x00-\x20]*>'          # IRIs
    r"|#[^\n]*",                           # comments
    re.DOTALL,
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def masked(text: str) -> str:
    """Return ``text`` with strings, IRIs and comments replaced by spaces of the same length."""
    return _MASK.sub(lambda m: " " * len(m.group(0)), text)


def _keywords(text: str) -> list[str]:
    """Upper-cased bare words of the query (variables and prefixed names left out)."""
    words = []
    for match in _WORD.finditer(masked(text)):
        start, end = match.span()
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        if before in "?$:" or after == ":":
            continue
        words.append(match.group(0).upper())
    return words


def query_form(text: str) -> str:
    r"""Return the form of a query: SELECT, ASK, CONSTRUCT or DESCRIBE.

    >>> query_form("PREFIX ex: <http://e/> # SELECT in a comment\nASK { ?s ex:p 'DROP' }")
    'ASK'

    :raises UnsafeQueryError: the text is a SPARQL Update, or has no query form.
    """
    for word in _keywords(text):
        if word in ("PREFIX", "BASE"):
            continue
        if word in QUERY_FORMS:
            return word
        if word in UPDATE_KEYWORDS:
            raise UnsafeQueryError(f"refused: {word} is a SPARQL Update operation; "
                                   "only SELECT, ASK, CONSTRUCT and DESCRIBE queries are run")
    raise UnsafeQueryError("not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE")


def check_read_only(text: str) -> str:
    """Return the query form if the query is a read-only query without ``SERVICE``.

    >>> check_read_only('SELECT * WHERE { ?s ?p "SERVICE <http://x/>" }')
    'SELECT'

    :raises UnsafeQueryError: an update, or a ``SERVICE`` clause.
    """
    form = query_form(text)
    keywords = _keywords(text)
    if "SERVICE" in keywords:
        raise UnsafeQueryError("refused: SERVICE (federated query) would make the store "
                               "connect to another server")
    for word in UPDATE_KEYWORDS:
        if word in keywords:
            raise UnsafeQueryError(f"refused: {word} is a SPARQL Update keyword")
    return form


def has_dataset_clause(text: str) -> bool:
    """Tell whether a query names its dataset itself (``FROM`` or ``FROM NAMED``).

    >>> has_dataset_clause("SELECT * FROM <urn:g> WHERE { ?s ?p 'FROM' }")
    True
    """
    return "FROM" in _keywords(text)


_DECLARATION = re.compile(r"(?i)\b(?:PREFIX\s+[A-Za-z0-9_.\-]*:\s*|BASE\s*)(?=<)")


def update_operations(text: str) -> list[str]:
    r"""Split a SPARQL Update request into its operations, each with the declarations before it.

    The operations are separated by ``;`` outside braces (strings, IRIs and comments are
    masked first); every operation gets the ``PREFIX``/``BASE`` declarations made before it,
    so each is a request of its own.

    >>> ops = update_operations("PREFIX ex: <http://e/#;> INSERT DATA { ex:a ex:b ';' } ;\n"
    ...                         "DELETE WHERE { ex:a ?p ?o }")
    >>> [op.split(">", 1)[1].strip() for op in ops]
    ["INSERT DATA { ex:a ex:b ';' }", 'DELETE WHERE { ex:a ?p ?o }']
    """
    hidden = masked(text)
    pieces: list[tuple[int, int]] = []
    depth, start = 0, 0
    for index, char in enumerate(hidden):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == ";" and depth == 0:
            pieces.append((start, index))
            start = index + 1
    pieces.append((start, len(text)))
    operations: list[str] = []
    declared = ""
    for begin, end in pieces:
        if not hidden[begin:end].strip():
            continue  # nothing but space, comments (or a trailing ';')
        operations.append(declared + text[begin:end].strip())
        for match in _DECLARATION.finditer(text, begin, end):
            if hidden[match.start()] == " ":
                continue  # in a comment or a string
            iri_end = text.index(">", match.end()) + 1
            declared += text[match.start():iri_end] + "\n"
    return operations
