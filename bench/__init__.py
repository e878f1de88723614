"""Benchmark scripts (see docs/performance.md); what several of them share is here."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import make_url


@contextmanager
def scratch_postgres(server_url: str, template: str | None = None) -> Iterator[str]:
    """A new database on this PostgreSQL server, dropped afterwards whatever happens: its URL. Empty,
    or a copy of the database named `template` (which must have no other connection)."""
    server = make_url(server_url)
    name = f"wire_bench_{uuid.uuid4().hex[:8]}"
    conninfo = server.set(drivername="postgresql").render_as_string(hide_password=False)
    copy = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{copy}')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
