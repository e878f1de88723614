"""What the API should answer, worked out from the demo corpus files themselves."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import httpx

from app.demo.load import CorpusFile, read_corpus
from app.demo.load import DemoArticle as ArticleCreate

Query = list[tuple[str, str | int | float | bool | None]]


@dataclass(frozen=True, eq=False)
class Story:
    data: ArticleCreate
    sections: frozenset[str]  # its own section and that section's parent
    mentioned: frozenset[str]  # entity keys: speakers and other mentions
    speakers: frozenset[str]


@cache
def corpus() -> CorpusFile:
    return read_corpus()


@cache
def stories() -> tuple[Story, ...]:
    parents = {s.slug: s.parent for s in corpus().sections}
    out = []
    for article in corpus().articles:
        speakers = frozenset(q.speaker for q in article.quotes if q.speaker)
        sections = {article.section}
        if parents.get(article.section):
            sections.add(parents[article.section] or "")
        out.append(Story(article, frozenset(sections), speakers | {m.entity for m in article.mentions}, speakers))
    return tuple(out)


def usable() -> list[Story]:
    return [s for s in stories() if s.data.status == "usable"]


def newest_first(items: Iterable[Story]) -> list[str]:
    return [s.data.guid for s in sorted(items, key=lambda s: s.data.published_at, reverse=True)]


def guids(items: Iterable[Story]) -> set[str]:
    return {s.data.guid for s in items}


def in_range(when: datetime, low: datetime | None, high: datetime | None) -> bool:
    return (low is None or when >= low) and (high is None or when < high)


# Asks for an answer made afresh, past the service's response cache.
NO_CACHE = {"Cache-Control": "no-cache"}


async def collect(
    client: httpx.AsyncClient, path: str, params: Any = None, headers: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """Every item of a list, following next_cursor to the end."""
    items: list[dict[str, Any]] = []
    query: Query = list(httpx.QueryParams(params or {}).multi_items())
    cursor = None
    for _ in range(1000):
        page_query: Query = query + ([("cursor", cursor)] if cursor else [])
        response = await client.get(path, params=page_query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("pagination did not end")


async def entity_ids(client: httpx.AsyncClient) -> dict[str, int]:
    """Entity key (slug) → id as the database assigned them."""
    return {e["slug"]: e["id"] for e in await collect(client, "/v1/entities", {"limit": 100})}
