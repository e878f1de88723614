from collections.abc import Sequence
from dataclasses import replace
from enum import StrEnum
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request, Response

from app.api.deps import ArticleFiltersDep, QueryModelRoute
from app.api.formats import LIST_RESPONSES, Format, render_list
from app.db import SessionDep
from app.errors import problem_responses
from app.models import (
    ArticleHit,
    ArticleSummary,
    EntityHit,
    Highlight,
    HitGroup,
    QuoteHit,
    SearchResults,
    article_table,
)
from app.pagination import Sort
from app.search.highlight import snippet
from app.search.query import terms
from app.services import articles, entities, quotes, search
from app.services.quotes import QuoteFilters

router = APIRouter(tags=["search"], route_class=QueryModelRoute)


class Kind(StrEnum):
    articles = "articles"
    quotes = "quotes"
    entities = "entities"


class SearchFormat(StrEnum):
    json = "json"
    ninjs = "ninjs"
    jsonfeed = "jsonfeed"
    atom = "atom"


def _highlight(
    field: str, text: str | None, wanted: Sequence[tuple[str, bool]], paragraph: int | None = None
) -> Highlight | None:
    found = snippet(text, wanted) if text else None
    if found is None:
        return None
    return Highlight(
        field=field,
        paragraph=paragraph,
        text=found.text,
        offset=found.offset,
        matches=[(m.start, m.end) for m in found.matches],
    )


async def _article_hits(
    session: SessionDep, items: list[ArticleSummary], wanted: Sequence[tuple[str, bool]]
) -> list[ArticleHit]:
    bodies = {
        row.public_id: row.body
        for row in await session.execute(
            sa.select(article_table.c.public_id, article_table.c.body).where(
                article_table.c.public_id.in_([item.id for item in items])
            )
        )
    }
    hits = []
    for item in items:
        marks = [_highlight("headline", item.headline, wanted), _highlight("summary", item.summary, wanted)]
        marks += [_highlight("paragraph", text, wanted, n) for n, text in enumerate(bodies.get(item.id, []))]
        found = [mark for mark in marks if mark is not None]
        # The headline (if it matched) and the best paragraph are enough to show why.
        paragraphs = sorted((m for m in found if m.field == "paragraph"), key=lambda m: -len(m.matches))[:1]
        hits.append(ArticleHit(article=item, highlights=[m for m in found if m.field != "paragraph"] + paragraphs))
    return hits


def _more(request: Request, path: str, q: str, *, by_relevance: bool = True) -> str:
    """The full list behind a group of hits (entities have no relevance order)."""
    url = request.url.replace(path=path, query="").include_query_params(q=q)
    return str(url.include_query_params(sort="relevance") if by_relevance else url)


@router.get(
    "/search",
    summary="Search articles, quotes and sources",
    response_model=SearchResults,
    responses={**LIST_RESPONSES, **problem_responses(422, 503)},
)
async def search_all(
    request: Request,
    session: SessionDep,
    filters: ArticleFiltersDep,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=500,
            description='Words, "exact phrase", OR, -exclude, prefix*.',
            examples=["الموازنة -الضرائب"],
        ),
    ],
    type: Annotated[list[Kind], Query(description="Which kinds of result; repeatable. Default: all three.")] = [],
    limit: Annotated[int, Query(ge=1, le=50, description="Results per kind, 1 to 50.")] = 5,
    format: Annotated[
        SearchFormat | None,
        Query(description="json (default); ninjs, jsonfeed or atom: the matching articles in that format."),
    ] = None,
) -> SearchResults | Response:
    """The most relevant articles (headline weighs more than body), quotes and sources for a query, with the
    matching excerpts and their offsets. Article filters (section, dates, language, entity…) narrow articles
    and quotes. Each kind links to its full list, sorted by relevance and paged by cursor."""
    # The article filters already read `q` (required here): parsed once, for the database in use.
    found = filters.search
    assert found is not None
    kinds = set(type) or set(Kind)
    if format in (SearchFormat.ninjs, SearchFormat.jsonfeed, SearchFormat.atom):
        items, cursor = await articles.list_articles(
            session, filters=filters, sort=Sort.relevance, cursor=None, limit=limit
        )
        return render_list(request, items, None, Format(format.value), None, title=f"Search: {q}")
    wanted = terms(found.query)
    results = SearchResults(query=q, articles=None, quotes=None, entities=None)
    if Kind.articles in kinds:
        items, cursor = await articles.list_articles(
            session, filters=filters, sort=Sort.relevance, cursor=None, limit=limit
        )
        results.articles = HitGroup[ArticleHit](
            items=await _article_hits(session, items, wanted),
            more=_more(request, "/v1/articles", q) if cursor else None,
        )
    if Kind.quotes in kinds:
        quote_filters = QuoteFilters(article=replace(filters, search=None), search=found)
        found_quotes, cursor = await quotes.list_quotes(
            session, filters=quote_filters, sort=Sort.relevance, cursor=None, limit=limit
        )
        results.quotes = HitGroup[QuoteHit](
            items=[
                QuoteHit(quote=quote, highlights=[h for h in [_highlight("text", quote.text, wanted)] if h])
                for quote in found_quotes
            ],
            more=_more(request, "/v1/quotes", q) if cursor else None,
        )
    if Kind.entities in kinds:
        scores = await search.similar_entities(session, q)
        live = await entities.entities_by_id(session, list(scores))
        best = sorted(live, key=lambda entity_id: (-scores[entity_id], entity_id))[:limit]
        results.entities = HitGroup[EntityHit](
            items=[EntityHit(entity=live[i], similarity=round(scores[i], 4)) for i in best],
            more=_more(request, "/v1/entities", q, by_relevance=False) if len(live) > limit else None,
        )
    return results
