"""entity name first word

Lookup keys become `name_key` forms (normalised words, punctuation dropped) and
gain their first word, by which ingest finds the names a story can contain.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 00:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# The keys must be what the application computes: recomputing them needs its function.
from app.pipeline.analyse import first_word, name_key

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("entity_name", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first", sa.String(length=300), nullable=False, server_default=""))
        batch_op.create_index(batch_op.f("ix_entity_name_first"), ["first"], unique=False)
    with op.batch_alter_table("entity_name", schema=None) as batch_op:
        batch_op.alter_column("first", server_default=None)

    bind = op.get_bind()
    entity = sa.table(
        "entity", sa.column("id"), sa.column("name_ar"), sa.column("name_en"), sa.column("aliases", sa.JSON)
    )
    names = sa.table("entity_name", sa.column("entity_id"), sa.column("norm"), sa.column("first"))
    rows = []
    for row in bind.execute(sa.select(entity.c.id, entity.c.name_ar, entity.c.name_en, entity.c.aliases)):
        keys = {key for name in (row.name_ar, row.name_en, *(row.aliases or [])) if name and (key := name_key(name))}
        rows.extend({"entity_id": row.id, "norm": key, "first": first_word(key)} for key in keys)
    bind.execute(sa.delete(names))
    if rows:
        bind.execute(sa.insert(names), rows)


def downgrade() -> None:
    with op.batch_alter_table("entity_name", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entity_name_first"))
        batch_op.drop_column("first")
