"""Every API test runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL.

Each database is created fresh for the session, built by `alembic upgrade head`
and loaded with the demo corpus; the read tests share it.
"""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from app.config import Settings
from app.db import transaction
from app.demo.load import load_demo
from app.main import create_app
from app.migrate import upgrade
from app.models import Scope, utcnow
from app.services.keys import create_key

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
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and not os.environ.get(PG_ENV):
        if os.environ.get(REQUIRE_PG_ENV):
            pytest.fail(f"{REQUIRE_PG_ENV} is set but {PG_ENV} is not")
        pytest.skip(f"set {PG_ENV}=postgresql://user@host/db to run the PostgreSQL tests")
    return str(request.param)


@contextmanager
def new_database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A fresh database built by the migrations and loaded with the demo corpus."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        prepare(url)
        yield Database("sqlite", url)
        return
    server = os.environ[PG_ENV]
    url, name = _create_pg_database(server)
    try:
        prepare(url)
        yield Database("postgresql", url)
    finally:
        _drop_pg_database(server, name)


@pytest.fixture(scope="session")
def database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """The shared read-only database: tests that write use `write_database`."""
    with new_database(backend, tmp_path_factory) as db:
        yield db


@pytest.fixture(scope="session")
async def app(database: Database) -> AsyncIterator[FastAPI]:
    async with running_app(database) as application:
        yield application


@pytest.fixture(scope="session")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as http:
        yield http


def test_settings(database: Database, **settings: Any) -> Settings:
    """Settings for a test app: quotas out of the way unless a test sets its own."""
    unlimited = {"rate_limit": "1000000/minute", "anonymous_rate_limit": "1000000/minute", "long_poll_max": 1}
    return Settings(database_url=database.url, **{**unlimited, **settings})


@asynccontextmanager
async def running_app(database: Database, **settings: Any) -> AsyncIterator[FastAPI]:
    application = create_app(test_settings(database, **settings))
    async with application.router.lifespan_context(application):
        yield application


@asynccontextmanager
async def client_for(app: FastAPI, **headers: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers) as http:
        yield http


@pytest.fixture(scope="module")
def write_database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A database of the module's own, for tests that change data."""
    with new_database(backend, tmp_path_factory) as db:
        yield db


@pytest.fixture(scope="module")
async def write_app(write_database: Database) -> AsyncIterator[FastAPI]:
    async with running_app(write_database) as application:
        yield application


async def make_key(app: FastAPI, *scopes: Scope, name: str = "test", **options: Any) -> str:
    """A new API key (options: rate_limit, sections)."""
    async with transaction(app.state.db) as session:
        key, _ = await create_key(session, name=name, scopes=list(scopes), now=utcnow(), **options)
    return key


@pytest.fixture(scope="module")
async def editor(write_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the module's database holding a key with the ingest scope."""
    key = await make_key(write_app, Scope.ingest, name="editor")
    async with client_for(write_app, **{"X-API-Key": key}) as http:
        yield http


@pytest.fixture(scope="session")
async def editor_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the shared database whose key (ingest scope) sees withheld stories; it writes nothing."""
    key = await make_key(app, Scope.ingest, name="desk reader")
    async with client_for(app, **{"X-API-Key": key}) as http:
        yield http


@contextmanager
def count_statements(app: FastAPI) -> Iterator[list[str]]:
    """The SQL statements the app sends while the block runs."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = app.state.db.sync_engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
