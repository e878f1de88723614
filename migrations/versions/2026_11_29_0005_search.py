"""search

Full-text indexes kept beside the tables they index, fed with normalised text
(`app.search.text.index_text`), so that SQLite and PostgreSQL find the same things:
FTS5 tables on SQLite, tsvector columns with GIN indexes on PostgreSQL. Entity
names get trigram indexes for spelling variants (pg_trgm; an FTS5 trigram table
kept in sync by triggers on SQLite). These objects are not part of the SQLModel
metadata: their names start with `search_`.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 01:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# The index holds what the application's normaliser makes of the text: it must be the same function.
from app.search.text import index_text

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FTS = "tokenize='unicode61 remove_diacritics 0'"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(f"CREATE VIRTUAL TABLE search_article USING fts5(headline, body, {_FTS})")
        op.execute(f"CREATE VIRTUAL TABLE search_quote USING fts5(text, {_FTS})")
        op.execute(
            "CREATE VIRTUAL TABLE search_entity_name USING fts5("
            "norm, content='entity_name', content_rowid='rowid', tokenize='trigram')"
        )
        op.execute(
            "CREATE TRIGGER search_entity_name_insert AFTER INSERT ON entity_name BEGIN "
            "INSERT INTO search_entity_name(rowid, norm) VALUES (new.rowid, new.norm); END"
        )
        op.execute(
            "CREATE TRIGGER search_entity_name_delete AFTER DELETE ON entity_name BEGIN "
            "INSERT INTO search_entity_name(search_entity_name, rowid, norm) VALUES ('delete', old.rowid, old.norm); "
            "END"
        )
        op.execute("INSERT INTO search_entity_name(search_entity_name) VALUES ('rebuild')")
    else:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE TABLE search_article (article_id integer PRIMARY KEY REFERENCES article(id) ON DELETE CASCADE, "
            "document tsvector NOT NULL)"
        )
        op.execute("CREATE INDEX search_article_document ON search_article USING gin (document)")
        op.execute(
            "CREATE TABLE search_quote (quote_id integer PRIMARY KEY REFERENCES quote(id) ON DELETE CASCADE, "
            "document tsvector NOT NULL)"
        )
        op.execute("CREATE INDEX search_quote_document ON search_quote USING gin (document)")
        # On the text the operators see: an index on the varchar column itself is never chosen for them.
        op.execute("CREATE INDEX search_entity_name_trgm ON entity_name USING gin ((norm::text) gin_trgm_ops)")

    # Stories and quotes stored before search existed.
    article = sa.table(
        "article",
        sa.column("id"),
        sa.column("headline"),
        sa.column("summary"),
        sa.column("body", sa.JSON),
        sa.column("status"),
    )
    quote = sa.table("quote", sa.column("id"), sa.column("text"))
    articles = [
        {
            "id": row.id,
            "headline": index_text(row.headline),
            "body": index_text(" ".join([row.summary or "", *(row.body or [])])),
        }
        for row in bind.execute(sa.select(article).where(article.c.status != "canceled"))
    ]
    quotes = [{"id": row.id, "text": index_text(row.text)} for row in bind.execute(sa.select(quote))]
    if bind.dialect.name == "sqlite":
        if articles:
            bind.execute(
                sa.text("INSERT INTO search_article(rowid, headline, body) VALUES (:id, :headline, :body)"), articles
            )
        if quotes:
            bind.execute(sa.text("INSERT INTO search_quote(rowid, text) VALUES (:id, :text)"), quotes)
    else:
        if articles:
            bind.execute(
                sa.text(
                    "INSERT INTO search_article (article_id, document) VALUES (:id, "
                    "setweight(to_tsvector('simple', :headline), 'A') || setweight(to_tsvector('simple', :body), 'B'))"
                ),
                articles,
            )
        if quotes:
            bind.execute(
                sa.text("INSERT INTO search_quote (quote_id, document) VALUES (:id, to_tsvector('simple', :text))"),
                quotes,
            )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TRIGGER search_entity_name_insert")
        op.execute("DROP TRIGGER search_entity_name_delete")
        op.execute("DROP TABLE search_entity_name")
        op.execute("DROP TABLE search_quote")
        op.execute("DROP TABLE search_article")
    else:
        op.execute("DROP INDEX search_entity_name_trgm")
        op.execute("DROP TABLE search_quote")
        op.execute("DROP TABLE search_article")
