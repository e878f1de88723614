"""Reading sections."""

import sqlalchemy as sa

from app.db import DbSession
from app.errors import NotFound
from app.models import SectionPublic
from app.services.common import s

parent = s.alias("parent")


async def list_sections(session: DbSession, slug: str | None = None) -> list[SectionPublic]:
    """Every section (or the one with `slug`) with its number of usable articles."""
    # The count is stored on the section (app/services/counters.py), not counted over its stories.
    rows = await session.execute(
        sa.select(
            s.c.slug,
            s.c.name_ar,
            s.c.name_en,
            parent.c.slug.label("parent"),
            s.c.article_count,
        )
        .outerjoin(parent, parent.c.id == s.c.parent_id)
        .where(s.c.slug == slug if slug is not None else sa.true())
        .order_by(s.c.id)
    )
    return [SectionPublic.model_validate(row, from_attributes=True) for row in rows]


async def get_section(session: DbSession, slug: str) -> SectionPublic:
    found = await list_sections(session, slug)
    if not found:
        raise NotFound(f"No section {slug!r}.")
    return found[0]
