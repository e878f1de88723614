"""Query parameters shared by the list routes, parsed once into filter objects."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, TypeVar, get_origin

from fastapi import Depends, Header, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, BeforeValidator, Field, StringConstraints, ValidationError, WithJsonSchema

from app.db import DbSession, WriteSessionDep
from app.delivery import caller_of, etag_seq
from app.errors import PreconditionFailed
from app.models import ARTICLE_ID_PATTERN, SLUG_PATTERN, ArticleStatus, ChangeObject, QuoteKind
from app.pagination import DEFAULT_LIMIT, MAX_LIMIT, Sort
from app.pipeline.read import JSON, NINJS, TEXT
from app.services.catalogue import Memory
from app.services.changes import changed_since
from app.services.common import ArticleFilters, Match, View
from app.services.quotes import QuoteFilters
from app.services.search import Search, parse_query

# Ids are 32-bit on PostgreSQL: anything larger cannot exist and must not reach the driver.
MAX_ID = 2**31 - 1
EntityId = Annotated[int, Field(ge=1, le=MAX_ID)]
Slug = Annotated[str, StringConstraints(pattern=f"^{SLUG_PATTERN}$")]
Language = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,4}$")]
ArticleId = Annotated[str, StringConstraints(pattern=f"^{ARTICLE_ID_PATTERN}$")]

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_SCHEMA = WithJsonSchema(
    {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "format": "date"}]}
)


def _time_bound(next_day: bool) -> Any:
    def parse(value: object) -> datetime:
        if not isinstance(value, str):
            raise ValueError("expected an ISO 8601 date or date-time")
        try:
            if _DATE_ONLY.match(value):
                day = date.fromisoformat(value) + timedelta(days=1 if next_day else 0)
                return datetime.combine(day, time(), tzinfo=UTC)
            when = datetime.fromisoformat(value)
            if when.tzinfo is None:
                raise ValueError("a date-time needs a time zone, e.g. 2026-11-20T08:30:00+03:00 or ...Z")
            return when.astimezone(UTC)
        except OverflowError as exc:
            raise ValueError("date out of range") from exc
        except ValueError as exc:
            if "time zone" in str(exc):
                raise
            raise ValueError(f"expected an ISO 8601 date or date-time with time zone ({exc})") from exc

    return BeforeValidator(parse)


# A date (whole days, UTC) or a date-time with time zone. "From" bounds are
# inclusive; a date as a "to" bound includes that whole day.
TimeFrom = Annotated[datetime, _time_bound(next_day=False), _DATE_SCHEMA]
TimeTo = Annotated[datetime, _time_bound(next_day=True), _DATE_SCHEMA]


# --- Query strings read in one validation ----------------------------------------------------
#
# FastAPI resolves each declared query parameter on its own, with fresh introspection of its
# annotation on every request: for a list's sixteen parameters that was a fifth of the request's
# CPU. The lists' parameters are declared as pydantic models instead and read by `read_query` in
# one validation; `QueryModelRoute` documents them in OpenAPI, and `check_request` knows them.

QueryModel = TypeVar("QueryModel", bound=BaseModel)
Call = TypeVar("Call", bound=Callable[..., Any])

_QUERY_MODELS: dict[Callable[..., Any], type[BaseModel]] = {}
_LIST_FIELDS: dict[type[BaseModel], frozenset[str]] = {}


def reads_query(model: type[BaseModel]) -> Callable[[Call], Call]:
    """Mark a dependency as reading `model`'s fields from the query string (see `read_query`)."""

    def mark(dependency: Call) -> Call:
        _QUERY_MODELS[dependency] = model
        _LIST_FIELDS[model] = frozenset(
            name for name, field in model.model_fields.items() if get_origin(field.annotation) is list
        )
        return dependency

    return mark


def read_query(request: Request, model: type[QueryModel]) -> QueryModel:
    """The model's fields from the query string: a repeated parameter fills a list, or else the last
    one counts, as with FastAPI's own parameters; 422 naming the parameter if a value is refused."""
    lists = _LIST_FIELDS[model]
    values: dict[str, Any] = {}
    for name, value in request.query_params.multi_items():
        if name in lists:
            values.setdefault(name, []).append(value)
        else:
            values[name] = value
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False)
        raise RequestValidationError([{**error, "loc": ("query", *error["loc"])} for error in errors]) from None


def _query_models(dependant: Dependant) -> list[type[BaseModel]]:
    found = [model] if (model := _QUERY_MODELS.get(dependant.call)) is not None else []  # type: ignore[arg-type]
    for sub in dependant.dependencies:
        found += _query_models(sub)
    return found


def _declared_query_names(dependant: Dependant) -> set[str]:
    """Query parameters FastAPI itself reads for a route."""
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _declared_query_names(sub)
    return names


def _parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    parameters = []
    for name, field in model.model_fields.items():
        prop = {k: v for k, v in schema["properties"][name].items() if k not in ("description", "title")}
        parameter = {"name": name, "in": "query", "required": field.is_required(), "schema": prop}
        if field.description:
            parameter["description"] = field.description
        parameters.append(parameter)
    return parameters


def query_definitions() -> dict[str, Any]:
    """The schemas (enums) that query model parameters refer to, for the OpenAPI components."""
    definitions: dict[str, Any] = {}
    for model in _QUERY_MODELS.values():
        definitions.update(model.model_json_schema(ref_template="#/components/schemas/{model}").get("$defs", {}))
    return definitions


class QueryModelRoute(APIRoute):
    """A route whose query models (see `reads_query`) are documented in OpenAPI like FastAPI's own parameters."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        # A parameter the route declares itself (search's required `q`) is documented as declared.
        declared = _declared_query_names(self.dependant)
        parameters = [
            parameter
            for model in _query_models(self.dependant)
            for parameter in _parameters(model)
            if parameter["name"] not in declared
        ]
        if parameters:
            extra = dict(self.openapi_extra or {})
            extra["parameters"] = [*extra.get("parameters", []), *parameters]
            self.openapi_extra = extra


CursorQuery = Annotated[
    str | None, Field(max_length=512, description="Opaque cursor from `next_cursor` of the previous page.")
]
LimitQuery = Annotated[int, Field(ge=1, le=MAX_LIMIT, description=f"Page size, 1 to {MAX_LIMIT}.")]


class PageQuery(BaseModel):
    sort: Annotated[
        Sort,
        Field(description="`newest` first (default), `oldest` first, or `relevance` (with `q`; newest without one)."),
    ] = Sort.newest
    cursor: CursorQuery = None
    limit: LimitQuery = DEFAULT_LIMIT


class IdPageQuery(BaseModel):
    cursor: CursorQuery = None
    limit: LimitQuery = DEFAULT_LIMIT


@dataclass(frozen=True)
class PageParams:
    sort: Sort
    cursor: str | None
    limit: int


@reads_query(PageQuery)
async def page_params(request: Request) -> PageParams:
    page = read_query(request, PageQuery)
    return PageParams(sort=page.sort, cursor=page.cursor, limit=page.limit)


@reads_query(IdPageQuery)
async def id_page_params(request: Request) -> PageParams:
    page = read_query(request, IdPageQuery)
    return PageParams(sort=Sort.oldest, cursor=page.cursor, limit=page.limit)


SectionQuery = Annotated[
    list[Slug], Field(description="Section slug; repeat for several. A parent section includes its children.")
]
PublishedFrom = Annotated[TimeFrom | None, Field(description="Published at or after (date or date-time).")]
PublishedTo = Annotated[TimeTo | None, Field(description="Published before, or on that day for a date.")]
EntityMatchQuery = Annotated[
    Match, Field(description="With several `entity`: `any` (default) or `all` of them must be mentioned.")
]
LanguageQuery = Annotated[list[Language], Field(description="BCP 47 language; `ar` also matches `ar-EG`. Repeatable.")]


def _view(request: Request) -> View:
    caller = caller_of(request)
    return View(partner=caller.partner, sections=caller.sections)


async def view_of(request: Request) -> View:
    """The caller's view, as the gate identified the caller."""
    return _view(request)


ViewDep = Annotated[View, Depends(view_of)]

QueryText = Annotated[
    str | None,
    Field(
        min_length=1,
        max_length=500,
        description='Search: words (all must match), "exact phrase", OR, -exclude, prefix*. Arabic is matched '
        "with or without hamza, diacritics, taa marbuta or Arabic-Indic digits.",
        examples=["الموازنة الضرائب"],
    ),
]


def _search(request: Request, q: str | None) -> Search | None:
    """The query `q`, parsed for the database in use (422 naming `q` if it cannot be read)."""
    return parse_query(q, request.app.state.db.dialect) if q is not None else None


class ArticleQuery(BaseModel):
    q: QueryText = None
    section: SectionQuery = []
    published_from: PublishedFrom = None
    published_to: PublishedTo = None
    updated_from: Annotated[TimeFrom | None, Field(description="Updated at or after (date or date-time).")] = None
    updated_to: Annotated[TimeTo | None, Field(description="Updated before, or on that day for a date.")] = None
    entity: Annotated[
        list[EntityId],
        Field(description="Entity id mentioned by the article; repeat for several (see `entity_match`)."),
    ] = []
    entity_match: EntityMatchQuery = Match.any
    speaker: Annotated[
        list[EntityId], Field(description="Only articles that quote this entity; repeat for any of several.")
    ] = []
    language: LanguageQuery = []
    agency: Annotated[
        list[EntityId], Field(description="Only articles credited to this agency (entity id); repeatable.")
    ] = []
    status: Annotated[list[ArticleStatus], Field(description="Article status; repeatable. Default: usable only.")] = [
        ArticleStatus.usable
    ]


class QuoteQuery(BaseModel):
    q: QueryText = None
    speaker: Annotated[list[EntityId], Field(description="Speaker entity id; repeat for any of several.")] = []
    kind: Annotated[list[QuoteKind], Field(description="direct, indirect or mixed; repeatable.")] = []
    article: Annotated[list[ArticleId], Field(description="Article id; repeatable.")] = []
    section: SectionQuery = []
    published_from: PublishedFrom = None
    published_to: PublishedTo = None
    entity: Annotated[
        list[EntityId],
        Field(description="Entity id mentioned in the quote's article; repeatable (see `entity_match`)."),
    ] = []
    entity_match: EntityMatchQuery = Match.any
    language: LanguageQuery = []


@reads_query(ArticleQuery)
async def article_filters(request: Request) -> ArticleFilters:
    query = read_query(request, ArticleQuery)
    return ArticleFilters(
        sections=query.section,
        published_from=query.published_from,
        published_to=query.published_to,
        updated_from=query.updated_from,
        updated_to=query.updated_to,
        entities=query.entity,
        entity_match=query.entity_match,
        speakers=query.speaker,
        languages=query.language,
        agencies=query.agency,
        statuses=query.status,
        view=_view(request),
        search=_search(request, query.q),
    )


@reads_query(QuoteQuery)
async def quote_filters(request: Request) -> QuoteFilters:
    query = read_query(request, QuoteQuery)
    return QuoteFilters(
        article=ArticleFilters(
            sections=query.section,
            published_from=query.published_from,
            published_to=query.published_to,
            entities=query.entity,
            entity_match=query.entity_match,
            languages=query.language,
            view=_view(request),
        ),
        speakers=query.speaker,
        kinds=query.kind,
        article_ids=query.article,
        search=_search(request, query.q),
    )


PageDep = Annotated[PageParams, Depends(page_params)]
IdPageDep = Annotated[PageParams, Depends(id_page_params)]
ArticleFiltersDep = Annotated[ArticleFilters, Depends(article_filters)]
QuoteFiltersDep = Annotated[QuoteFilters, Depends(quote_filters)]

_allowed: dict[int, frozenset[str]] = {}


def _query_names(dependant: Dependant) -> set[str]:
    """Every query parameter a route reads: FastAPI's own and its query models' fields."""
    return _declared_query_names(dependant).union(*(model.model_fields for model in _query_models(dependant)))


def _allowed_query_names(route: APIRoute) -> frozenset[str]:
    names = _allowed.get(id(route))
    if names is None:
        names = _allowed[id(route)] = frozenset(_query_names(route.dependant))
    return names


async def check_request(request: Request) -> None:
    """Reject unknown query parameters and NUL characters before anything reads them.

    A misspelt filter must not silently widen a list to everything, and NUL
    cannot be stored or compared by PostgreSQL.
    """
    errors: list[dict[str, Any]] = []
    route = request.scope.get("route")
    allowed = _allowed_query_names(route) if isinstance(route, APIRoute) else None
    for name, value in request.query_params.multi_items():
        if allowed is not None and name not in allowed:
            hint = f"; expected one of: {', '.join(sorted(allowed))}" if allowed else "; this operation takes none"
            errors.append({"type": "extra_forbidden", "loc": ("query", name), "msg": f"Unknown query parameter{hint}"})
        elif "\x00" in value or "\x00" in name:
            errors.append({"type": "string_nul", "loc": ("query", name), "msg": "must not contain NUL characters"})
    for name, value in request.path_params.items():
        if isinstance(value, str) and "\x00" in value:
            errors.append({"type": "string_nul", "loc": ("path", name), "msg": "must not contain NUL characters"})
    if errors:
        raise RequestValidationError(errors)


# Bodies read by hand, in any of three formats, are declared in OpenAPI here.
STORY_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A story in our JSON format, as IPTC ninjs 2.x, or as the text of a news page.",
        "content": {
            JSON: {"schema": {"$ref": "#/components/schemas/ArticleCreate"}},
            NINJS: {"schema": {"type": "object", "description": "An IPTC ninjs 2.x document."}},
            TEXT: {"schema": {"type": "string", "description": "An article page as copied from a news site."}},
        },
    }
}


GuidQuery = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=255,
        description="Wire guid for a text page (else one is derived from its headline and date), or for a JSON "
        "or ninjs body that lacks one.",
    ),
]


IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="The ETag from your last GET: the write is refused with 412 if the object changed since.",
    ),
]


async def require_unchanged(session: DbSession, if_match: str | None, object: ChangeObject, *object_ids: str) -> None:
    """412 unless the objects are unchanged since the state the client's ETag names (RFC 9110 If-Match)."""
    if if_match is None or if_match.strip() == "*":
        return
    seqs = [seq for tag in if_match.split(",") if (seq := etag_seq(tag)) is not None]
    if not seqs or await changed_since(session, object, object_ids, max(seqs)):
        raise PreconditionFailed("The object changed since the ETag you sent; fetch it again and retry.")


async def catalogue_memory(request: Request, session: WriteSessionDep) -> Memory:
    """The process's entity catalogue in memory, current with this request's write transaction: a story
    then finds its entities by dictionary lookups, not by a statement over the whole catalogue. It is read
    whole by the first write that needs it, so a process that only reads never holds it."""
    memory: Memory = request.app.state.catalogue
    await memory.refresh(session)
    return memory


CatalogueDep = Annotated[Memory, Depends(catalogue_memory)]
