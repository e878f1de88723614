from collections import Counter
from collections.abc import Set as AbstractSet
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa

from app.db import transaction
from app.models import ArticleCreate
from app.services.store import insert_article
from tests.oracle import NO_CACHE, Story, collect, entity_ids, guids, in_range, newest_first, stories, usable

pytestmark = pytest.mark.asyncio


async def test_list_pages_through_every_usable_article_newest_first(client: httpx.AsyncClient) -> None:
    first = await client.get("/v1/articles", params={"limit": 7})
    assert first.status_code == 200
    body = first.json()
    assert len(body["items"]) == 7
    assert body["next_cursor"]
    assert 'rel="next"' in first.headers["link"] and body["next_cursor"] in first.headers["link"]

    items = await collect(client, "/v1/articles", {"limit": 7})
    assert [i["guid"] for i in items] == newest_first(usable())
    oldest = await collect(client, "/v1/articles", {"limit": 5, "sort": "oldest"})
    assert [i["guid"] for i in oldest] == list(reversed(newest_first(usable())))


async def test_default_page_size_is_20(client: httpx.AsyncClient) -> None:
    body = (await client.get("/v1/articles")).json()
    assert len(body["items"]) == min(20, len(usable()))


async def test_summary_fields(client: httpx.AsyncClient) -> None:
    story = usable()[0].data
    items = await collect(client, "/v1/articles", {"limit": 100})
    item = next(i for i in items if i["guid"] == story.guid)
    assert item["headline"] == story.headline
    assert item["language"] == story.language
    assert item["section"]["slug"] == story.section
    assert [a["slug"] for a in item["agencies"]] == story.agencies
    assert item["quote_count"] == len(story.quotes)
    assert datetime.fromisoformat(item["published_at"]) == story.published_at
    assert "paragraphs" not in item and "quotes" not in item
    # Agencies in credit order, for every story (several have two, not in the order of their ids).
    credits = {i["guid"]: [a["slug"] for a in i["agencies"]] for i in items}
    assert credits == {s.data.guid: s.data.agencies for s in usable()}
    assert any(len(slugs) > 1 for slugs in credits.values())
    first = next(s.data for s in usable() if len(s.data.agencies) > 1)
    article = (await client.get(f"/v1/articles/{next(i['id'] for i in items if i['guid'] == first.guid)}")).json()
    assert [a["slug"] for a in article["agencies"]] == first.agencies


@pytest.mark.parametrize("sections", [["politics"], ["economy", "health"], ["sports"], ["football"]])
async def test_filter_by_section(client: httpx.AsyncClient, sections: list[str]) -> None:
    items = await collect(client, "/v1/articles", [("section", s) for s in sections])
    expected = {s for s in usable() if s.sections & set(sections)}
    assert expected, "the demo corpus must exercise this filter"
    assert {i["guid"] for i in items} == guids(expected)


async def test_parent_section_includes_children(client: httpx.AsyncClient) -> None:
    sports = {i["guid"] for i in await collect(client, "/v1/articles", {"section": "sports"})}
    football = {i["guid"] for i in await collect(client, "/v1/articles", {"section": "football"})}
    assert football and football < sports


def _times() -> list[datetime]:
    return sorted(s.data.published_at.astimezone(UTC) for s in usable())


@pytest.mark.parametrize("field", ["published", "updated"])
async def test_filter_by_datetime_range(client: httpx.AsyncClient, field: str) -> None:
    times = _times()
    low, high = times[len(times) // 4], times[3 * len(times) // 4]
    params = {f"{field}_from": low.isoformat(), f"{field}_to": high.astimezone(UTC).isoformat()}
    items = await collect(client, "/v1/articles", params)
    attr = f"{field}_at"
    expected = {s for s in usable() if in_range(getattr(s.data, attr), low, high)}
    assert expected
    assert {i["guid"] for i in items} == guids(expected)


async def test_filter_by_date_includes_the_whole_day_in_utc(client: httpx.AsyncClient) -> None:
    day = _times()[len(_times()) // 2].date()
    items = await collect(client, "/v1/articles", {"published_from": day.isoformat(), "published_to": day.isoformat()})
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    expected = {s for s in usable() if in_range(s.data.published_at, start, start + timedelta(days=1))}
    assert expected
    assert {i["guid"] for i in items} == guids(expected)


async def test_datetime_with_offset_is_honoured(client: httpx.AsyncClient) -> None:
    when = _times()[len(_times()) // 2]
    plus3 = when.astimezone(datetime.fromisoformat("2026-01-01T00:00:00+03:00").tzinfo)
    a = await collect(client, "/v1/articles", {"published_from": plus3.isoformat()})
    b = await collect(client, "/v1/articles", {"published_from": when.isoformat().replace("+00:00", "Z")})
    assert [i["guid"] for i in a] == [i["guid"] for i in b]
    assert len(a) == sum(1 for s in usable() if s.data.published_at >= when)


async def test_filter_by_entity_any_and_all(client: httpx.AsyncClient) -> None:
    ids = await entity_ids(client)
    # The two entities mentioned together most often make a meaningful "all".
    counts: dict[str, int] = {}
    for s in usable():
        for key in s.mentioned:
            counts[key] = counts.get(key, 0) + 1
    a, b = sorted(counts, key=lambda k: -counts[k])[:2]
    params_any = [("entity", ids[a]), ("entity", ids[b])]
    any_items = await collect(client, "/v1/articles", params_any)
    assert {i["guid"] for i in any_items} == guids(s for s in usable() if s.mentioned & {a, b})
    all_items = await collect(client, "/v1/articles", [*params_any, ("entity_match", "all")])
    assert {i["guid"] for i in all_items} == guids(s for s in usable() if {a, b} <= s.mentioned)
    assert len(all_items) < len(any_items)


async def test_filter_by_speaker(client: httpx.AsyncClient) -> None:
    ids = await entity_ids(client)
    key = next(iter(sorted(usable()[0].speakers)))
    items = await collect(client, "/v1/articles", {"speaker": ids[key]})
    assert {i["guid"] for i in items} == guids(s for s in usable() if key in s.speakers)


def _named(story: Story, name: str) -> AbstractSet[str]:
    return {"entity": story.mentioned, "speaker": story.speakers, "agency": set(story.data.agencies)}[name]


@pytest.mark.parametrize("name", ["entity", "speaker", "agency"])
async def test_one_entity_lists_page_through_its_own_rows(editor_client: httpx.AsyncClient, name: str) -> None:
    """A list of one entity's (speaker's, agency's) stories is read from its mentions (quotes, credits):
    several rows of one story (roles, quotes) must give the story once, pages must follow on, and the
    other filters must still apply."""
    ids = await entity_ids(editor_client)
    counts: dict[str, int] = {}
    for story in usable():
        for key in _named(story, name):
            counts[key] = counts.get(key, 0) + 1
    key = max(sorted(counts), key=lambda k: counts[k])
    if name == "entity":
        # One named in two roles (speaker and subject) in a story: two mention rows to count once.
        stories = await collect(editor_client, "/v1/articles", {"expand": "entities", "limit": 100})
        roles = Counter((story["id"], m["entity"]["id"]) for story in stories for m in story["entities"])
        twice = {entity_id for (_, entity_id), n in roles.items() if n > 1}
        key = next(slug for slug, entity_id in sorted(ids.items()) if entity_id in twice)
    everything = [("status", "usable"), ("status", "withheld"), ("status", "canceled")]
    for extra in ([], [("language", "ar")], everything, [*everything, ("sort", "oldest")]):
        query = [(name, ids[key]), *extra]
        whole = await collect(editor_client, "/v1/articles", [*query, ("limit", 100)])
        paged = await collect(editor_client, "/v1/articles", [*query, ("limit", 1)])
        assert [i["id"] for i in paged] == [i["id"] for i in whole]
        assert len({i["id"] for i in whole}) == len(whole)
        if not extra:
            wanted = (s for s in usable() if key in _named(s, name))
            assert {i["guid"] for i in whole} == guids(wanted)
        if extra and extra[0] == ("language", "ar"):
            assert whole and all(i["language"].startswith("ar") for i in whole)


@pytest.mark.parametrize("language", ["ar", "en"])
async def test_filter_by_language(client: httpx.AsyncClient, language: str) -> None:
    items = await collect(client, "/v1/articles", {"language": language})
    expected = {s for s in usable() if s.data.language.split("-")[0] == language}
    assert expected
    assert {i["guid"] for i in items} == guids(expected)


async def test_filter_by_agency(client: httpx.AsyncClient) -> None:
    ids = await entity_ids(client)
    for agency in ("east-wire", "meridian-press"):
        items = await collect(client, "/v1/articles", {"agency": ids[agency]})
        expected = {s for s in usable() if agency in s.data.agencies}
        assert {i["guid"] for i in items} == guids(expected)


@pytest.mark.parametrize("status", ["withheld", "canceled"])
async def test_filter_by_status(editor_client: httpx.AsyncClient, status: str) -> None:
    items = await collect(editor_client, "/v1/articles", {"status": status})
    expected = {s for s in stories() if s.data.status == status}
    assert expected
    assert {i["guid"] for i in items} == guids(expected)
    assert all(i["status"] == status for i in items)


@pytest.mark.parametrize("sort", ["newest", "oldest"])
@pytest.mark.parametrize("limit", [1, 3, 100])
async def test_several_statuses_page_as_one_list(editor_client: httpx.AsyncClient, sort: str, limit: int) -> None:
    """A list of several statuses is read one status at a time and merged: the pages must still
    hold every story once, in one order, across page boundaries."""
    statuses = ["usable", "withheld", "canceled"]
    items = await collect(editor_client, "/v1/articles", {"status": statuses, "sort": sort, "limit": limit})
    assert {i["guid"] for i in items} == guids(set(stories()))
    assert len(items) == len({i["guid"] for i in items})
    assert {i["status"] for i in items} == set(statuses)
    times = [i["published_at"] for i in items]
    assert times == sorted(times, reverse=sort == "newest")
    again = {"status": [*statuses, "usable"], "sort": sort, "limit": limit}
    twice = await collect(editor_client, "/v1/articles", again)
    assert [i["id"] for i in twice] == [i["id"] for i in items]


async def test_partners_never_see_withheld_stories(client: httpx.AsyncClient, editor_client: httpx.AsyncClient) -> None:
    assert await collect(client, "/v1/articles", {"status": "withheld"}) == []
    withheld = (await collect(editor_client, "/v1/articles", {"status": "withheld"}))[0]
    assert (await client.get(f"/v1/articles/{withheld['id']}")).status_code == 404
    assert (await client.get(f"/v1/articles/{withheld['id']}/versions")).status_code == 404
    assert (await editor_client.get(f"/v1/articles/{withheld['id']}")).status_code == 200
    canceled = await collect(client, "/v1/articles", {"status": "canceled"})
    assert canceled, "tombstones stay visible: partners need them to mirror"


async def test_filters_combine(client: httpx.AsyncClient) -> None:
    ids = await entity_ids(client)
    story = next(s for s in usable() if s.data.language == "ar" and s.speakers)
    speaker = sorted(story.speakers)[0]
    params = [
        ("language", "ar"),
        ("section", story.data.section),
        ("speaker", ids[speaker]),
        ("published_to", story.data.published_at.isoformat()),
    ]
    items = await collect(client, "/v1/articles", params)
    expected = {
        s
        for s in usable()
        if s.data.language == "ar"
        and story.data.section in s.sections
        and speaker in s.speakers
        and s.data.published_at < story.data.published_at
    }
    assert {i["guid"] for i in items} == guids(expected)
    assert story.data.guid not in {i["guid"] for i in items}


async def test_get_article_embeds_quotes_entities_and_provenance(client: httpx.AsyncClient) -> None:
    story = max(usable(), key=lambda s: len(s.data.quotes)).data
    summary = next(i for i in await collect(client, "/v1/articles", {"limit": 100}) if i["guid"] == story.guid)
    response = await client.get(f"/v1/articles/{summary['id']}")
    assert response.status_code == 200
    article = response.json()
    assert article["paragraphs"] == story.paragraphs
    assert article["section"]["slug"] == story.section
    assert article["provenance"]["original_language"] == story.provenance.original_language
    assert article["provenance"]["translated_by"] == story.provenance.translated_by
    assert len(article["quotes"]) == len(story.quotes)
    for quote in article["quotes"]:
        assert article["paragraphs"][quote["paragraph"]][quote["start"] : quote["end"]] == quote["text"]
    assert {q["text"] for q in article["quotes"]} == {q.text for q in story.quotes}
    speakers = {q["speaker"]["slug"] for q in article["quotes"] if q["speaker"]}
    assert speakers == {q.speaker for q in story.quotes if q.speaker}
    mentioned = {(m["entity"]["slug"], m["role"]) for m in article["entities"]}
    assert {(k, "speaker") for k in speakers} <= mentioned
    assert all(m["count"] >= 1 for m in article["entities"])


async def test_unknown_article_is_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/articles/aaaaaaaaaaaaaaaa")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404


async def test_cursor_stays_correct_while_new_stories_arrive(client: httpx.AsyncClient, app) -> None:  # type: ignore[no-untyped-def]
    first = (await client.get("/v1/articles", params={"limit": 10})).json()
    template = usable()[0].data
    newest = max(s.data.published_at for s in stories())
    new = ArticleCreate.model_validate(
        {
            **template.model_dump(exclude={"quotes", "mentions"}),
            "guid": "urn:test:arrives-later",
            "agencies": [],
            "published_at": newest + timedelta(hours=1),
            "updated_at": newest + timedelta(hours=1),
        }
    )
    async with transaction(app.state.db) as session:
        section_id = (
            await session.execute(sa.text("SELECT id FROM section WHERE slug = :s"), {"s": template.section})
        ).scalar_one()
        await insert_article(
            session, new, section_id=section_id, agency_ids=[], quotes=[], mentions={}, now=datetime.now(UTC)
        )
    # The story goes in behind the service's back, without a change logged, and comes out again the same
    # way: no-cache keeps these answers out of the service's caches, which follow the change log.
    try:
        rest = await collect(client, "/v1/articles", {"limit": 10, "cursor": first["next_cursor"]}, NO_CACHE)
        seen = [i["guid"] for i in first["items"]] + [i["guid"] for i in rest]
        assert seen == newest_first(usable())
        fresh = (await client.get("/v1/articles", params={"limit": 1}, headers=NO_CACHE)).json()
        assert fresh["items"][0]["guid"] == "urn:test:arrives-later"
    finally:
        async with transaction(app.state.db) as session:
            await session.execute(sa.text("DELETE FROM article WHERE guid = 'urn:test:arrives-later'"))
            # insert_article counted the story in its section; removing it behind the services must uncount it.
            await session.execute(
                sa.text("UPDATE section SET article_count = article_count - 1 WHERE id = :s"), {"s": section_id}
            )
