"""Ingest, versions, corrections and kills over HTTP, on both databases."""

import asyncio
import copy
from pathlib import Path
from random import Random
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI

from app.demo.load import read_corpus
from app.models import Scope
from app.pipeline.analyse import tokens
from app.search.text import index_text
from app.services.ingest import _tokens
from app.services.search import indexed
from tests.conftest import Database, client_for, count_statements, make_key, running_app

pytestmark = pytest.mark.asyncio

STORY: dict[str, Any] = {
    "guid": "urn:test:ingest:0001",
    "language": "ar",
    "section": "politics",
    "headline": "حكومة لوريان تعلن خطة لإصلاح الموانئ",
    "summary": "أعلنت حكومة لوريان خطة لتحديث موانئها خلال ثلاث سنوات.",
    "paragraphs": [
        "أعلنت حكومة جمهورية لوريان الثلاثاء خطة لتحديث موانئها الثلاثة خلال ثلاث سنوات.",
        "وقال وزير النقل كريم العساف في مؤتمر صحفي: «سنبدأ بميناء العاصمة لأنه الأكثر ازدحاماً».",
        "وأضاف العساف أن الخطة ستوفر آلاف الوظائف للشباب في المدن الساحلية.",
        "من جهتها، قالت نقابة عمال الموانئ في بيان إن العمال يريدون ضمانات مكتوبة قبل بدء الأعمال.",
    ],
    "byline": "قسم الترجمة - وكالات",
    "desk": "قسم الترجمة",
    "agencies": ["east-wire"],
    "dateline": "لوريان",
    "published_at": "2026-11-25T09:00:00+03:00",
    "provenance": {
        "original_language": "en",
        "original_headline": "Lorian unveils port overhaul plan",
        "translated_by": "قسم الترجمة",
        "translation_method": "human",
    },
}


def story(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(STORY)
    data.update(changes)
    return data


async def send(client: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    return await client.post("/v1/articles", json=body)


async def test_create_extracts_quotes_speakers_and_entities(editor: httpx.AsyncClient) -> None:
    response = await send(editor, story())
    assert response.status_code == 201, response.text
    outcome = response.json()
    assert outcome["status"] == "created" and outcome["version"] == 1
    assert response.headers["location"] == f"/v1/articles/{outcome['id']}"
    article = (await editor.get(f"/v1/articles/{outcome['id']}")).json()
    assert article["headline"] == STORY["headline"]
    assert [a["slug"] for a in article["agencies"]] == ["east-wire"]
    assert article["provenance"]["original_headline"] == "Lorian unveils port overhaul plan"
    quotes = article["quotes"]
    assert len(quotes) >= 3
    for quote in quotes:
        assert article["paragraphs"][quote["paragraph"]][quote["start"] : quote["end"]] == quote["text"]
        assert quote["method"] == "extracted"
    direct = next(q for q in quotes if q["kind"] == "direct")
    assert direct["speaker"]["name_ar"] == "كريم العساف"
    assert direct["speaker"]["title"] == "وزير النقل"
    continuation = next(q for q in quotes if "آلاف الوظائف" in q["text"])
    assert continuation["speaker"]["id"] == direct["speaker"]["id"], "a short name resolves to the full name"
    speakers = {m["entity"]["name_ar"] for m in article["entities"] if m["role"] == "speaker"}
    assert "كريم العساف" in speakers
    entity = (await editor.get(f"/v1/entities/{direct['speaker']['id']}")).json()
    assert entity["kind"] == "person" and entity["quote_count"] >= 2


async def test_resend_is_unchanged_and_change_makes_a_version(editor: httpx.AsyncClient) -> None:
    again = await send(editor, story())
    assert again.status_code == 200 and again.json()["status"] == "unchanged" and again.json()["version"] == 1
    body = story(headline=STORY["headline"] + " (محدث)", updated_at="2026-11-25T12:00:00+03:00")
    updated = await send(editor, body)
    assert updated.status_code == 200
    assert updated.json()["status"] == "updated" and updated.json()["version"] == 2
    article_id = updated.json()["id"]
    versions = (await editor.get(f"/v1/articles/{article_id}/versions")).json()["items"]
    assert [(v["version"], v["change"]) for v in versions] == [(1, "created"), (2, "updated")]
    assert versions[1]["changed_fields"] == ["headline", "updated_at"]
    first = (await editor.get(f"/v1/articles/{article_id}/versions/1")).json()
    assert first["content"]["headline"] == STORY["headline"]
    assert first["content"]["paragraphs"] == STORY["paragraphs"]
    assert (await editor.get(f"/v1/articles/{article_id}/versions/9")).status_code == 404
    current = (await editor.get(f"/v1/articles/{article_id}")).json()
    assert current["version"] == 2 and current["headline"].endswith("(محدث)")


async def test_patch_corrects_and_editor_quote_survives_reextraction(editor: httpx.AsyncClient) -> None:
    article_id = (await send(editor, story())).json()["id"]  # back to the original text: version 3
    article = (await editor.get(f"/v1/articles/{article_id}")).json()
    union = next(q for q in article["quotes"] if "ضمانات مكتوبة" in q["text"])
    other_speaker = next(q for q in article["quotes"] if q["speaker"] and q["id"] != union["id"])["speaker"]["id"]
    fixed = await editor.patch(f"/v1/quotes/{union['id']}", json={"speaker_id": other_speaker, "kind": "indirect"})
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["method"] == "editor" and fixed.json()["speaker"]["id"] == other_speaker

    corrected = await editor.patch(f"/v1/articles/{article_id}", json={"summary": "ملخص مصحح."})
    assert corrected.status_code == 200 and corrected.json()["status"] == "corrected"
    body = story(paragraphs=[*STORY["paragraphs"][:3], STORY["paragraphs"][3], "فقرة جديدة أضيفت لاحقاً."])
    assert (await send(editor, body)).json()["status"] == "updated"
    quotes = (await editor.get(f"/v1/articles/{article_id}")).json()["quotes"]
    kept = next(q for q in quotes if "ضمانات مكتوبة" in q["text"])
    assert kept["id"] == union["id"] and kept["method"] == "editor" and kept["speaker"]["id"] == other_speaker

    bad = await editor.patch(f"/v1/quotes/{union['id']}", json={"text": "كلمات لا ترد في النص"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["name"] == "text"
    versions = (await editor.get(f"/v1/articles/{article_id}/versions")).json()["items"]
    assert [v["change"] for v in versions][-2:] == ["corrected", "updated"]


async def test_kill_leaves_a_tombstone(editor: httpx.AsyncClient) -> None:
    body = story(guid="urn:test:ingest:kill", headline="قصة ستسحب لاحقاً")
    article_id = (await send(editor, body)).json()["id"]
    killed = await editor.delete(f"/v1/articles/{article_id}")
    assert killed.status_code == 200 and killed.json()["status"] == "killed"
    tombstone = (await editor.get(f"/v1/articles/{article_id}")).json()
    assert tombstone["status"] == "canceled"
    assert tombstone["paragraphs"] == [] and tombstone["quotes"] == [] and tombstone["entities"] == []
    listed = (await editor.get("/v1/articles", params={"limit": 100})).json()["items"]
    assert article_id not in {a["id"] for a in listed}
    quotes = (await editor.get("/v1/quotes", params={"article": article_id})).json()["items"]
    assert quotes == []
    first = (await editor.get(f"/v1/articles/{article_id}/versions/1")).json()
    assert "paragraphs" not in first["content"] and first["content"]["headline"] == "قصة ستسحب لاحقاً"
    revived = await send(editor, body)
    assert revived.status_code == 409
    assert (await editor.patch(f"/v1/articles/{article_id}", json={"headline": "x"})).status_code == 409
    assert (await editor.delete(f"/v1/articles/{article_id}")).json()["status"] == "unchanged"


async def test_keys_and_scopes(write_app: FastAPI) -> None:
    reader = await make_key(write_app, Scope.read, name="reader")
    async with client_for(write_app) as anonymous:
        missing = await send(anonymous, story(guid="urn:test:auth"))
        assert missing.status_code == 401
        assert missing.headers["content-type"] == "application/problem+json"
        assert "www-authenticate" in missing.headers
        bad = await anonymous.post("/v1/articles", json=story(), headers={"X-API-Key": "wq_000000000000_nope"})
        assert bad.status_code == 401
        in_url = await anonymous.post("/v1/articles", params={"api_key": "x"}, json=story())
        assert in_url.status_code == 422
        wrong_scope = await anonymous.post("/v1/articles", json=story(), headers={"X-API-Key": reader})
        assert wrong_scope.status_code == 403
        for method, path in [
            ("DELETE", "/v1/articles/aaaaaaaaaaaaaaaa"),
            ("PATCH", "/v1/quotes/1"),
            ("PATCH", "/v1/entities/1"),
            ("POST", "/v1/entities/1/merge"),
            ("POST", "/v1/extract"),
        ]:
            response = await anonymous.request(method, path, json={}, headers={"Authorization": f"Bearer {reader}"})
            assert response.status_code == 403, (method, path, response.text)
    admin = await make_key(write_app, Scope.admin, name="admin")
    async with client_for(write_app, Authorization=f"Bearer {admin}") as client:
        assert (await client.post("/v1/extract", json=story())).status_code == 200


@pytest.mark.parametrize(
    ("content", "content_type", "status", "field"),
    [
        (b"{not json", "application/json", 422, "body"),
        (b'{"guid": "x"}', "application/json", 422, "headline"),
        (b"\xff\xfe", "application/json", 422, "body"),
        (None, "application/xml", 415, None),
        (None, "", 415, None),
    ],
)
async def test_bad_bodies(
    editor: httpx.AsyncClient, content: bytes | None, content_type: str, status: int, field: str | None
) -> None:
    body = content if content is not None else orjson.dumps(story())
    response = await editor.post("/v1/articles", content=body, headers={"Content-Type": content_type})
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    if field:
        assert field in {e["name"] for e in response.json()["errors"]}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"paragraphs": []}, "paragraphs"),
        ({"headline": "عنوان\x00مخفي"}, "headline"),
        ({"paragraphs": ["فقرة\x00"]}, "paragraphs.0"),
        ({"id": "k3v7q2m9x4p8r6t1"}, "id"),
        ({"version": 7}, "version"),
        ({"published_at": "2026-11-25T09:00:00"}, "published_at"),
        ({"published_at": "10000-01-01T00:00:00Z"}, "published_at"),
        ({"language": "arabic!"}, "language"),
        ({"images": [{"url": "javascript:alert(1)"}]}, "images.0.url"),
    ],
)
async def test_bad_stories_name_the_field(editor: httpx.AsyncClient, changes: dict[str, Any], field: str) -> None:
    response = await send(editor, story(guid="urn:test:bad", **changes))
    assert response.status_code == 422, response.text
    assert field in {e["name"] for e in response.json()["errors"]}
    assert (await editor.get("/v1/articles", params={"limit": 100})).status_code == 200


async def test_oversized_body_is_413(write_database: Any) -> None:
    from tests.conftest import running_app

    async with running_app(write_database, max_body_bytes=4096) as small:
        key = await make_key(small, Scope.ingest)
        async with client_for(small, **{"X-API-Key": key}) as client:
            big = story(paragraphs=["كلمة " * 2000])
            response = await send(client, big)
            assert response.status_code == 413
            assert response.headers["content-type"] == "application/problem+json"


async def test_concurrent_sends_of_one_guid_make_one_story(editor: httpx.AsyncClient) -> None:
    body = story(guid="urn:test:ingest:race", headline="سباق على نفس المعرّف")
    responses = await asyncio.gather(*(send(editor, body) for _ in range(50)))
    assert sorted(r.status_code for r in responses) == [200] * 49 + [201]
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == 1
    assert {r.json()["version"] for r in responses} == {1}
    variants = [story(guid="urn:test:ingest:race", headline=f"نسخة رقم {n}") for n in range(20)]
    updates = await asyncio.gather(*(send(editor, v) for v in variants))
    assert all(r.status_code == 200 for r in updates), [r.text for r in updates if r.status_code != 200]
    assert sorted(r.json()["version"] for r in updates) == list(range(2, 22))
    versions = (await editor.get(f"/v1/articles/{ids.pop()}/versions")).json()["items"]
    assert [v["version"] for v in versions] == list(range(1, 22))


async def test_extract_stores_nothing(editor: httpx.AsyncClient) -> None:
    before = len((await editor.get("/v1/articles", params={"limit": 100})).json()["items"])
    response = await editor.post("/v1/extract", json=story(guid="urn:test:extract-only"))
    assert response.status_code == 200, response.text
    report = response.json()
    for key in (
        "headline",
        "section",
        "published_at",
        "updated_at",
        "byline",
        "agencies",
        "language",
        "paragraphs",
        "images",
        "entities",
        "quotes",
    ):
        assert key in report
    quote = next(q for q in report["quotes"] if q["kind"] == "direct")
    assert set(quote) >= {"text", "kind", "cue", "paragraph", "start", "end", "speaker"}
    assert set(quote["speaker"]) == {"name", "kind", "title", "ref"}
    refs = {q["speaker"]["ref"] for q in report["quotes"] if q["speaker"] and q["speaker"]["name"] == "كريم العساف"}
    assert len(refs) == 1
    after = len((await editor.get("/v1/articles", params={"limit": 100})).json()["items"])
    assert before == after


async def test_entity_edit_and_merge(editor: httpx.AsyncClient) -> None:
    found = (await editor.get("/v1/entities", params={"name": "كريم العساف"})).json()["items"]
    karim = found[0]
    edited = await editor.patch(
        f"/v1/entities/{karim['id']}",
        json={"add_aliases": ["Karim Assaf", "وزير النقل"], "wikidata_qid": None, "title": "وزير النقل في لوريان"},
    )
    assert edited.status_code == 200, edited.text
    assert "Karim Assaf" in edited.json()["aliases"]
    latin = (await editor.get("/v1/entities", params={"name": "karim as"})).json()["items"]
    assert karim["id"] in {e["id"] for e in latin}

    body = story(guid="urn:test:ingest:dup", paragraphs=["وقال الوزير كريم عساف: «الميناء جاهز للعمل الآن»."])
    await send(editor, body)
    duplicate = (await editor.get("/v1/entities", params={"name": "كريم عساف"})).json()["items"]
    dup = next(e for e in duplicate if e["id"] != karim["id"])
    before = (await editor.get(f"/v1/entities/{karim['id']}")).json()["quote_count"]
    merged = await editor.post(f"/v1/entities/{karim['id']}/merge", json={"source_id": dup["id"]})
    assert merged.status_code == 200, merged.text
    assert merged.json()["quote_count"] == before + dup["quote_count"]
    moved = await editor.get(f"/v1/entities/{dup['id']}")
    assert moved.status_code == 308 and moved.headers["location"] == f"/v1/entities/{karim['id']}"
    assert dup["id"] not in {e["id"] for e in (await editor.get("/v1/entities", params={"limit": 100})).json()["items"]}
    quotes = (await editor.get(f"/v1/entities/{karim['id']}/quotes")).json()["items"]
    assert any("الميناء جاهز" in q["text"] for q in quotes)
    self_merge = await editor.post(f"/v1/entities/{karim['id']}/merge", json={"source_id": karim["id"]})
    assert self_merge.status_code == 422


SAMPLES = Path(__file__).parent / "formats" / "samples"


async def test_text_page_and_ninjs_are_ingested(editor: httpx.AsyncClient) -> None:
    page = (SAMPLES / "ar_politics.txt").read_bytes()
    created = await editor.post("/v1/articles", content=page, headers={"Content-Type": "text/plain; charset=utf-8"})
    assert created.status_code == 201, created.text
    article = (await editor.get(f"/v1/articles/{created.json()['id']}")).json()
    assert article["language"] == "ar" and article["paragraphs"] and article["quotes"]
    assert not any("مساحة إعلانية" in p for p in article["paragraphs"])
    again = await editor.post("/v1/articles", content=page, headers={"Content-Type": "text/plain"})
    assert again.json()["status"] == "unchanged"
    chosen = await editor.post(
        "/v1/articles", params={"guid": "urn:test:page"}, content=page, headers={"Content-Type": "text/plain"}
    )
    assert chosen.status_code == 201 and chosen.json()["id"] != created.json()["id"]

    ninjs = {
        "uri": "urn:test:ninjs:1",
        "type": "text",
        "language": "ar",
        "firstcreated": "2026-11-26T08:00:00+03:00",
        "versioncreated": "2026-11-26T09:00:00+03:00",
        "pubstatus": "usable",
        "headlines": [{"role": "main", "value": "مجلس مدينة فالورا يقر موازنة العام المقبل"}],
        "bodies": [
            {
                "contenttype": "text/html",
                "value": "<p>أقر مجلس مدينة فالورا موازنة العام المقبل.</p>"
                "<p>وقالت رئيسة المجلس هالة برقاوي: «الموازنة تحمي الخدمات الأساسية».</p>",
            }
        ],
        "by": "قسم الترجمة - وكالات",
        "subjects": [{"name": "economy", "rel": "section"}],
        "people": [{"name": "هالة برقاوي"}],
        "places": [{"name": "فالورا"}],
        "infosources": [{"name": "Meridian Press"}],
    }
    response = await editor.post(
        "/v1/articles", content=orjson.dumps(ninjs), headers={"Content-Type": "application/ninjs+json"}
    )
    assert response.status_code == 201, response.text
    article = (await editor.get(f"/v1/articles/{response.json()['id']}")).json()
    assert article["section"]["slug"] == "economy"
    assert [a["slug"] for a in article["agencies"]] == ["meridian-press"]
    assert article["quotes"][0]["speaker"]["name_ar"] == "هالة برقاوي"
    assert {(m["entity"]["name_ar"], m["role"]) for m in article["entities"]} >= {("هالة برقاوي", "speaker")}
    broken = await editor.post(
        "/v1/articles", content=b'{"type": "text"}', headers={"Content-Type": "application/ninjs+json"}
    )
    assert broken.status_code == 422 and broken.json()["errors"][0]["name"] == "uri"


async def speaker_of(client: httpx.AsyncClient, body: dict[str, Any]) -> int:
    """The speaker id of the one quote of a story sent through `client`."""
    response = await send(client, body)
    assert response.status_code == 201, response.text
    quotes = (await client.get(f"/v1/articles/{response.json()['id']}")).json()["quotes"]
    assert len(quotes) == 1, quotes
    return int(quotes[0]["speaker"]["id"])


async def test_each_process_keeps_its_catalogue_current_with_the_others(
    editor: httpx.AsyncClient, write_app: FastAPI, write_database: Database
) -> None:
    """API processes keep the catalogue in memory, each its own, and follow the change log: an entity
    created, given an alias or merged away through one process is what the other's next story finds."""
    async with running_app(write_database) as other:
        key = await make_key(other, Scope.ingest, name="second process")
        async with client_for(other, **{"X-API-Key": key}) as desk:

            def said(n: int, name: str) -> dict[str, Any]:
                line = f"وقالت مديرة الموانئ {name} في بيان: «سنفتح الرصيف رقم {n} للسفن الكبيرة»."
                return story(guid=f"urn:test:memory:{n}", paragraphs=[line])

            # Both processes read their catalogue; then a speaker new to both is created by the other.
            await speaker_of(editor, said(1, "كريم العساف"))
            made = await speaker_of(desk, said(2, "سلمى الدرويش"))
            assert await speaker_of(editor, said(3, "سلمى الدرويش")) == made
            # An alias added by the other process finds her here.
            edited = await desk.patch(f"/v1/entities/{made}", json={"add_aliases": ["سلمى درويش"]})
            assert edited.status_code == 200, edited.text
            assert await speaker_of(editor, said(4, "سلمى درويش")) == made
            # A duplicate made here and merged into her there: its names lead to her, not to a new entity.
            duplicate = await speaker_of(editor, said(5, "سلمى بنت الدرويش"))
            assert duplicate != made
            merged = await desk.post(f"/v1/entities/{made}/merge", json={"source_id": duplicate})
            assert merged.status_code == 200, merged.text
            assert await speaker_of(editor, said(6, "سلمى بنت الدرويش")) == made
            assert duplicate not in write_app.state.catalogue.entries  # merged away: no longer a live entity


def speech(quotes: int, speaker: str) -> list[str]:
    """Paragraphs of one new speaker's quotes, `quotes` of them."""
    first = f"وقال وزير المالية {speaker} في مؤتمر صحفي: «الميزانية ستراعي الفئات الأضعف في المرحلة رقم 0»."
    more = [f"وأضاف {speaker.split()[-1]}: «سنراجع الضرائب في المرحلة رقم {n} من الخطة»." for n in range(1, quotes)]
    return [first, *more]


async def ingest_statements(editor: httpx.AsyncClient, app: FastAPI, body: dict[str, Any]) -> tuple[int, int]:
    """The statements one ingest request sends (the key lookup aside) and the story's number of quotes."""
    with count_statements(app) as statements:
        response = await send(editor, body)
    assert response.status_code in (200, 201), response.text
    article = (await editor.get(f"/v1/articles/{response.json()['id']}")).json()
    return len([sql for sql in statements if "api_key" not in sql]), len(article["quotes"])


async def test_statements_per_story_do_not_grow_with_its_quotes(editor: httpx.AsyncClient, write_app: FastAPI) -> None:
    """A new story is written in a fixed number of statements, 16 here: four to bring the process's
    catalogue up to date with the change log, look up the guid and the sections, and insert the article;
    two for the new speaker and its names; one each for agencies, mentions, quotes, the two search rows,
    the entities' and the section's stored counts, the version, the change log and the changed scopes. A
    new headline then takes 15 (catalogue, guid, sections, previous version, article, the entities it
    showed, its quotes, agencies and mentions replaced, search row, version, change log, scopes): nothing
    per kept quote, and no counts to change. Withholding the story changes them: two statements more,
    however many quotes and speakers it has. (The process's first write reads the whole catalogue, one
    statement more, once: the warm-up.)"""
    assert (await send(editor, story(guid="urn:test:count:warm-up"))).status_code in (200, 201)
    few = story(guid="urn:test:count:few", paragraphs=speech(4, "رامي قاسم"))
    many = story(guid="urn:test:count:many", paragraphs=speech(16, "نادر سليم"))
    created = [await ingest_statements(editor, write_app, body) for body in (few, many)]
    assert [quotes for _, quotes in created] == [4, 16]
    assert created[0][0] == created[1][0] <= 16, created
    changed = [{**body, "headline": body["headline"] + " (محدث)"} for body in (few, many)]
    updated = [await ingest_statements(editor, write_app, body) for body in changed]
    assert [quotes for _, quotes in updated] == [4, 16]
    assert updated[0][0] == updated[1][0] <= 15, updated
    withheld = [await ingest_statements(editor, write_app, {**body, "status": "withheld"}) for body in changed]
    assert withheld[0][0] == withheld[1][0] <= 17, withheld


# Whitespace next to everything index_text and normalize treat specially.
AWKWARD = [
    "the minister's plan and ministers’ plans 's alone",
    "word\u00a0word\u2009word\u3000word\tword\nword",
    "a \u0301b c\u0301 \u0308d",
    "⓱ items, ½ cup, ¨ and ˘ alone",
    "\u200cمی\u200cخواهم \u200b زيد\u200fعمرو",
    "الوزيرُ والوزارةُ بالـــوزارة للوزير فالحكومة وكالة",
    "12e5x 3e4 e5 x_y __ 9_",
    "ΣΊΣΥΦΟΣ ΟΔΟΣ ß İstanbul",
    "  leading and trailing  ",
    "",
]


async def test_word_by_word_text_processing_is_the_same() -> None:
    """Ingest indexes and tokenises word by word, remembering each word: it must equal the whole-text functions."""
    texts = list(AWKWARD)
    for article in read_corpus().articles:
        texts += [article.headline, article.summary or "", " ".join(article.paragraphs)]
    letters = "".join(AWKWARD)
    rnd = Random(7)
    texts += ["".join(rnd.choice(letters) for _ in range(rnd.randrange(1, 40))) for _ in range(2000)]
    for text in texts:
        assert indexed(text) == index_text(text), text
        assert _tokens([text]) == tokens([text]), text
