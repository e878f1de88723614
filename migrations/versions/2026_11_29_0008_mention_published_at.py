"""mention and article_agency published_at

A list filtered by one entity walked every usable story newest first, testing
each for a mention: a rarely mentioned entity cost a scan of the archive (280 ms
at 100k stories). With the article's publication time copied onto its mentions
and an index on (entity_id, published_at, article_id), the entity's stories are
read newest first from the index and the walk stops after a page.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE mention SET published_at = "
        "(SELECT article.published_at FROM article WHERE article.id = mention.article_id)"
    )
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.alter_column("published_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_index("ix_mention_entity_published", ["entity_id", "published_at", "article_id"], unique=False)

    # Likewise for a list filtered by one agency.
    with op.batch_alter_table("article_agency", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE article_agency SET published_at = "
        "(SELECT article.published_at FROM article WHERE article.id = article_agency.article_id)"
    )
    with op.batch_alter_table("article_agency", schema=None) as batch_op:
        batch_op.alter_column("published_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_index(
            "ix_article_agency_entity_published", ["entity_id", "published_at", "article_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("article_agency", schema=None) as batch_op:
        batch_op.drop_index("ix_article_agency_entity_published")
        batch_op.drop_column("published_at")
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.drop_index("ix_mention_entity_published")
        batch_op.drop_column("published_at")
