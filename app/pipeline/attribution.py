"""Who said it: reading the attribution words and resolving them within a story.

A story keeps a small registry of the people and bodies it has named, in order,
so that «وقال الحداد», «وأضافت الوزارة», "the coach added" or a bare «وأضاف»
resolve to the entity named earlier rather than to the words as written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, compress, repeat
from operator import attrgetter, is_, itemgetter
from typing import Final, TypeAlias, cast

from app.pipeline import lexicon as lx
from app.pipeline.normalize import normalize, slugify

_BODY_KINDS = frozenset(["agency", "government", "organization"])
KINDS = ("person", "organization", "agency", "government", "place", "unnamed_group")


@dataclass(frozen=True, init=False)
class Speaker:
    name: str
    kind: str
    title: str | None
    ref: str

    def __init__(self, name: str, kind: str, title: str | None, ref: str) -> None:
        # As ExtractedQuote: one dict update instead of a frozen dataclass's
        # object.__setattr__ per field.
        self.__dict__.update(name=name, kind=kind, title=title, ref=ref)


@dataclass(frozen=True)
class KnownEntity:
    name: str
    kind: str
    aliases: tuple[str, ...] = ()
    title: str | None = None


# A word, number or punctuation mark of a paragraph, with its folded form:
# (start, end, raw, core, quoted), read through the index constants below.
# A plain tuple rather than a NamedTuple or a dataclass: a story builds
# hundreds of them for the parsers, and a NamedTuple costs several times as
# much to build (tuple.__new__ on a subclass) and twice as much per field read.
Tok: TypeAlias = tuple[int, int, str, str, bool]
START: Final = 0
END: Final = 1
RAW: Final = 2
CORE: Final = 3  # normalize()d; "" for punctuation
QUOTED: Final = 4  # inside quotation marks


@lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """normalize(), memoised: news vocabulary repeats heavily."""
    return normalize(text)


@lru_cache(maxsize=1 << 12)
def _slug(name: str) -> str:
    return slugify(name)


@dataclass(slots=True)
class Mention:
    """What the attribution words say, before resolution."""

    kind: str  # person, organization, agency, government, place, unnamed_group,
    #            pronoun, defref (a definite head: «الوزارة», "the agency"),
    #            titleref (a definite role: «المتحدثة»), short (a bare surname)
    name: str = ""
    title: str | None = None
    gender: str = "?"
    head: str = ""  # folded head noun for defref/titleref; "*guess" for a name found by position
    kind_hint: str = ""  # defref: the kind of entity the head noun names («الوكالة» -> agency)


@dataclass(slots=True)
class _Entity:
    name: str
    kind: str
    title: str | None
    gender: str
    ref: str
    tokens: tuple[str, ...]
    _speaker: Speaker | None = None
    alias_words: frozenset[str] = frozenset()  # folded words of catalogued aliases
    heads: frozenset[str] = frozenset()  # first two words without «ال»: what «الوزارة» matches

    def speaker(self) -> Speaker:
        # Speaker is frozen (slow to build) and an entity speaks many times;
        # only a title learnt later changes it.
        sp = self._speaker
        if sp is None or sp.title != self.title:
            sp = self._speaker = Speaker(self.name, self.kind, self.title, self.ref)
        return sp


def _strip_al(word: str) -> str:
    return word[2:] if len(word) > 3 and word.startswith(("ال", "لل")) else word


def _fem_word(word: str) -> bool:
    return word.endswith("ه") or word.endswith("ات")


_COMMAS = frozenset({"،", ",", ";", "؛", ":"})
_QUOTE_MARKS = frozenset('"«»“”')
_AR_RELATIVE = lx._fold("الذي التي الذين وهو وهي وهم وهما اللذين")
_AR_CALLED = lx._fold("تدعى يدعى ويدعى وتدعى اسمه اسمها")
# «طالباً عدم ذكر اسمه لأنه ...»: "his name" counts only before a known given name.
_AR_HIS_NAME = lx._fold("اسمه اسمها")
_AR_CHAIN_SAYING = lx._fold("قوله قولها قولهم قولهما")
_EN_RELATIVE = frozenset(["who", "which", "whose", "whom", "where"])
_EN_SPOKES = frozenset(["spokesman", "spokeswoman", "spokesperson"])
_EN_PREPOSITIONS = frozenset(["in", "at", "of", "from", "for", "with", "on", "near"])


_PART_BREAKS = _COMMAS | _QUOTE_MARKS | frozenset("()-–—")


def _parts(toks: Sequence[Tok]) -> list[list[Tok]]:
    """Split at commas, dropping quotation marks (a name may sit in quotes)."""
    if _PART_BREAKS.isdisjoint([t[RAW] for t in toks]):
        return [list(toks)] if toks else []  # the usual subject: one part, nothing to drop
    out: list[list[Tok]] = [[]]
    for t in toks:
        if t[RAW] in _COMMAS:
            out.append([])
        elif t[RAW] in _QUOTE_MARKS or t[RAW] in "()-–—":
            continue
        else:
            out[-1].append(t)
    return [p for p in out if p]


def _text(toks: Sequence[Tok], para: str) -> str:
    if not toks:
        return ""
    return para[toks[0][START] : toks[-1][END]].strip(' ،,:"«»“”')


def _clean_text(toks: Sequence[Tok]) -> str:
    return " ".join([t[RAW] for t in toks if t[CORE]])


# --- Arabic -------------------------------------------------------------------


def _ar_name_at(words: Sequence[Tok], i: int) -> tuple[int, int, str] | None:
    """A person's name starting at words[i], as (start, end, gender), if any."""
    return ar_name_span([w[CORE] for w in words], [w[RAW] for w in words], i)


# Words that can open a name: a given name, a kunya or the first half of a
# compound («عبد» of «عبد الله»). Anything else is rejected before the full test.
AR_NAME_START = frozenset(lx.AR_GIVEN) | lx.AR_KUNYA | lx.AR_GIVEN_FIRST_OF_PAIR
_AR_NAME_OR_CALLED = AR_NAME_START | _AR_CALLED


def ar_name_span(cores: Sequence[str], raws: Sequence[str], i: int) -> tuple[int, int, str] | None:
    """``_ar_name_at`` over parallel lists of folded and raw words."""
    core = cores[i]
    if core not in AR_NAME_START:
        return None
    n = len(cores)
    start = i
    j = i + 1
    if core in lx.AR_KUNYA and j < n and cores[j] in lx.AR_GIVEN:
        # «أبو سليم»: a kunya is a name of its own.
        return i, j + 1, "f" if core == "ام" else "m"
    gender = lx.AR_GIVEN.get(core)
    # Given names that are also function words: «على» folds onto «علي», and
    # «باسم» after a spokesman is "on behalf of".
    if core == "علي" and raws[i].endswith("ى"):
        return None
    if core == "باسم" and i > 0 and cores[i - 1] in lx.AR_TITLE_HEADS:
        return None
    if core in lx.AR_GIVEN_FIRST_OF_PAIR and j < n:
        pair = core + " " + cores[j]
        if pair in lx.AR_GIVEN:
            gender, j = lx.AR_GIVEN[pair], j + 1
    if gender is None:
        return None
    if i > 0 and cores[i - 1] in lx.AR_KUNYA:
        start = i - 1
        gender = "f" if cores[i - 1] == "ام" else "m"
    # The family name is one word; a bare given name before it is the
    # father's name («محمد علي حسن»).
    for _ in range(2):
        if j >= n:
            break
        w = cores[j]
        if not w or w in lx.AR_NP_STOP or w in lx.AR_TITLE_HEADS or w in lx.AR_CUES:
            break
        j += 1
        if w.startswith("ال") or w not in lx.AR_GIVEN:
            break
    return start, j, gender


# «في مؤتمر صحفي», «في كلمة الافتتاح»: a «في» opening an occasion ends a role.
_AR_OCCASIONS = lx._fold("بيان تصريح تصريحات مؤتمر حديث مقابلة وقت كلمة خطاب لقاء ندوة رسالة منشور تغريدة")


def _ar_np(words: Sequence[Tok]) -> list[Tok]:
    """The leading noun phrase: stop at prepositions, time words, relatives."""
    out: list[Tok] = []
    for k, t in enumerate(words):
        c = t[CORE]
        if c in lx.AR_NP_STOP and not t[QUOTED]:
            # «المتحدث باسم الوزارة», «مسؤول في الوزارة»: keep a «في»/«ب»
            # that belongs to a role or source noun rather than an adverbial.
            keep_in = (
                c == "في"
                and out
                and (out[0][CORE] in lx.AR_UNNAMED or out[0][CORE] in lx.AR_TITLE_HEADS)
                and k + 1 < len(words)
                and words[k + 1][CORE] not in _AR_OCCASIONS
            )
            if not keep_in:
                break
        if c == "قد" or c in lx.AR_PARTICIPLES:
            break
        out.append(t)
    return out


_AR_BODY_HEADS = lx.AR_AGENCY_HEADS | lx.AR_GOV_HEADS | lx.AR_ORG_HEADS
# Words that end a role's complement rather than start a name after it.
_AR_NOT_NAME = _AR_BODY_HEADS | lx.AR_TITLE_HEADS | lx.AR_UNNAMED | lx.AR_NP_STOP | lx.AR_HONORIFICS
_AR_ON_BEHALF = lx._fold("باسم ب بـ عن")


def _ar_name_after_title(np: Sequence[Tok]) -> tuple[int, int] | None:
    """An unlisted two-word name closing a role: «وزير خارجية قمرستان فاردان أوسكو».

    Given names outside data/given_names.json (foreign names above all) are
    recognised by position: the two last words of a noun phrase that opens
    with a role. Guards keep role complements out: the first name word is
    indefinite and no body, role or function word; a definite family name
    must look like a nisba («المنصوري»), not a noun («السحاب»).
    """
    # The name ends the role phrase or stands before a «في» that opens a
    # place or an occasion («... ميريلا أوستراند في مؤتمر صحفي»).
    for end in [k for k, t in enumerate(np) if t[CORE] == "في"] + [len(np)]:
        found = _ar_name_before(np, end)
        if found is not None:
            return found
    return None


def _ar_name_before(np: Sequence[Tok], end: int) -> tuple[int, int] | None:
    # «اتهم زعيم المعارضة إريك توفماند الحكومة بـ»: the verb's object trails.
    while end > 0 and (np[end - 1][CORE] in _AR_BODY_HEADS or np[end - 1][CORE] in _AR_ON_BEHALF):
        end -= 1
    definite_role = np[0][CORE].startswith("ال")
    if end < (3 if definite_role else 4):
        return None
    n1, n2 = np[end - 2], np[end - 1]
    c1, c2 = n1[CORE], n2[CORE]
    if n1[QUOTED] or n2[QUOTED] or len(c1) < 2 or len(c2) < 2:
        return None
    if c1.startswith(("ال", "لل")) or c1 in _AR_NOT_NAME or np[end - 3][CORE] in _AR_ON_BEHALF:
        return None
    if c2 in _AR_NOT_NAME or c2.startswith("لل") or (c2.startswith("ال") and not c2.endswith("ي")):
        return None
    if c1.isdigit() or c2.isdigit() or c2 in lx.AR_ANOTHER:
        return None
    return end - 2, end


def parse_ar(toks: Sequence[Tok], para: str) -> Mention | None:
    cores = [t[CORE] for t in toks]
    # Punctuation has an empty core: without any, there is nothing to filter or split.
    plain = "" not in cores
    words = list(toks) if plain else [t for t in toks if t[CORE] or t[RAW] in _COMMAS]
    # «وقالت فيها إن ...»: "in it" is no subject; the sentence's last named entity speaks.
    while words and words[0][CORE] in lx.AR_PREP_PRONOUNS:
        words = words[1:]
    if len(words) != len(cores):
        cores = [t[CORE] for t in words]
    # Chained attribution: «نقلت الوكالة عن مسؤول قوله» — the official speaks.
    # The first «عن» introduces the source; a later one belongs to its
    # description («طلب عدم الكشف عن هويته»).
    if "عن" in cores:
        for k, c in enumerate(cores):
            if c in _AR_CHAIN_SAYING:
                back = cores.index("عن")
                if back < k:
                    return parse_ar(words[back + 1 : k], para)
    if "عن" in cores or "لسان" in cores:
        for k in range(len(cores) - 1):
            if (cores[k], cores[k + 1]) in (("نقلا", "عن"), ("علي", "لسان")):
                return parse_ar(words[k + 2 :], para)
    if cores and cores[0] in ("اما", "واما"):
        words, cores = words[1:], cores[1:]
    if "" not in cores:
        parts = [words] if words else []
    else:
        # What _parts() does, by index: once punctuation is filtered out, the
        # commas are the only words without a folded form.
        parts = []
        s = 0
        for _ in range(cores.count("")):
            e = cores.index("", s)
            if e > s:
                parts.append(words[s:e])
            s = e + 1
        if s < len(words):
            parts.append(words[s:])
    # Drop relative clauses and «وهو ...» asides, but keep «ويدعى أبو سليم».
    kept: list[list[Tok]] = []
    for p in parts:
        if p[0][CORE] in _AR_CALLED and len(p) > 1:
            called = _ar_name_at(p, 1)
            end = called[1] if called else 2
            role = _text(kept[0], para) if kept else None
            return Mention("person", _clean_text(p[1:end]), role, called[2] if called else "?")
        if p[0][CORE] in _AR_RELATIVE or p[0][CORE] in lx.AR_TIME:
            continue
        kept.append(p)
    for pi, p in enumerate(kept):
        pcores = cores if p is words else [t[CORE] for t in p]  # cores are words' folded forms
        if _AR_NAME_OR_CALLED.isdisjoint(pcores):
            continue  # no name can start in this part
        praws = [t[RAW] for t in p]
        # only words that can open a name or announce one need the full test
        for i in compress(range(len(p)), map(_AR_NAME_OR_CALLED.__contains__, pcores)):
            t = p[i]
            if t[QUOTED]:
                continue
            if (
                t[CORE] in _AR_CALLED
                and i + 1 < len(p)
                and ((found := ar_name_span(pcores, praws, i + 1)) is not None or t[CORE] not in _AR_HIS_NAME)
            ):
                end = found[1] if found else i + 2
                return Mention(
                    "person",
                    _clean_text(p[i + 1 : end]),
                    _clean_text(p[:i]) or None,
                    found[2] if found else "?",
                )
            found = ar_name_span(pcores, praws, i)
            if found is None:
                continue
            s, e, gender = found
            before = [w for w in p[:s] if w[CORE] not in lx.AR_TIME]
            title: str | None = _clean_text(before) or None
            if title is None and pi > 0 and any(w[CORE] in lx.AR_TITLE_HEADS for w in kept[pi - 1]):
                title = _clean_text(kept[pi - 1])
            if title is None and pi + 1 < len(kept):
                nxt = kept[pi + 1]
                if nxt[0][CORE] in lx.AR_TITLE_HEADS or nxt[0][CORE] in lx.AR_HONORIFICS:
                    title = _clean_text(nxt)
            if title and _fem_word(fold(title.split()[0])):
                gender = "f" if gender == "?" else gender
            return Mention("person", _clean_text(p[s:e]), title, gender)
    if not kept:
        return None
    np = _ar_np(kept[0])
    while np and (np[0][CORE] in lx.AR_TIME or (np[0][CORE] in lx.AR_HONORIFICS and len(np) > 1)):
        np = np[1:]
    if not np:
        return None
    if (
        len(np) > 1
        and np[0][CORE] in lx.AR_DOCUMENT_NOUNS
        and (
            np[1][CORE].startswith("ال")
            or np[1][QUOTED]
            or np[1][CORE] in lx.AR_ORG_HEADS
            or np[1][CORE] in lx.AR_GOV_HEADS
            or np[1][CORE] in lx.AR_AGENCY_HEADS
        )
    ):
        np = np[1:]
    head = np[0][CORE]
    name = _clean_text(np)
    if head in lx.AR_TITLE_HEADS:
        span = _ar_name_after_title(np)
        if span is not None:
            s, e = span
            title = _clean_text(np[:s])
            gender = "f" if _fem_word(head) else "m"
            return Mention("person", _clean_text(np[s:e]), title, gender, head="*guess")
    if head in _AR_BODY_HEADS:
        kind = "agency" if head in lx.AR_AGENCY_HEADS else "government" if head in lx.AR_GOV_HEADS else "organization"
        gender = "f" if _fem_word(head) else "m"
        if len(np) == 2 and not head.startswith("ال") and np[1][CORE] in _AR_BODY_HEADS and np[1][CORE][:2] == "ال":
            # «رئاسة المجلس», «أمانة الاتحاد»: an organ of a body named before speaks for it.
            return Mention("defref", name, gender=gender, head=_strip_al(np[1][CORE]))
        alone = len(np) == 1 or (len(np) == 2 and np[1][CORE] in ("ذاته", "نفسه", "ذاتها", "نفسها"))
        if alone and head.startswith("ال"):
            hint = "agency" if head in lx.AR_AGENCY_HEADS else ""
            return Mention("defref", name, gender=gender, head=_strip_al(head), kind_hint=hint)
        second = np[1] if len(np) > 1 else None
        if (
            second is not None
            and not second[QUOTED]
            and not head.startswith("ال")
            and not second[CORE].startswith("ال")
            and second[CORE].endswith(("يه", "ي"))
        ):
            return Mention("unnamed_group", name, gender="p")
        return Mention(kind, name, gender=gender)
    if head in lx.AR_DOCUMENTS and len(np) == 1:
        return Mention("defref", name, head="*doc")
    # An indefinite sound masculine plural («مسافرون عالقون») is a group of
    # people, and so is one more of them («ناقد آخر»).
    plural = not head.startswith("ال") and head.endswith("ون") and len(head) > 4
    another = not head.startswith("ال") and len(np) > 1 and np[1][CORE] in lx.AR_ANOTHER
    if plural or another or head in lx.AR_UNNAMED or _strip_al(head) in lx.AR_UNNAMED:
        if head.startswith("ال") and len(np) <= 2:
            return Mention("defref", name, head="*unnamed")
        return Mention("unnamed_group", name, gender="p")
    if head in lx.AR_TITLE_HEADS:
        if head.startswith("ال"):
            return Mention("titleref", name, gender="f" if _fem_word(head) else "m", head=_strip_al(head))
        return Mention("unnamed_group", name)
    return Mention("short", name)


# --- English ------------------------------------------------------------------


def _is_cap(t: Tok) -> bool:
    return bool(t[RAW][:1].isupper())


_EN_NAME_LINKS = frozenset(["of", "for", "de", "van", "al"])


def _en_runs(part: Sequence[Tok]) -> list[tuple[int, int]]:
    """Runs of capitalised words, allowing "of"/"for" between two of them."""
    n = len(part)
    # Capitalised, counting Arabic-style particles: "al-Qassab", "el-Sayed"
    # (written out: a function call per word would cost more than the test).
    caps = [t[RAW][:1].isupper() or (t[RAW][:3] in ("al-", "el-") and t[RAW][3:4].isupper()) for t in part]
    runs: list[tuple[int, int]] = []
    i = 0
    while i < n:
        if caps[i] and part[i][CORE]:
            j = i + 1
            while j < n and (
                (caps[j] and part[j][CORE]) or (part[j][CORE] in _EN_NAME_LINKS and j + 1 < n and caps[j + 1])
            ):
                j += 1
            runs.append((i, j))
            i = j
        else:
            i += 1
    return runs


def _org_kind(words: Sequence[str]) -> str | None:
    for w in reversed(words):
        k = lx.EN_ORG_WORDS.get(w)
        if k:
            return k
    return None


_EN_TRAILING = lx.EN_TIME | {"also", "in", "at", "on"}


_EN_ARTICLES = frozenset(["the", "its", "his", "her", "their", "also"])
# Words that give a subject any reading but a plain two-word name.
_EN_SPECIAL = (
    lx.EN_TITLE_WORDS
    | lx.EN_ORG_WORDS.keys()
    | lx.EN_TIME
    | lx.EN_UNNAMED
    | lx.EN_DETERMINERS
    | lx.EN_LEADING_PREPS
    | lx.EN_PRONOUNS.keys()
    | lx.EN_ORGANS
    | _EN_ARTICLES
    | _EN_TRAILING
    | _EN_RELATIVE
    | _EN_SPOKES
    | _EN_PREPOSITIONS
)


def _strip_articles(toks: list[Tok]) -> list[Tok]:
    while toks and toks[0][CORE] in _EN_ARTICLES:
        toks = toks[1:]
    while toks and toks[-1][CORE] in _EN_TRAILING:
        toks = toks[:-1]
    return toks


def _en_title_word(core: str) -> bool:
    """A title word, also hyphenated ("secretary-general", "vice-president")."""
    return core in lx.EN_TITLE_WORDS or ("-" in core and any(w in lx.EN_TITLE_WORDS for w in core.split("-")))


def _en_one_word(t: Tok) -> Mention | None:
    """parse_en for a one-word subject ("he", "Smith", "officials"), the commonest case."""
    c = t[CORE]
    if c in lx.EN_PRONOUNS:
        return Mention("pronoun", c, gender=lx.EN_PRONOUNS[c])
    if c in lx.EN_TIME or c in _EN_ARTICLES or c in _EN_TRAILING:
        return None
    if c in lx.EN_UNNAMED:
        return Mention("unnamed_group", t[RAW], gender="p")
    kind = lx.EN_ORG_WORDS.get(c)
    if kind:
        return Mention(kind, t[RAW])
    if _is_cap(t):
        return Mention("short", t[RAW])
    return Mention("unnamed_group", t[RAW], gender="p")


def parse_en(toks: Sequence[Tok], para: str) -> Mention | None:
    if len(toks) == 1 and toks[0][CORE]:
        return _en_one_word(toks[0])
    if (
        len(toks) == 2
        and all(t[CORE] and t[CORE] not in _EN_SPECIAL and _is_cap(t) and "-" not in t[CORE] for t in toks)
        and not toks[1][RAW].endswith(("'s", "’s"))
    ):
        # "Anna Berg": two capitalised ordinary words are a person's name.
        return Mention("person", f"{toks[0][RAW]} {toks[1][RAW]}")
    word_cores = [t[CORE] for t in toks]
    words: Sequence[Tok] = toks
    if "" in word_cores:  # punctuation other than commas goes
        words = [t for t in toks if t[CORE] or t[RAW] in _COMMAS]
        word_cores = [t[CORE] for t in words]
    has_relative = not _EN_RELATIVE.isdisjoint(word_cores)
    if has_relative:
        # "Minister Salma al-Warraqi who cut the ribbon": a relative with no comma ends the subject.
        rel = next(
            (k for k, t in enumerate(words) if t[CORE] in _EN_RELATIVE and k and words[k - 1][RAW] not in _COMMAS), None
        )
        if rel is not None:
            words = words[:rel]
    # "the union's secretariat", "the ministry's spokesman": the owner speaks.
    own = None
    if not lx.EN_ORGANS.isdisjoint(word_cores):
        own = next(
            (
                k
                for k, t in enumerate(words[:-1])
                if t[RAW].endswith(("'s", "’s")) and words[k + 1][CORE] in lx.EN_ORGANS
            ),
            None,
        )
    if own is not None:
        t = words[own]
        owner = (t[START], t[END] - 2, t[RAW][:-2], t[CORE][:-2], t[QUOTED])
        found = parse_en([*words[:own], owner], para)
        if found is not None:
            return found
    # drop ", who ... ," asides
    clean: list[Tok] = []
    skipping = False
    for t in words if has_relative else ():
        if t[RAW] in _COMMAS:
            skipping = False
            clean.append(t)
        elif not skipping and t[CORE] in _EN_RELATIVE and clean and clean[-1][RAW] in _COMMAS:
            skipping = True
        elif not skipping:
            clean.append(t)
    parts = _parts(clean if clean else words)
    if not parts:
        return None
    if parts[0][0][CORE] in lx.EN_LEADING_PREPS:
        # "In a statement on Wednesday, Qamaristan's foreign ministry": drop the
        # adverbial; with no comma, it ends at its last time word
        # ("In an update on Friday afternoon the ministry").
        if len(parts) > 1:
            parts = parts[1:]
        else:
            last = max((k for k, t in enumerate(parts[0]) if t[CORE] in lx.EN_TIME and t[CORE] != "on"), default=-1)
            if 0 < last < len(parts[0]) - 1:
                parts = [parts[0][last + 1 :]]
    first = [t for t in parts[0] if t[CORE] not in lx.EN_TIME]
    if not first:
        return None
    cores = [t[CORE] for t in first]
    if len(first) == 1 and cores[0] in lx.EN_PRONOUNS:
        return Mention("pronoun", cores[0], gender=lx.EN_PRONOUNS[cores[0]])
    # "a spokesman for the finance ministry": the ministry speaks.
    for k, c in enumerate(cores[:-1] if not _EN_SPOKES.isdisjoint(cores) else ()):
        if (
            c in _EN_SPOKES
            and cores[k + 1] == "for"
            and not any(_is_cap(t) for t in first[:k] if t[CORE] not in ("a", "an", "the"))
        ):
            rest = parse_en(first[k + 2 :], para)
            if rest is not None:
                return rest
    if cores[0] in lx.EN_DETERMINERS and any(c in lx.EN_UNNAMED for c in cores):
        return Mention("unnamed_group", _clean_text(first), gender="p")
    # "medical sources in the coastal city of Ain al-Sahab": the head noun
    # before the first preposition decides, not the place after it.
    head_np = cores[: next((k for k, c in enumerate(cores) if c in _EN_PREPOSITIONS), len(cores))]
    if head_np and head_np[-1] in lx.EN_UNNAMED and not any(_is_cap(t) for t in first[: len(head_np)]):
        return Mention("unnamed_group", _clean_text(first), gender="p")
    if cores[0] in lx.EN_UNNAMED and (len(first) == 1 or not _is_cap(first[0]) or not _is_cap(first[1])):
        return Mention("unnamed_group", _clean_text(first), gender="p")
    # a person: a capitalised run of two or more words after any title words
    part_runs = [_en_runs(part) for part in parts]
    for pi, part in enumerate(parts):
        for s, e in part_runs[pi]:
            run = part[s:e]
            if run[-1][RAW].endswith(("'s", "’s")):
                continue
            low = [t[CORE] for t in run]
            cut = max((k + 1 for k, w in enumerate(low) if _en_title_word(w)), default=0)
            if low and low[0] == "the":
                cut = max(cut, 1)
            name = run[cut:]
            stop = next((k for k, t in enumerate(name) if t[CORE] in ("of", "for")), len(name))
            name = name[:stop]
            if len(name) < 2 or _org_kind([t[CORE] for t in name]):
                continue
            before = [t for t in part[:s] if t[CORE] not in lx.EN_TIME] + run[:cut]
            title: str | None = _clean_text(before) or None
            if title is None and pi > 0:
                title = _clean_text(parts[pi - 1]) or None
            if title is None and pi + 1 < len(parts):
                title = _clean_text(parts[pi + 1]) or None
            gender = "f" if title and "woman" in title.lower() else "?"
            return Mention("person", _clean_text(name), title, gender)
    if cores[0] in lx.EN_DETERMINERS and any(c in lx.EN_UNNAMED for c in cores):
        return Mention("unnamed_group", _clean_text(first), gender="p")
    for part, runs in zip(parts, part_runs, strict=True):
        for s, e in runs:
            run = [t for t in part[s:e] if t[CORE] != "the"]
            kind = _org_kind([t[CORE] for t in run])
            if kind:
                return Mention(kind, _clean_text(run))
    np = _strip_articles(list(first))
    np_cores = [t[CORE] for t in np]
    if not np:
        return None
    if first[0][CORE] == "the" and len(np) == 1:
        head = np_cores[0]
        if head in lx.EN_ORG_WORDS:
            return Mention("defref", head, head=head)
        if head in lx.EN_TITLE_WORDS:
            return Mention("titleref", head, head=head)
    if first[0][CORE] == "the" and len(np) > 1 and np_cores[-1] in lx.EN_TITLE_WORDS and all(map(_is_cap, np[:-1])):
        # "The Selwan coach": a role with a team or country before it.
        return Mention("titleref", np_cores[-1], head=np_cores[-1])
    kind = _org_kind(np_cores)
    if np_cores[-1] in lx.EN_UNNAMED or (kind is None and any(c in lx.EN_UNNAMED for c in np_cores)):
        return Mention("unnamed_group", _clean_text(np), gender="p")
    if kind:
        return Mention(kind, _clean_text(np))
    if len(np) == 1 and _is_cap(np[0]):
        return Mention("short", np[0][RAW])
    return Mention("unnamed_group", _clean_text(np), gender="p")


# --- resolution -----------------------------------------------------------------


def _compatible(want: str, have: str) -> bool:
    return want in ("?", "n") or have == "?" or want == have or (want == "p" and have == "f")


_KnownStarts: TypeAlias = dict[str, list[tuple[tuple[str, ...], KnownEntity]]]
_NAME = attrgetter("name")
_ALIASES = attrgetter("aliases")
_KIND = attrgetter("kind")
# Folded catalogue names and their first words: a plain dict is three times
# as fast as fold()'s lru_cache per hit, and a story's catalogue brings
# thousands of names.
_KEY_CACHE: dict[str, tuple[str, str]] = {}


def _catalogue_key(name: str) -> tuple[str, str]:
    if len(_KEY_CACHE) > 200_000:
        _KEY_CACHE.clear()
    key = fold(name)
    # a folded key's words are separated by single spaces
    found = _KEY_CACHE[name] = (key, key.partition(" ")[0])
    return found


@lru_cache(maxsize=1 << 16)
def _start_words(key: str) -> tuple[tuple[str, ...], tuple[str, str], bool]:
    """A folded catalogue key's words, the story words it can start at (its first, or «ل» and its
    first), and whether it is a generic body word alone («الوزارة»). Remembered: the same
    catalogue entries come story after story, some thousand names each."""
    words = tuple(key.split())
    if not words:
        return words, ("", ""), False
    generic = len(words) == 1 and (words[0] in _AR_BODY_HEADS or words[0] in lx.EN_ORG_WORDS)
    return words, (words[0], "ل" + words[0]), generic


def _known_tables(
    known: Sequence[KnownEntity], vocabulary: AbstractSet[str] | None
) -> tuple[dict[str, KnownEntity], _KnownStarts, bool]:
    """Catalogue indexes: folded name or alias -> entity, first word -> (words, entity) for the
    names a story can contain, and whether any catalogued entity is a body (not a place).

    The service hands every story a catalogue of its own, thousands of entities
    long, so this runs once per story and is written as C-level passes over
    the catalogue: the Python work is left to the few names that start with
    "the" and to the names whose first word is in the story's ``vocabulary``
    (every name when it is None).

    Semantics, as if each entity's name and then its aliases were taken in
    catalogue order: a key belongs to the first entity that has it, and "the
    sports ministry" also answers to "sports ministry" right after its own key.
    """
    names = list(map(tuple.__add__, zip(map(_NAME, known)), map(_ALIASES, known)))  # (name, *aliases)
    flat = list(chain.from_iterable(names))
    owners = list(chain.from_iterable(map(repeat, known, map(len, names))))
    found = list(map(_KEY_CACHE.get, flat))
    if None in found:
        for at in compress(range(len(found)), map(is_, found, repeat(None))):
            found[at] = _catalogue_key(flat[at])
    keys: list[str] = list(map(itemgetter(0), cast(list[tuple[str, str]], found)))
    firsts: list[str] = list(map(itemgetter(1), cast(list[tuple[str, str]], found)))
    # dict() keeps the last value given for a key: fed backwards, the first owner wins.
    index = dict(zip(reversed(keys), reversed(owners), strict=True))
    index.pop("", None)  # a name that folds to nothing answers to nothing
    the_at = list(compress(range(len(keys)), map("the".__eq__, firsts)))
    if the_at:
        first_at = dict(zip(reversed(keys), range(len(keys) - 1, -1, -1), strict=True))
        claimed: set[str] = set()
        for at in the_at:
            # "the sports ministry" at position ``at`` also claims "sports ministry",
            # unless an earlier name or "the ..." variant has it.
            short = keys[at][4:]
            if not short or short in claimed:
                continue
            claimed.add(short)
            if first_at.get(short, at + 1) > at:
                index[short] = owners[at]
    if vocabulary is None:
        chosen: Iterable[int] = range(len(keys))
    else:
        # A name can start at a story word, or after its «ل» («لوكالة ...»).
        wanted = set(vocabulary)
        wanted.update(w[1:] for w in vocabulary if w.startswith("ل"))
        chosen = compress(range(len(keys)), map(wanted.__contains__, firsts))
    # Each start list holds its names longest first: taken in that order (a stable sort, as a sort
    # of each list would be), they are appended in it.
    info = list(map(_start_words, keys))
    sizes = [-len(words) for words, _, _ in info]
    starts: defaultdict[str, list[tuple[tuple[str, ...], KnownEntity]]] = defaultdict(list)
    for at in sorted(chosen, key=sizes.__getitem__):
        k = owners[at]
        words, (first, after_l), generic = info[at]
        if words and k.kind != "place" and not generic:
            # a bare «الوزارة» alias would claim every ministry in every story
            # places are never speakers and never the target of a back-reference
            entry = (words, k)
            starts[first].append(entry)
            starts[after_l].append(entry)
    kinds = list(map(_KIND, known))
    return index, dict(starts), kinds.count("place") != len(kinds)


# A name's folded words and its heads (see _Entity), memoised: every story
# registers some forty entities, and the same people and bodies recur from
# story to story.
_NAME_WORDS: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {}


def _name_words(name: str) -> tuple[tuple[str, ...], frozenset[str]]:
    if len(_NAME_WORDS) > 100_000:
        _NAME_WORDS.clear()
    tokens = tuple(map(fold, name.split()))
    words = _NAME_WORDS[name] = (tokens, frozenset(map(_strip_al, tokens[:2])))
    return words


@dataclass(slots=True)
class Resolver:
    """Per-story memory of named entities and of who spoke last."""

    known: Sequence[KnownEntity] = ()
    entities: dict[str, _Entity] = field(default_factory=dict)
    # Mentions, kept per entity: ``order`` lists entities by their last mention
    # and ``history`` holds each one's (sequence number, position) pairs, so
    # "the last entity that fits" visits entities, not every mention so far.
    order: dict[str, None] = field(default_factory=dict)
    history: dict[str, list[tuple[int, tuple[int, int]]]] = field(default_factory=dict)
    count: int = 0  # mentions recorded so far: the sequence number of the last one
    # refs of entities that spoke, most recent last (a dict keeps each once)
    spoken: dict[str, None] = field(default_factory=dict)
    # the story's folded words: catalogued names that start with none of them are not looked for
    vocabulary: AbstractSet[str] | None = None
    _known_index: dict[str, KnownEntity] = field(default_factory=dict)
    # first folded word of a catalogued name (also with «ل») -> (its words, entity),
    # for the names that can start in the vocabulary
    known_starts: _KnownStarts = field(default_factory=dict)
    _bodies: bool = False  # the catalogue holds bodies, not only places

    def __post_init__(self) -> None:
        self._known_index, self.known_starts, self._bodies = _known_tables(self.known, self.vocabulary)

    # registry
    def lookup_known(self, text: str) -> KnownEntity | None:
        key = fold(text)
        found = self._known_index.get(key)
        if found is None and key.startswith("the "):
            found = self._known_index.get(key[4:])
        return found

    def lookup_body(self, text: str) -> KnownEntity | None:
        """A catalogued body, also when written with a trailing adjective or time
        word («شركة غيمار للطاقة القمرستانية», «وكالة ... نقلاً») or without its
        generic head («شركة» in «شركة غيمار للطاقة»)."""
        if not self._bodies:
            return None  # a catalogue of places names no body
        key = fold(text)
        index = self._known_index
        exact = index.get(key)
        if exact is not None:
            return exact if exact.kind != "place" else None
        # "Qamaristan's foreign ministry" is catalogued as "the Qamaristan foreign ministry".
        words = [w[:-2] if w.endswith(("'s", "’s")) else w for w in key.split()]
        if words and words[0] == "the":
            words = words[1:]
        for drop in range(min(3, len(words) - 1) + 1):
            kept = words[: len(words) - drop]
            for cand in (kept, kept[1:] if len(kept) > 2 else ()):
                if cand and (k := index.get(" ".join(cand))) is not None and k.kind != "place":
                    return k
        return None

    def add(
        self,
        name: str,
        kind: str,
        title: str | None,
        gender: str,
        pos: tuple[int, int],
        known: KnownEntity | None = None,
        looked_up: bool = False,
    ) -> _Entity:
        """Register a mention of name (catalogued as ``known``, when the caller looked it up)."""
        if not looked_up:
            known = self.lookup_known(name)
        if known is not None:
            name, kind, title = known.name, known.kind, title or known.title
        ref = _slug(name)
        ent = self.entities.get(ref)
        if ent is None:
            words = _NAME_WORDS.get(name)
            tokens, heads = words if words is not None else _name_words(name)
            if kind != "person":
                gender = (
                    gender if gender != "?" else ("f" if (tokens and _fem_word(tokens[0])) or kind == "place" else "m")
                )
            ent = _Entity(name, kind, title, gender, ref, tokens, heads=heads)
            if known is not None:
                # "The ministry" must find a body catalogued under its Arabic
                # name: back-references match the words of every alias.
                ent.alias_words = frozenset(fold(w) for a in known.aliases for w in a.split())
            self.entities[ref] = ent
        else:
            if title and not ent.title:
                ent.title = title
            if ent.gender == "?" and gender != "?":
                ent.gender = gender
        self.mention(pos, ref)
        return ent

    def mention(self, pos: tuple[int, int], ref: str) -> None:
        """Record that ref is mentioned at pos (paragraph, token)."""
        order = self.order
        order.pop(ref, None)
        order[ref] = None
        self.count += 1
        self.history.setdefault(ref, []).append((self.count, pos))

    def _recent(self, pos: tuple[int, int], ok: Callable[[_Entity], bool]) -> _Entity | None:
        """The entity of the latest recorded mention at or before pos that passes ok."""
        best: _Entity | None = None
        best_seq = -1
        history = self.history
        for ref in reversed(self.order):
            hist = history[ref]
            if hist[-1][0] < best_seq:
                break  # every entity left was last mentioned before the best so far
            ent = self.entities[ref]
            if not ok(ent):
                continue
            for seq, mpos in reversed(hist):
                if seq < best_seq:
                    break
                if mpos <= pos:
                    best, best_seq = ent, seq
                    break
        return best

    def recent_person(self, pos: tuple[int, int], gender: str) -> _Entity | None:
        """The last person named before pos whose gender fits (for «لكنه قال», "she said")."""
        return self._recent(pos, lambda e: e.kind == "person" and _compatible(gender, e.gender))

    def named_since(self, since: tuple[int, int], pos: tuple[int, int], gender: str) -> _Entity | None:
        """The last named entity mentioned between since and pos, if its gender fits."""
        ent = self._recent(pos, lambda e: e.kind != "unnamed_group" and _compatible(gender, e.gender))
        if ent is None:
            return None
        if any(since <= mpos <= pos for _, mpos in self.history[ent.ref]):
            return ent
        return None

    def last_speaker(self, gender: str) -> _Entity | None:
        for ref in reversed(self.spoken):
            ent = self.entities[ref]
            # An unnamed source («صيدلي», «مصادر») takes either verb gender.
            if (ent.kind == "unnamed_group" or _compatible(gender, ent.gender)) and not (
                gender == "m" and ent.kind in ("government", "agency", "place") and ent.gender == "f"
            ):
                return ent
        return None

    def short_name(self, text: str, pos: tuple[int, int]) -> _Entity | None:
        want = tuple(map(fold, text.split()))
        if not want:
            return None

        def ok(e: _Entity) -> bool:
            return e.kind == "person" and (
                e.tokens[-len(want) :] == want or (len(want) == 1 and want[0] in e.tokens[1:])
            )

        return self._recent(pos, ok)

    def resolve(self, m: Mention | None, verb_gender: str, pos: tuple[int, int]) -> _Entity | None:
        if m is None or m.kind == "pronoun":
            gender = m.gender if m is not None else verb_gender
            if m is not None:
                # An English pronoun points at the last person named, spoken or not.
                if gender == "n":
                    return self._recent(pos, lambda e: e.kind != "person")
                found = self._recent(pos, lambda e: e.kind == "person" and _compatible(gender, e.gender))
                return found
            return self.last_speaker(gender)
        if m.kind == "defref":
            if m.head == "*doc":
                for ref in reversed(self.spoken):
                    if self.entities[ref].kind in ("organization", "government", "agency"):
                        return self.entities[ref]
                return None
            if m.head == "*unnamed":
                # «المصدر ذاته» points back; «الخبراء» with nothing before is generic.
                back = self._recent(pos, lambda e: e.kind == "unnamed_group")
                return back or self.add(m.name, "unnamed_group", None, "p", pos)
            head = m.head
            # «رئاسة المجلس» is itself registered by the prescan: skip it, the council is meant.
            own = _slug(m.name)
            found = self._recent(pos, lambda e: e.kind != "person" and e.ref != own and head in e.heads)
            if found is None:
                found = self._recent(
                    pos, lambda e: e.kind != "person" and e.ref != own and (head in e.tokens or head in e.alias_words)
                )
            if found is None and m.kind_hint:
                # «وأضافت الوكالة» after «ميريديان برس»: an agency named without
                # the word «وكالة» is still the agency meant.
                found = self._recent(pos, lambda e: e.kind == m.kind_hint)
            if found is not None:
                self.mention(pos, found.ref)
                return found
            return self.add(m.name, "organization", None, m.gender, pos)
        if m.kind == "titleref":
            head = m.head
            extra = {_strip_al(w) for w in fold(m.name).split()[1:]}

            def ok(e: _Entity) -> bool:
                if e.kind != "person" or not e.title:
                    return False
                tt = {_strip_al(w) for w in fold(e.title).split()}
                return head in tt and (not extra or bool(extra & tt))

            found = self._recent(pos, ok)
            if found is None:
                found = self._recent(
                    pos,
                    lambda e: (
                        e.kind == "person"
                        and bool(e.title)
                        and head in {_strip_al(w) for w in fold(e.title or "").split()}
                    ),
                )
            if found is None:
                # "The Selwan coach said" with no title on record: the role
                # continues the person speaking.
                last = self.last_speaker(m.gender)
                found = last if last is not None and last.kind == "person" else None
            if found is not None:
                self.mention(pos, found.ref)
            return found
        if m.kind == "short":
            known = self.lookup_known(m.name)
            if known is not None:
                return self.add(known.name, known.kind, known.title, "?", pos)
            words = m.name.split()
            # «وقال فرج لميريديان برس»: the longest leading run naming an earlier person.
            for n in range(len(words), 0, -1):
                found = self.short_name(" ".join(words[:n]), pos)
                if found is not None:
                    self.mention(pos, found.ref)
                    return found
            head = fold(words[0])
            if head.startswith("ال"):
                # «وأضافت العداءة البالغة 27 عاماً»: a role word from an earlier title.
                role = _strip_al(head)
                found = self._recent(
                    pos, lambda e: e.kind == "person" and role in {_strip_al(w) for w in fold(e.title or "").split()}
                )
                if found is not None:
                    self.mention(pos, found.ref)
                    return found
            return self.add(m.name, "person", None, verb_gender if verb_gender in "mf" else "?", pos)
        if m.kind == "person":
            if m.head == "*guess" and self.lookup_known(m.name) is not None:
                # A guessed name that the catalogue knows as a place or body
                # («رئيس بلدية عين السحاب»): the role speaks, unnamed.
                return self.add(f"{m.title} {m.name}", "unnamed_group", None, "p", pos)
            full = self.short_name(m.name, pos) if len(m.name.split()) == 1 else None
            if full is not None:
                return self.add(full.name, "person", m.title, m.gender, pos)
        known = self.lookup_body(m.name) if m.kind in _BODY_KINDS else self.lookup_known(m.name)
        if known is not None:
            return self.add(known.name, known.kind, known.title, "?", pos, known, looked_up=True)
        gender = m.gender
        if m.kind == "person" and gender == "?" and verb_gender in ("m", "f"):
            gender = verb_gender
        if m.kind in _BODY_KINDS:
            return self.add(m.name, m.kind, m.title, gender, pos)  # lookup_known may still match exactly
        return self.add(m.name, m.kind, m.title, gender, pos, None, looked_up=True)

    def spoke(self, ent: _Entity) -> None:
        self.spoken.pop(ent.ref, None)
        self.spoken[ent.ref] = None

    def speak(self, m: Mention | None, verb_gender: str, pos: tuple[int, int]) -> Speaker | None:
        """Resolve the mention and record that its entity spoke; the speaker, if any."""
        ent = self.resolve(m, verb_gender, pos)
        if ent is None:
            return None
        self.spoken.pop(ent.ref, None)  # spoke(), inlined: this runs for every quote
        self.spoken[ent.ref] = None
        return ent.speaker()
