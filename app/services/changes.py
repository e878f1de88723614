"""The change log: every change to an article, quote or entity, readable in commit order.

On PostgreSQL a sequence hands out numbers when rows are inserted, not when
transactions commit, so a reader could pass a number whose transaction commits
later and miss it for good. Writers therefore take one transaction-scoped
advisory lock as they log their changes, at the very end of their work: numbers
are then handed out in commit order. SQLite has one writer at a time anyway.
"""

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.db import Database, DbSession, transaction
from app.models import (
    ArticleStatus,
    ChangeAction,
    ChangeObject,
    article_agency_table,
    article_table,
    change_scope_table,
    change_table,
    embargo_unreleased,
    entity_table,
    mention_table,
    quote_table,
    section_table,
)
from app.services.common import section_ids

c = change_table
cs = change_scope_table
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
    # The section an article moved out of: its lists changed too, and keys licensed for it must
    # see the change to learn that the story is no longer theirs (logged, and scoped).
    left_section_id: int | None = None
    # The entities the article showed before the change (see `shown_entities`): their pages and
    # lists changed too, those it shows afterwards are found when the change is logged.
    shown_before: frozenset[int] = frozenset()

    @property
    def article(self) -> str | None:
        """The article whose representation the change is part of, if any."""
        if self.object is ChangeObject.article:
            return self.object_id
        article = self.detail.get("article") if self.object is ChangeObject.quote else None
        return article if isinstance(article, str) else None


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
            "left_section_id": e.left_section_id,
            "detail": e.detail,
            "at": now,
        }
        for e in events
    ]
    dialect = session.get_bind().dialect.name
    if dialect != "postgresql":
        await session.execute(sa.insert(c), rows)
        await _touch(session, dialect, events, now)
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
    await _touch(session, dialect, events, now)


def _shown(articles: Any) -> list[sa.Select[Any]]:
    """The entities the articles show: in their mentions (speakers among them), quotes and credits."""
    return [
        sa.select(mention_table.c.entity_id).where(mention_table.c.article_id.in_(articles)),
        sa.select(quote_table.c.speaker_id).where(quote_table.c.article_id.in_(articles)),
        sa.select(article_agency_table.c.entity_id).where(article_agency_table.c.article_id.in_(articles)),
    ]


_SHOWN = sa.union(*_shown([sa.bindparam("article_id")]))


async def shown_entities(session: DbSession, article_id: int) -> frozenset[int]:
    """What an article shows now, for a writer to pass as `Event.shown_before` before it changes it."""
    return frozenset(i for i in (await session.execute(_SHOWN, {"article_id": article_id})).scalars() if i)


_own = section_table.alias("own")
_named_articles = article_table.c.public_id.in_(sa.bindparam("articles", expanding=True))
_touched_articles = sa.select(article_table.c.id).where(_named_articles)
_entities: sa.BindParameter[int] = sa.bindparam("entities", expanding=True)
# An entity's page embeds the name of the entity it belongs to.
_touched_entities = sa.union(
    *_shown(_touched_articles),
    sa.select(entity_table.c.id).where(entity_table.c.id.in_(_entities)),
    sa.select(entity_table.c.id).where(entity_table.c.affiliation_id.in_(sa.bindparam("edited", expanding=True))),
).subquery("shown")
_touched = sa.union(
    sa.select((sa.literal_column("'article:'", sa.String) + article_table.c.public_id).label("scope")).where(
        _named_articles
    ),
    # A section's lists include its children's stories.
    sa.select((sa.literal_column("'section:'", sa.String) + section_table.c.slug).label("scope"))
    .join(_own, sa.or_(section_table.c.id == _own.c.id, section_table.c.id == _own.c.parent_id))
    .where(_own.c.id.in_(sa.bindparam("sections", expanding=True))),
    sa.select(
        (sa.literal_column("'entity:'", sa.String) + sa.cast(_touched_entities.c[0], sa.String)).label("scope")
    ).where(_touched_entities.c[0].is_not(None)),
).subquery("touched")
# Every scope gets the newest change number, which is this transaction's: writers log one at a time.
# (WHERE true: SQLite could otherwise read the ON of ON CONFLICT as a join's.)
_touching = sa.select(
    _touched.c.scope, sa.select(sa.func.max(c.c.seq)).scalar_subquery(), sa.bindparam("at", type_=cs.c.at.type)
).where(sa.true())
_TOUCH = {
    dialect: (statement := insert(cs).from_select(["scope", "seq", "at"], _touching)).on_conflict_do_update(
        index_elements=["scope"], set_={"seq": statement.excluded.seq, "at": statement.excluded.at}
    )
    for dialect, insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
}


async def _touch(session: DbSession, dialect: str, events: Sequence[Event], now: datetime) -> None:
    """Move the scopes the events fall in to the newest change (see `ChangeScope`), in one statement."""
    articles = sorted({article for e in events if (article := e.article) is not None})
    sections = sorted({i for e in events for i in (e.section_id, e.left_section_id) if i is not None})
    changed = {int(e.object_id) for e in events if e.object is ChangeObject.entity}
    edited = sorted(
        int(e.object_id) for e in events if e.object is ChangeObject.entity and e.action is not ChangeAction.created
    )
    entities = sorted(changed.union(*(e.shown_before for e in events)))
    if articles or sections or entities:
        params = {"articles": articles, "sections": sections, "entities": entities, "edited": edited, "at": now}
        await session.execute(_TOUCH[dialect], params)


@dataclass(frozen=True)
class State:
    """What every ETag is made from: the newest change, and the newest embargo that has lifted.

    An embargo lifting changes what partners see without any change being logged. `scopes` holds
    the newest change of the scopes asked for that have had one, and of every scope that changed
    after the change number `since` given to `current_state`; `complete` says whether all of the
    latter are there (at most `changed` are read).
    """

    seq: int
    at: datetime | None
    lifted: datetime | None
    scopes: dict[str, tuple[int, datetime]] = field(default_factory=dict)
    complete: bool = True


_newest = sa.select(c.c.seq, c.c.at).order_by(c.c.seq.desc()).limit(1).subquery()
_state = (
    sa.select(_newest.c.seq).scalar_subquery().label("seq"),
    sa.select(_newest.c.at).scalar_subquery().label("at"),
    sa.select(sa.func.max(article_table.c.embargoed_until))
    .where(article_table.c.embargoed_until <= sa.bindparam("now"))
    .scalar_subquery()
    .label("lifted"),
)
_ASKED = cs.c.scope.in_(sa.bindparam("scopes", expanding=True))
_SCOPES = sa.select(cs.c.scope, cs.c.seq, cs.c.at).where(_ASKED)


@functools.cache
def _state_statement(asked: bool, since: bool) -> sa.Executable:
    """The state, the scopes asked for and those changed since a number, in one round trip.

    Every GET that is not answered from memory runs one of the four; rows tell what they are by `part`.
    """
    if not (asked or since):
        return sa.select(*_state)
    parts = [sa.select(sa.literal_column("'state'").label("part"), sa.null().label("scope"), *_state)]
    if asked:
        parts.append(sa.select(sa.literal_column("'asked'"), *_SCOPES.selected_columns, sa.null()).where(_ASKED))
    if since:
        changed = (
            sa.select(cs.c.scope, cs.c.seq, cs.c.at)
            .where(cs.c.seq > sa.bindparam("since"))
            .limit(sa.bindparam("changed_limit"))
            .subquery("changed")
        )
        parts.append(sa.select(sa.literal_column("'changed'"), *changed.c, sa.null()))
    return sa.union_all(*parts)


async def current_state(
    session: DbSession, now: datetime, scopes: Sequence[str] = (), since: int | None = None, changed: int = 1_000
) -> State:
    """The state in one statement (0 and None before anything happened), with these scopes and
    (see `State`) up to `changed` of those changed after change number `since`."""
    stmt = _state_statement(bool(scopes), since is not None)
    params: dict[str, Any] = {"now": now}
    if not (scopes or since is not None):
        row = (await session.execute(stmt, params)).one()
        return State(int(row.seq or 0), row.at, row.lifted)
    if scopes:
        params["scopes"] = list(scopes)
    if since is not None:
        params |= {"since": since, "changed_limit": changed + 1}
    rows = (await session.execute(stmt, params)).all()
    state = next(row for row in rows if row.part == "state")
    found = {row.scope: (int(row.seq), row.at) for row in rows if row.part != "state"}
    read = sum(row.part == "changed" for row in rows)
    return State(int(state.seq or 0), state.at, state.lifted, found, read <= changed)


async def scope_states(session: DbSession, scopes: Sequence[str]) -> dict[str, tuple[int, datetime]]:
    """The newest change within each scope that has had one (see `ChangeScope`)."""
    rows = await session.execute(_SCOPES, {"scopes": list(scopes)})
    return {row.scope: (int(row.seq), row.at) for row in rows}


async def changed_since(session: DbSession, object: ChangeObject, object_ids: Sequence[str], seq: int) -> bool:
    """Whether any of these objects changed after change number `seq` (for If-Match).

    A release changes nothing of the story: an editor's ETag from before it still names its content."""
    found = await session.execute(
        sa.select(c.c.seq)
        .where(
            c.c.object == object.value,
            c.c.object_id.in_(list(object_ids)),
            c.c.seq > seq,
            c.c.action != ChangeAction.released.value,
        )
        .limit(1)
    )
    return found.first() is not None


async def read(session: DbSession, *, after: int, limit: int, sections: Sequence[str] | None) -> list[Any]:
    """Changes after number `after`, oldest first; a key licensed for sections sees only theirs (and entities).

    Theirs include the changes that moved a story out of them: the key fetches the story, gets a 404
    and drops it, as a mirror must. The conditions only filter the walk along `seq` (primary key
    order, stopped at `limit`), so an OR across the two columns needs no index of its own.
    """
    stmt = sa.select(c).where(c.c.seq > after).order_by(c.c.seq).limit(limit)
    if sections is not None:
        licensed = section_ids(sections)
        stmt = stmt.where(
            sa.or_(c.c.section_id.is_(None), c.c.section_id.in_(licensed), c.c.left_section_id.in_(licensed))
        )
    return list((await session.execute(stmt)).all())


# --- Embargoes lifting -------------------------------------------------------
#
# A story created or changed under embargo is logged at once, and partners fetching it get a 404;
# nothing is written when the embargo lifts. Readers of the log therefore log the lifts first,
# as `released`, so that a mirror fetches the story again. `article.embargo_released` holds the
# embargo already accounted for: a writer that sets or moves an embargo makes it differ again.

_a = article_table
_lifted = article_table.alias("lifted")
_LIFTED = sa.and_(_lifted.c.embargoed_until <= sa.bindparam("now"), embargo_unreleased(_lifted))
_ANY_LIFTED = sa.select(_lifted.c.id).where(_LIFTED).limit(1)
# At most this many stories a transaction, so that a backlog never holds the change log's lock long.
RELEASE_BATCH = 500
_last_logged = (
    sa.select(sa.func.max(c.c.at))
    .where(c.c.object == ChangeObject.article.value, c.c.object_id == _a.c.public_id)
    .scalar_subquery()
)
# The subquery locks the rows (FOR UPDATE, PostgreSQL), in id order so that processes cannot deadlock:
# one that finds them locked by another waits, then checks its condition again and skips those the
# other marked, so each lift is logged once. Locked by the UPDATE alone, a row found by the subquery
# before the other committed would be marked, and logged, again. SQLite has one writer at a time.
_RELEASE = (
    sa.update(_a)
    .where(
        _a.c.id.in_(
            sa.select(_lifted.c.id).where(_LIFTED).order_by(_lifted.c.id).limit(RELEASE_BATCH).with_for_update()
        )
    )
    .values(embargo_released=_a.c.embargoed_until)
    .returning(
        _a.c.public_id, _a.c.version, _a.c.section_id, _a.c.status, _a.c.embargoed_until, _last_logged.label("logged")
    )
)


async def release_lifted(session: DbSession, now: datetime) -> tuple[int, list[Event]]:
    """Mark up to `RELEASE_BATCH` embargoes lifted by `now` as accounted for, and log `released` for
    those partners have not been told of since; returns how many were marked, and the events logged.

    Logs last (see `record`): call it in a write transaction of its own, right before it commits.
    """
    rows = (await session.execute(_RELEASE, {"now": now})).all()
    events = [
        Event(ChangeObject.article, row.public_id, ChangeAction.released, row.version, row.section_id)
        for row in sorted(rows, key=lambda row: row.public_id)
        # A change logged once the embargo had lifted was fetched with the story visible; a withheld
        # story stays hidden, and showing it later logs a change of its own.
        if (row.logged is None or row.logged < row.embargoed_until) and row.status != ArticleStatus.withheld.value
    ]
    await record(session, events, now=now)
    return len(rows), events


async def release_embargoes(db: Database, now: datetime) -> list[Event]:
    """Log the embargoes lifted by `now` that the change log does not account for yet (see
    `release_lifted`): for any reader of the log to run first. Costs one indexed read when there are
    none; each process may run it, as often as it likes."""
    async with transaction(db, read_only=True) as session:
        if (await session.execute(_ANY_LIFTED, {"now": now})).first() is None:
            return []
    released: list[Event] = []
    while True:
        async with db.writing(), transaction(db) as session:
            marked, events = await release_lifted(session, now)
        released += events
        if marked < RELEASE_BATCH:
            return released
