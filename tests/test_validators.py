"""ETags confined to what an answer shows: a story saved in one section leaves the other sections'
and articles' tags, the 304s and the cached answers alone; on both databases, over HTTP."""

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.delivery import Freshness
from app.models import Scope
from tests.conftest import client_for, count_statements, make_key
from tests.test_ingest import send, story

pytestmark = pytest.mark.asyncio

NO_CACHE = {"Cache-Control": "no-cache"}
# Another cast than the ingest tests' story: a minister of a fictional health ministry, another agency.
OTHER: dict[str, Any] = {
    "paragraphs": [
        "أعلنت وزارة الصحة في جمهورية سيرال الأربعاء حملة تطعيم جديدة في المدارس.",
        "وقالت وزيرة الصحة ليلى منصور في مؤتمر صحفي: «سنصل إلى كل مدرسة قبل نهاية الشهر».",
        "وأضافت منصور أن الحملة ستشمل القرى الجبلية أيضاً.",
    ],
    "agencies": ["nordhaven-news"],
}


@pytest.fixture(scope="module")
async def partner(write_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    key = await make_key(write_app, Scope.read, name="partner")
    async with client_for(write_app, **{"X-API-Key": key}) as http:
        yield http


async def new_story(editor: httpx.AsyncClient, section: str, **changes: Any) -> str:
    guid = changes.pop("guid", f"urn:test:scoped:{uuid.uuid4().hex[:8]}")
    response = await send(editor, story(guid=guid, section=section, **changes))
    assert response.status_code in (200, 201), response.text
    return str(response.json()["id"])


async def tags(client: httpx.AsyncClient, urls: list[str]) -> dict[str, str]:
    found = {}
    for url in urls:
        response = await client.get(url)
        assert response.status_code == 200, (url, response.text)
        found[url] = response.headers["etag"]
    return found


async def test_a_story_changes_the_tags_of_its_own_scopes_only(
    editor: httpx.AsyncClient, partner: httpx.AsyncClient, write_app: FastAPI
) -> None:
    economy_story = await new_story(editor, "economy")
    football_story = await new_story(editor, "football")
    urls = {
        "economy": [
            "/v1/articles?section=economy",
            "/v1/articles?section=economy&expand=quotes,entities",
            "/v1/quotes?section=economy",
            "/v1/sections/economy",
            "/v1/sections/economy/feed.atom",
        ],
        "economy story": [
            f"/v1/articles/{economy_story}",
            f"/v1/articles/{economy_story}/versions",
            f"/v1/articles/{economy_story}/versions/1",
            f"/v1/quotes?article={economy_story}",
        ],
        "politics": ["/v1/articles?section=politics", "/v1/sections/politics/feed.json"],
        "sports": ["/v1/articles?section=sports", "/v1/sections/football"],
        "anything": ["/v1/articles", "/v1/entities", "/v1/sections"],
    }
    every = [url for group in urls.values() for url in group]
    before = await tags(partner, every)

    await new_story(editor, "politics")
    after = await tags(partner, every)
    changed = {url for url in every if after[url] != before[url]}
    assert changed == {*urls["politics"], *urls["anything"]}

    # Unchanged tags still revalidate, and a cached answer is served from memory: one statement
    # reads what changed, and no route runs.
    for url in urls["economy"] + urls["economy story"]:
        assert (await partner.get(url, headers={"If-None-Match": after[url]})).status_code == 304
    await new_story(editor, "politics")
    with count_statements(write_app) as statements:
        kept = await partner.get(f"/v1/articles/{economy_story}")
    assert kept.headers["etag"] == after[f"/v1/articles/{economy_story}"] and len(statements) == 1

    # A story in a child section is in its parent's lists too.
    before = await tags(partner, every)
    await new_story(editor, "football", guid=f"urn:test:scoped:child:{uuid.uuid4().hex[:6]}")
    after = await tags(partner, every)
    assert {url for url in every if after[url] != before[url]} == {*urls["sports"], *urls["anything"]}

    # A story that moves leaves one section's lists and joins another's.
    before = after
    moved = (await partner.get(f"/v1/articles/{football_story}")).json()
    await send(editor, story(guid=moved["guid"], section="economy", headline="خبر نقل إلى الاقتصاد"))
    after = await tags(partner, every)
    assert {url for url in every if after[url] != before[url]} == {
        *urls["economy"],
        *urls["sports"],
        *urls["anything"],
    }

    # An editor's correction of a quote changes its article and its section, nothing else there.
    before = after
    quote = (await editor.get(f"/v1/articles/{economy_story}")).json()["quotes"][0]
    assert (await editor.patch(f"/v1/quotes/{quote['id']}", json={"kind": "mixed"})).status_code == 200
    after = await tags(partner, every)
    changed = {url for url in every if after[url] != before[url]}
    assert changed == {*urls["economy"], *urls["economy story"], *urls["anything"]}


async def test_if_match_still_refuses_a_stale_write_to_an_article(editor: httpx.AsyncClient) -> None:
    article = await new_story(editor, "economy")
    url = f"/v1/articles/{article}"
    etag = (await editor.get(url)).headers["etag"]
    await new_story(editor, "politics")
    assert (await editor.get(url)).headers["etag"] == etag, "a story elsewhere leaves the tag"
    assert (await editor.patch(url, json={"summary": "تصحيح"}, headers={"If-Match": etag})).status_code == 200
    assert (await editor.patch(url, json={"summary": "متأخر"}, headers={"If-Match": etag})).status_code == 412


async def test_the_same_tag_always_means_the_same_bytes(editor: httpx.AsyncClient, partner: httpx.AsyncClient) -> None:
    """Whatever is written, an answer whose tag did not change did not change either."""
    rng = random.Random(11)
    sections = ["politics", "economy", "sports", "football", f"new-{uuid.uuid4().hex[:6]}"]
    casts: list[dict[str, Any]] = [{}, OTHER]
    articles = [await new_story(editor, section, **casts[n % 2]) for n, section in enumerate(sections[:4])]
    guids = {article: (await editor.get(f"/v1/articles/{article}")).json()["guid"] for article in articles}
    shown = [(await editor.get(f"/v1/articles/{article}")).json()["entities"] for article in articles[:2]]
    entities = sorted({m["entity"]["id"] for mentions in shown for m in mentions})
    speakers = sorted({m["entity"]["id"] for mentions in shown for m in mentions if m["role"] == "speaker"})
    agencies = [
        a["id"] for article in articles[:2] for a in (await editor.get(f"/v1/articles/{article}")).json()["agencies"]
    ]
    watched = [
        *(f"/v1/entities/{e}" for e in entities),
        *(f"/v1/entities/{e}/quotes" for e in speakers),
        *(f"/v1/entities/{e}/articles?section=economy" for e in entities[:3]),
        f"/v1/entities/{entities[0]}/feed.json",
        *(f"/v1/quotes?speaker={e}" for e in speakers),
        *(f"/v1/articles?entity={e}&expand=entities" for e in entities),
        *(f"/v1/articles?agency={a}" for a in agencies),
        *(f"/v1/articles?section={s}" for s in sections[:4]),
        "/v1/articles?section=economy&section=football&expand=quotes,entities&status=usable&status=canceled",
        "/v1/articles?section=politics&format=ninjs",
        "/v1/sections/sports",
        "/v1/sections/economy/feed.atom",
        f"/v1/sections/{sections[4]}/feed.atom",
        "/v1/quotes?section=politics",
        *(f"/v1/articles/{article}" for article in articles),
        *(f"/v1/articles/{article}/versions" for article in articles[:2]),
        f"/v1/quotes?article={articles[0]}&article={articles[1]}",
    ]

    async def look() -> dict[tuple[str, str], tuple[str, bytes]]:
        seen = {}
        for who, client in (("partner", partner), ("editor", editor)):
            for url in watched:
                response = await client.get(url, headers=NO_CACHE)
                assert response.status_code in (200, 308, 404), (url, response.text)
                seen[(who, url)] = (response.headers.get("etag", ""), response.content)
        return seen

    seen = await look()
    kept = 0
    for step in range(16):
        action = rng.choice(["create", "create", "update", "move", "correct", "kill", "quote", "entity", "merge"])
        article = rng.choice(articles)
        if action == "create":
            cast = rng.choice(casts)
            articles.append(await new_story(editor, rng.choice(sections), headline=f"خبر رقم {step}", **cast))
            guids[articles[-1]] = (await editor.get(f"/v1/articles/{articles[-1]}")).json()["guid"]
        elif action in ("update", "move"):
            section = rng.choice(sections) if action == "move" else None
            current = (await editor.get(f"/v1/articles/{article}")).json()
            body = story(
                guid=guids[article],
                headline=f"تحديث رقم {step}",
                section=section or current["section"]["slug"],
                **rng.choice(casts),
            )
            await send(editor, body)
        elif action == "correct":
            await editor.patch(f"/v1/articles/{article}", json={"summary": f"تصحيح {step}"})
        elif action == "kill":
            await editor.delete(f"/v1/articles/{article}")
        elif action == "quote":
            quotes = (await editor.get(f"/v1/articles/{article}")).json().get("quotes") or []
            if quotes:
                await editor.patch(f"/v1/quotes/{quotes[0]['id']}", json={"text": f"نص مصحح {step}"})
        elif action == "entity":
            shown = (await editor.get(f"/v1/articles/{article}")).json().get("entities") or []
            if shown:
                entity = rng.choice(shown)["entity"]["id"]
                edit = rng.choice(
                    [
                        {"name_en": f"Renamed {step}"},
                        {"kind": "organization"},
                        {"title": f"t{step}"},
                        {"add_aliases": [f"اسم آخر {step}"]},
                        {"affiliation_id": rng.choice([e for e in entities if e != entity] or [entity])},
                    ]
                )
                await editor.patch(f"/v1/entities/{entity}", json=edit)
        else:
            shown = (await editor.get(f"/v1/articles/{article}")).json().get("entities") or []
            if len(shown) > 1:
                target, source = (m["entity"]["id"] for m in rng.sample(shown, 2))
                await editor.post(f"/v1/entities/{target}/merge", json={"source_id": source})
        now = await look()
        for key, (tag, content) in now.items():
            if tag and tag == seen[key][0]:
                assert content == seen[key][1], (step, action, key)
                kept += 1
        seen = now
    assert kept, "some answers kept their tags across writes elsewhere"


@pytest.mark.parametrize("changed", [1_000, 1])
async def test_a_read_of_the_state_brings_only_the_scopes_that_changed(
    editor: httpx.AsyncClient, write_app: FastAPI, changed: int
) -> None:
    """Scopes that did not change stay known; past `changed` scopes changed, all are forgotten."""
    db = write_app.state.db
    freshness = Freshness(ttl=3600, changed=changed)
    economy, politics = "section:economy", "section:politics"
    state, first = await freshness.read(db, (economy, politics))
    await new_story(editor, "politics")  # its article and its section change: two scopes
    freshness.invalidate()
    with count_statements(write_app) as statements:
        later, (newer,) = await freshness.read(db, (politics,))
        assert later.seq > state.seq and newer[0] == later.seq > first[1][0]
        assert len(statements) == 1, "the state, the scope asked for and what changed: one statement"
        _, (same,) = await freshness.read(db, (economy,))
    assert same == first[0]
    assert len(statements) == (1 if changed > 1 else 2), "economy is read again only once forgotten"


async def test_requests_that_find_the_state_stale_together_share_one_read(write_app: FastAPI) -> None:
    db = write_app.state.db
    freshness = Freshness(ttl=3600)
    with count_statements(write_app) as statements:
        answers = await asyncio.gather(*(freshness.read(db, ("section:economy",)) for _ in range(20)))
    assert len(statements) == 1 and len({state.seq for state, _ in answers}) == 1
    # A read begun before a write is not shared with the requests that come after it.
    freshness.invalidate()
    first = asyncio.ensure_future(freshness.read(db))
    await asyncio.sleep(0)
    freshness.invalidate()
    with count_statements(write_app) as statements:
        await asyncio.gather(first, freshness.read(db))
    assert len(statements) == 2


async def test_an_entity_is_tagged_by_the_stories_that_show_it(
    editor: httpx.AsyncClient, partner: httpx.AsyncClient
) -> None:
    cast = {
        "paragraphs": [
            "افتتحت بلدية الوادي الأخضر الخميس جسراً جديداً فوق النهر.",
            "وقال رئيس البلدية جميل صباغ في حفل الافتتاح: «سيختصر الجسر الطريق إلى المدرسة نصف ساعة».",
        ],
        "agencies": ["meridian-press"],
    }
    article = await new_story(editor, "economy", **cast)
    shown = (await editor.get(f"/v1/articles/{article}")).json()
    mayor = next(m["entity"]["id"] for m in shown["entities"] if m["role"] == "speaker")
    urls = [f"/v1/entities/{mayor}", f"/v1/entities/{mayor}/quotes", f"/v1/articles?entity={mayor}"]
    before = await tags(partner, urls)

    # Another cast: nothing of the mayor's changes.
    elsewhere = await new_story(editor, "economy", **OTHER)
    assert await tags(partner, urls) == before

    # An entity of that other story, which the mayor is then said to belong to, is renamed: no story
    # shows both, but the mayor's page shows its name.
    agency = (await editor.get(f"/v1/articles/{elsewhere}")).json()["agencies"][0]["id"]
    assert (await editor.patch(f"/v1/entities/{mayor}", json={"affiliation_id": agency})).status_code == 200
    before = await tags(partner, urls)
    assert (await editor.patch(f"/v1/entities/{agency}", json={"name_en": "Nordhaven Wire"})).status_code == 200
    page = await partner.get(urls[0])
    assert page.headers["etag"] != before[urls[0]] and page.json()["affiliation"]["name_en"] == "Nordhaven Wire"

    # Its only story is killed: it is in no list any more, and its counts fall to nothing.
    before = await tags(partner, urls)
    assert (await editor.delete(f"/v1/articles/{article}")).status_code == 200
    after = await tags(partner, urls)
    assert all(after[url] != before[url] for url in urls), (before, after)
    assert (await partner.get(urls[0])).json()["article_count"] == 0
