r"""Read the text of a user's SPARQL query: its form, and what a read-only query may not do.

User queries (``cityculture query``, the ``serve`` endpoint, SPARQL inside extra shapes) are
untrusted. The decision is taken on the *parsed* query, not on its text:

1. the text is bounded (:data:`MAX_QUERY_CHARS`) before any other work;
2. codepoint escapes (``\u0041``, ``\U00000041``) are processed before parsing, as SPARQL 1.1
   section 19.2 says. Engines differ here (Oxigraph decodes them only inside IRIs and strings,
   where ``\u005C"`` then ends a string that the specification's reading continues), so an
   escape that encodes an ASCII character is refused: every escape left encodes a character
   that no SPARQL token boundary depends on, and both readings see the same tokens;
3. a lexer that follows the SPARQL 1.1 terminals (comments end at CR or LF, strings with
   their escapes, IRIs, prefixed names with ``\#`` escapes) refuses any ``SERVICE`` keyword,
   in linear time;
4. rdflib's SPARQL 1.1 grammar parses the query (after the escapes, line ends normalised so
   that a comment ends at CR as the grammar says); a ``ServiceGraphPattern`` anywhere in the
   parse tree is refused, and text that parses only as an update is refused as an update.

``FROM`` and ``FROM NAMED`` are allowed: the engines used here read them as names of graphs
in the store, never as URLs to fetch. ``tests/test_query_text.py`` runs each bypass case on
Oxigraph with a listening socket and checks that whatever makes Oxigraph connect is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD",
                   "WITH")
MAX_QUERY_CHARS = 50_000
"""The longest query text that is read at all (characters)."""

_FORM_NODES = {"SelectQuery": "SELECT", "AskQuery": "ASK", "ConstructQuery": "CONSTRUCT",
               "DescribeQuery": "DESCRIBE"}
_SERVICE_REFUSAL = ("refused: SERVICE (federated query) would make the store connect to "
                    "another server")


class UnsafeQueryError(ValueError):
    """A query asks for something a read-only query may not do, or cannot be read."""


# -- codepoint escapes -------------------------------------------------------------------------

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def expand_escapes(text: str) -> str:
    r"""Replace codepoint escapes by their characters, refusing those that encode ASCII.

    >>> expand_escapes('SELECT * WHERE { ?s ?p "Z\\u00FCrich" }')
    'SELECT * WHERE { ?s ?p "Zürich" }'
    >>> try:
    ...     expand_escapes("SELECT * WHERE { ?s ?p <urn:a\\u0023> }")
    ... except UnsafeQueryError as exc:
    ...     print(exc)
    refused: the escape \u0023 at character 30 encodes '#', an ASCII character: write it as is

    :raises UnsafeQueryError: an escape of an ASCII character, a surrogate or beyond U+10FFFF.
    """

    def character(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        where = f"the escape {match.group(0)} at character {match.start() + 1}"
        if code < 0x80:
            raise UnsafeQueryError(f"refused: {where} encodes {chr(code)!r}, an ASCII "
                                   "character: write it as is")
        if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
            raise UnsafeQueryError(f"not a SPARQL query: {where} is not a Unicode character")
        return chr(code)

    return _ESCAPE.sub(character, text)


# -- the lexer ---------------------------------------------------------------------------------

_ECHAR = r"""\\[tbnrf\\"']"""
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_NAME_START = r"[^\W\d]|[:]"
_NAME_CHAR = r"[\w\u00B7\u0300-\u036F\u203F\u2040.\-:]"
_TOKEN = re.compile(
    rf"""(?P<space>[ \t\r\n]+)
    |(?P<comment>\#[^\r\n]*)
    |(?P<string>'''(?:(?:'|'')?(?:[^'\\]|{_ECHAR}))*'''
               |\"\"\"(?:(?:"|"")?(?:[^"\\]|{_ECHAR}))*\"\"\"
               |'(?:[^'\\\n\r]|{_ECHAR})*'
               |"(?:[^"\\\n\r]|{_ECHAR})*")
    |(?P<iri><[^<>"{{}}|^`\\\x00-\x20]*>)
    |(?P<var>[?$][\w\u00B7\u0300-\u036F\u203F\u2040]+)
    |(?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
    |(?P<number>[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)
    |(?P<name>(?:{_NAME_START})(?:{_NAME_CHAR}|{_PLX})*)
    |(?P<punct>\^\^|&&|\|\||!=|<=|>=|[{{}}()\[\];,.*+\-/!=<>^|])""",
    re.VERBOSE,
)
_OPENERS = {"'": "a quoted string", '"': "a quoted string"}


@dataclass(frozen=True)
class Token:
    """One lexical token: its kind (space, comment, string, iri, var, lang, name, punct)."""

    kind: str
    text: str
    start: int


def tokens(text: str, *, strict: bool = True) -> Iterator[Token]:
    r"""Split SPARQL text into tokens, left to right in linear time.

    A ``<`` starts an IRI where one matches, else it is the operator. With ``strict``, a
    character that starts no token (an unclosed string, a stray backslash) raises; without,
    it becomes a one-character ``other`` token (for text that is trusted anyway).

    >>> [t.text for t in tokens("ASK { ?s ?p 'a#b' } # end\rFILTER") if t.kind != "space"]
    ['ASK', '{', '?s', '?p', "'a#b'", '}', '# end', 'FILTER']

    :raises UnsafeQueryError: (strict) text that is not made of SPARQL tokens.
    """
    position, end = 0, len(text)
    while position < end:
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            if strict:
                char = text[position]
                what = _OPENERS.get(char, repr(char))
                raise UnsafeQueryError(f"not a SPARQL query: {what} at character "
                                       f"{position + 1} cannot be read (unclosed or stray)")
            yield Token("other", text[position], position)
            position += 1
            continue
        kind = match.lastgroup or "other"
        yield Token(kind, match.group(0), position)
        position = match.end()


def masked(text: str) -> str:
    """Return ``text`` with strings, IRIs and comments replaced by spaces of the same length."""
    pieces = []
    for token in tokens(text, strict=False):
        hidden = token.kind in ("string", "iri", "comment")
        pieces.append(" " * len(token.text) if hidden else token.text)
    return "".join(pieces)


def _keywords(text: str, *, strict: bool = False) -> list[str]:
    """Upper-cased bare words of the query (variables and prefixed names left out)."""
    return [token.text.upper() for token in tokens(text, strict=strict)
            if token.kind == "name" and ":" not in token.text]


def _names_service(token: Token) -> bool:
    """Tell whether a name token is, or may be read as, the keyword SERVICE.

    ``SERVICE:`` (a prefix of that name) counts: an engine may read it as the keyword
    followed by the empty prefix, and Oxigraph does.
    """
    return token.kind == "name" and token.text.split(":", 1)[0].upper() == "SERVICE"


# -- the parse ---------------------------------------------------------------------------------

def _parse(text: str) -> object:
    """Parse with rdflib's SPARQL 1.1 query grammar; raise UnsafeQueryError if it is not one."""
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.parser import Query, UpdateUnit

    # rdflib's comment rule ends at LF only; the grammar's ends at CR too. Outside comments a
    # CR is white space, and inside a long string it changes only the string's value.
    text = text.replace("\r", "\n")
    try:
        return Query.parse_string(text, parse_all=True)
    except RecursionError:
        raise UnsafeQueryError("not a SPARQL query: nested too deeply to parse") from None
    except ParseBaseException as exc:
        problem = f"line {exc.lineno}, column {exc.column}: {exc.msg}"
    try:
        UpdateUnit.parse_string(text, parse_all=True)
    except (ParseBaseException, RecursionError):
        raise UnsafeQueryError(f"not a SPARQL query: {problem}") from None
    raise UnsafeQueryError("refused: this is a SPARQL Update; only SELECT, ASK, CONSTRUCT and "
                           "DESCRIBE queries are run")


def _nodes(tree: object) -> Iterator[str]:
    """Yield the name of every node of an rdflib parse tree (iteratively: trees can be deep)."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, CompValue):
            yield node.name
            pending.extend(node.values())
        elif isinstance(node, ParseResults | list | tuple):
            pending.extend(node)


def check_read_only(text: str) -> str:
    r"""Return the query form if the query is a read-only query without ``SERVICE``.

    >>> check_read_only('SELECT * WHERE { ?s ?p "SERVICE <http://x/>" }')
    'SELECT'
    >>> try:
    ...     check_read_only("ASK { # a comment that ends at CR\rSERVICE <http://x/> {} }")
    ... except UnsafeQueryError as exc:
    ...     print(exc)
    refused: SERVICE (federated query) would make the store connect to another server

    :raises UnsafeQueryError: too long, an update, ``SERVICE``, or not a SPARQL query.
    """
    if len(text) > MAX_QUERY_CHARS:
        raise UnsafeQueryError(f"refused: the query has {len(text):,} characters, more than "
                               f"the limit of {MAX_QUERY_CHARS:,}")
    expanded = expand_escapes(text)
    if any(_names_service(token) for token in tokens(expanded)):
        raise UnsafeQueryError(_SERVICE_REFUSAL)
    names = set(_nodes(_parse(expanded)))
    if "ServiceGraphPattern" in names:
        raise UnsafeQueryError(_SERVICE_REFUSAL)
    form = next((f for node, f in _FORM_NODES.items() if node in names), None)
    if form is None:  # pragma: no cover - the grammar has no other query form
        raise UnsafeQueryError("not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE")
    return form


def query_form(text: str) -> str:
    r"""Return the form of a query: SELECT, ASK, CONSTRUCT or DESCRIBE (read from its parse).

    >>> query_form("PREFIX ex: <http://e/> # SELECT in a comment\nASK { ?s ex:p 'DROP' }")
    'ASK'

    :raises UnsafeQueryError: the text is a SPARQL Update, or not a query.
    """
    return check_read_only(text)


def has_dataset_clause(text: str) -> bool:
    """Tell whether a query names its dataset itself (``FROM`` or ``FROM NAMED``).

    >>> has_dataset_clause("SELECT * FROM <urn:g> WHERE { ?s ?p 'FROM' }")
    True
    """
    return "FROM" in _keywords(text)


def projected_variables(text: str) -> list[str]:
    """Return the variables a SELECT query projects, in order, read from its parse.

    A ``SELECT *`` projects no variable by name: the list is empty.

    >>> projected_variables("SELECT ?city (SUM(?v) AS ?total) ?t "
    ...                     "WHERE { ?city ?p ?v ; ?q ?t } GROUP BY ?city ?t")
    ['city', 'total', 't']

    :raises UnsafeQueryError: the text is not a SPARQL query.
    """
    query = _parse(expand_escapes(text))[1]  # type: ignore[index]
    if "projection" not in query:
        return []
    return [str(item["var"] if "var" in item else item["evar"]) for item in query["projection"]]
