"""The schema the migrations build, the OpenAPI document, and statement counts."""

import asyncio
import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.command import downgrade
from alembic.migration import MigrationContext
from fastapi import FastAPI
from sqlmodel import SQLModel
from typer.testing import CliRunner

from app.cli import cli
from app.db import create_sync_engine, transaction
from app.migrate import alembic_config, include_object, upgrade
from app.models import QuoteKind, Scope, article_table, change_table, section_table, utcnow
from app.pagination import Sort, encode_cursor, keyset_params
from app.services.articles import _summaries
from app.services.changes import _ANY_LIFTED, Event, release_embargoes
from app.services.common import ArticleFilters, Match, View, article_params, search_params
from app.services.quotes import QuoteFilters, _quotes, quote_params
from app.services.search import parse_query
from tests.conftest import Database, client_for, count_statements, make_key, new_database, running_app
from tests.oracle import NO_CACHE
from tests.test_ingest import send, story


def test_migrations_match_the_models(database: Database) -> None:
    engine = create_sync_engine(database.url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
            assert compare_metadata(context, SQLModel.metadata) == []
    finally:
        engine.dispose()


def test_the_migration_finds_the_moves_already_logged(backend: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Down to the change log without the sections left and up again: the migration finds what the writers log."""
    with new_database(backend, tmp_path_factory) as database:
        sections = asyncio.run(_move_a_story(database))
        logged = _sections_left(database.url)
        assert sorted(logged.values()) == sorted([sections["economy"], sections["health"]])
        downgrade(alembic_config(database.url), "0009")
        engine = create_sync_engine(database.url)
        try:
            assert "left_section_id" not in {c["name"] for c in sa.inspect(engine).get_columns("change")}
        finally:
            engine.dispose()
        upgrade(database.url)
        assert _sections_left(database.url) == logged


async def _move_a_story(database: Database) -> dict[str, int]:
    """A story moved twice, updated and killed where it stays; returns the ids of the sections."""
    async with running_app(database) as app:
        key = await make_key(app, Scope.ingest, name="editor")
        async with client_for(app, **{"X-API-Key": key}) as editor:
            guid = f"urn:test:moves:{uuid.uuid4().hex[:6]}"
            article_id = (await send(editor, story(guid=guid, section="economy"))).json()["id"]
            assert (await send(editor, story(guid=guid, section="health"))).json()["status"] == "updated"
            assert (await send(editor, story(guid=guid, section="health", headline="خبر محدث"))).status_code == 200
            moved = await editor.patch(f"/v1/articles/{article_id}", json={"section": "football"})
            assert moved.json()["status"] == "corrected"
            assert (await editor.delete(f"/v1/articles/{article_id}")).status_code == 200
        async with transaction(app.state.db) as session:
            rows = await session.execute(sa.select(section_table.c.slug, section_table.c.id))
            return {row.slug: row.id for row in rows}


def _sections_left(url: str) -> dict[int, int]:
    """The section each logged change moved a story out of, by change number."""
    engine = create_sync_engine(url)
    try:
        with engine.connect() as conn:
            c = change_table
            rows = conn.execute(sa.select(c.c.seq, c.c.left_section_id).where(c.c.left_section_id.is_not(None)))
            return {row.seq: row.left_section_id for row in rows}
    finally:
        engine.dispose()


def test_the_migration_marks_the_embargoes_already_accounted_for(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Down to the change log without releases and up again: an embargo whose story was logged after it
    lifted is marked; one whose lift was never logged is left to the first reader, which logs it."""
    with new_database(backend, tmp_path_factory) as database:
        stories = asyncio.run(_embargoed_stories(database))
        downgrade(alembic_config(database.url), "0010")
        with _connected(database.url) as conn:
            assert "embargo_released" not in {c["name"] for c in sa.inspect(conn).get_columns("article")}
            actions = conn.execute(
                sa.select(change_table.c.action).where(change_table.c.object_id == stories["released"])
            )
            assert list(actions.scalars()) == ["created", "updated"], "a release is the nearest to an update"
            # The bug this migration ends: an embargo lifts and nothing is logged.
            _lift(conn, stories["missed"])
        upgrade(database.url)
        with _connected(database.url) as conn:
            a = article_table
            rows = conn.execute(sa.select(a.c.public_id, a.c.embargoed_until, a.c.embargo_released)).all()
            assert all(row.embargo_released in (None, row.embargoed_until) for row in rows)
            marked = {row.public_id for row in rows if row.embargo_released is not None}
        assert marked >= {stories["past"], stories["released"]}
        assert not marked & {stories["missed"], stories["future"]}
        released = asyncio.run(_release(database))
        assert [e.object_id for e in released] == [stories["missed"]]


@contextlib.contextmanager
def _connected(url: str) -> Iterator[sa.Connection]:
    engine = create_sync_engine(url)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def _lift(conn: sa.Connection, article_id: str) -> None:
    """The clock passing a story's embargo, without a wait."""
    conn.execute(
        sa.update(article_table).where(article_table.c.public_id == article_id).values(embargoed_until=utcnow())
    )


async def _embargoed_stories(database: Database) -> dict[str, str]:
    """Stories under embargo: lifted before they were sent, released, lifting later (or never logged)."""
    async with running_app(database) as app:
        key = await make_key(app, Scope.ingest, name="editor")
        async with client_for(app, **{"X-API-Key": key}) as editor:
            stories = {}
            for name in ("past", "released", "missed", "future"):
                embargo = "2026-01-01T00:00:00Z" if name == "past" else "2099-01-01T00:00:00Z"
                sent = await send(
                    editor, story(guid=f"urn:test:embargo-{name}:{uuid.uuid4().hex[:6]}", embargoed=embargo)
                )
                stories[name] = sent.json()["id"]
        with _connected(database.url) as conn:
            _lift(conn, stories["released"])
        assert [e.object_id for e in await release_embargoes(app.state.db, utcnow())] == [stories["released"]]
    return stories


async def _release(database: Database) -> list[Event]:
    async with running_app(database) as app:
        return await release_embargoes(app.state.db, utcnow())


def test_lifted_embargoes_are_found_through_their_index(tmp_path: Path) -> None:
    """The change feed looks for lifted embargoes on every read: SQLite must use the partial index, which
    holds only those not accounted for, rather than walk every embargo ever set."""
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    upgrade(url)
    engine = create_sync_engine(url)
    try:
        with engine.connect() as conn:
            compiled = _ANY_LIFTED.compile(conn)
            params = compiled.construct_params({"now": utcnow().replace(tzinfo=None)})
            found = conn.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {compiled}", tuple(params[n] for n in compiled.positiontup or ())
            )
            plan = " ".join(row[3] for row in found)
    finally:
        engine.dispose()
    assert "ix_article_embargo_unreleased" in plan, plan


def test_every_filter_has_an_index(database: Database) -> None:
    engine = create_sync_engine(database.url)
    try:
        indexes = {
            table: [tuple(ix["column_names"]) for ix in sa.inspect(engine).get_indexes(table)]
            for table in ("article", "quote", "mention", "article_agency", "entity", "entity_name")
        }
    finally:
        engine.dispose()
    for table, leading in [
        ("article", ("status", "published_at")),
        ("article", ("status", "updated_at")),
        ("article", ("section_id", "published_at")),
        ("article", ("language", "published_at")),
        ("quote", ("speaker_id",)),
        ("quote", ("article_id",)),
        ("quote", ("kind",)),
        ("mention", ("entity_id",)),
        ("article_agency", ("entity_id",)),
        ("entity", ("kind",)),
        ("entity_name", ("norm",)),
    ]:
        assert any(ix[: len(leading)] == leading for ix in indexes[table]), (table, leading)


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/v1/articles", "/v1/quotes", "/v1/entities"])
async def test_list_statements_do_not_grow_with_page_size(client: httpx.AsyncClient, app: FastAPI, path: str) -> None:
    counts = {}
    for limit in (2, 100):
        with count_statements(app) as statements:
            # no-cache: the answer is made afresh, not taken from the process's response cache.
            response = await client.get(path, params={"limit": limit}, headers=NO_CACHE)
        assert response.status_code == 200
        assert len(response.json()["items"]) > (2 if limit == 100 else 1)
        counts[limit] = len([s for s in statements if s.lstrip().upper().startswith("SELECT")])
    # One for the page (rows with their agencies), one for the validators (last change, lifted embargoes);
    # quotes and entities, a third for the page's quotes.
    assert counts[2] == counts[100] <= (3 if path == "/v1/quotes" else 2), counts


@pytest.mark.asyncio
async def test_article_item_statements_are_bounded(client: httpx.AsyncClient, app: FastAPI) -> None:
    article_id = (await client.get("/v1/articles", params={"limit": 1})).json()["items"][0]["id"]
    with count_statements(app) as statements:
        assert (await client.get(f"/v1/articles/{article_id}", headers=NO_CACHE)).status_code == 200
    # Three for the story (row with its agencies, mentions, quotes), one for the validators.
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) <= 4


@pytest.mark.asyncio
async def test_openapi_is_complete(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    operation_ids = set()
    for path, item in spec["paths"].items():
        for method, op in item.items():
            assert op.get("tags"), (method, path)
            assert op.get("summary"), (method, path)
            assert op.get("description"), (method, path)
            operation_ids.add(op["operationId"])
            assert " " not in op["operationId"] and "-" not in op["operationId"]
            for status, response in op["responses"].items():
                if status.startswith(("4", "5")):
                    assert list(response["content"]) == ["application/problem+json"], (path, status)
            for param in op.get("parameters", []):
                assert param.get("description"), (path, param["name"])
    assert {
        "list_articles",
        "get_article",
        "list_quotes",
        "get_quote",
        "list_entities",
        "get_entity",
        "list_entity_quotes",
        "list_entity_articles",
        "list_sections",
    } <= operation_ids
    for name, schema in spec["components"]["schemas"].items():
        if name.startswith("Page_") or "properties" not in schema:
            continue
        for field, prop in schema["properties"].items():
            has_ref = "$ref" in prop or any("$ref" in p for p in prop.get("anyOf", []))
            assert prop.get("description") or has_ref, f"{name}.{field} has no description"


@pytest.mark.asyncio
async def test_openapi_examples_are_in_arabic(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    headline = spec["components"]["schemas"]["ArticleSummary"]["properties"]["headline"]
    assert any("\u0600" <= ch <= "\u06ff" for ch in headline["examples"][0])


def test_cli_help_explains_the_commands() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "migrate", "demo"):
        assert command in result.output
    serve = CliRunner().invoke(cli, ["serve", "--help"])
    assert "--host" in serve.output and "--port" in serve.output


_EVERY_FILTER = ArticleFilters(
    sections=["politics"],
    published_from=datetime(2026, 1, 1, tzinfo=UTC),
    published_to=datetime(2026, 12, 1, tzinfo=UTC),
    updated_from=datetime(2026, 1, 1, tzinfo=UTC),
    updated_to=datetime(2026, 12, 1, tzinfo=UTC),
    entities=[1, 2],
    speakers=[3],
    languages=["ar", "en"],
    agencies=[4],
    mentions_entity=5,
    view=View(partner=True, sections=["politics", "economy"]),
)


@pytest.mark.parametrize("match", list(Match))
@pytest.mark.parametrize("sort", [Sort.newest, Sort.oldest])
@pytest.mark.parametrize("dialect", [None, "sqlite", "postgresql"])
def test_every_list_parameter_reaches_its_statement(match: Match, sort: Sort, dialect: str | None) -> None:
    """Statements are built from the names of their parameters (app/services/common.py): a value whose
    condition was left out of the statement would silently widen the list."""
    filters = replace(_EVERY_FILTER, entity_match=match)
    search = {"search": "word"} if dialect else {}
    cursor = encode_cursor(sort.value, [datetime(2026, 6, 1, tzinfo=UTC), 7])
    params = {**article_params(filters, datetime.now(UTC)), **search, **keyset_params(sort, cursor, 20)}
    for database in ("sqlite", "postgresql"):
        statement = _summaries(frozenset(params), sort, dialect or database, dialect is not None, frozenset())
        assert set(params) <= set(statement.compile().binds)
    # A search with few hits passes them as ids instead (app/services/articles.py).
    few = {**{k: v for k, v in params.items() if k != "search"}, "hit_ids": [1, 2]}
    assert set(few) <= set(_summaries(frozenset(few), sort, "sqlite", False, frozenset()).compile().binds)
    quote_filters = QuoteFilters(article=filters, speakers=[6], kinds=[QuoteKind.direct], article_ids=["a" * 16])
    params = {**quote_params(quote_filters, datetime.now(UTC)), **search, **keyset_params(sort, cursor, 20)}
    for database in ("sqlite", "postgresql"):
        statement = _quotes(frozenset(params), sort, dialect or database, dialect is not None)
        assert set(params) <= set(statement.compile().binds)


@pytest.mark.parametrize("sections", [[], ["politics"]])
def test_a_list_in_time_order_reads_the_hits_once(tmp_path: Path, sections: list[str]) -> None:
    """SQLite's plan: the index is queried once per list and the stories walked in time order against
    its hits, never queried again for every story (two seconds at 100k stories for a word found nowhere)."""
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    upgrade(url)
    query = parse_query("الموازنة", "sqlite")
    filters = ArticleFilters(sections=sections, search=query)
    params = {
        **article_params(filters, datetime.now(UTC)),
        **search_params(query),
        **keyset_params(Sort.newest, None, 20),
    }
    engine = create_sync_engine(url)
    sent: list[tuple[str, Any]] = []
    sa.event.listen(engine, "before_cursor_execute", lambda _c, _k, sql, values, *_: sent.append((sql, values)))
    with engine.connect() as conn:
        conn.execute(_summaries(frozenset(params), Sort.newest, "sqlite", True, frozenset()), params).all()
        plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sent[0][0]}", sent[0][1]).all()
    engine.dispose()
    steps = {row[0]: (row[1], row[3]) for row in plan}
    searched = [(parent, detail) for parent, detail in steps.values() if "search_article" in detail]
    assert searched and all(steps[parent][1].startswith("LIST SUBQUERY") for parent, _ in searched), plan
    assert any("ix_article_" in detail and "published" in detail for _, detail in steps.values()), plan
