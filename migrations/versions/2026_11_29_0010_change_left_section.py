"""change.left_section_id: the section a story moved out of

A key licensed for some sections read only the changes logged in them, and a
story's change is logged in the section it is in after the change: when a story
moved out of a licensed section, that key never saw the move, and its mirror kept
the story for good although the story answered 404. The change log now keeps the
section a story left, and such keys read those changes too.

Existing rows are filled from the change log itself: every change of an article
names the section it was in then, so a story moved wherever its section differs
from its previous change's.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("change", schema=None) as batch_op:
        batch_op.add_column(sa.Column("left_section_id", sa.Integer(), nullable=True))
    # One pass in seq order (UPDATE ... FROM: PostgreSQL, and SQLite since 3.33); only moves are written.
    op.execute(
        "UPDATE change SET left_section_id = moved.before_id FROM ("
        "SELECT seq, section_id, LAG(section_id) OVER (PARTITION BY object_id ORDER BY seq) AS before_id "
        "FROM change WHERE object = 'article'"
        ") AS moved WHERE change.seq = moved.seq AND moved.before_id <> moved.section_id"
    )


def downgrade() -> None:
    with op.batch_alter_table("change", schema=None) as batch_op:
        batch_op.drop_column("left_section_id")
