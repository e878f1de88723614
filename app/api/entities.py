from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from app.api.auth import IngestKey
from app.api.deps import (
    MAX_ID,
    ArticleFiltersDep,
    IdPageDep,
    IfMatch,
    PageDep,
    QueryModelRoute,
    QuoteFiltersDep,
    require_unchanged,
)
from app.db import SessionDep, WriteSessionDep
from app.errors import problem_responses
from app.models import (
    ArticleSummary,
    ChangeObject,
    EntityKind,
    EntityMerge,
    EntityPatch,
    EntityPublic,
    QuotePublic,
    utcnow,
)
from app.pagination import Page, json_page, next_link
from app.services import articles, entities, quotes
from app.services.entities import EntityFilters

router = APIRouter(prefix="/entities", tags=["entities"], route_class=QueryModelRoute)

EntityPath = Annotated[int, Path(ge=1, le=MAX_ID, description="Entity id.", examples=[7])]


@router.get("", summary="List entities (sources)", responses=problem_responses(422, 503))
async def list_entities(
    request: Request,
    response: Response,
    session: SessionDep,
    page: IdPageDep,
    kind: Annotated[list[EntityKind], Query(description="Entity kind; repeat for any of several.")] = [],
    quoted: Annotated[
        bool | None, Query(description="true: only entities quoted at least once; false: never quoted.")
    ] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="Any name or alias, Arabic or Latin, tolerant of spelling variants of transliterated names "
            "(بيونج يانج / بيونغ يانغ).",
            examples=["بيونغ يانغ"],
        ),
    ] = None,
    name: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description="Name or alias prefix, Arabic or Latin; hamza, diacritics and case are ignored.",
            examples=["الحداد"],
        ),
    ] = None,
) -> Page[EntityPublic]:
    """The entity catalogue (people, organisations, agencies, governments, places and unnamed groups)
    with how often each is quoted and how many articles mention it, in catalogue order."""
    items, cursor = await entities.list_entities(
        session,
        filters=EntityFilters(kinds=kind, quoted=quoted, name_prefix=name, similar_to=q),
        cursor=page.cursor,
        limit=page.limit,
    )
    response.headers.update(next_link(request.url, cursor))
    return Page(items=items, next_cursor=cursor)


@router.get("/{entity_id}", summary="Get an entity", responses=problem_responses(308, 404, 422, 503))
async def get_entity(entity_id: EntityPath, session: SessionDep) -> EntityPublic:
    """One entity with its aliases, title, affiliation and counts."""
    return await entities.get_entity(session, entity_id)


@router.get(
    "/{entity_id}/quotes",
    summary="List an entity's quotes",
    response_model=Page[QuotePublic],
    responses=problem_responses(308, 404, 422, 503),
)
async def list_entity_quotes(
    entity_id: EntityPath,
    request: Request,
    session: SessionDep,
    filters: QuoteFiltersDep,
    page: PageDep,
) -> Response:
    """Quotes attributed to this entity; takes the same filters as the quote list."""
    await entities.ensure_entity(session, entity_id)
    texts, cursor = await quotes.list_json(
        session,
        filters=replace(filters, speakers=[entity_id]),
        sort=page.sort,
        cursor=page.cursor,
        limit=page.limit,
    )
    return json_page(request, texts, cursor)


@router.get(
    "/{entity_id}/articles",
    summary="List an entity's articles",
    response_model=Page[ArticleSummary],
    responses=problem_responses(404, 422, 503),
)
async def list_entity_articles(
    entity_id: EntityPath,
    request: Request,
    session: SessionDep,
    filters: ArticleFiltersDep,
    page: PageDep,
) -> Response:
    """Articles that mention this entity (as speaker, subject or place); takes the same filters as the
    article list."""
    await entities.ensure_entity(session, entity_id)
    texts, cursor = await articles.list_json(
        session,
        filters=replace(filters, mentions_entity=entity_id),
        sort=page.sort,
        cursor=page.cursor,
        limit=page.limit,
    )
    return json_page(request, texts, cursor)


@router.patch("/{entity_id}", summary="Edit an entity", responses=problem_responses(308, 401, 403, 404, 412, 422, 503))
async def update_entity(
    entity_id: EntityPath, patch: EntityPatch, session: WriteSessionDep, key: IngestKey, if_match: IfMatch = None
) -> EntityPublic:
    """Add or remove aliases (Arabic or Latin), set names, title, kind, affiliation or Wikidata QID.
    Later stories resolve speakers by the new names."""
    await require_unchanged(session, if_match, ChangeObject.entity, str(entity_id))
    return await entities.update_entity(session, entity_id, patch, now=utcnow())


@router.post(
    "/{entity_id}/merge",
    summary="Merge an entity into this one",
    responses=problem_responses(308, 401, 403, 404, 412, 422, 503),
)
async def merge_entity(
    entity_id: EntityPath, merge: EntityMerge, session: WriteSessionDep, key: IngestKey, if_match: IfMatch = None
) -> EntityPublic:
    """Move the source entity's quotes, mentions and agency credits here and keep its names as aliases.
    The source then answers 308 with this entity's URL."""
    await require_unchanged(session, if_match, ChangeObject.entity, str(entity_id), str(merge.source_id))
    return await entities.merge_entities(session, entity_id, merge.source_id, now=utcnow())
