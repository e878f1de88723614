"""Reading articles: summaries for lists, the full story for one."""

from dataclasses import replace
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from app.db import DbSession
from app.errors import NotFound
from app.models import (
    ArticleExpanded,
    ArticlePublic,
    ArticleStatus,
    ArticleSummary,
    EntityRef,
    MentionPublic,
    Provenance,
    SectionRef,
    VersionPublic,
    VersionSummary,
    article_agency_table,
    article_version_table,
    entity_table,
    mention_table,
    quote_table,
    utcnow,
)
from app.pagination import Sort, encode_cursor, keyset, keyset_params, page_order
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
    json_column,
    json_object,
    json_text,
    json_time,
    s,
    search_join,
    search_params,
    view_conditions,
)
from app.services.quotes import quotes_json
from app.services.search import few_hits

_QUOTE_COUNT = sa.select(sa.func.count()).where(quote_table.c.article_id == a.c.id).scalar_subquery()


def _agencies(dialect: str) -> sa.ColumnElement[Any]:
    """An article's credited agencies as a JSON array in credit order."""
    aa, e = article_agency_table, entity_table
    agency = json_object(dialect, fields_of(EntityRef, e.c))
    credits = sa.select().select_from(aa.join(e, e.c.id == aa.c.entity_id)).where(aa.c.article_id == a.c.id)
    return json_array(dialect, agency, credits.correlate(a), aa.c.position)


def _entities(dialect: str) -> sa.ColumnElement[Any]:
    """What an article mentions as a JSON array of `MentionPublic`, most named first."""
    m, e = mention_table, entity_table
    entity = json_object(dialect, fields_of(EntityRef, e.c))
    mention = json_object(dialect, fields_of(MentionPublic, m.c, {"entity": entity}))
    rows = sa.select().select_from(m.join(e, e.c.id == m.c.entity_id)).where(m.c.article_id == a.c.id)
    return json_array(dialect, mention, rows.correlate(a), m.c.count.desc(), e.c.id, m.c.role)


@lru_cache(maxsize=2)
def _summary_fields(dialect: str) -> dict[str, sa.ColumnElement[Any]]:
    """`ArticleSummary`'s fields in its order, each as the database writes it in JSON."""
    made: dict[str, sa.ColumnElement[Any]] = {
        "id": a.c.public_id,
        "section": json_object(dialect, fields_of(SectionRef, s.c)),
        "agencies": _agencies(dialect),
        "published_at": json_time(a.c.published_at, dialect),
        "updated_at": json_time(a.c.updated_at, dialect),
        "quote_count": _QUOTE_COUNT,
    }
    return fields_of(ArticleSummary, a.c, made)


@lru_cache(maxsize=8)
def _summary(dialect: str, expand: frozenset[str]) -> sa.Label[str]:
    """An article's summary as JSON text, made by the database with `ArticleSummary`'s fields in its order,
    and the quotes or entities `expand` asks for after them, as `ArticleExpanded` has them.

    A page of a list is then its rows' texts put side by side: no Python object per story, which
    cost more than the statement itself (see docs/performance.md). Other representations parse it.
    """
    fields = dict(_summary_fields(dialect))
    if "quotes" in expand:
        fields["quotes"] = quotes_json(dialect)
    if "entities" in expand:
        fields["entities"] = _entities(dialect)
    return json_text(json_object(dialect, fields), dialect).label("summary_json")


@lru_cache(maxsize=2)
def _whole(dialect: str) -> sa.Label[str]:
    """An article with its body, quotes and entities as JSON text, `ArticlePublic`'s fields in its order:
    one statement for the whole page, and nothing for Python to build."""
    made = {
        **_summary_fields(dialect),
        "paragraphs": json_column(a.c.body, dialect),
        "images": json_column(a.c.images, dialect),
        "provenance": json_object(dialect, fields_of(Provenance, a.c)),
        "quotes": quotes_json(dialect),
        "entities": _entities(dialect),
    }
    return json_text(json_object(dialect, fields_of(ArticlePublic, a.c, made)), dialect).label("article_json")


def _driver(names: frozenset[str]) -> tuple[sa.Table, str, str] | None:
    """The rows to read a page from when one entity must be in every story: its mentions, its quotes
    or its credits (table, entity column, parameter)."""
    for name in ("mentions_entity", "entity_0"):
        if name in names:
            return mention_table, "entity_id", name
    if "speaker" in names:
        return quote_table, "speaker_id", "speaker"
    if "agency" in names:
        return article_agency_table, "entity_id", "agency"
    return None


@lru_cache(maxsize=512)
def _summaries(names: frozenset[str], sort: Sort, dialect: str, search: bool, expand: frozenset[str]) -> sa.Select[Any]:
    """A page of summaries, for one shape of filters: the parameters `names` (see `article_params`),
    the order, the database, whether there is a search query and what each summary embeds."""
    # The page is chosen first and only its rows are dressed (section, quote count): SQLite works out
    # the select list of every candidate row before it sorts them.
    driver = _driver(names) if not search else None
    if driver is None:
        page = sa.select(a.c.id).where(*article_conditions(names))
        dialect_searched = dialect if search else None
        page, key = search_join(page, sort, dialect_searched, "article", a.c.id, a.c.published_at, walk=True)
        id_col = a.c.id
    else:
        # The stories of one entity (speaker, agency) are read from its own rows, newest first, each
        # tested against the other conditions: walking every story to find a rare entity's few
        # cost a scan of the archive. Several mentions (roles) or quotes of a story count once.
        table, column, name = driver
        rows = table.alias("driver")
        story = sa.exists().where(a.c.id == rows.c.article_id, *article_conditions(names - {name}))
        page = sa.select(rows.c.article_id.label("id")).where(rows.c[column] == bound(name), story).distinct()
        key, id_col = rows.c.published_at, rows.c.article_id
    chosen = keyset(page.add_columns(key.label("sort_key")), key, id_col, sort=sort, after="after_key" in names)
    found = chosen.subquery("page")
    return (
        sa.select(a.c.id.label("row_id"), _summary(dialect, expand), found.c.sort_key)
        .join(found, found.c.id == a.c.id)
        .join(s, s.c.id == a.c.section_id)
        .order_by(*page_order(found.c.sort_key, a.c.id, sort))
    )


# Up to this many hits, a search list reads its stories by id (see `_page`).
_FEW_HITS = 1_000


async def _page(
    session: DbSession, filters: ArticleFilters, sort: Sort, cursor: str | None, limit: int, expand: frozenset[str]
) -> list[Any]:
    """The rows of a page and one more (if there is one), in order."""
    params = {
        **article_params(filters, utcnow()),
        **search_params(filters.search),
        **keyset_params(sort, cursor, limit),
    }
    search = filters.search
    if search is not None and sort is not Sort.relevance:
        # A query with few hits is a list of ids like any other filter: their stories are fetched and
        # sorted. With many, the stories are walked in time order against the hits and a page found
        # soon (see `search_join`); with few, that walk would go through the whole archive.
        hit_ids = await few_hits(session, search, "article", _FEW_HITS)
        if hit_ids == []:
            return []
        if hit_ids is not None:
            del params["search"]
            params["hit_ids"] = hit_ids
            search = None
    names = frozenset(params)
    statuses = tuple(dict.fromkeys(filters.statuses))  # a status asked for twice is read once
    if len(statuses) > 1 and filters.search is None and _driver(names) is None:
        # One walk per status, each in publication order on the (status, published_at) index and
        # stopping after a page, merged here: with an IN of several statuses (a feed shows killed
        # stories too) both databases collect and sort every match of the other filters first.
        # (A list read from one entity's rows walks those in order instead, whatever the statuses.)
        rows = []
        for status in statuses:
            rows += await _page(session, replace(filters, statuses=(status,)), sort, cursor, limit, expand)
        rows.sort(key=lambda row: (row.sort_key, row.row_id), reverse=sort is not Sort.oldest)
        return rows[: limit + 1]
    stmt = _summaries(names, sort, session.get_bind().dialect.name, search is not None, expand)
    return list((await session.execute(stmt, params)).all())


async def list_json(
    session: DbSession,
    *,
    filters: ArticleFilters,
    sort: Sort,
    cursor: str | None,
    limit: int,
    expand: frozenset[str] = frozenset(),
) -> tuple[list[str], str | None]:
    """A page of summaries as our JSON, each as the database wrote it (see `_summary`), with the
    quotes or entities `expand` asks for; and the next cursor."""
    sort = effective_sort(sort, filters.search)
    rows = await _page(session, filters, sort, cursor, limit, expand)
    more = len(rows) > limit
    next_cursor = encode_cursor(sort.value, [rows[limit - 1].sort_key, rows[limit - 1].row_id]) if more else None
    return [row.summary_json for row in rows[:limit]], next_cursor


async def list_articles(
    session: DbSession,
    *,
    filters: ArticleFilters,
    sort: Sort,
    cursor: str | None,
    limit: int,
    expand: frozenset[str] = frozenset(),
) -> tuple[list[ArticleSummary], str | None]:
    """A page of summaries as models (for the formats that are not our JSON); see `list_json`."""
    texts, next_cursor = await list_json(session, filters=filters, sort=sort, cursor=cursor, limit=limit, expand=expand)
    model = ArticleExpanded if expand else ArticleSummary
    return [model.model_validate_json(text) for text in texts], next_cursor


@lru_cache(maxsize=8)
def _article(names: frozenset[str], dialect: str) -> sa.Select[Any]:
    """One article with everything its page shows, for a view with these parameters (see `View.params`)."""
    return (
        sa.select(_whole(dialect))
        .join(s, s.c.id == a.c.section_id)
        .where(a.c.public_id == bound("public_id"), *view_conditions(names))
    )


async def article_json(session: DbSession, public_id: str, view: View = View()) -> str:
    """One article as our JSON, as the database wrote it (see `_whole`)."""
    params = {"public_id": public_id, **view.params(utcnow())}
    stmt = _article(frozenset(params), session.get_bind().dialect.name)
    found: str | None = (await session.execute(stmt, params)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"No article with id {public_id!r}.")
    return found


async def get_article(session: DbSession, public_id: str, view: View = View()) -> ArticlePublic:
    return ArticlePublic.model_validate_json(await article_json(session, public_id, view))


_WITHHELD_FROM_KILLED = ("paragraphs", "summary", "images")


async def _article_row(session: DbSession, public_id: str, view: View) -> Any:
    params = {"public_id": public_id, **view.params(utcnow())}
    conditions = view_conditions(frozenset(params))
    found = sa.select(a.c.id, a.c.status).where(a.c.public_id == bound("public_id"), *conditions)
    row = (await session.execute(found, params)).one_or_none()
    if row is None:
        raise NotFound(f"No article with id {public_id!r}.")
    return row


async def list_versions(session: DbSession, public_id: str, view: View = View()) -> list[VersionSummary]:
    row = await _article_row(session, public_id, view)
    v = article_version_table
    rows = await session.execute(
        sa.select(v.c.version, v.c.change, v.c.changed_fields, v.c.created_at)
        .where(v.c.article_id == row.id)
        .order_by(v.c.version)
    )
    return [VersionSummary.model_validate(r, from_attributes=True) for r in rows]


async def get_version(session: DbSession, public_id: str, version: int, view: View = View()) -> VersionPublic:
    row = await _article_row(session, public_id, view)
    v = article_version_table
    found = (
        await session.execute(
            sa.select(v.c.version, v.c.change, v.c.changed_fields, v.c.created_at, v.c.content).where(
                v.c.article_id == row.id, v.c.version == version
            )
        )
    ).one_or_none()
    if found is None:
        raise NotFound(f"Article {public_id!r} has no version {version}.")
    content = dict(found.content)
    if row.status == ArticleStatus.canceled.value:
        for key in _WITHHELD_FROM_KILLED:
            content.pop(key, None)
    return VersionPublic(
        version=found.version,
        change=found.change,
        changed_fields=found.changed_fields,
        created_at=found.created_at,
        content=content,
    )
