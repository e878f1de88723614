"""Readers for the story formats partners send: IPTC ninjs and copied web pages.

Both return a validated `ArticleCreate` or raise `FormatError` naming the
offending field in the input's own terms (a dotted path into the ninjs
document; "headline", "body", "published_at" … for a page), so the sender is
told exactly what to fix. Both are pure: no I/O, and the same input always
gives the same story.
"""

import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from html.parser import HTMLParser
from typing import Final, cast

from pydantic import ValidationError

from app.models import ArticleCreate, ArticleStatus, EntityKind, MentionRole
from app.pipeline.normalize import normalize

__all__ = ["FormatError", "parse_ninjs", "parse_text_page"]


class FormatError(ValueError):
    """Input that cannot be read as a story; `field` is a dotted path into the input ("" for the whole of it)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


# --- Shared ------------------------------------------------------------------

# Lone surrogates survive JSON decoding and would only fail later, at the
# database or the encoder, far from the field that carried them.
_BAD_CHARS: Final = re.compile("[\x00\ud800-\udfff]")
_SPACES: Final = re.compile(r"\s+")


def _clean(value: str, path: str) -> str:
    if _BAD_CHARS.search(value):
        raise FormatError(path, "contains a NUL character or invalid Unicode")
    return value


def _squash(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _join(base: str, key: str | int) -> str:
    return f"{base}.{key}" if base else str(key)


def _build(fields: dict[str, object], origin: Mapping[str, str]) -> ArticleCreate:
    """Validate, reporting the first error at the input path the value came from."""
    try:
        return ArticleCreate.model_validate(fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = [str(part) for part in error["loc"]]
        path = ".".join(loc)
        for n in range(len(loc), 0, -1):
            prefix = ".".join(loc[:n])
            if prefix in origin:
                path = origin[prefix]
                break
        raise FormatError(path, error["msg"]) from None


def _language(text: str) -> str:
    arabic = sum(1 for c in text if "\u0600" <= c <= "\u06ff" or "\u0750" <= c <= "\u077f")
    latin = sum(1 for c in text if c.isascii() and c.isalpha())
    return "ar" if arabic > latin else "en"


def _folded_set(*phrases: str) -> frozenset[str]:
    return frozenset(normalize(p) for p in phrases)


# --- Bylines (both formats) ---------------------------------------------------

# Credits that name no agency in particular.
_GENERIC_CREDITS: Final = _folded_set(
    "وكالات", "وكالات الأنباء", "وكالات أنباء", "مواقع", "agencies", "wires", "news agencies", "wire services",
    "staff", "staff writer", "staff reporter", "محرر الموقع",
)  # fmt: skip
_DESK_WORDS: Final = _folded_set("قسم", "القسم", "desk", "newsroom", "دسك", "فريق", "team")
_AGENCY_WORDS: Final = _folded_set(
    "وكالة", "وكاله", "للأنباء", "أنباء", "الأنباء", "برس", "نيوز", "agency", "news", "press", "wire", "newswire",
    "presse", "service",
)  # fmt: skip
_LABEL: Final = re.compile(
    r"^\s*(?P<label>written\s+by|translated\s+by|reporting\s+by|editing\s+by|by|source|sources|via|with"
    r"|بقلم|كتبت|كتب|كتبه|ترجمة|ترجمه|إعداد|اعداد|تحرير|المصدر|المصادر|نقلاً\s+عن|نقلا\s+عن|عن)(?!\w)\s*[:：]?\s*",
    re.IGNORECASE,
)
_TRANSLATION_LABELS: Final = _folded_set("translated by", "ترجمة")
_SOURCE_LABELS: Final = _folded_set("source", "sources", "via", "المصدر", "المصادر", "نقلا عن")
# A hyphen splits a byline only when it is not inside a word (Al-Zayat).
_BYLINE_SPLIT: Final = re.compile(r"\s*[|،,;؛()]\s*|\s+[-–—]\s*|(?<=\S)[-–—]\s+|\s+and\s+|\s+و(?=وكال)")


@dataclass
class _Byline:
    desk: str | None = None
    agencies: list[str] = field(default_factory=list)
    translator: str | None = None


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", normalize(text))


def _has_word(text: str, words: frozenset[str]) -> bool:
    folded = normalize(text)
    tokens = re.findall(r"\w+", folded)
    # Clitics: «للأنباء» and «ووكالة» carry the word after a prefix letter.
    return any(t in words or t[1:] in words or t[2:] in words for t in tokens) or folded in words


def _parse_byline(text: str) -> _Byline:
    out = _Byline()
    for raw in _BYLINE_SPLIT.split(text):
        part = raw.strip(" :-–—.")
        label_kind = ""
        if m := _LABEL.match(part):
            label_kind = normalize(_squash(m["label"]))
            part = part[m.end() :].strip(" :-–—.")
        if not part or normalize(part) in _GENERIC_CREDITS:
            continue
        if label_kind in _TRANSLATION_LABELS and out.translator is None:
            out.translator = part
        if _has_word(part, _DESK_WORDS):
            out.desk = out.desk or part
        elif (_has_word(part, _AGENCY_WORDS) or label_kind in _SOURCE_LABELS) and part not in out.agencies:
            out.agencies.append(part)
    return out


# --- ninjs --------------------------------------------------------------------

_STATUSES: Final = {s.value: s for s in ArticleStatus}
_QID: Final = re.compile(r"(?:wikidata\.org/(?:entity|wiki)/|^(?:wd|wikidata):)(Q[1-9][0-9]*)$")
_TRANSLATION_RELS: Final = frozenset(
    {"original", "translationof", "istranslationof", "translatedfrom", "source", "sourceoriginal"}
)
_ID_ROLE_WORDS: Final = ("agency", "original", "source", "wire", "provider", "supplier")
_PICTURE_TYPES: Final = frozenset({"picture", "image", "graphic", "photo"})
_RENDITION_PREFERENCE: Final = ("original", "highres", "large", "baseimage", "viewimage")
_SECTION_RELS: Final = ("section", "category", "desk", "department")
# Top-level IPTC subject / media topic codes name what a newsroom calls a section.
_TOP_TOPICS: Final = {
    "01": "arts, culture and entertainment", "02": "crime, law and justice", "03": "disaster and accident",
    "04": "economy, business and finance", "05": "education", "06": "environment", "07": "health",
    "08": "human interest", "09": "labour", "10": "lifestyle and leisure", "11": "politics",
    "12": "religion", "13": "science and technology", "14": "society", "15": "sport",
    "16": "conflict, war and peace", "17": "weather",
}  # fmt: skip
_TOP_TOPIC: Final = re.compile(r"(?:^|[:/])(0[1-9]|1[0-7])000000$")
_SECTION_NAMES: Final = _folded_set(
    "politics", "world", "international", "local", "national", "economy", "business", "finance", "markets",
    "sport", "sports", "culture", "arts", "entertainment", "technology", "science", "health", "opinion",
    "environment", "society", "education", "lifestyle", "middle east", "general",
    "سياسة", "اقتصاد", "أعمال", "رياضة", "ثقافة", "فنون", "فن", "منوعات", "تكنولوجيا", "علوم", "صحة", "رأي",
    "محليات", "عربي ودولي", "دولي", "عربي", "العالم", "عالم", "مجتمع", "بيئة", "تعليم", "حوادث",
)  # fmt: skip


def _obj(value: object, path: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise FormatError(path, "expected an object")
    return cast(Mapping[str, object], value)


def _opt_str(obj: Mapping[str, object], key: str, path: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise FormatError(_join(path, key), "expected a string")
    return _clean(value, _join(path, key))


def _list(obj: Mapping[str, object], key: str, path: str) -> list[object]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise FormatError(_join(path, key), "expected a list")
    return value


def _items(obj: Mapping[str, object], key: str, path: str) -> Iterator[tuple[str, Mapping[str, object]]]:
    """The objects of a list field, or of a 1.x-style dict keyed by name, with their paths."""
    value = obj.get(key)
    where = _join(path, key)
    if value is None:
        return
    if isinstance(value, Mapping):
        for name, item in cast(Mapping[str, object], value).items():
            yield _join(where, name), _obj(item, _join(where, name))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield _join(where, i), _obj(item, _join(where, i))
    else:
        raise FormatError(where, "expected a list")


def _role(item: Mapping[str, object], path: str) -> str:
    """The role, rel or type of an item, folded for comparison ("Translation-Of" == "translationof")."""
    for key in ("role", "rel", "type"):
        if (value := _opt_str(item, key, path)) is not None:
            return re.sub(r"[^a-z0-9]", "", value.casefold())
    return ""


def _iso(value: str, path: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise FormatError(path, "not an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        # Guessing a zone would silently shift the story by hours.
        raise FormatError(path, "needs a time zone offset")
    return moment


class _HTMLParagraphs(HTMLParser):
    """Body paragraphs from HTML: block elements split, script and figure text dropped."""

    _BLOCKS: Final = frozenset(
        {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "blockquote", "pre", "section", "article",
         "header", "footer", "main", "aside", "table", "tr", "td", "th", "dl", "dt", "dd", "hr"}
    )  # fmt: skip
    # Their text is code, chrome or a caption, never the story.
    _SKIP: Final = frozenset(
        {"script", "style", "template", "noscript", "iframe", "object", "svg", "math", "head", "title", "figure",
         "figcaption", "button", "form", "select", "textarea"}
    )  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self.saw_tag = False
        self._buffer: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.saw_tag = True
        if tag in self._SKIP:
            self._skip += 1
        elif tag == "br":
            self._buffer.append("\n")
        elif tag in self._BLOCKS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        self.saw_tag = True
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self._skip:
            # Source line breaks are just spaces in HTML; only <br> breaks lines.
            self._buffer.append(data.replace("\n", " "))

    def close(self) -> None:
        super().close()
        self._flush()

    def _flush(self) -> None:
        text = "".join(self._buffer)
        self._buffer.clear()
        # Two <br> in a row are how some editors separate paragraphs.
        self.paragraphs.extend(p for p in (_squash(c) for c in re.split(r"\n\s*\n", text)) if p)


def _plain_paragraphs(text: str) -> list[str]:
    return [p for p in (_squash(c) for c in re.split(r"\n\s*\n", text.replace("\r\n", "\n"))) if p]


def _html_paragraphs(text: str) -> list[str]:
    parser = _HTMLParagraphs()
    parser.feed(text)
    parser.close()
    return parser.paragraphs if parser.saw_tag else _plain_paragraphs(text)


def _html_text(text: str) -> str:
    return " ".join(_html_paragraphs(text))


def _text_value(item: Mapping[str, object], path: str) -> str | None:
    """The `value` of a headline or description, as plain text."""
    value = _opt_str(item, "value", path)
    if value is None:
        return None
    kind = (_opt_str(item, "contenttype", path) or "").casefold()
    return _html_text(value) if "html" in kind else _squash(value)


def _pick(
    obj: Mapping[str, object], key: str, path: str, roles: Sequence[str], *, fallback_any: bool
) -> tuple[str, str] | None:
    """(text, path) of the first item whose role is in `roles`, else of an unroled (or any) one."""
    chosen: tuple[str, str] | None = None
    for where, item in _items(obj, key, path):
        text = _text_value(item, where)
        if not text:
            continue
        role = _role(item, where)
        if role in roles:
            return text, _join(where, "value")
        if chosen is None and (fallback_any or not role):
            chosen = text, _join(where, "value")
    return chosen


def _body(doc: Mapping[str, object]) -> tuple[list[str], str]:
    plain: tuple[str, str] | None = None
    html: tuple[str, str] | None = None
    found_any = False
    for where, item in _items(doc, "bodies", ""):
        found_any = True
        value = _opt_str(item, "value", where)
        if value is None:
            continue
        kind = (_opt_str(item, "contenttype", where) or "text/plain").split(";")[0].strip().casefold()
        if kind == "text/plain" and plain is None:
            plain = value, _join(where, "value")
        elif kind in ("text/html", "application/xhtml+xml") and html is None:
            html = value, _join(where, "value")
    if plain is None and (value := _opt_str(doc, "body_text", "")) is not None:
        plain = value, "body_text"
    if html is None and (value := _opt_str(doc, "body_html", "")) is not None:
        html = value, "body_html"
    if plain is not None and (paragraphs := _plain_paragraphs(plain[0])):
        return paragraphs, plain[1]
    if html is not None and (paragraphs := _html_paragraphs(html[0])):
        return paragraphs, html[1]
    if plain is not None or html is not None:
        raise FormatError((plain or html or ("", "bodies"))[1], "no body paragraphs found")
    if found_any:
        raise FormatError("bodies", "no text/plain or text/html body")
    raise FormatError("bodies", "missing; a story needs a body")


def _section(doc: Mapping[str, object]) -> tuple[str, str]:
    for key in ("subjects", "subject"):
        for where, item in _items(doc, key, ""):
            name = _opt_str(item, "name", where)
            code = " ".join(filter(None, (_opt_str(item, k, where) for k in ("code", "qcode", "uri")))).strip()
            role = _role(item, where)
            topic = _TOP_TOPIC.search(code.split()[0]) if code else None
            if name and (any(r in role for r in _SECTION_RELS) or normalize(name) in _SECTION_NAMES or topic):
                return _squash(name), _join(where, "name")
            if topic:
                return _TOP_TOPICS[topic[1]], where
    return "general", "subjects"


def _entities(doc: Mapping[str, object], origin: dict[str, str]) -> list[dict[str, object]]:
    tags: list[dict[str, object]] = []
    seen: set[tuple[str, str]] = set()
    groups = (
        (("people", "person"), EntityKind.person, MentionRole.subject),
        (("organisations", "organizations", "organisation"), EntityKind.organization, MentionRole.subject),
        (("places", "place"), EntityKind.place, MentionRole.place),
    )
    for keys, kind, role in groups:
        for key in keys:
            for where, item in _items(doc, key, ""):
                name = _opt_str(item, "name", where) or _opt_str(item, "literal", where)
                if not name or not name.strip():
                    continue  # ninjs allows a bare uri; we have nothing to show for it
                uri = _opt_str(item, "uri", where) or ""
                qid = _QID.search(uri.strip())
                if (normalize(name), kind) in seen:
                    continue
                seen.add((normalize(name), kind))
                origin[f"entities.{len(tags)}"] = _join(where, "name")
                tags.append({"name": _squash(name), "kind": kind, "role": role, "wikidata_qid": qid and qid[1]})
    return tags


def _rendition_url(item: Mapping[str, object], path: str) -> tuple[str | None, str]:
    best: tuple[int, int, str, str] | None = None
    for where, rendition in _items(item, "renditions", path):
        href = _opt_str(rendition, "href", where) or _opt_str(rendition, "uri", where)
        if not href:
            continue
        name = re.sub(r"[^a-z]", "", (_opt_str(rendition, "name", where) or where.rsplit(".", 1)[-1]).casefold())
        rank = _RENDITION_PREFERENCE.index(name) if name in _RENDITION_PREFERENCE else len(_RENDITION_PREFERENCE)
        width = rendition.get("width")
        size = width if isinstance(width, int) else 0
        if best is None or (rank, -size) < (best[0], best[1]):
            best = rank, -size, href.strip(), _join(where, "href")
    if best is not None:
        return best[2], best[3]
    uri = _opt_str(item, "uri", path)
    if uri and uri.startswith(("http://", "https://")):
        return uri.strip(), _join(path, "uri")
    return None, path


def _headline_of(item: Mapping[str, object], path: str) -> tuple[str, str] | None:
    if found := _pick(item, "headlines", path, ("main",), fallback_any=True):
        return found
    value = _opt_str(item, "headline", path)
    return (_squash(value), _join(path, "headline")) if value and value.strip() else None


def _image(item: Mapping[str, object], path: str, origin: dict[str, str], n: int) -> dict[str, object]:
    url, url_path = _rendition_url(item, path)
    caption = _pick(item, "descriptions", path, ("caption", "summary", "description"), fallback_any=True)
    if caption is None and (text := _opt_str(item, "description_text", path)):
        caption = _squash(text), _join(path, "description_text")
    caption = caption or _headline_of(item, path)
    credit_key = "copyrightholder" if _opt_str(item, "copyrightholder", path) else "by"
    credit = _opt_str(item, credit_key, path)
    origin[f"images.{n}"] = path
    origin[f"images.{n}.url"] = url_path
    if caption:
        origin[f"images.{n}.caption"] = caption[1]
    origin[f"images.{n}.credit"] = _join(path, credit_key)
    return {"url": url, "caption": caption and caption[0], "credit": (credit and _squash(credit)) or None}


def _altids(item: Mapping[str, object], path: str) -> Iterator[tuple[str, str, str]]:
    """(folded role, value, path) of every altid, in 2.x list or 1.x dict form."""
    value = item.get("altids")
    where = _join(path, "altids")
    if value is None:
        return
    if isinstance(value, Mapping):
        for role, alt in cast(Mapping[str, object], value).items():
            if not isinstance(alt, str):
                raise FormatError(_join(where, role), "expected a string")
            yield re.sub(r"[^a-z0-9]", "", role.casefold()), _clean(alt, _join(where, role)), _join(where, role)
    elif isinstance(value, list):
        for i, entry in enumerate(value):
            at = _join(where, i)
            obj = _obj(entry, at)
            alt = _opt_str(obj, "value", at)
            if alt:
                yield _role(obj, at), alt, _join(at, "value")
    else:
        raise FormatError(where, "expected a list")


def _is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def _provenance(
    doc: Mapping[str, object], agencies: Sequence[str], translator: str | None, origin: dict[str, str]
) -> dict[str, object]:
    prov: dict[str, object] = {}

    def put(key: str, value: str | None, path: str) -> None:
        if value and key not in prov:
            prov[key] = value.strip()
            origin[f"provenance.{key}"] = path

    agency_keys = {re.sub(r"[^a-z0-9]", "", a.casefold()) for a in agencies}
    for role, value, where in _altids(doc, ""):
        if role in _TRANSLATION_RELS and _is_url(value):
            put("agency_url", value, where)
        elif role in _TRANSLATION_RELS or role in agency_keys or any(w in role for w in _ID_ROLE_WORDS):
            put("agency_item_id", value, where)
    for where, item in _items(doc, "associations", ""):
        rel = re.sub(r"[^a-z0-9]", "", (_opt_str(item, "rel", where) or _opt_str(item, "role", where) or "").casefold())
        if rel not in _TRANSLATION_RELS:
            continue
        put("original_language", _opt_str(item, "language", where), _join(where, "language"))
        if headline := _headline_of(item, where):
            put("original_headline", *headline)
        uri = _opt_str(item, "uri", where)
        if uri and _is_url(uri):
            put("agency_url", uri, _join(where, "uri"))
        for role, value, at in _altids(item, where):
            if _is_url(value):
                put("agency_url", value, at)
            elif role in _TRANSLATION_RELS or any(w in role for w in _ID_ROLE_WORDS) or role in agency_keys:
                put("agency_item_id", value, at)
        if uri and not _is_url(uri):
            put("agency_item_id", uri, _join(where, "uri"))
    put("translated_by", translator, "by")
    return prov


def parse_ninjs(data: object, *, guid: str | None = None) -> ArticleCreate:
    """An IPTC ninjs 2.x (or 1.x) text item as a story."""
    doc = _obj(data, "")
    origin: dict[str, str] = {}

    kind = _opt_str(doc, "type", "")
    if kind is not None and kind not in ("text", "composite"):
        raise FormatError("type", f"expected a text item, not {kind!r}")

    uri = _opt_str(doc, "uri", "")
    if uri is None or not uri.strip():
        if guid is None:
            raise FormatError("uri", "missing, and no guid was given")
        uri = _clean(guid, "guid")
        origin["guid"] = "guid"
    else:
        origin["guid"] = "uri"

    headline = _headline_of(doc, "")
    if headline is None:
        raise FormatError("headlines", "missing; a story needs a headline")
    origin["headline"] = headline[1]

    summary = _pick(doc, "descriptions", "", ("summary", "description"), fallback_any=False)
    if summary is None:
        for key in ("description_text", "description_html"):
            if text := _opt_str(doc, key, ""):
                summary = (_html_text(text) if key.endswith("html") else _squash(text)), key
                break
    if summary:
        origin["summary"] = summary[1]

    paragraphs, body_path = _body(doc)
    origin["paragraphs"] = body_path

    dates: dict[str, datetime] = {}
    for key in ("firstcreated", "versioncreated"):
        if (value := _opt_str(doc, key, "")) is not None:
            dates[key] = _iso(value, key)
    if not dates:
        raise FormatError("firstcreated", "missing, and so is versioncreated")
    origin["published_at"] = "firstcreated" if "firstcreated" in dates else "versioncreated"
    origin["updated_at"] = "versioncreated"

    embargoed = _opt_str(doc, "embargoed", "")
    embargo = _iso(embargoed, "embargoed") if embargoed else None

    status = _opt_str(doc, "pubstatus", "")
    if status is not None and status.strip().casefold() not in _STATUSES:
        raise FormatError("pubstatus", "expected usable, withheld or canceled")

    byline_key = "by" if doc.get("by") is not None else "byline"
    byline = _opt_str(doc, byline_key, "")
    origin["byline"] = origin["desk"] = byline_key
    credit = _parse_byline(byline) if byline else _Byline()

    agencies: list[str] = []
    for where, item in _items(doc, "infosources", ""):
        name = _opt_str(item, "name", where)
        if name and name.strip() and _squash(name) not in agencies:
            origin[f"agencies.{len(agencies)}"] = _join(where, "name")
            agencies.append(_squash(name))
    if not agencies:
        agencies = credit.agencies
        origin["agencies"] = byline_key

    language = _opt_str(doc, "language", "")
    origin["language"] = "language"
    section, origin["section"] = _section(doc)
    entities = _entities(doc, origin)

    images: list[dict[str, object]] = []
    for where, item in _items(doc, "associations", ""):
        rel = _role(item, where)
        if (_opt_str(item, "type", where) or "").casefold() in _PICTURE_TYPES and rel not in _TRANSLATION_RELS:
            images.append(_image(item, where, origin, len(images)))

    located = _opt_str(doc, "located", "")
    origin["dateline"] = "located"
    return _build(
        {
            "guid": uri.strip(),
            "language": (language or "").strip() or _language(headline[0] + " ".join(paragraphs)),
            "section": section,
            "headline": headline[0],
            "summary": summary and summary[0],
            "paragraphs": paragraphs,
            "byline": (byline and _squash(byline)) or None,
            "desk": credit.desk,
            "agencies": agencies,
            "dateline": (located and _squash(located)) or None,
            "published_at": dates.get("firstcreated") or dates["versioncreated"],
            "updated_at": dates.get("versioncreated"),
            "status": _STATUSES[status.strip().casefold()] if status else ArticleStatus.usable,
            "embargoed": embargo,
            "images": images,
            "provenance": _provenance(doc, agencies, credit.translator, origin),
            "entities": entities,
        },
        origin,
    )


# --- Copied web pages ---------------------------------------------------------

# Whole lines that are navigation, ads or share buttons.
_CHROME: Final = _folded_set(
    "الرئيسية", "الصفحة الرئيسية", "أخبار", "آخر الأخبار", "الأخبار", "اتصل بنا", "من نحن", "سياسة الخصوصية",
    "شروط الاستخدام", "إعلان", "إعلانات", "مساحة إعلانية", "اعلان ممول", "محتوى ممول", "شارك", "مشاركة",
    "شارك المقال", "شارك هذا المقال", "شارك الخبر", "شارك عبر", "فيسبوك", "تويتر", "إكس", "واتساب", "واتس اب",
    "تلغرام", "تيليجرام", "لينكد إن", "انستغرام", "إنستغرام", "يوتيوب", "طباعة", "نسخ الرابط", "تابعنا",
    "تابعونا", "تابعنا على", "اشترك", "اشترك الآن", "اشترك في النشرة البريدية", "النشرة البريدية", "بحث",
    "القائمة", "فيديو", "صور", "ملتيميديا", "مالتيميديا", "تسجيل الدخول", "المزيد", "التعليقات", "أضف تعليق",
    "تعليق", "تعليقات", "حجم الخط", "تكبير الخط", "تصغير الخط", "عاجل", "البث المباشر", "مباشر",
    "home", "news", "latest", "menu", "search", "advertisement", "ad", "ads", "sponsored", "sponsored content",
    "share", "share this", "share this article", "share this story", "facebook", "twitter", "x", "email",
    "whatsapp", "telegram", "linkedin", "instagram", "youtube", "print", "copy link", "subscribe",
    "subscribe now", "sign in", "log in", "login", "register", "newsletter", "sign up", "follow us",
    "comments", "comment", "more", "skip to content", "skip to main content", "live", "video", "videos",
    "photos", "scroll to continue", "continue reading below", "story continues below", "listen", "save",
    "gift this article",
)  # fmt: skip
_CHROME_WORDS: Final = frozenset(w for phrase in _CHROME for w in phrase.split()) | _folded_set(
    "عبر", "على", "هذا", "المقال", "الخبر", "via", "on", "us", "the", "this", "article", "story"
)
_CHROME_PREFIXES: Final = tuple(
    normalize(p)
    for p in (
        "اقرأ أيضا", "اقرأ أيضاً", "اقرأ المزيد", "شاهد أيضا", "شاهد أيضاً", "شاهد:", "عاجل:", "إعلان:",
        "read more", "read also", "also read", "see also", "watch:", "advertisement", "sponsored", "related:",
        "sign up for", "sign up to", "privacy notice", "اشترك في", "اشترك ليصلك", "استمع للمقال", "listen to this",
    )
)  # fmt: skip
# A line that starts a list of other stories' headlines.
_TEASERS: Final = _folded_set(
    "اقرأ أيضا", "اقرأ أيضاً", "اقرأ المزيد", "شاهد أيضا", "ذات صلة", "أخبار ذات صلة", "مواضيع ذات صلة",
    "مقالات ذات صلة", "الأكثر قراءة", "الأكثر مشاهدة", "الأكثر تداولا", "آخر الأخبار", "أخبار متعلقة",
    "read more", "read also", "also read", "related", "related stories", "related articles", "related news",
    "more stories", "more from", "most read", "most popular", "recommended", "you may also like", "trending",
)  # fmt: skip
# Lines after which nothing is story: tags and copyright.
_END_PREFIXES: Final = tuple(
    normalize(p)
    for p in (
        "الكلمات المفتاحية",
        "كلمات مفتاحية",
        "الكلمات الدلالية",
        "كلمات دلالية",
        "الوسوم",
        "وسوم",
        "tags",
        "topics",
    )
)
_END_PHRASES: Final = tuple(normalize(p) for p in ("جميع الحقوق محفوظة", "all rights reserved", "حقوق النشر"))
_HOME: Final = _folded_set("الرئيسية", "الصفحة الرئيسية", "home", "homepage", "الرئيسيه")
_CRUMB_SPLIT: Final = re.compile(r"\s*[›>»/\\]\s*")
_MENU_SPLIT: Final = re.compile(r"\s*[|•·]\s*")
_SENTENCE_END: Final = re.compile(r"[.!?؟…][\"'»”’)\]]*$")

# Month names as folded by normalize(): Gregorian (Egypt, Gulf), Syriac
# (Levant, Iraq) and French-derived (Maghreb) series.
_MONTHS: Final = {
    normalize(name): number
    for number, names in enumerate(
        (
            "january,jan,يناير,كانون الثاني,كانون ثاني,جانفي",
            "february,feb,فبراير,شباط,فيفري",
            "march,mar,مارس,آذار",
            "april,apr,أبريل,إبريل,نيسان,أفريل",
            "may,مايو,أيار,ماي",
            "june,jun,يونيو,يونيه,حزيران,جوان",
            "july,jul,يوليو,يوليه,تموز,جويلية",
            "august,aug,أغسطس,آب,أوت",
            "september,sep,sept,سبتمبر,أيلول",
            "october,oct,أكتوبر,تشرين الأول,تشرين أول",
            "november,nov,نوفمبر,تشرين الثاني,تشرين ثاني",
            "december,dec,ديسمبر,كانون الأول,كانون أول",
        ),
        start=1,
    )
    for name in names.split(",")
}
_MONTH: Final = "|".join(re.escape(m) for m in sorted(_MONTHS, key=len, reverse=True))
_DATES: Final = (
    (re.compile(r"(?<!\d)(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})(?!\d)"), "ymd"),
    (re.compile(r"(?<!\d)(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?!\d)"), "dmy"),
    (
        re.compile(
            rf"(?<!\d)(\d{{1,2}})\s*(?:من\s+)?({_MONTH})(?!\w)(?:\s*/\s*(?:{_MONTH})(?!\w))?\.?\s*[,،]?\s*(\d{{4}})(?!\d)"
        ),
        "dMy",
    ),
    (re.compile(rf"(?<!\w)({_MONTH})(?!\w)\.?\s*(\d{{1,2}})(?:st|nd|rd|th)?(?!\d)\s*[,،]?\s*(\d{{4}})(?!\d)"), "Mdy"),
)
_TIME: Final = re.compile(
    # «14.20» is how British and some Arabic sites write times; only date lines are searched.
    r"(?<![\d:.])(\d{1,2})[:.](\d{2})(?::(\d{2}))?(?![\d:.]\d)"
    r"(?:\s*(صباحا|ص|مساء|م|ظهرا|عصرا|ليلا|a\.m\.|am|p\.m\.|pm)(?!\w))?"
    r"(?:\s*(?:(gmt|utc)(?:\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?)?|([+-])(\d{2}):?(\d{2})))?"
)
_PM: Final = frozenset({"م", "مساء", "ظهرا", "عصرا", "ليلا", "pm", "p.m."})
_STAMP_LABEL: Final = re.compile(
    r"(?<!\w)(?:(?P<upd>اخر تحديث|تاريخ التحديث|تم التحديث|اخر تعديل|محدث|تحديث|تعديل|last updated|updated on"
    r"|updated at|updated|last modified|modified)|(?P<pub>تاريخ النشر|نشر في|نشر بتاريخ|تم النشر|نشر"
    r"|first published|published on|published at|published|posted on|posted at|posted))(?!\w)"
)
_DATE_FILLER: Final = _folded_set(
    "في", "الساعة", "الموافق", "بتاريخ", "بتوقيت", "م", "at", "on", "the", "local", "time", "يوم",
    "الأحد", "الاثنين", "الإثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
)  # fmt: skip
_CAPTION_START: Final = re.compile(r"^(?:صورة|الصورة|صور|photo|image|picture|pictured)(?!\w)", re.IGNORECASE)
_CAPTION_LABEL: Final = re.compile(r"^(?:صورة|الصورة|photo|image|picture)\s*[:：]\s*(?=\S)", re.IGNORECASE)
_CAPTION_CREDIT: Final = re.compile(
    r"^(?P<main>.*?)[\s(]*(?<!\w)(?:photo|photograph|picture|image|credit|photo\s+by|تصوير|صورة|الصورة)\s*[:：]\s*"
    r"(?P<credit>[^:()]{1,80}?)\)?$",
    re.IGNORECASE,
)
_CAPTION_DASH: Final = re.compile(r"^(?P<main>.+?)(?:\s+[-–—|]\s*|(?<=\S)[-–—|]\s+)(?P<credit>[^-–—|]{1,60})$")
_CAPTION_PAREN: Final = re.compile(r"\([^()]*(?:ارشيف|صوره|تعبيريه|file|archive|photo|handout)[^()]*\)$")


@dataclass(frozen=True)
class _Stamp:
    label: str | None  # "pub", "upd" or None
    day: date | None
    clock: tuple[int, int, int] | None
    zone: tzinfo | None


@dataclass
class _Line:
    text: str
    norm: str
    kind: str  # blank, end, teaser, chrome, crumb, menu, date, byline, caption, text
    stamps: list[_Stamp] = field(default_factory=list)

    @property
    def n_words(self) -> int:
        return len(self.text.split())


def _find_dates(norm: str) -> list[tuple[int, int, date]]:
    found: list[tuple[int, int, date]] = []
    for pattern, order in _DATES:
        for m in pattern.finditer(norm):
            a, b, c = m[1], m[2], m[3]
            try:
                if order == "ymd":
                    day = date(int(a), int(b), int(c))
                elif order == "dmy":
                    # Day first, as Arabic and most non-US sites write it, unless that is impossible.
                    d, mo = (int(a), int(b)) if int(b) <= 12 else (int(b), int(a))
                    day = date(int(c), mo, d)
                elif order == "dMy":
                    day = date(int(c), _MONTHS[b], int(a))
                else:
                    day = date(int(c), _MONTHS[a], int(b))
            except ValueError:
                continue
            if all(m.end() <= s or m.start() >= e for s, e, _ in found):
                found.append((m.start(), m.end(), day))
    return sorted(found, key=lambda f: f[0])


def _zone(m: re.Match[str]) -> tzinfo | None:
    if m[5]:
        sign, hours, minutes = m[6], m[7], m[8]
        if not sign:
            return UTC
    elif m[9]:
        sign, hours, minutes = m[9], m[10], m[11]
    else:
        return None
    offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if offset >= timedelta(hours=15):
        return None
    return timezone(-offset if sign == "-" else offset)


def _stamps(norm: str) -> list[_Stamp] | None:
    """The dates and times on a line that is little else, or None for any other line."""
    dates = _find_dates(norm)
    times = [m for m in _TIME.finditer(norm) if all(m.end() <= s or m.start() >= e for s, e, _ in dates)]
    labels = list(_STAMP_LABEL.finditer(norm))
    if not dates and not (times and labels):
        return None
    rest = norm
    for s, e in [(s, e) for s, e, _ in dates] + [m.span() for m in times] + [m.span() for m in labels]:
        rest = rest[:s] + " " * (e - s) + rest[e:]
    if sum(1 for w in re.findall(r"\w+", rest) if w not in _DATE_FILLER) > 1:
        return None

    def segment(pos: int) -> int:
        return sum(1 for m in labels if m.start() <= pos)

    def label(seg: int) -> str | None:
        if seg == 0:
            return None
        m = labels[seg - 1]
        return "upd" if m["upd"] else "pub"

    # Each date takes the nearest time within its labelled segment.
    pairs = sorted(
        (min(abs(t.start() - de), abs(ds - t.end())), i, j)
        for i, (ds, de, _) in enumerate(dates)
        for j, t in enumerate(times)
        if segment(ds) == segment(t.start())
    )
    date_time: dict[int, int] = {}
    used: set[int] = set()
    for distance, i, j in pairs:
        if distance <= 30 and i not in date_time and j not in used:
            date_time[i] = j
            used.add(j)
    out: list[tuple[int, _Stamp]] = []
    for i, (start, _, day) in enumerate(dates):
        clock, zone = None, None
        if i in date_time:
            clock, zone = _clock(times[date_time[i]])
        out.append((start, _Stamp(label(segment(start)), day, clock, zone)))
    for j, t in enumerate(times):
        seg = segment(t.start())
        if j not in used and seg and not any(segment(s) == seg for s, _, _ in dates):
            clock, zone = _clock(t)
            out.append((t.start(), _Stamp(label(seg), None, clock, zone)))
    return [stamp for _, stamp in sorted(out, key=lambda o: o[0])]


def _clock(m: re.Match[str]) -> tuple[tuple[int, int, int] | None, tzinfo | None]:
    hour, minute, second = int(m[1]), int(m[2]), int(m[3] or 0)
    if m[4]:
        if m[4] in _PM and hour < 12:
            hour += 12
        elif m[4] not in _PM and hour == 12:
            hour = 0
    if hour > 23 or minute > 59 or second > 59:
        return None, None
    return (hour, minute, second), _zone(m)


def _is_menu(text: str) -> bool:
    items = [i for i in _MENU_SPLIT.split(text) if i]
    return len(items) >= 3 and all(len(i.split()) <= 3 for i in items)


def _crumbs(text: str, norm: str) -> list[str] | None:
    items = [i.strip() for i in _CRUMB_SPLIT.split(text) if i.strip()]
    if len(items) < 2 or any(len(i.split()) > 6 for i in items):
        return None
    if normalize(items[0]) in _HOME or (re.search(r"[›>]", text) and all(len(i.split()) <= 3 for i in items)):
        return items
    return None


def _is_chrome(norm: str) -> bool:
    bare = _squash(re.sub(r"[^\w\s]", " ", norm))
    if not bare or bare in _CHROME:
        return True
    words = bare.split()
    return (len(words) <= 8 and all(w in _CHROME_WORDS for w in words)) or norm.startswith(_CHROME_PREFIXES)


def _is_byline(text: str, norm: str) -> bool:
    words = len(text.split())
    if words > 15 or _SENTENCE_END.search(text):
        return False
    if _LABEL.match(text) and words <= 12:
        return True
    if _has_word(text, _DESK_WORDS) and words <= 10:
        return True
    parts = [p.strip(" :-–—") for p in _BYLINE_SPLIT.split(text) if p.strip(" :-–—")]
    return (
        bool(parts)
        and all(len(p.split()) <= 4 for p in parts)
        and any(_has_word(p, _AGENCY_WORDS) or normalize(p) in _GENERIC_CREDITS for p in parts)
    )


def _caption(text: str, norm: str) -> tuple[str, str | None] | None:
    """(caption, credit) if the line reads as a picture caption."""
    words = len(text.split())
    if words > 50:
        return None
    if m := _CAPTION_LABEL.match(text):
        return text[m.end() :].strip(), None  # «صورة: …» labels the caption itself
    if (m := _CAPTION_CREDIT.match(text)) and len(m["credit"].split()) <= 6 and len(m["main"].split()) >= 2:
        return m["main"].strip(" -–—|"), m["credit"].strip()
    if (m := _CAPTION_DASH.match(text)) and not _SENTENCE_END.search(m["main"]) and words <= 40:
        credit = m["credit"].strip()
        credit_like = _has_word(credit, _AGENCY_WORDS) or normalize(credit) in _GENERIC_CREDITS
        if credit_like and len(credit.split()) <= 4 and len(m["main"].split()) >= 3:
            return m["main"].strip(), credit
    if _CAPTION_PAREN.search(norm):
        return text, None
    if _CAPTION_START.match(text) and words <= 30:
        return text, None
    return None


def _classify(text: str) -> _Line:
    norm = normalize(text)
    if not norm:
        return _Line(text, norm, "blank")
    if (norm.startswith(_END_PREFIXES) and len(norm.split()) <= 30) or any(p in norm for p in _END_PHRASES):
        return _Line(text, norm, "end")
    if norm.startswith(("©", "copyright")):
        return _Line(text, norm, "end")
    if _squash(re.sub(r"[^\w\s]", " ", norm)) in _TEASERS:
        return _Line(text, norm, "teaser")
    if _is_chrome(norm):
        return _Line(text, norm, "chrome")
    if _crumbs(text, norm):
        return _Line(text, norm, "crumb")
    if (stamps := _stamps(norm)) is not None:
        return _Line(text, norm, "date", stamps)
    if _is_byline(text, norm):
        return _Line(text, norm, "byline")
    if _is_menu(text):
        return _Line(text, norm, "menu")
    if _caption(text, norm):
        return _Line(text, norm, "caption")
    return _Line(text, norm, "text")


def _body_like(line: _Line) -> bool:
    """A sentence or more: the story's paragraphs end like sentences, chrome and teasers do not."""
    if line.kind != "text" or line.n_words < 3:
        return False
    if _SENTENCE_END.search(line.text) or line.n_words >= 25:
        return True
    return line.text.rstrip().endswith((":", "：")) and line.n_words >= 5


def _title_like(line: _Line) -> bool:
    return line.kind == "text" and 4 <= line.n_words <= 40 and len(line.text) <= 300 and not _body_like(line)


def _structural(line: _Line) -> bool:
    """Lines that frame an article (menus, labels, dates) rather than belong to its title block."""
    return line.kind in ("chrome", "menu", "crumb", "teaser", "end", "date", "byline") or (
        line.kind == "text" and line.n_words <= 3
    )


def _find_headline(lines: Sequence[_Line]) -> int | None:
    """The headline: a repeated title, else the first title under the last framing line above the date or byline.

    Titles further down that block are unrecognised captions, datelines or standfirsts; titles above the
    framing line belong to menus and teaser lists.
    """
    first_title = next((i for i, line in enumerate(lines) if _title_like(line)), None)
    if first_title is not None:
        first_body = next((i for i in range(first_title, len(lines)) if _body_like(lines[i])), len(lines))
        candidates = [i for i in range(first_title, first_body) if _title_like(lines[i])]
        seen: dict[str, int] = {}
        for i in candidates:
            if lines[i].norm in seen:
                return seen[lines[i].norm]
            seen[lines[i].norm] = i
        # A date in the site's top bar, above every title, is not the article's.
        marker = next(
            (i for i in range(first_body) if lines[i].kind in ("date", "byline") and candidates[0] < i), first_body
        )
        titles = set(candidates)
        highest: int | None = None
        for i in range(marker - 1, -1, -1):
            if i in titles:
                highest = i
            elif highest is not None and _structural(lines[i]):
                return highest
        return highest if highest is not None else candidates[-1]
    return None


def _section_label(lines: Sequence[_Line], headline: int) -> str | None:
    crumbs = [i for i in range(headline) if lines[i].kind == "crumb"]
    if crumbs:
        items = _crumbs(lines[crumbs[-1]].text, lines[crumbs[-1]].norm) or []
        items = [i for i in items if normalize(i) != lines[headline].norm and normalize(i) not in _HOME]
        if items:
            return items[-1]
    first = next(i for i, line in enumerate(lines) if line.kind != "blank")

    def block(i: int) -> list[int]:
        a = b = i
        while a > 0 and lines[a - 1].kind != "blank":
            a -= 1
        while b + 1 < len(lines) and lines[b + 1].kind != "blank":
            b += 1
        return list(range(a, b + 1))

    def label(i: int) -> bool:
        line = lines[i]
        if line.kind != "text" or i == first or line.n_words > 3 or len(line.text) > 30:
            return False
        if re.search(r"\d|[.!?؟:،,]", line.text):
            return False
        # A run of short lines is a menu, and its items are every section but this one.
        return sum(1 for j in block(i) if lines[j].n_words <= 3) < 3

    def near(indices: range) -> int | None:
        seen = 0
        for i in indices:
            line = lines[i]
            if line.kind in ("blank", "chrome", "caption", "menu") or line.norm == lines[headline].norm:
                continue
            if line.kind in ("date", "byline") or _body_like(line) or seen >= 2:
                return None
            if label(i):
                return i
            seen += 1
        return None

    before = near(range(headline - 1, -1, -1))
    after = near(range(headline + 1, len(lines)))
    chosen = before if before is not None else after
    return lines[chosen].text if chosen is not None else None


def _standfirst(lines: Sequence[_Line], headline: int) -> list[int]:
    """Sentence lines between the headline and the date or byline under it."""
    found: list[int] = []
    seen = 0
    for i in range(headline + 1, len(lines)):
        line = lines[i]
        if line.kind in ("date", "byline"):
            return found
        if line.kind == "blank" or line.norm == lines[headline].norm:
            continue
        seen += 1
        if _body_like(line):
            found.append(i)
        if seen > 6 or len(found) > 2:
            break
    return []


def _resolve(stamps: Sequence[_Stamp], zone: tzinfo) -> tuple[datetime | None, datetime | None]:
    labelled = {k: next((s for s in stamps if s.label == k and s.day), None) for k in ("pub", "upd")}
    plain = [s for s in stamps if s.label is None and s.day]
    published = labelled["pub"] or (plain.pop(0) if plain else None)
    updated = labelled["upd"] or (plain.pop(0) if plain else None)
    if updated is None and published is not None:
        # «آخر تحديث: 11:40 ص» gives only a time: the day is the publication day.
        updated = next((s for s in stamps if s.label == "upd" and s.day is None and s.clock), None)

    def moment(stamp: _Stamp | None) -> datetime | None:
        if stamp is None:
            return None
        day = stamp.day or (published.day if published else None)
        if day is None:
            return None
        h, m, s = stamp.clock or (0, 0, 0)
        return datetime(day.year, day.month, day.day, h, m, s, tzinfo=stamp.zone or zone)

    return moment(published), moment(updated)


def parse_text_page(
    text: str, *, guid: str | None = None, timezone: tzinfo = UTC, now: datetime | None = None
) -> ArticleCreate:
    """A news article page as copied from a browser, with its menus, ads and teasers left out."""
    if not isinstance(text, str):
        raise FormatError("text", "expected a string")
    _clean(text, "text")
    # Bidi marks and no-break spaces come along with copied Arabic text and mean nothing.
    text = re.sub("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]", "", text).replace("\u00a0", " ")
    lines = [_classify(_squash(raw)) for raw in text.splitlines()]

    if not any(_body_like(line) for line in lines):
        raise FormatError("body", "no body paragraphs found")
    headline = _find_headline(lines)
    if headline is None:
        raise FormatError("headline", "no headline found")
    head = lines[headline]
    summary = _standfirst(lines, headline)

    paragraphs: list[str] = []
    captions: list[dict[str, object]] = []
    stamps: list[_Stamp] = []
    bylines: list[str] = []
    in_teaser = False
    for i in range(headline + 1, len(lines)):
        line = lines[i]
        if line.kind == "end" and paragraphs:
            break
        if line.kind == "blank":
            in_teaser = False
        elif line.kind == "teaser":
            in_teaser = True
        elif line.kind == "date":
            stamps.extend(line.stamps)
        elif line.kind == "byline":
            bylines.append(line.text)
        elif line.kind == "caption" and (found := _caption(line.text, line.norm)):
            captions.append({"url": None, "caption": found[0], "credit": found[1]})
        elif in_teaser and not (_body_like(line) and line.n_words >= 12):
            continue
        elif _body_like(line) and i not in summary and line.norm != head.norm:
            in_teaser = False
            paragraphs.append(line.text)
    if not paragraphs:
        raise FormatError("body", "no body paragraphs found")
    if not stamps:
        # Some sites print the date above the headline.
        stamps = [s for line in lines[:headline] if line.kind == "date" for s in line.stamps]
    if not bylines:
        bylines = [line.text for line in lines[:headline] if line.kind == "byline"]

    published, updated = _resolve(stamps, timezone)
    if published is None:
        published = updated
    if published is None:
        published = now or datetime.now(timezone)
        if published.tzinfo is None:
            published = published.replace(tzinfo=timezone)
        digest_date = "-"
    else:
        digest_date = published.astimezone(UTC).isoformat()
    if guid is None:
        # Headline and first publication only, so a re-copied page with an edited body is a new version.
        key = f"{normalize(head.text)}\n{digest_date}".encode()
        guid = "urn:textpage:" + hashlib.sha256(key).hexdigest()[:32]

    credit = _parse_byline(bylines[0]) if bylines else _Byline()
    origin = {
        "guid": "guid", "language": "body", "section": "section", "headline": "headline", "summary": "summary",
        "paragraphs": "body", "byline": "byline", "desk": "byline", "agencies": "byline", "provenance": "byline",
        "published_at": "published_at", "updated_at": "updated_at", "images": "captions",
    }  # fmt: skip
    return _build(
        {
            "guid": guid,
            "language": _language(head.text + " ".join(paragraphs)),
            "section": _section_label(lines, headline) or "general",
            "headline": head.text,
            "summary": " ".join(lines[i].text for i in summary) or None,
            "paragraphs": paragraphs,
            "byline": bylines[0] if bylines else None,
            "desk": credit.desk,
            "agencies": credit.agencies,
            "published_at": published,
            "updated_at": updated,
            # A gallery page can carry more captions than a story may; the first ones are the story's own.
            "images": captions[:100],
            "provenance": {"translated_by": credit.translator} if credit.translator else {},
        },
        origin,
    )
