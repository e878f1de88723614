"""Bad input gets a 422 problem document naming the offending parameter, never a 500."""

import httpx
import pytest

from app.config import Settings
from app.main import create_app

pytestmark = pytest.mark.asyncio

CASES = [
    ("/v1/articles", {"published_from": "2026-13-01"}, "published_from"),
    ("/v1/articles", {"published_from": "10000-01-01"}, "published_from"),
    ("/v1/articles", {"published_to": "0000-01-01"}, "published_to"),
    ("/v1/articles", {"updated_from": "2026-11-20T08:00:00"}, "updated_from"),
    ("/v1/articles", {"published_from": "0001-01-01T00:00:00+14:00"}, "published_from"),
    ("/v1/articles", {"published_from": "yesterday"}, "published_from"),
    ("/v1/articles", {"status": "published"}, "status"),
    ("/v1/articles", {"sort": "popular"}, "sort"),
    ("/v1/articles", {"entity_match": "some"}, "entity_match"),
    ("/v1/quotes", {"kind": "paraphrase"}, "kind"),
    ("/v1/entities", {"kind": "celebrity"}, "kind"),
    ("/v1/entities", {"quoted": "maybe"}, "quoted"),
    ("/v1/articles", {"cursor": "not-a-cursor"}, "cursor"),
    ("/v1/articles", {"cursor": "eyJ2IjoxfQ"}, "cursor"),
    ("/v1/quotes", {"cursor": "%%%"}, "cursor"),
    ("/v1/entities", {"cursor": "W10"}, "cursor"),
    ("/v1/articles", {"limit": "0"}, "limit"),
    ("/v1/articles", {"limit": "-1"}, "limit"),
    ("/v1/articles", {"limit": "101"}, "limit"),
    ("/v1/quotes", {"limit": "1000000"}, "limit"),
    ("/v1/entities", {"limit": "abc"}, "limit"),
    ("/v1/articles", {"entity": "2147483648"}, "entity"),
    ("/v1/articles", {"speaker": str(2**63)}, "speaker"),
    ("/v1/quotes", {"speaker": "-5"}, "speaker"),
    ("/v1/articles", {"agency": "0"}, "agency"),
    ("/v1/articles", {"section": "poli\x00tics"}, "section"),
    ("/v1/entities", {"name": "\x00"}, "name"),
    ("/v1/articles", {"cursor": "abc\x00"}, "cursor"),
    ("/v1/articles", {"sectoin": "politics"}, "sectoin"),
    ("/v1/quotes", {"speaker_id": "3"}, "speaker_id"),
    ("/v1/sections", {"limit": "5"}, "limit"),
    ("/v1/articles", {"language": "arabic language"}, "language"),
    ("/v1/articles", {"section": "Politics!"}, "section"),
]


@pytest.mark.parametrize(("path", "params", "name"), CASES)
async def test_bad_query_is_422_naming_the_parameter(
    client: httpx.AsyncClient, path: str, params: dict[str, str], name: str
) -> None:
    response = await client.get(path, params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 422 and body["type"] and body["title"]
    assert name in {e["name"] for e in body["errors"]}
    assert name in body["detail"]


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/v1/quotes/2147483648", "quote_id"),
        ("/v1/quotes/9223372036854775808", "quote_id"),
        ("/v1/quotes/0", "quote_id"),
        ("/v1/entities/-1", "entity_id"),
        ("/v1/entities/99999999999999999999/quotes", "entity_id"),
        ("/v1/articles/abc%00def", "article_id"),
        ("/v1/articles/ABCDEFGHIJKLMNOP", "article_id"),
    ],
)
async def test_bad_path_is_422_naming_the_parameter(client: httpx.AsyncClient, path: str, name: str) -> None:
    response = await client.get(path)
    assert response.status_code == 422, response.text
    assert name in {e["name"] for e in response.json()["errors"]}


async def test_cursor_for_another_sort_order_is_rejected(client: httpx.AsyncClient) -> None:
    cursor = (await client.get("/v1/articles", params={"limit": 1})).json()["next_cursor"]
    response = await client.get("/v1/articles", params={"limit": 1, "cursor": cursor, "sort": "oldest"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["name"] == "cursor"


async def test_unknown_route_and_method_are_problems(client: httpx.AsyncClient) -> None:
    missing = await client.get("/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    wrong = await client.delete("/v1/sections")
    assert wrong.status_code == 405
    assert wrong.headers["content-type"] == "application/problem+json"
    assert "GET" in wrong.headers["allow"]


@pytest.mark.parametrize("url", ["sqlite:////nonexistent-directory/wire.db", "postgresql://nobody@127.0.0.1:1/nothing"])
async def test_database_down_is_503_problem_not_500(url: str) -> None:
    app = create_app(Settings(database_url=url, db_pool_timeout=1))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            assert (await client.get("/healthz")).status_code == 200
            for path in ("/readyz", "/v1/articles", "/v1/sections"):
                response = await client.get(path)
                assert response.status_code == 503, (path, response.text)
                assert response.headers["content-type"] == "application/problem+json"
                assert response.headers["retry-after"]
