"""Who said it: reading the attribution words and resolving them within a story.

A story keeps a small registry of the people and bodies it has named, in order,
so that «وقال الحداد», «وأضافت الوزارة», "the coach added" or a bare «وأضاف»
resolve to the entity named earlier rather than to the words as written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from app.pipeline import lexicon as lx
from app.pipeline.normalize import normalize, slugify

KINDS = ("person", "organization", "agency", "government", "place", "unnamed_group")


@dataclass(frozen=True)
class Speaker:
    name: str
    kind: str
    title: str | None
    ref: str


@dataclass(frozen=True)
class KnownEntity:
    name: str
    kind: str
    aliases: tuple[str, ...] = ()
    title: str | None = None


class Tok(NamedTuple):
    """A word, number or punctuation mark of a paragraph, with its folded form.

    A tuple rather than a dataclass: stories have thousands of tokens and
    tuple construction is several times cheaper.
    """

    start: int
    end: int
    raw: str
    core: str  # normalize()d; "" for punctuation
    quoted: bool = False  # inside quotation marks


@lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """normalize(), memoised: news vocabulary repeats heavily."""
    return normalize(text)


@lru_cache(maxsize=1 << 12)
def _slug(name: str) -> str:
    return slugify(name)


@dataclass
class Mention:
    """What the attribution words say, before resolution."""

    kind: str  # person, organization, agency, government, place, unnamed_group,
    #            pronoun, defref (a definite head: «الوزارة», "the agency"),
    #            titleref (a definite role: «المتحدثة»), short (a bare surname)
    name: str = ""
    title: str | None = None
    gender: str = "?"
    head: str = ""  # folded head noun for defref/titleref


@dataclass
class _Entity:
    name: str
    kind: str
    title: str | None
    gender: str
    ref: str
    tokens: tuple[str, ...]

    def speaker(self) -> Speaker:
        return Speaker(self.name, self.kind, self.title, self.ref)


def _strip_al(word: str) -> str:
    if word.startswith("ال") and len(word) > 3:
        return word[2:]
    if word.startswith("لل") and len(word) > 3:
        return word[2:]
    return word


def _fem_word(word: str) -> bool:
    return word.endswith("ه") or word.endswith("ات")


_COMMAS = frozenset({"،", ",", ";", "؛", ":"})
_QUOTE_MARKS = frozenset('"«»“”')
_AR_RELATIVE = lx._fold("الذي التي الذين وهو وهي وهم وهما اللذين")
_AR_CALLED = lx._fold("تدعى يدعى ويدعى وتدعى اسمه اسمها")
_AR_CHAIN_SAYING = lx._fold("قوله قولها قولهم قولهما")
_EN_RELATIVE = frozenset(["who", "which", "whose", "whom", "where"])
_EN_SPOKES = frozenset(["spokesman", "spokeswoman", "spokesperson"])


def _parts(toks: Sequence[Tok]) -> list[list[Tok]]:
    """Split at commas, dropping quotation marks (a name may sit in quotes)."""
    out: list[list[Tok]] = [[]]
    for t in toks:
        if t.raw in _COMMAS:
            out.append([])
        elif t.raw in _QUOTE_MARKS or t.raw in "()-–—":
            continue
        else:
            out[-1].append(t)
    return [p for p in out if p]


def _text(toks: Sequence[Tok], para: str) -> str:
    if not toks:
        return ""
    return para[toks[0].start : toks[-1].end].strip(' ،,:"«»“”')


def _clean_text(toks: Sequence[Tok]) -> str:
    return " ".join(t.raw for t in toks if t.core)


# --- Arabic -------------------------------------------------------------------


def _ar_name_at(words: Sequence[Tok], i: int) -> tuple[int, int, str] | None:
    """A person's name starting at words[i], as (start, end, gender), if any."""
    core = words[i].core
    start = i
    j = i + 1
    if core in lx.AR_KUNYA and j < len(words) and words[j].core in lx.AR_GIVEN:
        # «أبو سليم»: a kunya is a name of its own.
        return i, j + 1, "f" if core == "ام" else "m"
    gender = lx.AR_GIVEN.get(core)
    # Given names that are also function words: «على» folds onto «علي», and
    # «باسم» after a spokesman is "on behalf of".
    if core == "علي" and words[i].raw.endswith("ى"):
        return None
    if core == "باسم" and i > 0 and words[i - 1].core in lx.AR_TITLE_HEADS:
        return None
    if core in lx.AR_GIVEN_FIRST_OF_PAIR and j < len(words):
        pair = core + " " + words[j].core
        if pair in lx.AR_GIVEN:
            gender, j = lx.AR_GIVEN[pair], j + 1
    if gender is None:
        return None
    if i > 0 and words[i - 1].core in lx.AR_KUNYA:
        start = i - 1
        gender = "f" if words[i - 1].core == "ام" else "m"
    # The family name is one word; a bare given name before it is the
    # father's name («محمد علي حسن»).
    for _ in range(2):
        if j >= len(words):
            break
        w = words[j].core
        if not w or w in lx.AR_NP_STOP or w in lx.AR_TITLE_HEADS or w in lx.AR_CUES:
            break
        j += 1
        if w.startswith("ال") or w not in lx.AR_GIVEN:
            break
    return start, j, gender


def _ar_np(words: Sequence[Tok]) -> list[Tok]:
    """The leading noun phrase: stop at prepositions, time words, relatives."""
    out: list[Tok] = []
    for k, t in enumerate(words):
        c = t.core
        if c in lx.AR_NP_STOP and not t.quoted:
            # «المتحدث باسم الوزارة», «مسؤول في الوزارة»: keep a «في»/«ب»
            # that belongs to a role or source noun rather than an adverbial.
            keep_in = (
                c == "في"
                and out
                and (out[0].core in lx.AR_UNNAMED or out[0].core in lx.AR_TITLE_HEADS)
                and k + 1 < len(words)
                and words[k + 1].core not in ("بيان", "تصريح", "مؤتمر", "حديث", "مقابله", "وقت")
            )
            if not keep_in:
                break
        if c == "قد" or c in lx.AR_PARTICIPLES:
            break
        out.append(t)
    return out


def parse_ar(toks: Sequence[Tok], para: str) -> Mention | None:
    words = [t for t in toks if t.core or t.raw in _COMMAS]
    cores = [t.core for t in words]
    # Chained attribution: «نقلت الوكالة عن مسؤول قوله» — the official speaks.
    for k, c in enumerate(cores):
        if c in _AR_CHAIN_SAYING:
            back = [i for i in range(k) if cores[i] == "عن"]
            if back:
                return parse_ar(words[back[-1] + 1 : k], para)
    for k in range(len(cores) - 1):
        if (cores[k], cores[k + 1]) in (("نقلا", "عن"), ("علي", "لسان")):
            return parse_ar(words[k + 2 :], para)
    if cores and cores[0] in ("اما", "واما"):
        words, cores = words[1:], cores[1:]
    parts = _parts(words)
    # Drop relative clauses and «وهو ...» asides, but keep «ويدعى أبو سليم».
    kept: list[list[Tok]] = []
    for p in parts:
        if p[0].core in _AR_CALLED and len(p) > 1:
            called = _ar_name_at(p, 1)
            end = called[1] if called else 2
            role = _text(kept[0], para) if kept else None
            return Mention("person", _clean_text(p[1:end]), role, called[2] if called else "?")
        if p[0].core in _AR_RELATIVE or p[0].core in lx.AR_TIME:
            continue
        kept.append(p)
    for pi, p in enumerate(kept):
        for i, t in enumerate(p):
            if t.quoted:
                continue
            if t.core in _AR_CALLED and i + 1 < len(p):
                found = _ar_name_at(p, i + 1)
                end = found[1] if found else i + 2
                return Mention(
                    "person",
                    _clean_text(p[i + 1 : end]),
                    _clean_text(p[:i]) or None,
                    found[2] if found else "?",
                )
            found = _ar_name_at(p, i)
            if found is None:
                continue
            s, e, gender = found
            before = [w for w in p[:s] if w.core not in lx.AR_TIME]
            title: str | None = _clean_text(before) or None
            if title is None and pi > 0 and any(w.core in lx.AR_TITLE_HEADS for w in kept[pi - 1]):
                title = _clean_text(kept[pi - 1])
            if title is None and pi + 1 < len(kept):
                nxt = kept[pi + 1]
                if nxt[0].core in lx.AR_TITLE_HEADS or nxt[0].core in lx.AR_HONORIFICS:
                    title = _clean_text(nxt)
            if title and _fem_word(fold(title.split()[0])):
                gender = "f" if gender == "?" else gender
            return Mention("person", _clean_text(p[s:e]), title, gender)
    if not kept:
        return None
    np = _ar_np(kept[0])
    while np and (np[0].core in lx.AR_TIME or (np[0].core in lx.AR_HONORIFICS and len(np) > 1)):
        np = np[1:]
    if not np:
        return None
    if (
        len(np) > 1
        and np[0].core in lx.AR_DOCUMENT_NOUNS
        and (
            np[1].core.startswith("ال")
            or np[1].quoted
            or np[1].core in lx.AR_ORG_HEADS
            or np[1].core in lx.AR_GOV_HEADS
            or np[1].core in lx.AR_AGENCY_HEADS
        )
    ):
        np = np[1:]
    head = np[0].core
    name = _clean_text(np)
    if head in lx.AR_AGENCY_HEADS or head in lx.AR_GOV_HEADS or head in lx.AR_ORG_HEADS:
        kind = "agency" if head in lx.AR_AGENCY_HEADS else "government" if head in lx.AR_GOV_HEADS else "organization"
        gender = "f" if _fem_word(head) else "m"
        alone = len(np) == 1 or (len(np) == 2 and np[1].core in ("ذاته", "نفسه", "ذاتها", "نفسها"))
        if alone and head.startswith("ال"):
            return Mention("defref", name, gender=gender, head=_strip_al(head))
        second = np[1] if len(np) > 1 else None
        if (
            second is not None
            and not second.quoted
            and not head.startswith("ال")
            and not second.core.startswith("ال")
            and second.core.endswith(("يه", "ي"))
        ):
            return Mention("unnamed_group", name, gender="p")
        return Mention(kind, name, gender=gender)
    if head in lx.AR_DOCUMENTS and len(np) == 1:
        return Mention("defref", name, head="*doc")
    # An indefinite sound masculine plural («مسافرون عالقون») is a group of people.
    plural = not head.startswith("ال") and head.endswith("ون") and len(head) > 4
    if plural or head in lx.AR_UNNAMED or _strip_al(head) in lx.AR_UNNAMED:
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
    return bool(t.raw[:1].isupper())


def _en_runs(part: Sequence[Tok]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(part):
        if _is_cap(part[i]) and part[i].core:
            j = i + 1
            while j < len(part) and (
                (_is_cap(part[j]) and part[j].core)
                or (part[j].core in ("of", "for", "de", "van", "al") and j + 1 < len(part) and _is_cap(part[j + 1]))
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


def _strip_articles(toks: list[Tok]) -> list[Tok]:
    while toks and toks[0].core in ("the", "its", "his", "her", "their", "also"):
        toks = toks[1:]
    while toks and toks[-1].core in lx.EN_TIME | {"also", "in", "at", "on"}:
        toks = toks[:-1]
    return toks


def parse_en(toks: Sequence[Tok], para: str) -> Mention | None:
    words = [t for t in toks if t.core or t.raw in _COMMAS]
    # drop ", who ... ," asides
    clean: list[Tok] = []
    skipping = False
    for t in words:
        if t.raw in _COMMAS:
            skipping = False
            clean.append(t)
        elif not skipping and t.core in _EN_RELATIVE and clean and clean[-1].raw in _COMMAS:
            skipping = True
        elif not skipping:
            clean.append(t)
    parts = _parts(clean)
    if not parts:
        return None
    first = [t for t in parts[0] if t.core not in lx.EN_TIME]
    if not first:
        return None
    cores = [t.core for t in first]
    if len(first) == 1 and cores[0] in lx.EN_PRONOUNS:
        return Mention("pronoun", cores[0], gender=lx.EN_PRONOUNS[cores[0]])
    # "a spokesman for the finance ministry": the ministry speaks.
    for k, c in enumerate(cores[:-1]):
        if (
            c in _EN_SPOKES
            and cores[k + 1] == "for"
            and not any(_is_cap(t) for t in first[:k] if t.core not in ("a", "an", "the"))
        ):
            rest = parse_en(first[k + 2 :], para)
            if rest is not None:
                return rest
    if cores[0] in lx.EN_DETERMINERS and any(c in lx.EN_UNNAMED for c in cores):
        return Mention("unnamed_group", _clean_text(first), gender="p")
    if (cores[0] in lx.EN_UNNAMED and not _is_cap(first[0])) or (
        cores[0] in lx.EN_UNNAMED and len(first) > 1 and not _is_cap(first[1])
    ):
        return Mention("unnamed_group", _clean_text(first), gender="p")
    # a person: a capitalised run of two or more words after any title words
    for pi, part in enumerate(parts):
        for s, e in _en_runs(part):
            run = part[s:e]
            if run[-1].raw.endswith(("'s", "’s")):
                continue
            low = [t.core for t in run]
            cut = max((k + 1 for k, w in enumerate(low) if w in lx.EN_TITLE_WORDS), default=0)
            if low and low[0] == "the":
                cut = max(cut, 1)
            name = run[cut:]
            stop = next((k for k, t in enumerate(name) if t.core in ("of", "for")), len(name))
            name = name[:stop]
            if len(name) < 2 or _org_kind([t.core for t in name]):
                continue
            before = [t for t in part[:s] if t.core not in lx.EN_TIME] + run[:cut]
            title: str | None = _clean_text(before) or None
            if title is None and pi > 0:
                title = _clean_text(parts[pi - 1]) or None
            if title is None and pi + 1 < len(parts):
                title = _clean_text(parts[pi + 1]) or None
            gender = "f" if title and "woman" in title.lower() else "?"
            return Mention("person", _clean_text(name), title, gender)
    if cores[0] in lx.EN_DETERMINERS and any(c in lx.EN_UNNAMED for c in cores):
        return Mention("unnamed_group", _clean_text(first), gender="p")
    for part in parts:
        for s, e in _en_runs(part):
            run = [t for t in part[s:e] if t.core != "the"]
            kind = _org_kind([t.core for t in run])
            if kind:
                return Mention(kind, _clean_text(run))
    np = _strip_articles(list(first))
    np_cores = [t.core for t in np]
    if not np:
        return None
    if first[0].core == "the" and len(np) == 1:
        head = np_cores[0]
        if head in lx.EN_ORG_WORDS:
            return Mention("defref", head, head=head)
        if head in lx.EN_TITLE_WORDS:
            return Mention("titleref", head, head=head)
    kind = _org_kind(np_cores)
    if np_cores[-1] in lx.EN_UNNAMED or (kind is None and any(c in lx.EN_UNNAMED for c in np_cores)):
        return Mention("unnamed_group", _clean_text(np), gender="p")
    if kind:
        return Mention(kind, _clean_text(np))
    if len(np) == 1 and _is_cap(np[0]):
        return Mention("short", np[0].raw)
    return Mention("unnamed_group", _clean_text(np), gender="p")


# --- resolution -----------------------------------------------------------------


def _compatible(want: str, have: str) -> bool:
    return want in ("?", "n") or have == "?" or want == have or (want == "p" and have == "f")


@dataclass
class Resolver:
    """Per-story memory of named entities and of who spoke last."""

    known: Sequence[KnownEntity] = ()
    entities: dict[str, _Entity] = field(default_factory=dict)
    mentions: list[tuple[tuple[int, int], str]] = field(default_factory=list)
    spoken: list[str] = field(default_factory=list)
    _known_index: dict[str, KnownEntity] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for k in self.known:
            for alias in (k.name, *k.aliases):
                self._known_index.setdefault(normalize(alias), k)

    # registry
    def lookup_known(self, text: str) -> KnownEntity | None:
        return self._known_index.get(fold(text))

    def add(self, name: str, kind: str, title: str | None, gender: str, pos: tuple[int, int]) -> _Entity:
        known = self.lookup_known(name)
        if known is not None:
            name, kind, title = known.name, known.kind, title or known.title
        ref = _slug(name)
        ent = self.entities.get(ref)
        if ent is None:
            tokens = tuple(fold(w) for w in name.split())
            if kind != "person":
                gender = (
                    gender if gender != "?" else ("f" if (tokens and _fem_word(tokens[0])) or kind == "place" else "m")
                )
            ent = _Entity(name, kind, title, gender, ref, tokens)
            self.entities[ref] = ent
        else:
            if title and not ent.title:
                ent.title = title
            if ent.gender == "?" and gender != "?":
                ent.gender = gender
        self.mentions.append((pos, ref))
        return ent

    def _recent(self, pos: tuple[int, int], ok: Callable[[_Entity], bool]) -> _Entity | None:
        for mpos, ref in reversed(self.mentions):
            if mpos <= pos:
                ent = self.entities[ref]
                if ok(ent):
                    return ent
        return None

    def recent_person(self, pos: tuple[int, int], gender: str) -> _Entity | None:
        """The last person named before pos whose gender fits (for «لكنه قال», "she said")."""
        return self._recent(pos, lambda e: e.kind == "person" and _compatible(gender, e.gender))

    def named_since(self, since: tuple[int, int], pos: tuple[int, int], gender: str) -> _Entity | None:
        """The last named entity mentioned between since and pos, if its gender fits."""
        ent = self._recent(pos, lambda e: e.kind != "unnamed_group" and _compatible(gender, e.gender))
        if ent is not None and any(since <= mpos <= pos and ref == ent.ref for mpos, ref in self.mentions):
            return ent
        return None

    def last_speaker(self, gender: str) -> _Entity | None:
        for ref in reversed(self.spoken):
            ent = self.entities[ref]
            if _compatible(gender, ent.gender) and not (
                gender == "m" and ent.kind in ("government", "agency", "place") and ent.gender == "f"
            ):
                return ent
        return None

    def short_name(self, text: str, pos: tuple[int, int]) -> _Entity | None:
        want = tuple(fold(w) for w in text.split())
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
            found = self._recent(pos, lambda e: e.kind != "person" and any(_strip_al(t) == head for t in e.tokens[:2]))
            if found is None:
                found = self._recent(pos, lambda e: e.kind != "person" and head in e.tokens)
            if found is not None:
                self.mentions.append((pos, found.ref))
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
            if found is not None:
                self.mentions.append((pos, found.ref))
            return found
        if m.kind == "short":
            known = self.lookup_known(m.name)
            if known is not None:
                return self.add(known.name, known.kind, known.title, "?", pos)
            found = self.short_name(m.name, pos)
            if found is not None:
                self.mentions.append((pos, found.ref))
                return found
            return self.add(m.name, "person", None, verb_gender if verb_gender in "mf" else "?", pos)
        if m.kind == "person":
            full = self.short_name(m.name, pos) if len(m.name.split()) == 1 else None
            if full is not None:
                return self.add(full.name, "person", m.title, m.gender, pos)
        known = self.lookup_known(m.name)
        if known is not None:
            return self.add(known.name, known.kind, known.title, "?", pos)
        gender = m.gender
        if m.kind == "person" and gender == "?" and verb_gender in ("m", "f"):
            gender = verb_gender
        return self.add(m.name, m.kind, m.title, gender, pos)

    def spoke(self, ent: _Entity) -> None:
        self.spoken.append(ent.ref)
