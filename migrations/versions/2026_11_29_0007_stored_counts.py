"""stored counts of entities and sections

An entity's quote and article counts and a section's article count were
counted per request, over every quote or mention of the entity (each joined to
its story to test its status): the cost grew with the archive (640 ms for a
page of entities at 100,000 stories on SQLite). They are stored now, and every
write that changes what they count adjusts them in its own transaction
(app/services/counters.py). Filled here from the rows, by the definitions the
requests used:

- entity.quote_count: quotes attributed to the entity in usable articles;
- entity.article_count: usable articles that mention it, whatever the role;
- section.article_count: usable articles in the section (not its children's).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# One pass over each table grouped by entity or section, rather than a count per row:
# the whole archive is read once (seconds at 100,000 stories). UPDATE ... FROM needs
# SQLite 3.33; the application already needs 3.35 (RETURNING).
_BACKFILL = [
    """
    UPDATE entity SET quote_count = counted.n
    FROM (
        SELECT quote.speaker_id AS entity_id, count(*) AS n
        FROM quote JOIN article ON article.id = quote.article_id
        WHERE article.status = 'usable' AND quote.speaker_id IS NOT NULL
        GROUP BY quote.speaker_id
    ) AS counted
    WHERE entity.id = counted.entity_id
    """,
    """
    UPDATE entity SET article_count = counted.n
    FROM (
        SELECT mention.entity_id AS entity_id, count(DISTINCT mention.article_id) AS n
        FROM mention JOIN article ON article.id = mention.article_id
        WHERE article.status = 'usable'
        GROUP BY mention.entity_id
    ) AS counted
    WHERE entity.id = counted.entity_id
    """,
    """
    UPDATE section SET article_count = counted.n
    FROM (
        SELECT article.section_id AS section_id, count(*) AS n
        FROM article
        WHERE article.status = 'usable'
        GROUP BY article.section_id
    ) AS counted
    WHERE section.id = counted.section_id
    """,
]


def upgrade() -> None:
    # Adding a column with a constant default is an ALTER TABLE on both databases: no table is rebuilt.
    with op.batch_alter_table("entity", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quote_count", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("article_count", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("section", schema=None) as batch_op:
        batch_op.add_column(sa.Column("article_count", sa.Integer(), nullable=False, server_default="0"))
    for statement in _BACKFILL:
        op.execute(statement)


def downgrade() -> None:
    with op.batch_alter_table("section", schema=None) as batch_op:
        batch_op.drop_column("article_count")
    with op.batch_alter_table("entity", schema=None) as batch_op:
        batch_op.drop_column("article_count")
        batch_op.drop_column("quote_count")
