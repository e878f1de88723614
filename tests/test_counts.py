"""Stored counts (an entity's quotes and articles, a section's articles) against the rows, after every kind of write.

The counts are checked against what the rows say by the definitions the API documents, counted here
in SQL of our own rather than by the service's code.
"""

import asyncio
import random
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from alembic import command

from app.db import create_sync_engine
from app.migrate import alembic_config, upgrade
from tests.conftest import Database, new_database
from tests.test_ingest import STORY, send, speech, story

_ENTITIES = sa.text(
    """
    SELECT e.id, e.quote_count, e.article_count,
        (SELECT count(*) FROM quote q JOIN article a ON a.id = q.article_id
         WHERE q.speaker_id = e.id AND a.status = 'usable') AS quotes,
        (SELECT count(DISTINCT m.article_id) FROM mention m JOIN article a ON a.id = m.article_id
         WHERE m.entity_id = e.id AND a.status = 'usable') AS articles
    FROM entity e
    """
)
_SECTIONS = sa.text(
    """
    SELECT s.id, s.article_count,
        (SELECT count(*) FROM article a WHERE a.section_id = s.id AND a.status = 'usable') AS articles
    FROM section s
    """
)

Counts = dict[str, dict[int, Any]]


def stored_and_counted(url: str) -> tuple[Counts, Counts]:
    """Entities' (quotes, articles) and sections' articles: as stored, and as counted from the rows."""
    engine = create_sync_engine(url)
    try:
        with engine.connect() as conn:
            entities = conn.execute(_ENTITIES).all()
            sections = conn.execute(_SECTIONS).all()
    finally:
        engine.dispose()
    stored = {
        "entity": {r.id: (r.quote_count, r.article_count) for r in entities},
        "section": {r.id: r.article_count for r in sections},
    }
    counted = {
        "entity": {r.id: (r.quotes, r.articles) for r in entities},
        "section": {r.id: r.articles for r in sections},
    }
    return stored, counted


def assert_exact(url: str) -> Counts:
    """Every stored count equals the count from the rows; returns the counts."""
    stored, counted = stored_and_counted(url)
    for kind in ("entity", "section"):
        wrong = {i: (n, counted[kind][i]) for i, n in stored[kind].items() if n != counted[kind][i]}
        assert not wrong, f"{kind} id: (stored, counted) {wrong}"
    assert any(q for q, _ in counted["entity"].values()), "nothing is counted: the check would prove nothing"
    return stored


@pytest.fixture(scope="module")
def exact(write_database: Database) -> Callable[[], Counts]:
    return lambda: assert_exact(write_database.url)


async def entity_of(client: httpx.AsyncClient, entity_id: int) -> tuple[int, int]:
    body = (await client.get(f"/v1/entities/{entity_id}")).json()
    return body["quote_count"], body["article_count"]


async def section_count(client: httpx.AsyncClient, slug: str) -> int:
    sections = (await client.get("/v1/sections")).json()["items"]
    return int(next(s["article_count"] for s in sections if s["slug"] == slug))


async def create(client: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    response = await send(client, story(guid=f"urn:test:counts:{uuid.uuid4().hex[:8]}", **changes))
    assert response.status_code == 201, response.text
    return dict((await client.get(f"/v1/articles/{response.json()['id']}")).json())


def speakers_of(article: dict[str, Any]) -> dict[str, int]:
    """Speaker name → id, for the quotes of an article."""
    return {q["speaker"]["name_ar"]: q["speaker"]["id"] for q in article["quotes"] if q["speaker"]}


def test_demo_load_counts_are_exact(database: Database) -> None:
    assert_exact(database.url)


async def test_kill_lowers_the_counts(editor: httpx.AsyncClient, exact: Callable[[], Counts]) -> None:
    article = await create(editor, section="sports", paragraphs=speech(3, "سمير داود"))
    speaker = speakers_of(article)["سمير داود"]
    assert await entity_of(editor, speaker) == (3, 1)
    sports = await section_count(editor, "sports")
    exact()
    assert (await editor.delete(f"/v1/articles/{article['id']}")).status_code == 200
    assert await entity_of(editor, speaker) == (0, 0)
    assert await section_count(editor, "sports") == sports - 1
    exact()


async def test_withheld_lowers_and_republishing_raises(editor: httpx.AsyncClient, exact: Callable[[], Counts]) -> None:
    article = await create(editor, section="economy", paragraphs=speech(2, "وليد صباغ"))
    speaker = speakers_of(article)["وليد صباغ"]
    economy = await section_count(editor, "economy")
    url = f"/v1/articles/{article['id']}"
    assert (await editor.patch(url, json={"status": "withheld"})).status_code == 200
    assert await entity_of(editor, speaker) == (0, 0)
    assert await section_count(editor, "economy") == economy - 1
    exact()
    # A story sent again as withheld, with other quotes, still counts nothing.
    withheld = story(guid=article["guid"], section="economy", status="withheld", paragraphs=speech(4, "وليد صباغ"))
    assert (await send(editor, withheld)).json()["status"] == "updated"
    assert await entity_of(editor, speaker) == (0, 0)
    assert (await editor.patch(url, json={"status": "usable"})).status_code == 200
    assert await entity_of(editor, speaker) == (4, 1)
    assert await section_count(editor, "economy") == economy
    exact()


async def test_a_section_change_moves_the_story(editor: httpx.AsyncClient, exact: Callable[[], Counts]) -> None:
    article = await create(editor, section="politics", paragraphs=speech(2, "منى سعادة"))
    speaker = speakers_of(article)["منى سعادة"]
    before = {slug: await section_count(editor, slug) for slug in ("politics", "culture")}
    patched = await editor.patch(f"/v1/articles/{article['id']}", json={"section": "culture"})
    assert patched.status_code == 200, patched.text
    assert {slug: await section_count(editor, slug) for slug in before} == {
        "politics": before["politics"] - 1,
        "culture": before["culture"] + 1,
    }
    assert await entity_of(editor, speaker) == (2, 1)
    exact()


async def test_a_speaker_correction_moves_one_quote(editor: httpx.AsyncClient, exact: Callable[[], Counts]) -> None:
    article = await create(editor, paragraphs=[*speech(3, "بشير عواد"), *speech(1, "نوال خوري")])
    speakers = speakers_of(article)
    bashir, nawal = speakers["بشير عواد"], speakers["نوال خوري"]
    assert [await entity_of(editor, e) for e in (bashir, nawal)] == [(3, 1), (1, 1)]
    quote = next(q for q in article["quotes"] if q["speaker"] and q["speaker"]["id"] == bashir)
    fixed = await editor.patch(f"/v1/quotes/{quote['id']}", json={"speaker_id": nawal})
    assert fixed.status_code == 200, fixed.text
    # The article still mentions both: only the quote moves.
    assert [await entity_of(editor, e) for e in (bashir, nawal)] == [(2, 1), (2, 1)]
    again = await editor.patch(f"/v1/quotes/{quote['id']}", json={"speaker_id": nawal, "kind": "indirect"})
    assert again.status_code == 200
    assert [await entity_of(editor, e) for e in (bashir, nawal)] == [(2, 1), (2, 1)]
    exact()
    # In a withheld story nothing counts, before or after a correction.
    assert (await editor.patch(f"/v1/articles/{article['id']}", json={"status": "withheld"})).status_code == 200
    assert (await editor.patch(f"/v1/quotes/{quote['id']}", json={"speaker_id": bashir})).status_code == 200
    assert [await entity_of(editor, e) for e in (bashir, nawal)] == [(0, 0), (0, 0)]
    exact()


async def test_a_merge_adds_quotes_and_counts_a_shared_story_once(
    editor: httpx.AsyncClient, exact: Callable[[], Counts]
) -> None:
    both = await create(editor, paragraphs=[*speech(2, "فادي نصار"), *speech(3, "عماد زيدان")])
    speakers = speakers_of(both)
    fadi, imad = speakers["فادي نصار"], speakers["عماد زيدان"]
    await create(editor, paragraphs=speech(1, "عماد زيدان"))
    assert [await entity_of(editor, e) for e in (fadi, imad)] == [(2, 1), (4, 2)]
    merged = await editor.post(f"/v1/entities/{fadi}/merge", json={"source_id": imad})
    assert merged.status_code == 200, merged.text
    assert (merged.json()["quote_count"], merged.json()["article_count"]) == (6, 2)
    counts = exact()
    assert counts["entity"][imad] == (0, 0)


async def test_concurrent_writers_keep_the_counts(editor: httpx.AsyncClient, exact: Callable[[], Counts]) -> None:
    """On PostgreSQL these run at once: stories of the same speakers, kills, withholdings, new versions,
    then a merge and quote corrections while more stories come in."""
    names = ["أيمن بدر", "عادل عيسى", "هاني شاهين"]
    speakers = speakers_of(await create(editor, paragraphs=[p for name in names for p in speech(1, name)]))
    bodies = [
        story(
            guid=f"urn:test:counts:race:{uuid.uuid4().hex[:8]}",
            section=random.Random(n).choice(["politics", "economy", "sports"]),
            paragraphs=[p for name in random.Random(n).sample(names, 3) for p in speech(n % 3 + 1, name)],
        )
        for n in range(12)
    ]
    created = await asyncio.gather(*(send(editor, body) for body in bodies))
    assert [r.status_code for r in created] == [201] * len(bodies), [r.text for r in created]
    changes = [editor.delete(f"/v1/articles/{r.json()['id']}") for r in created[:4]]
    changes += [editor.patch(f"/v1/articles/{r.json()['id']}", json={"status": "withheld"}) for r in created[4:8]]
    changes += [send(editor, {**body, "paragraphs": speech(2, names[0])}) for body in bodies[8:]]
    done = await asyncio.gather(*changes)
    assert [r.status_code for r in done] == [200] * len(done), [r.text for r in done]
    exact()
    quotes = [q for r in created[8:] for q in (await editor.get(f"/v1/articles/{r.json()['id']}")).json()["quotes"]]
    work = [editor.post(f"/v1/entities/{speakers[names[1]]}/merge", json={"source_id": speakers[names[2]]})]
    work += [editor.patch(f"/v1/quotes/{q['id']}", json={"speaker_id": speakers[names[1]]}) for q in quotes[:4]]
    work += [
        send(editor, story(guid=f"urn:test:counts:race:{uuid.uuid4().hex[:8]}", paragraphs=speech(n + 1, name)))
        for n, name in enumerate(names * 2)
    ]
    done = await asyncio.gather(*work)
    assert all(r.status_code in (200, 201) for r in done), [r.text for r in done]
    exact()


# A pool of paragraphs whose quotes have speakers: a story drawn from it differs in quotes and mentions.
POOL = [
    *STORY["paragraphs"],
    *speech(3, "رامي قاسم"),
    *speech(2, "نادر سليم"),
    "وقالت المتحدثة باسم الحكومة ليلى منصور: «لن نرفع أسعار الخبز هذا العام».",
    "وبحسب المحلل الاقتصادي ماجد فرحات فإن الأسعار ستستقر قبل نهاية الربيع.",
]


async def test_a_random_mix_of_writes_keeps_every_count_exact(
    editor: httpx.AsyncClient, exact: Callable[[], Counts]
) -> None:
    rng = random.Random(2026)
    live: dict[str, str] = {}  # article id → guid, of the stories not killed
    done: set[str] = set()

    def body(guid: str) -> dict[str, Any]:
        return story(
            guid=guid,
            section=rng.choice(["politics", "economy", "sports", "football"]),
            status=rng.choice(["usable"] * 4 + ["withheld"]),
            paragraphs=rng.sample(POOL, rng.randint(1, 5)),
        )

    before = exact()
    for step in range(60):
        action = rng.choice(["create", "create", "resend", "patch", "patch", "kill", "speaker", "merge", "entity"])
        if action == "create" or not live:
            action, guid = "create", f"urn:test:counts:mix:{step}"
            response = await send(editor, body(guid))
            live[response.json()["id"]] = guid
        elif action == "resend":
            response = await send(editor, body(rng.choice(list(live.values()))))
        elif action == "patch":
            changes = rng.choice(
                [
                    {"status": rng.choice(["usable", "withheld"])},
                    {"section": rng.choice(["politics", "culture", "a section of its own"])},
                    {"paragraphs": rng.sample(POOL, rng.randint(1, 4))},
                    {"summary": f"تصحيح {step}"},
                ]
            )
            response = await editor.patch(f"/v1/articles/{rng.choice(list(live))}", json=changes)
        elif action == "kill":
            article_id = rng.choice(list(live))
            response = await editor.delete(f"/v1/articles/{article_id}")
            del live[article_id]
        elif action == "speaker":
            quotes = (await editor.get(f"/v1/articles/{rng.choice(list(live))}")).json()["quotes"]
            people = (await editor.get("/v1/entities", params={"kind": "person", "limit": 100})).json()["items"]
            if not quotes:
                continue
            target = rng.choice(people)["id"]
            response = await editor.patch(f"/v1/quotes/{rng.choice(quotes)['id']}", json={"speaker_id": target})
        elif action == "merge":
            quoted = (await editor.get("/v1/entities", params={"quoted": "true", "limit": 100})).json()["items"]
            source, target = rng.sample(quoted, 2)
            response = await editor.post(f"/v1/entities/{target['id']}/merge", json={"source_id": source["id"]})
        else:
            people = (await editor.get("/v1/entities", params={"kind": "person", "limit": 100})).json()["items"]
            response = await editor.patch(
                f"/v1/entities/{rng.choice(people)['id']}", json={"add_aliases": [f"اسم آخر {step}"]}
            )
        assert response.status_code in (200, 201), response.text
        done.add(action)
        exact()
    assert done == {"create", "resend", "patch", "kill", "speaker", "merge", "entity"}, done
    assert exact() != before


def test_the_migration_counts_what_is_there(backend: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Down to the schema before the stored counts and up again: the migration counts the rows there are."""
    with new_database(backend, tmp_path_factory) as database:
        loaded = assert_exact(database.url)
        command.downgrade(alembic_config(database.url), "0006")
        engine = create_sync_engine(database.url)
        try:
            assert "quote_count" not in {c["name"] for c in sa.inspect(engine).get_columns("entity")}
        finally:
            engine.dispose()
        upgrade(database.url)
        assert assert_exact(database.url) == loaded
