from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request

from app.api.auth import IngestKey
from app.api.deps import STORY_BODY, GuidQuery
from app.db import SessionDep
from app.errors import problem_responses
from app.pipeline.read import read_story
from app.services.ingest import describe

router = APIRouter(tags=["ingest"])


@router.post(
    "/extract",
    summary="Show what the service understands of a story",
    responses={
        200: {"description": "The parsed story, its quotes with speakers, and the entities it names."},
        **problem_responses(401, 403, 413, 415, 422, 503),
    },
    openapi_extra=STORY_BODY,
)
async def extract_story(
    request: Request, session: SessionDep, key: IngestKey, guid: GuidQuery = None
) -> dict[str, Any]:
    """Run the whole pipeline (parsing, quote extraction, speaker attribution, entity linking against the
    catalogue) on a story in any accepted format, and store nothing."""
    story = read_story(
        await request.body(),
        request.headers.get("content-type"),
        guid=guid,
        timezone=ZoneInfo(request.app.state.settings.page_timezone),
    )
    return await describe(session, story)
