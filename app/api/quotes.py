from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from app.api.auth import IngestKey
from app.api.deps import MAX_ID, IfMatch, PageDep, QueryModelRoute, QuoteFiltersDep, ViewDep, require_unchanged
from app.db import SessionDep, WriteSessionDep
from app.errors import problem_responses
from app.models import ChangeObject, QuotePatch, QuotePublic, utcnow
from app.pagination import Page, json_page
from app.services import quotes

router = APIRouter(prefix="/quotes", tags=["quotes"], route_class=QueryModelRoute)


@router.get("", summary="List quotes", response_model=Page[QuotePublic], responses=problem_responses(422, 503))
async def list_quotes(request: Request, session: SessionDep, filters: QuoteFiltersDep, page: PageDep) -> Response:
    """Quotes from usable articles, newest article first, each with its speaker and its article.
    Filter by speaker, kind, article, and by the article's section, time, language and mentioned
    entities."""
    texts, cursor = await quotes.list_json(
        session, filters=filters, sort=page.sort, cursor=page.cursor, limit=page.limit
    )
    return json_page(request, texts, cursor)


@router.get("/{quote_id}", summary="Get a quote", responses=problem_responses(404, 422, 503))
async def get_quote(
    quote_id: Annotated[int, Path(ge=1, le=MAX_ID, description="Quote id.", examples=[101])],
    session: SessionDep,
    view: ViewDep,
) -> QuotePublic:
    """One quote with its speaker (and the title the speaker had at the time) and its article."""
    return await quotes.get_quote(session, quote_id, view)


@router.patch("/{quote_id}", summary="Correct a quote", responses=problem_responses(401, 403, 404, 412, 422, 503))
async def correct_quote(
    quote_id: Annotated[int, Path(ge=1, le=MAX_ID, description="Quote id.", examples=[101])],
    patch: QuotePatch,
    session: WriteSessionDep,
    key: IngestKey,
    if_match: IfMatch = None,
) -> QuotePublic:
    """Fix a quote's text (it must occur in the body), speaker or kind. The quote becomes editor-attributed,
    and the correction survives re-extraction of later versions while its text is still in the story."""
    await require_unchanged(session, if_match, ChangeObject.quote, str(quote_id))
    return await quotes.correct_quote(session, quote_id, patch, now=utcnow())
