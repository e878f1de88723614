"""Feeds for feed readers and CMS imports: a section's or an entity's stories as JSON Feed or Atom."""

from dataclasses import replace
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from app.api.deps import ArticleFiltersDep, QueryModelRoute, Slug
from app.api.entities import EntityPath
from app.api.formats import FEED_RESPONSES, Format, render_list
from app.db import SessionDep
from app.errors import problem_responses
from app.models import ArticleStatus
from app.pagination import DEFAULT_LIMIT, MAX_LIMIT, Sort
from app.services import articles, entities, sections
from app.services.common import ArticleFilters

router = APIRouter(tags=["feeds"], route_class=QueryModelRoute)

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
    return render_list(request, items, next_cursor, fmt, None, title=title)


class FeedType(StrEnum):
    json = "json"
    atom = "atom"


_FORMATS = {FeedType.json: Format.jsonfeed, FeedType.atom: Format.atom}
FeedTypePath = Annotated[FeedType, Path(description="json for JSON Feed 1.1, atom for Atom 1.0.")]


@router.get(
    "/sections/{slug}/feed.{kind}",
    summary="A section as JSON Feed or Atom",
    response_class=Response,
    responses=_RESPONSES,
)
async def section_feed(
    request: Request,
    slug: SlugPath,
    kind: FeedTypePath,
    session: SessionDep,
    filters: ArticleFiltersDep,
    cursor: FeedCursor = None,
    limit: FeedLimit = DEFAULT_LIMIT,
) -> Response:
    """The section's newest stories (children included): `feed.json` as JSON Feed 1.1, `feed.atom` as
    Atom 1.0, where killed stories appear as RFC 6721 deleted entries. Takes the article list's filters."""
    section = await sections.get_section(session, slug)
    title = f"{section.name_ar} · {section.name_en}"
    return await _feed(request, session, replace(filters, sections=[slug]), _FORMATS[kind], title, cursor, limit)


@router.get(
    "/entities/{entity_id}/feed.{kind}",
    summary="An entity's stories as JSON Feed or Atom",
    response_class=Response,
    responses=_RESPONSES,
)
async def entity_feed(
    request: Request,
    entity_id: EntityPath,
    kind: FeedTypePath,
    session: SessionDep,
    filters: ArticleFiltersDep,
    cursor: FeedCursor = None,
    limit: FeedLimit = DEFAULT_LIMIT,
) -> Response:
    """Stories that mention the entity, newest first: `feed.json` as JSON Feed 1.1, `feed.atom` as Atom 1.0
    with tombstones for killed stories. Takes the article list's filters."""
    entity = await entities.ensure_entity(session, entity_id)
    title = " · ".join(name for name in (entity.name_ar, entity.name_en) if name)
    filters = replace(filters, mentions_entity=entity_id)
    return await _feed(request, session, filters, _FORMATS[kind], title, cursor, limit)
