"""quote (speaker_id, published_at, article_id): a speaker's stories in walking order

The article list of one speaker reads the speaker's quotes newest first, one row
per story, and stops after a page. The index on (speaker_id, published_at, id)
orders them by quote, so the database sorted them again by story. PostgreSQL
reuses a prepared statement's generic plan, made for an average speaker (about
50 quotes), and for the most quoted one (33,000 at 100k stories) that plan
sorted them all: 15 ms became 200 ms from the statement's sixth run on. Read
from this index, the stories come in the order the list wants, and every plan
walks it and stops.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 02:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("quote", schema=None) as batch_op:
        batch_op.create_index(
            "ix_quote_speaker_published_article", ["speaker_id", "published_at", "article_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("quote", schema=None) as batch_op:
        batch_op.drop_index("ix_quote_speaker_published_article")
