"""The demo corpus: fictional stories, annotated by hand with their quotes and sources.

Loading checks the annotations against the text (every quote, cue and
speaker mention must occur where it says), so a broken corpus fails loudly
instead of serving wrong offsets.
"""

import json
from collections import Counter
from importlib import resources
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from app.config import Settings
from app.db import Database, DbSession, transaction
from app.models import (
    ArticleCreate,
    AttributionMethod,
    ChangeAction,
    ChangeObject,
    EntityCreate,
    MentionRole,
    QuoteKind,
    Text,
    public_id_for,
    section_table,
    utcnow,
)
from app.pipeline.analyse import find_mentions, tokens
from app.services.changes import Event, record
from app.services.store import QuoteRow, create_entity, create_section, entity_names, insert_article


class SectionSeed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: str
    name_ar: str
    name_en: str
    parent: str | None = None


# A quote as annotated in the demo corpus: the loader finds its offsets.
class DemoQuote(BaseModel):
    model_config = ConfigDict(extra="forbid")

    speaker: str | None = Field(default=None, description="Key of the speaking entity.")
    text: Text = Field(min_length=1, max_length=20000)
    kind: QuoteKind
    cue: Text | None = Field(default=None, max_length=100)
    mention: Text | None = Field(default=None, max_length=300)
    title: Text | None = Field(default=None, max_length=300)
    paragraph: int = Field(ge=0, le=10000)
    confidence: float = Field(default=1.0, ge=0, le=1)


# An entity the story mentions without quoting it.
class DemoMention(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entity: str
    role: MentionRole


# A demo story: the ingest format plus hand-made annotations.
class DemoArticle(ArticleCreate):
    quotes: list[DemoQuote] = Field(default_factory=list)
    mentions: list[DemoMention] = Field(default_factory=list)


class CorpusFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sections: list[SectionSeed] = Field(default_factory=list)
    entities: list[EntityCreate] = Field(default_factory=list)
    articles: list[DemoArticle] = Field(default_factory=list)


class CorpusError(ValueError):
    pass


def read_corpus() -> CorpusFile:
    """All demo files merged: common.json first (sections, agencies), then the story sets."""
    folder = resources.files("app.demo") / "data"
    merged = CorpusFile()
    for name in sorted(p.name for p in folder.iterdir() if p.name.endswith(".json")):
        part = CorpusFile.model_validate(json.loads((folder / name).read_text(encoding="utf-8")))
        if name == "common.json":
            part.sections += merged.sections
            part.entities += merged.entities
            part.articles += merged.articles
            merged = part
        else:
            merged.sections += part.sections
            merged.entities += part.entities
            merged.articles += part.articles
    return merged


async def load_corpus(session: DbSession, corpus: CorpusFile) -> dict[str, int]:
    """Insert the corpus into an empty database; returns counts of what was loaded."""
    sections: dict[str, int] = {}
    for seed in corpus.sections:
        parent = sections[seed.parent] if seed.parent else None
        sections[seed.slug] = await create_section(
            session, slug=seed.slug, name_ar=seed.name_ar, name_en=seed.name_en, parent_id=parent
        )

    entities: dict[str, int] = {}
    names: dict[str, str] = {}  # name key → entity key, as the ingest path counts mentions
    keys = Counter(e.key for e in corpus.entities)
    if duplicates := [key for key, n in keys.items() if n > 1]:
        raise CorpusError(f"duplicate entity keys: {duplicates}")
    # Affiliations may point forwards: create every entity first, then link.
    for entity_seed in corpus.entities:
        entities[entity_seed.key] = await create_entity(
            session,
            slug=entity_seed.key,
            kind=entity_seed.kind,
            name_ar=entity_seed.name_ar,
            name_en=entity_seed.name_en,
            aliases=entity_seed.aliases,
            title=entity_seed.title,
            wikidata_qid=entity_seed.wikidata_qid,
        )
        for key in entity_names(entity_seed.name_ar, entity_seed.name_en, entity_seed.aliases):
            names.setdefault(key, entity_seed.key)
    for entity_seed in corpus.entities:
        if entity_seed.affiliation:
            if entity_seed.affiliation not in entities:
                raise CorpusError(f"entity {entity_seed.key}: unknown affiliation {entity_seed.affiliation!r}")
            await session.execute(
                sa.text("UPDATE entity SET affiliation_id = :a WHERE id = :e"),
                {"a": entities[entity_seed.affiliation], "e": entities[entity_seed.key]},
            )

    quotes_loaded = 0
    now = utcnow()
    article_ids: list[tuple[str, int]] = []
    for article in corpus.articles:
        where = f"article {article.guid}"
        if article.section not in sections:
            raise CorpusError(f"{where}: unknown section {article.section!r}")
        found = find_mentions(tokens(article.paragraphs), names)
        rows: list[QuoteRow] = []
        mentions: dict[tuple[int, MentionRole], int] = {}
        for quote in article.quotes:
            if quote.paragraph >= len(article.paragraphs):
                raise CorpusError(f"{where}: quote paragraph {quote.paragraph} out of range")
            paragraph = article.paragraphs[quote.paragraph]
            start = paragraph.find(quote.text)
            if start < 0:
                raise CorpusError(f"{where}: quote not in paragraph {quote.paragraph}: {quote.text[:60]!r}")
            for label, value in (("cue", quote.cue), ("mention", quote.mention)):
                if value and value not in paragraph:
                    raise CorpusError(f"{where}: {label} {value!r} not in paragraph {quote.paragraph}")
            speaker_id = None
            if quote.speaker:
                if quote.speaker not in entities:
                    raise CorpusError(f"{where}: unknown speaker {quote.speaker!r}")
                speaker_id = entities[quote.speaker]
                spoken = (speaker_id, MentionRole.speaker)
                mentions[spoken] = max(mentions.get(spoken, 0) + 1, found.get(quote.speaker, 0))
            rows.append(
                QuoteRow(
                    text=quote.text,
                    kind=quote.kind,
                    cue=quote.cue,
                    speaker_id=speaker_id,
                    speaker_mention=quote.mention or None,
                    speaker_title=quote.title,
                    paragraph=quote.paragraph,
                    start=start,
                    end=start + len(quote.text),
                    confidence=quote.confidence,
                    method=AttributionMethod.editor,
                )
            )
        for mention in article.mentions:
            if mention.entity not in entities:
                raise CorpusError(f"{where}: unknown mentioned entity {mention.entity!r}")
            mentions[(entities[mention.entity], mention.role)] = max(1, found.get(mention.entity, 0))
        agency_ids = []
        for agency in article.agencies:
            if agency not in entities:
                raise CorpusError(f"{where}: unknown agency {agency!r}")
            agency_ids.append(entities[agency])
        rows.sort(key=lambda row: (row.paragraph, row.start))
        article_ids.append((public_id_for(article.guid), sections[article.section]))
        await insert_article(
            session,
            article,
            section_id=sections[article.section],
            agency_ids=agency_ids,
            quotes=rows,
            mentions=mentions,
            now=now,
        )
        quotes_loaded += len(rows)
    events = [Event(ChangeObject.entity, str(entity_id), ChangeAction.created) for entity_id in entities.values()]
    events += [
        Event(ChangeObject.article, public_id, ChangeAction.created, 1, section_id)
        for public_id, section_id in article_ids
    ]
    await record(session, events, now=now)
    return {
        "sections": len(sections),
        "entities": len(entities),
        "articles": len(corpus.articles),
        "quotes": quotes_loaded,
    }


async def database_is_empty(session: DbSession) -> bool:
    # Sections come first in any load, demo or real: none means nothing was ever loaded.
    return (await session.execute(sa.select(section_table.c.id).limit(1))).first() is None


def summary(counts: dict[str, Any]) -> str:
    return ", ".join(f"{n} {what}" for what, n in counts.items())


async def load_demo(settings: Settings, *, only_if_empty: bool) -> dict[str, int] | None:
    """Load the demo corpus in one transaction; None if skipped because the database has stories."""
    db = Database(settings)
    try:
        async with transaction(db) as session:
            if only_if_empty and not await database_is_empty(session):
                return None
            return await load_corpus(session, read_corpus())
    finally:
        await db.dispose()
