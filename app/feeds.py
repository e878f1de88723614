"""Articles in the standard formats partners already read: IPTC ninjs, JSON Feed, Atom and schema.org JSON-LD.

Pure functions from the public schemas to documents: no I/O, and the same input
always gives the same output, so routes can cache and ETag the result.

Every format names a story by the same URI, `{base_url}/v1/articles/{id}`
(ninjs `uri`, JSON Feed `id`, Atom `id`, JSON-LD `@id`): a partner reading two
formats can join them, and an Atom tombstone refers to exactly the entry it
replaces.

Deliberate departures from the strict ninjs 2.x JSON Schemas, which forbid any
property they do not define: the top-level `x-wire-quotes` extension (quotes
have no ninjs home) and `rel` on the translation association (`rel` on
associations is standard only from ninjs 3.0, and it is what our own ninjs
reader looks for).
"""

import html
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import quote

from app.models import (
    ArticlePublic,
    ArticleStatus,
    ArticleSummary,
    EntityKind,
    EntityRef,
    QuoteInArticle,
    TranslationMethod,
)

__all__ = [
    "ATOM_TYPE",
    "JSON_FEED_TYPE",
    "JSON_LD_TYPE",
    "NINJS_TYPE",
    "to_atom",
    "to_json_feed",
    "to_json_ld",
    "to_ninjs",
]

NINJS_TYPE: Final = "application/ninjs+json"
JSON_FEED_TYPE: Final = "application/feed+json"
ATOM_TYPE: Final = "application/atom+xml"
JSON_LD_TYPE: Final = "application/ld+json"

JSON_FEED_VERSION: Final = "https://jsonfeed.org/version/1.1"
ATOM_NS: Final = "http://www.w3.org/2005/Atom"
TOMBSTONE_NS: Final = "http://purl.org/atompub/tombstones/1.0"
XML_NS: Final = "http://www.w3.org/XML/1998/namespace"
# Atom needs an author for every entry; stories without a byline inherit this feed-level one.
FEED_AUTHOR: Final = "Wire Quotes"

# Characters XML 1.0 cannot carry at all, not even escaped. Text only refuses
# NUL, so a stray control character from a wire would otherwise make the whole
# feed ill-formed for every reader.
_NOT_XML: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_NINJS_GROUPS: Final = {
    EntityKind.person: "people",
    EntityKind.organization: "organisations",
    EntityKind.government: "organisations",
    EntityKind.agency: "organisations",
    EntityKind.place: "places",
}
# schema.org types; unnamed groups ("analysts") have none, so they stay untyped nodes.
_SCHEMA_TYPES: Final = {
    EntityKind.person: "Person",
    EntityKind.organization: "Organization",
    EntityKind.government: "GovernmentOrganization",
    EntityKind.agency: "Organization",
    EntityKind.place: "Place",
}


# --- Shared ------------------------------------------------------------------


def _rfc3339(moment: datetime) -> str:
    # The schemas declare datetimes aware, but a naive one can only have come
    # from the database's UTC storage; localtime would shift it by hours.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _root(base_url: str) -> str:
    return base_url.rstrip("/")


def _article_url(article: ArticleSummary, base_url: str) -> str:
    return f"{_root(base_url)}/v1/articles/{quote(article.id, safe='')}"


def _entity_url(entity: EntityRef, base_url: str) -> str:
    return f"{_root(base_url)}/v1/entities/{entity.id}"


def _section_url(article: ArticleSummary, base_url: str) -> str:
    # Slugs may be Arabic; a URI must carry them percent-encoded.
    return f"{_root(base_url)}/v1/sections/{quote(article.section.slug, safe='')}"


def _quote_url(quote_: QuoteInArticle, base_url: str) -> str:
    return f"{_root(base_url)}/v1/quotes/{quote_.id}"


def _is_arabic(language: str) -> bool:
    return language.split("-", 1)[0].casefold() == "ar"


def _name(entity: EntityRef, language: str) -> str | None:
    """The entity's name in the story's script when it has one, else the other."""
    if _is_arabic(language):
        return entity.name_ar or entity.name_en
    return entity.name_en or entity.name_ar


def _section_name(article: ArticleSummary) -> str:
    section = article.section
    return section.name_ar if _is_arabic(article.language) else section.name_en


def _is_translated(article: ArticlePublic) -> bool:
    prov = article.provenance
    original = prov.original_language
    differs = original is not None and original.casefold() != article.language.casefold()
    return differs or prov.translated_by is not None


def _compact(obj: dict[str, Any]) -> dict[str, Any]:
    """Drop absent values: every format here says to omit a property rather than send null or []."""
    return {k: v for k, v in obj.items() if v is not None and v != [] and v != {}}


# --- ninjs ---------------------------------------------------------------------


def _ninjs_entity(entity: EntityRef, rel: str, language: str, base_url: str) -> dict[str, Any]:
    return _compact({"name": _name(entity, language), "uri": _entity_url(entity, base_url), "rel": rel})


def _ninjs_quotes(article: ArticlePublic, base_url: str) -> dict[str, Any]:
    quotes: list[dict[str, Any]] = []
    for q in article.quotes:
        speaker = None
        if q.speaker is not None:
            speaker = _compact(
                {
                    "id": q.speaker.id,
                    "uri": _entity_url(q.speaker, base_url),
                    "name": _name(q.speaker, article.language),
                    "title": q.speaker.title,
                }
            )
        quotes.append(
            _compact(
                {
                    "id": q.id,
                    "uri": _quote_url(q, base_url),
                    "text": q.text,
                    "kind": q.kind.value,
                    "speaker": speaker,
                    "speaker_mention": q.speaker_mention,
                    "paragraph": q.paragraph,
                    "start": q.start,
                    "end": q.end,
                }
            )
        )
    return {"quotes": quotes}


def _ninjs_pictures(article: ArticlePublic, uri: str) -> list[dict[str, Any]]:
    pictures: list[dict[str, Any]] = []
    for n, image in enumerate(article.images, start=1):
        name = f"picture{n}"
        href = str(image.url) if image.url is not None else None
        # ninjs 2.1 requires a uri on every association. A caption copied
        # without its picture has no URL, and an http(s) stand-in would be
        # read back as the picture's address; a name-based UUID is stable and
        # cannot be mistaken for one.
        picture_uri = href or uuid.uuid5(uuid.NAMESPACE_URL, f"{uri}#{name}").urn
        descriptions = [{"role": "caption", "value": image.caption}] if image.caption else None
        renditions = [{"name": "original", "href": href}] if href else None
        pictures.append(
            _compact(
                {
                    "name": name,
                    "uri": picture_uri,
                    "type": "picture",
                    "descriptions": descriptions,
                    "copyrightholder": image.credit,
                    "renditions": renditions,
                }
            )
        )
    return pictures


def _ninjs_original(article: ArticlePublic) -> dict[str, Any]:
    prov = article.provenance
    headlines = [{"role": "main", "value": prov.original_headline}] if prov.original_headline else None
    altids = [{"role": "agency-item-id", "value": prov.agency_item_id}] if prov.agency_item_id else None
    # With no agency URL the uri is left out rather than made up: it would
    # name someone else's item.
    return _compact(
        {
            "name": "original",
            "rel": "translation-of",
            "uri": str(prov.agency_url) if prov.agency_url is not None else None,
            "type": "text",
            "language": prov.original_language,
            "headlines": headlines,
            "altids": altids,
        }
    )


def _ninjs_ednote(article: ArticlePublic) -> str | None:
    # ninjs has no translator field; ednote is its place for notes to the
    # receiving desk, and keeps infosources for the agencies alone.
    prov = article.provenance
    if prov.translated_by is None and prov.translation_method is None:
        return None
    parts = ["Translated"]
    if prov.original_language:
        parts.append(f"from {prov.original_language}")
    if prov.translated_by:
        parts.append(f"by {prov.translated_by}")
    if prov.translation_method is not None:
        parts.append(f"({prov.translation_method.value})")
    return " ".join(parts) + "."


def to_ninjs(article: ArticlePublic | ArticleSummary, *, base_url: str) -> dict[str, Any]:
    """The story as an IPTC ninjs 2.x text item; a list item gives what it has, a killed story only its stub."""
    uri = _article_url(article, base_url)
    headlines = [{"role": "main", "value": article.headline}]
    if article.status == ArticleStatus.canceled:
        return {
            "uri": uri,
            "type": "text",
            "version": str(article.version),
            "pubstatus": ArticleStatus.canceled.value,
            "versioncreated": _rfc3339(article.updated_at),
            "headlines": headlines,
        }

    full = isinstance(article, ArticlePublic)
    lang = article.language
    altids = [{"role": "guid", "value": article.guid}]
    doc: dict[str, Any] = {
        "uri": uri,
        "type": "text",
        # A list item lacks the body, quotes and entities: say so rather than let it pass for the story.
        "representationtype": "full" if full else "partial",
        "version": str(article.version),
        "language": lang,
        "firstcreated": _rfc3339(article.published_at),
        "versioncreated": _rfc3339(article.updated_at),
        "pubstatus": article.status.value,
        "headlines": headlines,
        "descriptions": [{"role": "summary", "value": article.summary}] if article.summary else None,
        "by": article.byline,
        "located": article.dateline,
        "subjects": [{"name": article.section.name_en, "uri": _section_url(article, base_url), "rel": "section"}],
        "infosources": [
            _compact({"name": _name(a, lang), "role": "source", "uri": _entity_url(a, base_url)})
            for a in article.agencies
        ],
        "altids": altids,
    }
    if not isinstance(article, ArticlePublic):
        return _compact(doc)

    # Unnamed groups ("analysts") are no person, organisation or place, so ninjs has no list for them.
    groups: dict[str, list[dict[str, Any]]] = {"people": [], "organisations": [], "places": []}
    for mention in article.entities:
        if (key := _NINJS_GROUPS.get(mention.entity.kind)) is not None:
            groups[key].append(_ninjs_entity(mention.entity, mention.role.value, lang, base_url))

    paragraphs = article.paragraphs
    prov = article.provenance
    if prov.agency_item_id:
        altids.append({"role": "agency-item-id", "value": prov.agency_item_id})
    associations = _ninjs_pictures(article, uri)
    if _is_translated(article):
        associations.append(_ninjs_original(article))
    doc |= {
        "bodies": [
            {"role": "main", "contenttype": "text/plain", "value": "\n\n".join(paragraphs)},
            {
                "role": "main",
                "contenttype": "text/html",
                "value": "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs),
            },
        ],
        **groups,
        "associations": associations,
        "ednote": _ninjs_ednote(article),
        "x-wire-quotes": _ninjs_quotes(article, base_url),
    }
    return _compact(doc)


# --- JSON Feed -----------------------------------------------------------------


def _is_feed_item(article: ArticleSummary) -> bool:
    # A feed item has no status field, so anything not usable would be shown
    # as an ordinary story: killed ones must not be, nor withheld ones (which
    # may come back, so they get no tombstone either).
    return article.status == ArticleStatus.usable


def to_json_feed(
    *,
    title: str,
    home_url: str,
    feed_url: str,
    items: Sequence[ArticleSummary],
    base_url: str,
    next_url: str | None,
) -> dict[str, Any]:
    """A JSON Feed 1.1 page of usable stories; `next_url` links the next page."""
    feed_items: list[dict[str, Any]] = []
    for article in items:
        if not _is_feed_item(article):
            continue
        url = _article_url(article, base_url)
        agencies = [name for a in article.agencies if (name := _name(a, article.language))]
        feed_items.append(
            _compact(
                {
                    "id": url,
                    "url": url,
                    "title": article.headline,
                    "summary": article.summary,
                    # content_text is required on every item; a list item has no body to give.
                    "content_text": article.summary or article.headline,
                    "date_published": _rfc3339(article.published_at),
                    "date_modified": _rfc3339(article.updated_at),
                    "language": article.language,
                    "authors": [{"name": article.byline}] if article.byline else None,
                    "tags": [article.section.name_en],
                    "_wire_quotes": {
                        "about": f"{_root(base_url)}/docs",
                        "quote_count": article.quote_count,
                        "agencies": agencies,
                    },
                }
            )
        )
    # Feed-level language is left out: one page mixes Arabic and English stories.
    feed: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": title,
        "home_page_url": home_url,
        "feed_url": feed_url,
    }
    if next_url is not None:
        feed["next_url"] = next_url
    feed["items"] = feed_items  # required, even on an empty page
    return feed


# --- Atom ----------------------------------------------------------------------


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: _xml_text(v) for k, v in attrs.items()})
    if text is not None:
        el.text = _xml_text(text)
    return el


def _atom_entry(feed: ET.Element, article: ArticleSummary, base_url: str) -> None:
    url = _article_url(article, base_url)
    entry = _sub(feed, "entry", **{f"{{{XML_NS}}}lang": article.language})
    _sub(entry, "id", url)
    _sub(entry, "title", article.headline, type="text")
    _sub(entry, "updated", _rfc3339(article.updated_at))
    _sub(entry, "published", _rfc3339(article.published_at))
    if article.byline:
        author = _sub(entry, "author")
        _sub(author, "name", article.byline)
    _sub(
        entry,
        "category",
        term=article.section.slug,
        label=article.section.name_en,
        scheme=f"{_root(base_url)}/v1/sections",
    )
    _sub(entry, "link", rel="alternate", type="application/json", href=url)
    if article.summary:
        _sub(entry, "summary", article.summary, type="text")


def _tombstone(feed: ET.Element, article: ArticleSummary, base_url: str) -> None:
    # RFC 6721: `ref` is the id the entry had, so a mirror can drop it.
    deleted = _sub(
        feed,
        "at:deleted-entry",
        ref=_article_url(article, base_url),
        when=_rfc3339(article.updated_at),
    )
    _sub(deleted, "at:comment", "killed")


def to_atom(
    *,
    title: str,
    feed_id: str,
    self_url: str,
    alternate_url: str | None,
    updated: datetime,
    items: Sequence[ArticleSummary],
    base_url: str,
    next_url: str | None,
) -> bytes:
    """An Atom 1.0 feed (RFC 4287) as UTF-8 XML; killed stories become RFC 6721 tombstones in place."""
    # Names are written as they will appear, with the namespaces declared on
    # the root by hand: ElementTree's alternatives are a process-wide prefix
    # table (register_namespace) or default_namespace, which refuses the
    # unqualified attributes Atom uses (rel, href, term ...). Tag names are
    # constants here; only text and attribute values come from stories.
    feed = ET.Element("feed", {"xmlns": ATOM_NS, "xmlns:at": TOMBSTONE_NS})
    _sub(feed, "id", feed_id)
    _sub(feed, "title", title, type="text")
    _sub(feed, "updated", _rfc3339(updated))
    author = _sub(feed, "author")
    _sub(author, "name", FEED_AUTHOR)
    _sub(feed, "link", rel="self", type=ATOM_TYPE, href=self_url)
    if alternate_url is not None:
        _sub(feed, "link", rel="alternate", href=alternate_url)
    if next_url is not None:
        # RFC 5005 paging.
        _sub(feed, "link", rel="next", type=ATOM_TYPE, href=next_url)
    # Tombstones stay in the order given, among the entries, so a reader that
    # replays the page in order ends in the same state as the source.
    for article in items:
        if article.status == ArticleStatus.canceled:
            _tombstone(feed, article, base_url)
        elif _is_feed_item(article):
            _atom_entry(feed, article, base_url)
    # typeshed types tostring's bytes overload as Any.
    data: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return data


# --- schema.org JSON-LD --------------------------------------------------------


def _thing(entity: EntityRef, language: str, base_url: str) -> dict[str, Any]:
    node: dict[str, Any] = {"@id": _entity_url(entity, base_url)}
    if (kind := _SCHEMA_TYPES.get(entity.kind)) is not None:
        node["@type"] = kind
    if (name := _name(entity, language)) is not None:
        node["name"] = name
    return node


def _quotation(q: QuoteInArticle, article: ArticlePublic, base_url: str) -> dict[str, Any]:
    creator: dict[str, Any] | None = None
    if q.speaker is not None:
        creator = _thing(q.speaker, article.language, base_url)
        # jobTitle is a Person property; an organisation "speaking" has none.
        if q.speaker.title and creator.get("@type") == "Person":
            creator["jobTitle"] = q.speaker.title
    elif q.speaker_mention:
        # Unresolved speaker: keep the words the story used, with no type we cannot vouch for.
        creator = {"name": q.speaker_mention}
    return _compact(
        {
            "@type": "Quotation",
            "@id": _quote_url(q, base_url),
            "text": q.text,
            "inLanguage": article.language,
            "creator": creator,
        }
    )


def _translator(article: ArticlePublic) -> dict[str, Any] | None:
    prov = article.provenance
    if prov.translated_by is None:
        return None
    # A desk or a machine pipeline is an organisation; anyone else named is taken to be a person.
    is_org = prov.translated_by == article.desk or prov.translation_method == TranslationMethod.machine
    return {"@type": "Organization" if is_org else "Person", "name": prov.translated_by}


def to_json_ld(article: ArticlePublic, *, base_url: str) -> dict[str, Any]:
    """The story as a schema.org NewsArticle, its quotes as Quotation parts."""
    url = _article_url(article, base_url)
    lang = article.language
    doc: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "@id": url,
        "url": url,
        "headline": article.headline,
        "inLanguage": lang,
        "datePublished": _rfc3339(article.published_at),
        "dateModified": _rfc3339(article.updated_at),
    }
    if article.status == ArticleStatus.canceled:
        # A killed story keeps only its identity, as the API serves it.
        return doc | {"creativeWorkStatus": ArticleStatus.canceled.value}

    if article.desk:
        author: dict[str, Any] | None = {"@type": "Organization", "name": article.desk}
    elif article.byline:
        author = {"@type": "Person", "name": article.byline}
    else:
        author = None
    prov = article.provenance
    original: dict[str, Any] | None = None
    if _is_translated(article):
        original = _compact(
            {
                "@type": "CreativeWork",
                "@id": str(prov.agency_url) if prov.agency_url is not None else None,
                "url": str(prov.agency_url) if prov.agency_url is not None else None,
                "inLanguage": prov.original_language,
                "headline": prov.original_headline,
                "identifier": prov.agency_item_id,
            }
        )
    doc |= {
        "description": article.summary,
        "articleBody": "\n\n".join(article.paragraphs),
        "dateline": article.dateline,
        "articleSection": _section_name(article),
        "author": author,
        "sourceOrganization": [_thing(a, lang, base_url) for a in article.agencies],
        # An ImageObject without an address is no image to a consumer; the caption alone is dropped here.
        "image": [
            _compact({"@type": "ImageObject", "url": str(i.url), "caption": i.caption, "creditText": i.credit})
            for i in article.images
            if i.url is not None
        ],
        "translationOfWork": original,
        # isBasedOn points at the agency item whether or not it was translated.
        "isBasedOn": str(prov.agency_url) if prov.agency_url is not None else None,
        "translator": _translator(article) if original is not None else None,
        "mentions": [_thing(e, lang, base_url) for e in _unique_mentions(article)],
        "hasPart": [_quotation(q, article, base_url) for q in article.quotes],
    }
    return _compact(doc)


def _unique_mentions(article: ArticlePublic) -> list[EntityRef]:
    # One entity can be mentioned in several roles; schema.org mentions has no role, so once is enough.
    seen: set[int] = set()
    out: list[EntityRef] = []
    for m in article.entities:
        if m.entity.id not in seen:
            seen.add(m.entity.id)
            out.append(m.entity)
    return out
