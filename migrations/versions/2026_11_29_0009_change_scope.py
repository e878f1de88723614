"""change_scope: the newest change per section and per article

Every ETag was made from the newest change anywhere, so under continuous ingest
each new story changed the tag of every answer: 304s and the response cache
almost never applied. Answers confined to one article or to sections are now
validated by the newest change within them, kept in this table by every writer.

Existing rows are filled from the change log: each article's newest change (its
quotes' corrections included) and each section's, its children's included.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "change_scope",
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope"),
    )
    op.create_index("ix_change_scope_seq", "change_scope", ["seq"], unique=False)
    # A quote's change names its article in `detail`.
    quote_article = "detail->>'article'" if op.get_bind().dialect.name == "postgresql" else "detail->>'$.article'"
    op.execute(
        "INSERT INTO change_scope (scope, seq, at) "
        "SELECT 'article:' || article, MAX(seq), MAX(at) FROM ("
        "SELECT object_id AS article, seq, at FROM change WHERE object = 'article' "
        f"UNION ALL SELECT {quote_article}, seq, at FROM change WHERE object = 'quote'"
        ") AS changed WHERE article IS NOT NULL GROUP BY article"
    )
    op.execute(
        "INSERT INTO change_scope (scope, seq, at) "
        "SELECT 'section:' || section.slug, MAX(change.seq), MAX(change.at) "
        "FROM change JOIN section AS own ON own.id = change.section_id "
        "JOIN section ON section.id = own.id OR section.id = own.parent_id "
        "GROUP BY section.slug"
    )


def downgrade() -> None:
    op.drop_index("ix_change_scope_seq", table_name="change_scope")
    op.drop_table("change_scope")
