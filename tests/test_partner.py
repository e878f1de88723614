"""A partner's day, end to end over HTTP on both databases: key, mirror, polling, quotas, feeds."""

import asyncio
import contextlib
import os
import random
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from app.db import transaction
from app.feeds import ATOM_NS, TOMBSTONE_NS
from app.models import ChangeAction, Scope, article_table, utcnow
from app.services.changes import release_embargoes, release_lifted
from tests.conftest import Database, client_for, count_statements, make_key, running_app
from tests.test_counts import assert_exact
from tests.test_ingest import send, story

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="module")
async def partner(write_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    key = await make_key(write_app, Scope.read, name="partner")
    async with client_for(write_app, **{"X-API-Key": key}) as http:
        yield http


async def everything(client: httpx.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = (
            await client.get(path, params={**params, "limit": 100, **({"cursor": cursor} if cursor else {})})
        ).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


async def replay(client: httpx.AsyncClient, mirror: dict[str, Any], cursor: str | None) -> str:
    """What a partner's mirror does: follow the feed and fetch each changed object (404: drop it)."""
    while True:
        page = (await client.get("/v1/changes", params={"limit": 7, **({"cursor": cursor} if cursor else {})})).json()
        for change in page["items"]:
            key = f"{change['object']}:{change['id']}"
            if change["object"] == "quote":
                # Quotes travel inside their article: refresh it.
                key, url = f"article:{change['detail']['article']}", f"/v1/articles/{change['detail']['article']}"
            else:
                url = change["url"]
            response = await client.get(url)
            if response.status_code == 200:
                mirror[key] = response.json()
            else:
                assert response.status_code in (308, 404), response.text
                mirror.pop(key, None)
        if not page["items"]:
            return str(page["next_cursor"])
        cursor = page["next_cursor"]


async def served(client: httpx.AsyncClient) -> dict[str, Any]:
    """Everything the API serves to this client, fetched directly."""
    found: dict[str, Any] = {}
    for summary in await everything(client, "/v1/articles", status=["usable", "canceled"]):
        found[f"article:{summary['id']}"] = (await client.get(f"/v1/articles/{summary['id']}")).json()
    for entity in await everything(client, "/v1/entities"):
        found[f"entity:{entity['id']}"] = entity
    return found


def comparable(objects: dict[str, Any]) -> dict[str, Any]:
    # Counts on entities move with every story; the mirror refreshes an entity only when it changes.
    return {k: {f: v for f, v in o.items() if f not in ("quote_count", "article_count")} for k, o in objects.items()}


async def test_mirror_through_the_change_feed(
    editor: httpx.AsyncClient, partner: httpx.AsyncClient, write_database: Database
) -> None:
    mirror: dict[str, Any] = {}
    cursor = await replay(partner, mirror, None)
    rng = random.Random(7)
    articles: list[str] = []
    for step in range(24):
        action = rng.choice(["create", "create", "update", "correct", "kill", "quote", "merge", "entity"])
        if action == "create" or not articles:
            response = await send(editor, story(guid=f"urn:test:mirror:{step}", headline=f"خبر رقم {step}"))
            assert response.status_code == 201, response.text
            articles.append(response.json()["id"])
        elif action == "update":
            n = rng.randrange(len(articles))
            await send(editor, story(guid=f"urn:test:mirror:{n}", headline=f"تحديث رقم {step}"))
        elif action == "correct":
            await editor.patch(f"/v1/articles/{rng.choice(articles)}", json={"summary": f"تصحيح {step}"})
        elif action == "kill":
            await editor.delete(f"/v1/articles/{rng.choice(articles)}")
        elif action == "quote":
            quotes = (await editor.get(f"/v1/articles/{rng.choice(articles)}")).json()["quotes"]
            if quotes:
                await editor.patch(f"/v1/quotes/{quotes[0]['id']}", json={"kind": "mixed"})
        elif action == "entity":
            people = await everything(editor, "/v1/entities", kind="person")
            await editor.patch(f"/v1/entities/{rng.choice(people)['id']}", json={"add_aliases": [f"alias {step}"]})
        else:
            unnamed = await everything(editor, "/v1/entities", kind="unnamed_group")
            source, target = rng.sample(unnamed, 2)
            await editor.post(f"/v1/entities/{target['id']}/merge", json={"source_id": source["id"]})
        if step % 8 == 7:  # the partner syncs now and then, not after every change
            cursor = await replay(partner, mirror, cursor)
    await replay(partner, mirror, cursor)
    assert comparable(mirror) == comparable(await served(partner))
    # The counts the mirror leaves aside are stored ones, kept by every write: still those of the rows.
    assert_exact(write_database.url)


async def test_feed_cursor_never_expires_and_empty_feed_keeps_position(partner: httpx.AsyncClient) -> None:
    first = (await partner.get("/v1/changes", params={"limit": 3})).json()
    assert len(first["items"]) == 3
    again = (await partner.get("/v1/changes", params={"limit": 3, "cursor": first["next_cursor"]})).json()
    assert again["items"][0] != first["items"][0]
    end = await replay(partner, {}, None)
    empty = (await partner.get("/v1/changes", params={"cursor": end})).json()
    assert empty["items"] == [] and empty["next_cursor"] == end
    bad = await partner.get("/v1/changes", params={"cursor": "not-ours"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["name"] == "cursor"


async def test_long_poll_returns_when_something_changes(editor: httpx.AsyncClient, partner: httpx.AsyncClient) -> None:
    end = await replay(partner, {}, None)
    quiet = await partner.get("/v1/changes", params={"cursor": end, "wait": 1})
    assert quiet.json()["items"] == []

    async def later() -> None:
        await asyncio.sleep(0.3)
        await send(editor, story(guid=f"urn:test:poll:{uuid.uuid4().hex[:6]}"))

    waiting = asyncio.create_task(partner.get("/v1/changes", params={"cursor": end, "wait": 1}))
    await later()
    assert (await waiting).json()["items"], "the long poll saw the new story"


def remaining(ratelimit: str) -> int:
    """The `r` (requests left) of a RateLimit header."""
    return int(ratelimit.split(";r=", 1)[1].split(";", 1)[0])


async def test_polling_with_304s_costs_nothing(editor: httpx.AsyncClient, partner: httpx.AsyncClient) -> None:
    first = await partner.get("/v1/articles", params={"section": "politics"})
    assert first.status_code == 200
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert "max-age=60" in first.headers["cache-control"]
    assert "Accept-Encoding" in first.headers["vary"] and "X-API-Key" in first.headers["vary"]
    before = first.headers["ratelimit"]
    for _ in range(3):
        again = await partner.get("/v1/articles", params={"section": "politics"}, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
    # What is left, not when the window resets: that moves once the window holds its first request.
    assert remaining(again.headers["ratelimit"]) == remaining(before), "a 304 is not counted"
    # Last-Modified has whole seconds: a date a second past it is safely "not modified", a day before is not.
    stamp = parsedate_to_datetime(modified)
    for moment, status in ((stamp + timedelta(seconds=1), 304), (stamp - timedelta(days=1), 200)):
        since = await partner.get(
            "/v1/articles", params={"section": "politics"}, headers={"If-Modified-Since": format_datetime(moment, True)}
        )
        assert since.status_code == status
    other = await partner.get("/v1/articles", params={"section": "economy"}, headers={"If-None-Match": etag})
    assert other.status_code == 200, "a tag belongs to one request"
    await send(editor, story(guid=f"urn:test:poll:{uuid.uuid4().hex[:6]}"))
    changed = await partner.get("/v1/articles", params={"section": "politics"}, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    item = await partner.get(f"/v1/articles/{changed.json()['items'][0]['id']}")
    assert (await partner.get(item.url, headers={"If-None-Match": item.headers["etag"]})).status_code == 304


async def test_answers_are_kept_by_etag_until_something_changes(write_database: Database) -> None:
    async with (
        running_app(write_database, validators_ttl=60) as app,
        running_app(write_database) as elsewhere,
        client_for(app) as reader,
    ):
        ours = {"X-API-Key": await make_key(app, Scope.ingest, name="desk here")}
        theirs = {"X-API-Key": await make_key(elsewhere, Scope.ingest, name="desk elsewhere")}
        async with client_for(app, **ours) as editor, client_for(elsewhere, **theirs) as other_editor:
            created = await send(editor, story(guid=f"urn:test:kept:{uuid.uuid4().hex[:6]}"))
            url = f"/v1/articles/{created.json()['id']}"
            first = await reader.get(url)
            with count_statements(app) as statements:
                again = await reader.get(url)
            assert statements == [], "the same request in the same state is answered from memory"
            assert again.status_code == 200 and again.content == first.content
            assert again.headers["etag"] == first.headers["etag"] and "ratelimit" in again.headers

            # A write through this process is seen at once.
            assert (await editor.patch(url, json={"summary": "ملخص مصحح"})).status_code == 200
            after = await reader.get(url)
            assert after.headers["etag"] != first.headers["etag"] and after.json()["summary"] == "ملخص مصحح"

            # A write by another process shows once the validators are read again: at most
            # `validators_ttl` later, or at once for a request that asks for no-cache.
            assert (await other_editor.patch(url, json={"summary": "ملخص آخر"})).status_code == 200
            assert (await reader.get(url)).headers["etag"] == after.headers["etag"]
            fresh = await reader.get(url, headers={"Cache-Control": "no-cache"})
            assert fresh.headers["etag"] != after.headers["etag"] and fresh.json()["summary"] == "ملخص آخر"

            # Key usage is not in the change log: it has no tag, and nothing of it is kept.
            usage = await reader.get("/v1/admin/usage")
            assert usage.status_code == 401 and "etag" not in usage.headers


async def test_compressed_answers_have_their_own_etag(partner: httpx.AsyncClient) -> None:
    plain = await partner.get("/v1/quotes", headers={"Accept-Encoding": "identity"})
    brotli = await partner.get("/v1/quotes", headers={"Accept-Encoding": "br"})
    gzipped = await partner.get("/v1/quotes", headers={"Accept-Encoding": "gzip"})
    assert brotli.headers["content-encoding"] == "br" and gzipped.headers["content-encoding"] == "gzip"
    assert brotli.json() == gzipped.json() == plain.json()
    tags = {plain.headers["etag"], brotli.headers["etag"], gzipped.headers["etag"]}
    assert len(tags) == 3
    revalidated = await partner.get(
        "/v1/quotes", headers={"Accept-Encoding": "br", "If-None-Match": brotli.headers["etag"]}
    )
    assert revalidated.status_code == 304


async def test_if_match_refuses_stale_writes(editor: httpx.AsyncClient) -> None:
    created = await send(editor, story(guid=f"urn:test:ifmatch:{uuid.uuid4().hex[:6]}"))
    url = f"/v1/articles/{created.json()['id']}"
    etag = (await editor.get(url)).headers["etag"]
    first = await editor.patch(url, json={"summary": "أول تصحيح"}, headers={"If-Match": etag})
    assert first.status_code == 200
    second = await editor.patch(url, json={"summary": "تصحيح متأخر"}, headers={"If-Match": etag})
    assert second.status_code == 412 and second.headers["content-type"] == "application/problem+json"
    fresh = (await editor.get(url)).headers["etag"]
    assert (await editor.patch(url, json={"summary": "تصحيح"}, headers={"If-Match": fresh})).status_code == 200
    assert (await editor.delete(url, headers={"If-Match": '"garbage"'})).status_code == 412


async def test_quota_then_retry_after(write_database: Database) -> None:
    async with running_app(write_database, rate_limit="5/minute", anonymous_rate_limit="3/minute") as app:
        key = await make_key(app, Scope.read, name="small quota")
        async with client_for(app, **{"X-API-Key": key}) as client:
            answers = [await client.get("/v1/sections") for _ in range(6)]
            assert [a.status_code for a in answers] == [200] * 5 + [429]
            assert answers[0].headers["ratelimit-policy"] == '"key";q=5;w=60'
            assert answers[4].headers["ratelimit"].startswith('"key";r=0;')
            refused = answers[5]
            assert int(refused.headers["retry-after"]) >= 1
            assert refused.headers["content-type"] == "application/problem+json"
            assert (await client.get("/healthz")).status_code == 200, "probes are not counted"
        async with client_for(app) as anonymous:
            codes = [(await anonymous.get("/v1/sections")).status_code for _ in range(4)]
            assert codes == [200, 200, 200, 429]


async def test_a_key_quota_of_its_own_and_usage_for_admins(write_database: Database) -> None:
    async with running_app(write_database) as app:
        key = await make_key(app, Scope.read, name="big partner", rate_limit="2/minute")
        admin = await make_key(app, Scope.admin, name="admin")
        async with client_for(app, **{"X-API-Key": key}) as client:
            assert [(await client.get("/v1/sections")).status_code for _ in range(3)] == [200, 200, 429]
            assert (await client.get("/v1/admin/usage")).status_code == 429
        async with client_for(app, **{"X-API-Key": admin}) as client:
            usage = (await client.get("/v1/admin/usage")).json()["items"]
            assert any(u["name"] == "big partner" and u["requests"] == 2 for u in usage)
        async with client_for(app, **{"X-API-Key": key.replace("wq_", "wq_x")}) as client:
            assert (await client.get("/v1/sections")).status_code == 401


async def test_keys_licensed_for_sections_and_embargoes(write_app: FastAPI, editor: httpx.AsyncClient) -> None:
    sports = await make_key(write_app, Scope.read, name="sports only", sections=["sports"])
    embargoed = await send(
        editor,
        story(guid=f"urn:test:embargo:{uuid.uuid4().hex[:6]}", section="sports", embargoed="2099-01-01T00:00:00Z"),
    )
    async with client_for(write_app, **{"X-API-Key": sports}) as client:
        listed = await everything(client, "/v1/articles")
        assert listed and {a["section"]["slug"] for a in listed} <= {"sports", "football"}
        politics = (await everything(editor, "/v1/articles", section="politics"))[0]
        assert (await client.get(f"/v1/articles/{politics['id']}")).status_code == 404
        assert (await client.get(f"/v1/articles/{embargoed.json()['id']}")).status_code == 404
        changes = await everything_changes(client)
        politics_changes = [c for c in changes if c["object"] == "article" and c["id"] == politics["id"]]
        assert politics_changes == []
    assert (await editor.get(f"/v1/articles/{embargoed.json()['id']}")).status_code == 200


async def test_a_story_leaving_licensed_sections_shows_in_their_feed(
    write_app: FastAPI, editor: httpx.AsyncClient
) -> None:
    """A key licensed for sections sees a story move out of them, and its url answers 404: a mirror drops it."""
    sections = ("economy", "health", "sports", "culture")
    keys = {
        section: await make_key(write_app, Scope.read, name=f"{section} only", sections=[section])
        for section in sections
    }
    async with contextlib.AsyncExitStack() as stack:
        clients = {
            section: await stack.enter_async_context(client_for(write_app, **{"X-API-Key": key}))
            for section, key in keys.items()
        }
        starts = {section: await feed_end(client) for section, client in clients.items()}
        guid = f"urn:test:move:{uuid.uuid4().hex[:6]}"
        article_id = (await send(editor, story(guid=guid, section="economy"))).json()["id"]
        quote = (await editor.get(f"/v1/articles/{article_id}")).json()["quotes"][0]
        assert (await editor.patch(f"/v1/quotes/{quote['id']}", json={"kind": "mixed"})).status_code == 200
        mirror: dict[str, Any] = {}
        cursor = await replay(clients["economy"], mirror, starts["economy"])
        assert f"article:{article_id}" in mirror
        # Sent again in another section: an update that moves the story out of economy, into health.
        assert (await send(editor, story(guid=guid, section="health"))).json()["status"] == "updated"
        await replay(clients["economy"], mirror, cursor)
        assert f"article:{article_id}" not in mirror, "the story left economy: its mirror dropped it"
        # Corrected into football, a child of sports: out of health, into sports; then killed there.
        moved = await editor.patch(f"/v1/articles/{article_id}", json={"section": "football"})
        assert moved.json()["status"] == "corrected"
        assert (await editor.delete(f"/v1/articles/{article_id}")).status_code == 200
        seen: dict[str, list[tuple[str, str]]] = {}
        for section, client in clients.items():
            changes = await everything_changes(client, starts[section])
            ours = [c for c in changes if article_id in (c["id"], c["detail"].get("article"))]
            assert all("left_section_id" not in c for c in ours), "the section left is not published"
            seen[section] = [(c["object"], c["action"]) for c in ours]
            if section in ("economy", "health"):
                # Their last change of it is the one that took it away: its url answers 404 to them.
                assert (await client.get(ours[-1]["url"])).status_code == 404
    assert seen == {
        "economy": [("article", "created"), ("quote", "corrected"), ("article", "updated")],
        "health": [("article", "updated"), ("article", "corrected")],
        "sports": [("article", "corrected"), ("article", "killed")],
        "culture": [],
    }


async def _until(moment: datetime) -> None:
    """Wait until the clock has passed `moment` (a second or two at most in these tests)."""
    await asyncio.sleep(max(0.0, (moment - utcnow()).total_seconds()) + 0.05)


def _released(changes: list[dict[str, Any]], article_id: str) -> list[dict[str, Any]]:
    return [c for c in changes if c["action"] == "released" and c["id"] == article_id]


async def test_an_embargo_lifting_is_logged_once_and_mirrors_get_the_story(
    write_app: FastAPI, write_database: Database, editor: httpx.AsyncClient, partner: httpx.AsyncClient
) -> None:
    """Nothing is written when an embargo lifts: the change feed logs the lift as `released`, once however
    many processes read it at the same moment, and a mirror following the feed's rules gets the story."""
    start = await feed_end(partner)
    mirror: dict[str, Any] = {}
    lifts_at = utcnow() + timedelta(seconds=1.5)
    tag = uuid.uuid4().hex[:6]
    embargoed = (
        await send(editor, story(guid=f"urn:test:lift:{tag}", section="football", embargoed=lifts_at.isoformat()))
    ).json()["id"]
    withheld = (
        await send(editor, story(guid=f"urn:test:lift-w:{tag}", status="withheld", embargoed=lifts_at.isoformat()))
    ).json()["id"]
    past = utcnow() - timedelta(hours=1)
    lifted = (await send(editor, story(guid=f"urn:test:lift-p:{tag}", embargoed=past.isoformat()))).json()["id"]
    cursor = await replay(partner, mirror, start)
    assert f"article:{embargoed}" not in mirror, "under embargo: the partner got a 404 and dropped it"
    assert f"article:{lifted}" in mirror, "an embargo already past hides nothing"

    await _until(lifts_at)
    assert (await partner.get(f"/v1/articles/{embargoed}")).status_code == 200
    # Two processes read the feed at once, one of them with a key licensed for sports (football's parent).
    sports = await make_key(write_app, Scope.read, name=f"sports {tag}", sections=["sports"])
    async with running_app(write_database) as other, client_for(other, **{"X-API-Key": sports}) as licensed:
        pages = await asyncio.gather(
            partner.get("/v1/changes", params={"cursor": cursor}),
            licensed.get("/v1/changes", params={"cursor": cursor}),
        )
    for page in pages:
        (released,) = _released(page.json()["items"], embargoed)
        assert released["object"] == "article" and released["version"] == 1
        assert released["url"] == f"/v1/articles/{embargoed}"
    await replay(partner, mirror, cursor)
    assert mirror[f"article:{embargoed}"] == (await partner.get(f"/v1/articles/{embargoed}")).json()

    # Logged once, and never again: reading on finds nothing new.
    changes = await everything_changes(partner, start)
    assert len(_released(changes, embargoed)) == 1
    assert _released(changes, withheld) == [] and _released(changes, lifted) == []
    end = await feed_end(partner)
    assert (await partner.get("/v1/changes", params={"cursor": end})).json()["items"] == []
    assert await release_embargoes(write_app.state.db, utcnow()) == []


async def test_a_long_poll_sees_an_embargo_lift_and_a_moved_embargo_lifts_again(
    write_app: FastAPI, write_database: Database, editor: httpx.AsyncClient, partner: httpx.AsyncClient
) -> None:
    """An embargo moved by a correction is logged at once (still hidden) and released when it lifts, which
    a long poll waiting meanwhile sees; an embargo set again on a released story lifts again."""
    article_id = (
        await send(editor, story(guid=f"urn:test:relift:{uuid.uuid4().hex[:6]}", embargoed="2099-01-01T00:00:00Z"))
    ).json()["id"]
    url = f"/v1/articles/{article_id}"
    async with (
        running_app(write_database, long_poll_max=5) as app,
        client_for(app, **{"X-API-Key": partner.headers["X-API-Key"]}) as poller,
    ):
        etag = (await editor.get(url)).headers["etag"]
        for _ in range(2):
            lifts_at = utcnow() + timedelta(seconds=1)
            moved = await editor.patch(url, json={"embargoed": lifts_at.isoformat()}, headers={"If-Match": etag})
            assert moved.status_code == 200, moved.text
            # Taken before the release, and still good after it: a release changes nothing of the story.
            etag = (await editor.get(url)).headers["etag"]
            assert (await partner.get(url)).status_code == 404
            end = await feed_end(poller)
            began = time.monotonic()
            page = (await poller.get("/v1/changes", params={"cursor": end, "wait": 5})).json()
            assert time.monotonic() - began < 4, "the long poll answered once the embargo lifted"
            assert [(c["id"], c["action"]) for c in page["items"]] == [(article_id, "released")]
            assert (await partner.get(url)).status_code == 200


async def test_processes_racing_to_log_a_lift_log_it_once(write_database: Database, editor: httpx.AsyncClient) -> None:
    """Two processes find the same lifted embargo: the second waits for the first's rows, then skips them."""
    if write_database.backend != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    article_id = (
        await send(editor, story(guid=f"urn:test:race:{uuid.uuid4().hex[:6]}", embargoed="2099-01-01T00:00:00Z"))
    ).json()["id"]
    async with running_app(write_database) as one, running_app(write_database) as two:
        # The clock passing the embargo, without a wait: nothing is logged when an embargo lifts.
        async with transaction(one.state.db) as session:
            lift = sa.update(article_table).where(article_table.c.public_id == article_id)
            await session.execute(lift.values(embargoed_until=utcnow()))
        now = utcnow()
        async with transaction(one.state.db) as session:
            _, events = await release_lifted(session, now)
            assert [(e.object_id, e.action) for e in events] == [(article_id, ChangeAction.released)]
            racing = asyncio.create_task(release_embargoes(two.state.db, now))
            await asyncio.sleep(0.3)
            assert not racing.done(), "the other process waits for the rows this one marked"
        assert await racing == []
        async with client_for(one) as anonymous:
            assert len(_released(await everything_changes(anonymous), article_id)) == 1


async def feed_end(client: httpx.AsyncClient) -> str:
    """The cursor after the last change this client sees, without fetching anything."""
    cursor = None
    while True:
        page = (
            await client.get("/v1/changes", params={"limit": 1000, **({"cursor": cursor} if cursor else {})})
        ).json()
        if not page["items"]:
            return str(page["next_cursor"])
        cursor = page["next_cursor"]


async def everything_changes(client: httpx.AsyncClient, cursor: str | None = None) -> list[dict[str, Any]]:
    """The changes this client sees, after `cursor` (from the beginning without one)."""
    items: list[dict[str, Any]] = []
    while True:
        page = (await client.get("/v1/changes", params={"limit": 500, **({"cursor": cursor} if cursor else {})})).json()
        if not page["items"]:
            return items
        items += page["items"]
        cursor = page["next_cursor"]


async def test_read_can_require_a_key(write_database: Database) -> None:
    async with running_app(write_database, require_api_key=True) as app:
        async with client_for(app) as anonymous:
            refused = await anonymous.get("/v1/articles")
            assert refused.status_code == 401 and "www-authenticate" in refused.headers
            assert (await anonymous.get("/healthz")).status_code == 200
            assert (await anonymous.get("/v1/articles", params={"api_key": "x"})).status_code == 401
        key = await make_key(app, Scope.read)
        async with client_for(app, Authorization=f"Bearer {key}") as client:
            assert (await client.get("/v1/articles")).status_code == 200


async def test_feeds_import_into_a_reader(editor: httpx.AsyncClient, partner: httpx.AsyncClient) -> None:
    killed = await send(editor, story(guid=f"urn:test:feed:{uuid.uuid4().hex[:6]}", section="politics"))
    await editor.delete(f"/v1/articles/{killed.json()['id']}")
    atom = await partner.get("/v1/sections/politics/feed.atom")
    assert atom.status_code == 200 and atom.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(atom.content)
    entries = root.findall(f"{{{ATOM_NS}}}entry")
    assert entries and all(e.find(f"{{{ATOM_NS}}}title") is not None for e in entries)
    deleted = root.findall(f"{{{TOMBSTONE_NS}}}deleted-entry")
    assert any(killed.json()["id"] in d.attrib["ref"] for d in deleted)
    feed = (await partner.get("/v1/sections/politics/feed.json")).json()
    assert feed["version"] == "https://jsonfeed.org/version/1.1" and feed["items"]
    assert killed.json()["id"] not in {i["id"].rsplit("/", 1)[-1] for i in feed["items"]}
    entity = feed["items"][0]
    assert entity["title"]
    people = await everything(partner, "/v1/entities", kind="person", quoted="true")
    by_entity = await partner.get(f"/v1/entities/{people[0]['id']}/feed.atom")
    assert by_entity.status_code == 200 and ET.fromstring(by_entity.content).findall(f"{{{ATOM_NS}}}entry")
    assert (await partner.get("/v1/sections/nope/feed.json")).status_code == 404


async def test_formats_fields_and_expand(partner: httpx.AsyncClient) -> None:
    summary = (await partner.get("/v1/articles", params={"limit": 1})).json()["items"][0]
    url = f"/v1/articles/{summary['id']}"
    ninjs = await partner.get(url, headers={"Accept": "application/ninjs+json"})
    assert ninjs.headers["content-type"] == "application/ninjs+json"
    assert ninjs.json()["uri"].endswith(url) and ninjs.json()["headlines"][0]["value"] == summary["headline"]
    assert "infosources" in ninjs.json()
    jsonld = (await partner.get(url, params={"format": "jsonld"})).json()
    assert jsonld["@type"] == "NewsArticle"
    trimmed = (await partner.get(url, params={"fields": "id,headline"})).json()
    assert trimmed == {"id": summary["id"], "headline": summary["headline"]}
    page = (await partner.get("/v1/articles", params={"limit": 3, "expand": "quotes", "fields": "id,quotes"})).json()
    assert all(set(item) == {"id", "quotes"} for item in page["items"])
    ninjs_list = await partner.get("/v1/articles", params={"limit": 2, "format": "ninjs"})
    assert len(ninjs_list.json()["items"]) == 2
    assert (await partner.get(url, params={"fields": "nope"})).status_code == 422
    assert (await partner.get("/v1/articles", params={"expand": "everything"})).status_code == 422


async def test_cors_allows_partner_origins(write_database: Database) -> None:
    async with (
        running_app(write_database, cors_origins=["https://partner.example"]) as app,
        client_for(app) as client,
    ):
        ok = await client.get("/v1/sections", headers={"Origin": "https://partner.example"})
        assert ok.headers["access-control-allow-origin"] == "https://partner.example"
        assert "ETag" in ok.headers["access-control-expose-headers"]
        other = await client.get("/v1/sections", headers={"Origin": "https://elsewhere.example"})
        assert "access-control-allow-origin" not in other.headers
        preflight = await client.options(
            "/v1/articles", headers={"Origin": "https://partner.example", "Access-Control-Request-Method": "GET"}
        )
        assert preflight.status_code == 200


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


async def test_processes_share_one_quota_through_redis(write_database: Database) -> None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL).ping()
    except Exception as exc:
        if os.environ.get("REQUIRE_REDIS"):
            raise
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    redis.Redis.from_url(REDIS_URL).flushdb()
    settings = {"rate_limit": "4/minute", "redis_url": REDIS_URL}
    async with running_app(write_database, **settings) as one, running_app(write_database, **settings) as two:
        key = await make_key(one, Scope.read, name=f"shared {uuid.uuid4().hex[:6]}")
        async with client_for(one, **{"X-API-Key": key}) as a, client_for(two, **{"X-API-Key": key}) as b:
            codes = [(await client.get("/v1/sections")).status_code for client in (a, b, a, b, a)]
    assert codes == [200, 200, 200, 200, 429]
