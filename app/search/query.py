"""The search query language, parsed once and rendered for SQLite FTS5 and PostgreSQL.

Syntax (Google-like; everything else is read literally):

    rain flood          both words (AND is implicit)
    "rain flood"        the exact phrase; “…” and «…» work too
    rain OR flood       either; OR is an operator only in uppercase and only
                        between two operands, otherwise it is the word «or»
    -flood  -"a b"      exclusions (a word, a phrase or a (group))
    minist*             prefix; "a b"* makes the last word of a phrase a prefix
    (rain OR snow) -x   parentheses group; nesting is limited to MAX_DEPTH

OR binds tighter than the implicit AND: ``a b OR c d`` is a ∧ (b ∨ c) ∧ d.

Malformed input is read literally rather than rejected: an unclosed quote is
dropped and its words read as words, a stray ``)`` or lone ``-``/``*`` is
ignored, an unclosed ``(`` closes at the end. The only exception `parse` raises
is `QueryError`, for: NUL bytes, more than MAX_CHARS characters, more than
MAX_TERMS terms, nothing left to search for, or only exclusions.

Every word is turned into index terms by `app.search.text`, the same function
that builds the index, so hamza/harakat/digit variants, English inflections and
Arabic articles match whatever the stored text used.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final, Literal

from app.search.text import index_terms, prefix_forms, raw_terms

__all__ = [
    "MAX_CHARS",
    "MAX_DEPTH",
    "MAX_TERMS",
    "All",
    "Any_",
    "Node",
    "Phrase",
    "QueryError",
    "Term",
    "parse",
    "terms",
    "to_fts5",
    "to_tsquery",
]

MAX_CHARS: Final = 500
MAX_TERMS: Final = 30
# Deeper parentheses are ignored (read as plain text); also keeps recursion bounded.
MAX_DEPTH: Final = 8


class QueryError(ValueError):
    """The query cannot be searched; the message is safe to show to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Term:
    """One index term (already normalised); `prefix` matches any term starting with it."""

    text: str
    prefix: bool = False


@dataclass(frozen=True)
class Phrase:
    """Index terms that must be adjacent and in order.

    `prefix` (an extension: defaults to False) makes the last term a prefix,
    as in ``"al-hadd"*``; both FTS5 and tsquery support that natively.
    """

    terms: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class Any_:
    """At least one of the options (OR)."""

    options: tuple[Node, ...]


@dataclass(frozen=True)
class All:
    """Every part, and none of the exclusions."""

    parts: tuple[Node, ...]
    exclude: tuple[Node, ...] = ()


Node = Term | Phrase | Any_ | All


# --- tokenising ----------------------------------------------------------------

_QUOTES: Final = {'"': '"', "“": "”", "„": "“", "«": "»"}
_WORD_END: Final = frozenset('()"“„«')

_Kind = Literal["word", "phrase", "or", "neg", "open", "close"]


@dataclass(frozen=True)
class _Tok:
    kind: _Kind
    text: str = ""
    prefix: bool = False


def _tokenise(q: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(q)
    while i < n:
        ch = q[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            toks.append(_Tok("open" if ch == "(" else "close"))
            i += 1
        elif ch in _QUOTES:
            end = q.find(_QUOTES[ch], i + 1)
            if end < 0:
                # Unclosed: drop the quote, read what follows as plain words.
                i += 1
                continue
            inner = q[i + 1 : end]
            i = end + 1
            prefix = i < n and q[i] == "*"
            while i < n and q[i] == "*":
                i += 1
            toks.append(_Tok("phrase", inner, prefix))
        elif ch == "-" and i + 1 < n and not q[i + 1].isspace() and q[i + 1] != ")":
            # A minus that starts a chunk negates it; inside a word («al-Haddad») it is text.
            toks.append(_Tok("neg"))
            i += 1
        else:
            j = i
            while j < n and not q[j].isspace() and q[j] not in _WORD_END:
                j += 1
            # j > i: every character in _WORD_END was handled by a branch above.
            word = q[i:j]
            i = j
            if word == "OR":
                toks.append(_Tok("or"))
            else:
                stripped = word.rstrip("*")
                toks.append(_Tok("word", stripped, prefix=len(stripped) < len(word)))
    return toks


# --- parsing -------------------------------------------------------------------

_OPERAND_START: Final = frozenset({"word", "phrase", "open"})


def _one(options: list[Node]) -> Node:
    return options[0] if len(options) == 1 else Any_(tuple(options))


class _Parser:
    def __init__(self, toks: list[_Tok]) -> None:
        self.toks = toks
        self.pos = 0
        self.terms = 0
        # Parentheses beyond MAX_DEPTH are ignored, and so are their partners.
        self.ignored_opens = 0

    def peek(self, ahead: int = 0) -> _Tok | None:
        i = self.pos + ahead
        return self.toks[i] if i < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.toks[self.pos]
        self.pos += 1
        return tok

    def count(self, n: int) -> None:
        self.terms += n
        if self.terms > MAX_TERMS:
            raise QueryError(f"a query can have at most {MAX_TERMS} terms")

    def sequence(self, depth: int) -> tuple[list[Node], list[Node]]:
        """Implicit-AND items up to the closing parenthesis (or the end)."""
        parts: list[Node] = []
        exclude: list[Node] = []
        while (tok := self.peek()) is not None:
            if tok.kind == "close":
                self.take()
                if self.ignored_opens:
                    self.ignored_opens -= 1
                    continue
                if depth > 0:
                    break
                continue  # a stray ")" at the top level: ignore it
            if tok.kind == "neg":
                self.take()
                nxt = self.peek()
                if nxt is None or nxt.kind not in _OPERAND_START:
                    continue  # "-" before OR or ")": nothing to exclude
                node = self.operand(depth)
                if node is not None:
                    exclude.extend(self.as_exclusions(node))
                continue
            options = self.disjunction(depth)
            if not options:
                continue
            if len(options) == 1 and isinstance(options[0], All):
                # AND is associative: a group inside an AND flattens into it,
                # which also turns «(-x)» into a plain exclusion.
                parts.extend(options[0].parts)
                exclude.extend(options[0].exclude)
            else:
                parts.append(_one(options))
        return parts, exclude

    def disjunction(self, depth: int) -> list[Node]:
        """operand (OR operand)*; a dangling OR is the word «or»."""
        first = self.operand(depth)
        options = self.flatten_or(first)
        while (
            (tok := self.peek()) is not None
            and tok.kind == "or"
            and (nxt := self.peek(1)) is not None
            and nxt.kind in _OPERAND_START
        ):
            self.take()
            options.extend(self.flatten_or(self.operand(depth)))
        if len(options) > 1:
            for option in options:
                if isinstance(option, All) and not option.parts:
                    raise QueryError("each OR option needs at least one term to look for")
        return list(dict.fromkeys(options))

    def flatten_or(self, node: Node | None) -> list[Node]:
        if node is None:
            return []
        if isinstance(node, Any_):
            return list(node.options)
        return [node]

    def as_exclusions(self, node: Node) -> list[Node]:
        if isinstance(node, Any_):
            return list(node.options)  # not (a or b) == not a and not b
        if isinstance(node, All) and not node.parts:
            raise QueryError("an excluded group needs at least one term")
        return [node]

    def operand(self, depth: int) -> Node | None:
        tok = self.take()
        if tok.kind == "or":
            return self.text_node("or", prefix=False)
        if tok.kind in ("word", "phrase"):
            return self.text_node(tok.text, prefix=tok.prefix)
        if tok.kind == "open":
            if depth >= MAX_DEPTH:
                self.ignored_opens += 1
                return None
            parts, exclude = self.sequence(depth + 1)
            if not parts and not exclude:
                return None
            if len(parts) == 1 and not exclude:
                return parts[0]
            return All(tuple(parts), tuple(exclude))
        return None  # "close"/"neg" never reach here; be safe anyway

    def text_node(self, text: str, *, prefix: bool) -> Node | None:
        """A word or a quoted phrase: one term, or a phrase when it yields several."""
        raws = raw_terms(text)
        if not raws:
            return None  # punctuation only
        self.count(len(raws))
        if not prefix:
            found = index_terms(text)
            return Term(found[0]) if len(found) == 1 else Phrase(tuple(found))
        head = tuple(index_terms(" ".join(raws[:-1]))) if len(raws) > 1 else ()
        if not head:
            return _one([Term(form, prefix=True) for form in prefix_forms(raws[-1])])
        return _one([Phrase((*head, form), prefix=True) for form in prefix_forms(raws[-1])])


def parse(q: str) -> All:
    """Parse a user query; raises only QueryError."""
    if not isinstance(q, str):
        raise QueryError("the query must be text")
    if "\x00" in q:
        raise QueryError("the query contains a NUL character")
    if len(q) > MAX_CHARS:
        raise QueryError(f"a query can be at most {MAX_CHARS} characters long")
    parser = _Parser(_tokenise(q))
    parts, exclude = parser.sequence(0)
    if not parts:
        if exclude:
            raise QueryError("a query needs at least one term to look for")
        raise QueryError("empty query")
    return All(tuple(parts), tuple(dict.fromkeys(exclude)))


# --- rendering -----------------------------------------------------------------


def _fts_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _fts(node: Node) -> str:
    if isinstance(node, Term):
        return _fts_string(node.text) + (" *" if node.prefix else "")
    if isinstance(node, Phrase):
        # FTS5 tokenises the string with the table's tokenizer: the terms are
        # single unicode61 tokens already, so this is exactly an adjacent sequence.
        return _fts_string(" ".join(node.terms)) + (" *" if node.prefix else "")
    if isinstance(node, Any_):
        return "(" + " OR ".join(_fts(o) for o in node.options) + ")"
    if not node.parts:
        raise QueryError("a query needs at least one term to look for")
    positive = "(" + " AND ".join(_fts(p) for p in node.parts) + ")"
    if not node.exclude:
        return positive
    # FTS5's NOT is binary only, so exclusions hang off the positive side.
    return "(" + positive + " NOT (" + " OR ".join(_fts(e) for e in node.exclude) + "))"


def to_fts5(query: All) -> str:
    """An FTS5 MATCH expression; fully parenthesised, so operator precedence never matters."""
    return _fts(query)


def _lexeme(text: str) -> str:
    # tsquery quoting: a quote or backslash inside a quoted lexeme is doubled.
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def _ts(node: Node) -> str:
    if isinstance(node, Term):
        return _lexeme(node.text) + (":*" if node.prefix else "")
    if isinstance(node, Phrase):
        lexemes = [_lexeme(t) for t in node.terms]
        if node.prefix:
            lexemes[-1] += ":*"
        return "(" + " <-> ".join(lexemes) + ")"
    if isinstance(node, Any_):
        return "(" + " | ".join(_ts(o) for o in node.options) + ")"
    if not node.parts:
        raise QueryError("a query needs at least one term to look for")
    out = " & ".join(_ts(p) for p in node.parts)
    if node.exclude:
        out += " & !(" + " | ".join(_ts(e) for e in node.exclude) + ")"
    return "(" + out + ")"


def to_tsquery(query: All) -> str:
    """The text for PostgreSQL ``to_tsquery('simple', %s)`` (pass it as a bound parameter)."""
    return _ts(query)


def _walk_positive(node: Node) -> Iterator[tuple[str, bool]]:
    if isinstance(node, Term):
        yield node.text, node.prefix
    elif isinstance(node, Phrase):
        for i, t in enumerate(node.terms):
            yield t, node.prefix and i == len(node.terms) - 1
    elif isinstance(node, Any_):
        for o in node.options:
            yield from _walk_positive(o)
    else:
        for p in node.parts:
            yield from _walk_positive(p)


def terms(query: All) -> list[tuple[str, bool]]:
    """The positive index terms (phrase words included) with their prefix flag, for highlighting."""
    return list(dict.fromkeys(_walk_positive(query)))
