from fastapi import APIRouter

from app.api import admin, articles, changes, entities, extract, feeds, quotes, search, sections

API_PREFIX = "/v1"
# Included into the app one by one rather than through one /v1 router: FastAPI matches a request
# router by router, saving and restoring its scope at every level, and a level less is a few
# percent of a list's CPU. The most requested come first.
API_ROUTERS: tuple[APIRouter, ...] = tuple(
    module.router for module in (articles, quotes, entities, sections, search, feeds, changes, extract, admin)
)
