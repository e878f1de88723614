"""Answers the database writes as JSON itself hold to the models that document them."""

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from app.db import transaction
from app.models import ArticleExpanded, ArticlePublic, ArticleSummary, QuotePublic, article_table, quote_table
from tests.test_ingest import send, story

pytestmark = pytest.mark.asyncio


async def test_list_items_and_articles_are_what_the_models_write(editor: httpx.AsyncClient, write_app: FastAPI) -> None:
    """The database writes list items and articles as JSON itself: key for key and value for value they
    must be what `ArticleSummary` and `ArticlePublic` write, times (with and without microseconds),
    quotes with and without a speaker, images, agencies and mentions included."""
    sent = story(guid="urn:test:ingest:json-summary", published_at="2026-11-25T09:00:00.250001+03:00", agencies=[])
    created = await send(editor, sent)
    assert created.status_code == 201
    # A quote whose speaker is not known (the extractor leaves none so; a row may still be).
    async with transaction(write_app.state.db) as session:
        article_id = sa.select(article_table.c.id).where(article_table.c.public_id == created.json()["id"])
        first = sa.select(sa.func.min(quote_table.c.id)).where(quote_table.c.article_id == article_id.scalar_subquery())
        await session.execute(
            sa.update(quote_table).where(quote_table.c.id == first.scalar_subquery()).values(speaker_id=None)
        )
    credited = story(guid="urn:test:ingest:json-summary-2", agencies=["east-wire", "north-press"], summary=None)
    assert (await send(editor, credited)).status_code == 201
    items = (await editor.get("/v1/articles", params={"limit": 100})).json()["items"]
    assert {item["guid"] for item in items} >= {sent["guid"], credited["guid"]}
    for item in items:
        assert list(item) == list(ArticleSummary.model_fields)
        assert ArticleSummary.model_validate(item).model_dump(mode="json") == item
    by_guid = {item["guid"]: item for item in items}
    assert by_guid[sent["guid"]]["published_at"] == "2026-11-25T06:00:00.250001Z"
    assert by_guid[sent["guid"]]["agencies"] == []
    assert [agency["slug"] for agency in by_guid[credited["guid"]]["agencies"]] == ["east-wire", "north-press"]
    assert by_guid[credited["guid"]]["published_at"] == "2026-11-25T06:00:00Z"
    seen = {"unattributed": 0, "images": 0, "entities": 0, "agencies": 0}
    for item in items:
        article = (await editor.get(f"/v1/articles/{item['id']}")).json()
        assert list(article) == list(ArticlePublic.model_fields)
        assert ArticlePublic.model_validate(article).model_dump(mode="json") == article
        assert {key: article[key] for key in item} == item
        seen["unattributed"] += sum(quote["speaker"] is None for quote in article["quotes"])
        for kind in ("images", "entities", "agencies"):
            seen[kind] += bool(article[kind])
    assert all(seen.values()), seen


async def test_quotes_and_expanded_items_are_what_the_models_write(editor: httpx.AsyncClient) -> None:
    quotes = (await editor.get("/v1/quotes", params={"limit": 100})).json()["items"]
    assert quotes
    for quote in quotes:
        assert list(quote) == list(QuotePublic.model_fields)
        assert QuotePublic.model_validate(quote).model_dump(mode="json") == quote
    one = (await editor.get(f"/v1/quotes/{quotes[0]['id']}")).json()
    assert one == quotes[0]
    speaker = next(quote["speaker"]["id"] for quote in quotes if quote["speaker"])
    theirs = (await editor.get(f"/v1/entities/{speaker}/quotes", params={"limit": 100})).json()["items"]
    assert theirs and all(quote["speaker"]["id"] == speaker for quote in theirs)
    said = [quote for quote in quotes if quote["speaker"] and quote["speaker"]["id"] == speaker]
    assert theirs[: len(said)] == said, "the same quotes, in the same order, as in the whole list"

    summary = list(ArticleSummary.model_fields)
    for expand, extra in (
        ("quotes", ["quotes"]),
        ("entities", ["entities"]),
        ("entities,quotes", ["quotes", "entities"]),
    ):
        items = (await editor.get("/v1/articles", params={"limit": 50, "expand": expand})).json()["items"]
        assert items
        for item in items:
            assert list(item) == summary + extra
            dumped = ArticleExpanded.model_validate(item).model_dump(mode="json")
            assert {key: dumped[key] for key in item} == item
            article = (await editor.get(f"/v1/articles/{item['id']}")).json()
            assert {key: article[key] for key in item} == item, "an expanded item is its article's fields"
