"""Plans that stay good when PostgreSQL reuses them.

asyncpg prepares every statement, and from its sixth run PostgreSQL may use a generic plan, made
without the parameters' values, if that plan is estimated no worse. A page must then still be
read by walking an index and stopping, never by sorting every match: the most quoted speaker's
article list went from 15 ms to 200 ms when it did (docs/performance.md). The page size and the
constant of the partner view are written into the statements, and a speaker's stories have an
index in the order their list walks them (migration 0012).
"""

import asyncio
import os
import re
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from psycopg import sql

from app.db import create_sync_engine
from bench import scratch_postgres
from bench.corpus import load, most_quoted_speaker
from tests.conftest import (
    PG_ENV,
    Database,
    _conninfo,
    client_for,
    count_statements,
    running_app,
)
from tests.oracle import NO_CACHE

pytestmark = pytest.mark.asyncio


def _is_page(statement: str) -> bool:
    """The statement that reads a page (the ETag state is read before it, with a LIMIT of its own)."""
    return "LIMIT" in statement and "page" in statement


def _page_statement(statements: list[str]) -> str:
    pages = [statement for statement in statements if _is_page(statement)]
    assert pages, statements
    return pages[-1]


@pytest.mark.parametrize(
    "path",
    ["/v1/articles?section=politics", "/v1/articles?entity=1", "/v1/quotes", "/v1/entities/1/quotes"],
)
async def test_the_page_size_and_the_partner_view_are_written_in(
    app: FastAPI, client: httpx.AsyncClient, path: str
) -> None:
    with count_statements(app) as statements:
        answer = await client.get(path, params={"limit": 7}, headers=NO_CACHE)
    assert answer.status_code == 200, answer.text
    page = _page_statement(statements)
    assert re.search(r"LIMIT 8\b", page), page
    # An anonymous caller is a partner: withheld stories are left out by a constant, not a parameter.
    assert "!= 'withheld'" in page, page


@pytest.fixture(scope="module")
def skewed_database(backend: str) -> Iterator[Database]:
    """A generated corpus on PostgreSQL: speakers quoted from a few times to hundreds, as in a newsroom."""
    if backend != "postgresql":
        pytest.skip("SQLite plans each statement with its values")
    with scratch_postgres(os.environ[PG_ENV]) as url:
        load(url, articles=2000, entities=500)
        yield Database("postgresql", url)


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for below in plan.get("Plans", []):
        yield from _nodes(below)


def _generic_plan(url: str, statement: str, values: tuple[Any, ...]) -> dict[str, Any]:
    with psycopg.connect(_conninfo(sa.make_url(url)), autocommit=True) as conn:
        conn.execute("SET plan_cache_mode = force_generic_plan")
        conn.execute(sql.SQL("PREPARE page AS {}").format(sql.SQL(statement)))
        literals = sql.SQL(", ").join(sql.Literal(value) for value in values)
        explained = conn.execute(sql.SQL("EXPLAIN (FORMAT JSON) EXECUTE page({})").format(literals)).fetchone()
    assert explained is not None
    plan: dict[str, Any] = explained[0][0]["Plan"]
    return plan


@pytest.mark.parametrize("query", ["speaker={speaker}", "section=politics", "entity={speaker}"])
async def test_a_page_under_a_generic_plan_walks_an_index_and_stops(skewed_database: Database, query: str) -> None:
    engine = create_sync_engine(skewed_database.url)
    with engine.connect() as conn:
        speaker = most_quoted_speaker(conn)
    engine.dispose()
    seen: list[tuple[str, tuple[Any, ...]]] = []

    def record(conn: Any, cursor: Any, statement: str, values: Any, *args: Any) -> None:
        seen.append((statement, tuple(values)))

    async with running_app(skewed_database) as app, client_for(app) as client:
        sa.event.listen(app.state.db.sync_engine, "before_cursor_execute", record)
        answer = await client.get(f"/v1/articles?{query.format(speaker=speaker)}", headers=NO_CACHE)
    assert answer.status_code == 200 and answer.json()["items"]
    statement, values = [(statement, values) for statement, values in seen if _is_page(statement)][-1]
    plan = await asyncio.to_thread(_generic_plan, skewed_database.url, statement, values)
    limit = next(node for node in _nodes(plan) if node["Node Type"] == "Limit")
    sorted_below = [node for node in _nodes(limit) if "Sort" in node["Node Type"]]
    assert not sorted_below, f"the page sorts every match under a generic plan: {plan}"
