"""One resource, several representations: our JSON, ninjs, JSON Feed, Atom and JSON-LD.

The format comes from `?format=` or, failing that, from the Accept header;
`fields=` trims our JSON to the fields a client shows.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

import orjson
from fastapi import Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from app.errors import InvalidParameter
from app.feeds import ATOM_TYPE, JSON_FEED_TYPE, JSON_LD_TYPE, NINJS_TYPE, to_atom, to_json_feed, to_json_ld, to_ninjs
from app.models import ArticleExpanded, ArticlePublic, ArticleSummary
from app.pagination import next_link


class Format(StrEnum):
    json = "json"
    ninjs = "ninjs"
    jsonld = "jsonld"
    jsonfeed = "jsonfeed"
    atom = "atom"


_BY_MEDIA_TYPE = {
    NINJS_TYPE: Format.ninjs,
    JSON_LD_TYPE: Format.jsonld,
    JSON_FEED_TYPE: Format.jsonfeed,
    ATOM_TYPE: Format.atom,
}


class ItemFormat(StrEnum):
    json = "json"
    ninjs = "ninjs"
    jsonld = "jsonld"


class ListFormat(StrEnum):
    json = "json"
    ninjs = "ninjs"
    jsonfeed = "jsonfeed"
    atom = "atom"


ItemFormatQuery = Annotated[
    ItemFormat | None, Query(description="json (default), ninjs or jsonld (schema.org); or send Accept.")
]
ListFormatQuery = Annotated[
    ListFormat | None, Query(description="json (default), ninjs, jsonfeed or atom; or send Accept.")
]


def _comma_list(names: Sequence[str]) -> str:
    """A pattern for a comma-separated list of these names, so that OpenAPI states exactly what is valid."""
    one = "|".join(names)
    return f"^({one})(,({one}))*$"


def _fields_query(model: type[BaseModel]) -> Any:
    return Query(
        max_length=500,
        pattern=_comma_list(list(model.model_fields)),
        description="Comma-separated fields to return (our JSON only), e.g. id,headline,published_at.",
    )


ItemFieldsQuery = Annotated[str | None, _fields_query(ArticlePublic)]
ListFieldsQuery = Annotated[str | None, _fields_query(ArticleExpanded)]
ExpandQuery = Annotated[
    str | None,
    Query(
        max_length=100,
        pattern=_comma_list(["quotes", "entities"]),
        description="Comma-separated: quotes, entities — embedded in each list item.",
    ),
]

ITEM_FORMATS = tuple(Format(f.value) for f in ItemFormat)
LIST_FORMATS = tuple(Format(f.value) for f in ListFormat)
_EXPANDABLE = frozenset({"quotes", "entities"})


def _responses(*formats: Format) -> dict[int | str, dict[str, Any]]:
    kinds = {
        Format.ninjs: (NINJS_TYPE, {"type": "object", "description": "IPTC ninjs 2.x"}),
        Format.jsonld: (JSON_LD_TYPE, {"type": "object", "description": "schema.org NewsArticle"}),
        Format.jsonfeed: (JSON_FEED_TYPE, {"type": "object", "description": "JSON Feed 1.1"}),
        Format.atom: (ATOM_TYPE, {"type": "string", "description": "Atom 1.0 with RFC 6721 tombstones"}),
    }
    return {200: {"content": {kinds[f][0]: {"schema": kinds[f][1]} for f in formats if f in kinds}}}


ITEM_RESPONSES = _responses(*ITEM_FORMATS)
LIST_RESPONSES = _responses(*LIST_FORMATS)
FEED_RESPONSES = _responses(Format.jsonfeed, Format.atom)


def negotiate(request: Request, asked: StrEnum | None, allowed: Sequence[Format]) -> Format:
    """`?format=` wins; otherwise the first Accept type we serve; otherwise our JSON."""
    if asked is not None:
        return Format(asked.value)
    for part in request.headers.get("accept", "").split(","):
        wanted = _BY_MEDIA_TYPE.get(part.split(";", 1)[0].strip().lower())
        if wanted is not None and wanted in allowed:
            return wanted
    return Format.json


def field_set(fields: str | None, model: type[BaseModel]) -> list[str] | None:
    if fields is None:
        return None
    names = [name.strip() for name in fields.split(",") if name.strip()]
    unknown = [name for name in names if name not in model.model_fields]
    if unknown or not names:
        raise InvalidParameter(
            "fields", f"unknown field(s) {', '.join(unknown) or '(none)'}; known: {', '.join(model.model_fields)}"
        )
    return names


def expand_set(expand: str | None) -> frozenset[str]:
    names = frozenset(name.strip() for name in (expand or "").split(",") if name.strip())
    if unknown := names - _EXPANDABLE:
        raise InvalidParameter("expand", f"can expand quotes and entities, not {', '.join(sorted(unknown))}")
    return names


def base_url(request: Request) -> str:
    configured: str = request.app.state.settings.public_url
    return configured.rstrip("/") or str(request.base_url).rstrip("/")


def _json(body: Any, media_type: str, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), media_type=media_type, headers=headers)


def _trim(item: BaseModel, fields: list[str] | None) -> dict[str, Any]:
    data = item.model_dump(mode="json")
    if isinstance(item, ArticleExpanded):
        # Only what was asked to be expanded.
        data = {k: v for k, v in data.items() if k not in ("quotes", "entities") or v is not None}
    return {k: data[k] for k in fields if k in data} if fields else data


def render_article(request: Request, article: ArticlePublic, fmt: Format, fields: list[str] | None) -> Response:
    """One article in any format; our whole JSON is best served as the database wrote it (`articles.article_json`)."""
    if fmt is Format.ninjs:
        return _json(to_ninjs(article, base_url=base_url(request)), NINJS_TYPE)
    if fmt is Format.jsonld:
        return _json(to_json_ld(article, base_url=base_url(request)), JSON_LD_TYPE)
    return _json(_trim(article, fields), "application/json")


def render_list(
    request: Request,
    items: list[ArticleSummary],
    cursor: str | None,
    fmt: Format,
    fields: list[str] | None,
    *,
    title: str = "Wire Quotes",
) -> Response:
    """A page of articles in any format; plain JSON is best made by `json_page`."""
    link = next_link(request.url, cursor)
    next_url = str(request.url.include_query_params(cursor=cursor)) if cursor else None
    root = base_url(request)
    if fmt is Format.ninjs:
        body = {"items": [to_ninjs(item, base_url=root) for item in items], "next_cursor": cursor}
        return _json(body, NINJS_TYPE, link)
    if fmt is Format.jsonfeed:
        feed = to_json_feed(
            title=title, home_url=root, feed_url=str(request.url), items=items, base_url=root, next_url=next_url
        )
        return _json(feed, JSON_FEED_TYPE, link)
    if fmt is Format.atom:
        # An empty feed was never updated: now() would change its bytes under an unchanged ETag.
        updated = max((item.updated_at for item in items), default=datetime(1970, 1, 1, tzinfo=UTC))
        xml = to_atom(
            title=title,
            feed_id=f"{root}{request.url.path}",
            self_url=str(request.url),
            alternate_url=None,
            updated=updated,
            items=items,
            base_url=root,
            next_url=next_url,
        )
        return Response(xml, media_type=ATOM_TYPE, headers=link)
    return _json({"items": [_trim(item, fields) for item in items], "next_cursor": cursor}, "application/json", link)
