import asyncio
import time
from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.api.deps import ViewDep
from app.db import Database, transaction
from app.errors import problem_responses
from app.models import ChangeObject, ChangePage, ChangePublic, utcnow
from app.pagination import cursor_id, decode_cursor, encode_cursor
from app.services import changes

router = APIRouter(tags=["changes"])

_ORDER = "changes"
_URLS = {ChangeObject.article: "/v1/articles/", ChangeObject.quote: "/v1/quotes/", ChangeObject.entity: "/v1/entities/"}


@router.get("/changes", summary="Follow every change", responses=problem_responses(422, 503))
async def list_changes(
    request: Request,
    view: ViewDep,
    cursor: Annotated[
        str | None, Query(max_length=200, description="From `next_cursor`; leave out to start at the beginning.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Changes per page, 1 to 1000.")] = 100,
    wait: Annotated[
        int, Query(ge=0, le=300, description="Seconds to wait for a change when there is none yet (long polling).")
    ] = 0,
) -> ChangePage:
    """Every change to articles, quotes and entities, in commit order: created, updated (a new version),
    corrected, killed (a tombstone), merged and released (an embargo lifted: the story is now visible).
    Fetch each changed object at its `url` (a 404 means it is no longer visible to you: drop it). A key
    licensed for some sections sees their changes, and those of entities; a story moving out of them
    appears as a change whose `url` answers 404. Start without a cursor to build a full mirror, then keep
    the last `next_cursor`: cursors never expire."""
    after = cursor_id(decode_cursor(cursor, _ORDER, 1)[0]) if cursor else 0
    db: Database = request.app.state.db
    deadline = time.monotonic() + min(wait, request.app.state.settings.long_poll_max)
    while True:
        # Nothing is written when an embargo lifts: the lift is logged here, before the log is read,
        # so that a partner who got a 404 for the story fetches it again.
        await changes.release_embargoes(db, utcnow())
        # A fresh transaction each time: a snapshot taken before a commit would never see it.
        async with transaction(db, read_only=True) as session:
            rows = await changes.read(session, after=after, limit=limit, sections=view.sections)
        if rows or time.monotonic() >= deadline:
            break
        await asyncio.sleep(0.5)
    items = [
        ChangePublic(
            object=row.object,
            id=row.object_id,
            action=row.action,
            version=row.version,
            at=row.at,
            url=_URLS[ChangeObject(row.object)] + row.object_id,
            detail=row.detail,
        )
        for row in rows
    ]
    last = rows[-1].seq if rows else after
    return ChangePage(items=items, next_cursor=encode_cursor(_ORDER, [last]))
