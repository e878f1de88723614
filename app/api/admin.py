from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.api.auth import AdminKey
from app.db import SessionDep
from app.errors import problem_responses
from app.models import UsagePublic
from app.pagination import Page
from app.services import keys

router = APIRouter(prefix="/admin", tags=["admin"])


@router.get("/usage", summary="Requests per key per day", responses=problem_responses(401, 403, 422, 503))
async def get_usage(
    request: Request,
    session: SessionDep,
    key: AdminKey,
    since: Annotated[date | None, Query(description="First UTC day to include.")] = None,
) -> Page[UsagePublic]:
    """How many requests each key made each day (conditional GETs answered 304 are free). Needs `admin`."""
    await request.app.state.usage.flush(request.app.state.db)
    rows = await keys.usage(session, since=since)
    return Page(
        items=[UsagePublic(key=r.prefix, name=r.name, day=r.day, requests=r.requests) for r in rows], next_cursor=None
    )
