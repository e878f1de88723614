"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-29 00:09:05.494177
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "entity",
        sa.Column(
            "kind",
            sa.Enum(
                "person",
                "organization",
                "agency",
                "government",
                "place",
                "unnamed_group",
                name="entity_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("name_ar", sa.String(length=300), nullable=True),
        sa.Column("name_en", sa.String(length=300), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=True),
        sa.Column("wikidata_qid", sa.String(length=20), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=128), nullable=False),
        sa.Column(
            "aliases", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("affiliation_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["affiliation_id"], ["entity.id"], name=op.f("fk_entity_affiliation_id_entity"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entity")),
        sa.UniqueConstraint("slug", name=op.f("uq_entity_slug")),
    )
    op.create_index("ix_entity_kind_id", "entity", ["kind", "id"], unique=False)

    op.create_table(
        "section",
        sa.Column("name_ar", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["parent_id"], ["section.id"], name=op.f("fk_section_parent_id_section")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_section")),
        sa.UniqueConstraint("slug", name=op.f("uq_section_slug")),
    )
    op.create_table(
        "article",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("headline", sa.String(length=1000), nullable=False),
        sa.Column("summary", sa.String(length=5000), nullable=True),
        sa.Column("byline", sa.String(length=500), nullable=True),
        sa.Column("desk", sa.String(length=300), nullable=True),
        sa.Column("dateline", sa.String(length=300), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "usable",
                "withheld",
                "canceled",
                name="article_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("original_language", sa.String(length=35), nullable=True),
        sa.Column("original_headline", sa.String(length=1000), nullable=True),
        sa.Column("agency_item_id", sa.String(length=255), nullable=True),
        sa.Column("agency_url", sa.String(length=2000), nullable=True),
        sa.Column("translated_by", sa.String(length=300), nullable=True),
        sa.Column(
            "translation_method",
            sa.Enum(
                "human", "machine", name="translation_method", native_enum=False, create_constraint=True, length=20
            ),
            nullable=True,
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("guid", sa.String(length=255), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column(
            "body", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "images", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.ForeignKeyConstraint(["section_id"], ["section.id"], name=op.f("fk_article_section_id_section")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article")),
        sa.UniqueConstraint("guid", name=op.f("uq_article_guid")),
        sa.UniqueConstraint("public_id", name=op.f("uq_article_public_id")),
    )
    op.create_index("ix_article_language_published", "article", ["language", "published_at", "id"], unique=False)
    op.create_index("ix_article_section_published", "article", ["section_id", "published_at", "id"], unique=False)
    op.create_index("ix_article_status_published", "article", ["status", "published_at", "id"], unique=False)
    op.create_index("ix_article_status_updated", "article", ["status", "updated_at", "id"], unique=False)

    op.create_table(
        "entity_name",
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("norm", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entity.id"], name=op.f("fk_entity_name_entity_id_entity"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("entity_id", "norm", name=op.f("pk_entity_name")),
    )
    op.create_index(
        "ix_entity_name_norm",
        "entity_name",
        ["norm", "entity_id"],
        unique=False,
        postgresql_ops={"norm": "varchar_pattern_ops"},
    )

    op.create_table(
        "article_agency",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["article.id"], name=op.f("fk_article_agency_article_id_article"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["entity_id"], ["entity.id"], name=op.f("fk_article_agency_entity_id_entity")),
        sa.PrimaryKeyConstraint("article_id", "entity_id", name=op.f("pk_article_agency")),
    )
    op.create_index("ix_article_agency_entity", "article_agency", ["entity_id", "article_id"], unique=False)

    op.create_table(
        "mention",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "speaker", "subject", "place", name="mention_role", native_enum=False, create_constraint=True, length=20
            ),
            nullable=False,
        ),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["article.id"], name=op.f("fk_mention_article_id_article"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["entity_id"], ["entity.id"], name=op.f("fk_mention_entity_id_entity")),
        sa.PrimaryKeyConstraint("article_id", "entity_id", "role", name=op.f("pk_mention")),
    )
    op.create_index("ix_mention_entity_article", "mention", ["entity_id", "article_id"], unique=False)

    op.create_table(
        "quote",
        sa.Column("text", sa.String(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "direct", "indirect", "mixed", name="quote_kind", native_enum=False, create_constraint=True, length=20
            ),
            nullable=False,
        ),
        sa.Column("cue", sa.String(length=100), nullable=True),
        sa.Column("speaker_mention", sa.String(length=300), nullable=True),
        sa.Column("speaker_title", sa.String(length=300), nullable=True),
        sa.Column("paragraph", sa.Integer(), nullable=False),
        sa.Column("start_offset", sa.Integer(), nullable=False),
        sa.Column("end_offset", sa.Integer(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column(
            "method",
            sa.Enum(
                "extracted", "editor", name="attribution_method", native_enum=False, create_constraint=True, length=20
            ),
            nullable=False,
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("speaker_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["article.id"], name=op.f("fk_quote_article_id_article"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["speaker_id"], ["entity.id"], name=op.f("fk_quote_speaker_id_entity"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote")),
    )
    op.create_index("ix_quote_article_position", "quote", ["article_id", "position"], unique=False)
    op.create_index("ix_quote_kind_article", "quote", ["kind", "article_id"], unique=False)
    op.create_index("ix_quote_speaker_article", "quote", ["speaker_id", "article_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_quote_speaker_article", table_name="quote")
    op.drop_index("ix_quote_kind_article", table_name="quote")
    op.drop_index("ix_quote_article_position", table_name="quote")

    op.drop_table("quote")
    op.drop_index("ix_mention_entity_article", table_name="mention")

    op.drop_table("mention")
    op.drop_index("ix_article_agency_entity", table_name="article_agency")

    op.drop_table("article_agency")
    op.drop_index("ix_entity_name_norm", table_name="entity_name", postgresql_ops={"norm": "varchar_pattern_ops"})

    op.drop_table("entity_name")
    op.drop_index("ix_article_status_updated", table_name="article")
    op.drop_index("ix_article_status_published", table_name="article")
    op.drop_index("ix_article_section_published", table_name="article")
    op.drop_index("ix_article_language_published", table_name="article")

    op.drop_table("article")
    op.drop_table("section")
    op.drop_index("ix_entity_kind_id", table_name="entity")

    op.drop_table("entity")
