"""Reading quotes, each with its speaker and its article."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from app.db import DbSession
from app.errors import InvalidBody, NotFound
from app.models import (
    ArticleRef,
    AttributionMethod,
    ChangeAction,
    ChangeObject,
    QuoteInArticle,
    QuoteKind,
    QuotePatch,
    QuotePublic,
    SectionRef,
    SpeakerRef,
    entity_table,
    mention_table,
    quote_table,
    utcnow,
)
from app.pagination import Sort, encode_cursor, keyset, keyset_params, page_order
from app.services import counters, search
from app.services.changes import Event, record
from app.services.common import (
    ArticleFilters,
    View,
    a,
    article_conditions,
    article_params,
    bound,
    effective_sort,
    fields_of,
    json_array,
    json_object,
    json_text,
    json_time,
    s,
    search_join,
    search_params,
    view_conditions,
)
from app.services.search import Search

q = quote_table
e = entity_table


@dataclass(frozen=True)
class QuoteFilters:
    article: ArticleFilters = field(default_factory=ArticleFilters)
    speakers: Sequence[int] = ()
    kinds: Sequence[QuoteKind] = ()
    article_ids: Sequence[str] = ()
    search: Search | None = None


def _quote_fields_json(dialect: str) -> dict[str, sa.ColumnElement[Any]]:
    """`QuoteInArticle`'s fields in its order, each as the database writes it in JSON, for a quote row
    joined to its speaker, if any."""
    speaker = fields_of(SpeakerRef, e.c, {"title": q.c.speaker_title})
    made = {
        "speaker": sa.case((e.c.id.is_(None), sa.null()), else_=json_object(dialect, speaker)),
        "start": q.c.start_offset,
        "end": q.c.end_offset,
    }
    return fields_of(QuoteInArticle, q.c, made)


def quotes_json(dialect: str) -> sa.ColumnElement[Any]:
    """An article's quotes as a JSON array in body order, for a statement on the article table."""
    rows = sa.select().select_from(q.outerjoin(e, e.c.id == q.c.speaker_id)).where(q.c.article_id == a.c.id)
    quote = json_object(dialect, _quote_fields_json(dialect))
    return json_array(dialect, quote, rows.correlate(a), q.c.position, q.c.id)


@lru_cache(maxsize=2)
def _public_json(dialect: str) -> sa.Label[str]:
    """A quote with its article as `QuotePublic` JSON text, made by the database (see `articles._summary`)."""
    made = {
        "id": a.c.public_id,
        "published_at": json_time(a.c.published_at, dialect),
        "section": json_object(dialect, fields_of(SectionRef, s.c)),
    }
    article = json_object(dialect, fields_of(ArticleRef, a.c, made))
    quote = fields_of(QuotePublic, q.c, {**_quote_fields_json(dialect), "article": article})
    return json_text(json_object(dialect, quote), dialect).label("quote_json")


def _with_article(dialect: str) -> sa.Select[Any]:
    return (
        sa.select(q.c.id, _public_json(dialect))
        .join(a, a.c.id == q.c.article_id)
        .join(s, s.c.id == a.c.section_id)
        .outerjoin(e, e.c.id == q.c.speaker_id)
    )


def quote_params(f: QuoteFilters, now: datetime) -> dict[str, Any]:
    """The values of a quote list's conditions (see `article_params`). `quote_` marks those tested on the
    quote itself: its speaker, and its copy of the article's publication time."""
    params = article_params(f.article, now)
    for name in ("published_from", "published_to"):
        if name in params:
            params[f"quote_{name}"] = params.pop(name)
    if f.speakers:
        params["quote_speakers"] = list(f.speakers)
    if f.kinds:
        params["kinds"] = [kind.value for kind in f.kinds]
    if f.article_ids:
        params["article_ids"] = list(f.article_ids)
    return params


@lru_cache(maxsize=512)
def _quotes(names: frozenset[str], sort: Sort, dialect: str, search: bool) -> sa.Select[Any]:
    """A page of quotes for one shape of filters, on this database, with or without a search query
    (see `_summaries` in articles.py)."""
    # The page is chosen on the quote table alone, its article's conditions tested per quote: walking
    # an index on (…, published_at, id) then stops after one page. With the article joined in,
    # SQLite's planner starts from the article table and sorts every quote it finds.
    driver = "entity_0" if "entity_0" in names and not names & {"quote_speakers", "article_ids", "search"} else None
    if driver is None:
        article_ok = sa.exists().where(a.c.id == q.c.article_id, *article_conditions(names))
        page = sa.select(q.c.id).where(article_ok)
        time_col = q.c.published_at
    else:
        # Quotes from the stories of one entity: its mentions are walked newest first and each story's
        # quotes taken, rather than every quote walked to find a rare entity's stories (see `_summaries`).
        rows = mention_table.alias("driver")
        article_ok = sa.exists().where(a.c.id == q.c.article_id, *article_conditions(names - {driver}))
        page = (
            sa.select(q.c.id)
            .select_from(rows.join(q, q.c.article_id == rows.c.article_id))
            .where(rows.c.entity_id == bound(driver), article_ok)
            .distinct()
        )
        time_col = rows.c.published_at
    if "quote_speakers" in names:
        page = page.where(q.c.speaker_id.in_(bound("quote_speakers")))
    if "kinds" in names:
        page = page.where(q.c.kind.in_(bound("kinds")))
    if "article_ids" in names:
        # Named articles are few: reach their quotes through the article index instead.
        page = page.where(q.c.article_id.in_(sa.select(a.c.id).where(a.c.public_id.in_(bound("article_ids")))))
    if "quote_published_from" in names:
        page = page.where(q.c.published_at >= bound("quote_published_from"))
    if "quote_published_to" in names:
        page = page.where(q.c.published_at < bound("quote_published_to"))
    page, key = search_join(page, sort, dialect if search else None, "quote", q.c.id, time_col)
    chosen = keyset(page.add_columns(key.label("sort_key")), key, q.c.id, sort=sort, after="after_key" in names)
    found = chosen.subquery("page")
    stmt = _with_article(dialect).add_columns(found.c.sort_key).join(found, found.c.id == q.c.id)
    return stmt.order_by(*page_order(found.c.sort_key, q.c.id, sort))


async def list_json(
    session: DbSession, *, filters: QuoteFilters, sort: Sort, cursor: str | None, limit: int
) -> tuple[list[str], str | None]:
    """A page of quotes as our JSON, each as the database wrote it (see `_public_json`); and the next cursor."""
    sort = effective_sort(sort, filters.search)
    params = {
        **quote_params(filters, utcnow()),
        **search_params(filters.search),
        **keyset_params(sort, cursor, limit),
    }
    stmt = _quotes(frozenset(params), sort, session.get_bind().dialect.name, filters.search is not None)
    rows = (await session.execute(stmt, params)).all()
    more = len(rows) > limit
    next_cursor = encode_cursor(sort.value, [rows[limit - 1].sort_key, rows[limit - 1].id]) if more else None
    return [row.quote_json for row in rows[:limit]], next_cursor


async def list_quotes(
    session: DbSession, *, filters: QuoteFilters, sort: Sort, cursor: str | None, limit: int
) -> tuple[list[QuotePublic], str | None]:
    texts, next_cursor = await list_json(session, filters=filters, sort=sort, cursor=cursor, limit=limit)
    return [QuotePublic.model_validate_json(text) for text in texts], next_cursor


@lru_cache(maxsize=8)
def _quote(names: frozenset[str], dialect: str) -> sa.Select[Any]:
    return _with_article(dialect).where(q.c.id == bound("quote_id"), *view_conditions(names))


async def get_quote(session: DbSession, quote_id: int, view: View = View()) -> QuotePublic:
    params = {"quote_id": quote_id, **view.params(utcnow())}
    stmt = _quote(frozenset(params), session.get_bind().dialect.name)
    row = (await session.execute(stmt, params)).one_or_none()
    if row is None:
        raise NotFound(f"No quote with id {quote_id}.")
    return QuotePublic.model_validate_json(row.quote_json)


async def correct_quote(session: DbSession, quote_id: int, patch: QuotePatch, *, now: datetime) -> QuotePublic:
    """Apply an editor's correction; the quote becomes editor-attributed with full confidence."""
    # The article's row is locked first, as every writer of its quotes does (ingest, kills, merges):
    # PostgreSQL locks the rows of a join in the order of its FROM list.
    row = (
        await session.execute(
            sa.select(
                q.c.id, q.c.text, q.c.paragraph, q.c.speaker_id, a.c.body, a.c.status, a.c.public_id, a.c.section_id
            )
            .select_from(a)
            .join(q, a.c.id == q.c.article_id)
            .where(q.c.id == quote_id)
            .with_for_update()
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"No quote with id {quote_id}.")
    values: dict[str, Any] = {"method": AttributionMethod.editor.value, "confidence": 1.0}
    if patch.text is not None:
        place = next(
            (
                (index, start)
                for index in [row.paragraph, *range(len(row.body))]
                if index < len(row.body) and (start := row.body[index].find(patch.text)) >= 0
            ),
            None,
        )
        if place is None:
            raise InvalidBody("text", "the corrected text does not occur in the article's body")
        values |= {
            "text": patch.text,
            "paragraph": place[0],
            "start_offset": place[1],
            "end_offset": place[1] + len(patch.text),
        }
    if patch.speaker_id is not None:
        speaker = (
            await session.execute(sa.select(e.c.id, e.c.title, e.c.merged_into_id).where(e.c.id == patch.speaker_id))
        ).one_or_none()
        if speaker is None:
            raise InvalidBody("speaker_id", f"no entity with id {patch.speaker_id}")
        values |= {"speaker_id": speaker.merged_into_id or speaker.id, "speaker_title": speaker.title}
    if patch.kind is not None:
        values["kind"] = patch.kind.value
    await session.execute(sa.update(q).where(q.c.id == quote_id).values(**values))
    if patch.text is not None:
        await search.index_quotes(session, [(quote_id, patch.text)])
    if "speaker_id" in values:
        tally = counters.Tally()
        tally.story(-1, status=row.status, section_id=row.section_id, speakers=[row.speaker_id], mentioned=[])
        tally.story(1, status=row.status, section_id=row.section_id, speakers=[values["speaker_id"]], mentioned=[])
        await counters.apply(session, tally)
    event = Event(
        ChangeObject.quote,
        str(quote_id),
        ChangeAction.corrected,
        section_id=row.section_id,
        detail={"article": row.public_id},
        # The speaker it had no longer has it: its lists changed too.
        shown_before=frozenset([row.speaker_id]) if row.speaker_id is not None else frozenset(),
    )
    await record(session, [event], now=now)
    return await get_quote(session, quote_id)
