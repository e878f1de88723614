"""PostgreSQL connections under load: a burst of requests waits for the pool rather than opening more."""

import asyncio

import pytest
import sqlalchemy as sa

from tests.conftest import Database, client_for, running_app
from tests.oracle import NO_CACHE

pytestmark = pytest.mark.asyncio


async def test_a_burst_of_reads_opens_no_more_connections_than_the_pool_holds(database: Database) -> None:
    if database.backend != "postgresql":
        pytest.skip("SQLite statements run on the event loop: a request never waits on a connection")
    async with running_app(database, db_pool_size=4) as app, client_for(app) as client:
        opened: list[object] = []

        def connected(connection: object, record: object) -> None:
            opened.append(connection)

        sa.event.listen(app.state.db.sync_engine, "connect", connected)
        paths = ["/v1/articles", "/v1/quotes", "/v1/entities", "/v1/sections"] * 10
        answers = await asyncio.gather(*(client.get(path, headers=NO_CACHE) for path in paths))
        assert {answer.status_code for answer in answers} == {200}
        # Connections opened beyond the pool were closed again as soon as it was full: under steady
        # load PostgreSQL then started a backend for every few requests.
        assert 0 < len(opened) <= 4
