"""API keys: shown once, stored as a hash, found by their prefix, compared in constant time."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.db import DbSession
from app.errors import NotFound
from app.models import Scope, api_key_table, key_usage_table

k = api_key_table
_PREFIX_BYTES = 6
_SECRET_BYTES = 24


@dataclass(frozen=True)
class KeyInfo:
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None
    rate_limit: str | None = None
    sections: list[str] | None = None

    @property
    def editor(self) -> bool:
        """Editors (ingest or admin) see withheld and embargoed stories; partners never do."""
        return bool({Scope.ingest.value, Scope.admin.value} & set(self.scopes))


def _hash(secret: str) -> str:
    # Keys are long random strings, not passwords: one SHA-256 is enough and keeps lookups fast.
    return hashlib.sha256(secret.encode()).hexdigest()


def _info(row: Any) -> KeyInfo:
    return KeyInfo(
        row.id,
        row.name,
        row.prefix,
        list(row.scopes),
        row.created_at,
        row.revoked_at,
        row.rate_limit,
        list(row.sections) if row.sections is not None else None,
    )


async def create_key(
    session: DbSession,
    *,
    name: str,
    scopes: list[Scope],
    now: datetime,
    rate_limit: str | None = None,
    sections: list[str] | None = None,
) -> tuple[str, KeyInfo]:
    """A new key; the plain key is returned here and never again."""
    prefix = secrets.token_hex(_PREFIX_BYTES)
    secret = secrets.token_urlsafe(_SECRET_BYTES)
    row = (
        await session.execute(
            sa.insert(k)
            .values(
                name=name,
                prefix=prefix,
                secret_hash=_hash(secret),
                scopes=sorted({s.value for s in scopes}),
                created_at=now,
                rate_limit=rate_limit,
                sections=sections,
            )
            .returning(k)
        )
    ).one()
    return f"wq_{prefix}_{secret}", _info(row)


async def list_keys(session: DbSession) -> list[KeyInfo]:
    return [_info(row) for row in await session.execute(sa.select(k).order_by(k.c.id))]


async def revoke_key(session: DbSession, *, prefix: str, now: datetime) -> KeyInfo:
    row = (
        await session.execute(
            sa.update(k)
            .where(k.c.prefix == prefix)
            .values(revoked_at=sa.func.coalesce(k.c.revoked_at, now))
            .returning(k)
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"No API key with prefix {prefix!r}.")
    return _info(row)


async def authenticate(session: DbSession, key: str) -> KeyInfo | None:
    """The live key matching `key`, or None for a malformed, unknown or revoked one."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != "wq" or len(parts[1]) != 2 * _PREFIX_BYTES:
        return None
    row = (await session.execute(sa.select(k).where(k.c.prefix == parts[1]))).one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.secret_hash, _hash(parts[2])):
        return None
    return _info(row)


async def usage(session: DbSession, *, since: date | None = None) -> list[Any]:
    """Requests per key per day, newest day first."""
    u = key_usage_table
    stmt = (
        sa.select(k.c.prefix, k.c.name, u.c.day, u.c.requests)
        .join(k, k.c.id == u.c.key_id)
        .order_by(u.c.day.desc(), k.c.prefix)
    )
    if since is not None:
        stmt = stmt.where(u.c.day >= since)
    return list((await session.execute(stmt)).all())


async def add_usage(session: DbSession, counts: dict[tuple[int, date], int]) -> None:
    """Add request counts to the per-day totals (several processes add to the same rows)."""
    u = key_usage_table
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    for (key_id, day), n in counts.items():
        stmt = insert(u).values(key_id=key_id, day=day, requests=n)
        await session.execute(
            stmt.on_conflict_do_update(index_elements=["key_id", "day"], set_={"requests": u.c.requests + n})
        )
