"""partner delivery

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 00:42:23.701003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "change",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column(
            "object",
            sa.Enum(
                "article", "quote", "entity", name="change_object", native_enum=False, create_constraint=True, length=20
            ),
            nullable=False,
        ),
        sa.Column("object_id", sa.String(length=32), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "created",
                "updated",
                "corrected",
                "killed",
                "merged",
                name="change_action",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("section_id", sa.Integer(), nullable=True),
        sa.Column(
            "detail", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_change")),
    )
    with op.batch_alter_table("change", schema=None) as batch_op:
        batch_op.create_index("ix_change_object", ["object", "object_id", "seq"], unique=False)

    op.create_table(
        "key_usage",
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_id"], ["api_key.id"], name=op.f("fk_key_usage_key_id_api_key"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("key_id", "day", name=op.f("pk_key_usage")),
    )
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rate_limit", sa.String(length=50), nullable=True))
        batch_op.add_column(
            sa.Column(
                "sections", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
            )
        )

    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.add_column(sa.Column("embargoed_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_article_embargoed_until"), ["embargoed_until"], unique=False)

    # What existed before the change log counts as created now, so that a partner's first read of the
    # feed finds every story and entity.
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "INSERT INTO change (object, object_id, action, version, section_id, detail, at) "
            "SELECT 'entity', CAST(id AS VARCHAR(32)), 'created', NULL, NULL, '{}', CURRENT_TIMESTAMP FROM entity "
            "WHERE merged_into_id IS NULL ORDER BY id"
        )
    )
    bind.execute(
        sa.text(
            "INSERT INTO change (object, object_id, action, version, section_id, detail, at) "
            "SELECT 'article', public_id, CASE WHEN status = 'canceled' THEN 'killed' ELSE 'created' END, version, "
            "section_id, '{}', CURRENT_TIMESTAMP FROM article ORDER BY id"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_embargoed_until"))
        batch_op.drop_column("embargoed_until")

    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_column("sections")
        batch_op.drop_column("rate_limit")

    op.drop_table("key_usage")
    with op.batch_alter_table("change", schema=None) as batch_op:
        batch_op.drop_index("ix_change_object")

    op.drop_table("change")
