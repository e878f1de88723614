"""The query language: parsing, literal readings of malformed input, and both renderings.

FTS5 validity runs on the stdlib sqlite3; PostgreSQL validity runs when
TEST_DATABASE_URL is set and must return the same rows as SQLite.
All sentences, names and places are invented.
"""

import os
import re
import sqlite3
from collections.abc import Iterator

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.search.query import (
    MAX_CHARS,
    MAX_TERMS,
    All,
    Any_,
    Node,
    Phrase,
    QueryError,
    Term,
    parse,
    terms,
    to_fts5,
    to_tsquery,
)
from app.search.text import index_text


def T(text: str, prefix: bool = False) -> Term:
    return Term(text, prefix)


def A(*parts: Node, exclude: tuple[Node, ...] = ()) -> All:
    return All(parts, exclude)


# --- parsing -------------------------------------------------------------------

PARSES: list[tuple[str, All]] = [
    # words: all must match; normalised like the index
    ("rain flood", A(T("rain"), T("flood"))),
    ("Ministers' plans", A(T("minister"), T("plan"))),
    ("والوزير المسئول", A(T("وزير"), T("مسءول"))),
    ("٢٠٢٤", A(T("2024"))),
    # phrases, in straight, curly and guillemet quotes
    ('"rain flood"', A(Phrase(("rain", "flood")))),
    ("“rain flood”", A(Phrase(("rain", "flood")))),
    ("«الخط الجديد»", A(Phrase(("الخط", "جديد")))),
    ('"rain"', A(T("rain"))),  # a one-word phrase is a word
    ('"rain OR -flood"', A(Phrase(("rain", "or", "flood")))),  # operators are text inside quotes
    # OR: uppercase, binary, binds tighter than the implicit AND
    ("rain OR flood", A(Any_((T("rain"), T("flood"))))),
    ("a b OR c d", A(T("a"), Any_((T("b"), T("c"))), T("d"))),
    ("a OR b OR c", A(Any_((T("a"), T("b"), T("c"))))),
    ('a OR "b c"', A(Any_((T("a"), Phrase(("b", "c")))))),
    ("rain or flood", A(T("rain"), T("or"), T("flood"))),
    ("a OR a", A(T("a"))),
    # exclusions
    ("rain -flood", A(T("rain"), exclude=(T("flood"),))),
    ('rain -"flash flood"', A(T("rain"), exclude=(Phrase(("flash", "flood")),))),
    ("rain -(flood OR storm)", A(T("rain"), exclude=(T("flood"), T("storm")))),
    ("rain -(flood storm)", A(T("rain"), exclude=(A(T("flood"), T("storm")),))),
    ("--rain flood", A(T("flood"), exclude=(T("rain"),))),
    ("rain-fed", A(Phrase(("rain", "fed")))),  # a hyphen inside a word is text
    # prefixes
    ("minist*", A(T("minist", True))),
    ("ministries*", A(Any_((T("ministry", True), T("ministries", True))))),
    ("الوز*", A(Any_((T("الوز", True), T("وز", True))))),
    ('"al hadd"*', A(Phrase(("al", "hadd"), prefix=True))),
    ("al-Hadd*", A(Phrase(("al", "hadd"), prefix=True))),
    # parentheses
    ("(rain OR snow) flood", A(Any_((T("rain"), T("snow"))), T("flood"))),
    ("(rain flood) storm", A(T("rain"), T("flood"), T("storm"))),
    ("(a -b) OR c", A(Any_((A(T("a"), exclude=(T("b"),)), T("c"))))),
    ("(-b) a", A(T("a"), exclude=(T("b"),))),
    ("((((a))))", A(T("a"))),
    # several normalised tokens from one word become a phrase
    ("al-Haddad", A(Phrase(("al", "haddad")))),
    ("12e5x", A(Phrase(("12e5", "x")))),
]


@pytest.mark.parametrize(("q", "expected"), PARSES)
def test_parse(q: str, expected: All) -> None:
    assert parse(q) == expected


# Malformed input is read literally, never rejected for its syntax.
LITERAL: list[tuple[str, All]] = [
    ('"rain flood', A(T("rain"), T("flood"))),  # unclosed quote dropped
    ('rain "flood', A(T("rain"), T("flood"))),
    ('"a b" "c', A(Phrase(("a", "b")), T("c"))),
    ("«الخط الجديد", A(T("الخط"), T("جديد"))),
    ("rain -", A(T("rain"))),  # lone minus ignored
    ("rain - flood", A(T("rain"), T("flood"))),
    ("rain *", A(T("rain"))),  # lone star ignored
    ("rain ***", A(T("rain"))),
    ("rain )", A(T("rain"))),  # stray closing parenthesis
    (") rain (", A(T("rain"))),
    ("(rain OR flood", A(Any_((T("rain"), T("flood"))))),  # unclosed group closes at the end
    ("rain ()", A(T("rain"))),
    ("OR", A(T("or"))),  # a dangling OR is the word
    ("rain OR", A(T("rain"), T("or"))),
    ("OR rain", A(T("or"), T("rain"))),
    ("rain OR OR flood", A(T("rain"), Any_((T("or"), T("flood"))))),
    ("rain OR -flood", A(T("rain"), T("or"), exclude=(T("flood"),))),
    ("rain !!! ، ؟", A(T("rain"))),  # punctuation-only words vanish
    ("!!! OR rain", A(T("rain"))),
    ('rain ""', A(T("rain"))),
    ("rain -!!!", A(T("rain"))),
    ("(" * 20 + "rain" + ")" * 20, A(T("rain"))),  # nesting past MAX_DEPTH is plain text
]


@pytest.mark.parametrize(("q", "expected"), LITERAL)
def test_malformed_is_read_literally(q: str, expected: All) -> None:
    assert parse(q) == expected


ERRORS = [
    ("", "empty query"),
    ("   ", "empty query"),
    ("!!! ... ؟", "empty query"),
    ('"" () - *', "empty query"),
    ("-rain", "a query needs at least one term to look for"),
    ('-rain -"flash flood"', "a query needs at least one term to look for"),
    ("(-rain)", "a query needs at least one term to look for"),
    ("rain\x00", "the query contains a NUL character"),
    ("a" * (MAX_CHARS + 1), f"a query can be at most {MAX_CHARS} characters long"),
    (" ".join(["w"] * (MAX_TERMS + 1)), f"a query can have at most {MAX_TERMS} terms"),
    ('"' + " ".join(["w"] * (MAX_TERMS + 1)) + '"', f"a query can have at most {MAX_TERMS} terms"),
    ("rain OR (-flood)", "each OR option needs at least one term to look for"),
    ("rain -(-flood)", "an excluded group needs at least one term"),
]


@pytest.mark.parametrize(("q", "message"), ERRORS)
def test_query_errors(q: str, message: str) -> None:
    with pytest.raises(QueryError) as info:
        parse(q)
    assert info.value.message == message == str(info.value)


def test_limits_are_inclusive() -> None:
    assert parse(" ".join(["w"] * MAX_TERMS))
    assert parse("a" * 250 + " " + "b" * (MAX_CHARS - 251))


def test_non_string_is_a_query_error() -> None:
    with pytest.raises(QueryError):
        parse(None)  # type: ignore[arg-type]


# --- rendering -------------------------------------------------------------------

RENDER = [
    ("rain", '("rain")', "('rain')"),
    ("rain flood", '("rain" AND "flood")', "('rain' & 'flood')"),
    ('"rain flood"', '("rain flood")', "(('rain' <-> 'flood'))"),
    ("rain OR flood", '(("rain" OR "flood"))', "(('rain' | 'flood'))"),
    ("minist*", '("minist" *)', "('minist':*)"),
    ('"al hadd"*', '("al hadd" *)', "(('al' <-> 'hadd':*))"),
    ("rain -flood -storm", '(("rain") NOT ("flood" OR "storm"))', "('rain' & !('flood' | 'storm'))"),
    ("(a -b) OR c", '(((("a") NOT ("b")) OR "c"))', "((('a' & !('b')) | 'c'))"),
]


@pytest.mark.parametrize(("q", "fts5", "tsquery"), RENDER)
def test_render(q: str, fts5: str, tsquery: str) -> None:
    parsed = parse(q)
    assert to_fts5(parsed) == fts5
    assert to_tsquery(parsed) == tsquery


def test_render_escapes_quotes_even_in_hand_built_queries() -> None:
    # parse() never yields quotes inside a term; the renderers escape anyway.
    query = A(T('a"b'), T("o'k\\"), exclude=(Phrase(('"', "'")),))
    assert to_fts5(query) == r'''(("a""b" AND "o'k\") NOT (""" '"))'''
    assert to_tsquery(query) == "('a\"b' & 'o''k\\\\' & !(('\"' <-> '''')))"


def test_renderers_reject_a_query_without_positive_parts() -> None:
    with pytest.raises(QueryError):
        to_fts5(A(exclude=(T("x"),)))
    with pytest.raises(QueryError):
        to_tsquery(A(exclude=(T("x"),)))


TERMS = [
    ("rain flood", [("rain", False), ("flood", False)]),
    ('"al hadd"* -storm', [("al", False), ("hadd", True)]),
    ("(rain OR snow) -(flood x)", [("rain", False), ("snow", False)]),
    ("الوز* rain rain", [("الوز", True), ("وز", True), ("rain", False)]),
]


@pytest.mark.parametrize(("q", "expected"), TERMS)
def test_terms(q: str, expected: list[tuple[str, bool]]) -> None:
    assert terms(parse(q)) == expected


# --- the same corpus through SQLite FTS5 and PostgreSQL ----------------------------

CORPUS = {
    1: "وقال وزير النقل سامر الحداد إن الخط الجديد سيفتتح في ٢٠٢٤.",
    2: "أكَّدَ المسؤولُ في وزارة المياه أنّ السدّ الجديد في مدينة زمردة اكتمل.",
    3: "والوزيـــر نادر سليم قال إن المستشفى سيعيد فتح أبوابه يوم الأربعاء.",
    4: "The Minister's plans for new railway stations were delayed again in Valmora.",
    5: "Officials close to Samer al-Haddad said the railway station in Port Ederin would reopen in 2025.",
    6: "قال مسئول في الشركة إن ٣ قطارات توقفت بسبب الأمطار.",
    7: "Flooding closed three bridges; the news agency Qirafa reported heavy rain.",
    8: "أعلنت وكالة قيرافة للأنباء أن الفيضانات أغلقت ثلاثة جسور في زمردة.",
}

SEARCHES: list[tuple[str, set[int]]] = [
    ("وزير", {1, 3}),  # «والوزيـــر» with tatweel and article
    ("الوزير", {1, 3}),
    ("مسؤول", {2, 6}),  # مسؤول / مسئول
    ("المسئول", {2, 6}),
    ("اكد", {2}),  # «أكَّدَ» with hamza and harakat
    ("٢٠٢٤", {1}),
    ("۲۰۲۴", {1}),
    ("2024", {1}),
    ("٣ قطارات", {6}),
    ("مستشفي", {3}),  # ى / ي
    ("الاربعاء", {3}),
    ('"الخط الجديد"', {1}),
    ('"الجديد الخط"', set()),
    ("قال", {3, 6}),  # «وقال» keeps its bare و: documented trade-off
    ("railways", {4, 5}),
    ('"railway station"', {4, 5}),  # «railway stations» stems to the same phrase
    ("minister plans", {4}),
    ("minister's", {4}),
    ("delay", {4}),
    ("reopening", {5}),
    ("news", {7}),  # «news» is not stemmed to «new»
    ("new", {4}),
    ("railway -Valmora", {5}),
    ('railway -"new railway"', {5}),
    ("وزير OR railway", {1, 3, 4, 5}),
    ("(rain OR flooding) Qirafa", {7}),
    ("(rain OR flooding) -bridges", set()),
    ("flood*", {7}),
    ("زمرد*", {2, 8}),
    ("وزار*", {2}),
    ("الوز*", {1, 2, 3}),
    ("قيرافة", {8}),
    ("Qirafa", {7}),
    ("al-Haddad", {5}),
    ("haddad", {5}),
    ("الحداد", {1}),
    ('"Port Ederin"', {5}),
    ("eder*", {5}),
    ('"samer al"*', {5}),
    ("(زمردة -جسور) OR Valmora", {2, 4}),
    ("وكالة OR agency -rain", {8}),
]


@pytest.fixture(scope="module")
def fts5() -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(":memory:")
    # The setup to_fts5 expects: one indexed column holding index_text(...).
    db.execute("CREATE VIRTUAL TABLE story_fts USING fts5(body, tokenize = 'unicode61 remove_diacritics 0')")
    db.executemany("INSERT INTO story_fts(rowid, body) VALUES (?, ?)", [(k, index_text(v)) for k, v in CORPUS.items()])
    yield db
    db.close()


def fts5_search(db: sqlite3.Connection, q: str) -> set[int]:
    rows = db.execute("SELECT rowid FROM story_fts WHERE story_fts MATCH ?", (to_fts5(parse(q)),))
    return {row[0] for row in rows}


@pytest.mark.parametrize(("q", "expected"), SEARCHES)
def test_fts5_search(fts5: sqlite3.Connection, q: str, expected: set[int]) -> None:
    assert fts5_search(fts5, q) == expected


PG_URL = os.environ.get("TEST_DATABASE_URL")


@pytest.fixture(scope="module")
def pg() -> Iterator[psycopg.Connection]:
    if not PG_URL:
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail("REQUIRE_POSTGRES is set but TEST_DATABASE_URL is not")
        pytest.skip("TEST_DATABASE_URL is not set")
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute("CREATE TEMP TABLE story_search (id int PRIMARY KEY, body text NOT NULL)")
        conn.execute("CREATE INDEX ON story_search USING gin (to_tsvector('simple', body))")
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO story_search (id, body) VALUES (%s, %s)", [(k, index_text(v)) for k, v in CORPUS.items()]
            )
        yield conn


def pg_search(conn: psycopg.Connection, q: str) -> set[int]:
    rows = conn.execute(
        "SELECT id FROM story_search WHERE to_tsvector('simple', body) @@ to_tsquery('simple', %s)",
        (to_tsquery(parse(q)),),
    )
    return {row[0] for row in rows}


@pytest.mark.parametrize(("q", "expected"), SEARCHES)
def test_postgres_search_matches_sqlite(
    pg: psycopg.Connection, fts5: sqlite3.Connection, q: str, expected: set[int]
) -> None:
    assert pg_search(pg, q) == fts5_search(fts5, q) == expected


def test_postgres_accepts_escaped_lexemes(pg: psycopg.Connection) -> None:
    query = A(T("o'k\\"), exclude=(T('a"b'),))
    # No syntax error, and nothing escaped the lexemes: PostgreSQL's own parser
    # then splits the punctuated lexemes into phrases, as it would any text.
    [(text,)] = pg.execute("SELECT to_tsquery('simple', %s)::text", (to_tsquery(query),)).fetchall()
    assert text == "'o' <-> 'k' & !( 'a' <-> 'b' )"


# --- properties -------------------------------------------------------------------

QUERY_CHARS = "abOR rain\"“”«»()-*'\\ _وزيرالأ٢ّ!?.,:^+~\x00"
queries = st.text(alphabet=QUERY_CHARS, max_size=60) | st.text(max_size=60)

# Quoted strings are removed first; what remains may only be operators and syntax.
FTS5_STRING = re.compile(r'"(?:[^"]|"")*"')
FTS5_SYNTAX = re.compile(r"[()* ]|AND|OR|NOT")
TSQUERY_LEXEME = re.compile(r"'(?:[^'\\]|''|\\.)*'")
TSQUERY_SYNTAX = re.compile(r"[()&|! ]|<->|:\*")


@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(queries)
def test_parse_returns_or_raises_query_error_only(fts5: sqlite3.Connection, q: str) -> None:
    try:
        parsed = parse(q)
    except QueryError:
        return
    fts = to_fts5(parsed)
    assert FTS5_SYNTAX.sub("", FTS5_STRING.sub("", fts)) == ""
    tsq = to_tsquery(parsed)
    assert TSQUERY_SYNTAX.sub("", TSQUERY_LEXEME.sub("", tsq)) == ""
    # FTS5 itself must accept the expression (a syntax error would raise here).
    fts5.execute("SELECT rowid FROM story_fts WHERE story_fts MATCH ?", (fts,)).fetchall()
    for term, _prefix in terms(parsed):
        assert term and '"' not in term and "'" not in term


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(queries)
def test_postgres_accepts_every_parsed_query(pg: psycopg.Connection, fts5: sqlite3.Connection, q: str) -> None:
    try:
        parse(q)
    except QueryError:
        return
    assert pg_search(pg, q) == fts5_search(fts5, q)
