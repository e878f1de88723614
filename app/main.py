"""The ASGI application."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import errors
from app.api import API_PREFIX, API_ROUTERS, health
from app.api.deps import check_request, query_definitions
from app.config import Settings, get_settings
from app.db import Database
from app.delivery import Compress, Gate, Usage
from app.models import ArticleCreate
from app.services.catalogue import Memory

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
    {"name": "search", "description": "Arabic-aware full-text search across stories, quotes and sources."},
    {"name": "feeds", "description": "JSON Feed and Atom for feed readers, with tombstones for killed stories."},
    {"name": "changes", "description": "The change feed: mirror everything, then stay in sync."},
    {"name": "ingest", "description": "Seeing what the pipeline makes of a story before sending it."},
    {"name": "admin", "description": "Key usage, for administrators."},
    {"name": "health", "description": "Liveness and readiness probes."},
]


def _operation_id(route: APIRoute) -> str:
    # Function names are unique and stable: clients generated from the spec keep their method names.
    return route.name


_GATE_ANSWERS = {
    "401": "An unknown or revoked API key (or none, where reading requires one).",
    "429": "Over the quota: see the RateLimit headers and Retry-After.",
}
_SPARSE_ITEM = {"type": "object", "description": "Only the fields named in `fields`."}


def _allow_sparse(operation: dict[str, Any]) -> None:
    """With `fields=`, items carry only the fields asked for: say so in the response schema."""
    content = operation["responses"]["200"]["content"]["application/json"]
    full = content["schema"]
    sparse: dict[str, Any] = _SPARSE_ITEM
    if "Page" in full.get("$ref", ""):
        sparse = {
            "type": "object",
            "required": ["items", "next_cursor"],
            "properties": {
                "items": {"type": "array", "items": _SPARSE_ITEM},
                "next_cursor": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            },
        }
    content["schema"] = {"anyOf": [full, sparse]}


def _problem_openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with every error response declared as application/problem+json."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes, tags=app.openapi_tags
    )
    for url, path in schema["paths"].items():
        for operation in path.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status[0] in "345" and "application/json" in content:
                    response["content"] = {errors.PROBLEM_MEDIA_TYPE: content["application/json"]}
            if any(p["name"] == "fields" for p in operation.get("parameters", [])):
                _allow_sparse(operation)
            # The gate answers these before any route under /v1 runs.
            for status, description in _GATE_ANSWERS.items() if url.startswith("/v1/") else ():
                operation["responses"].setdefault(
                    status,
                    {
                        "description": description,
                        "content": {errors.PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
                    },
                )
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    # The schemas the parameters of query models refer to (see `QueryModelRoute`).
    schemas.update(query_definitions())
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    # Bodies read by hand (several content types) name their JSON schema by reference.
    for model in (ArticleCreate,):
        extra = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="validation")
        schemas.update(extra.pop("$defs", {}))
        schemas[model.__name__] = extra
    app.openapi_schema = schema
    return schema


class BodyLimit:
    """Refuse request bodies over the limit with a 413 problem, whether or not they declare their length."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = errors.ContentTooLarge(f"The request body exceeds the limit of {self.limit} bytes.")
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            response = errors.problem(
                Request(scope), status=413, slug=too_large.slug, title=too_large.title, detail=too_large.detail
            )
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise too_large  # raised inside the route, so the app's own handler answers
            return message

        await self.app(scope, counted, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.db = Database(settings)
        app.state.usage = Usage()
        app.state.catalogue = Memory()
        try:
            async with app.state.usage.flushing(app.state.db):
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
    # Outermost last: CORS answers preflights, Compress sees final bodies, the gate runs before any route.
    app.add_middleware(Gate, fastapi=app, settings=settings)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(Compress, megabytes=settings.response_cache_mb // 4)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "HEAD", "POST", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "X-API-Key", "Content-Type", "If-None-Match", "If-Modified-Since", "If-Match"],
        expose_headers=["ETag", "Last-Modified", "Link", "Location", "RateLimit", "RateLimit-Policy", "Retry-After"],
        max_age=3600,
    )
    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(health.router)
    app.openapi = lambda: _problem_openapi(app)  # type: ignore[method-assign]
    return app
