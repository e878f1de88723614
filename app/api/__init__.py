from fastapi import APIRouter

from app.api import admin, articles, changes, entities, extract, feeds, quotes, search, sections

api_router = APIRouter(prefix="/v1")
for module in (articles, quotes, entities, sections, search, feeds, changes, extract, admin):
    api_router.include_router(module.router)
