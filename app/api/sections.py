from typing import Annotated

from fastapi import APIRouter, Path

from app.api.deps import Slug
from app.db import SessionDep
from app.errors import problem_responses
from app.models import SectionPublic
from app.pagination import Page
from app.services import sections

router = APIRouter(prefix="/sections", tags=["sections"])


@router.get("", summary="List sections", responses=problem_responses(422, 503))
async def list_sections(session: SessionDep) -> Page[SectionPublic]:
    """Every section with its number of usable articles. Sections are few: one page holds them all."""
    return Page(items=await sections.list_sections(session), next_cursor=None)


@router.get("/{slug}", summary="Get a section", responses=problem_responses(404, 422, 503))
async def get_section(
    slug: Annotated[Slug, Path(description="Section slug.", examples=["politics"])], session: SessionDep
) -> SectionPublic:
    """One section with its number of usable articles."""
    return await sections.get_section(session, slug)
