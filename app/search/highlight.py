"""Where query terms occur in the original (display) text, and a snippet around them.

Nothing here normalises the display text as a whole: normalisation changes
lengths (NFKC, harakat, tatweel, ligatures), so offsets into a normalised copy
would not map back. Instead the original is split into words in place, and
each word is normalised on its own with `index_terms`, the function that built
the index. Offsets are therefore Python str indices into the original, in
logical (string) order — right-to-left text needs no special casing; the
display layer applies the bidi algorithm to the marked-up result.

A "word" here is a maximal run of characters that either are letters, digits,
combining marks (harakat stay with their letter) or invisible format
characters (ZWNJ, RLM…), or that NFKC turns into such (e.g. «㎏» → «kg»),
plus an English possessive «'s». These runs are never finer than the index's
tokens, so every indexed token comes from exactly one run (tests check
that `index_terms` over the runs equals `index_terms` of the whole text).
"""

import bisect
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from app.search.text import index_terms

__all__ = ["Match", "Snippet", "find_matches", "snippet", "word_spans"]


@dataclass(frozen=True)
class Match:
    """A highlighted word: text[start:end] of the original text."""

    start: int
    end: int


@dataclass(frozen=True)
class Snippet:
    """A slice of the original text (it starts at `offset`); matches are relative to `text`."""

    text: str
    offset: int
    matches: tuple[Match, ...]


def _joins(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return cat[0] in "LNM" or cat == "Cf"


@lru_cache(maxsize=8192)
def _wordish(ch: str) -> bool:
    if _joins(ch):
        return True
    # Compatibility characters that NFKC turns into letters or digits
    # («㎏», «™», «№»): the index sees letters there, so must we.
    return any(_joins(c) for c in unicodedata.normalize("NFKC", ch))


_APOSTROPHES = frozenset("'’")


def word_spans(text: str) -> Iterator[tuple[int, int, int]]:
    """(start, end, word_end) of each word; `end` includes a possessive «'s», `word_end` does not."""
    i, n = 0, len(text)
    while i < n:
        if not _wordish(text[i]):
            i += 1
            continue
        j = i + 1
        while j < n and _wordish(text[j]):
            j += 1
        word_end = j
        # The index drops «'s» after a letter; keeping it in the same run
        # means this word is normalised exactly as the index saw it.
        if j + 1 < n and text[j] in _APOSTROPHES and text[j + 1] in "sS" and (j + 2 == n or not _wordish(text[j + 2])):
            j += 2
        yield i, j, word_end
        i = j


def _is_invisible(ch: str) -> bool:
    return unicodedata.category(ch) == "Cf"


@lru_cache(maxsize=1 << 16)
def _word_terms(word: str) -> tuple[str, ...]:
    """`index_terms` of one word, remembered: every word of every text on a page of hits is
    normalised, and stories share most of their vocabulary."""
    return tuple(index_terms(word))


def _matches(text: str, spans: Sequence[tuple[int, int, int]], wanted: Sequence[tuple[str, bool]]) -> list[Match]:
    exact = {t for t, is_prefix in wanted if not is_prefix and t}
    prefixes = tuple(t for t, is_prefix in wanted if is_prefix and t)
    if not exact and not prefixes:
        return []
    out: list[Match] = []
    for start, end, word_end in spans:
        tokens = _word_terms(text[start:end])
        if any(t in exact or (prefixes and t.startswith(prefixes)) for t in tokens):
            # Highlight the word itself: not a trailing «'s», not a stray RLM/ZWNJ at its edges.
            s, e = start, word_end
            while s < e and _is_invisible(text[s]):
                s += 1
            while e > s and _is_invisible(text[e - 1]):
                e -= 1
            out.append(Match(s, e) if s < e else Match(start, word_end))
    return out


def find_matches(text: str, wanted: Sequence[tuple[str, bool]]) -> list[Match]:
    """Words of `text` whose index terms equal a wanted term (or start with it, for prefixes).

    `wanted` is `query.terms(parse(q))`: already-normalised index terms. A
    phrase's words are highlighted wherever they occur, not only inside the
    phrase — the usual and cheaper behaviour for snippets.
    """
    return _matches(text, list(word_spans(text)), wanted)


def _is_low_surrogate(ch: str) -> bool:
    return "\udc00" <= ch <= "\udfff"


def _is_high_surrogate(ch: str) -> bool:
    return "\ud800" <= ch <= "\udbff"


def _inside_cluster(text: str, k: int) -> bool:
    """Would cutting before text[k] split a character from what belongs to it?"""
    if k <= 0 or k >= len(text):
        return False
    ch, prev = text[k], text[k - 1]
    return (
        unicodedata.category(ch)[0] == "M"  # a haraka or other mark after its letter
        or ch == "\u200d"
        or prev == "\u200d"  # zero-width joiner sequences
        or (_is_low_surrogate(ch) and _is_high_surrogate(prev))  # a pair left unjoined by a decoder
    )


def _densest(matches: Sequence[Match], width: int) -> tuple[int, int]:
    """Indices [i, j) of the most matches that fit in `width` (earliest on ties)."""
    best_i, best_j, j = 0, 1, 0
    for i, first in enumerate(matches):
        j = max(j, i + 1)
        while j < len(matches) and matches[j].end - first.start <= width:
            j += 1
        if j - i > best_j - best_i:
            best_i, best_j = i, j
    return best_i, best_j


def snippet(text: str, wanted: Sequence[tuple[str, bool]], *, width: int = 160) -> Snippet | None:
    """About `width` characters of `text` around the densest matches; None when nothing matches.

    The window is centred on the chosen matches, then narrowed to whole words
    and trimmed of edge whitespace, never cutting a surrogate pair or separating
    a combining mark from its letter. A single match longer than `width` is
    returned whole. The caller adds an ellipsis when `offset > 0` or when the
    snippet ends before the text does.
    """
    spans = list(word_spans(text))
    matches = _matches(text, spans, wanted)
    if not matches:
        return None
    width = max(width, 1)
    i, j = _densest(matches, width)
    first, last = matches[i].start, matches[j - 1].end
    if len(text) <= width:
        start, end = 0, len(text)
    else:
        start = max(first - max(width - (last - first), 0) // 2, 0)
        end = min(start + max(width, last - first), len(text))
        start = max(min(start, end - width), 0)  # room unused at the end goes to the start
        start, end = _snap(text, spans, start, end, first, last)
    chosen = tuple(Match(m.start - start, m.end - start) for m in matches if m.start >= start and m.end <= end)
    return Snippet(text[start:end], start, chosen)


def _snap(
    text: str, spans: Sequence[tuple[int, int, int]], start: int, end: int, first: int, last: int
) -> tuple[int, int]:
    """Move the edges inward onto word boundaries, then off edge whitespace.

    Moving inward cannot cross a match: matches are whole words, and the
    window always contains [first, last).
    """
    starts = [s for s, _, _ in spans]
    k = bisect.bisect_left(starts, start) - 1  # the word beginning before `start`, if any
    if k >= 0 and start < spans[k][1]:
        start = min(spans[k][1], first)
    k = bisect.bisect_left(starts, end) - 1
    if k >= 0 and end < spans[k][1]:
        end = max(spans[k][0], last)
    while start < first and text[start].isspace():
        start += 1
    while end > last and text[end - 1].isspace():
        end -= 1
    while _inside_cluster(text, start):
        start -= 1
    while _inside_cluster(text, end):
        end += 1
    return start, end
