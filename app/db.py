"""Engines, sessions and the request transaction: the one place that commits.

PostgreSQL is reached through asyncpg. SQLite is reached through the plain
sqlite3 driver with statements run straight on the event loop: a query on
the embedded database takes about 0.1 ms, less than the thread hand-offs
aiosqlite needs for every call. Measured in-process on the demo corpus, per
request: article list 3.1 → 2.4 ms, article item 3.7 → 2.1 ms, quote list
2.8 → 2.3 ms, entity list 2.3 → 1.6 ms (`python bench/sqlite_path.py`).
"""

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import TracebackType
from typing import Annotated, Any, Protocol

import sqlalchemy as sa
from fastapi import Depends, Request
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from app.config import Settings


class DbSession(Protocol):
    """What services need of a session; both the asyncpg and the SQLite sessions provide it."""

    async def execute(
        self, statement: sa.Executable, params: dict[str, Any] | Sequence[dict[str, Any]] | None = None
    ) -> sa.Result[Any]: ...

    async def exec_driver_sql(self, statement: str, params: Sequence[tuple[Any, ...]]) -> sa.CursorResult[Any]:
        """SQL of the driver's own dialect, with parameters as the driver takes them (one tuple per row):
        nothing compiled or converted."""
        ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...

    def get_bind(self) -> sa.Engine | sa.Connection: ...


def _driver_url(url: str, driver: str, sqlite_driver: str) -> sa.URL:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername=sqlite_driver)
    if backend in {"postgresql", "postgres"}:
        return parsed.set(drivername=f"postgresql+{driver}")
    raise ValueError(f"unsupported database: {backend}")


def sync_url(url: str) -> sa.URL:
    """The URL Alembic, the command line and SQLite requests use (psycopg 3 on PostgreSQL)."""
    return _driver_url(url, "psycopg", "sqlite")


def async_url(url: str) -> sa.URL:
    """The URL PostgreSQL requests use (asyncpg)."""
    return _driver_url(url, "asyncpg", "sqlite")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside a writer; busy_timeout turns lock contention
    # into a short wait instead of "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _no_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA foreign_keys=OFF")


def create_sync_engine(url: str, *, foreign_keys: bool = True) -> sa.Engine:
    """`foreign_keys=False` is for migrations: SQLite rebuilds a table to alter it, which a
    referenced table cannot survive with foreign keys enforced."""
    if make_url(url).get_backend_name() == "sqlite":
        # Requests share the event loop, so a checkout must never wait for a
        # connection another request holds: the pool grows instead.
        engine = sa.create_engine(sync_url(url), pool_size=10, max_overflow=-1)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        if not foreign_keys:
            sa.event.listen(engine, "connect", _no_foreign_keys)
        return engine
    return sa.create_engine(sync_url(url), pool_pre_ping=True)


# Services run Core statements only: a Core connection runs them with about half the Python of an
# ORM session (0.37 -> 0.21 ms for three statements and a commit on SQLite).


class _OnLoop:
    """A sync SQLite connection behind the async interface services use."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._connection: sa.Connection | None = None

    async def __aenter__(self) -> "_OnLoop":
        self._connection = self._engine.connect()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._connection is not None:
            self._connection.close()

    @property
    def _open(self) -> sa.Connection:
        assert self._connection is not None, "used outside its `async with`"
        return self._connection

    async def execute(
        self, statement: sa.Executable, params: dict[str, Any] | Sequence[dict[str, Any]] | None = None
    ) -> sa.Result[Any]:
        return self._open.execute(statement, params)

    async def exec_driver_sql(self, statement: str, params: Sequence[tuple[Any, ...]]) -> sa.CursorResult[Any]:
        return self._open.exec_driver_sql(statement, params[0] if len(params) == 1 else list(params))

    async def commit(self) -> None:
        self._open.commit()

    async def rollback(self) -> None:
        self._open.rollback()

    def get_bind(self) -> sa.Engine | sa.Connection:
        return self._engine


class _Async:
    """An asyncpg connection behind the same interface."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None

    async def __aenter__(self) -> "_Async":
        self._connection = await self._engine.connect()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._connection is not None:
            await self._connection.close()

    @property
    def _open(self) -> AsyncConnection:
        assert self._connection is not None, "used outside its `async with`"
        return self._connection

    async def execute(
        self, statement: sa.Executable, params: dict[str, Any] | Sequence[dict[str, Any]] | None = None
    ) -> sa.Result[Any]:
        return await self._open.execute(statement, params)

    async def exec_driver_sql(self, statement: str, params: Sequence[tuple[Any, ...]]) -> sa.CursorResult[Any]:
        return await self._open.exec_driver_sql(statement, params[0] if len(params) == 1 else list(params))

    async def commit(self) -> None:
        await self._open.commit()

    async def rollback(self) -> None:
        await self._open.rollback()

    def get_bind(self) -> sa.Engine | sa.Connection:
        return self._engine.sync_engine


class Database:
    """The database of one process: its engine and how it hands out sessions."""

    def __init__(self, settings: Settings) -> None:
        self.url = settings.database_url
        self._async: AsyncEngine | None = None
        # SQLite statements run on the event loop: a writer waiting on another writer's lock would block
        # the very loop that has to finish that writer. Writers of this process take turns instead.
        self._write_turn = asyncio.Lock()
        if make_url(self.url).get_backend_name() == "sqlite":
            self.sync_engine = create_sync_engine(self.url)
        else:
            # No ping per checkout (a round trip on every request): a connection found dead raises a
            # disconnect error, answered 503, and SQLAlchemy then discards every pooled connection.
            self._async = create_async_engine(
                async_url(self.url),
                pool_size=settings.db_pool_size,
                max_overflow=settings.db_max_overflow,
                pool_timeout=settings.db_pool_timeout,
                pool_recycle=1800,
            )
            self.sync_engine = self._async.sync_engine
            # Reads without BEGIN and COMMIT: two round trips fewer per request. Under READ COMMITTED
            # every statement takes its own snapshot anyway, in a transaction or not.
            self._reads = self._async.execution_options(isolation_level="AUTOCOMMIT")

    @property
    def dialect(self) -> str:
        return "postgresql" if self._async is not None else "sqlite"

    def session(self, *, read_only: bool = False) -> AbstractAsyncContextManager[DbSession]:
        if self._async is None:
            return _OnLoop(self.sync_engine)
        return _Async(self._reads if read_only else self._async)

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[None]:
        """Around a write transaction: one writer at a time on SQLite, no-op on PostgreSQL."""
        if self._async is not None:
            yield
            return
        async with self._write_turn:
            yield

    async def dispose(self) -> None:
        if self._async is not None:
            await self._async.dispose()
        else:
            self.sync_engine.dispose()


@asynccontextmanager
async def transaction(db: Database, *, read_only: bool = False) -> AsyncIterator[DbSession]:
    """The one place that commits: on success; anything raised rolls the whole unit back.

    `read_only` is for work that writes nothing: on PostgreSQL it runs without a transaction, and
    there is nothing to commit (the call alone cost 0.025 ms of CPU, twice for many GETs).
    """
    async with db.session(read_only=read_only) as session:
        try:
            yield session
            if not read_only:
                await session.commit()
        except BaseException:
            await session.rollback()
            raise


class TransactionLost(Exception):
    """A `savepoint` could not be rolled back to: nothing of its transaction can be kept."""


@asynccontextmanager
async def batch_transaction(db: Database) -> AsyncIterator[DbSession]:
    """A write transaction for several units of work, each in its own `savepoint`; commits like `transaction`.

    On SQLite the transaction is begun explicitly: the sqlite3 module begins one only before an
    INSERT, UPDATE or DELETE, so a SAVEPOINT sent first would open a transaction of its own, which
    its RELEASE would commit. IMMEDIATE takes the write lock now rather than at the first write, when
    another process may have committed since this transaction's first read (SQLITE_BUSY_SNAPSHOT).
    """
    async with db.writing(), transaction(db) as session:
        if db.dialect == "sqlite":
            await session.execute(_BEGIN_IMMEDIATE)
        yield session


_BEGIN_IMMEDIATE = sa.text("BEGIN IMMEDIATE")
_SAVEPOINT = sa.text("SAVEPOINT unit")
_RELEASE = sa.text("RELEASE SAVEPOINT unit")
_ROLLBACK_TO = sa.text("ROLLBACK TO SAVEPOINT unit")


@asynccontextmanager
async def savepoint(session: DbSession) -> AsyncIterator[None]:
    """One unit of a `batch_transaction`: anything raised inside undoes this unit's writes only, and propagates.

    If the undo itself fails (the connection is gone, or SQLite already rolled the whole transaction
    back), `TransactionLost` is raised instead: the caller must then treat the whole batch as failed.
    """
    await session.execute(_SAVEPOINT)
    try:
        yield
    except Exception:
        try:
            await session.execute(_ROLLBACK_TO)
            await session.execute(_RELEASE)
        except Exception as lost:
            raise TransactionLost("the transaction could not be rolled back to a savepoint") from lost
        raise
    # Anything else (a cancellation) leaves through the batch transaction, which rolls back whole.
    await session.execute(_RELEASE)


async def get_session(request: Request) -> AsyncIterator[DbSession]:
    async with transaction(request.app.state.db, read_only=True) as session:
        yield session


async def get_write_session(request: Request) -> AsyncIterator[DbSession]:
    db: Database = request.app.state.db
    async with db.writing(), transaction(db) as session:
        yield session


SessionDep = Annotated[DbSession, Depends(get_session)]
WriteSessionDep = Annotated[DbSession, Depends(get_write_session)]
