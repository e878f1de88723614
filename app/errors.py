"""One exception hierarchy, rendered as RFC 9457 problem details by one set of handlers."""

import logging
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


# Which input an error is about: one item per offending parameter or field.
class ProblemItem(BaseModel):
    name: str = Field(description="The parameter or field, as a dotted path.", examples=["limit"])
    location: str = Field(description="Where it was: query, path, header or body.", examples=["query"])
    message: str = Field(description="What is wrong with it.", examples=["Input should be less than or equal to 100"])


# An RFC 9457 problem document, the body of every error response.
class Problem(BaseModel):
    type: str = Field(
        description="A URI reference that identifies the problem type.", examples=["/problems/invalid-parameter"]
    )
    title: str = Field(description="Short summary of the problem type.", examples=["Invalid parameter"])
    status: int = Field(description="The HTTP status code.", examples=[422])
    detail: str = Field(
        description="What went wrong in this occurrence.", examples=["limit: Input should be less than or equal to 100"]
    )
    instance: str | None = Field(default=None, description="The request path.", examples=["/v1/articles"])
    errors: list[ProblemItem] = Field(default_factory=list, description="The offending inputs, if any.")


class AppError(Exception):
    """Base of every error the service raises on purpose."""

    status = 500
    slug = "internal-error"
    title = "Internal server error"

    def __init__(
        self, detail: str, *, errors: Sequence[ProblemItem] = (), headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)
        self.headers = headers or {}


class NotFound(AppError):
    status = 404
    slug = "not-found"
    title = "Not found"


class InvalidParameter(AppError):
    status = 422
    slug = "invalid-parameter"
    title = "Invalid parameter"

    def __init__(self, name: str, message: str, *, location: str = "query") -> None:
        super().__init__(f"{name}: {message}", errors=[ProblemItem(name=name, location=location, message=message)])


class Unauthorized(AppError):
    status = 401
    slug = "unauthorized"
    title = "Unauthorized"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="wire-quotes"'})


class Forbidden(AppError):
    status = 403
    slug = "forbidden"
    title = "Forbidden"


class PreconditionFailed(AppError):
    status = 412
    slug = "precondition-failed"
    title = "Precondition failed"


class ContentTooLarge(AppError):
    status = 413
    slug = "content-too-large"
    title = "Content too large"


class UnsupportedMediaType(AppError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


class InvalidBody(AppError):
    status = 422
    slug = "invalid-body"
    title = "Invalid request body"

    def __init__(self, name: str, message: str, *more: tuple[str, str]) -> None:
        pairs = [(name, message), *more]
        super().__init__(
            "; ".join(f"{n}: {m}" for n, m in pairs),
            errors=[ProblemItem(name=n, location="body", message=m) for n, m in pairs],
        )


def invalid_body(exc: ValidationError) -> InvalidBody:
    """A pydantic error on a request body, every offending field named by its dotted path."""
    pairs = [
        (".".join(str(part) for part in e["loc"]) or "body", str(e["msg"]).removeprefix("Value error, "))
        for e in exc.errors()
    ]
    return InvalidBody(*pairs[0], *pairs[1:])


class MovedPermanently(AppError):
    status = 308
    slug = "moved"
    title = "Moved permanently"

    def __init__(self, detail: str, location: str) -> None:
        super().__init__(detail, headers={"Location": location})


_HTTP_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    413: "Content too large",
    415: "Unsupported media type",
}


def problem(
    request: Request,
    *,
    status: int,
    slug: str,
    title: str,
    detail: str,
    errors: Iterable[ProblemItem] = (),
    headers: dict[str, str] | None = None,
) -> ProblemResponse:
    body = Problem(
        type=f"/problems/{slug}",
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=list(errors),
    )
    return ProblemResponse(body.model_dump(), status_code=status, headers=headers)


def _items(errors: Sequence[Any]) -> list[ProblemItem]:
    items = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        location, path = (loc[0], loc[1:]) if loc else ("body", [])
        if location != "body":
            # A repeated query parameter reports its index; the client needs the parameter's name.
            path = path[:1]
        message = str(error.get("msg", "")).removeprefix("Value error, ")
        items.append(ProblemItem(name=".".join(path) or location, location=location, message=message))
    return items


async def _app_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, AppError)
    return problem(
        request,
        status=exc.status,
        slug=exc.slug,
        title=exc.title,
        detail=exc.detail,
        errors=exc.errors,
        headers=exc.headers,
    )


async def _validation_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    items = _items(jsonable_encoder(exc.errors()))
    detail = "; ".join(f"{item.name}: {item.message}" for item in items) or "Invalid request"
    return problem(
        request, status=422, slug="invalid-parameter", title="Invalid parameter", detail=detail, errors=items
    )


async def _http_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    title = _HTTP_TITLES.get(exc.status_code, "Error")
    detail = exc.detail if isinstance(exc.detail, str) else title
    slug = title.lower().replace(" ", "-")
    headers = dict(exc.headers) if exc.headers else {}
    if exc.status_code == 405:
        # Starlette names only the first route that matched the path; a path served by several routes
        # (GET and POST /v1/articles) must list every method it takes.
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return problem(request, status=exc.status_code, slug=slug, title=title, detail=detail, headers=headers or None)


_OPERATIONS = {"get", "put", "post", "delete", "patch", "options", "head"}


def _allowed_methods(request: Request) -> list[str]:
    """Every method the OpenAPI document lists for the request's path."""
    table = getattr(request.app.state, "allowed_methods", None)
    if table is None:
        table = [
            (compile_path(path)[0], {method.upper() for method in item if method in _OPERATIONS})
            for path, item in request.app.openapi()["paths"].items()
        ]
        request.app.state.allowed_methods = table
    methods: set[str] = set()
    for pattern, allowed in table:
        if pattern.match(request.url.path):
            methods |= allowed
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


# A lost connection, an unreachable server or an exhausted pool is the database's trouble, not a bug.
DATABASE_ERRORS = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError, OSError)


async def database_unavailable(request: Request, exc: Exception) -> ProblemResponse:
    log.warning("database unavailable: %s", exc)
    return problem(
        request,
        status=503,
        slug="service-unavailable",
        title="Service unavailable",
        detail="The database is unavailable; retry shortly.",
        headers={"Retry-After": "5"},
    )


async def _unexpected(request: Request, exc: Exception) -> ProblemResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(
        request,
        status=500,
        slug="internal-error",
        title="Internal server error",
        detail="An unexpected error occurred.",
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for error in DATABASE_ERRORS:
        app.add_exception_handler(error, database_unavailable)
    app.add_exception_handler(Exception, _unexpected)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI declarations of the problem responses a route can give."""
    descriptions = {
        308: "Merged into another entity: follow `Location`.",
        401: "No API key, or an unknown or revoked one.",
        403: "The API key lacks the scope this operation needs.",
        404: "No such resource.",
        409: "The story was killed, or the change conflicts with the current state.",
        412: "`If-Match` names a state that has changed since: fetch again and retry.",
        413: "The body is larger than the configured limit.",
        415: "The body's content type is not one this operation reads.",
        422: "A parameter is invalid or unknown; `errors` names it.",
        503: "The database is unavailable; retry after `Retry-After` seconds.",
    }
    return {status: {"model": Problem, "description": descriptions.get(status, "Error.")} for status in statuses}
