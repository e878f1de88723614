"""Full-text search: keeping the indexes in step with the stories, and asking them.

SQLite indexes through FTS5 tables (search_article, search_quote), PostgreSQL
through tsvector tables with GIN indexes; both are fed `index_text`, so the same
words match on both. Entity names are matched by trigram similarity: pg_trgm on
PostgreSQL, an FTS5 trigram table plus the same similarity in Python on SQLite.
"""

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from app.db import DbSession
from app.errors import InvalidParameter
from app.models import article_table, entity_name_table, quote_table
from app.pipeline.analyse import name_key
from app.search.query import All, QueryError, parse, to_fts5, to_tsquery
from app.search.text import index_text

a = article_table
q = quote_table
_CHUNK = 500
# Names at least this similar (pg_trgm's default threshold) count as spelling variants.
SIMILARITY = 0.3


@dataclass(frozen=True)
class Search:
    """A parsed query, rendered for the database it will run on."""

    query: All
    dialect: str

    @property
    def expression(self) -> str:
        return to_tsquery(self.query) if self.dialect == "postgresql" else to_fts5(self.query)


def parse_query(text: str, dialect: str) -> Search:
    """422 naming `q` for a query that cannot be read."""
    try:
        return Search(parse(text), dialect)
    except QueryError as exc:
        raise InvalidParameter("q", exc.message) from exc


def _dialect(session: DbSession) -> str:
    return session.get_bind().dialect.name


# --- keeping the indexes in step ---------------------------------------------------------


@lru_cache(maxsize=1 << 15)
def _word_terms(word: str) -> str:
    return index_text(word)


def indexed(text: str) -> str:
    """`index_text(text)`, computed word by word with each word's terms remembered.

    Nothing in `index_text` looks across whitespace (normalising, the possessive, splitting and
    stemming all stop at it), so a text's terms are its words' terms in order. Wire copy repeats
    its vocabulary, and a quote's words were all just indexed with its story: most words are
    found, not recomputed. tests/test_ingest.py holds the two equal.
    """
    return " ".join(filter(None, map(_word_terms, text.split())))  # a loop in C: a story has ~1,300 words


def terms(headline: str, summary: str | None, paragraphs: Sequence[str]) -> tuple[str, str]:
    """What the index holds of a story: its headline's terms and its body's."""
    return indexed(headline), indexed(" ".join([summary or "", *paragraphs]))


_INDEX_ARTICLES = sa.text(
    "INSERT INTO search_article (article_id, document) "
    "SELECT id, setweight(to_tsvector('simple', headline), 'A') || setweight(to_tsvector('simple', body), 'B') "
    "FROM unnest(CAST(:ids AS integer[]), CAST(:headlines AS text[]), CAST(:bodies AS text[])) "
    "AS article(id, headline, body) ON CONFLICT (article_id) DO UPDATE SET document = EXCLUDED.document"
)
_INDEX_QUOTES = sa.text(
    "INSERT INTO search_quote (quote_id, document) "
    "SELECT id, to_tsvector('simple', text) FROM unnest(CAST(:ids AS integer[]), CAST(:texts AS text[])) "
    "AS quote(id, text) ON CONFLICT (quote_id) DO UPDATE SET document = EXCLUDED.document"
)


async def index_article(
    session: DbSession, article_id: int, headline: str, summary: str | None, paragraphs: Sequence[str]
) -> None:
    indexed_headline, body = terms(headline, summary, paragraphs)
    values = {"id": article_id, "headline": indexed_headline, "body": body}
    if _dialect(session) == "postgresql":
        await session.execute(
            sa.text(
                "INSERT INTO search_article (article_id, document) VALUES (:id, "
                "setweight(to_tsvector('simple', :headline), 'A') || setweight(to_tsvector('simple', :body), 'B')) "
                "ON CONFLICT (article_id) DO UPDATE SET document = EXCLUDED.document"
            ),
            values,
        )
    else:
        # FTS5 honours OR REPLACE on the rowid: one statement whether or not the story was indexed before.
        await session.execute(
            sa.text("INSERT OR REPLACE INTO search_article (rowid, headline, body) VALUES (:id, :headline, :body)"),
            values,
        )


async def unindex_article(session: DbSession, article_id: int, deleted_quotes: Sequence[int]) -> None:
    """A killed story leaves the indexes, its (already deleted) quotes with it."""
    key = "article_id" if _dialect(session) == "postgresql" else "rowid"
    await session.execute(sa.text(f"DELETE FROM search_article WHERE {key} = :id"), {"id": article_id})
    await unindex_quotes(session, deleted_quotes)


async def unindex_quotes(session: DbSession, deleted: Sequence[int]) -> None:
    """Drop the index rows of quotes that were deleted."""
    if _dialect(session) == "postgresql":
        return  # search_quote rows go with their quote (ON DELETE CASCADE)
    for start in range(0, len(deleted), _CHUNK):
        chunk = list(deleted[start : start + _CHUNK])
        await session.execute(
            sa.text("DELETE FROM search_quote WHERE rowid IN :ids").bindparams(sa.bindparam("ids", expanding=True)),
            {"ids": chunk},
        )


async def index_quotes(session: DbSession, quotes: Sequence[tuple[int, str]]) -> None:
    """(Re)index quotes by id, in one statement: an indexed quote has its row replaced."""
    if not quotes:
        return
    if _dialect(session) == "postgresql":
        # Arrays rather than executemany, which asyncpg runs as one INSERT per quote on the server.
        await session.execute(
            _INDEX_QUOTES,
            {"ids": [quote_id for quote_id, _ in quotes], "texts": [indexed(text) for _, text in quotes]},
        )
        return
    rows = [{"id": quote_id, "text": indexed(text)} for quote_id, text in quotes]
    await session.execute(sa.text("INSERT OR REPLACE INTO search_quote (rowid, text) VALUES (:id, :text)"), rows)


@dataclass
class Pending:
    """Index writes held back to be made together by `write_pending`, in the order they were asked for.

    A batch of stories indexes them all right before it commits: one statement per table for the
    batch instead of two or three per story, and on SQLite one FTS5 segment per batch instead of one
    per story (FTS5 writes out what it holds at every savepoint).
    """

    articles: dict[int, tuple[str, str]] = field(default_factory=dict)  # article id → indexed headline, body
    quotes: dict[int, str] = field(default_factory=dict)  # quote id → indexed text
    removed: set[int] = field(default_factory=set)  # quotes deleted since: their index rows go first

    def article(self, article_id: int, story_terms: tuple[str, str]) -> None:
        """A story's `terms`."""
        self.articles[article_id] = story_terms

    def drop_quotes(self, deleted: Iterable[int]) -> None:
        for quote_id in deleted:
            self.quotes.pop(quote_id, None)  # on PostgreSQL its row could no longer refer to the quote
            self.removed.add(quote_id)

    def add_quotes(self, quotes: Iterable[tuple[int, str]]) -> None:
        """Quotes by id and text; a removed id that SQLite hands out again is deleted, then indexed anew."""
        self.quotes.update((quote_id, indexed(text)) for quote_id, text in quotes)

    def merge(self, later: "Pending") -> None:
        """Add the writes of `later`, asked for after these."""
        self.drop_quotes(later.removed)
        self.quotes.update(later.quotes)
        self.articles.update(later.articles)


async def write_pending(session: DbSession, pending: Pending) -> None:
    """Make the pending index writes: at most one statement per table (and per 500 quotes removed on SQLite)."""
    postgres = _dialect(session) == "postgresql"
    if pending.articles:
        if postgres:
            ids = list(pending.articles)
            await session.execute(
                _INDEX_ARTICLES,
                {
                    "ids": ids,
                    "headlines": [pending.articles[i][0] for i in ids],
                    "bodies": [pending.articles[i][1] for i in ids],
                },
            )
        else:
            await session.execute(
                sa.text("INSERT OR REPLACE INTO search_article (rowid, headline, body) VALUES (:id, :headline, :body)"),
                [{"id": i, "headline": h, "body": b} for i, (h, b) in pending.articles.items()],
            )
    await unindex_quotes(session, sorted(pending.removed))
    if pending.quotes:
        if postgres:
            await session.execute(_INDEX_QUOTES, {"ids": list(pending.quotes), "texts": list(pending.quotes.values())})
        else:
            await session.execute(
                sa.text("INSERT OR REPLACE INTO search_quote (rowid, text) VALUES (:id, :text)"),
                [{"id": i, "text": t} for i, t in pending.quotes.items()],
            )


# --- asking them -------------------------------------------------------------------------


def hits(expr: sa.BindParameter[Any], dialect: str, kind: str, *, scored: bool) -> sa.Subquery:
    """The articles or quotes (`kind`) the query matches, as (id, score): one pass over the index.

    `expr` is the parameter that will hold the query's `Search.expression` for `dialect`.
    Lists join it and are driven by it, so that a rare word costs a few rows and a common one
    never a scan of every story with the index probed for each. The score is higher for better
    matches (headline words weigh more than body words) and computed only when asked for.
    """
    table = sa.table(f"search_{kind}")
    if dialect == "postgresql":
        query = sa.func.to_tsquery("simple", expr)
        document: sa.ColumnElement[Any] = sa.literal_column("document")
        ranked: sa.ColumnElement[float] = sa.func.ts_rank(document, query) if scored else sa.literal(0.0)
        return (
            sa.select(sa.literal_column(f"{kind}_id").label("id"), ranked.label("score"))
            .select_from(table)
            .where(document.op("@@")(query))
            .subquery("hits")
        )
    weights = "4.0, 1.0" if kind == "article" else "1.0"
    # bm25() is lower for better matches: negated so that both databases order alike.
    score: sa.ColumnElement[float] = (
        -sa.literal_column(f"bm25(search_{kind}, {weights})") if scored else sa.literal(0.0)
    )
    return (
        sa.select(sa.literal_column("rowid").label("id"), score.label("score"))
        .select_from(table)
        .where(sa.literal_column(f"search_{kind}").op("MATCH")(expr))
        .subquery("hits")
    )


@functools.cache
def _hit_ids(dialect: str, kind: str) -> sa.Select[Any]:
    return sa.select(hits(sa.bindparam("search", type_=sa.String), dialect, kind, scored=False).c.id).limit(
        sa.bindparam("few")
    )


async def few_hits(session: DbSession, search: Search, kind: str, few: int) -> list[int] | None:
    """The ids of the articles or quotes the query matches, if there are at most `few` of them."""
    rows = await session.execute(_hit_ids(search.dialect, kind), {"search": search.expression, "few": few + 1})
    found = list(rows.scalars())
    return found if len(found) <= few else None


_WORD = re.compile(r"\w+")


# Remembered per name: a query scores every catalogue name that shares a trigram with it (thousands,
# in Arabic, where «الم» or «ين» are in most names), and the same names come up query after query.
@functools.lru_cache(maxsize=1 << 16)
def trigrams(text: str) -> frozenset[str]:
    """pg_trgm's trigrams: each word padded with two spaces before and one after."""
    grams: set[str] = set()
    for word in _WORD.findall(text.lower()):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return frozenset(grams)


def similarity(left: str, right: str) -> float:
    """pg_trgm's similarity: shared trigrams over the trigrams of either."""
    a_, b_ = trigrams(left), trigrams(right)
    shared = len(a_ & b_)
    return shared / (len(a_) + len(b_) - shared) if a_ and b_ else 0.0


async def similar_entities(session: DbSession, text: str) -> dict[int, float]:
    """Entities with a name or alias like `text`: containing it, starting with it, or spelt close to it.

    The score is the best similarity of any of the entity's names.
    """
    key = name_key(text)
    if not key:
        raise InvalidParameter("q", "the query has no letters or digits")
    n = entity_name_table
    escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    contains = n.c.norm.like(f"%{escaped}%", escape="\\")
    if _dialect(session) == "postgresql":
        rows = await session.execute(
            sa.select(n.c.entity_id, sa.func.max(sa.func.similarity(n.c.norm, key)).label("score"))
            .where(sa.or_(n.c.norm.op("%")(key), contains))
            .group_by(n.c.entity_id)
        )
        return {int(row.entity_id): float(row.score) for row in rows}
    # SQLite: candidates sharing a trigram with the query, scored as pg_trgm would score them. A name
    # that contains the query has its trigrams: the LIKE, a scan of every name (9 ms at 20,000
    # entities), is needed only for a query too short to have one.
    grams = sorted({g for g in (key[i : i + 3] for i in range(len(key) - 2)) if " " not in g})
    condition: sa.ColumnElement[bool] = contains
    if grams:
        expression = " OR ".join('"' + g.replace('"', '""') + '"' for g in grams)
        matching = sa.text("SELECT rowid FROM search_entity_name WHERE search_entity_name MATCH :expr").bindparams(
            expr=expression
        )
        condition = sa.literal_column("entity_name.rowid").in_(matching)
    scores: dict[int, float] = {}
    for row in await session.execute(sa.select(n.c.entity_id, n.c.norm).where(condition)):
        score = similarity(row.norm, key)
        if score >= SIMILARITY or key in row.norm:
            scores[row.entity_id] = max(scores.get(row.entity_id, 0.0), score)
    return scores
