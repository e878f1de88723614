"""The extractor's fast paths give what the plain versions give.

Tokenising by whitespace words, indexing the catalogue in C-level passes and
reading a paragraph's prepositions off its token roles, and finding names by
the lengths their first words start, are there for speed
only: each is checked here against a straightforward version of the same
thing, on generated input.
"""

from collections import Counter
from collections.abc import Sequence
from itertools import accumulate

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.pipeline import lexicon as lx
from app.pipeline.analyse import _CLITIC, MAX_NAME_WORDS, find_mentions, first_word
from app.pipeline.attribution import _AR_BODY_HEADS, KnownEntity, _known_tables, fold
from app.pipeline.extract import _AR_PREP_FIRST, _CHUNK, _EN_PREP_FIRST, _fold_tok, _prepare, _role_tok, _tokenise

# Words that exercise the tokeniser: Arabic with harakat, hyphens,
# apostrophes, digits, punctuation and quotation marks glued to words.
WORDS = [
    "وقال",
    "الحداد:",
    "«سنفتتح",
    "الخطَّ",
    "العام».",
    '"We',
    "don't",
    "al-Warraqi,",
    "3.5",
    "p.m.",
    "—",
    "؟",
    "(قمرستان)",
    "x'",
    "Smith’s",
]
SPACES = [" ", " ", " ", "  ", "\t", "\u00a0", "\n", " \n "]


def _plain_tokenise(story: str) -> tuple[list[str], list[int], list[str], list[int]]:
    chunks = _CHUNK.findall(story)
    raws = [c.lstrip() for c in chunks]
    cores = [_fold_tok(r) for r in raws]
    return raws, list(accumulate(map(len, chunks))), cores, [_role_tok(r, c) for r, c in zip(raws, cores, strict=True)]


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SPACES)), max_size=12),
    st.sampled_from(["", " ", "\n"]),
)
def test_tokenise_matches_the_regex_scan(words: list[tuple[str, str]], edge: str) -> None:
    # spaces between the words, and sometimes before the first and after the last
    story = edge + "".join(s + w for w, s in words)[1:] + edge
    assert _tokenise(story) == _plain_tokenise(story)


# «بحسب» and "according" open an attribution, also glued («وبحسب») or quoted.
PREP_WORDS = ["بحسب", "وبحسب", "«حسب»", "لسان", "قال", "according", "According", '"according"', "to", "said", "."]


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(WORDS + PREP_WORDS), min_size=1, max_size=8), min_size=1, max_size=4))
def test_paragraph_prepositions_match_the_set_test(paragraphs: list[list[str]]) -> None:
    texts = [" ".join(words) for words in paragraphs]
    for lang, first in (("ar", _AR_PREP_FIRST), ("en", _EN_PREP_FIRST)):
        for p in _prepare(texts, lang):
            assert p.has_prep == (not first.isdisjoint(p.cores))


def test_tokenise_single_spaced_story() -> None:
    story = " ".join(WORDS) + "\n" + " ".join(reversed(WORDS))
    assert _tokenise(story) == _plain_tokenise(story)


def _plain_tables(
    known: Sequence[KnownEntity],
) -> tuple[dict[str, KnownEntity], dict[str, list[tuple[tuple[str, ...], KnownEntity]]], bool]:
    """The catalogue indexes as one loop over the catalogue (the version before the C-level passes)."""
    index: dict[str, KnownEntity] = {}
    starts: dict[str, list[tuple[tuple[str, ...], KnownEntity]]] = {}
    for k in known:
        for alias in (k.name, *k.aliases):
            key = fold(alias)
            for variant in (key, key[4:] if key.startswith("the ") else ""):
                if variant:
                    index.setdefault(variant, k)
            words = tuple(key.split())
            generic = len(words) == 1 and (words[0] in _AR_BODY_HEADS or words[0] in lx.EN_ORG_WORDS)
            if words and k.kind != "place" and not generic:
                for first in (words[0], "ل" + words[0]):
                    starts.setdefault(first, []).append((words, k))
    for entries in starts.values():
        entries.sort(key=lambda e: -len(e[0]))
    return index, starts, any(k.kind != "place" for k in known)


NAME_WORDS = ["the", "The", "وزارة", "الوزارة", "ministry", "Sports", "وكالة", "نوفا", "برس", "bank", "أحمد", "", " "]
NAMES = st.lists(st.sampled_from(NAME_WORDS), max_size=4).map(" ".join)
ENTITIES = st.builds(
    KnownEntity,
    NAMES,
    st.sampled_from(["place", "agency", "government", "organization", "person"]),
    st.lists(NAMES, max_size=2).map(tuple),
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ENTITIES, max_size=8), st.sets(st.sampled_from([fold(w) for w in NAME_WORDS] + ["لوزارة"])))
def test_catalogue_tables_match_the_plain_loop(known: list[KnownEntity], vocabulary: set[str]) -> None:
    index, starts, bodies = _plain_tables(known)
    got_index, got_starts, got_bodies = _known_tables(known, None)
    assert got_index == index
    assert got_starts == starts
    assert got_bodies == bodies
    # With a story's vocabulary, the starts of its words are the same; no others are needed.
    got_index, some_starts, got_bodies = _known_tables(known, vocabulary)
    assert (got_index, got_bodies) == (index, bodies)
    assert {w: e for w, e in some_starts.items() if w in vocabulary} == {
        w: e for w, e in starts.items() if w in vocabulary
    }


# Names and the same glued to a conjunction or preposition; «وليد» is a name that looks glued.
_CLITIC_WORDS = ["كريم", "وكريم", "فكريم", "العساف", "والعساف", "بالعساف", "ال", "وال", "و", "وليد", "ووليد", "x"]

_KEY_WORDS = ["كريم", "العساف", "ال", "وليد", "ليد", "و", "x"]


def _plain_find_mentions(texts: Sequence[Sequence[str]], names: dict[str, int]) -> Counter[int]:
    """Every phrase length at every word whose first word, bare or not, starts some name."""
    firsts = {first_word(key) for key in names}
    longest = min(max((key.count(" ") + 1 for key in names), default=0), MAX_NAME_WORDS)
    found: Counter[int] = Counter()
    for words in texts:
        i = 0
        while i < len(words):
            step = 1
            if words[i] in firsts or _CLITIC.sub("", words[i], count=1) in firsts:
                for n in range(min(longest, len(words) - i), 0, -1):
                    phrase = " ".join(words[i : i + n])
                    hit = names.get(phrase)
                    if hit is None:
                        stripped = _CLITIC.sub("", phrase, count=1)
                        hit = names.get(stripped) if stripped != phrase else None
                    if hit is not None:
                        found[hit] += 1
                        step = n
                        break
            i += step
    return found


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(st.sampled_from(_CLITIC_WORDS), max_size=30), max_size=3),
    st.lists(st.lists(st.sampled_from(_KEY_WORDS), min_size=1, max_size=10), max_size=8),
)
def test_find_mentions_matches_trying_every_length(texts: list[list[str]], keys: list[list[str]]) -> None:
    names = {" ".join(words): n for n, words in enumerate(keys)}
    assert find_mentions(texts, names) == _plain_find_mentions(texts, names)
