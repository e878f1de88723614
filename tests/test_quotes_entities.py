from collections import Counter
from collections.abc import Callable
from datetime import UTC
from typing import Any

import httpx
import pytest

from app.demo.load import DemoQuote as QuoteCreate
from app.pipeline.normalize import normalize
from tests.oracle import Story, collect, corpus, entity_ids, in_range, usable

pytestmark = pytest.mark.asyncio


def _quotes(pred: Callable[[Story, QuoteCreate], bool]) -> Counter[tuple[str, str]]:
    return Counter((s.data.guid, q.text) for s in usable() for q in s.data.quotes if pred(s, q))


def _got(items: list[dict]) -> Counter:  # type: ignore[type-arg]
    return Counter((i["article"]["id"], i["text"]) for i in items)


async def _article_ids(client: httpx.AsyncClient) -> dict[str, str]:
    items = await collect(
        client, "/v1/articles", [("limit", 100), *[("status", s) for s in ("usable", "withheld", "canceled")]]
    )
    return {i["guid"]: i["id"] for i in items}


async def _expect(client: httpx.AsyncClient, params: Any, pred: Callable[[Story, QuoteCreate], bool]) -> None:
    ids = await _article_ids(client)
    items = await collect(client, "/v1/quotes", params)
    expected = Counter({(ids[g], t): n for (g, t), n in _quotes(pred).items()})
    assert expected, "the demo corpus must exercise this filter"
    assert _got(items) == expected


async def test_quote_list_covers_every_quote_of_usable_articles(client: httpx.AsyncClient) -> None:
    await _expect(client, {"limit": 100}, lambda s, q: True)


async def test_quote_list_order_and_embedding(client: httpx.AsyncClient) -> None:
    items = await collect(client, "/v1/quotes", {"limit": 50})
    times = [i["article"]["published_at"] for i in items]
    assert times == sorted(times, reverse=True)
    item = items[0]
    assert set(item["article"]) == {"id", "headline", "language", "published_at", "section"}
    assert set(item["speaker"]) == {"id", "slug", "kind", "name_ar", "name_en", "title"}


async def test_filter_quotes_by_speaker(client: httpx.AsyncClient) -> None:
    ids = await entity_ids(client)
    busiest = Counter(q.speaker for s in usable() for q in s.data.quotes if q.speaker).most_common(2)
    for key, _ in busiest:

        def spoken_by(story: Story, quote: QuoteCreate, key: str = key) -> bool:
            return quote.speaker == key

        await _expect(client, {"speaker": ids[key]}, spoken_by)


@pytest.mark.parametrize("kind", ["direct", "indirect", "mixed"])
async def test_filter_quotes_by_kind(client: httpx.AsyncClient, kind: str) -> None:
    await _expect(client, {"kind": kind}, lambda s, q: q.kind == kind)


async def test_filter_quotes_by_entity_mentioned_in_article(client: httpx.AsyncClient) -> None:
    ids = await entity_ids(client)
    key = Counter(k for s in usable() for k in s.mentioned).most_common(1)[0][0]
    await _expect(client, {"entity": ids[key]}, lambda s, q: key in s.mentioned)


@pytest.mark.parametrize("extra", [{}, {"kind": "direct"}, {"sort": "oldest"}])
async def test_quotes_of_one_entitys_stories_page_on(client: httpx.AsyncClient, extra: dict[str, str]) -> None:
    """They are read from the entity's mentions (several per story, one per role): each quote once, in
    order, across pages."""
    ids = await entity_ids(client)
    # An entity named in two roles (speaker and subject) in one story: two mention rows to count once.
    stories = await collect(client, "/v1/articles", {"expand": "entities", "limit": 100})
    roles = Counter((story["id"], m["entity"]["id"]) for story in stories for m in story["entities"])
    twice = {entity_id for (_, entity_id), n in roles.items() if n > 1}
    assert twice, "the demo corpus must name an entity in two roles in one story"
    key = next(slug for slug, entity_id in sorted(ids.items()) if entity_id in twice)
    query = {"entity": ids[key], **extra}
    whole = await collect(client, "/v1/quotes", {**query, "limit": 100})
    paged = await collect(client, "/v1/quotes", {**query, "limit": 2})
    assert [q["id"] for q in paged] == [q["id"] for q in whole]
    assert len({q["id"] for q in whole}) == len(whole)
    kind = extra.get("kind")
    await _expect(client, query, lambda s, q: key in s.mentioned and kind in (None, q.kind))


async def test_filter_quotes_by_article_section_language_and_dates(client: httpx.AsyncClient) -> None:
    ids = await _article_ids(client)
    story = usable()[3]
    await _expect(client, {"article": ids[story.data.guid]}, lambda s, q: s is story)
    await _expect(client, {"section": "sports"}, lambda s, q: "sports" in s.sections)
    await _expect(client, {"language": "en"}, lambda s, q: s.data.language == "en")
    times = sorted(s.data.published_at.astimezone(UTC) for s in usable())
    low, high = times[5], times[-5]
    await _expect(
        client,
        {"published_from": low.isoformat(), "published_to": high.isoformat()},
        lambda s, q: in_range(s.data.published_at, low, high),
    )
    await _expect(
        client,
        {"kind": "direct", "language": "ar", "section": "politics"},
        lambda s, q: q.kind == "direct" and s.data.language == "ar" and "politics" in s.sections,
    )


async def test_get_quote_and_404(client: httpx.AsyncClient) -> None:
    first = (await client.get("/v1/quotes", params={"limit": 1})).json()["items"][0]
    one = await client.get(f"/v1/quotes/{first['id']}")
    assert one.status_code == 200 and one.json() == first
    missing = await client.get("/v1/quotes/2147483647")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


async def test_entities_list_with_counts(client: httpx.AsyncClient) -> None:
    items = await collect(client, "/v1/entities", {"limit": 9})
    assert [i["slug"] for i in items] == [e.key for e in corpus().entities]
    by_slug = {i["slug"]: i for i in items}
    quotes = Counter(q.speaker for s in usable() for q in s.data.quotes if q.speaker)
    articles = Counter(k for s in usable() for k in s.mentioned)
    for key, item in by_slug.items():
        assert item["quote_count"] == quotes.get(key, 0), key
        assert item["article_count"] == articles.get(key, 0), key


async def test_entities_filter_by_kind_and_quoted(client: httpx.AsyncClient) -> None:
    quoted = {q.speaker for s in usable() for q in s.data.quotes if q.speaker}
    for kind in ("person", "unnamed_group", "agency"):
        items = await collect(client, "/v1/entities", {"kind": kind})
        assert {i["slug"] for i in items} == {e.key for e in corpus().entities if e.kind == kind}
    yes = await collect(client, "/v1/entities", {"quoted": "true"})
    assert {i["slug"] for i in yes} == quoted
    no = await collect(client, "/v1/entities", {"quoted": "false", "kind": "person"})
    assert {i["slug"] for i in no} == {e.key for e in corpus().entities if e.kind == "person"} - quoted


async def test_entities_filter_by_name_prefix_arabic_and_latin(client: httpx.AsyncClient) -> None:
    person = next(e for e in corpus().entities if e.kind == "person" and e.name_ar and e.name_en)
    assert person.name_ar and person.name_en
    for prefix in (person.name_ar[:4], person.name_en[:4].upper(), person.name_en[:4].lower()):
        items = await collect(client, "/v1/entities", {"name": prefix})
        assert person.key in {i["slug"] for i in items}
        for item in items:
            names = [item["name_ar"], item["name_en"], *item["aliases"]]
            assert any(normalize(n).startswith(normalize(prefix)) for n in names if n)


async def test_entity_name_prefix_ignores_hamza_and_diacritics(client: httpx.AsyncClient) -> None:
    hamza = next((e for e in corpus().entities if e.name_ar and e.name_ar[0] in "أإآ"), None)
    if hamza is None:
        pytest.skip("no entity name starts with a hamza form")
    assert hamza.name_ar
    bare = "ا" + hamza.name_ar[1:4]
    items = await collect(client, "/v1/entities", {"name": bare})
    assert hamza.key in {i["slug"] for i in items}


async def test_entity_item_quotes_and_articles(client: httpx.AsyncClient) -> None:
    ids = await entity_ids(client)
    key = Counter(q.speaker for s in usable() for q in s.data.quotes if q.speaker).most_common(1)[0][0]
    entity = (await client.get(f"/v1/entities/{ids[key]}")).json()
    assert entity["slug"] == key
    quotes = await collect(client, f"/v1/entities/{ids[key]}/quotes")
    assert len(quotes) == entity["quote_count"] > 0
    assert {q["speaker"]["id"] for q in quotes} == {ids[key]}
    articles = await collect(client, f"/v1/entities/{ids[key]}/articles")
    assert len(articles) == entity["article_count"]
    assert {a["guid"] for a in articles} == {s.data.guid for s in usable() if key in s.mentioned}
    narrowed = await collect(client, f"/v1/entities/{ids[key]}/quotes", {"kind": "direct"})
    assert {q["kind"] for q in narrowed} <= {"direct"}
    for path in ("", "/quotes", "/articles"):
        assert (await client.get(f"/v1/entities/2147483647{path}")).status_code == 404


async def test_entity_affiliation_is_embedded(client: httpx.AsyncClient) -> None:
    ids = await entity_ids(client)
    seed = next(e for e in corpus().entities if e.affiliation)
    entity = (await client.get(f"/v1/entities/{ids[seed.key]}")).json()
    assert entity["affiliation"]["slug"] == seed.affiliation


async def test_sections_with_article_counts(client: httpx.AsyncClient) -> None:
    body = (await client.get("/v1/sections")).json()
    counts = Counter(s.data.section for s in usable())
    assert {i["slug"]: i["article_count"] for i in body["items"]} == {
        s.slug: counts.get(s.slug, 0) for s in corpus().sections
    }
    assert next(i for i in body["items"] if i["slug"] == "football")["parent"] == "sports"
    assert body["next_cursor"] is None


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).status_code == 200
