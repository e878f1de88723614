"""Every API test runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL.

Each database is created fresh for the session, built by `alembic upgrade head`
and loaded with the demo corpus; the read tests share it.
"""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from app.config import Settings
from app.demo.load import load_demo
from app.main import create_app
from app.migrate import upgrade

PG_ENV = "TEST_DATABASE_URL"
# Set by .ci/run: a missing PostgreSQL must fail the run, not skip half of it.
REQUIRE_PG_ENV = "REQUIRE_POSTGRES"


@dataclass(frozen=True)
class Database:
    backend: str
    url: str


def _create_pg_database(server_url: str) -> tuple[str, str]:
    """A new, empty database on the server named by TEST_DATABASE_URL."""
    url = make_url(server_url)
    name = f"wire_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_conninfo(url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False), name


def _drop_pg_database(server_url: str, name: str) -> None:
    with psycopg.connect(_conninfo(make_url(server_url)), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _conninfo(url: "object") -> str:
    from sqlalchemy.engine import URL

    assert isinstance(url, URL)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def prepare(url: str) -> None:
    upgrade(url)
    asyncio.run(load_demo(Settings(database_url=url), only_if_empty=False))


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "test.db"
        url = f"sqlite:///{path}"
        prepare(url)
        yield Database("sqlite", url)
        return
    server = os.environ.get(PG_ENV)
    if not server:
        if os.environ.get(REQUIRE_PG_ENV):
            pytest.fail(f"{REQUIRE_PG_ENV} is set but {PG_ENV} is not")
        pytest.skip(f"set {PG_ENV}=postgresql://user@host/db to run the PostgreSQL tests")
    url, name = _create_pg_database(server)
    try:
        prepare(url)
        yield Database("postgresql", url)
    finally:
        _drop_pg_database(server, name)


@pytest.fixture(scope="session")
async def app(database: Database) -> AsyncIterator[FastAPI]:
    application = create_app(Settings(database_url=database.url))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
