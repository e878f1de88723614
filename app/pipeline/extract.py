"""Rule-based quote extraction and speaker attribution for Arabic and English.

The design follows the reporting-cue approach (no parser, no model): find the
quotation marks, the reporting verbs and the prepositional attributions of
each sentence, read the words between the cue and the content as the speaker,
and resolve that speaker against what the story has already named
(see attribution.py). Everything works on a token list whose offsets point
into the original paragraph, so the returned offsets are exact.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from itertools import accumulate, compress, pairwise, repeat
from operator import sub

from app.pipeline import lexicon as lx
from app.pipeline.attribution import (
    KnownEntity,
    Mention,
    Resolver,
    Speaker,
    Tok,
    _ar_name_at,
    fold,
    parse_ar,
    parse_en,
)

__all__ = ["ExtractedQuote", "KnownEntity", "Speaker", "extract_quotes"]


@dataclass(frozen=True)
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


_MARKS = "\u0640\u064b-\u0652\u0670"
_CHUNK = re.compile(rf"\s*(?:[\w{_MARKS}]+(?:['’\-][\w{_MARKS}]+)*|\S)")
_TOKEN = re.compile(
    rf"\d+(?:[.,:/]\d+)*%?"
    rf"|(?:[^\W\d_]|[{_MARKS}])(?:[\w{_MARKS}]|['’\-](?=[^\W\d_]))*"
    rf"|\S"
)
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


@dataclass
class _Span:
    """Quotation marks in one paragraph; ``close`` is None when left open."""

    open: int
    close: int | None
    cont_prev: bool = False  # continues a quote opened in an earlier paragraph
    cont_next: bool = False  # runs on into the next paragraph


@dataclass
class _Para:
    text: str
    toks: list[Tok]
    qid: list[int]  # span index for tokens inside quotation marks, else -1
    spans: list[_Span]
    used: list[bool]
    cues: list[int]  # tokens that may be reporting verbs, outside quotes
    stops: list[int]  # sentence-final punctuation and quotation marks


_FOLD_CACHE: dict[str, str] = {}
_fold_get = _FOLD_CACHE.get


def _prepare(paragraphs: Sequence[str], cue_words: AbstractSet[str]) -> list[_Para]:
    # Tokenising is the hot spot of the whole extractor, so it is written as
    # C-level maps over findall() rather than a Python loop over match objects:
    # each chunk is a token with the whitespace before it, which gives offsets
    # by a running sum.
    paras: list[_Para] = []
    new = tuple.__new__
    for text in paragraphs:
        chunks = _CHUNK.findall(text)
        raws = list(map(str.lstrip, chunks))
        ends = list(accumulate(map(len, chunks)))
        starts = list(map(sub, ends, map(len, raws)))
        cores = list(map(_fold_get, raws))
        for i in [i for i, c in enumerate(cores) if c is None]:
            r = raws[i]
            c = fold(r) if (r[0].isalnum() or len(r) > 1) and r not in _QMARKS else ""
            if len(_FOLD_CACHE) > 200_000:
                _FOLD_CACHE.clear()
            cores[i] = _FOLD_CACHE[r] = c
        n = len(raws)
        spans: list[_Span] = []
        cur = -1
        for i in [i for i, r in enumerate(raws) if r in _QMARKS]:
            r = raws[i]
            if cur < 0:
                if r in _OPEN or r == '"':
                    cur = i
            elif r in _CLOSE or r == '"':
                spans.append(_Span(cur, i))
                cur = -1
        if cur >= 0:
            spans.append(_Span(cur, None))
        qid = [-1] * n
        quoted = [False] * n
        for k, sp in enumerate(spans):
            e = sp.close if sp.close is not None else n
            qid[sp.open + 1 : e] = [k] * (e - sp.open - 1)
            quoted[sp.open + 1 : e] = [True] * (e - sp.open - 1)
        toks: list[Tok] = list(map(new, repeat(Tok), zip(starts, ends, raws, cores, quoted, strict=True)))
        paras.append(
            _Para(
                text,
                toks,
                qid,
                spans,
                [False] * n,
                [i for i in compress(range(n), map(cue_words.__contains__, cores)) if not quoted[i]],
                list(compress(range(n), map(_STOPS.__contains__, raws))),
            )
        )
    # A quote left open runs on when the next paragraph opens with a mark.
    for a, b in pairwise(paras):
        if a.spans and a.spans[-1].close is None and b.spans and b.spans[0].open == 0:
            a.spans[-1].cont_next = True
            b.spans[0].cont_prev = True
    return paras


def _sentences(p: _Para) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    start = 0
    toks = p.toks
    n = len(toks)
    for i in p.stops:
        t = toks[i]
        if p.qid[i] >= 0:
            continue
        if t.raw in _END:
            # "p.m" or "3.5": a full stop glued to the next word ends nothing
            boundary = t.raw != "." or not (i + 1 < n and toks[i + 1].start == t.end and toks[i + 1].core)
        else:
            boundary = (
                i > 0
                and toks[i - 1].raw in _END
                and i + 1 < n
                and (toks[i + 1].raw in _QMARKS or toks[i + 1].raw[:1].isupper())
                and any(s.close == i for s in p.spans)
            )
        if boundary:
            out.append((start, i + 1))
            start = i + 1
    if start < n:
        out.append((start, n))
    return out


@dataclass
class _Ctx:
    paras: list[_Para]
    lang: str
    res: Resolver
    out: list[ExtractedQuote]

    def mention(self, toks: Sequence[Tok], text: str) -> Mention | None:
        return parse_ar(toks, text) if self.lang == "ar" else parse_en(toks, text)


# --- spans and emitting ---------------------------------------------------------


def _trim(p: _Para, a: int, b: int) -> tuple[int, int]:
    """Drop punctuation and quotation marks at the edges of a token range."""
    toks = p.toks
    while a < b and (not toks[a].core and (toks[a].raw in _COMMA or toks[a].raw in ":-–—")):
        a += 1
    while b > a and not toks[b - 1].core and toks[b - 1].raw not in _QMARKS:
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
    start, end = p.toks[a].start, p.toks[b - 1].end
    text = p.text[start:end]
    if span is not None and span.cont_next:
        parts = [text]
        j = pi + 1
        while j < len(ctx.paras):
            q = ctx.paras[j]
            s = q.spans[0]
            e = s.close if s.close is not None else len(q.toks)
            ca, cb = _trim(q, s.open + 1, e)
            if ca < cb:
                parts.append(q.text[q.toks[ca].start : q.toks[cb - 1].end])
            for i in range(s.open, min(e + 1, len(q.toks))):
                q.used[i] = True
            if not s.cont_next:
                break
            j += 1
        text = "\n".join(parts)
    for i in range(a, b):
        p.used[i] = True
    ctx.out.append(ExtractedQuote(text, kind, cue, pi, start, end, speaker, mention, conf))


def _span_range(p: _Para, s: _Span) -> tuple[int, int]:
    return s.open + 1, s.close if s.close is not None else len(p.toks)


def _words(p: _Para, a: int, b: int) -> int:
    return sum(1 for t in p.toks[a:b] if t.core)


def _kind_of(p: _Para, a: int, b: int) -> str:
    return "mixed" if any(p.qid[i] >= 0 for i in range(a, b)) else "indirect"


def _speak(ctx: _Ctx, m: Mention | None, gender: str, pos: tuple[int, int]) -> Speaker | None:
    ent = ctx.res.resolve(m, gender, pos)
    if ent is None:
        return None
    ctx.res.spoke(ent)
    return ent.speaker()


def _conf(m: Mention | None, base: float) -> float:
    if m is None or m.kind in ("pronoun", "defref", "titleref", "short"):
        return round(base - 0.15, 2)
    return base


# --- prescan: register names so later short forms resolve ------------------------


_AR_HEADS = lx.AR_AGENCY_HEADS | lx.AR_GOV_HEADS | lx.AR_ORG_HEADS
_AR_PRESCAN = frozenset(lx.AR_GIVEN) | _AR_HEADS | {"ل" + h for h in _AR_HEADS}


def _prescan(ctx: _Ctx, pi: int) -> None:
    """Register every full name and named body, so later short forms resolve."""
    p = ctx.paras[pi]
    toks = p.toks
    res = ctx.res
    if ctx.lang == "ar":
        done = -1
        for k in [i for i, t in enumerate(toks) if t.core in _AR_PRESCAN and not t.quoted]:
            if k < done:
                continue
            t = toks[k]
            if t.core in lx.AR_GIVEN:
                found = _ar_name_at(toks, k)
                if found and found[1] - found[0] >= 2:
                    s, e, g = found
                    title = None
                    back = s - 1
                    while back >= 0 and s - back <= 8 and toks[back].core not in lx.AR_CUES:
                        if toks[back].raw in _COMMA or toks[back].raw in _QMARKS:
                            break
                        if toks[back].core in lx.AR_TITLE_HEADS:
                            title = p.text[toks[back].start : toks[s - 1].end]
                        back -= 1
                    res.add(" ".join(w.raw for w in toks[s:e]), "person", title, g, (pi, s))
                    done = e
                    continue
            head = t.core[1:] if t.core[0] == "ل" and t.core[1] != "ل" else t.core
            if head in _AR_HEADS and not head.startswith("ال"):
                np = []
                for w in toks[k + 1 : k + 8]:
                    if not w.core or w.core in lx.AR_NP_STOP or w.core in lx.AR_GIVEN:
                        break
                    np.append(w)
                # Agency names take proper nouns («وكالة فالدينا برس»); other
                # bodies are named by a definite noun («وزارة الخارجية»).
                if np and (np[0].core.startswith("ال") or head in lx.AR_AGENCY_HEADS):
                    kind = (
                        "agency"
                        if head in lx.AR_AGENCY_HEADS
                        else "government"
                        if head in lx.AR_GOV_HEADS
                        else "organization"
                    )
                    # «لوكالة الأنباء» names «وكالة الأنباء»
                    first = t.raw[1:] if head != t.core else t.raw
                    name = " ".join([first] + [w.raw for w in np])
                    res.add(name, kind, None, "f" if head.endswith("ه") else "m", (pi, k))
    else:
        n = len(toks)
        done = -1
        for i in [i for i, t in enumerate(toks) if t.raw[0].isupper() and not t.quoted]:
            if i < done:
                continue
            j = i
            while (
                j < n
                and toks[j].core
                and (
                    toks[j].raw[0].isupper()
                    or (toks[j].core in ("of", "for") and j + 1 < n and toks[j + 1].raw[0].isupper())
                )
            ):
                j += 1
            done = j
            if j - i >= 2:
                m = parse_en(toks[i:j], p.text)
                if (
                    m is not None
                    and m.kind in ("person", "agency", "government", "organization")
                    and res.lookup_known(m.name) is None
                ):
                    res.add(m.name, m.kind, None, m.gender, (pi, i))


# --- prepositional attribution ------------------------------------------------------


def _ar_prep_at(toks: list[Tok], i: int, b: int) -> int:
    """Length in tokens of an Arabic attribution preposition at i, else 0."""
    c = toks[i].core
    if c.startswith("و") and c[1:] in ("بحسب", "حسب", "حسبما", "وفقا", "طبقا", "نقلا", "وفق"):
        c = c[1:]
    if c in ("بحسب", "حسب", "حسبما", "وفق"):
        return 1
    if c in ("وفقا", "طبقا"):
        return 1
    if c == "نقلا" and i + 1 < b and toks[i + 1].core == "عن":
        return 2
    if c in ("علي", "وعلي") and i + 1 < b and toks[i + 1].core == "لسان":
        return 2
    if c in ("علي", "وعلي") and i + 2 < b and toks[i + 1].core == "حد" and toks[i + 2].core in ("قول", "تعبير"):
        return 3
    return 0


def _source_toks(ctx: _Ctx, toks: list[Tok], a: int, b: int) -> list[Tok]:
    """The source after a preposition, minus «ما أعلنت» and a stray «ل»."""
    src = [t for t in toks[a:b] if t.core or t.raw in _COMMA]
    if src and src[0].core in ("ما", "لما"):
        src = src[1:]
        if src and src[0].core in lx.AR_CUES:
            src = src[1:]
    cores = [t.core for t in src]
    # «النتائج التي أعلنتها اللجنة»: the document's author is the source.
    rel = next((k for k, c in enumerate(cores[:4]) if c in ("التي", "الذي")), None)
    if rel is not None and cores and cores[0] in lx.AR_DOCUMENTS | lx.AR_DOCUMENT_NOUNS and rel + 2 < len(src):
        src = src[rel + 2 :]
        cores = cores[rel + 2 :]
    if "عن" in cores and not any(c in ("قوله", "قولها", "قولهم") for c in cores):
        src = src[cores.index("عن") + 1 :]
    if ctx.lang == "ar" and src and src[0].core.startswith("ل") and not src[0].core.startswith("ال"):
        t = src[0]
        raw = t.raw[1:] if not t.raw.startswith("لل") else "ال" + t.raw[2:]
        src[0] = Tok(t.start, t.end, raw, fold(raw), t.quoted)
    return src


def _prep(ctx: _Ctx, pi: int, a: int, b: int) -> bool:
    p = ctx.paras[pi]
    toks = p.toks
    ar = ctx.lang == "ar"
    # sentence-initial: «وبحسب X، فإن ...», "According to X, ..."
    first = a
    while first < b and not toks[first].core:
        first += 1
    if first >= b:
        return False
    n = (
        _ar_prep_at(toks, first, b)
        if ar
        else (2 if first + 1 < b and toks[first].core == "according" and toks[first + 1].core == "to" else 0)
    )
    if n:
        comma = next((i for i in range(first + n, b) if toks[i].raw in _COMMA and p.qid[i] < 0), None)
        if comma is not None:
            src = _source_toks(ctx, toks, first + n, comma)
            c0 = comma + 1
            while c0 < b and (toks[c0].core in _AR_FA_INNA or (not toks[c0].core and toks[c0].raw not in _QMARKS)):
                c0 += 1
            if _words(p, c0, b) >= 3:
                m = ctx.mention(src, p.text)
                sp = _speak(ctx, m, "?", (pi, comma))
                cue = " ".join(t.raw for t in toks[first : first + n])
                _emit(ctx, pi, c0, b, _kind_of(p, c0, b), cue, sp, _clean(src), _conf(m, 0.8))
                return True
    # sentence-final: «...، بحسب X.», "..., according to X."
    for i in range(a + 1, b - 1):
        if toks[i].raw not in _COMMA or p.qid[i] >= 0:
            continue
        j = i + 1
        n = (
            _ar_prep_at(toks, j, b)
            if ar
            else (2 if j + 1 < b and toks[j].core == "according" and toks[j + 1].core == "to" else 0)
        )
        if not n:
            continue
        if any(toks[k].core in _AR_COMP or toks[k].core == "that" for k in range(j + n, b) if p.qid[k] < 0):
            continue  # «فاعتبر، على لسان X، أن ...»: the verb's clause, not a tail
        src = _source_toks(ctx, toks, j + n, b)
        c0 = a
        if n == 3:
            # «على حد تعبير الوزير» vouches for the quoted words only.
            frag = [sp for sp in p.spans if a <= sp.open < i and sp.close is not None]
            if not frag or _words(p, *_span_range(p, frag[-1])) < 3:
                return True
            c0, i = _span_range(p, frag[-1])
        if _words(p, c0, i) < 3:
            return False
        m = ctx.mention(src, p.text)
        sp = _speak(ctx, m, "?", (pi, b))
        cue = " ".join(t.raw for t in toks[j : j + n])
        _emit(ctx, pi, c0, i, _kind_of(p, c0, i), cue, sp, _clean(src), _conf(m, 0.8))
        return True
    return False


def _clean(toks: Sequence[Tok]) -> str:
    return " ".join(t.raw for t in toks if t.core)


# --- reporting verbs ------------------------------------------------------------------


def _cue_at(ctx: _Ctx, t: Tok) -> str | None:
    if t.quoted or not t.core:
        return None
    if ctx.lang == "ar":
        return lx.AR_CUES.get(t.core)
    kind = lx.EN_CUES.get(t.core)
    return kind


def _content_end(ctx: _Ctx, p: _Para, start: int, b: int) -> int:
    """Content runs to the sentence end or to the next «، مضيفاً» / «، فيما رأى»."""
    toks = p.toks
    for i in range(start, b - 1):
        if toks[i].raw in _COMMA and p.qid[i] < 0:
            for j in range(i + 1, min(i + 3, b)):
                c = toks[j].core
                if _cue_at(ctx, toks[j]) is not None or (ctx.lang == "ar" and _ar_prep_at(toks, j, b)):
                    if ctx.lang == "en" and c not in ("adding", "saying", "according"):
                        continue
                    return i
                if c not in ("فيما", "بينما", "في", "حين", "لكنه", "لكنها", "ولكنه", "ولكنها", "و"):
                    break
    return b


def _first_word(p: _Para, a: int) -> int:
    while a < len(p.toks) and not p.toks[a].core:
        a += 1
    return a


def _forward(ctx: _Ctx, pi: int, c: int, b: int) -> tuple[str, int, int] | None:
    """After a cue: ("colon"|"comp"|"quote"|"bare", subject end, content start)."""
    p = ctx.paras[pi]
    toks = p.toks
    ar = ctx.lang == "ar"
    limit = min(b, c + 45)
    j = c + 1
    while j < limit:
        t = toks[j]
        if p.qid[j] >= 0:
            j += 1
            continue
        if t.raw in _QMARKS and any(s.open == j for s in p.spans):
            span = next(s for s in p.spans if s.open == j)
            if (
                not ar
                and j > c + 1
                and toks[j - 1].raw != ":"
                and toks[j - 1].core not in ("of", "as", "called", "for")
            ):
                break  # "said it was ready to talk "at any level"": a mixed clause
            if _words(p, *_span_range(p, span)) >= 3 or (j > c + 1 and toks[j - 1].raw == ":"):
                return "quote", j, j
            j = (span.close or len(toks)) + 1
            continue
        if t.raw == ":":
            k = j + 1
            if k < b and toks[k].core in _AR_COMP:
                return "comp", j, k + 1
            if k < b and toks[k].raw in _QMARKS:
                return "quote", j, k
            return "comp", j, k
        if ar and t.core in _AR_COMP:
            return "comp", j, j + 1
        if not ar and t.core == "that":
            between = [x for x in toks[c + 1 : j] if x.core]
            if (
                not between
                or toks[c].core in ("told", "tells", "quoted")
                or between[0].core in ("in", "at", "on", "to", "during")
                or all(x.core in lx.EN_TIME for x in between)
            ):
                return "comp", j, j + 1
            break  # "said the strike was ... and that ...": content starts at the verb
        if t.raw in _END:
            break
        j += 1
    if not ar:
        # "X said the plan ...": content follows the cue and its adverbials.
        k = c + 1
        while k < b and (
            toks[k].core in _EN_SKIP_AFTER_CUE
            or toks[k].core in lx.EN_TIME
            or (toks[k].raw[:1].isupper() and k > c + 1 and toks[k - 1].core in ("on", "in", "at"))
        ):
            k += 1
        if k < b and toks[k].core in ("a", "statement", "an") and k > c + 1:
            return None
        if k < b and toks[k].raw not in _COMMA and toks[k].raw not in _END and toks[k].core:
            return "bare", c + 1, k
    return None


def _cue_sentence(ctx: _Ctx, pi: int, a: int, b: int) -> None:
    p = ctx.paras[pi]
    toks = p.toks
    ar = ctx.lang == "ar"
    last_speaker: Speaker | None = None
    m: Mention | None
    sp: Speaker | None
    last_mention = ""
    i = a
    cues = p.cues
    while i < b:
        k = bisect_left(cues, i)
        if k >= len(cues) or cues[k] >= b:
            break
        i = cues[k]
        t = toks[i]
        gender = _cue_at(ctx, t)
        if gender is None or p.used[i]:
            i += 1
            continue
        cue = t.raw
        participle = (ar and t.core in lx.AR_PARTICIPLES) or (not ar and t.core in ("saying", "adding"))
        # ----- quote before the cue: «"..."، قال X» / "...," X said
        prev_close = None
        k = i - 1
        while k >= a and (
            toks[k].raw in _COMMA
            or (not ar and toks[k].core and p.qid[k] < 0 and i - k <= 10 and _cue_at(ctx, toks[k]) is None)
        ):
            k -= 1
        if k >= a and toks[k].raw in _QMARKS and p.qid[k] < 0:
            prev_close = next((s for s in p.spans if s.close == k), None)
        if not ar and gender == "quoted":
            # "The agency quoted X as saying that ..."
            end = next((j for j in range(i + 1, b) if toks[j].core == "saying"), None)
            if end is not None:
                fw = _forward(ctx, pi, end, b)
                if fw is not None:
                    m = ctx.mention(toks[i + 1 : end - 1], p.text)
                    sp = _speak(ctx, m, "?", (pi, i))
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
                            _clean(toks[i + 1 : end - 1]),
                            _conf(m, 0.8),
                        )
                    i = e
                    continue
        if prev_close is not None and prev_close.open >= a and not participle and not p.used[prev_close.open + 1]:
            sa, sb = _span_range(p, prev_close)
            # subject: before the cue (English "X said") or after it
            subj_before = [
                tt for tt in toks[prev_close.close + 1 if prev_close.close is not None else i : i] if tt.core
            ]
            end = i + 1
            while end < b and not (toks[end].raw in _COMMA and end + 1 < b and toks[end + 1].raw in _QMARKS):
                if toks[end].raw in _END and p.qid[end] < 0:
                    break
                end += 1
            subj = subj_before if subj_before else list(toks[i + 1 : end])
            m = ctx.mention(subj, p.text)
            sp = _speak(ctx, m, gender if gender in ("m", "f", "p") else "?", (pi, end))
            _emit(ctx, pi, sa, sb, "direct", cue, sp, _clean(subj), _conf(m, 0.9), prev_close)
            last_speaker, last_mention = sp, _clean(subj)
            # split quote: «"..."، أضاف X، "..."»
            if end < b and toks[end].raw in _COMMA and end + 1 < b:
                nxt = next((s for s in p.spans if s.open == end + 1), None)
                if nxt is not None:
                    na, nb = _span_range(p, nxt)
                    _emit(ctx, pi, na, nb, "direct", cue, sp, _clean(subj), _conf(m, 0.85), nxt)
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
        subj_toks = list(toks[i + 1 : subj_end])
        if ar:
            before = [tt for tt in toks[a:i] if tt.core]
            if before and before[-1].core == "قد":
                was = next((k for k in range(len(before) - 2, -1, -1) if before[k].core in _AR_WAS), None)
                if was is not None:
                    subj_toks = before[was + 1 : -1] + subj_toks
            elif t.core.startswith("ف") and any(tt.core in _AR_AMMA for tt in before):
                amma = max(k for k, tt in enumerate(before) if tt.core in _AR_AMMA)
                subj_toks = before[amma + 1 :] + subj_toks
        else:
            subj_toks = _en_subject(p, a, i)
        if participle:
            m = None
            if last_speaker is None:
                if ar:
                    before = [tt for tt in toks[a:i] if tt.core]
                    m = ctx.mention(before[1:], p.text) if len(before) > 1 else None
                else:
                    m = parse_en(_en_subject(p, a, i), p.text)
        else:
            m = ctx.mention(subj_toks, p.text)
            if m is None and ar and i > a:
                host = toks[i - 1].core if toks[i - 1].core else ""
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
                sp = _speak(ctx, m, g, (pi, max(i, subj_end)))
            mention = _clean(subj_toks)
        base = 0.9 if m is not None and m.kind not in ("pronoun", "short", "defref", "titleref") else 0.75
        if how == "quote":
            span = next(s for s in p.spans if s.open == cstart)
            sa, sb = _span_range(p, span)
            prev = toks[cstart - 1].core if cstart > 0 else ""
            direct = toks[cstart - 1].raw == ":" or (cstart == subj_end and (not subj_toks or prev not in _AR_OBJ_PREP))
            if (ar and prev in _AR_OBJ_PREP) or (not ar and prev in ("of", "to", "as", "for", "called")):
                direct = False
            if not ar and toks[cstart - 1].raw != ":" and cstart - i > 1:
                direct = False
            _emit(ctx, pi, sa, sb, "direct" if direct else "mixed", cue, sp, mention, base, span)
            i = (span.close if span.close is not None else len(toks)) + 1
        else:
            end = _content_end(ctx, p, cstart, b)
            if _words(p, cstart, end) - sum(1 for k in range(cstart, end) if p.qid[k] >= 0 and toks[k].core) >= 2 or (
                _words(p, cstart, end) >= 3 and how != "bare"
            ):
                _emit(ctx, pi, cstart, end, _kind_of(p, cstart, end), cue, sp, mention, base - 0.05)
            i = max(end, i + 1)
        last_speaker, last_mention = sp, mention


def _en_subject(p: _Para, a: int, i: int) -> list[Tok]:
    """English subject before a cue: from the sentence start or the last quote."""
    toks = p.toks
    start = a
    for k in range(i - 1, a - 1, -1):
        if toks[k].raw in _QMARKS or p.qid[k] >= 0:
            start = k + 1
            break
    out = [t for t in toks[start:i] if t.core or t.raw in _COMMA]
    while out and out[-1].core in lx.EN_TIME:
        out.pop()
    return out


def _content_first(ctx: _Ctx, pi: int, a: int, i: int, b: int, cue: str) -> None:
    """English "Content ..., the coach added." with a short subject at the end."""
    p = ctx.paras[pi]
    toks = p.toks
    comma = next((k for k in range(i - 1, a, -1) if toks[k].raw in _COMMA and p.qid[k] < 0), None)
    if comma is None or i - comma > 8:
        return
    if any(p.qid[k] >= 0 for k in range(a, comma)) and _words(p, a, comma) < 4:
        return
    start = a
    if _words(p, start, comma) < 4:
        return
    subj = list(toks[comma + 1 : i])
    m = parse_en(subj, p.text)
    if m is None:
        return
    sp = _speak(ctx, m, "?", (pi, i))
    _emit(ctx, pi, start, comma, _kind_of(p, start, comma), cue, sp, _clean(subj), _conf(m, 0.8))


def _leftover_quotes(ctx: _Ctx, pi: int, a: int, b: int) -> None:
    """Quotes with no cue of their own continue the last speaker (floating quotes)."""
    p = ctx.paras[pi]
    for s in p.spans:
        if s.open < a or s.open >= b or s.cont_prev:
            continue
        sa, sb = _span_range(p, s)
        if any(p.used[k] for k in range(sa, sb)) or _words(p, sa, sb) < 3:
            continue
        outside = sum(1 for k in range(a, b) if p.qid[k] < 0 and p.toks[k].core)
        if outside > 2:
            continue
        ent = ctx.res.last_speaker("?")
        sp = ent.speaker() if ent else None
        _emit(ctx, pi, sa, sb, "direct", "", sp, "", 0.6 if sp else 0.3, s)


def _dateline_end(p: _Para) -> int:
    toks = p.toks
    for i, t in enumerate(toks[:14]):
        if t.raw in _QMARKS:
            return 0
        if t.raw in _DASH and i > 0 and toks[i - 1].end < t.start:
            return i + 1
    return 0


def extract_quotes(paragraphs: Sequence[str], language: str, known: Sequence[KnownEntity] = ()) -> list[ExtractedQuote]:
    """All quotes of a story, in reading order, with resolved speakers."""
    lang = "ar" if language.lower().startswith("ar") else "en"
    paras = _prepare(paragraphs, lx.AR_CUES.keys() if lang == "ar" else lx.EN_CUES.keys())
    ctx = _Ctx(paras, lang, Resolver(known), [])
    for pi, p in enumerate(paras):
        _prescan(ctx, pi)
        start = _dateline_end(p) if pi == 0 else 0
        if p.spans and p.spans[0].cont_prev:
            s = p.spans[0]
            start = max(start, (s.close if s.close is not None else len(p.toks)) + 1)
        for a, b in _sentences(p):
            a = max(a, start)
            if a >= b:
                continue
            if not _prep(ctx, pi, a, b):
                _cue_sentence(ctx, pi, a, b)
            _leftover_quotes(ctx, pi, a, b)
    return ctx.out
