"""quote published_at, section counts

Quote lists are ordered by their article's publication time. Copied onto the
quote with an index on (speaker_id, published_at, id), a speaker's newest
quotes are read in index order instead of sorting every quote of the speaker.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("quote", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE quote SET published_at = (SELECT article.published_at FROM article WHERE article.id = quote.article_id)"
    )
    with op.batch_alter_table("quote", schema=None) as batch_op:
        batch_op.alter_column("published_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_index("ix_quote_published", ["published_at", "id"], unique=False)
        batch_op.create_index("ix_quote_speaker_published", ["speaker_id", "published_at", "id"], unique=False)
        batch_op.drop_index("ix_quote_kind_article")
        batch_op.create_index("ix_quote_kind_published", ["kind", "published_at", "id"], unique=False)
    # Section counts (GET /v1/sections) read this index alone instead of every story.
    op.create_index("ix_article_section_status", "article", ["section_id", "status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_article_section_status", table_name="article")
    with op.batch_alter_table("quote", schema=None) as batch_op:
        batch_op.drop_index("ix_quote_kind_published")
        batch_op.create_index("ix_quote_kind_article", ["kind", "article_id"], unique=False)
        batch_op.drop_index("ix_quote_speaker_published")
        batch_op.drop_index("ix_quote_published")
        batch_op.drop_column("published_at")
