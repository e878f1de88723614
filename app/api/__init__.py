from fastapi import APIRouter

from app.api import articles, entities, quotes, sections

api_router = APIRouter(prefix="/v1")
for module in (articles, quotes, entities, sections):
    api_router.include_router(module.router)
