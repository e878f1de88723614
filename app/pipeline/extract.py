"""Rule-based quote extraction and speaker attribution for Arabic and English.

The design follows the reporting-cue approach (no parser, no model): find the
quotation marks, the reporting verbs and the prepositional attributions of
each sentence, read the words between the cue and the content as the speaker,
and resolve that speaker against what the story has already named
(see attribution.py). The story is tokenised once, and each paragraph holds
its tokens as parallel lists (raw word, folded word, end offset, quote id)
whose offsets point into the original text, so the returned offsets are
exact; Tok tuples are built only for the short ranges handed to the mention
parsers.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate, chain, compress, pairwise
from typing import cast

from app.pipeline import lexicon as lx
from app.pipeline.attribution import (
    CORE,
    END,
    QUOTED,
    RAW,
    START,
    KnownEntity,
    Mention,
    Resolver,
    Speaker,
    Tok,
    _slug,
    ar_name_span,
    fold,
    parse_ar,
    parse_en,
)

__all__ = ["ExtractedQuote", "KnownEntity", "Speaker", "extract_quotes"]


@dataclass(frozen=True, init=False)
class ExtractedQuote:
    text: str
    kind: str  # "direct" | "indirect" | "mixed"
    cue: str
    paragraph: int
    start: int
    end: int
    speaker: Speaker | None
    mention: str
    confidence: float

    def __init__(
        self,
        text: str,
        kind: str,
        cue: str,
        paragraph: int,
        start: int,
        end: int,
        speaker: Speaker | None,
        mention: str,
        confidence: float,
    ) -> None:
        # The generated __init__ of a frozen dataclass sets each field through
        # object.__setattr__; filling the instance dict in one call costs half
        # as much, and a story builds some fifty quotes.
        self.__dict__.update(
            text=text,
            kind=kind,
            cue=cue,
            paragraph=paragraph,
            start=start,
            end=end,
            speaker=speaker,
            mention=mention,
            confidence=confidence,
        )


_MARKS = "\u0640\u064b-\u0652\u0670"
# Word characters: \w plus harakat and tatweel. The explicit Arabic and ASCII
# ranges in front are all \w too; listing them first lets the regex engine
# accept the common letters by a range test before \w's Unicode lookup.
_WORDCH = rf"\u0621-\u063a\u0641-\u064a\u0660-\u0669\u0671-\u06d3a-zA-Z0-9\w{_MARKS}"
# Possessive quantifiers: a chunk never needs to give characters back, and
# skipping the backtracking bookkeeping makes findall() ~10% faster.
_CHUNK = re.compile(rf"\s*+(?:[{_WORDCH}]++(?:['’\-][{_WORDCH}]++)*+|\S)")
_OPEN = frozenset("«“")
_CLOSE = frozenset("»”")
_QMARKS = frozenset('"«»“”')
_END = frozenset(".!?؟")
_COMMA = frozenset("،,")
_STOPS = _END | _QMARKS
_DASH = frozenset("-–—")
_AR_COMP = lx._fold(
    "إن أن بأن فإن وإن وأن إنه إنها إنهم إنهما أنه أنها أنهم أنهما بأنه بأنها بأنهم إنني إننا أننا فإنه"
)
_AR_FA_INNA = lx._fold("فإن فان")
_AR_WAS = lx._fold("كان وكان كانت وكانت وكانوا كانوا")
_AR_AMMA = lx._fold("أما وأما")
_AR_PRONOUN_HOST = re.compile(r"^(?:و|ف)?(?:لكن|لكنّ|ان|غير ان)(ه|ها|هم|هما)$")
_AR_OBJ_PREP = lx._fold("إلى الى ب بـ من على عن ل")
_EN_SKIP_AFTER_CUE = frozenset(["on", "in", "at", "late", "earlier", "also", "today", "yesterday"])
_EN_PREP_START = ("according", "to")
_EN_THAT = frozenset(["that"])
_COMP_OR_THAT = _AR_COMP | _EN_THAT


@dataclass(slots=True)
class _Span:
    """Quotation marks in one paragraph; ``close`` is None when left open."""

    open: int
    close: int | None
    cont_prev: bool = False  # continues a quote opened in an earlier paragraph
    cont_next: bool = False  # runs on into the next paragraph


_MINUS_ONE_LT = (-1).__lt__  # qid > -1: the token is inside quotation marks
_MINUS_ONE_EQ = (-1).__eq__  # qid == -1: the token is outside quotation marks


@dataclass(slots=True)
class _Para:
    """One paragraph as parallel per-token lists.

    Parallel lists rather than one tuple per token: most scans read a single
    field (the folded word, or whether it is quoted), and only the few token
    ranges handed to the mention parsers need Tok tuples (see ``toks``).
    """

    text: str  # the whole story, paragraphs joined by newlines: offsets point into it
    base: int  # where this paragraph starts in text
    ends: list[int]  # offset after each token; starts are derived (see start())
    raws: list[str]
    cores: list[str]  # normalize()d words; "" for punctuation
    qid: list[int]  # span index for tokens inside quotation marks, else -1
    spans: list[_Span]
    opens: dict[int, _Span]  # opening mark index -> span
    closes: dict[int, _Span]  # closing mark index -> span
    # tokens already emitted in a quote, one byte each: a bytearray is no container
    # for the garbage collector to traverse, and a story keeps fifty of them
    used: bytearray
    cues: list[int]  # tokens that may be reporting verbs, outside quotes
    roles: list[int]  # each token's roles (see _role_tok)
    names: list[int]  # tokens that may open a name the prescan registers (capitalised in English)
    stops: list[int]  # sentence-final punctuation and quotation marks
    has_prep: bool  # a word that may open a prepositional attribution, quoted or not (see _prep)

    def toks(self, a: int, b: int) -> list[Tok]:
        """Tok tuples for the range [a, b) (a >= 0), for the mention parsers."""
        # The ranges are short (five tokens on average): a comprehension beats
        # zip() over sliced lists, whose set-up costs more than the tuples.
        ends, raws, cores, qid = self.ends, self.raws, self.cores, self.qid
        return [(ends[k] - len(raws[k]), ends[k], raws[k], cores[k], qid[k] >= 0) for k in range(a, b)]

    def word_toks(self, a: int, b: int, commas: bool = False) -> list[Tok]:
        """toks() without punctuation (commas kept if asked): the tuples that would be dropped are not built."""
        ends, raws, cores, qid = self.ends, self.raws, self.cores, self.qid
        return [
            (ends[k] - len(raws[k]), ends[k], raws[k], cores[k], qid[k] >= 0)
            for k in range(a, b)
            if cores[k] or (commas and raws[k] in _COMMA)
        ]

    def start(self, i: int) -> int:
        return self.ends[i] - len(self.raws[i])

    def quoted_words(self, a: int, b: int) -> int:
        """Number of words inside quotation marks in [a, b)."""
        if not self.spans:
            return 0
        return len(list(filter(None, compress(self.cores[a:b], map(_MINUS_ONE_LT, self.qid[a:b])))))


_NO_SPANS: dict[int, _Span] = {}  # shared, never written: most paragraphs quote nothing
_FOLD_CACHE: dict[str, str] = {}
_fold_get = _FOLD_CACHE.get


def _fold_tok(r: str) -> str:
    c = fold(r) if (r[0].isalnum() or len(r) > 1) and r not in _QMARKS else ""
    if len(_FOLD_CACHE) > 200_000:
        _FOLD_CACHE.clear()
    _FOLD_CACHE[r] = c
    return c


# What a token can be, as bits, decided once per distinct token as its folded
# form is: a paragraph then finds its stops, cues and name starts in one scan
# instead of one set-membership map over all its tokens per kind.
_STOP_ROLE = 1  # sentence-final punctuation or a quotation mark
_AR_CUE_ROLE = 2
_EN_CUE_ROLE = 4
_AR_NAME_ROLE = 8  # may open a name the Arabic prescan registers
_CAP_ROLE = 16  # capitalised: may be part of an English name
# may open an attribution by preposition («بحسب», "according"): a paragraph
# learns whether it has one from the scan, not from a set test per word
_AR_PREP_ROLE = 32
_EN_PREP_ROLE = 64
_ROLE_CACHE: dict[str, int] = {}
_role_get = _ROLE_CACHE.get


def _role_tok(raw: str, core: str) -> int:
    role = 0
    if raw in _STOPS:
        role |= _STOP_ROLE
    if core in _AR_CUE_WORDS:
        role |= _AR_CUE_ROLE
    if core in _EN_CUE_WORDS:
        role |= _EN_CUE_ROLE
    if core in _AR_PRESCAN:
        role |= _AR_NAME_ROLE
    if raw[0].isupper():
        role |= _CAP_ROLE
    if core in _AR_PREP_FIRST:
        role |= _AR_PREP_ROLE
    if core in _EN_PREP_FIRST:
        role |= _EN_PREP_ROLE
    if len(_ROLE_CACHE) > 200_000:
        _ROLE_CACHE.clear()
    _ROLE_CACHE[raw] = role
    return role


# A whitespace-delimited word's tokens, decided once per distinct word, as
# one flat tuple: raw, length, folded form and role of each token in turn,
# where the first length counts the one whitespace character before the word.
# Flat, so that a story's words are joined in one pass and split into the
# four lists by strided slices. No token spans whitespace, so a word is
# tokenised the same alone as inside its paragraph.
_WORD_CACHE: dict[str, tuple[str | int, ...]] = {}
_word_get = _WORD_CACHE.get


def _word_tok(word: str) -> tuple[str | int, ...]:
    flat: list[str | int] = []
    for r in _CHUNK.findall(word):
        c = _fold_get(r)
        if c is None:
            c = _fold_tok(r)
        role = _role_get(r)
        flat += (r, len(r) + (not flat), c, role if role is not None else _role_tok(r, c))
    if len(_WORD_CACHE) > 200_000:
        _WORD_CACHE.clear()
    info = _WORD_CACHE[word] = tuple(flat)
    return info


def _tokenise(story: str) -> tuple[list[str], list[int], list[str], list[int]]:
    """The story's tokens as parallel lists: raw word, end offset, folded word, role."""
    words = story.split()
    # (the joined words' length is their total length, without a Python-level len() per word)
    if len(story) == len("".join(words)) + len(words) - 1:
        # The usual text: words separated by exactly one whitespace character
        # (a space, or the newline joining paragraphs), nothing before the
        # first or after the last. Offsets then follow from the lengths alone,
        # and str.split() plus one cache lookup per word replace the regex
        # scan and the per-token lookups below, about half the cost.
        known_words = list(map(_word_get, words))
        # A word's info is never empty, so all() finds a missing one; it tests
        # truth, cheaper in C than comparing every item with None.
        infos = (
            known_words
            if all(known_words)
            else [x if x is not None else _word_tok(w) for x, w in zip(known_words, words, strict=True)]
        )
        # Flattened by list.extend() per word, each a tuple copied at once: a
        # third cheaper than list(chain.from_iterable()), which goes item by item.
        flat: list[str | int] = []
        deque(map(flat.extend, cast(list[tuple[str | int, ...]], infos)), maxlen=0)
        ends = list(accumulate(cast(list[int], flat[1::4]), initial=-1))
        del ends[0]  # the first word has no whitespace before it
        return cast(list[str], flat[0::4]), ends, cast(list[str], flat[2::4]), cast(list[int], flat[3::4])
    # Any other spacing: each chunk is a token with the whitespace before it,
    # which gives offsets by a running sum.
    chunks = _CHUNK.findall(story)
    all_raws = list(map(str.lstrip, chunks))
    all_ends = list(accumulate(map(len, chunks)))
    folded = list(map(_fold_get, all_raws))
    # only words never seen before need folding
    all_cores = (
        [c if c is not None else _fold_tok(r) for c, r in zip(folded, all_raws, strict=True)]
        if None in folded
        else cast(list[str], folded)
    )
    known_roles = list(map(_role_get, all_raws))
    all_roles = (
        [x if x is not None else _role_tok(r, c) for x, r, c in zip(known_roles, all_raws, all_cores, strict=True)]
        if None in known_roles
        else cast(list[int], known_roles)
    )
    return all_raws, all_ends, all_cores, all_roles


def _prepare(paragraphs: Sequence[str], lang: str) -> list[_Para]:
    # Tokenising is the hot spot of the whole extractor, so it is written as
    # C-level maps rather than a Python loop over tokens, and runs once over
    # the whole story, joined by newlines, so that its set-up is paid once
    # rather than once per paragraph of some twenty tokens. No token spans the
    # joining newline, so each paragraph takes a slice of the story's lists.
    story = "\n".join(paragraphs)
    all_raws, all_ends, all_cores, all_roles = _tokenise(story)
    cue_role, name_role, prep_role = (
        (_AR_CUE_ROLE, _AR_NAME_ROLE, _AR_PREP_ROLE) if lang == "ar" else (_EN_CUE_ROLE, _CAP_ROLE, _EN_PREP_ROLE)
    )
    paras: list[_Para] = []
    first = base = 0  # the paragraph's first token and first character in the story
    for text in paragraphs:
        last = bisect_right(all_ends, base + len(text), first)
        n = last - first
        raws = all_raws[first:last]
        cores = all_cores[first:last]
        roles = all_roles[first:last]
        stops: list[int] = []
        cues: list[int] = []
        names: list[int] = []
        has_prep = False
        for i in compress(range(n), roles):  # the few tokens with a role
            role = roles[i]
            if role & _STOP_ROLE:
                stops.append(i)
                continue
            if role & cue_role:
                cues.append(i)
            if role & name_role:
                names.append(i)
            if role & prep_role:
                has_prep = True
        spans: list[_Span] = []
        opens = closes = _NO_SPANS
        cur = -1
        for i in stops:
            r = raws[i]
            if r not in _QMARKS:
                continue
            if cur < 0:
                if r in _OPEN or r == '"':
                    cur = i
            elif r in _CLOSE or r == '"':
                if not spans:
                    opens, closes = {}, {}  # never write to the shared _NO_SPANS
                span = _Span(cur, i)
                spans.append(span)
                opens[cur] = closes[i] = span
                cur = -1
        if cur >= 0:  # left open: the quote runs to the paragraph's end
            if not spans:
                opens = {}
            span = _Span(cur, None)
            spans.append(span)
            opens[cur] = span
        qid = [-1] * n
        for k, sp in enumerate(spans):
            e = sp.close if sp.close is not None else n
            qid[sp.open + 1 : e] = [k] * (e - sp.open - 1)
        if spans and cues:
            cues = [i for i in cues if qid[i] < 0]
        paras.append(
            _Para(
                story,
                base,
                all_ends[first:last],
                raws,
                cores,
                qid,
                spans,
                opens,
                closes,
                bytearray(n),
                cues,
                roles,
                names,
                stops,
                has_prep,
            )
        )
        first = last
        base += len(text) + 1
    # A quote left open runs on when the next paragraph opens with a mark.
    for a, b in pairwise(paras):
        if a.spans and a.spans[-1].close is None and b.spans and b.spans[0].open == 0:
            a.spans[-1].cont_next = True
            b.spans[0].cont_prev = True
    return paras


def _sentences(p: _Para) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    start = 0
    raws, cores, qid = p.raws, p.cores, p.qid
    n = len(raws)
    for i in p.stops:
        if qid[i] >= 0:
            continue
        r = raws[i]
        if r in _END:
            # "p.m" or "3.5": a full stop glued to the next word ends nothing
            boundary = r != "." or not (i + 1 < n and p.start(i + 1) == p.ends[i] and cores[i + 1])
        else:
            boundary = (
                i > 0
                and raws[i - 1] in _END
                and i + 1 < n
                and (raws[i + 1] in _QMARKS or raws[i + 1][:1].isupper())
                and i in p.closes
            )
        if boundary:
            out.append((start, i + 1))
            start = i + 1
    if start < n:
        out.append((start, n))
    return out


@dataclass(slots=True)
class _Ctx:
    paras: list[_Para]
    lang: str
    res: Resolver
    out: list[ExtractedQuote]
    runs: dict[tuple[str, ...], Mention | None] = field(default_factory=dict)  # English prescan memo

    def mention(self, toks: Sequence[Tok], text: str) -> Mention | None:
        if not toks:
            return None  # «وأضاف:» — both parsers read nothing from nothing
        return parse_ar(toks, text) if self.lang == "ar" else parse_en(toks, text)


# --- spans and emitting ---------------------------------------------------------


def _trim(p: _Para, a: int, b: int) -> tuple[int, int]:
    """Drop punctuation and quotation marks at the edges of a token range."""
    raws, cores = p.raws, p.cores
    while a < b and (not cores[a] and (raws[a] in _COMMA or raws[a] in ":-–—")):
        a += 1
    while b > a and not cores[b - 1] and raws[b - 1] not in _QMARKS:
        b -= 1
    return a, b


def _emit(
    ctx: _Ctx,
    pi: int,
    a: int,
    b: int,
    kind: str,
    cue: str,
    speaker: Speaker | None,
    mention: str,
    conf: float,
    span: _Span | None = None,
) -> None:
    p = ctx.paras[pi]
    a, b = _trim(p, a, b)
    if a >= b:
        return
    start, end = p.ends[a] - len(p.raws[a]), p.ends[b - 1]
    text = p.text[start:end]
    start -= p.base
    end -= p.base
    if span is not None and span.cont_next:
        parts = [text]
        j = pi + 1
        while j < len(ctx.paras):
            q = ctx.paras[j]
            s = q.spans[0]
            e = s.close if s.close is not None else len(q.raws)
            ca, cb = _trim(q, s.open + 1, e)
            if ca < cb:
                parts.append(q.text[q.start(ca) : q.ends[cb - 1]])
            stop = min(e + 1, len(q.raws))
            q.used[s.open : stop] = b"\x01" * (stop - s.open)
            if not s.cont_next:
                break
            j += 1
        text = "\n".join(parts)
    p.used[a:b] = b"\x01" * (b - a)
    ctx.out.append(ExtractedQuote(text, kind, cue, pi, start, end, speaker, mention, conf))


def _span_range(p: _Para, s: _Span) -> tuple[int, int]:
    return s.open + 1, s.close if s.close is not None else len(p.raws)


def _words(p: _Para, a: int, b: int) -> int:
    """Number of words (not punctuation) in [a, b)."""
    cores = p.cores[a:b]
    return len(cores) - cores.count("")


def _kind_of(p: _Para, a: int, b: int) -> str:
    return "mixed" if a < b and max(p.qid[a:b]) >= 0 else "indirect"


def _conf(m: Mention | None, base: float) -> float:
    if m is None or m.kind in ("pronoun", "defref", "titleref", "short"):
        return round(base - 0.15, 2)
    return base


# --- prescan: register names so later short forms resolve ------------------------


_EN_NAME_JOINS = frozenset(["of", "for"])  # "Bank of Norvalia", "Union for Fair Trade"
_AR_HEADS = lx.AR_AGENCY_HEADS | lx.AR_GOV_HEADS | lx.AR_ORG_HEADS
# Definite heads («الوزارة») point back rather than name a body, so only
# indefinite ones («وزارة الخارجية», «لوكالة الأنباء») start a name.
_AR_NAMING_HEADS = frozenset(h for h in _AR_HEADS if not h.startswith("ال"))
_AR_PRESCAN = frozenset(lx.AR_GIVEN) | _AR_NAMING_HEADS | {"ل" + h for h in _AR_NAMING_HEADS}


def _prescan(ctx: _Ctx, pi: int) -> None:
    """Register every full name and named body, so later short forms resolve."""
    p = ctx.paras[pi]
    raws, cores, qid = p.raws, p.cores, p.qid
    n = len(raws)
    res = ctx.res
    starts = res.known_starts
    # Most paragraphs name no catalogued body: one set test spares them the scan.
    if starts and not starts.keys().isdisjoint(cores):
        # Catalogued bodies named anywhere («لميريديان برس», «مصرف قمرستان
        # المركزي») become antecedents for «الوكالة», «المصرف» later on.
        for k in compress(range(n), map(starts.__contains__, cores)):
            for words, known in starts[cores[k]]:
                if tuple(cores[k + 1 : k + len(words)]) == words[1:]:
                    res.add(known.name, known.kind, known.title, "?", (pi, k))
                    break
    if ctx.lang == "ar":
        done = -1
        for k in p.names:
            if k < done or qid[k] >= 0:
                continue
            core = cores[k]
            if core in lx.AR_GIVEN:
                found = ar_name_span(cores, raws, k)
                if found and found[1] - found[0] >= 2:
                    s, e, g = found
                    name = " ".join(raws[s:e])
                    title = None
                    known_ent = res.entities.get(_slug(name))
                    back = s - 1 if known_ent is None or not known_ent.title else -1  # a title is kept once known
                    while back >= 0 and s - back <= 8 and cores[back] not in lx.AR_CUES:
                        if raws[back] in _COMMA or raws[back] in _QMARKS:
                            break
                        if cores[back] in lx.AR_TITLE_HEADS:
                            title = p.text[p.start(back) : p.ends[s - 1]]
                        back -= 1
                    res.add(name, "person", title, g, (pi, s))
                    done = e
                    continue
            head = core[1:] if core[0] == "ل" and core[1] != "ل" else core
            if head in _AR_HEADS and not head.startswith("ال"):
                np: list[int] = []
                adjective = definite = False
                for w in range(k + 1, min(k + 8, n)):
                    c = cores[w]
                    if not c or c in lx.AR_NP_STOP or c in lx.AR_GIVEN or c.startswith("بال"):
                        break
                    # A name ends with its definite noun and adjectives: after
                    # «السيلوانية» a further noun («الفائزين») is the verb's object,
                    # and so is an indefinite word after «الأمناء» («جلسة»).
                    nisba = c.startswith("ال") and c.endswith(("ي", "يه"))
                    if (adjective and not nisba) or (definite and not c.startswith(("ال", "ل", "وال"))):
                        break
                    adjective = adjective or nisba
                    definite = definite or c.startswith("ال")
                    np.append(w)
                # Agency names take proper nouns («وكالة فالدينا برس»); other
                # bodies are named by a definite noun («وزارة الخارجية»).
                if np and (cores[np[0]].startswith("ال") or head in lx.AR_AGENCY_HEADS):
                    kind = (
                        "agency"
                        if head in lx.AR_AGENCY_HEADS
                        else "government"
                        if head in lx.AR_GOV_HEADS
                        else "organization"
                    )
                    # «لوكالة الأنباء» names «وكالة الأنباء»
                    first = raws[k][1:] if head != core else raws[k]
                    name = " ".join([first] + [raws[w] for w in np])
                    res.add(name, kind, None, "f" if head.endswith("ه") else "m", (pi, k))
    else:
        done = -1
        roles = p.roles
        for i in p.names:  # the capitalised tokens
            if i < done or qid[i] >= 0:
                continue
            if i + 1 == n or not (roles[i + 1] & _CAP_ROLE or cores[i + 1] in _EN_NAME_JOINS):
                continue  # a lone capital (sentence start, place name) starts no run
            j = i
            while (
                j < n
                and cores[j]
                and (roles[j] & _CAP_ROLE or (cores[j] in _EN_NAME_JOINS and j + 1 < n and roles[j + 1] & _CAP_ROLE))
            ):
                j += 1
            done = j
            if j - i >= 2:
                # Names recur through a story; parsing depends on the words only.
                key = tuple(raws[i:j])
                if key in ctx.runs:
                    m = ctx.runs[key]
                else:
                    m = ctx.runs[key] = parse_en(p.toks(i, j), p.text)
                if (
                    m is not None
                    and m.kind in ("person", "agency", "government", "organization")
                    and res.lookup_known(m.name) is None
                ):
                    res.add(m.name, m.kind, None, m.gender, (pi, i))


# --- prepositional attribution ------------------------------------------------------


def _ar_prep_at(cores: list[str], i: int, b: int) -> int:
    """Length in tokens of an Arabic attribution preposition at i, else 0."""
    c = cores[i]
    if c.startswith("و") and c[1:] in ("بحسب", "حسب", "حسبما", "وفقا", "طبقا", "نقلا", "وفق"):
        c = c[1:]
    if c in ("بحسب", "حسب", "حسبما", "وفق"):
        return 1
    if c in ("وفقا", "طبقا"):
        return 1
    if c == "نقلا" and i + 1 < b and cores[i + 1] == "عن":
        return 2
    if c in ("علي", "وعلي") and i + 1 < b and cores[i + 1] == "لسان":
        return 2
    if c in ("علي", "وعلي") and i + 2 < b and cores[i + 1] == "حد" and cores[i + 2] in ("قول", "تعبير"):
        return 3
    return 0


def _en_prep_at(cores: list[str], i: int, b: int) -> int:
    return 2 if i + 1 < b and cores[i] == "according" and cores[i + 1] == "to" else 0


# A reporting or publishing verb, also with an object pronoun («أعلنته»).
_AR_ISSUING = frozenset(
    stem + suffix for stem in (*lx.AR_CUES, *lx.AR_ISSUE_VERBS) if len(stem) > 1 for suffix in ("", "ه", "ها", "هم")
)


def _source_toks(ctx: _Ctx, p: _Para, a: int, b: int) -> list[Tok]:
    """The source after a preposition, minus «ما أعلنت» and a stray «ل»."""
    src = p.word_toks(a, b, commas=True)
    if src and src[0][CORE] in ("ما", "لما"):
        src = src[1:]
    # «ما أعلنته رئاسة المجلس», «حصيلة أعلنتها الحكومة», «بيان أصدره الاتحاد»:
    # whoever issued the text is the source.
    verb = next((k for k, t in enumerate(src[:3]) if t[CORE] in _AR_ISSUING), None)
    if verb is not None and verb + 1 < len(src):
        src = src[verb + 1 :]
    cores = [t[CORE] for t in src]
    # «النتائج التي أعلنتها اللجنة»: the document's author is the source.
    rel = next((k for k, c in enumerate(cores[:4]) if c in ("التي", "الذي")), None)
    if rel is not None and cores and cores[0] in _AR_DOC_ANY and rel + 2 < len(src):
        src = src[rel + 2 :]
        cores = cores[rel + 2 :]
    if "عن" in cores and not any(c in ("قوله", "قولها", "قولهم") for c in cores):
        src = src[cores.index("عن") + 1 :]
    if ctx.lang == "ar" and src and src[0][CORE].startswith("ل") and not src[0][CORE].startswith("ال"):
        t = src[0]
        raw = t[RAW][1:] if not t[RAW].startswith("لل") else "ال" + t[RAW][2:]
        src[0] = (t[START], t[END], raw, fold(raw), t[QUOTED])
    return src


_AR_DOC_ANY = lx.AR_DOCUMENTS | lx.AR_DOCUMENT_NOUNS


# Every attribution preposition starts with one of these words: a sentence
# without any of them is skipped without a scan.
# «على» (folded «علي») is everywhere, so «على لسان» / «على حد تعبير» are
# found by their second word.
_AR_PREP_WORDS = ("بحسب", "حسب", "حسبما", "وفق", "وفقا", "طبقا", "نقلا", "لسان", "حد")
_AR_PREP_FIRST = frozenset(_AR_PREP_WORDS) | {"و" + w for w in _AR_PREP_WORDS}
_EN_PREP_FIRST = frozenset(["according"])
# Cue words as sets, for the token roles (see _role_tok).
_AR_CUE_WORDS = frozenset(lx.AR_CUES)
_EN_CUE_WORDS = frozenset(lx.EN_CUES)


def _prep(ctx: _Ctx, pi: int, a: int, b: int) -> bool:
    p = ctx.paras[pi]
    raws, cores, qid = p.raws, p.cores, p.qid
    if (_AR_PREP_FIRST if ctx.lang == "ar" else _EN_PREP_FIRST).isdisjoint(cores[a:b]):
        return False
    prep_at = _ar_prep_at if ctx.lang == "ar" else _en_prep_at
    # sentence-initial: «وبحسب X، فإن ...», "According to X, ..."
    first = a
    while first < b and not cores[first]:
        first += 1
    if first >= b:
        return False
    n = prep_at(cores, first, b)
    if n:
        comma = next((i for i in range(first + n, b) if raws[i] in _COMMA and qid[i] < 0), None)
        if comma is not None:
            src = _source_toks(ctx, p, first + n, comma)
            c0 = comma + 1
            while c0 < b and (cores[c0] in _AR_FA_INNA or (not cores[c0] and raws[c0] not in _QMARKS)):
                c0 += 1
            if _words(p, c0, b) >= 3:
                m = ctx.mention(src, p.text)
                sp = ctx.res.speak(m, "?", (pi, comma))
                cue = " ".join(raws[first : first + n])
                _emit(ctx, pi, c0, b, _kind_of(p, c0, b), cue, sp, _clean(src), _conf(m, 0.8))
                return True
    # sentence-final: «...، بحسب X.», "..., according to X."
    for i in compress(range(a + 1, b - 1), map(_COMMA.__contains__, raws[a + 1 : b - 1])):
        if qid[i] >= 0:
            continue
        j = i + 1
        n = prep_at(cores, j, b)
        if not n:
            continue
        if not _COMP_OR_THAT.isdisjoint(compress(cores[j + n : b], map(_MINUS_ONE_EQ, qid[j + n : b]))):
            continue  # «فاعتبر، على لسان X، أن ...»: the verb's clause, not a tail
        src = _source_toks(ctx, p, j + n, b)
        c0 = a
        end = i
        if n == 3:
            # «على حد تعبير الوزير» vouches for the quoted words only.
            frag = [sp for sp in p.spans if a <= sp.open < i and sp.close is not None]
            if not frag or _words(p, *_span_range(p, frag[-1])) < 3:
                return True
            c0, end = _span_range(p, frag[-1])
        if _words(p, c0, end) < 3:
            return False
        m = ctx.mention(src, p.text)
        sp = ctx.res.speak(m, "?", (pi, b))
        cue = " ".join(raws[j : j + n])
        _emit(ctx, pi, c0, end, _kind_of(p, c0, end), cue, sp, _clean(src), _conf(m, 0.8))
        return True
    return False


def _clean(toks: Sequence[Tok]) -> str:
    return " ".join([t[RAW] for t in toks if t[CORE]])


# --- reporting verbs ------------------------------------------------------------------


def _cue_at(ctx: _Ctx, p: _Para, i: int) -> str | None:
    """The cue's gender (Arabic) or kind (English) when token i is a reporting verb."""
    if p.qid[i] >= 0 or not p.cores[i]:
        return None
    return (lx.AR_CUES if ctx.lang == "ar" else lx.EN_CUES).get(p.cores[i])


_EN_JOINS = frozenset(["and", "but"])
_AR_CONTENT_JOINERS = frozenset(["فيما", "بينما", "في", "حين", "لكنه", "لكنها", "ولكنه", "ولكنها", "و"])


def _content_end(ctx: _Ctx, p: _Para, start: int, b: int) -> int:
    """Content runs to the sentence end or to the next «، مضيفاً» / «، فيما رأى»."""
    raws, cores, qid = p.raws, p.cores, p.qid
    ar = ctx.lang == "ar"
    if not ar:
        # "said the deal was overdue but warned that ...": a second reporting
        # verb starts a quote of its own ("A and that B" stays one quote).
        for k in compress(range(start + 1, b - 1), map(_EN_JOINS.__contains__, cores[start + 1 : b - 1])):
            if qid[k] < 0 and cores[k + 1] in lx.EN_CUES:
                b = k
                break
    for i in compress(range(start, b - 1), map(_COMMA.__contains__, raws[start : b - 1])):
        if qid[i] >= 0:
            continue
        for j in range(i + 1, min(i + 3, b)):
            c = cores[j]
            if _cue_at(ctx, p, j) is not None or (ar and _ar_prep_at(cores, j, b)):
                if not ar and c not in ("adding", "saying", "according"):
                    continue
                return i
            if c not in _AR_CONTENT_JOINERS:
                break
    return b


def _forward(ctx: _Ctx, pi: int, c: int, b: int) -> tuple[str, int, int] | None:
    """After a cue: ("colon"|"comp"|"quote"|"bare", subject end, content start)."""
    p = ctx.paras[pi]
    raws, cores, qid = p.raws, p.cores, p.qid
    ar = ctx.lang == "ar"
    limit = min(b, c + 45)
    comp = _AR_COMP if ar else _EN_THAT
    j = c + 1
    while j < limit:
        core = cores[j]
        if (core and core not in comp) or qid[j] >= 0:
            # Only punctuation and complementisers end the subject (quotation
            # marks, colons and sentence ends have an empty core), and nothing
            # quoted does: the common case is decided by these two tests.
            j += 1
            continue
        r = raws[j]
        span = p.opens.get(j)
        if span is not None:
            if not ar and j > c + 1 and raws[j - 1] != ":" and cores[j - 1] not in ("of", "as", "called", "for"):
                break  # "said it was ready to talk "at any level"": a mixed clause
            if _words(p, *_span_range(p, span)) >= 3 or (j > c + 1 and raws[j - 1] == ":"):
                return "quote", j, j
            j = (span.close if span.close is not None else len(raws)) + 1
            continue
        if r == ":":
            k = j + 1
            if k < b and cores[k] in _AR_COMP:
                return "comp", j, k + 1
            if k < b and raws[k] in _QMARKS:
                return "quote", j, k
            return "comp", j, k
        if ar and core in _AR_COMP:
            return "comp", j, j + 1
        if not ar and core == "that":
            between = [x for x in cores[c + 1 : j] if x]
            if (
                not between
                or cores[c] in ("told", "tells", "quoted")
                or between[0] in ("in", "at", "on", "to", "during")
                or all(x in lx.EN_TIME for x in between)
            ):
                return "comp", j, j + 1
            break  # "said the strike was ... and that ...": content starts at the verb
        if r in _END:
            break
        j += 1
    if not ar:
        # "X said the plan ...": content follows the cue and its adverbials.
        k = c + 1
        while k < b and (
            cores[k] in _EN_SKIP_AFTER_CUE
            or cores[k] in lx.EN_TIME
            or (raws[k][:1].isupper() and k > c + 1 and cores[k - 1] in ("on", "in", "at"))
        ):
            k += 1
        if k < b and cores[k] in ("a", "statement", "an") and k > c + 1:
            return None
        if k < b and raws[k] not in _COMMA and raws[k] not in _END and cores[k]:
            return "bare", c + 1, k
    return None


def _cue_sentence(ctx: _Ctx, pi: int, a: int, b: int) -> None:
    p = ctx.paras[pi]
    raws, cores, qid = p.raws, p.cores, p.qid
    n_toks = len(raws)
    ar = ctx.lang == "ar"
    last_speaker: Speaker | None = None
    m: Mention | None
    sp: Speaker | None
    last_mention = ""
    i = a
    cues = p.cues
    cue_map: dict[str, str] = lx.AR_CUES if ar else lx.EN_CUES
    while i < b:
        k = bisect_left(cues, i)
        if k >= len(cues) or cues[k] >= b:
            break
        i = cues[k]
        gender = cue_map.get(cores[i])  # cues are never quoted
        if gender is None or p.used[i]:
            i += 1
            continue
        cue = raws[i]
        core = cores[i]
        participle = (ar and core in lx.AR_PARTICIPLES) or (not ar and core in ("saying", "adding"))
        # ----- quote before the cue: «"..."، قال X» / "...," X said
        prev_close = None
        k = i - 1
        while k >= a and (
            raws[k] in _COMMA or (not ar and cores[k] and qid[k] < 0 and i - k <= 10 and cores[k] not in cue_map)
        ):
            k -= 1
        if k >= a and qid[k] < 0:
            prev_close = p.closes.get(k)
        if not ar and gender == "quoted":
            # "The agency quoted X as saying that ..."
            end = next((j for j in range(i + 1, b) if cores[j] == "saying"), None)
            if end is not None:
                fw = _forward(ctx, pi, end, b)
                if fw is not None:
                    carrier = p.toks(i + 1, end - 1)
                    m = ctx.mention(carrier, p.text)
                    sp = ctx.res.speak(m, "?", (pi, i))
                    e = _content_end(ctx, p, fw[2], b)
                    if _words(p, fw[2], e) >= 3:
                        _emit(
                            ctx,
                            pi,
                            fw[2],
                            e,
                            _kind_of(p, fw[2], e),
                            "quoted as saying",
                            sp,
                            _clean(carrier),
                            _conf(m, 0.8),
                        )
                    i = e
                    continue
        if prev_close is not None and prev_close.open >= a and not participle and not p.used[prev_close.open + 1]:
            sa, sb = _span_range(p, prev_close)
            # subject: before the cue (English "X said") or after it
            subj_before = p.word_toks(prev_close.close + 1 if prev_close.close is not None else i, i)
            end = i + 1
            while end < b and not (
                raws[end] in _COMMA and end + 1 < b and (raws[end + 1] in _QMARKS or cores[end + 1] in _PARTICIPLES)
            ):
                if raws[end] in _END and qid[end] < 0:
                    break
                end += 1
            subj = subj_before if subj_before else p.toks(i + 1, end)
            m = ctx.mention(subj, p.text)
            sp = ctx.res.speak(m, gender if gender in ("m", "f", "p") else "?", (pi, end))
            mention = _clean(subj)
            _emit(ctx, pi, sa, sb, "direct", cue, sp, mention, _conf(m, 0.9), prev_close)
            last_speaker, last_mention = sp, mention
            # split quote: «"..."، أضاف X، "..."»
            if end < b and raws[end] in _COMMA and end + 1 < b:
                nxt = p.opens.get(end + 1)
                if nxt is not None:
                    na, nb = _span_range(p, nxt)
                    _emit(ctx, pi, na, nb, "direct", cue, sp, mention, _conf(m, 0.85), nxt)
                    i = nb
                    continue
            i = end
            continue
        fw = _forward(ctx, pi, i, b)
        if fw is None:
            if not ar and i > a:
                _content_first(ctx, pi, a, i, b, cue)
            i += 1
            continue
        how, subj_end, cstart = fw
        subj_toks = p.toks(i + 1, subj_end) if ar else _en_subject(p, a, i)
        before: list[Tok] = []
        if ar and (participle or "قد" in cores[a:i] or (core[0] == "ف" and not _AR_AMMA.isdisjoint(cores[a:i]))):
            # The words before an Arabic verb matter only after «قد» or «أما»,
            # or for a participle: build them only then.
            before = p.word_toks(a, i)
            if before and before[-1][CORE] == "قد":
                was = next((k for k in range(len(before) - 2, -1, -1) if before[k][CORE] in _AR_WAS), None)
                if was is not None:
                    subj_toks = before[was + 1 : -1] + subj_toks
            elif core.startswith("ف") and any(tt[CORE] in _AR_AMMA for tt in before):
                amma = max(k for k, tt in enumerate(before) if tt[CORE] in _AR_AMMA)
                subj_toks = before[amma + 1 :] + subj_toks
        if ar and not participle:
            if not subj_toks and i > a and cores[a] in _AR_BUT and not any(r in _COMMA for r in raws[a:i]):
                # «لكن مصادر طبية في المستشفى قالت إن»: the subject before its verb.
                subj_toks = p.toks(a + 1, i)
            elif i > a and cores[i - 1] in lx.AR_RELATIVES:
                # «بحسب الوكالة الرسمية، التي أضافت أن»: the antecedent speaks.
                subj_toks = _ar_antecedent(ctx, p, a, i - 1) + subj_toks
            elif core in _AR_NAQL and not any(t[CORE] in _AR_CHAIN for t in subj_toks):
                # «ونقلت الوكالة عن مصادر مطلعة أن»: the agency carries, the sources speak.
                ko = next((k for k, t in enumerate(subj_toks) if t[CORE] == "عن"), len(subj_toks))
                if ko + 1 < len(subj_toks):
                    subj_toks = subj_toks[ko + 1 :]
        if participle:
            m = None
            if last_speaker is None:
                if ar:
                    m = ctx.mention(before[1:], p.text) if len(before) > 1 else None
                else:
                    m = parse_en(subj_toks, p.text)
        else:
            m = ctx.mention(subj_toks, p.text)
            if m is None and ar and i > a:
                host = cores[i - 1]
                hm = _AR_PRONOUN_HOST.match(host)
                if hm:
                    m = Mention("pronoun", host, gender=lx.AR_PRONOUN_SUFFIX.get(hm.group(1), "?"))
        if participle and last_speaker is not None and m is None:
            sp = last_speaker
            mention = last_mention
        else:
            g = gender if gender in ("m", "f", "p") else "?"
            ent = None
            if m is not None and m.kind == "pronoun" and ar:
                ent = ctx.res.recent_person((pi, i), m.gender)
            elif m is None and ar:
                # «شكك الوزير في الرواية، وقال: ...»: an empty subject takes the
                # entity this sentence already named before taking the last speaker.
                ent = ctx.res.named_since((pi, a), (pi, i), g)
            if ent is not None:
                ctx.res.spoke(ent)
                sp = ent.speaker()
            elif m is not None and m.kind == "pronoun" and ar:
                sp = None
            else:
                sp = ctx.res.speak(m, g, (pi, max(i, subj_end)))
            mention = _clean(subj_toks)
        base = 0.9 if m is not None and m.kind not in ("pronoun", "short", "defref", "titleref") else 0.75
        if how == "quote":
            span = p.opens[cstart]
            sa, sb = _span_range(p, span)
            prev = cores[cstart - 1] if cstart > 0 else ""
            direct = raws[cstart - 1] == ":" or (cstart == subj_end and (not subj_toks or prev not in _AR_OBJ_PREP))
            if (ar and prev in _AR_OBJ_PREP) or (not ar and prev in ("of", "to", "as", "for", "called")):
                direct = False
            if not ar and raws[cstart - 1] != ":" and cstart - i > 1:
                direct = False
            _emit(ctx, pi, sa, sb, "direct" if direct else "mixed", cue, sp, mention, base, span)
            i = (span.close if span.close is not None else n_toks) + 1
        else:
            end = _content_end(ctx, p, cstart, b)
            words = _words(p, cstart, end)
            quoted_words = p.quoted_words(cstart, end)
            if words - quoted_words >= 2 or (words >= 3 and how != "bare"):
                _emit(ctx, pi, cstart, end, _kind_of(p, cstart, end), cue, sp, mention, base - 0.05)
            i = max(end, i + 1)
        last_speaker, last_mention = sp, mention


# '"...," he told reporters, adding that ...': the participle opens a quote of its own.
_PARTICIPLES = lx.AR_PARTICIPLES | {"adding", "saying"}
_AR_BUT = lx._fold("لكن ولكن بينما فيما")
_AR_NAQL = lx._fold("نقل ونقل ونقلت نقلت ينقل وينقل تنقل وتنقل")
_AR_CHAIN = lx._fold("قوله قولها قولهم قولهما")


def _ar_antecedent(ctx: _Ctx, p: _Para, a: int, rel: int) -> list[Tok]:
    """The noun phrase a relative pronoun at ``rel`` points back to, up to 8 words."""
    raws, cores = p.raws, p.cores
    end = rel
    while end > a and raws[end - 1] in _COMMA:
        end -= 1
    start = end
    while start > a and end - start < 8 and raws[start - 1] not in _COMMA and raws[start - 1] not in _QMARKS:
        start -= 1
    n = _ar_prep_at(cores, start, end) if start < end else 0
    return _source_toks(ctx, p, start + n, end)


def _en_subject(p: _Para, a: int, i: int) -> list[Tok]:
    """English subject before a cue: from the sentence start or the last quote."""
    raws, qid = p.raws, p.qid
    start = a
    for k in range(i - 1, a - 1, -1):
        if raws[k] in _QMARKS or qid[k] >= 0:
            start = k + 1
            break
    out = p.word_toks(start, i, commas=True)
    while out and out[-1][CORE] in lx.EN_TIME:
        out.pop()
    if out and out[-1][CORE] in _EN_JOINS:
        # "... early next year and added that": the verb shares the last subject.
        return []
    return out


def _content_first(ctx: _Ctx, pi: int, a: int, i: int, b: int, cue: str) -> None:
    """English "Content ..., the coach added." with a short subject at the end."""
    p = ctx.paras[pi]
    raws, qid = p.raws, p.qid
    comma = next((k for k in range(i - 1, a, -1) if raws[k] in _COMMA and qid[k] < 0), None)
    if comma is None or i - comma > 8:
        return
    if _words(p, a, comma) < 4:
        return
    subj = p.toks(comma + 1, i)
    m = parse_en(subj, p.text)
    if m is None:
        return
    sp = ctx.res.speak(m, "?", (pi, i))
    _emit(ctx, pi, a, comma, _kind_of(p, a, comma), cue, sp, _clean(subj), _conf(m, 0.8))


def _leftover_quotes(ctx: _Ctx, pi: int, a: int, b: int) -> None:
    """Quotes with no cue of their own continue the last speaker (floating quotes)."""
    p = ctx.paras[pi]
    for s in p.spans:
        if s.open < a or s.open >= b or s.cont_prev:
            continue
        sa, sb = _span_range(p, s)
        if 1 in p.used[sa:sb] or _words(p, sa, sb) < 3:
            continue
        # words of the sentence outside quotation marks
        outside = len(list(filter(None, compress(p.cores[a:b], map(_MINUS_ONE_EQ, p.qid[a:b])))))
        if outside > 2:
            continue
        ent = ctx.res.last_speaker("?")
        sp = ent.speaker() if ent else None
        _emit(ctx, pi, sa, sb, "direct", "", sp, "", 0.6 if sp else 0.3, s)


def _dateline_end(p: _Para) -> int:
    raws = p.raws
    for i, r in enumerate(raws[:14]):
        if r in _QMARKS:
            return 0
        if r in _DASH and i > 0 and p.ends[i - 1] < p.start(i):
            return i + 1
    return 0


_SMALL_CATALOGUE = 64


def extract_quotes(paragraphs: Sequence[str], language: str, known: Sequence[KnownEntity] = ()) -> list[ExtractedQuote]:
    """All quotes of a story, in reading order, with resolved speakers."""
    lang = "ar" if language.lower().startswith("ar") else "en"
    paras = _prepare(paragraphs, lang)
    # Catalogued names are indexed only when the story has their first word:
    # worth the set of the story's words when the catalogue is long (the
    # service passes thousands of entities), not for a handful.
    vocabulary = set(chain.from_iterable(p.cores for p in paras)) if len(known) > _SMALL_CATALOGUE else None
    ctx = _Ctx(paras, lang, Resolver(known, vocabulary=vocabulary), [])
    for pi, p in enumerate(paras):
        _prescan(ctx, pi)
        # Known once per paragraph so that most sentences skip the
        # preposition scan, and paragraphs with nothing to find are skipped.
        has_prep = p.has_prep
        if not p.cues and not p.spans and not has_prep:
            continue
        start = _dateline_end(p) if pi == 0 else 0
        if p.spans and p.spans[0].cont_prev:
            s = p.spans[0]
            start = max(start, (s.close if s.close is not None else len(p.raws)) + 1)
        for a, b in _sentences(p):
            if a < start:
                a = start
            if a >= b:
                continue
            if not (has_prep and _prep(ctx, pi, a, b)):
                _cue_sentence(ctx, pi, a, b)
            if p.spans:
                _leftover_quotes(ctx, pi, a, b)
    return ctx.out
