from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Request, Response
from pydantic import ValidationError

from app.api.auth import IngestKey
from app.api.deps import (
    MAX_ID,
    STORY_BODY,
    ArticleFiltersDep,
    ArticleId,
    CatalogueDep,
    GuidQuery,
    IfMatch,
    PageDep,
    QueryModelRoute,
    ViewDep,
    require_unchanged,
)
from app.api.formats import (
    ITEM_FORMATS,
    ITEM_RESPONSES,
    LIST_FORMATS,
    LIST_RESPONSES,
    ExpandQuery,
    Format,
    ItemFieldsQuery,
    ItemFormatQuery,
    ListFieldsQuery,
    ListFormatQuery,
    expand_set,
    field_set,
    negotiate,
    render_article,
    render_list,
)
from app.db import SessionDep, WriteSessionDep
from app.errors import InvalidBody, invalid_body, problem_responses
from app.models import (
    ArticleCreate,
    ArticleExpanded,
    ArticlePatch,
    ArticlePublic,
    ArticleSummary,
    ChangeKind,
    ChangeObject,
    SaveOutcome,
    VersionPublic,
    VersionSummary,
    utcnow,
)
from app.pagination import Page, json_page
from app.pipeline.read import read_story
from app.services import articles, ingest

router = APIRouter(prefix="/articles", tags=["articles"], route_class=QueryModelRoute)

ArticlePath = Annotated[ArticleId, Path(description="Article id.", examples=["k3v7q2m9x4p8r6t1"])]


@router.get(
    "",
    summary="List articles",
    response_model=Page[ArticleSummary],
    responses={**LIST_RESPONSES, **problem_responses(422, 503)},
)
async def list_articles(
    request: Request,
    session: SessionDep,
    filters: ArticleFiltersDep,
    page: PageDep,
    format: ListFormatQuery = None,
    fields: ListFieldsQuery = None,
    expand: ExpandQuery = None,
) -> Response:
    """Article summaries, newest first by default, filtered by section, time, entity, speaker, language,
    agency and status. Filters combine (AND); a repeated parameter matches any of its values.
    Follow `next_cursor` or the `Link: rel=next` header for the next page; cursors stay valid while
    new stories arrive. Also as ninjs, JSON Feed or Atom (`format=` or Accept); `expand=quotes,entities`
    embeds them in each item and `fields=` keeps only the fields named."""
    fmt = negotiate(request, format, LIST_FORMATS)
    wanted = field_set(fields, ArticleExpanded)
    expanded = expand_set(expand)
    if fmt is Format.json and wanted is None:
        texts, cursor = await articles.list_json(
            session, filters=filters, sort=page.sort, cursor=page.cursor, limit=page.limit, expand=expanded
        )
        return json_page(request, texts, cursor)
    items, cursor = await articles.list_articles(
        session, filters=filters, sort=page.sort, cursor=page.cursor, limit=page.limit, expand=expanded
    )
    return render_list(request, items, cursor, fmt, wanted)


@router.get(
    "/{article_id}",
    summary="Get an article",
    response_model=ArticlePublic,
    responses={**ITEM_RESPONSES, **problem_responses(404, 422, 503)},
)
async def get_article(
    request: Request,
    article_id: ArticlePath,
    session: SessionDep,
    view: ViewDep,
    format: ItemFormatQuery = None,
    fields: ItemFieldsQuery = None,
) -> Response:
    """One article with its body paragraphs, its quotes (with speakers, in body order), the entities it
    mentions, its section and its translation provenance. Also as ninjs or schema.org JSON-LD
    (`format=` or Accept); `fields=` keeps only the fields named."""
    fmt = negotiate(request, format, ITEM_FORMATS)
    wanted = field_set(fields, ArticlePublic)
    if fmt is Format.json and wanted is None:
        return Response(await articles.article_json(session, article_id, view), media_type="application/json")
    article = await articles.get_article(session, article_id, view)
    return render_article(request, article, fmt, wanted)


@router.post(
    "",
    summary="Send a story",
    status_code=201,
    responses={
        200: {"model": SaveOutcome, "description": "A new version, or unchanged content."},
        **problem_responses(401, 403, 409, 413, 415, 422, 503),
    },
    openapi_extra=STORY_BODY,
)
async def create_article(
    request: Request,
    response: Response,
    session: WriteSessionDep,
    key: IngestKey,
    catalogue: CatalogueDep,
    guid: GuidQuery = None,
) -> SaveOutcome:
    """Create a story, or a new version of it when its guid is known and its content changed; resending the
    same content changes nothing. The body is read by its Content-Type: `application/json` (our format),
    `application/ninjs+json` or `text/plain`. Quotes, speakers and mentioned entities are extracted by the
    service. Needs a key with the `ingest` scope."""
    story = read_story(
        await request.body(),
        request.headers.get("content-type"),
        guid=guid,
        timezone=ZoneInfo(request.app.state.settings.page_timezone),
    )
    result = await ingest.save_story(session, story, now=utcnow(), memory=catalogue)
    if result.status != "created":
        response.status_code = 200
    response.headers["Location"] = f"/v1/articles/{result.article_id}"
    return SaveOutcome(status=result.status, id=result.article_id, version=result.version)


@router.patch(
    "/{article_id}", summary="Correct a story", responses=problem_responses(401, 403, 404, 409, 412, 422, 503)
)
async def correct_article(
    article_id: ArticlePath,
    patch: ArticlePatch,
    session: WriteSessionDep,
    key: IngestKey,
    catalogue: CatalogueDep,
    if_match: IfMatch = None,
) -> SaveOutcome:
    """Change the given fields; the result is a new version with change `corrected` (quotes are extracted
    again when the body changes, and editors' quote corrections survive while their text remains)."""
    await require_unchanged(session, if_match, ChangeObject.article, article_id)
    story = await ingest.current_content(session, article_id)
    changes = patch.model_dump(mode="json", exclude_unset=True)
    for name, value in changes.items():
        if value is None and name not in ("summary", "byline", "desk", "dateline", "updated_at", "embargoed"):
            raise InvalidBody(name, "cannot be null")
    try:
        corrected = ArticleCreate.model_validate({**story.model_dump(mode="json"), **changes})
    except ValidationError as exc:
        raise invalid_body(exc) from exc
    result = await ingest.save_story(session, corrected, now=utcnow(), change=ChangeKind.corrected, memory=catalogue)
    return SaveOutcome(status=result.status, id=result.article_id, version=result.version)


@router.delete("/{article_id}", summary="Kill a story", responses=problem_responses(401, 403, 404, 412, 422, 503))
async def kill_article(
    article_id: ArticlePath, session: WriteSessionDep, key: IngestKey, if_match: IfMatch = None
) -> SaveOutcome:
    """Cancel the story: it leaves every list, its body, quotes and mentions are no longer served, and its
    tombstone (id, guid, headline, status `canceled`) stays. A killed story cannot be revived."""
    await require_unchanged(session, if_match, ChangeObject.article, article_id)
    result = await ingest.kill_story(session, article_id, now=utcnow())
    return SaveOutcome(status=result.status, id=result.article_id, version=result.version)


@router.get("/{article_id}/versions", summary="List a story's versions", responses=problem_responses(404, 422, 503))
async def list_article_versions(article_id: ArticlePath, session: SessionDep, view: ViewDep) -> Page[VersionSummary]:
    """Every version of the story, oldest first, with what kind of change made it and which fields changed."""
    return Page(items=await articles.list_versions(session, article_id, view), next_cursor=None)


@router.get(
    "/{article_id}/versions/{version}",
    summary="Get one version of a story",
    responses=problem_responses(404, 422, 503),
)
async def get_article_version(
    article_id: ArticlePath,
    version: Annotated[int, Path(ge=1, le=MAX_ID, description="Version number.", examples=[1])],
    session: SessionDep,
    view: ViewDep,
    request: Request,
    response: Response,
) -> VersionPublic:
    """The story as it stood in that version, in the ingest format."""
    # A numbered version no longer changes: caches may keep it long.
    response.headers["Cache-Control"] = request.app.state.settings.cache_control_versions
    return await articles.get_version(session, article_id, version, view)
