"""Index terms: the one normalisation shared by indexing and querying.

Every search backend sees only what `index_text` produces: SQLite FTS5
(`unicode61`, `remove_diacritics 0`) and PostgreSQL `to_tsvector('simple', …)`
are fed the same space-separated tokens, so both engines — and the query side,
which runs each query word through `index_terms` too — agree by construction.

Pipeline, per text:

1. `app.pipeline.normalize.normalize()`: NFKC, harakat/tatweel removed,
   أ إ آ ٱ → ا, ى → ي, ة → ه, ؤ/ئ → ء, Arabic-Indic and Persian digits → 0-9,
   casefold.
2. English possessive «'s» / «’s» after a letter is dropped («minister's» →
   «minister»); without this the apostrophe would leave a stray «s» token.
3. Combining marks (Unicode category M*) and format characters (Cf: ZWNJ, ZWJ,
   RLM/LRM, soft hyphen, BOM) are deleted *before* splitting, so they never
   split a word: Persian «می‌خواهم» with ZWNJ, «İ» casefolded to «i» + U+0307,
   a bidi mark pasted inside an Arabic word all stay one token. Other-number
   characters (category No, e.g. «⓱») become spaces, as PostgreSQL treats them.
4. Split into runs of letters and digits (`[^\\W_]+`). Underscore splits too,
   because FTS5's unicode61 and PostgreSQL's parser both treat it as a
   separator; emitting only letters/digits means neither engine re-splits a
   token, so token positions (and thus phrases) agree between the engines.
5. Per token, chosen by the token's own script — not the story's language, since
   English stories quote Arabic names and vice versa:
   - Arabic: strip one article-bearing prefix (see `ARABIC_PREFIXES`).
   - ASCII Latin: a light, conservative English stemmer (`stem_english`).
   - Anything else (digits, accented Latin, other scripts): left as is.
6. «12e5x» is split into «12e5» «x», as PostgreSQL's parser does (it reads a
   float there); FTS5 then sees the same two tokens.
7. Tokens longer than `MAX_TOKEN_CHARS` are dropped: PostgreSQL skips words over
   2047 bytes but FTS5 keeps them, which would shift phrase positions in one
   engine only. Dropping them here keeps the engines identical.

Engine agreement was fuzzed (random BMP/SMP text → FTS5 fts5vocab tokens and
PostgreSQL ts_debug lexemes, both equal to `index_terms`). The residue is in
scripts whose Unicode categories changed after FTS5's built-in tables (e.g.
New Tai Lue vowel signs, some Vedic signs): there FTS5 may split a token that
PostgreSQL keeps. Arabic, Latin and digits are unaffected.

Known, accepted non-matches (handled elsewhere, e.g. pg_trgm for names):
«بيونج يانج» vs «بيونغ يانغ», «José» vs «Jose» (Latin accents are not folded).
"""

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

from app.pipeline.normalize import normalize

__all__ = [
    "ARABIC_PREFIXES",
    "MAX_TOKEN_CHARS",
    "index_terms",
    "index_text",
    "prefix_forms",
    "raw_terms",
    "stem_english",
]

MAX_TOKEN_CHARS = 255

# Prefixes that all end in the definite article ال (or its contracted form in
# لل = لِ + ال), optionally preceded by the conjunction و/ف and/or the
# preposition ب/ك. Exactly one is stripped: «وبالوزير» → «وزير».
#
# Why only article-bearing prefixes: a bare و/ف/ب/ل/ك cannot be told apart from
# a root letter (وزير، فريق، وطن، بلد، كتاب all start with one), and stripping it
# is not even self-consistent: «ووزير» → «وزير» but «وزير» → «زير». An article
# after the conjunction makes the split unambiguous enough. Consequence:
# «وقال» does not match «قال» — accepted.
#
# Why the ≥ 3 letters rule: it keeps short words whose first letters only look
# like the article («الله»، «الذي»، «التي»، «والد»، hamza-folded «ألف» → «الف»).
#
# Accepted trade-offs (there is no name list to consult):
# - Names lose their article too («الحداد» → «حداد»), which is usually wanted:
#   the same family name is written with and without it.
# - Words that begin with أل- are folded to ال- by normalize() first, so
#   «ألمانيا» is indexed as «مانيا». Harmless for recall (both sides agree) but
#   it collides with a genuine «مانيا».
# - «للجنة» (لِ + اللجنة, written with two lams) becomes «جنه» while «اللجنة»
#   becomes «لجنه»: nouns that start with ل lose a letter after لل.
ARABIC_PREFIXES: tuple[str, ...] = (
    "وبال",
    "فبال",
    "وكال",
    "فكال",
    "وال",
    "فال",
    "بال",
    "كال",
    "ولل",
    "فلل",
    "لل",
    "ال",
)
_MIN_ARABIC_STEM = 3

_ARABIC_LETTER = re.compile(r"[\u0621-\u064A\u066E-\u06D3\u06D5\u06EE\u06EF\u06FA-\u06FF]")
_ASCII_WORD = re.compile(r"[a-z]+")
_TOKEN = re.compile(r"[^\W_]+")
# PostgreSQL's parser reads «12e5x» as the float «12e5» then the word «x»,
# where FTS5 sees one token; split it the same way for both engines.
_PG_FLOAT = re.compile(r"[0-9]+e[0-9]+(?![0-9])")
# A possessive: apostrophe + s after a letter, not followed by more word.
_POSSESSIVE = re.compile(r"(?<=[^\W\d_])['’]s(?![^\W_])")


@lru_cache(maxsize=4096)
def _replacement(ch: str) -> str:
    cat = unicodedata.category(ch)
    if cat[0] == "M" or cat == "Cf":
        # Combining marks and invisible format characters: deleted, never a word break.
        return ""
    if cat == "No":
        # Circled numbers, fractions and the like that NFKC leaves alone: Python
        # counts them as word characters but PostgreSQL's parser does not, so
        # they become separators for both engines.
        return " "
    return ch


def _clean(text: str) -> str:
    # lower() after normalize()'s casefold: casefolding maps Cherokee to capitals,
    # PostgreSQL lowercases them; lower-casing our output makes both agree.
    text = _POSSESSIVE.sub("", normalize(text).lower())
    if text.isascii():  # the common English case has nothing to replace
        return text
    return "".join(map(_replacement, text))


def _arabic_letters(token: str) -> int:
    return len(_ARABIC_LETTER.findall(token))


def _strip_arabic_prefix(token: str, min_rest: int = _MIN_ARABIC_STEM) -> str:
    for prefix in ARABIC_PREFIXES:
        if token.startswith(prefix):
            rest = token[len(prefix) :]
            if _arabic_letters(rest) >= min_rest:
                return rest
            # No prefix is the start of another, so at most one can match;
            # if too little would remain («والد»، «الله») the word stays whole.
            return token
    return token


# Words of 4+ letters that look plural (or past/progressive) but are not, and
# whose stripping would collide with another common word («news» → «new»).
# Words of 3 letters or fewer are never stemmed at all.
_KEEP: frozenset[str] = frozenset(
    {
        "news",
        "this",
        "thus",
        "does",
        "goes",
        "series",
        "species",
        "always",
        "perhaps",
        "sometimes",
        "whereas",
        "besides",
        "towards",
        "afterwards",
        "across",
        "physics",
        "politics",
        "economics",
        "lens",
    }
)
_VOWELS = frozenset("aeiou")


def _is_consonant(word: str, i: int) -> bool:
    # Porter's definition: "y" is a consonant at the start or after a vowel.
    ch = word[i]
    if ch in _VOWELS:
        return False
    if ch == "y":
        return i == 0 or not _is_consonant(word, i - 1)
    return True


def _measure(word: str) -> int:
    """Porter's m: the number of vowel→consonant transitions."""
    m, prev_vowel = 0, False
    for i in range(len(word)):
        cons = _is_consonant(word, i)
        if cons and prev_vowel:
            m += 1
        prev_vowel = not cons
    return m


def _has_vowel(word: str) -> bool:
    return any(not _is_consonant(word, i) for i in range(len(word)))


def _ends_cvc(word: str) -> bool:
    """consonant-vowel-consonant, last not w/x/y: «hop» of «hoped» wants an e back."""
    if len(word) < 3:
        return False
    n = len(word)
    return (
        _is_consonant(word, n - 3)
        and not _is_consonant(word, n - 2)
        and _is_consonant(word, n - 1)
        and word[-1] not in "wxy"
    )


def _undo_suffix(base: str) -> str:
    """Porter step 1b clean-up so «created»/«create», «stopped»/«stop», «hoping»/«hope» meet."""
    if base.endswith(("at", "bl", "iz")):
        return base + "e"
    if len(base) >= 2 and base[-1] == base[-2] and base[-1] not in "aeioulsz":
        return base[:-1]
    if _measure(base) == 1 and _ends_cvc(base):
        return base + "e"
    return base


def _strip_plural(word: str) -> str:
    if word.endswith("ies"):
        # «cities» → «city»; a 4-letter «dies/ties/lies» is die+s.
        return word[:-3] + "y" if len(word) > 4 else word[:-1]
    if word.endswith("sses"):
        return word[:-2]
    if word.endswith(("xes", "ches", "shes", "zzes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _strip_verbal(word: str) -> str:
    if word.endswith("ied"):
        return word[:-3] + "y" if len(word) > 4 else word[:-1]
    if word.endswith("eed"):
        # «agreed» (agree+d) vs «proceed», «succeed», «speed»: cannot tell, keep.
        return word
    for suffix in ("ed", "ing"):
        if word.endswith(suffix):
            base = word[: -len(suffix)]
            # ≥ 3 letters and a vowel: leaves «bed», «red», «used», «king»,
            # «thing», «bring», «string» alone.
            if len(base) >= 3 and _has_vowel(base):
                return _undo_suffix(base)
            return word
    return word


@lru_cache(maxsize=65536)
def stem_english(word: str) -> str:
    """A light English stemmer for lowercase ASCII words.

    Plural -s / -es / -ies, past -ed / -ied, progressive -ing, in that order
    («meetings» → «meeting» → «meet»). It is a subset of Porter's steps 1a-1b,
    chosen to conflate inflections without touching derivations («minister»
    and «ministry» stay apart). The possessive 's is removed before
    tokenisation (see `_POSSESSIVE`). Names get stemmed too («Beijing» →
    «beij»); that is harmless because queries are stemmed the same way.
    """
    if len(word) <= 3 or word in _KEEP:
        return word
    return _strip_verbal(_strip_plural(word))


def _index_form(token: str) -> str:
    if _ASCII_WORD.fullmatch(token):
        return stem_english(token)
    if _ARABIC_LETTER.match(token):
        return _strip_arabic_prefix(token)
    return token


def _split_pg_float(tokens: list[str]) -> Iterator[str]:
    for token in tokens:
        m = _PG_FLOAT.match(token)
        if m and m.end() < len(token):
            yield token[: m.end()]
            yield token[m.end() :]
        else:
            yield token


def raw_terms(text: str) -> list[str]:
    """Normalised tokens before prefix stripping and stemming (one per index term)."""
    tokens = _split_pg_float(_TOKEN.findall(_clean(text)))
    return [t for t in tokens if len(_index_form(t)) <= MAX_TOKEN_CHARS]


def index_terms(text: str, language: str | None = None) -> list[str]:
    """The normalised tokens of `text`, in order, for indexing and for querying.

    `language` is accepted for API symmetry but deliberately unused: the rules
    are chosen per token by script, so an Arabic name inside an English story
    is treated exactly as it is in an Arabic one.
    """
    del language
    return [_index_form(token) for token in raw_terms(text)]


def index_text(text: str, language: str | None = None) -> str:
    """What goes into FTS5 / to_tsvector('simple', …): the index terms joined by spaces."""
    return " ".join(index_terms(text, language))


def prefix_forms(token: str) -> list[str]:
    """Index-side strings a query prefix `token*` must be compared with.

    `token` is one element of `raw_terms(query_word)`. The index holds stemmed,
    article-stripped forms, so a prefix is looked up as:
    - its index form («ministries» → «ministry», «والوزير» → «وزير»);
    - its unstemmed/unstripped form («الله» stays «الله» in the index, since
      the rest «له» is too short to strip);
    - the article stripped even when fewer than 3 letters remain, as long as
      2 remain: «الوز*» must find «الوزير», which is indexed as «وزير».
    The first element is the index form; duplicates are removed.
    """
    forms = [_index_form(token), token]
    if _ARABIC_LETTER.match(token):
        loose = _strip_arabic_prefix(token, min_rest=2)
        forms.append(loose)
    return list(dict.fromkeys(f for f in forms if f))
