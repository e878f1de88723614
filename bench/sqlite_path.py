"""Compare the two ways of reaching SQLite from async routes, per request, in-process.

    python bench/sqlite_path.py [sqlite:///wire.db]

"aiosqlite" runs every driver call on aiosqlite's thread; "on-loop" (what the
service uses) runs the plain sqlite3 driver on the event loop. Prints ms per
request for a few read endpoints over the demo corpus (loaded if missing).
"""

import asyncio
import sys
import time
from contextlib import AbstractAsyncContextManager

import httpx
from sqlalchemy.ext.asyncio import create_async_engine

from app.config import Settings
from app.db import Database, DbSession, _Async, sync_url
from app.demo.load import load_demo
from app.main import create_app
from app.migrate import upgrade
from app.models import public_id_for

PATHS = ["/v1/articles?section=politics", "/v1/articles?limit=20", "/v1/quotes", "/v1/entities"]
REQUESTS = 400


class AiosqliteDatabase(Database):
    """The same Database, but with connections from aiosqlite (as the service's from asyncpg)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        url = sync_url(settings.database_url).set(drivername="sqlite+aiosqlite")
        self._aio = create_async_engine(url)

    def session(self, *, read_only: bool = False) -> AbstractAsyncContextManager[DbSession]:
        return _Async(self._aio)

    async def dispose(self) -> None:
        await self._aio.dispose()
        await super().dispose()


async def per_request(url: str, path: str, kind: type[Database]) -> float:
    settings = Settings(database_url=url)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        await app.state.db.dispose()
        app.state.db = kind(settings)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for _ in range(20):
                assert (await client.get(path)).status_code == 200
            start = time.perf_counter()
            for _ in range(REQUESTS):
                await client.get(path)
            return (time.perf_counter() - start) / REQUESTS * 1000


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else "sqlite:///bench-sqlite-path.db"
    upgrade(url)
    asyncio.run(load_demo(Settings(database_url=url), only_if_empty=True))
    articles = "/v1/articles/" + public_id_for("urn:demo:b:0014")
    print(f"{'path':40} {'aiosqlite':>10} {'on-loop':>10}  (ms per request, {REQUESTS} sequential)")
    for path in [*PATHS, articles]:
        slow = asyncio.run(per_request(url, path, AiosqliteDatabase))
        fast = asyncio.run(per_request(url, path, Database))
        print(f"{path:40} {slow:10.2f} {fast:10.2f}")


if __name__ == "__main__":
    main()
