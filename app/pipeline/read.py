"""A request body, in any of the formats we take, read into one `ArticleCreate`."""

from datetime import tzinfo

import orjson
from pydantic import ValidationError

from app.errors import InvalidBody, UnsupportedMediaType, invalid_body
from app.models import ArticleCreate
from app.pipeline.formats import FormatError, parse_ninjs, parse_text_page

JSON = "application/json"
NINJS = "application/ninjs+json"
TEXT = "text/plain"
MEDIA_TYPES = (JSON, NINJS, TEXT)


def media_type(content_type: str | None) -> str:
    """The bare media type of a Content-Type header; 415 for one we do not read."""
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if kind not in MEDIA_TYPES:
        shown = kind or "none"
        raise UnsupportedMediaType(f"Content-Type {shown} is not accepted; send one of: {', '.join(MEDIA_TYPES)}.")
    return kind


def _text(body: bytes) -> str:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidBody("body", f"not valid UTF-8 (byte {exc.start})") from exc
    if "\x00" in text:
        raise InvalidBody("body", "must not contain NUL characters")
    return text


def read_story(body: bytes, content_type: str | None, *, guid: str | None, timezone: tzinfo) -> ArticleCreate:
    """Parse and validate a story; 415 for an unknown type, 422 naming the field for bad content."""
    kind = media_type(content_type)
    text = _text(body)
    try:
        if kind == TEXT:
            return parse_text_page(text, guid=guid, timezone=timezone)
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise InvalidBody("body", f"invalid JSON: {exc}") from exc
        if kind == NINJS:
            return parse_ninjs(data, guid=guid)
        if guid is not None and isinstance(data, dict):
            data.setdefault("guid", guid)
        return ArticleCreate.model_validate(data)
    except FormatError as exc:
        raise InvalidBody(exc.field or "body", exc.message) from exc
    except ValidationError as exc:
        raise invalid_body(exc) from exc
