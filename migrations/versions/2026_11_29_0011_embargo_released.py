"""article.embargo_released, change action `released`: an embargo lifting is logged

A story created under embargo is logged at once; a partner following the change
feed fetches it, gets a 404 and drops it. Nothing was logged when the embargo
lifted, so a mirror never got the story. Readers of the change log now log each
lift as `released`, once; `article.embargo_released` holds the embargo whose lift
the log accounts for, and a partial index holds the stories whose embargo it
does not account for yet.

Existing stories are marked when a change of theirs was logged after their
embargo lifted: partners fetched them visible. The others are left to the first
reader of the log, which logs them as released: they are the stories mirrors
lack (a withheld one is only marked). Stories without an embargo never match.

`change.action` is a VARCHAR with a CHECK constraint on both databases (not a
native enum): the constraint is made again with the new value, which on SQLite
rebuilds the table.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIONS = ("created", "updated", "corrected", "killed", "merged")
_UNRELEASED = "embargoed_until IS NOT NULL AND (embargo_released IS NULL OR embargo_released <> embargoed_until)"


def _action_check(actions: Sequence[str]) -> None:
    with op.batch_alter_table("change", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_change_change_action"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_change_change_action"), "action IN ({})".format(", ".join(f"'{a}'" for a in actions))
        )


def upgrade() -> None:
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.add_column(sa.Column("embargo_released", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_article_embargo_unreleased",
        "article",
        ["embargoed_until"],
        unique=False,
        postgresql_where=sa.text(_UNRELEASED),
        sqlite_where=sa.text(_UNRELEASED),
    )
    op.execute(
        "UPDATE article SET embargo_released = embargoed_until WHERE embargoed_until <= ("
        "SELECT MAX(change.at) FROM change WHERE change.object = 'article' AND change.object_id = article.public_id)"
    )
    _action_check((*_ACTIONS, "released"))


def downgrade() -> None:
    # A release is the nearest to an update: the story is to be fetched again.
    op.execute("UPDATE change SET action = 'updated' WHERE action = 'released'")
    _action_check(_ACTIONS)
    op.drop_index("ix_article_embargo_unreleased", table_name="article")
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_column("embargo_released")
