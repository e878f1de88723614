import sqlalchemy as sa
from fastapi import APIRouter

from app.db import SessionDep
from app.errors import problem_responses

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Process health", responses=problem_responses(422))
async def healthz() -> dict[str, str]:
    """200 while the process serves requests; it does not touch the database."""
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness", responses=problem_responses(422, 503))
async def readyz(session: SessionDep) -> dict[str, str]:
    """200 when the database answers, 503 otherwise: take the instance out of the balancer."""
    await session.execute(sa.text("SELECT 1"))
    return {"status": "ok", "database": "ok"}
