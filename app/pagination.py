"""Opaque keyset cursors and the generic page type."""

import base64
import binascii
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

import orjson
import sqlalchemy as sa
from pydantic import BaseModel, Field
from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import Response

from app.errors import InvalidParameter

T = TypeVar("T")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
_CURSOR_VERSION = 1


class Sort(StrEnum):
    newest = "newest"
    oldest = "oldest"
    relevance = "relevance"  # with a search query only


# One page of a list; follow `next_cursor` (or the Link header) for the next.
class Page(BaseModel, Generic[T]):
    items: list[T] = Field(description="The items on this page.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page.",
        examples=["eyJ2IjoxLCJzIjoibmV3ZXN0IiwiayI6WyIyMDI2LTExLTIwVDA1OjMwOjAwKzAwOjAwIiwxMl19"],
    )


def encode_cursor(order: str, key: Sequence[Any]) -> str:
    payload = orjson.dumps({"v": _CURSOR_VERSION, "o": order, "k": list(key)}, default=_iso)
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError


def _malformed() -> InvalidParameter:
    return InvalidParameter("cursor", "malformed cursor; pass back `next_cursor` unchanged")


def decode_cursor(cursor: str, order: str, size: int) -> list[Any]:
    """The key the cursor points past; 422 naming `cursor` if it is not one of ours."""
    try:
        data = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error) as exc:
        raise _malformed() from exc
    if not isinstance(data, dict) or data.get("v") != _CURSOR_VERSION:
        raise _malformed()
    key = data.get("k")
    if not isinstance(key, list) or len(key) != size:
        raise _malformed()
    if data.get("o") != order:
        raise InvalidParameter("cursor", f"this cursor was made for another sort order ({data.get('o')})")
    return key


def cursor_id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        raise _malformed()
    return value


def cursor_time(value: Any) -> datetime:
    try:
        when = datetime.fromisoformat(value)
        # Out-of-range offsets near year 1 or 9999 only show on conversion.
        when.astimezone(UTC)
    except (TypeError, ValueError, OverflowError) as exc:
        raise _malformed() from exc
    if when.tzinfo is None:
        raise _malformed()
    return when


def cursor_score(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise _malformed()
    return float(value)


def keyset_params(sort: Sort, cursor: str | None, limit: int) -> dict[str, Any]:
    """The parameters of a `keyset` statement: where the cursor points and how many rows to fetch.

    422 naming `cursor` if the cursor is not one of ours or was made for another sort order.
    """
    params: dict[str, Any] = {"limit": limit + 1}
    if cursor is not None:
        raw_key, raw_id = decode_cursor(cursor, sort.value, 2)
        params["after_key"] = cursor_score(raw_key) if sort is Sort.relevance else cursor_time(raw_key)
        params["after_id"] = cursor_id(raw_id)
    return params


def keyset(
    stmt: sa.Select[Any], key: sa.ColumnElement[Any], id_col: sa.ColumnElement[Any], *, sort: Sort, after: bool
) -> sa.Select[Any]:
    """Order by (key, id), start after the cursor's key (`after`) and fetch one row more than a page,
    to know if more follow; the values come from `keyset_params`.

    The key is a time for newest/oldest and a relevance score (higher is better) for relevance.
    """
    if after:
        bound = sa.tuple_(sa.bindparam("after_key", type_=key.type), sa.bindparam("after_id", type_=id_col.type))
        stmt = stmt.where(sa.tuple_(key, id_col) > bound if sort is Sort.oldest else sa.tuple_(key, id_col) < bound)
    # The page size is written into the statement. asyncpg prepares every statement, and from its
    # sixth run PostgreSQL may reuse a generic plan, made without the parameters' values, if that
    # plan is estimated no worse. With `LIMIT $1` such a plan cannot know that a page is small: it
    # sorts every match rather than walking an index and stopping, so PostgreSQL kept planning every
    # list afresh (0.5 ms of its CPU each). The few page sizes asked for make few statements.
    size = sa.bindparam("limit", type_=sa.Integer, literal_execute=True)
    return stmt.order_by(*page_order(key, id_col, sort)).limit(size)


def page_order(key: sa.ColumnElement[Any], id_col: sa.ColumnElement[Any], sort: Sort) -> tuple[Any, Any]:
    """The ORDER BY of a page's rows once chosen by `keyset` and joined to what dresses them."""
    return (key.desc(), id_col.desc()) if sort is not Sort.oldest else (key.asc(), id_col.asc())


def next_link(url: URL, cursor: str | None) -> dict[str, str]:
    """The `Link: rel=next` header for a page, if there is a next one."""
    if cursor is None:
        return {}
    return {"Link": f'<{url.include_query_params(cursor=cursor)}>; rel="next"'}


def json_page(request: Request, items: Sequence[str], cursor: str | None) -> Response:
    """A `Page` of items the database wrote as our JSON (see `articles.list_json`), put side by side
    rather than parsed and written again; with its `Link: rel=next` header."""
    body = '{"items":[' + ",".join(items) + '],"next_cursor":' + orjson.dumps(cursor).decode() + "}"
    return Response(body.encode(), media_type="application/json", headers=next_link(request.url, cursor))
