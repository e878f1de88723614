"""The change log: every change to an article, quote or entity, readable in commit order.

On PostgreSQL a sequence hands out numbers when rows are inserted, not when
transactions commit, so a reader could pass a number whose transaction commits
later and miss it for good. Writers therefore take one transaction-scoped
advisory lock as they log their changes, at the very end of their work: numbers
are then handed out in commit order. SQLite has one writer at a time anyway.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.db import DbSession
from app.models import ChangeAction, ChangeObject, article_table, change_table
from app.services.common import section_ids

c = change_table
# Any fixed number: the lock only has to be the same for every writer.
_CHANGE_LOG_LOCK = 7_405_551


@dataclass(frozen=True)
class Event:
    object: ChangeObject
    object_id: str
    action: ChangeAction
    version: int | None = None
    section_id: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)


async def record(session: DbSession, events: Sequence[Event], *, now: datetime) -> None:
    """Append events to the log; call last in a transaction, right before it commits."""
    if not events:
        return
    rows = [
        {
            "object": e.object.value,
            "object_id": e.object_id,
            "action": e.action.value,
            "version": e.version,
            "section_id": e.section_id,
            "detail": e.detail,
            "at": now,
        }
        for e in events
    ]
    if session.get_bind().dialect.name != "postgresql":
        await session.execute(sa.insert(c), rows)
        return
    # The lock is taken by the statement that logs, saving a round trip: PostgreSQL never pulls a
    # subquery with a volatile function into its parent, so the lock is held before the row it
    # yields reaches the projection that draws the sequence number.
    lock = sa.select(sa.func.pg_advisory_xact_lock(_CHANGE_LOG_LOCK)).subquery("change_log_lock")
    values = sa.select(*(sa.bindparam(f"v_{name}", type_=c.c[name].type) for name in rows[0])).select_from(lock)
    await session.execute(
        sa.insert(c).from_select(list(rows[0]), values),
        [{f"v_{name}": value for name, value in row.items()} for row in rows],
    )


@dataclass(frozen=True)
class State:
    """What every ETag is made from: the newest change, and the newest embargo that has lifted.

    An embargo lifting changes what partners see without any change being logged.
    """

    seq: int
    at: datetime | None
    lifted: datetime | None


_newest = sa.select(c.c.seq, c.c.at).order_by(c.c.seq.desc()).limit(1).subquery()
# Built once: every GET that is not answered from memory runs it.
_STATE = sa.select(
    sa.select(_newest.c.seq).scalar_subquery().label("seq"),
    sa.select(_newest.c.at).scalar_subquery().label("at"),
    sa.select(sa.func.max(article_table.c.embargoed_until))
    .where(article_table.c.embargoed_until <= sa.bindparam("now"))
    .scalar_subquery()
    .label("lifted"),
)


async def current_state(session: DbSession, now: datetime) -> State:
    """The state in one statement (0 and None before anything happened)."""
    row = (await session.execute(_STATE, {"now": now})).one()
    return State(int(row.seq or 0), row.at, row.lifted)


async def changed_since(session: DbSession, object: ChangeObject, object_ids: Sequence[str], seq: int) -> bool:
    """Whether any of these objects changed after change number `seq` (for If-Match)."""
    found = await session.execute(
        sa.select(c.c.seq)
        .where(c.c.object == object.value, c.c.object_id.in_(list(object_ids)), c.c.seq > seq)
        .limit(1)
    )
    return found.first() is not None


async def read(session: DbSession, *, after: int, limit: int, sections: Sequence[str] | None) -> list[Any]:
    """Changes after number `after`, oldest first; a key licensed for sections sees only theirs (and entities)."""
    stmt = sa.select(c).where(c.c.seq > after).order_by(c.c.seq).limit(limit)
    if sections is not None:
        stmt = stmt.where(sa.or_(c.c.section_id.is_(None), c.c.section_id.in_(section_ids(sections))))
    return list((await session.execute(stmt)).all())
