"""Statements whose plans stay good when PostgreSQL reuses them.

asyncpg prepares every statement, and from its sixth run PostgreSQL may use a generic plan made
without the parameters' values. Values that decide how far a page must walk (which entity, which
kind of quote, how many rows) are written into the statement, so that such a plan is never made
blind to them: the most quoted speaker's list went from 15 ms to 200 ms when they were parameters
(docs/performance.md). These tests hold the statements to that, on both databases.
"""

import re

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import count_statements
from tests.oracle import NO_CACHE

pytestmark = pytest.mark.asyncio


def _page_statement(statements: list[str]) -> str:
    pages = [sql for sql in statements if "LIMIT" in sql and "change" not in sql.split("FROM", 1)[1][:40]]
    assert pages, statements
    return pages[-1]


async def _ids(client: httpx.AsyncClient) -> dict[str, int]:
    quote = (await client.get("/v1/quotes", params={"limit": 1})).json()["items"][0]
    listed = (await client.get("/v1/articles", params={"limit": 100})).json()["items"]
    agency = next(item["agencies"][0]["id"] for item in listed if item["agencies"])
    return {"speaker": quote["speaker"]["id"], "agency": agency}


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/v1/articles", {"speaker": "speaker"}),
        ("/v1/articles", {"entity": "speaker"}),
        ("/v1/articles", {"agency": "agency"}),
        ("/v1/quotes", {"speaker": "speaker"}),
        ("/v1/quotes", {"entity": "speaker"}),
        ("/v1/entities/{speaker}/quotes", {}),
        ("/v1/entities/{speaker}/articles", {}),
    ],
)
async def test_the_entity_a_page_walks_and_the_page_size_are_written_in(
    app: FastAPI, client: httpx.AsyncClient, path: str, query: dict[str, str]
) -> None:
    ids = await _ids(client)
    params = {name: ids[value] for name, value in query.items()}
    walked = next(iter(params.values()), ids["speaker"])
    params["limit"] = 7
    with count_statements(app) as statements:
        answer = await client.get(path.format(**ids), params=params, headers=NO_CACHE)
    assert answer.status_code == 200, answer.text
    assert answer.json()["items"], "the filter should match something in the demo corpus"
    sql = _page_statement(statements)
    assert re.search(rf"(= |IN \(){walked}\b", sql), sql
    assert re.search(r"LIMIT 8\b", sql), sql
    # An anonymous caller is a partner: withheld stories are excluded by a constant, not a parameter.
    assert "!= 'withheld'" in sql, sql


async def test_the_kind_of_quote_is_written_in(app: FastAPI, client: httpx.AsyncClient) -> None:
    with count_statements(app) as statements:
        answer = await client.get("/v1/quotes", params={"kind": ["indirect", "mixed"]}, headers=NO_CACHE)
    assert answer.status_code == 200
    assert {item["kind"] for item in answer.json()["items"]} <= {"indirect", "mixed"}
    assert re.search(r"IN \('indirect', 'mixed'\)", _page_statement(statements))
