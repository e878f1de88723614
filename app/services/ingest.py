"""Storing stories: one version per change, quotes re-extracted, the catalogue grown.

`save_story` is the single write path for new stories, resent stories and
editors' corrections; `kill_story` turns a story into a tombstone. Both only
flush: the caller's transaction commits.
"""

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, lru_cache
from itertools import chain
from typing import Any

import orjson
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
    entity_name_table,
    entity_table,
    mention_table,
    public_id_for,
    quote_table,
    section_table,
)
from app.pipeline.analyse import extract_report, find_mentions, name_key, story_words, tokens
from app.pipeline.extract import ExtractedQuote, KnownEntity, Speaker, extract_quotes
from app.pipeline.normalize import normalize, slugify
from app.services import counters, search
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
# A name's lookup keys arrive joined into one string per entity; keys are words and spaces only.
_KEY_SEPARATOR = "\x1f"


class StoryKilled(AppError):
    status = 409
    slug = "story-killed"
    title = "Story was killed"


@dataclass(frozen=True)
class SaveResult:
    status: str  # created, updated, corrected or unchanged
    article_id: str
    version: int


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

    def story(self) -> "Deferred":
        """What one story of the batch starts from: the sections resolved so far, nothing to write."""
        return Deferred(sections=dict(self.sections))

    def merge(self, later: "Deferred") -> None:
        self.events.extend(later.events)
        self.tally.merge(later.tally)
        self.index.merge(later.index)
        self.sections.update(later.sections)


async def write_deferred(session: DbSession, deferred: Deferred) -> None:
    """The index rows, then the counts; the caller records the events last (see `changes.record`)."""
    await search.write_pending(session, deferred.index)
    await counters.apply(session, deferred.tally)


@dataclass
class Catalogue:
    """What the entity catalogue knows, for resolving names as a story writes them."""

    known: list[KnownEntity] = field(default_factory=list)
    ids: dict[str, int] = field(default_factory=dict)  # name_key of a name or alias → entity id
    kinds: dict[int, EntityKind] = field(default_factory=dict)
    slugs: dict[str, int] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    created: list[int] = field(default_factory=list)  # entities this story added to the catalogue
    # (entity id, name key) of the created entities, written to entity_name in one statement
    created_names: list[tuple[int, str]] = field(default_factory=list)

    def add(
        self,
        entity_id: int,
        slug: str,
        kind: EntityKind,
        names: Sequence[str],
        title: str | None,
        keys: Sequence[str] | None = None,
    ) -> None:
        """Add an entity; `keys` are its names' keys when they are already at hand (stored in entity_name)."""
        self.kinds[entity_id] = kind
        self.names[entity_id] = names[0] if names else slug
        self.slugs[slug] = entity_id
        for key in [name_key(name) for name in names] if keys is None else keys:
            self.ids.setdefault(key, entity_id)
        if names:
            self.known.append(KnownEntity(name=names[0], kind=kind.value, aliases=tuple(names[1:]), title=title))


def _one_of(postgres: bool, column: sa.ColumnElement[str], name: str) -> sa.ColumnElement[bool]:
    """`column IN :name`, the values bound as one parameter (see `_listed`): the statement's text is the
    same whatever the number of values, so PostgreSQL prepares it once per connection and SQLAlchemy
    does not render hundreds of placeholders for every story.

    On PostgreSQL the array is unnested rather than compared with `= ANY`: once a prepared statement
    runs on its generic plan, `= ANY($1)` scans the whole array for every row (6.6 ms a story, against
    1.4 ms for the semi-join)."""
    return column.in_(_values(postgres, name))


def _values(postgres: bool, name: str) -> sa.Select[Any]:
    """The values of a `_one_of` parameter, as a one-column subquery."""
    if postgres:
        return sa.select(sa.func.unnest(sa.bindparam(name, type_=postgresql.ARRAY(sa.String))))
    each = sa.func.json_each(sa.bindparam(name, type_=sa.String)).table_valued("value")
    return sa.select(each.c.value)


def _words_all_in(postgres: bool, key: sa.ColumnElement[str], name: str) -> sa.ColumnElement[bool]:
    """Every word of a name key (words joined by single spaces) is one of the values of the `_one_of`
    parameter `name`. The key is split in SQL: into an array on PostgreSQL, into a JSON list on SQLite
    (a key holds word characters and spaces only, nothing JSON would have to escape)."""
    if postgres:
        words = sa.func.unnest(sa.func.string_to_array(key, " ")).table_valued("value").render_derived("key_word")
    else:
        listed = sa.literal('["') + sa.func.replace(key, " ", '","') + sa.literal('"]')
        words = sa.func.json_each(listed).table_valued("value").alias("key_word")
    return ~sa.exists(sa.select(words.c.value).where(words.c.value.not_in(_values(postgres, name))))


def _listed(postgres: bool, values: Iterable[str]) -> Any:
    """Values for a `_one_of` parameter: an array on PostgreSQL, a JSON list for SQLite's json_each."""
    listed = sorted(values)
    return listed if postgres else orjson.dumps(listed).decode()


@cache
def _entities_named(postgres: bool, by: str) -> sa.Select[Any]:
    """Live entities with a lookup key whose `by` column (first word, or the whole key) is one of :names,
    or whose slug is one of :slugs, each on one row with its lookup keys joined. By first word, every
    other word of the key must be one of :names too.

    Built once per kind of database and reused: a story runs it once or twice.
    """
    e, n = entity_table, entity_name_table
    agg = sa.func.string_agg if postgres else sa.func.group_concat
    keys = sa.select(agg(n.c.norm, _KEY_SEPARATOR)).where(n.c.entity_id == e.c.id).scalar_subquery()
    named = sa.select(n.c.entity_id).where(_one_of(postgres, n.c[by], "names"))
    if by == "first":
        # The first word alone let in every person who shares a given name with someone in the story:
        # 4,510 entities for one story on a catalogue of 20,000, 190 ms to load, and extraction took
        # 140 ms a story with them (it indexes its catalogue anew). A name none of whose keys has all its
        # words in the story cannot be found in it, neither by the extractor (its catalogue lookups match
        # a key's words in the text; a leading "the" it can do without is the first word, asked for
        # already) nor by `find_mentions`.
        # The keys are narrowed by first word before their words are looked at (MATERIALIZED: PostgreSQL
        # otherwise split the keys of the whole catalogue).
        candidate = named.add_columns(n.c.norm).cte("candidate").prefix_with("MATERIALIZED", dialect="postgresql")
        named = sa.select(candidate.c.entity_id).where(_words_all_in(postgres, candidate.c.norm, "names"))
    return (
        sa.select(e.c.id, e.c.slug, e.c.kind, e.c.name_ar, e.c.name_en, e.c.aliases, e.c.title, keys)
        .where(sa.or_(e.c.id.in_(named), _one_of(postgres, e.c.slug, "slugs")), e.c.merged_into_id.is_(None))
        .order_by(e.c.id)
    )


async def _load(
    session: DbSession, catalogue: Catalogue, by: str, names: Iterable[str], slugs: Iterable[str] = ()
) -> None:
    """Add the live entities found by name (`by` "first" or "norm") or by slug, in one statement.

    Merged entities live on as their survivor's aliases.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    params = {"names": _listed(postgres, names), "slugs": _listed(postgres, slugs)}
    # Rows are unpacked rather than read by attribute (about a microsecond each): a story loads
    # tens of entities and this loop was a visible part of an ingest.
    rows: Iterable[tuple[Any, ...]] = (await session.execute(_entities_named(postgres, by), params)).all()
    for entity_id, slug, kind, name_ar, name_en, aliases, title, keys in rows:
        if entity_id in catalogue.kinds:
            continue
        names = [name for name in (name_ar, name_en, *aliases) if name]
        catalogue.add(entity_id, slug, EntityKind(kind), names, title, keys.split(_KEY_SEPARATOR) if keys else [])


async def load_catalogue(session: DbSession, texts: Sequence[Sequence[str]], slugs: Sequence[str] = ()) -> Catalogue:
    """The entities that can occur in the tokenised texts (found by a name's first word), and those named by slug.

    The cost grows with the story, not with the catalogue.
    """
    catalogue = Catalogue()
    await _load(session, catalogue, "first", story_words(texts), slugs)
    return catalogue


async def include_names(session: DbSession, catalogue: Catalogue, names: Sequence[str]) -> None:
    """Add the entities known by these names, for speakers named otherwise than the text words them."""
    missing = {key for name in names if (key := name_key(name)) and key not in catalogue.ids}
    if missing:
        await _load(session, catalogue, "norm", missing)


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

    @classmethod
    def of(cls, story: ArticleCreate) -> "_Words":
        body = _tokens([*story.paragraphs, story.dateline or ""])
        return cls(body, body + _tokens([*story.agencies, *(tag.name for tag in story.entities)]))


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
    name = name[:300]
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
                title=_clip(title, 300),
                wikidata_qid=wikidata_qid,
            )
            if entity_id is not None:
                break
        n += 1
        slug = f"{base}-{n}"
    key = name_key(name)
    # An empty key too: a name without letters still finds the entity it made, as tags are looked up by key.
    catalogue.add(entity_id, slug, kind, [name], title, [key])
    catalogue.created.append(entity_id)
    if key:
        catalogue.created_names.append((entity_id, key))
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
) -> SaveResult:
    """Create the story, or add a version if its content changed; a resend of the same content is a no-op.

    Concurrent saves of one guid are safe: the insert is `ON CONFLICT DO NOTHING`, and the loser
    locks the winner's row and carries on as an update.

    `deferred` collects the story's change-log events, index rows and count changes instead of
    writing them: a batch of stories writes them all right before it commits, so that it holds the
    change-log lock only then.
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
            created = await _write_parts(
                session, inserted.id, story, section_id=section_id, previous=None, existing=None, deferred=deferred
            )
            await add_version(session, inserted.id, 1, ChangeKind.created, [], content, digest, now)
            public_id = public_id_for(story.guid)
            event = Event(ChangeObject.article, public_id, ChangeAction.created, 1, section_id)
            await _log(session, created, event, now, deferred)
            return SaveResult("created", public_id, 1)
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
    created = await _write_parts(
        session,
        current.id,
        story,
        section_id=section_id,
        previous=current,
        existing=existing,
        reindex=bool(_INDEXED & set(changed)),
        deferred=deferred,
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
    return SaveResult(kind.value, current.public_id, version)


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
) -> list[int]:
    """Agencies, quotes and mentions of the story's current version, their index rows and the counts
    they change (written now, or added to `deferred`); returns the entities it created.

    `previous` is the article's locked row as it was (status, section), `existing` its stored quote
    rows; both None for a new article: nothing to replace then.
    """
    words = _Words.of(story)
    catalogue = await load_catalogue(session, words.all, story.agencies)
    extracted = extract_quotes(story.paragraphs, story.language, catalogue.known)
    await include_names(session, catalogue, [q.speaker.name for q in extracted if q.speaker])
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
        later.index.article(article_id, story.headline, story.summary, story.paragraphs)
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
    return catalogue.created


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
