from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from app.api.deps import ArticleFiltersDep, ArticleId, PageDep
from app.db import SessionDep
from app.errors import problem_responses
from app.models import ArticlePublic, ArticleSummary
from app.pagination import Page, next_link
from app.services import articles

router = APIRouter(prefix="/articles", tags=["articles"])

ArticlePath = Annotated[ArticleId, Path(description="Article id.", examples=["k3v7q2m9x4p8r6t1"])]


@router.get("", summary="List articles", responses=problem_responses(422, 503))
async def list_articles(
    request: Request, response: Response, session: SessionDep, filters: ArticleFiltersDep, page: PageDep
) -> Page[ArticleSummary]:
    """Article summaries, newest first by default, filtered by section, time, entity, speaker, language,
    agency and status. Filters combine (AND); a repeated parameter matches any of its values.
    Follow `next_cursor` or the `Link: rel=next` header for the next page; cursors stay valid while
    new stories arrive."""
    items, cursor = await articles.list_articles(
        session, filters=filters, sort=page.sort, cursor=page.cursor, limit=page.limit
    )
    response.headers.update(next_link(request.url, cursor))
    return Page(items=items, next_cursor=cursor)


@router.get("/{article_id}", summary="Get an article", responses=problem_responses(404, 422, 503))
async def get_article(article_id: ArticlePath, session: SessionDep) -> ArticlePublic:
    """One article with its body paragraphs, its quotes (with speakers, in body order), the entities it
    mentions, its section and its translation provenance."""
    return await articles.get_article(session, article_id)
