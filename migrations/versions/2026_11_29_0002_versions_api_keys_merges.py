"""versions api keys merges

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 00:24:02.155104
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "scopes", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_key_prefix")),
    )
    op.create_table(
        "article_version",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "change",
            sa.Enum(
                "created",
                "updated",
                "corrected",
                "killed",
                name="change_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "changed_fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "content", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["article.id"], name=op.f("fk_article_version_article_id_article"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("article_id", "version", name=op.f("pk_article_version")),
    )
    with op.batch_alter_table("article", schema=None) as batch_op:
        # Rows stored before versions existed get an empty hash: their next resend makes version 2.
        batch_op.add_column(sa.Column("content_hash", sa.String(length=64), nullable=False, server_default=""))

    with op.batch_alter_table("entity", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_entity_merged_into_id_entity"), "entity", ["merged_into_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("entity", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_entity_merged_into_id_entity"), type_="foreignkey")
        batch_op.drop_column("merged_into_id")

    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_column("content_hash")

    op.drop_table("article_version")
    op.drop_table("api_key")
