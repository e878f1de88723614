"""Reading the entity catalogue: sources and everything stories mention."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app.db import DbSession
from app.errors import NotFound
from app.models import (
    ArticleStatus,
    EntityKind,
    EntityPublic,
    EntityRef,
    entity_name_table,
    entity_table,
    mention_table,
    quote_table,
)
from app.pagination import cursor_id, decode_cursor, encode_cursor
from app.pipeline.normalize import normalize
from app.services.common import a

e = entity_table
affiliation = entity_table.alias("affiliation")

_ORDER = "id"
_USABLE = a.c.status == ArticleStatus.usable.value

_QUOTE_COUNT = (
    sa.select(sa.func.count())
    .select_from(quote_table.join(a, a.c.id == quote_table.c.article_id))
    .where(quote_table.c.speaker_id == e.c.id, _USABLE)
    .scalar_subquery()
)
_ARTICLE_COUNT = (
    sa.select(sa.func.count(sa.distinct(mention_table.c.article_id)))
    .select_from(mention_table.join(a, a.c.id == mention_table.c.article_id))
    .where(mention_table.c.entity_id == e.c.id, _USABLE)
    .scalar_subquery()
)


@dataclass(frozen=True)
class EntityFilters:
    kinds: Sequence[EntityKind] = ()
    quoted: bool | None = None
    name_prefix: str | None = None


def _select() -> sa.Select[Any]:
    return sa.select(
        e,
        _QUOTE_COUNT.label("quote_count"),
        _ARTICLE_COUNT.label("article_count"),
        affiliation.c.id.label("aff_id"),
        affiliation.c.slug.label("aff_slug"),
        affiliation.c.kind.label("aff_kind"),
        affiliation.c.name_ar.label("aff_name_ar"),
        affiliation.c.name_en.label("aff_name_en"),
    ).outerjoin(affiliation, affiliation.c.id == e.c.affiliation_id)


def _public(row: Any) -> EntityPublic:
    aff = None
    if row.aff_id is not None:
        aff = EntityRef(
            id=row.aff_id, slug=row.aff_slug, kind=row.aff_kind, name_ar=row.aff_name_ar, name_en=row.aff_name_en
        )
    return EntityPublic(
        id=row.id,
        slug=row.slug,
        kind=row.kind,
        name_ar=row.name_ar,
        name_en=row.name_en,
        aliases=row.aliases,
        title=row.title,
        affiliation=aff,
        wikidata_qid=row.wikidata_qid,
        quote_count=row.quote_count,
        article_count=row.article_count,
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def list_entities(
    session: DbSession, *, filters: EntityFilters, cursor: str | None, limit: int
) -> tuple[list[EntityPublic], str | None]:
    """Entities in id order (the order they entered the catalogue)."""
    stmt = _select()
    if filters.kinds:
        stmt = stmt.where(e.c.kind.in_([kind.value for kind in filters.kinds]))
    if filters.quoted is not None:
        quoted = (
            sa.exists()
            .select_from(quote_table.join(a, a.c.id == quote_table.c.article_id))
            .where(quote_table.c.speaker_id == e.c.id, _USABLE)
        )
        stmt = stmt.where(quoted if filters.quoted else ~quoted)
    if filters.name_prefix:
        prefix = _escape_like(normalize(filters.name_prefix)) + "%"
        stmt = stmt.where(
            sa.exists().where(
                entity_name_table.c.entity_id == e.c.id, entity_name_table.c.norm.like(prefix, escape="\\")
            )
        )
    if cursor is not None:
        stmt = stmt.where(e.c.id > cursor_id(decode_cursor(cursor, _ORDER, 1)[0]))
    rows = (await session.execute(stmt.order_by(e.c.id).limit(limit + 1))).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return [_public(row) for row in rows], (encode_cursor(_ORDER, [rows[-1].id]) if more else None)


async def get_entity(session: DbSession, entity_id: int) -> EntityPublic:
    row = (await session.execute(_select().where(e.c.id == entity_id))).one_or_none()
    if row is None:
        raise NotFound(f"No entity with id {entity_id}.")
    return _public(row)


async def ensure_entity(session: DbSession, entity_id: int) -> None:
    """404 unless the entity exists, for the routes nested under it."""
    if (await session.execute(sa.select(e.c.id).where(e.c.id == entity_id))).first() is None:
        raise NotFound(f"No entity with id {entity_id}.")
