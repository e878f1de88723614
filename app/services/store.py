"""Writing sections, entities and articles: plain functions that only flush.

The caller's transaction (a request, or a batch such as the demo load)
decides when to commit.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from app.db import DbSession
from app.models import (
    ArticleCreate,
    AttributionMethod,
    EntityKind,
    MentionRole,
    QuoteKind,
    article_agency_table,
    article_table,
    entity_name_table,
    entity_table,
    mention_table,
    public_id_for,
    quote_table,
    section_table,
)
from app.pipeline.normalize import normalize


async def create_section(
    session: DbSession, *, slug: str, name_ar: str, name_en: str, parent_id: int | None = None
) -> int:
    result = await session.execute(
        sa.insert(section_table)
        .values(slug=slug, name_ar=name_ar, name_en=name_en, parent_id=parent_id)
        .returning(section_table.c.id)
    )
    return int(result.scalar_one())


def entity_names(name_ar: str | None, name_en: str | None, aliases: Iterable[str]) -> set[str]:
    """The normalised forms an entity can be found by."""
    return {norm for name in (name_ar, name_en, *aliases) if name and (norm := normalize(name))}


async def create_entity(
    session: DbSession,
    *,
    slug: str,
    kind: EntityKind,
    name_ar: str | None,
    name_en: str | None,
    aliases: Sequence[str] = (),
    title: str | None = None,
    affiliation_id: int | None = None,
    wikidata_qid: str | None = None,
) -> int:
    result = await session.execute(
        sa.insert(entity_table)
        .values(
            slug=slug,
            kind=kind.value,
            name_ar=name_ar,
            name_en=name_en,
            aliases=list(aliases),
            title=title,
            affiliation_id=affiliation_id,
            wikidata_qid=wikidata_qid,
        )
        .returning(entity_table.c.id)
    )
    entity_id = int(result.scalar_one())
    names = entity_names(name_ar, name_en, aliases)
    if names:
        await session.execute(sa.insert(entity_name_table), [{"entity_id": entity_id, "norm": n} for n in names])
    return entity_id


@dataclass(frozen=True)
class QuoteRow:
    """A quote placed in the body: offsets already found, speaker already resolved."""

    text: str
    kind: QuoteKind
    cue: str | None
    speaker_id: int | None
    speaker_mention: str | None
    speaker_title: str | None
    paragraph: int
    start: int
    end: int
    confidence: float
    method: AttributionMethod = AttributionMethod.extracted


async def insert_article(
    session: DbSession,
    data: ArticleCreate,
    *,
    section_id: int,
    agency_ids: Sequence[int],
    quotes: Sequence[QuoteRow],
    mentions: dict[tuple[int, MentionRole], int],
) -> int:
    """Insert a new story with its agencies, quotes and mentions; returns its row id."""
    p = data.provenance
    result = await session.execute(
        sa.insert(article_table)
        .values(
            public_id=public_id_for(data.guid),
            guid=data.guid,
            version=1,
            language=data.language,
            headline=data.headline,
            summary=data.summary,
            body=list(data.paragraphs),
            byline=data.byline,
            desk=data.desk,
            dateline=data.dateline,
            published_at=data.published_at,
            updated_at=data.last_updated,
            status=data.status.value,
            section_id=section_id,
            images=[image.model_dump(mode="json") for image in data.images],
            original_language=p.original_language,
            original_headline=p.original_headline,
            agency_item_id=p.agency_item_id,
            agency_url=str(p.agency_url) if p.agency_url else None,
            translated_by=p.translated_by,
            translation_method=p.translation_method.value if p.translation_method else None,
        )
        .returning(article_table.c.id)
    )
    article_id = int(result.scalar_one())
    if agency_ids:
        await session.execute(
            sa.insert(article_agency_table),
            [{"article_id": article_id, "entity_id": e, "position": i} for i, e in enumerate(agency_ids)],
        )
    if quotes:
        await session.execute(
            sa.insert(quote_table),
            [
                {
                    "article_id": article_id,
                    "position": i,
                    "text": q.text,
                    "kind": q.kind.value,
                    "cue": q.cue,
                    "speaker_id": q.speaker_id,
                    "speaker_mention": q.speaker_mention,
                    "speaker_title": q.speaker_title,
                    "paragraph": q.paragraph,
                    "start_offset": q.start,
                    "end_offset": q.end,
                    "confidence": q.confidence,
                    "method": q.method.value,
                }
                for i, q in enumerate(quotes)
            ],
        )
    if mentions:
        await session.execute(
            sa.insert(mention_table),
            [
                {"article_id": article_id, "entity_id": e, "role": role.value, "count": n}
                for (e, role), n in mentions.items()
            ],
        )
    return article_id
