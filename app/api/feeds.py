"""Feeds for feed readers and CMS imports: a section's or an entity's stories as JSON Feed or Atom."""

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from app.api.deps import ArticleFiltersDep, Slug
from app.api.entities import EntityPath
from app.api.formats import FEED_RESPONSES, Format, render_list
from app.db import SessionDep
from app.errors import problem_responses
from app.models import ArticleStatus
from app.pagination import DEFAULT_LIMIT, MAX_LIMIT, Sort
from app.services import articles, entities, sections
from app.services.common import ArticleFilters

router = APIRouter(tags=["feeds"])

SlugPath = Annotated[Slug, Path(description="Section slug.", examples=["politics"])]
FeedCursor = Annotated[str | None, Query(max_length=512, description="From the feed's `next` link.")]
FeedLimit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Entries per page, 1 to {MAX_LIMIT}.")]
_RESPONSES = {**FEED_RESPONSES, **problem_responses(404, 422, 503)}
# Killed stories stay in feeds as tombstones (Atom deleted-entry), so readers drop what they imported.
_FEED_STATUSES = (ArticleStatus.usable, ArticleStatus.canceled)


async def _feed(
    request: Request,
    session: SessionDep,
    filters: ArticleFilters,
    fmt: Format,
    title: str,
    cursor: str | None,
    limit: int,
) -> Response:
    items, next_cursor = await articles.list_articles(
        session, filters=replace(filters, statuses=_FEED_STATUSES), sort=Sort.newest, cursor=cursor, limit=limit
    )
    rendered = render_list(request, items, next_cursor, fmt, None, title=title)
    assert rendered is not None
    return rendered


async def _section_title(session: SessionDep, slug: str) -> str:
    section = await sections.get_section(session, slug)
    return f"{section.name_ar} · {section.name_en}"


@router.get(
    "/sections/{slug}/feed.json", summary="A section as JSON Feed", response_class=Response, responses=_RESPONSES
)
async def section_json_feed(
    request: Request,
    slug: SlugPath,
    session: SessionDep,
    filters: ArticleFiltersDep,
    cursor: FeedCursor = None,
    limit: FeedLimit = DEFAULT_LIMIT,
) -> Response:
    """The section's newest stories (children included) as JSON Feed 1.1; takes the article list's filters."""
    title = await _section_title(session, slug)
    return await _feed(request, session, replace(filters, sections=[slug]), Format.jsonfeed, title, cursor, limit)


@router.get("/sections/{slug}/feed.atom", summary="A section as Atom", response_class=Response, responses=_RESPONSES)
async def section_atom_feed(
    request: Request,
    slug: SlugPath,
    session: SessionDep,
    filters: ArticleFiltersDep,
    cursor: FeedCursor = None,
    limit: FeedLimit = DEFAULT_LIMIT,
) -> Response:
    """The section's newest stories as Atom 1.0; killed stories appear as RFC 6721 deleted entries."""
    title = await _section_title(session, slug)
    return await _feed(request, session, replace(filters, sections=[slug]), Format.atom, title, cursor, limit)


async def _entity_title(session: SessionDep, entity_id: int) -> str:
    entity = await entities.get_entity(session, entity_id)
    return " · ".join(name for name in (entity.name_ar, entity.name_en) if name)


@router.get(
    "/entities/{entity_id}/feed.json",
    summary="An entity's stories as JSON Feed",
    response_class=Response,
    responses=_RESPONSES,
)
async def entity_json_feed(
    request: Request,
    entity_id: EntityPath,
    session: SessionDep,
    filters: ArticleFiltersDep,
    cursor: FeedCursor = None,
    limit: FeedLimit = DEFAULT_LIMIT,
) -> Response:
    """Stories that mention the entity, newest first, as JSON Feed 1.1."""
    title = await _entity_title(session, entity_id)
    filters = replace(filters, mentions_entity=entity_id)
    return await _feed(request, session, filters, Format.jsonfeed, title, cursor, limit)


@router.get(
    "/entities/{entity_id}/feed.atom",
    summary="An entity's stories as Atom",
    response_class=Response,
    responses=_RESPONSES,
)
async def entity_atom_feed(
    request: Request,
    entity_id: EntityPath,
    session: SessionDep,
    filters: ArticleFiltersDep,
    cursor: FeedCursor = None,
    limit: FeedLimit = DEFAULT_LIMIT,
) -> Response:
    """Stories that mention the entity, newest first, as Atom 1.0 with tombstones for killed ones."""
    title = await _entity_title(session, entity_id)
    filters = replace(filters, mentions_entity=entity_id)
    return await _feed(request, session, filters, Format.atom, title, cursor, limit)
