"""Highlighting: offsets into the original display text, and snippets around them.

All sentences, names and places are invented.
"""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.search.highlight import Match, Snippet, find_matches, snippet, word_spans
from app.search.query import parse, terms
from app.search.text import index_terms

AR = "وقالَ وزيرُ النقلِ سامر الحدّاد إنّ الخطّ الجديد سيُفتتح في ٢٠٢٤، والوزيـــر متفائل."
EN = "The Minister's plans for new railway stations were delayed again in Valmora."

# (text, query, the exact original substrings that must be highlighted)
HIGHLIGHTS = [
    (AR, "وزير", ["وزيرُ", "والوزيـــر"]),  # harakat and tatweel stay inside the match
    (AR, "الحداد", ["الحدّاد"]),
    (AR, "2024", ["٢٠٢٤"]),  # Arabic-Indic digits
    (AR, "سيفتتح", ["سيُفتتح"]),
    (AR, '"الخط الجديد"', ["الخطّ", "الجديد"]),
    (AR, "فتت*", []),  # a prefix matches the start of the index term only
    (AR, "سيف*", ["سيُفتتح"]),
    (AR, "rain", []),
    (EN, "minister plans", ["Minister", "plans"]),  # possessive 's is not highlighted
    (EN, "delay*", ["delayed"]),
    (EN, "railways OR valmora", ["railway", "Valmora"]),
    (EN, "station -Valmora", ["stations"]),  # exclusions are not highlighted
    ("أكَّدَ المسؤولُ أن «المستشفى» سيُفتح", "مسئول مستشفي", ["المسؤولُ", "المستشفى"]),
    ("ﻻ تراجع عن القرار", "لا", ["ﻻ"]),  # a ligature that NFKC expands to two letters
    ("الرقم ＡＢＣ١٢٣ مسجل", "abc123", ["ＡＢＣ١٢٣"]),  # full-width Latin next to Arabic digits
    ("\u200fالوزير\u200f قال", "وزير", ["الوزير"]),  # RLM around a word is not part of the match
    ("می\u200cخواهم بروم", "میخواهم", ["می\u200cخواهم"]),  # ZWNJ inside the word is
    ("😀 الوزير 😀 minister", "وزير minister", ["الوزير", "minister"]),  # astral characters before
    ("Samer al-Haddad spoke", "al-Haddad", ["al", "Haddad"]),
]


@pytest.mark.parametrize(("text", "q", "expected"), HIGHLIGHTS)
def test_find_matches_slice_the_original(text: str, q: str, expected: list[str]) -> None:
    matches = find_matches(text, terms(parse(q)))
    assert [text[m.start : m.end] for m in matches] == expected


def test_match_offsets_are_logical_string_indices() -> None:
    text = "قال الوزير"
    assert find_matches(text, [("وزير", False)]) == [Match(4, 10)]


def test_nothing_wanted_matches_nothing() -> None:
    assert find_matches(AR, []) == []
    assert snippet(AR, []) is None
    assert snippet(AR, [("غير", False)]) is None


def test_short_text_snippet_is_the_whole_text() -> None:
    sn = snippet(AR, [("وزير", False)], width=500)
    assert sn is not None
    assert (sn.text, sn.offset) == (AR, 0)
    assert [sn.text[m.start : m.end] for m in sn.matches] == ["وزيرُ", "والوزيـــر"]


LONG = (
    "في صباح يوم هادئ بدأت المدينة تستعد لموسم الأمطار الطويل، "
    "وخرج السكان إلى الأسواق لشراء ما يحتاجون إليه قبل أن تشتد العواصف. "
    "وقال وزيرُ النقلِ سامر الحدّاد إنّ الخطّ الجديد سيُفتتح في ٢٠٢٤، وأضاف الوزير أن القطارات ستعمل ليلاً. "
    "ثم تحدث المهندسون طويلاً عن الجسور القديمة والطرق التي تحتاج إلى صيانة عاجلة في الأحياء الشرقية."
)


def test_snippet_centres_on_the_densest_matches() -> None:
    wanted = terms(parse("وزير الخط"))
    sn = snippet(LONG, wanted, width=80)
    assert sn is not None
    assert LONG[sn.offset : sn.offset + len(sn.text)] == sn.text
    assert [sn.text[m.start : m.end] for m in sn.matches] == ["وزيرُ", "الخطّ", "الوزير"]
    assert len(sn.text) <= 80
    # cut at word boundaries: no half word at either edge
    assert sn.offset == 0 or not LONG[sn.offset - 1].isalpha()
    end = sn.offset + len(sn.text)
    assert end == len(LONG) or unicodedata.category(LONG[end])[0] not in "LM"
    assert not sn.text[0].isspace() and not sn.text[-1].isspace()


def test_snippet_never_separates_harakat_from_their_letter() -> None:
    text = "مُحَمَّدٌ " * 30 + "الوزيرُ " + "مُحَمَّدٌ " * 30
    for width in range(5, 60, 3):
        sn = snippet(text, [("وزير", False)], width=width)
        assert sn is not None
        assert unicodedata.category(sn.text[0])[0] != "M"
        end = sn.offset + len(sn.text)
        assert end == len(text) or unicodedata.category(text[end])[0] != "M"
        assert [sn.text[m.start : m.end] for m in sn.matches] == ["الوزيرُ"]


def test_a_match_longer_than_the_width_is_returned_whole() -> None:
    text = "x " * 50 + "Internationalisation " + "y " * 50
    sn = snippet(text, [("internationalisation", False)], width=5)
    assert sn == Snippet("Internationalisation", 100, (Match(0, 20),))


def test_snippet_keeps_surrogate_pairs_together() -> None:
    # A str holding an unjoined UTF-16 pair (e.g. from a careless decoder).
    pair = "\ud83d\ude00"
    text = (pair + " ") * 40 + "minister" + (" " + pair) * 40
    for width in range(10, 40):
        sn = snippet(text, [("minister", False)], width=width)
        assert sn is not None
        assert not ("\udc00" <= sn.text[0] <= "\udfff")
        assert not ("\ud800" <= sn.text[-1] <= "\udbff")


# --- properties -------------------------------------------------------------------

ALPHABET = (
    "ابتثجحخدذرزسشصضطظعغفقكلمنهويءأإآىةؤئ"
    "\u064b\u064e\u064f\u0650\u0651\u0652\u0670\u0640"
    "0123456789٠١٢٣٤٥٦٧٨٩۰۱۲۳"
    "abcdeisyzABS"
    " \n.,;:!?-_'’\"«»()،؛؟"
    "\u200c\u200d\u200f\u00adﻻﺍＡ½²é㎏™⓱\U0001f600"
)
texts = st.text(alphabet=ALPHABET, max_size=120)


@given(texts)
def test_words_cover_every_index_term(text: str) -> None:
    # Word by word on the original gives exactly the index's tokens, so a
    # document that matched in the database always gets its highlight.
    per_word = [t for s, e, _ in word_spans(text) for t in index_terms(text[s:e])]
    assert per_word == index_terms(text)


@given(texts, st.data(), st.integers(min_value=1, max_value=200))
def test_snippet_invariants(text: str, data: st.DataObject, width: int) -> None:
    found = index_terms(text)
    if not found:
        assert snippet(text, [("x", False)], width=width) is None
        return
    term = data.draw(st.sampled_from(found))
    prefix = data.draw(st.booleans())
    wanted = [(term[: max(1, len(term) // 2)] if prefix else term, prefix)]
    matches = find_matches(text, wanted)
    assert matches
    for m in matches:
        assert 0 <= m.start < m.end <= len(text)
    sn = snippet(text, wanted, width=width)
    assert sn is not None
    assert text[sn.offset : sn.offset + len(sn.text)] == sn.text
    assert sn.matches
    for m in sn.matches:
        original = Match(m.start + sn.offset, m.end + sn.offset)
        assert original in matches
        assert sn.text[m.start : m.end] == text[original.start : original.end]
