"""API keys: shown once, stored as a hash, found by their prefix, compared in constant time."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.db import DbSession
from app.errors import NotFound
from app.models import Scope, api_key_table

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


def _hash(secret: str) -> str:
    # Keys are long random strings, not passwords: one SHA-256 is enough and keeps lookups fast.
    return hashlib.sha256(secret.encode()).hexdigest()


def _info(row: Any) -> KeyInfo:
    return KeyInfo(row.id, row.name, row.prefix, list(row.scopes), row.created_at, row.revoked_at)


async def create_key(session: DbSession, *, name: str, scopes: list[Scope], now: datetime) -> tuple[str, KeyInfo]:
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
