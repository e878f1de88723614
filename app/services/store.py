"""Writing sections, entities and articles: plain functions that only flush.

The caller's transaction (a request, or a batch such as the demo load)
decides when to commit.
"""

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app.db import DbSession
from app.models import (
    ArticleCreate,
    ArticleStatus,
    AttributionMethod,
    ChangeKind,
    EntityKind,
    MentionRole,
    QuoteKind,
    article_agency_table,
    article_table,
    article_version_table,
    entity_name_table,
    entity_table,
    mention_table,
    public_id_for,
    quote_table,
    section_table,
)
from app.pipeline.analyse import first_word, name_key
from app.services import counters, search


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
    """The keys an entity can be found by: its names and aliases as `name_key` reads them."""
    return {key for name in (name_ar, name_en, *aliases) if name and (key := name_key(name))}


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
    await write_entity_names(session, entity_id, name_ar, name_en, aliases)
    return entity_id


async def insert_entity_unless_slug_taken(
    session: DbSession,
    *,
    slug: str,
    kind: EntityKind,
    name_ar: str | None,
    name_en: str | None,
    title: str | None,
    wikidata_qid: str | None,
) -> int | None:
    """Insert an entity with no aliases and return its id, or None if the slug is taken; no names are written.

    The check and the insert are one statement: ingest creates entities story by story and every
    round trip counts. The caller writes the lookup names (`insert_entity_names`), all at once.
    """
    e = entity_table
    values: dict[str, Any] = {
        "slug": slug,
        "kind": kind.value,
        "name_ar": name_ar,
        "name_en": name_en,
        "aliases": [],
        "title": title,
        "wikidata_qid": wikidata_qid,
    }
    row = sa.select(*(sa.literal(value, type_=e.c[name].type) for name, value in values.items())).where(
        ~sa.exists().where(e.c.slug == slug)
    )
    result = await session.execute(sa.insert(e).from_select(list(values), row).returning(e.c.id))
    found = result.scalar_one_or_none()
    return None if found is None else int(found)


def _element_type(column: sa.Column[Any]) -> sa.types.TypeEngine[Any]:
    """The type of a column's values sent as an array: numbers and times as such, anything else as text."""
    kind = column.type.impl_instance if isinstance(column.type, sa.TypeDecorator) else column.type
    for numeric in (sa.Integer, sa.Float, sa.DateTime):
        if isinstance(kind, numeric):
            return kind
    return sa.String()


@cache
def _insert_unnested(
    table: sa.Table, columns: tuple[str, ...], returning: tuple[str, ...], prefix: str = "v"
) -> sa.Insert:
    """INSERT ... SELECT FROM unnest(one array per column): many rows in one statement on PostgreSQL.

    The arrays are the parameters `{prefix}_{column}`."""

    def array(name: str) -> sa.BindParameter[Any]:
        return sa.bindparam(f"{prefix}_{name}", type_=postgresql.ARRAY(_element_type(table.c[name])))

    rows = sa.func.unnest(*map(array, columns)).table_valued(*columns).render_derived()
    insert = sa.insert(table).from_select(list(columns), sa.select(*(rows.c[name] for name in columns)))
    return insert.returning(*(table.c[name] for name in returning)) if returning else insert


async def insert_rows(
    session: DbSession, table: sa.Table, rows: Sequence[dict[str, Any]], *, returning: tuple[str, ...] = ()
) -> Sequence[Any]:
    """Insert rows in one statement; the `returning` columns of the inserted rows, in no particular order.

    SQLite's executemany is a loop in C. asyncpg's runs one INSERT per row on the server: a story's
    mentions took 2 ms that way, so on PostgreSQL the rows go as one array per column instead.
    """
    if not rows:
        return []
    if session.get_bind().dialect.name == "postgresql":
        columns = tuple(rows[0])
        params = {f"v_{name}": [row[name] for row in rows] for name in columns}
        result = await session.execute(_insert_unnested(table, columns, returning), params)
    else:
        return await _insert_sqlite(session, table, rows, returning)
    return result.all() if returning else []


@cache
def _sqlite_insert(
    table: sa.Table, columns: tuple[str, ...], dialect: sa.Dialect
) -> tuple[str, str, list[tuple[int, Any]]]:
    """An INSERT of these columns in SQLite's SQL: the statement up to VALUES, one row's placeholders,
    and the bind processors of the columns that have one, by position."""
    quote = dialect.identifier_preparer.quote
    head = f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, columns))})"
    placeholders = f"({', '.join('?' * len(columns))})"
    processors = [
        (i, p)
        for i, name in enumerate(columns)
        if (p := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
    ]
    return head, placeholders, processors


async def _insert_sqlite(
    session: DbSession, table: sa.Table, rows: Sequence[dict[str, Any]], returning: tuple[str, ...]
) -> Sequence[Any]:
    """`insert_rows` on SQLite, through the driver: SQLAlchemy took two thirds of the time of a story's
    quote and mention INSERTs building and converting every row's parameters again. The columns'
    own bind processors convert the values, once for a value that repeats (the story's time).
    With `returning`, one INSERT of many VALUES (at most 900 parameters each, SQLite's smallest
    limit being 999), as executemany returns no rows."""
    dialect = session.get_bind().dialect
    columns = tuple(rows[0])
    head, placeholders, processors = _sqlite_insert(table, columns, dialect)
    values = [[row[name] for name in columns] for row in rows]
    for i, process in processors:
        last: Any = object()
        for row in values:
            if row[i] is not last:
                last, converted = row[i], process(row[i])
            row[i] = converted
    if not returning:
        await session.exec_driver_sql(f"{head} VALUES {placeholders}", [tuple(row) for row in values])
        return []
    found: list[Any] = []
    step = max(1, 900 // len(columns))
    for start in range(0, len(values), step):
        chunk = values[start : start + step]
        sql = f"{head} VALUES {', '.join([placeholders] * len(chunk))} RETURNING {', '.join(returning)}"
        found.extend((await session.exec_driver_sql(sql, [tuple(v for row in chunk for v in row)])).all())
    return found


def _name_rows(names: Sequence[tuple[int, str]]) -> list[dict[str, Any]]:
    return [{"entity_id": entity_id, "norm": key, "first": first_word(key)} for entity_id, key in names]


def _agency_rows(article_id: int, published_at: datetime, agency_ids: Sequence[int]) -> list[dict[str, Any]]:
    return [
        {"article_id": article_id, "entity_id": e, "position": i, "published_at": published_at}
        for i, e in enumerate(agency_ids)
    ]


def _mention_rows(
    article_id: int, published_at: datetime, mentions: dict[tuple[int, MentionRole], int]
) -> list[dict[str, Any]]:
    return [
        {"article_id": article_id, "entity_id": e, "role": role.value, "count": n, "published_at": published_at}
        for (e, role), n in mentions.items()
    ]


async def insert_entity_names(session: DbSession, names: Sequence[tuple[int, str]]) -> None:
    """Add the lookup keys (entity id, `name_key`) of entities that have none yet."""
    await insert_rows(session, entity_name_table, _name_rows(names))


async def write_entity_names(
    session: DbSession, entity_id: int, name_ar: str | None, name_en: str | None, aliases: Iterable[str]
) -> None:
    """Replace the lookup keys of an entity by those of its current names and aliases."""
    await session.execute(sa.delete(entity_name_table).where(entity_name_table.c.entity_id == entity_id))
    keys = entity_names(name_ar, name_en, aliases)
    if keys:
        await session.execute(
            sa.insert(entity_name_table),
            [{"entity_id": entity_id, "norm": key, "first": first_word(key)} for key in keys],
        )


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


def article_values(story: ArticleCreate, *, section_id: int, digest: str) -> dict[str, Any]:
    """The article row's columns for a story's current version."""
    p = story.provenance
    return {
        "language": story.language,
        "headline": story.headline,
        "summary": story.summary,
        "body": list(story.paragraphs),
        "byline": story.byline,
        "desk": story.desk,
        "dateline": story.dateline,
        "published_at": story.published_at,
        "updated_at": story.last_updated,
        "status": story.status.value,
        "embargoed_until": story.embargoed,
        "section_id": section_id,
        "images": [image.model_dump(mode="json") for image in story.images],
        "original_language": p.original_language,
        "original_headline": p.original_headline,
        "agency_item_id": p.agency_item_id,
        "agency_url": str(p.agency_url) if p.agency_url else None,
        "translated_by": p.translated_by,
        "translation_method": p.translation_method.value if p.translation_method else None,
        "content_hash": digest,
    }


def quote_values(article_id: int, published_at: datetime, position: int, row: QuoteRow) -> dict[str, Any]:
    return {
        "article_id": article_id,
        "published_at": published_at,
        "position": position,
        "text": row.text,
        "kind": row.kind.value,
        "cue": row.cue,
        "speaker_id": row.speaker_id,
        "speaker_mention": row.speaker_mention,
        "speaker_title": row.speaker_title,
        "paragraph": row.paragraph,
        "start_offset": row.start,
        "end_offset": row.end,
        "confidence": row.confidence,
        "method": row.method.value,
    }


async def write_agencies(
    session: DbSession, article_id: int, published_at: datetime, agency_ids: Sequence[int], *, replace: bool = True
) -> None:
    """Replace the article's credited agencies, keeping their order; `replace=False` for a new article (none yet)."""
    if replace:
        await session.execute(sa.delete(article_agency_table).where(article_agency_table.c.article_id == article_id))
    await insert_rows(session, article_agency_table, _agency_rows(article_id, published_at, agency_ids))


async def write_mentions(
    session: DbSession,
    article_id: int,
    published_at: datetime,
    mentions: dict[tuple[int, MentionRole], int],
    *,
    replace: bool = True,
) -> list[int]:
    """Replace the article's mentions, with its publication time; `replace=False` for a new article (none yet).

    Returns the entities of the mentions replaced (one per row: an entity may have several roles).
    """
    replaced: list[int] = []
    if replace:
        deleted = await session.execute(
            sa.delete(mention_table)
            .where(mention_table.c.article_id == article_id)
            .returning(mention_table.c.entity_id)
        )
        replaced = list(deleted.scalars())
    await insert_rows(session, mention_table, _mention_rows(article_id, published_at, mentions))
    return replaced


_NAME_COLUMNS = ("entity_id", "norm", "first")
_AGENCY_COLUMNS = ("article_id", "entity_id", "position", "published_at")
_MENTION_COLUMNS = ("article_id", "entity_id", "role", "count", "published_at")
_QUOTE_COLUMNS = (
    "article_id",
    "published_at",
    "position",
    "text",
    "kind",
    "cue",
    "speaker_id",
    "speaker_mention",
    "speaker_title",
    "paragraph",
    "start_offset",
    "end_offset",
    "confidence",
    "method",
)


@cache
def _insert_new_parts() -> sa.Insert:
    """The quotes' INSERT ... RETURNING, with the names', agencies' and mentions' INSERTs as data-modifying
    CTEs before it. They all see the same snapshot, which is all they need: each writes other rows."""
    names = _insert_unnested(entity_name_table, _NAME_COLUMNS, (), "n").cte("names")
    agencies = _insert_unnested(article_agency_table, _AGENCY_COLUMNS, (), "a").cte("agencies")
    mentions = _insert_unnested(mention_table, _MENTION_COLUMNS, (), "m").cte("mentions")
    return _insert_unnested(quote_table, _QUOTE_COLUMNS, ("id", "position"), "q").add_cte(names, agencies, mentions)


async def insert_new_parts(
    session: DbSession,
    article_id: int,
    published_at: datetime,
    *,
    names: Sequence[tuple[int, str]],
    agency_ids: Sequence[int],
    mentions: dict[tuple[int, MentionRole], int],
    quotes: Sequence[dict[str, Any]],
) -> list[int]:
    """A new article's agencies, mentions and quotes (`quote_values` rows), and the lookup keys (entity
    id, `name_key`) of the entities it created; returns the quotes' ids in the order given.

    On PostgreSQL in one statement: three round trips fewer a story. Elsewhere as `insert_entity_names`,
    `write_agencies`, `write_mentions` and `insert_quotes` write them.
    """
    if session.get_bind().dialect.name != "postgresql":
        await insert_entity_names(session, names)
        await write_agencies(session, article_id, published_at, agency_ids, replace=False)
        await write_mentions(session, article_id, published_at, mentions, replace=False)
        return await insert_quotes(session, quotes)
    params: dict[str, Any] = {}
    for prefix, columns, rows in (
        ("n", _NAME_COLUMNS, _name_rows(names)),
        ("a", _AGENCY_COLUMNS, _agency_rows(article_id, published_at, agency_ids)),
        ("m", _MENTION_COLUMNS, _mention_rows(article_id, published_at, mentions)),
        ("q", _QUOTE_COLUMNS, quotes),
    ):
        params.update({f"{prefix}_{name}": [row[name] for row in rows] for name in columns})
    inserted: Sequence[Any] = (await session.execute(_insert_new_parts(), params)).all()
    ids = {position: quote_id for quote_id, position in inserted}
    return [ids[row["position"]] for row in quotes]


async def insert_article(
    session: DbSession,
    story: ArticleCreate,
    *,
    section_id: int,
    agency_ids: Sequence[int],
    quotes: Sequence[QuoteRow],
    mentions: dict[tuple[int, MentionRole], int],
    now: datetime,
) -> int:
    """Insert a new story as version 1 with its agencies, quotes and mentions; returns its row id."""
    # Subclasses (the demo's annotated stories) carry extras that are not part of the story.
    content = story.model_dump(mode="json", include=set(ArticleCreate.model_fields))
    digest = content_hash(content)
    result = await session.execute(
        sa.insert(article_table)
        .values(
            public_id=public_id_for(story.guid),
            guid=story.guid,
            version=1,
            **article_values(story, section_id=section_id, digest=digest),
        )
        .returning(article_table.c.id)
    )
    article_id = int(result.scalar_one())
    await write_agencies(session, article_id, story.published_at, agency_ids, replace=False)
    await write_mentions(session, article_id, story.published_at, mentions, replace=False)
    ids = await insert_quotes(
        session, [quote_values(article_id, story.published_at, i, q) for i, q in enumerate(quotes)]
    )
    await add_version(session, article_id, 1, ChangeKind.created, [], content, digest, now)
    if story.status is not ArticleStatus.canceled:
        await search.index_article(session, article_id, story.headline, story.summary, story.paragraphs)
        await search.index_quotes(session, [(quote_id, q.text) for quote_id, q in zip(ids, quotes, strict=True)])
    tally = counters.Tally()
    tally.story(
        1,
        status=story.status.value,
        section_id=section_id,
        speakers=[q.speaker_id for q in quotes],
        mentioned=[entity_id for entity_id, _ in mentions],
    )
    await counters.apply(session, tally)
    return article_id


async def insert_quotes(session: DbSession, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert one article's quotes (`quote_values` rows) in one statement; their ids, in the order given.

    The ids come back with the positions they were inserted at, so the order the database
    returns them in does not matter.
    """
    inserted = await insert_rows(session, quote_table, rows, returning=("id", "position"))
    ids = {position: quote_id for quote_id, position in inserted}
    return [ids[row["position"]] for row in rows]


def content_hash(content: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


async def add_version(
    session: DbSession,
    article_id: int,
    version: int,
    change: ChangeKind,
    changed: list[str],
    content: dict[str, Any],
    digest: str,
    now: datetime,
) -> None:
    await session.execute(
        sa.insert(article_version_table),
        {
            "article_id": article_id,
            "version": version,
            "change": change.value,
            "changed_fields": changed,
            "content": content,
            "content_hash": digest,
            "created_at": now,
        },
    )
