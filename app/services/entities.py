"""Reading the entity catalogue: sources and everything stories mention."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.db import DbSession
from app.errors import InvalidBody, MovedPermanently, NotFound
from app.models import (
    ChangeAction,
    ChangeObject,
    EntityKind,
    EntityPatch,
    EntityPublic,
    EntityRef,
    article_agency_table,
    entity_name_table,
    entity_table,
    mention_table,
    quote_table,
)
from app.pagination import cursor_id, decode_cursor, encode_cursor
from app.pipeline.analyse import name_key
from app.pipeline.normalize import normalize
from app.services import counters
from app.services.changes import Event, record
from app.services.common import ENTITY_REF_COLUMNS, a, entity_ref
from app.services.search import similar_entities
from app.services.store import write_entity_names

e = entity_table
affiliation = entity_table.alias("affiliation")

_ORDER = "id"


@dataclass(frozen=True)
class EntityFilters:
    kinds: Sequence[EntityKind] = ()
    quoted: bool | None = None
    name_prefix: str | None = None
    similar_to: str | None = None


def _select() -> sa.Select[Any]:
    # The counts are stored on the entity (app/services/counters.py): reading them costs nothing more.
    return sa.select(
        e,
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
    stmt = _select().where(e.c.merged_into_id.is_(None))
    if filters.kinds:
        stmt = stmt.where(e.c.kind.in_([kind.value for kind in filters.kinds]))
    if filters.quoted is not None:
        stmt = stmt.where(e.c.quote_count > 0 if filters.quoted else e.c.quote_count == 0)
    if filters.name_prefix:
        prefix = _escape_like(name_key(filters.name_prefix)) + "%"
        stmt = stmt.where(
            sa.exists().where(
                entity_name_table.c.entity_id == e.c.id, entity_name_table.c.norm.like(prefix, escape="\\")
            )
        )
    if filters.similar_to is not None:
        stmt = stmt.where(e.c.id.in_(sorted(await similar_entities(session, filters.similar_to))))
    if cursor is not None:
        stmt = stmt.where(e.c.id > cursor_id(decode_cursor(cursor, _ORDER, 1)[0]))
    rows = (await session.execute(stmt.order_by(e.c.id).limit(limit + 1))).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return [_public(row) for row in rows], (encode_cursor(_ORDER, [rows[-1].id]) if more else None)


async def entities_by_id(session: DbSession, ids: Sequence[int]) -> dict[int, EntityPublic]:
    """Live (not merged) entities by id, in one statement."""
    rows = await session.execute(_select().where(e.c.id.in_(list(ids)), e.c.merged_into_id.is_(None)))
    return {row.id: _public(row) for row in rows}


def _moved(entity_id: int, survivor: int) -> MovedPermanently:
    return MovedPermanently(f"Entity {entity_id} was merged into {survivor}.", f"/v1/entities/{survivor}")


async def get_entity(session: DbSession, entity_id: int) -> EntityPublic:
    row = (await session.execute(_select().where(e.c.id == entity_id))).one_or_none()
    if row is None:
        raise NotFound(f"No entity with id {entity_id}.")
    if row.merged_into_id is not None:
        raise _moved(entity_id, row.merged_into_id)
    return _public(row)


async def ensure_entity(session: DbSession, entity_id: int) -> EntityRef:
    """404 unless the entity exists (308 to the survivor if it was merged), for the routes under it.

    Only its names: counting its quotes and stories costs as much as it has of them.
    """
    row = (
        await session.execute(sa.select(e.c.merged_into_id, *ENTITY_REF_COLUMNS).where(e.c.id == entity_id))
    ).one_or_none()
    if row is None:
        raise NotFound(f"No entity with id {entity_id}.")
    if row.merged_into_id is not None:
        raise _moved(entity_id, row.merged_into_id)
    return entity_ref(row)


async def _write_names(session: DbSession, entity_id: int) -> None:
    """Rebuild the lookup names of an entity from its canonical names and aliases."""
    row = (await session.execute(sa.select(e.c.name_ar, e.c.name_en, e.c.aliases).where(e.c.id == entity_id))).one()
    await write_entity_names(session, entity_id, row.name_ar, row.name_en, row.aliases)


async def update_entity(session: DbSession, entity_id: int, patch: EntityPatch, *, now: datetime) -> EntityPublic:
    await ensure_entity(session, entity_id)
    current = (await session.execute(sa.select(e.c.aliases).where(e.c.id == entity_id).with_for_update())).one()
    values: dict[str, Any] = patch.model_dump(exclude_unset=True, exclude={"add_aliases", "remove_aliases"})
    if "kind" in values and values["kind"] is None:
        raise InvalidBody("kind", "an entity must have a kind")
    if values.get("kind") is not None:
        values["kind"] = EntityKind(values["kind"]).value
    if patch.affiliation_id is not None:
        if patch.affiliation_id == entity_id:
            raise InvalidBody("affiliation_id", "an entity cannot belong to itself")
        await _require(session, patch.affiliation_id, "affiliation_id")
    if patch.add_aliases or patch.remove_aliases:
        drop = {normalize(name) for name in patch.remove_aliases}
        kept = [name for name in current.aliases if normalize(name) not in drop]
        values["aliases"] = list(dict.fromkeys([*kept, *patch.add_aliases]))
    if values:
        await session.execute(sa.update(e).where(e.c.id == entity_id).values(**values))
    after = (await session.execute(sa.select(e.c.name_ar, e.c.name_en).where(e.c.id == entity_id))).one()
    if not (after.name_ar or after.name_en):
        raise InvalidBody("name_ar", "an entity needs an Arabic or an English name")
    await _write_names(session, entity_id)
    events = [Event(ChangeObject.entity, str(entity_id), ChangeAction.updated)]
    if values.keys() & {"name_ar", "name_en", "kind"}:
        events += await _articles_showing(session, entity_id)
    await record(session, events, now=now)
    return await get_entity(session, entity_id)


async def _articles_showing(session: DbSession, entity_id: int, *, lock: bool = False) -> list[Event]:
    """Articles whose representation embeds the entity: a mirror must fetch them again.

    `lock` takes their row locks (in id order), for a write that changes their quotes or mentions.
    """
    shown = sa.union(
        sa.select(mention_table.c.article_id).where(mention_table.c.entity_id == entity_id),
        sa.select(quote_table.c.article_id).where(quote_table.c.speaker_id == entity_id),
        sa.select(article_agency_table.c.article_id).where(article_agency_table.c.entity_id == entity_id),
    ).subquery()
    stmt = sa.select(a.c.public_id, a.c.version, a.c.section_id).where(a.c.id.in_(sa.select(shown.c.article_id)))
    if lock:
        stmt = stmt.order_by(a.c.id).with_for_update(of=a)
    rows = await session.execute(stmt)
    return [
        Event(
            ChangeObject.article,
            row.public_id,
            ChangeAction.updated,
            row.version,
            row.section_id,
            {"entity": entity_id},
        )
        for row in rows
    ]


async def _require(session: DbSession, entity_id: int, field: str) -> Any:
    row = (
        await session.execute(
            sa.select(e.c.id, e.c.name_ar, e.c.name_en, e.c.aliases, e.c.merged_into_id).where(e.c.id == entity_id)
        )
    ).one_or_none()
    if row is None:
        raise InvalidBody(field, f"no entity with id {entity_id}")
    if row.merged_into_id is not None:
        raise InvalidBody(field, f"entity {entity_id} was merged into {row.merged_into_id}")
    return row


async def merge_entities(session: DbSession, target_id: int, source_id: int, *, now: datetime) -> EntityPublic:
    """Move the source's quotes, mentions, credits and names onto the target; the source then redirects."""
    await ensure_entity(session, target_id)
    if source_id == target_id:
        raise InvalidBody("source_id", "an entity cannot be merged into itself")
    source = await _require(session, source_id, "source_id")
    # Found before the move: afterwards the source shows nowhere. Locked, as every writer of an
    # article's quotes and mentions locks it: a story saved meanwhile would otherwise count out
    # quotes by the speaker it read before they moved.
    touched = await _articles_showing(session, source_id, lock=True)
    await session.execute(
        sa.update(quote_table).where(quote_table.c.speaker_id == source_id).values(speaker_id=target_id)
    )
    # Rows the target already has for the same article absorb the source's: counts add up.
    m = mention_table
    for row in (await session.execute(sa.select(m).where(m.c.entity_id == source_id))).all():
        same = sa.and_(m.c.article_id == row.article_id, m.c.entity_id == target_id, m.c.role == row.role)
        updated = await session.execute(sa.update(m).where(same).values(count=m.c.count + row.count))
        if not updated.rowcount:  # type: ignore[attr-defined]
            await session.execute(
                sa.insert(m).values(
                    article_id=row.article_id,
                    entity_id=target_id,
                    role=row.role,
                    count=row.count,
                    published_at=row.published_at,
                )
            )
    await session.execute(sa.delete(m).where(m.c.entity_id == source_id))
    c = article_agency_table
    taken = sa.select(c.c.article_id).where(c.c.entity_id == target_id)
    await session.execute(sa.delete(c).where(c.c.entity_id == source_id, c.c.article_id.in_(taken)))
    await session.execute(sa.update(c).where(c.c.entity_id == source_id).values(entity_id=target_id))
    # Every entity row the merge changes, locked in id order like the counters of a story, and only
    # now: a story being saved holds its quote rows while it waits for these.
    changed = sa.or_(
        e.c.id.in_([source_id, target_id]), e.c.affiliation_id == source_id, e.c.merged_into_id == source_id
    )
    locked = await session.execute(
        sa.select(e.c.id, e.c.aliases).where(changed).order_by(e.c.id).with_for_update(key_share=True)
    )
    target_aliases = next(row.aliases for row in locked if row.id == target_id)
    await session.execute(sa.update(e).where(e.c.affiliation_id == source_id).values(affiliation_id=target_id))
    await session.execute(sa.update(e).where(e.c.merged_into_id == source_id).values(merged_into_id=target_id))
    # Counted afresh: an article that mentions both entities counts once for the survivor.
    await counters.recount_entities(session, [source_id, target_id])
    aliases = [n for n in (source.name_ar, source.name_en, *source.aliases) if n]
    await session.execute(
        sa.update(e).where(e.c.id == target_id).values(aliases=list(dict.fromkeys([*target_aliases, *aliases])))
    )
    await session.execute(sa.update(e).where(e.c.id == source_id).values(merged_into_id=target_id))
    await session.execute(sa.delete(entity_name_table).where(entity_name_table.c.entity_id == source_id))
    await _write_names(session, target_id)
    await record(
        session,
        [
            Event(ChangeObject.entity, str(source_id), ChangeAction.merged, detail={"into": target_id}),
            Event(ChangeObject.entity, str(target_id), ChangeAction.updated, detail={"merged": source_id}),
            *touched,
        ],
        now=now,
    )
    return await get_entity(session, target_id)
