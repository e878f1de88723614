from fastapi import APIRouter

from app.api import articles, entities, extract, quotes, sections

api_router = APIRouter(prefix="/v1")
for module in (articles, quotes, entities, sections, extract):
    api_router.include_router(module.router)
