"""index_terms: the normalisation shared by the index and the queries.

All names, places and events are invented.
"""

import os
import re
import sqlite3
from collections.abc import Iterator

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.search.text import MAX_TOKEN_CHARS, index_terms, index_text, prefix_forms, raw_terms, stem_english

# --- variants that must index identically ----------------------------------------

SAME = [
    # hamza on alef, alef wasla and madda fold to bare alef
    ("أحمد", "احمد"),
    ("إعلان", "اعلان"),
    ("آمال", "امال"),
    ("ٱلمدينة", "المدينة"),
    # alef maqsura / ya, ta marbuta / ha
    ("مستشفى", "مستشفي"),
    ("مدينة", "مدينه"),
    # hamza seats: مسؤول / مسئول are the same word in two spelling traditions
    ("مسؤول", "مسئول"),
    ("المسؤولون", "المسئولون"),
    # harakat, shadda, sukun, superscript alef, tatweel
    ("مُحَمَّدٌ", "محمد"),
    ("هٰذا", "هذا"),
    ("الوزيـــر", "الوزير"),
    ("سيُفتتَح", "سيفتتح"),
    # Arabic-Indic and Persian digits
    ("٢٠٢٤", "2024"),
    ("۲۰۲۴", "2024"),
    ("٣٫٥", "3 5"),
    # NFKC: lam-alef ligature, presentation forms, full-width Latin
    ("ﻻ", "لا"),
    ("ﺍﻟﻮﺯﻳﺮ", "الوزير"),
    ("ＡＢＣ", "abc"),
    # invisible characters inside a word never split it
    ("الوز\u200fير", "الوزير"),
    ("می\u200cخواهم", "میخواهم"),
    ("infor\u00admation", "information"),
    # the article and article-bearing prefixes
    ("والوزير", "وزير"),
    ("الوزير", "وزير"),
    ("فالحكومة", "حكومة"),
    ("بالمدينة", "مدينة"),
    ("كالعادة", "عادة"),
    ("للحكومة", "حكومة"),
    ("وبالتالي", "تالي"),
    ("وللمرة", "مرة"),
    ("الأربعاء", "اربعاء"),
    # English: case, plural, possessive, -ed, -ing
    ("MINISTER", "minister"),
    ("Ministers", "minister"),
    ("minister's", "minister"),
    ("minister’s", "minister"),
    ("ministries", "ministry"),
    ("cities", "city"),
    ("classes", "class"),
    ("churches", "church"),
    ("taxes", "tax"),
    ("meetings", "meeting"),
    ("meeting", "meet"),
    ("hoped", "hope"),
    ("hoping", "hope"),
    ("stopped", "stop"),
    ("created", "create"),
    ("studied", "study"),
    ("delayed", "delay"),
    ("İstanbul", "istanbul"),
    # a possessive only counts after a letter
    ("Valmora's port", "valmora port"),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_variants_index_the_same(a: str, b: str) -> None:
    assert index_terms(a) == index_terms(b)
    assert index_terms(a)


# Documented non-matches: each is a deliberate trade-off, not an oversight.
DIFFERENT = [
    # transliteration variants are trigram similarity's job (pg_trgm, in SQL)
    ("بيونج يانج", "بيونغ يانغ"),
    # a bare و/ف is not stripped: وزير/فريق start with those letters
    ("وقال", "قال"),
    ("ووزير", "وزير"),
    # English stemming is conservative
    ("news", "new"),
    ("minister", "ministry"),
    ("agreed", "agree"),
    # Latin accents are not folded
    ("José", "Jose"),
]


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_documented_non_matches(a: str, b: str) -> None:
    assert index_terms(a) != index_terms(b)


EXACT = [
    ("", []),
    ("  ،؛!؟…  ", []),
    ("وقال وزيرُ النقلِ سامر الحدّاد", ["وقال", "وزير", "نقل", "سامر", "حداد"]),
    # ≥ 3 letters must remain after the prefix, so these keep their ال
    ("الله الذي التي والد الخط", ["الله", "الذي", "التي", "والد", "الخط"]),
    ("ألف", ["الف"]),
    # only the longest prefix is tried; «والد» does not fall back to «و»
    ("والده", ["والده"]),
    ("al-Haddad", ["al", "haddad"]),
    ("covid_19", ["covid", "19"]),
    ("كوفيد19 و3", ["كوفيد19", "و3"]),
    # PostgreSQL reads «12e5» as a float and splits off what follows
    ("12e5x 1e5", ["12e5", "x", "1e5"]),
    ("⓱ ½", ["1", "2"]),  # ½ → 1⁄2 by NFKC; circled numbers are separators
    ("x" * (MAX_TOKEN_CHARS + 1) + " kept", ["kept"]),
    ("bus news this series gas", ["bus", "news", "this", "series", "gas"]),
]


@pytest.mark.parametrize(("text", "expected"), EXACT)
def test_exact_terms(text: str, expected: list[str]) -> None:
    assert index_terms(text) == expected
    assert index_text(text) == " ".join(expected)


STEMS = [
    ("cats", "cat"),
    ("dies", "die"),
    ("ties", "tie"),
    ("parties", "party"),
    ("addresses", "address"),
    ("boxes", "box"),
    ("wishes", "wish"),
    ("prizes", "prize"),
    ("houses", "house"),
    ("status", "status"),
    ("crisis", "crisis"),
    ("boss", "boss"),
    ("killed", "kill"),
    ("killing", "kill"),
    ("planned", "plan"),
    ("voted", "vote"),
    ("opened", "open"),
    ("waited", "wait"),
    ("fixed", "fix"),
    ("played", "play"),
    ("bombings", "bomb"),
    ("proceedings", "proceed"),
    ("organized", "organize"),
    ("troubled", "trouble"),
    # left alone: too short, no vowel, or an -eed word
    ("used", "used"),
    ("bed", "bed"),
    ("king", "king"),
    ("thing", "thing"),
    ("string", "string"),
    ("bring", "bring"),
    ("proceed", "proceed"),
    ("speed", "speed"),
    ("is", "is"),
]


@pytest.mark.parametrize(("word", "stem"), STEMS)
def test_stem_english(word: str, stem: str) -> None:
    assert stem_english(word) == stem


def test_script_decides_not_language() -> None:
    mixed = "The minister سامر الحداد spoke"
    assert index_terms(mixed, "en") == index_terms(mixed, "ar") == index_terms(mixed)
    assert index_terms(mixed) == ["the", "minister", "سامر", "حداد", "spoke"]


def test_accented_latin_and_other_scripts_are_not_stemmed() -> None:
    assert index_terms("Décidés") == ["décidés"]
    # precomposed letters keep their accents; leftover combining marks are deleted
    assert index_terms("Ἀθῆναι") == ["ἀθηναι"]
    assert index_terms("q\u0303x") == ["qx"]


PREFIX_FORMS = [
    ("ministries", ["ministry", "ministries"]),
    ("minist", ["minist"]),
    ("والوزير", ["وزير", "والوزير"]),
    # fewer than 3 letters after ال: indexed unstripped, but «الوز*» must still reach «وزير»
    ("الوز", ["الوز", "وز"]),
    ("الو", ["الو"]),
]


@pytest.mark.parametrize(("token", "forms"), PREFIX_FORMS)
def test_prefix_forms(token: str, forms: list[str]) -> None:
    [raw] = raw_terms(token)
    assert prefix_forms(raw) == forms


# --- properties --------------------------------------------------------------------

# Arabic letters (plain and hamza forms), harakat, tatweel, digits of three kinds,
# Latin, punctuation, apostrophes, invisible marks and a few NFKC-changing forms.
ALPHABET = (
    "ابتثجحخدذرزسشصضطظعغفقكلمنهويءأإآىةؤئ"
    "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0670\u0640"
    "0123456789٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹"
    "abcdeiosyzABCDEIS"
    " \n\t.,;:!?-_'’\"«»()،؛؟*"
    "\u200c\u200d\u200f\u00adﻻﺍＡ½²éİ"
)
texts = st.text(alphabet=ALPHABET, max_size=80)


@given(texts)
def test_terms_are_plain_word_tokens(text: str) -> None:
    for term in index_terms(text):
        assert re.fullmatch(r"[^\W_]+", term), term
        assert term == term.lower()
    assert index_text(text).split(" ") == (index_terms(text) or [""])


@pytest.fixture(scope="module")
def fts5_vocab() -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE doc USING fts5(body, tokenize = 'unicode61 remove_diacritics 0')")
    db.execute("CREATE VIRTUAL TABLE vocab USING fts5vocab(doc, instance)")
    yield db
    db.close()


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts)
def test_fts5_sees_exactly_our_tokens(fts5_vocab: sqlite3.Connection, text: str) -> None:
    # If unicode61 re-split or merged anything, phrase positions would drift.
    fts5_vocab.execute("DELETE FROM doc")
    fts5_vocab.execute("INSERT INTO doc(rowid, body) VALUES (1, ?)", (index_text(text),))
    seen = [row[0] for row in fts5_vocab.execute("SELECT term FROM vocab ORDER BY offset")]
    assert seen == index_terms(text)


PG_URL = os.environ.get("TEST_DATABASE_URL")


@pytest.fixture(scope="module")
def pg() -> Iterator[psycopg.Connection]:
    if not PG_URL:
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail("REQUIRE_POSTGRES is set but TEST_DATABASE_URL is not")
        pytest.skip("TEST_DATABASE_URL is not set")
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        yield conn


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts)
def test_postgres_sees_exactly_our_tokens(pg: psycopg.Connection, text: str) -> None:
    rows = pg.execute(
        "SELECT unnest(lexemes) FROM ts_debug('simple', %s) WHERE alias <> 'blank'", (index_text(text),)
    ).fetchall()
    assert [r[0] for r in rows] == index_terms(text)
