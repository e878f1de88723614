"""Storing stories: one version per change, quotes re-extracted, the catalogue grown.

`save_story` is the single write path for new stories, resent stories and
editors' corrections; `kill_story` turns a story into a tombstone. Both only
flush: the caller's transaction commits.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from itertools import chain
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.db import DbSession
from app.errors import AppError, NotFound
from app.models import (
    ArticleCreate,
    ArticleStatus,
    AttributionMethod,
    ChangeAction,
    ChangeKind,
    ChangeObject,
    EntityKind,
    MentionRole,
    QuoteKind,
    article_table,
    article_version_table,
    mention_table,
    public_id_for,
    quote_table,
    section_table,
)
from app.pipeline.analyse import extract_report, find_mentions, name_key, story_pairs, story_words, tokens
from app.pipeline.extract import ExtractedQuote, Speaker, extract_quotes
from app.pipeline.normalize import normalize, slugify
from app.services import counters, search
from app.services.catalogue import Catalogue, Entry, Memory, include_names, load_catalogue
from app.services.changes import Event, record, shown_entities
from app.services.store import (
    QuoteRow,
    add_version,
    article_values,
    content_hash,
    create_section,
    insert_entity_names,
    insert_entity_unless_slug_taken,
    insert_new_parts,
    insert_quotes,
    quote_values,
    write_agencies,
    write_mentions,
)

a = article_table
q = quote_table


class StoryKilled(AppError):
    status = 409
    slug = "story-killed"
    title = "Story was killed"


@dataclass(frozen=True)
class SaveResult:
    status: str  # created, updated, corrected or unchanged
    article_id: str
    version: int
    prepared: bool = False  # the quotes found ahead (`prepare`) were taken


@dataclass
class Deferred:
    """Writes a batch of stories makes once for all of them, right before it commits: change-log
    events, search index rows and changes to the stored counts.

    One UPDATE per entity a story counts, an index statement or two and (on SQLite) an FTS5 segment
    per story cost a PostgreSQL story about 8 ms. A story adds its share only once its savepoint is
    released (`merge`): one that fails leaves nothing here either. The counted rows are then locked in
    id order for the whole batch, not story after story.
    """

    events: list[Event] = field(default_factory=list)
    tally: counters.Tally = field(default_factory=counters.Tally)
    index: search.Pending = field(default_factory=search.Pending)
    # Section labels the batch's stories resolved, to their ids: a statement a story fewer. Sections
    # are few and change rarely; a story that fails takes its labels with it (it may have created
    # the section), and a label not found here is looked up afresh.
    sections: dict[str, int] = field(default_factory=dict)
    # The catalogue in memory, current with the batch's transaction, if the batch keeps one; with the
    # entities created by the batch's earlier stories (`earlier`, which the memory learns of only once
    # they are committed) and by this one (`created`). A story that fails takes its entities with it.
    memory: Memory | None = None
    earlier: Sequence[Entry] = ()
    created: list[Entry] = field(default_factory=list)

    def story(self) -> "Deferred":
        """What one story of the batch starts from: the sections resolved and the entities created so far,
        nothing to write."""
        return Deferred(sections=dict(self.sections), memory=self.memory, earlier=[*self.earlier, *self.created])

    def merge(self, later: "Deferred") -> None:
        self.events.extend(later.events)
        self.tally.merge(later.tally)
        self.index.merge(later.index)
        self.sections.update(later.sections)
        self.created.extend(later.created)


async def write_deferred(session: DbSession, deferred: Deferred) -> None:
    """The index rows, then the counts; the caller records the events last (see `changes.record`)."""
    await search.write_pending(session, deferred.index)
    await counters.apply(session, deferred.tally)


@lru_cache(maxsize=1 << 15)
def _word_tokens(word: str) -> tuple[str, ...]:
    return tuple(tokens([word])[0])


def _tokens(texts: Sequence[str]) -> list[list[str]]:
    """`tokens(texts)`, word by word with each word's tokens remembered: normalising never looks
    across whitespace, and wire copy repeats its vocabulary (tests/test_ingest.py holds them equal)."""
    return [list(chain.from_iterable(map(_word_tokens, text.split()))) for text in texts]


@dataclass(frozen=True)
class _Words:
    """A story's text tokenised once: the body (where mentions are counted) and everything that names."""

    body: list[list[str]]
    all: list[list[str]]
    vocabulary: set[str]  # story_words(all) and story_pairs(all): what the catalogue is searched by
    pairs: set[str]

    @classmethod
    def of(cls, story: ArticleCreate) -> "_Words":
        body = _tokens([*story.paragraphs, story.dateline or ""])
        every = body + _tokens([*story.agencies, *(tag.name for tag in story.entities)])
        return cls(body, every, story_words(every), story_pairs(every))


@dataclass(frozen=True)
class Prepared:
    """What can be made of a story before it is written (see `prepare`): its words, its search terms,
    and its quotes, extracted against the catalogue entries `entities` (ids, in catalogue order) of
    a memory that had learnt `learnt` changes."""

    words: _Words
    terms: tuple[str, str]
    entities: tuple[int, ...]
    learnt: int
    quotes: list[ExtractedQuote]


def prepare(story: ArticleCreate, memory: Memory) -> Prepared:
    """What saving a story needs no database for: its words and search terms, and its quotes, found
    against the entities `memory` holds of it.

    A batch run has it done ahead of its writer, in another process (app/services/batch.py), with a
    copy of the writer's memory. Quotes depend on the story and on those entities alone:
    `save_story` takes them if the catalogue it finds for the story holds the very same entities,
    none of them changed since (an entity created or changed meanwhile makes it extract them again),
    so they are what it would have extracted itself. Entities go by id: sent whole, a story's
    catalogue of a thousand entities cost the writer more to unpickle and compare than to extract.
    """
    words = _Words.of(story)
    catalogue = memory.catalogue(words.all, story.agencies, vocabulary=words.vocabulary, pairs=words.pairs)
    story_terms = search.terms(story.headline, story.summary, story.paragraphs)
    quotes = extract_quotes(story.paragraphs, story.language, catalogue.known)
    return Prepared(words, story_terms, tuple(catalogue.kinds), memory.learnt, quotes)


def _clip(text: str | None, limit: int) -> str | None:
    """Extracted spans are free text: keep them within their columns rather than fail the story."""
    return text[:limit] if text else None


def _is_arabic(text: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in text)


async def resolve_entity(
    session: DbSession,
    catalogue: Catalogue,
    name: str,
    kind: EntityKind,
    *,
    title: str | None = None,
    wikidata_qid: str | None = None,
) -> int:
    """The catalogue entity a name refers to; a name never seen before becomes a new entity."""
    name, title = name[:300], _clip(title, 300)
    if name in catalogue.slugs:
        return catalogue.slugs[name]
    found = catalogue.ids.get(name_key(name))
    if found is not None:
        return found
    arabic = _is_arabic(name)
    base = slugify(name)[:100]
    slug, n = base, 1
    while True:
        if slug not in catalogue.slugs:
            entity_id = await insert_entity_unless_slug_taken(
                session,
                slug=slug,
                kind=kind,
                name_ar=name if arabic else None,
                name_en=None if arabic else name,
                title=title,
                wikidata_qid=wikidata_qid,
            )
            if entity_id is not None:
                break
        n += 1
        slug = f"{base}-{n}"
    key = name_key(name)
    # Stored without an empty key, but found by it within this story: tags are looked up by key, and a
    # name without letters must still find the entity it made.
    created = Entry(entity_id, slug, kind, (name,), title, (key,) if key else ())
    catalogue.add(created if key else replace(created, keys=("",)))
    catalogue.created.append(created)
    return entity_id


async def resolve_section(session: DbSession, label: str, known: dict[str, int] | None = None) -> int:
    """A section by slug or by its Arabic or English name; a new name makes a new section.

    `known` holds labels resolved before (label → id), and gets this one."""
    if known is not None:
        if label in known:
            return known[label]
        known[label] = section_id = await resolve_section(session, label)
        return section_id
    s = section_table
    rows = (await session.execute(sa.select(s.c.id, s.c.slug, s.c.name_ar, s.c.name_en))).all()
    wanted = normalize(label)
    for row in rows:
        if label == row.slug or wanted in (normalize(row.name_ar), normalize(row.name_en)):
            return int(row.id)
    slug = slugify(label)[:64]
    taken = {row.slug for row in rows}
    base, n = slug, 1
    while slug in taken:
        n += 1
        slug = f"{base[:60]}-{n}"
    # Only one name is known; it stands in for both until an editor adds the other.
    return await create_section(session, slug=slug, name_ar=label, name_en=label)


def _speaker_kind(speaker: Speaker) -> EntityKind:
    try:
        return EntityKind(speaker.kind)
    except ValueError:
        return EntityKind.person


def _locate(paragraphs: Sequence[str], text: str, near: int) -> tuple[int, int] | None:
    """Where an editor's quote text stands in the new body, preferring its old paragraph."""
    order = (
        [near, *(i for i in range(len(paragraphs)) if i != near)] if near < len(paragraphs) else range(len(paragraphs))
    )
    for index in order:
        start = paragraphs[index].find(text)
        if start >= 0:
            return index, start
    return None


async def _quote_rows(
    session: DbSession,
    catalogue: Catalogue,
    story: ArticleCreate,
    extracted: Sequence[ExtractedQuote],
    editor_rows: Sequence[Any],
) -> list[QuoteRow]:
    """Extracted quotes with resolved speakers, with editors' corrections kept where their text survives."""
    rows: list[QuoteRow] = []
    for old in editor_rows:
        place = _locate(story.paragraphs, old.text, old.paragraph)
        if place is not None:
            rows.append(
                QuoteRow(
                    old.text,
                    QuoteKind(old.kind),
                    old.cue,
                    old.speaker_id,
                    old.speaker_mention,
                    old.speaker_title,
                    place[0],
                    place[1],
                    place[1] + len(old.text),
                    old.confidence,
                    AttributionMethod.editor,
                )
            )
    kept = [(r.paragraph, r.start, r.end) for r in rows]
    for quote in extracted:
        if any(p == quote.paragraph and s < quote.end and quote.start < e for p, s, e in kept):
            continue  # an editor already decided what this span is
        speaker_id = None
        if quote.speaker is not None:
            speaker_id = await resolve_entity(
                session, catalogue, quote.speaker.name, _speaker_kind(quote.speaker), title=quote.speaker.title
            )
        rows.append(
            QuoteRow(
                quote.text,
                QuoteKind(quote.kind),
                _clip(quote.cue, 100),
                speaker_id,
                _clip(quote.mention, 300),
                _clip(quote.speaker.title, 300) if quote.speaker else None,
                quote.paragraph,
                quote.start,
                quote.end,
                quote.confidence,
                AttributionMethod.extracted,
            )
        )
    rows.sort(key=lambda r: (r.paragraph, r.start))
    return rows


async def _mentions(
    session: DbSession, catalogue: Catalogue, story: ArticleCreate, words: _Words, quotes: Sequence[QuoteRow]
) -> dict[tuple[int, MentionRole], int]:
    for tag in story.entities:
        await resolve_entity(session, catalogue, tag.name, tag.kind, wikidata_qid=tag.wikidata_qid)
    found = find_mentions(words.body, catalogue.ids)
    mentions: dict[tuple[int, MentionRole], int] = {}
    spoken = Counter(row.speaker_id for row in quotes if row.speaker_id is not None)
    for entity_id, n in spoken.items():
        mentions[(entity_id, MentionRole.speaker)] = max(n, found.get(entity_id, 0))
    for entity_id, n in found.items():
        if entity_id in spoken:
            continue
        role = MentionRole.place if catalogue.kinds.get(entity_id) is EntityKind.place else MentionRole.subject
        mentions[(entity_id, role)] = n
    for tag in story.entities:
        entity_id = catalogue.ids[name_key(tag.name)]
        if entity_id not in spoken:
            mentions.setdefault((entity_id, tag.role), max(1, found.get(entity_id, 0)))
    return mentions


def _dialect_insert(session: DbSession) -> Any:
    name = session.get_bind().dialect.name
    return postgresql.insert if name == "postgresql" else sqlite.insert


_LOCK_ARTICLE = (
    sa.select(a.c.id, a.c.public_id, a.c.version, a.c.status, a.c.section_id, a.c.content_hash)
    .where(a.c.guid == sa.bindparam("guid"))
    .with_for_update()
)


async def _lock_article(session: DbSession, guid: str) -> Any:
    return (await session.execute(_LOCK_ARTICLE, {"guid": guid})).one_or_none()


# What the search index of an article is made of: other changes leave it as it is.
_INDEXED = {"headline", "summary", "paragraphs"}


async def save_story(
    session: DbSession,
    story: ArticleCreate,
    *,
    now: datetime,
    change: ChangeKind | None = None,
    deferred: Deferred | None = None,
    memory: Memory | None = None,
    prepared: Prepared | None = None,
) -> SaveResult:
    """Create the story, or add a version if its content changed; a resend of the same content is a no-op.

    Concurrent saves of one guid are safe: the insert is `ON CONFLICT DO NOTHING`, and the loser
    locks the winner's row and carries on as an update.

    `deferred` collects the story's change-log events, index rows and count changes instead of
    writing them: a batch of stories writes them all right before it commits, so that it holds the
    change-log lock only then. A story saved alone finds its entities in `memory` if it is given one,
    refreshed in this transaction (a batch's `deferred` brings its own). What was `prepared` of it
    ahead is used if it still holds (see `prepare`).
    """
    content = story.model_dump(mode="json")
    digest = content_hash(content)
    current = await _lock_article(session, story.guid)
    section_id: int | None = None
    if current is None:
        section_id = await resolve_section(session, story.section, None if deferred is None else deferred.sections)
        insert = _dialect_insert(session)
        # Values go as parameters rather than .values(): SQLAlchemy then neither coerces twenty
        # literals into a new statement nor computes its cache key afresh for every story.
        inserted = (
            await session.execute(
                insert(a).on_conflict_do_nothing(index_elements=["guid"]).returning(a.c.id),
                {
                    "public_id": public_id_for(story.guid),
                    "guid": story.guid,
                    "version": 1,
                    **article_values(story, section_id=section_id, digest=digest),
                },
            )
        ).first()
        if inserted is None:
            current = await _lock_article(session, story.guid)
        else:
            created, taken = await _write_parts(
                session,
                inserted.id,
                story,
                section_id=section_id,
                previous=None,
                existing=None,
                deferred=deferred,
                memory=memory,
                prepared=prepared,
            )
            await add_version(session, inserted.id, 1, ChangeKind.created, [], content, digest, now)
            public_id = public_id_for(story.guid)
            event = Event(ChangeObject.article, public_id, ChangeAction.created, 1, section_id)
            await _log(session, created, event, now, deferred)
            return SaveResult("created", public_id, 1, taken)
    assert current is not None
    if current.status == ArticleStatus.canceled.value:
        raise StoryKilled(f"Story {story.guid!r} was killed; a killed story cannot be revived.")
    if current.content_hash == digest:
        return SaveResult("unchanged", current.public_id, current.version)
    if section_id is None:
        section_id = await resolve_section(session, story.section, None if deferred is None else deferred.sections)
    previous = (
        await session.execute(
            sa.select(article_version_table.c.content)
            .where(article_version_table.c.article_id == current.id)
            .order_by(article_version_table.c.version.desc())
            .limit(1)
        )
    ).scalar_one_or_none() or {}
    changed = sorted(key for key in content.keys() | previous.keys() if content.get(key) != previous.get(key))
    version = current.version + 1
    await session.execute(
        sa.update(a).where(a.c.id == sa.bindparam("article_id")),
        {"article_id": current.id, "version": version, **article_values(story, section_id=section_id, digest=digest)},
    )
    shown_before = await shown_entities(session, current.id)
    existing = (await session.execute(sa.select(q).where(q.c.article_id == current.id).order_by(q.c.id))).all()
    created, taken = await _write_parts(
        session,
        current.id,
        story,
        section_id=section_id,
        previous=current,
        existing=existing,
        reindex=bool(_INDEXED & set(changed)),
        deferred=deferred,
        memory=memory,
        prepared=prepared,
    )
    kind = change or ChangeKind.updated
    await add_version(session, current.id, version, kind, changed, content, digest, now)
    event = Event(
        ChangeObject.article,
        current.public_id,
        ChangeAction(kind.value),
        version,
        section_id,
        left_section_id=current.section_id if current.section_id != section_id else None,
        shown_before=shown_before,
    )
    await _log(session, created, event, now, deferred)
    return SaveResult(kind.value, current.public_id, version, taken)


async def _log(
    session: DbSession, new_entities: Sequence[int], article: Event, now: datetime, deferred: Deferred | None
) -> None:
    events = [Event(ChangeObject.entity, str(entity_id), ChangeAction.created) for entity_id in new_entities]
    events.append(article)
    if deferred is None:
        await record(session, events, now=now)
    else:
        deferred.events.extend(events)


async def _write_parts(
    session: DbSession,
    article_id: int,
    story: ArticleCreate,
    *,
    section_id: int,
    previous: Any | None,
    existing: Sequence[Any] | None,
    reindex: bool = True,
    deferred: Deferred | None = None,
    memory: Memory | None = None,
    prepared: Prepared | None = None,
) -> tuple[list[int], bool]:
    """Agencies, quotes and mentions of the story's current version, their index rows and the counts
    they change (written now, or added to `deferred`); returns the entities it created, and whether
    it took the `prepared` quotes.

    `previous` is the article's locked row as it was (status, section), `existing` its stored quote
    rows; both None for a new article: nothing to replace then.
    """
    words = _Words.of(story) if prepared is None else prepared.words
    earlier: Sequence[Entry] = ()
    if deferred is not None:
        memory, earlier = deferred.memory, deferred.earlier
    if memory is None:
        catalogue = await load_catalogue(
            session, words.all, story.agencies, vocabulary=words.vocabulary, pairs=words.pairs
        )
    else:
        catalogue = memory.catalogue(words.all, story.agencies, earlier, vocabulary=words.vocabulary, pairs=words.pairs)
    taken = (
        prepared is not None
        and memory is not None
        and tuple(catalogue.kinds) == prepared.entities
        and memory.unchanged_since(prepared.learnt, prepared.entities)
    )
    if prepared is not None and taken:
        extracted = prepared.quotes
    else:
        extracted = extract_quotes(story.paragraphs, story.language, catalogue.known)
    speakers = [q.speaker.name for q in extracted if q.speaker]
    if memory is None:
        await include_names(session, catalogue, speakers)
    else:
        memory.include(catalogue, speakers, earlier)
    editor_rows = [row for row in existing or () if row.method == AttributionMethod.editor.value]
    rows = await _quote_rows(session, catalogue, story, extracted, editor_rows)
    mentions = await _mentions(session, catalogue, story, words, rows)
    agencies = list(
        dict.fromkeys([await resolve_entity(session, catalogue, name, EntityKind.agency) for name in story.agencies])
    )

    mentioned_before: list[int] = []
    removed: list[int] = []
    if existing is None:
        inserts = [quote_values(article_id, story.published_at, i, row) for i, row in enumerate(rows)]
        ids = await insert_new_parts(
            session,
            article_id,
            story.published_at,
            names=catalogue.created_names,
            agency_ids=agencies,
            mentions=mentions,
            quotes=inserts,
        )
        added = [(quote_id, values["text"]) for quote_id, values in zip(ids, inserts, strict=True)]
    else:
        await insert_entity_names(session, catalogue.created_names)
        await write_agencies(session, article_id, story.published_at, agencies)
        mentioned_before = await write_mentions(session, article_id, story.published_at, mentions)
        added, removed = await _replace_quotes(session, article_id, story.published_at, rows, existing)
    later = Deferred() if deferred is None else deferred
    if reindex:
        story_terms = (
            search.terms(story.headline, story.summary, story.paragraphs) if prepared is None else prepared.terms
        )
        later.index.article(article_id, story_terms)
    later.index.drop_quotes(removed)
    later.index.add_quotes(added)
    tally = later.tally
    if previous is not None:
        tally.story(
            -1,
            status=previous.status,
            section_id=previous.section_id,
            speakers=[row.speaker_id for row in existing or ()],
            mentioned=mentioned_before,
        )
    tally.story(
        1,
        status=story.status.value,
        section_id=section_id,
        speakers=[row.speaker_id for row in rows],
        mentioned=[entity_id for entity_id, _ in mentions],
    )
    if deferred is None:
        # Last before the version and the change log: the counter rows stay locked until the commit.
        await write_deferred(session, later)
    if deferred is not None:
        deferred.created.extend(catalogue.created)
    return [entry.id for entry in catalogue.created], taken


async def _replace_quotes(
    session: DbSession, article_id: int, published_at: datetime, rows: Sequence[QuoteRow], existing: Sequence[Any]
) -> tuple[list[tuple[int, str]], list[int]]:
    """Write the new quote set over the `existing` rows, keeping the id of every quote whose text is unchanged.

    Partners link to quote ids; a resend that only fixes a typo elsewhere must not renumber them.
    Returns the quotes inserted, as (id, text), and the ids removed. A kept quote's text is the same
    once normalised, and so is what the search index holds of it: only new and removed quotes touch
    the index, and a kept quote is written only if one of its columns changed.
    """
    free: dict[str, list[dict[str, Any]]] = {}
    for old in existing:
        stored = old._asdict()  # compared column by column below: a dict, not a Row's attribute lookups
        free.setdefault(normalize(stored["text"]), []).append(stored)
    updates: list[dict[str, Any]] = []
    inserts: list[dict[str, Any]] = []
    for position, row in enumerate(rows):
        values = quote_values(article_id, published_at, position, row)
        same = free.get(normalize(row.text)) if free else None
        if same:
            kept = same.pop(0)
            if any(kept[column] != value for column, value in values.items()):
                updates.append({"quote_id": kept["id"], **values})
        else:
            inserts.append(values)
    removed = [old["id"] for olds in free.values() for old in olds]
    if updates:
        await session.execute(sa.update(q).where(q.c.id == sa.bindparam("quote_id")), updates)
    if removed:
        await session.execute(sa.delete(q).where(q.c.id.in_(removed)))
    ids = await insert_quotes(session, inserts)
    return [(quote_id, values["text"]) for quote_id, values in zip(ids, inserts, strict=True)], removed


async def current_content(session: DbSession, public_id: str) -> ArticleCreate:
    """The latest stored content of a story, for corrections; 409 once it was killed."""
    row = (
        await session.execute(
            sa.select(article_version_table.c.content, a.c.status)
            .join(a, a.c.id == article_version_table.c.article_id)
            .where(a.c.public_id == public_id)
            .order_by(article_version_table.c.version.desc())
            .limit(1)
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"No article with id {public_id!r}.")
    if row.status == ArticleStatus.canceled.value:
        raise StoryKilled(f"Story {public_id!r} was killed; it can no longer be corrected.")
    return ArticleCreate.model_validate(row.content)


async def kill_story(session: DbSession, public_id: str, *, now: datetime) -> SaveResult:
    """Cancel a story: it leaves every list and its body and quotes go; the tombstone stays."""
    row = (
        await session.execute(
            sa.select(a.c.id, a.c.version, a.c.status, a.c.guid, a.c.section_id)
            .where(a.c.public_id == public_id)
            .with_for_update()
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"No article with id {public_id!r}.")
    if row.status == ArticleStatus.canceled.value:
        return SaveResult("unchanged", public_id, row.version)
    content = {"guid": row.guid, "status": ArticleStatus.canceled.value}
    digest = content_hash(content)
    version = row.version + 1
    await session.execute(
        sa.update(a)
        .where(a.c.id == row.id)
        .values(
            version=version,
            status=ArticleStatus.canceled.value,
            body=[],
            images=[],
            summary=None,
            content_hash=digest,
            updated_at=now,
        )
    )
    deleted = (
        await session.execute(sa.delete(q).where(q.c.article_id == row.id).returning(q.c.id, q.c.speaker_id))
    ).all()
    mentioned = list(
        (
            await session.execute(
                sa.delete(mention_table)
                .where(mention_table.c.article_id == row.id)
                .returning(mention_table.c.entity_id)
            )
        ).scalars()
    )
    await search.unindex_article(session, row.id, [quote.id for quote in deleted])
    tally = counters.Tally()
    tally.story(
        -1,
        status=row.status,
        section_id=row.section_id,
        speakers=[quote.speaker_id for quote in deleted],
        mentioned=mentioned,
    )
    await counters.apply(session, tally)
    await add_version(session, row.id, version, ChangeKind.killed, ["status"], content, digest, now)
    shown = frozenset(mentioned).union(quote.speaker_id for quote in deleted if quote.speaker_id is not None)
    killed = Event(ChangeObject.article, public_id, ChangeAction.killed, version, row.section_id, shown_before=shown)
    await record(session, [killed], now=now)
    return SaveResult(ChangeKind.killed.value, public_id, version)


async def describe(session: DbSession, story: ArticleCreate) -> dict[str, Any]:
    """What the pipeline makes of a story, resolved against the catalogue, with nothing stored."""
    words = _Words.of(story)
    catalogue = await load_catalogue(session, words.all, story.agencies)
    quotes = extract_quotes(story.paragraphs, story.language, catalogue.known)
    await include_names(session, catalogue, [q.speaker.name for q in quotes if q.speaker])
    found = find_mentions(words.body, catalogue.ids)
    entities: dict[str, dict[str, Any]] = {}
    for quote in quotes:
        if quote.speaker is None:
            continue
        entity_id = catalogue.ids.get(name_key(quote.speaker.name))
        entry = entities.setdefault(
            quote.speaker.ref,
            {
                "id": entity_id,
                "name": quote.speaker.name,
                "kind": quote.speaker.kind,
                "title": quote.speaker.title,
                "role": MentionRole.speaker.value,
                "count": found.get(entity_id, 0) if entity_id else 0,
                "quotes": 0,
            },
        )
        entry["quotes"] += 1
    speakers = {entry["id"] for entry in entities.values()}
    for entity_id, n in found.items():
        if entity_id in speakers:
            continue
        kind = catalogue.kinds[entity_id]
        role = MentionRole.place if kind is EntityKind.place else MentionRole.subject
        entities[f"id:{entity_id}"] = {
            "id": entity_id,
            "name": catalogue.names[entity_id],
            "kind": kind.value,
            "title": None,
            "role": role.value,
            "count": n,
            "quotes": 0,
        }
    return extract_report(story, quotes, list(entities.values()))
