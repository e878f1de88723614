"""The ASGI application."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from app import errors
from app.api import api_router, health
from app.api.deps import check_request
from app.config import Settings, get_settings
from app.db import Database

DESCRIPTION = """
Translated wire stories, the **quotes** they contain and the **sources** those quotes are
attributed to.

* Lists use opaque cursors: follow `next_cursor` (or the `Link: rel=next` header).
* Repeat a filter parameter to match any of its values; different filters combine.
* Unknown query parameters are rejected with 422, so a typo never widens a list.
* Every error is an RFC 9457 `application/problem+json` document naming the offending input.
"""

TAGS = [
    {"name": "articles", "description": "Translated wire stories with their provenance."},
    {"name": "quotes", "description": "Quotes as a resource: who said what, where, with offsets."},
    {"name": "entities", "description": "Sources and everything stories mention, with Arabic and Latin names."},
    {"name": "sections", "description": "The sections stories are filed under."},
    {"name": "health", "description": "Liveness and readiness probes."},
]


def _operation_id(route: APIRoute) -> str:
    # Function names are unique and stable: clients generated from the spec keep their method names.
    return route.name


def _problem_openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with every error response declared as application/problem+json."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes, tags=app.openapi_tags
    )
    for path in schema["paths"].values():
        for operation in path.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status[0] in "45" and "application/json" in content:
                    response["content"] = {errors.PROBLEM_MEDIA_TYPE: content["application/json"]}
    for name in ("HTTPValidationError", "ValidationError"):
        schema.get("components", {}).get("schemas", {}).pop(name, None)
    app.openapi_schema = schema
    return schema


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.db = Database(settings)
        try:
            yield
        finally:
            await app.state.db.dispose()

    app = FastAPI(
        title="Wire Quotes API",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        dependencies=[Depends(check_request)],
        generate_unique_id_function=_operation_id,
    )
    errors.install(app)
    app.include_router(health.router)
    app.include_router(api_router)
    app.openapi = lambda: _problem_openapi(app)  # type: ignore[method-assign]
    return app
