"""CPU time per request, endpoint by endpoint, through the ASGI app in this process.

    python -m bench.cpu DATABASE_URL [--requests 50] [--plain]

Runs against a database already loaded (e.g. by `bench/corpus.py`, or the demo
corpus) and calls the app directly, without a server or a load generator, so
the figure is what one request costs this process: CPU milliseconds, which a
busy machine inflates far less than it does wall-clock latency. Requests carry
`Cache-Control: no-cache` (every answer is made afresh) unless `--plain` is
given. An endpoint whose cost grows with the archive stands out here first.

On PostgreSQL running on this machine, the CPU its backends for this database
spent per request is printed too (from /proc): planning and running the
statements costs the server about as much as the API process its Python.
"""

import argparse
import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.config import Settings
from app.db import create_sync_engine
from app.main import create_app
from bench.corpus import most_quoted_speaker, quoted_speakers

_SEARCH = "q=%D8%A7%D9%84%D9%85%D8%A7%D9%84%D9%8A%D8%A9%20%D9%82%D9%85%D8%B1%D8%B3%D8%AA%D8%A7%D9%86"


def paths(database_url: str) -> tuple[list[str], list[str]]:
    """The endpoints to ask for again and again, and 500 speakers' article lists to ask for once each."""
    engine = create_sync_engine(database_url)
    with engine.connect() as conn:
        article = conn.execute(sa.text("SELECT public_id FROM article ORDER BY id LIMIT 1")).scalar_one()
        speaker = most_quoted_speaker(conn)
        # The next 500: the most quoted one is among the endpoints asked for again and again.
        others = quoted_speakers(conn, 500, skip=1)
        section = conn.execute(sa.text("SELECT slug FROM section ORDER BY id LIMIT 1")).scalar_one()
        # The least mentioned entity: a filter that matches a handful of stories in the whole archive.
        rare = conn.execute(
            sa.text("SELECT entity_id FROM mention GROUP BY entity_id ORDER BY count(*), entity_id LIMIT 1")
        ).scalar_one()
    engine.dispose()
    return [
        f"/v1/articles?section={section}",
        "/v1/articles?entity=1",
        f"/v1/articles?entity={rare}",
        f"/v1/articles?speaker={speaker}",
        "/v1/articles?expand=quotes,entities",
        f"/v1/articles/{article}",
        "/v1/quotes",
        f"/v1/quotes?speaker={speaker}",
        "/v1/quotes?kind=indirect",
        f"/v1/quotes?entity={rare}",
        f"/v1/quotes?article={article}",
        "/v1/entities",
        f"/v1/entities/{speaker}",
        f"/v1/entities/{speaker}/quotes",
        "/v1/sections",
        f"/v1/sections/{section}/feed.json",
        f"/v1/entities/{rare}/feed.json",
        "/v1/changes",
        f"/v1/articles?{_SEARCH}&section={section}",
        f"/v1/search?{_SEARCH}",
    ], [f"/v1/articles?speaker={other}" for other in others]


def server_clock(database_url: str) -> Callable[[], float] | None:
    """Seconds of CPU the PostgreSQL backends of this database have used so far, or None on SQLite (or a
    server whose processes this machine cannot see). Backends that ended meanwhile are not counted: the
    app's pool keeps its connections for the whole run."""
    engine = create_sync_engine(database_url)
    if engine.dialect.name != "postgresql":
        engine.dispose()
        return None
    ticks = os.sysconf("SC_CLK_TCK")

    def clock() -> float:
        with engine.connect() as conn:
            pids = conn.execute(
                sa.text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalars()
            used = 0
            for pid in pids:
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                used += int(fields[11]) + int(fields[12])  # utime, stime
        return used / ticks

    return clock if Path("/proc/self/stat").exists() else None


def _scope(path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    route, _, query = path.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": route,
        "raw_path": route.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"bench"), *headers],
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
    }


async def _get(app: Any, scope: dict[str, Any]) -> int:
    """The status of one request through the app."""
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(dict(scope), receive, send)
    return status


async def cost(app: Any, path: str, requests: int, headers: list[tuple[bytes, bytes]]) -> tuple[float, int]:
    scope = _scope(path, headers)
    await _get(app, scope)  # warm: statement caches, imports
    start = time.process_time()
    for _ in range(requests):
        status = await _get(app, scope)
    return (time.process_time() - start) / requests * 1000, status


async def cost_each(app: Any, paths: list[str], headers: list[tuple[bytes, bytes]]) -> tuple[float, int]:
    """CPU ms per request, each path asked for once: what one path asked again and again hides, such as
    a statement prepared or planned anew for every value. The worst status is returned."""
    start = time.process_time()
    statuses = [await _get(app, _scope(path, headers)) for path in paths]
    return (time.process_time() - start) / len(paths) * 1000, max(statuses)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("database_url")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--plain", action="store_true", help="no Cache-Control: no-cache (answers may be kept)")
    args = parser.parse_args()
    unlimited = "1000000000/minute"
    settings = Settings(
        database_url=args.database_url, load_demo=False, rate_limit=unlimited, anonymous_rate_limit=unlimited
    )
    app = create_app(settings)
    headers = [] if args.plain else [(b"cache-control", b"no-cache")]
    server = server_clock(args.database_url)
    async with app.router.lifespan_context(app):
        print(f"{'endpoint':70} {'CPU ms':>8} {'server':>8}  status")
        repeated, once = paths(args.database_url)
        for path in repeated:
            before = server() if server else 0.0
            ms, status = await cost(app, path, args.requests, headers)
            # The warm-up request is counted by the server's clock too.
            spent = f"{(server() - before) / (args.requests + 1) * 1000:8.2f}" if server else f"{'-':>8}"
            print(f"{path[:70]:70} {ms:8.2f} {spent}  {status}")
        before = server() if server else 0.0
        ms, status = await cost_each(app, once, headers)
        spent = f"{(server() - before) / len(once) * 1000:8.2f}" if server else f"{'-':>8}"
        print(f"{f'/v1/articles?speaker=… ({len(once)} speakers, once each)':70} {ms:8.2f} {spent}  {status}")


if __name__ == "__main__":
    asyncio.run(main())
