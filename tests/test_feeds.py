"""Stories rendered as ninjs, JSON Feed, Atom and JSON-LD, checked field by field.

The stories, people, agencies and places are invented.
"""

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from app.feeds import (
    ATOM_TYPE,
    JSON_FEED_TYPE,
    JSON_LD_TYPE,
    NINJS_TYPE,
    to_atom,
    to_json_feed,
    to_json_ld,
    to_ninjs,
)
from app.models import (
    ArticlePublic,
    ArticleStatus,
    ArticleSummary,
    EntityKind,
    EntityRef,
    Image,
    MentionPublic,
    MentionRole,
    Provenance,
    QuoteInArticle,
    QuoteKind,
    SectionRef,
    SpeakerRef,
    TranslationMethod,
)
from app.pipeline.formats import parse_ninjs

BASE = "https://api.example.org"
PLUS3 = timezone(timedelta(hours=3))
ATOM = "{http://www.w3.org/2005/Atom}"
AT = "{http://purl.org/atompub/tombstones/1.0}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# Every property ninjs 2.0-2.2 defines at the top level; anything else is an extension.
NINJS_2_PROPERTIES = frozenset({
    "uri", "type", "representationtype", "profile", "version", "firstcreated", "versioncreated", "contentcreated",
    "embargoed", "pubstatus", "urgency", "copyrightholder", "copyrightnotice", "usageterms", "ednote", "language",
    "descriptions", "bodies", "headlines", "people", "organisations", "places", "subjects", "events", "objects",
    "infosources", "title", "by", "slugline", "located", "renditions", "associations", "altids", "trustindicators",
    "standard", "genres", "expires", "rightsinfo",
})  # fmt: skip

# Item properties JSON Feed 1.1 defines; extensions start with an underscore.
JSON_FEED_ITEM_KEYS = frozenset({
    "id", "url", "external_url", "title", "content_html", "content_text", "summary", "image", "banner_image",
    "date_published", "date_modified", "authors", "tags", "language", "attachments",
})  # fmt: skip

POLITICS = SectionRef(slug="politics", name_ar="سياسة", name_en="Politics")
EAST_WIRE = EntityRef(id=3, slug="east-wire", kind=EntityKind.agency, name_ar=None, name_en="East Wire")
HADDAD = SpeakerRef(
    id=7,
    slug="سامر-الحداد",
    kind=EntityKind.person,
    name_ar="سامر الحداد",
    name_en="Samer Haddad",
    title="وزير المالية",
)
MINISTRY = SpeakerRef(
    id=8, slug="وزارة-المالية", kind=EntityKind.government, name_ar="وزارة المالية", name_en=None, title=None
)
WIND_CITY = EntityRef(id=9, slug="مدينة-الريح", kind=EntityKind.place, name_ar="مدينة الريح", name_en="Wind City")
ANALYSTS = EntityRef(id=10, slug="محللون", kind=EntityKind.unnamed_group, name_ar="محللون", name_en="analysts")

PARAGRAPHS = [
    "قال وزير المالية سامر الحداد الثلاثاء إن «الموازنة الجديدة ستخفف الأعباء عن الأسر».",
    "وأضافت الوزارة أن الضرائب على السلع <الأساسية> & الأدوية ستنخفض.",
]


def _summary_fields(**over: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": "k3v7q2m9x4p8r6t1",
        "guid": "urn:newsml:east-wire:20261120:0412:ar",
        "version": 2,
        "language": "ar",
        "headline": "وزير المالية: الموازنة الجديدة ستخفف الأعباء عن الأسر",
        "summary": "أعلنت حكومة قمرستان خطة لخفض الضرائب.",
        "section": POLITICS,
        "byline": "قسم الترجمة - وكالات",
        "agencies": [EAST_WIRE],
        "dateline": "مدينة الريح",
        "published_at": datetime(2026, 11, 20, 10, 35, tzinfo=PLUS3),
        "updated_at": datetime(2026, 11, 20, 10, 10, tzinfo=UTC),
        "status": ArticleStatus.usable,
        "quote_count": 2,
    }
    return fields | over


def summary(**over: Any) -> ArticleSummary:
    return ArticleSummary(**_summary_fields(**over))


def arabic_story(**over: Any) -> ArticlePublic:
    """A story East Wire sent in English and the translation desk put into Arabic."""
    fields = _summary_fields() | {
        "paragraphs": PARAGRAPHS,
        "desk": "قسم الترجمة",
        "images": [
            Image(url="https://media.example.org/demo/a1.jpg", caption="الحداد في مؤتمر صحفي", credit="East Wire"),
            Image(url=None, caption="سوق في مدينة الريح", credit=None),
        ],
        "provenance": Provenance(
            original_language="en",
            original_headline="Qamaristan finance minister promises budget relief",
            agency_item_id="EW-2026-11-20-0412",
            agency_url="https://wire.example.org/items/EW-2026-11-20-0412",
            translated_by="قسم الترجمة",
            translation_method=TranslationMethod.human,
        ),
        "quotes": [
            QuoteInArticle(
                id=101,
                text="الموازنة الجديدة ستخفف الأعباء عن الأسر",
                kind=QuoteKind.direct,
                cue="قال",
                speaker=HADDAD,
                speaker_mention="سامر الحداد",
                paragraph=0,
                start=47,
                end=86,
                confidence=0.93,
                method="extracted",
            ),
            QuoteInArticle(
                id=102,
                text="الضرائب على السلع <الأساسية> & الأدوية ستنخفض",
                kind=QuoteKind.indirect,
                cue="وأضافت",
                speaker=MINISTRY,
                speaker_mention="الوزارة",
                paragraph=1,
                start=19,
                end=64,
                confidence=0.8,
                method="extracted",
            ),
        ],
        "entities": [
            MentionPublic(entity=HADDAD, role=MentionRole.speaker, count=2),
            MentionPublic(entity=HADDAD, role=MentionRole.subject, count=1),
            MentionPublic(entity=MINISTRY, role=MentionRole.speaker, count=1),
            MentionPublic(entity=WIND_CITY, role=MentionRole.place, count=1),
            MentionPublic(entity=ANALYSTS, role=MentionRole.subject, count=1),
            MentionPublic(entity=EAST_WIRE, role=MentionRole.subject, count=1),
        ],
    }
    return ArticlePublic(**(fields | over))


def english_story(**over: Any) -> ArticlePublic:
    """A story written in English by a named reporter, not translated."""
    fields = _summary_fields(
        id="p8r6t1k3v7q2m9x4",
        guid="urn:demo:nordhaven:0077",
        version=1,
        language="en",
        headline="Harbour board approves new ferry route",
        summary=None,
        byline="Lina Voss",
        dateline=None,
        quote_count=0,
    ) | {
        "paragraphs": ["The harbour board approved the route on Monday."],
        "desk": None,
        "images": [],
        "provenance": Provenance(agency_item_id="NH-77"),
        "quotes": [],
        "entities": [MentionPublic(entity=HADDAD, role=MentionRole.subject, count=1)],
    }
    return ArticlePublic(**(fields | over))


def _url(article_id: str) -> str:
    return f"{BASE}/v1/articles/{article_id}"


# --- Media types -----------------------------------------------------------------


def test_media_types() -> None:
    assert (NINJS_TYPE, JSON_FEED_TYPE, ATOM_TYPE, JSON_LD_TYPE) == (
        "application/ninjs+json",
        "application/feed+json",
        "application/atom+xml",
        "application/ld+json",
    )


# --- ninjs -------------------------------------------------------------------------


def test_ninjs_full_story_field_by_field() -> None:
    doc = to_ninjs(arabic_story(), base_url=BASE + "/")  # a trailing slash must not double up

    assert doc["uri"] == _url("k3v7q2m9x4p8r6t1")
    assert doc["type"] == "text"
    assert doc["representationtype"] == "full"
    assert doc["version"] == "2"
    assert doc["language"] == "ar"
    assert doc["firstcreated"] == "2026-11-20T07:35:00Z"
    assert doc["versioncreated"] == "2026-11-20T10:10:00Z"
    assert doc["pubstatus"] == "usable"
    assert doc["headlines"] == [{"role": "main", "value": "وزير المالية: الموازنة الجديدة ستخفف الأعباء عن الأسر"}]
    assert doc["descriptions"] == [{"role": "summary", "value": "أعلنت حكومة قمرستان خطة لخفض الضرائب."}]
    assert doc["bodies"][0] == {"role": "main", "contenttype": "text/plain", "value": "\n\n".join(PARAGRAPHS)}
    assert doc["bodies"][1]["contenttype"] == "text/html"
    assert doc["by"] == "قسم الترجمة - وكالات"
    assert doc["located"] == "مدينة الريح"
    assert doc["subjects"] == [{"name": "Politics", "uri": f"{BASE}/v1/sections/politics", "rel": "section"}]
    assert doc["people"] == [
        {"name": "سامر الحداد", "uri": f"{BASE}/v1/entities/7", "rel": "speaker"},
        {"name": "سامر الحداد", "uri": f"{BASE}/v1/entities/7", "rel": "subject"},
    ]
    # government and agency are organisations; the unnamed group has no ninjs list.
    assert doc["organisations"] == [
        {"name": "وزارة المالية", "uri": f"{BASE}/v1/entities/8", "rel": "speaker"},
        {"name": "East Wire", "uri": f"{BASE}/v1/entities/3", "rel": "subject"},
    ]
    assert doc["places"] == [{"name": "مدينة الريح", "uri": f"{BASE}/v1/entities/9", "rel": "place"}]
    assert "analysts" not in json.dumps(doc) and "محللون" not in json.dumps(doc, ensure_ascii=False)
    assert doc["infosources"] == [{"name": "East Wire", "role": "source", "uri": f"{BASE}/v1/entities/3"}]
    assert doc["altids"] == [
        {"role": "guid", "value": "urn:newsml:east-wire:20261120:0412:ar"},
        {"role": "agency-item-id", "value": "EW-2026-11-20-0412"},
    ]
    assert doc["ednote"] == "Translated from en by قسم الترجمة (human)."


def test_ninjs_pictures_and_translation_association() -> None:
    doc = to_ninjs(arabic_story(), base_url=BASE)
    picture1, picture2, original = doc["associations"]

    assert picture1 == {
        "name": "picture1",
        "uri": "https://media.example.org/demo/a1.jpg",
        "type": "picture",
        "descriptions": [{"role": "caption", "value": "الحداد في مؤتمر صحفي"}],
        "copyrightholder": "East Wire",
        "renditions": [{"name": "original", "href": "https://media.example.org/demo/a1.jpg"}],
    }
    # The caption survives without a picture; its uri is a stable non-http URN, never a fake address.
    assert picture2["name"] == "picture2"
    assert picture2["descriptions"] == [{"role": "caption", "value": "سوق في مدينة الريح"}]
    assert "renditions" not in picture2 and "copyrightholder" not in picture2
    assert picture2["uri"].startswith("urn:uuid:")
    assert picture2["uri"] == to_ninjs(arabic_story(), base_url=BASE)["associations"][1]["uri"]

    assert original == {
        "name": "original",
        "rel": "translation-of",
        "uri": "https://wire.example.org/items/EW-2026-11-20-0412",
        "type": "text",
        "language": "en",
        "headlines": [{"role": "main", "value": "Qamaristan finance minister promises budget relief"}],
        "altids": [{"role": "agency-item-id", "value": "EW-2026-11-20-0412"}],
    }


def test_ninjs_quotes_extension() -> None:
    quotes = to_ninjs(arabic_story(), base_url=BASE)["x-wire-quotes"]["quotes"]
    assert quotes[0] == {
        "id": 101,
        "uri": f"{BASE}/v1/quotes/101",
        "text": "الموازنة الجديدة ستخفف الأعباء عن الأسر",
        "kind": "direct",
        "speaker": {"id": 7, "uri": f"{BASE}/v1/entities/7", "name": "سامر الحداد", "title": "وزير المالية"},
        "speaker_mention": "سامر الحداد",
        "paragraph": 0,
        "start": 47,
        "end": 86,
    }
    assert quotes[1]["kind"] == "indirect"
    assert quotes[1]["speaker"] == {"id": 8, "uri": f"{BASE}/v1/entities/8", "name": "وزارة المالية"}


def test_ninjs_only_standard_properties_besides_the_quotes_extension() -> None:
    doc = to_ninjs(arabic_story(), base_url=BASE)
    assert set(doc) - NINJS_2_PROPERTIES == {"x-wire-quotes"}
    for association in doc["associations"]:
        # `rel` on an association is ninjs 3.0; 2.x has only `name` besides the item properties.
        assert set(association) - NINJS_2_PROPERTIES <= {"name", "rel"}
        assert "name" in association
    json.dumps(doc)  # nothing left that JSON cannot carry (HttpUrl, datetime, enums)


def _empties(value: Any, path: str = "") -> list[str]:
    if value is None or value == [] or value == {}:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _empties(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _empties(v, f"{path}.{i}")]
    return []


@pytest.mark.parametrize("article", [arabic_story(), english_story(), summary(summary=None, byline=None, agencies=[])])
def test_ninjs_omits_rather_than_sends_null(article: ArticleSummary) -> None:
    doc = to_ninjs(article, base_url=BASE)
    # The quotes extension may say "no quotes"; nothing else is sent empty.
    assert [p for p in _empties(doc) if p != ".x-wire-quotes.quotes"] == []


def test_ninjs_html_body_is_escaped() -> None:
    html_body = to_ninjs(arabic_story(), base_url=BASE)["bodies"][1]["value"]
    assert html_body == (
        "<p>قال وزير المالية سامر الحداد الثلاثاء إن «الموازنة الجديدة ستخفف الأعباء عن الأسر».</p>\n"
        "<p>وأضافت الوزارة أن الضرائب على السلع &lt;الأساسية&gt; &amp; الأدوية ستنخفض.</p>"
    )
    attack = arabic_story(paragraphs=['<script>alert("x")</script>'])
    assert to_ninjs(attack, base_url=BASE)["bodies"][1]["value"] == (
        "<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p>"
    )


def test_ninjs_untranslated_story_has_no_original() -> None:
    doc = to_ninjs(english_story(), base_url=BASE)
    assert "associations" not in doc
    assert "ednote" not in doc
    assert "descriptions" not in doc and "located" not in doc
    assert doc["altids"][1] == {"role": "agency-item-id", "value": "NH-77"}
    # English stories use English names.
    assert doc["people"] == [{"name": "Samer Haddad", "uri": f"{BASE}/v1/entities/7", "rel": "subject"}]
    assert doc["x-wire-quotes"] == {"quotes": []}


def test_ninjs_translator_alone_marks_a_translation() -> None:
    story = arabic_story(provenance=Provenance(translated_by="قسم الترجمة"))
    doc = to_ninjs(story, base_url=BASE)
    (original,) = doc["associations"][2:]
    # Nothing known about the original but that it exists: no invented uri.
    assert original == {"name": "original", "rel": "translation-of", "type": "text"}
    assert doc["ednote"] == "Translated by قسم الترجمة."


def test_ninjs_summary_gives_what_it_has() -> None:
    doc = to_ninjs(summary(), base_url=BASE)
    assert doc["representationtype"] == "partial"
    assert doc["headlines"][0]["value"] == "وزير المالية: الموازنة الجديدة ستخفف الأعباء عن الأسر"
    assert doc["infosources"] == [{"name": "East Wire", "role": "source", "uri": f"{BASE}/v1/entities/3"}]
    for absent in ("bodies", "people", "organisations", "places", "associations", "ednote", "x-wire-quotes"):
        assert absent not in doc


@pytest.mark.parametrize("article", [summary(status=ArticleStatus.canceled), arabic_story(status="canceled")])
def test_ninjs_canceled_is_a_stub(article: ArticleSummary) -> None:
    assert to_ninjs(article, base_url=BASE) == {
        "uri": _url("k3v7q2m9x4p8r6t1"),
        "type": "text",
        "version": "2",
        "pubstatus": "canceled",
        "versioncreated": "2026-11-20T10:10:00Z",
        "headlines": [{"role": "main", "value": "وزير المالية: الموازنة الجديدة ستخفف الأعباء عن الأسر"}],
    }


def test_ninjs_withheld_keeps_its_status() -> None:
    assert to_ninjs(arabic_story(status=ArticleStatus.withheld), base_url=BASE)["pubstatus"] == "withheld"


def test_ninjs_naive_times_are_utc_and_section_slugs_are_encoded() -> None:
    story = summary(
        published_at=datetime(2026, 11, 20, 7, 35, 0, 250000),
        section=SectionRef(slug="محليات", name_ar="محليات", name_en="Local"),
    )
    doc = to_ninjs(story, base_url=BASE)
    assert doc["firstcreated"] == "2026-11-20T07:35:00.250000Z"
    assert doc["subjects"][0]["uri"] == f"{BASE}/v1/sections/%D9%85%D8%AD%D9%84%D9%8A%D8%A7%D8%AA"


def test_ninjs_reads_back_through_our_own_ninjs_reader() -> None:
    """What we serve as ninjs is what a partner would send us: the reader must get the story back."""
    story = arabic_story()
    back = parse_ninjs(json.loads(json.dumps(to_ninjs(story, base_url=BASE))))

    assert back.headline == story.headline
    assert back.summary == story.summary
    assert back.paragraphs == story.paragraphs
    assert back.language == "ar"
    assert back.section == "Politics"
    assert back.dateline == story.dateline
    assert back.byline == story.byline
    assert back.agencies == ["East Wire"]
    assert back.published_at == story.published_at
    assert back.updated_at == story.updated_at
    assert back.images == [
        Image(url="https://media.example.org/demo/a1.jpg", caption="الحداد في مؤتمر صحفي", credit="East Wire"),
        Image(url=None, caption="سوق في مدينة الريح", credit=None),
    ]
    prov = back.provenance
    assert prov.original_language == "en"
    assert prov.original_headline == story.provenance.original_headline
    assert prov.agency_item_id == "EW-2026-11-20-0412"
    assert str(prov.agency_url) == "https://wire.example.org/items/EW-2026-11-20-0412"
    assert {(t.name, t.kind) for t in back.entities} == {
        ("سامر الحداد", EntityKind.person),
        ("وزارة المالية", EntityKind.organization),
        ("East Wire", EntityKind.organization),
        ("مدينة الريح", EntityKind.place),
    }


# --- JSON Feed -------------------------------------------------------------------


def _feed(items: list[ArticleSummary], next_url: str | None = None) -> dict[str, Any]:
    return to_json_feed(
        title="Wire Quotes — سياسة",
        home_url=f"{BASE}/v1/articles",
        feed_url=f"{BASE}/v1/articles?format=json-feed",
        items=items,
        base_url=BASE,
        next_url=next_url,
    )


def test_json_feed_top_level() -> None:
    feed = _feed([summary()], next_url=f"{BASE}/v1/articles?format=json-feed&cursor=abc")
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == "Wire Quotes — سياسة"
    assert feed["home_page_url"] == f"{BASE}/v1/articles"
    assert feed["feed_url"] == f"{BASE}/v1/articles?format=json-feed"
    assert feed["next_url"] == f"{BASE}/v1/articles?format=json-feed&cursor=abc"
    assert "language" not in feed  # one page mixes languages
    assert "next_url" not in _feed([summary()])
    json.dumps(feed)


def test_json_feed_item() -> None:
    (item,) = _feed([summary()])["items"]
    url = _url("k3v7q2m9x4p8r6t1")
    assert item == {
        "id": url,
        "url": url,
        "title": "وزير المالية: الموازنة الجديدة ستخفف الأعباء عن الأسر",
        "summary": "أعلنت حكومة قمرستان خطة لخفض الضرائب.",
        "content_text": "أعلنت حكومة قمرستان خطة لخفض الضرائب.",
        "date_published": "2026-11-20T07:35:00Z",
        "date_modified": "2026-11-20T10:10:00Z",
        "language": "ar",
        "authors": [{"name": "قسم الترجمة - وكالات"}],
        "tags": ["Politics"],
        "_wire_quotes": {"about": f"{BASE}/docs", "quote_count": 2, "agencies": ["East Wire"]},
    }


def test_json_feed_item_without_summary_or_byline() -> None:
    (item,) = _feed([english_story(byline=None)])["items"]
    # content_text is required; the headline stands in for a missing standfirst.
    assert item["content_text"] == "Harbour board approves new ferry route"
    assert "summary" not in item and "authors" not in item
    assert item["_wire_quotes"]["about"]  # every JSON Feed extension must say where it is described


def test_json_feed_required_fields_and_no_killed_or_withheld_items() -> None:
    items = [
        summary(id="usable1"),
        summary(id="killed1", status=ArticleStatus.canceled),
        summary(id="held1", status=ArticleStatus.withheld),
        english_story(),
    ]
    feed = _feed(items)
    assert {"version", "title", "items"} <= set(feed)
    assert [i["id"] for i in feed["items"]] == [_url("usable1"), _url("p8r6t1k3v7q2m9x4")]
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert "content_text" in item or "content_html" in item
        assert all(k.startswith("_") or k in JSON_FEED_ITEM_KEYS for k in item)
    assert _feed([summary(status=ArticleStatus.canceled)])["items"] == []


# --- Atom --------------------------------------------------------------------------


def _atom(items: list[ArticleSummary], **over: Any) -> bytes:
    args: dict[str, Any] = {
        "title": "Wire Quotes: سياسة",
        "feed_id": f"{BASE}/v1/articles",
        "self_url": f"{BASE}/v1/articles?format=atom",
        "alternate_url": f"{BASE}/v1/articles",
        "updated": datetime(2026, 11, 20, 12, 0, tzinfo=PLUS3),
        "items": items,
        "base_url": BASE,
        "next_url": f"{BASE}/v1/articles?format=atom&cursor=xyz",
    }
    return to_atom(**(args | over))


def test_atom_feed_elements() -> None:
    raw = _atom([summary()])
    assert raw.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    root = ET.fromstring(raw)
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}id") == f"{BASE}/v1/articles"
    assert root.findtext(f"{ATOM}title") == "Wire Quotes: سياسة"
    assert root.findtext(f"{ATOM}updated") == "2026-11-20T09:00:00Z"
    assert root.findtext(f"{ATOM}author/{ATOM}name") == "Wire Quotes"
    links = {link.get("rel"): link.attrib for link in root.findall(f"{ATOM}link")}
    assert links["self"] == {"rel": "self", "type": "application/atom+xml", "href": f"{BASE}/v1/articles?format=atom"}
    assert links["next"]["href"] == f"{BASE}/v1/articles?format=atom&cursor=xyz"
    assert links["alternate"]["href"] == f"{BASE}/v1/articles"
    # Atom is the default namespace, not an ns0: prefix.
    assert b'<feed xmlns="http://www.w3.org/2005/Atom"' in raw


def test_atom_optional_links_are_left_out() -> None:
    root = ET.fromstring(_atom([summary()], alternate_url=None, next_url=None))
    assert [link.get("rel") for link in root.findall(f"{ATOM}link")] == ["self"]


def test_atom_entry() -> None:
    (entry,) = ET.fromstring(_atom([summary()])).findall(f"{ATOM}entry")
    url = _url("k3v7q2m9x4p8r6t1")
    assert entry.get(XML_LANG) == "ar"
    assert entry.findtext(f"{ATOM}id") == url
    assert entry.findtext(f"{ATOM}title") == "وزير المالية: الموازنة الجديدة ستخفف الأعباء عن الأسر"
    assert entry.findtext(f"{ATOM}updated") == "2026-11-20T10:10:00Z"
    assert entry.findtext(f"{ATOM}published") == "2026-11-20T07:35:00Z"
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == "قسم الترجمة - وكالات"
    summary_el = entry.find(f"{ATOM}summary")
    assert summary_el is not None and summary_el.get("type") == "text"
    assert summary_el.text == "أعلنت حكومة قمرستان خطة لخفض الضرائب."
    category = entry.find(f"{ATOM}category")
    assert category is not None
    assert (category.get("term"), category.get("label")) == ("politics", "Politics")
    link = entry.find(f"{ATOM}link")
    assert link is not None and (link.get("rel"), link.get("href")) == ("alternate", url)


def test_atom_entry_without_byline_relies_on_the_feed_author() -> None:
    root = ET.fromstring(_atom([summary(byline=None, summary=None)]))
    entry = root.find(f"{ATOM}entry")
    assert entry is not None
    assert entry.find(f"{ATOM}author") is None and entry.find(f"{ATOM}summary") is None
    assert root.findtext(f"{ATOM}author/{ATOM}name") == "Wire Quotes"


def test_atom_tombstone_for_a_killed_story() -> None:
    items = [
        summary(id="live1"),
        summary(id="dead1", status=ArticleStatus.canceled),
        summary(id="held1", status="withheld"),
    ]
    raw = _atom(items)
    root = ET.fromstring(raw)
    assert [e.findtext(f"{ATOM}id") for e in root.findall(f"{ATOM}entry")] == [_url("live1")]
    (deleted,) = root.findall(f"{AT}deleted-entry")
    # ref is the id the entry had, so a reader can match and drop it.
    assert deleted.get("ref") == _url("dead1")
    assert deleted.get("when") == "2026-11-20T10:10:00Z"
    assert deleted.findtext(f"{AT}comment") == "killed"
    assert b'xmlns:at="http://purl.org/atompub/tombstones/1.0"' in raw
    assert b"<at:deleted-entry " in raw
    # In place: after the entry that came before it.
    assert [child.tag for child in root][-2:] == [f"{ATOM}entry", f"{AT}deleted-entry"]


def test_atom_escapes_markup_and_keeps_rtl_text() -> None:
    headline = "‏«الحداد»: <b>الضرائب</b> & الرسوم ستنخفض‏"
    raw = _atom([summary(headline=headline, summary='a < b && c > "d"', byline="Tom & Jerry <desk>")])
    assert b"<b>" not in raw and b"&lt;b&gt;" in raw and b"&amp; " in raw
    entry = ET.fromstring(raw).find(f"{ATOM}entry")
    assert entry is not None
    assert entry.findtext(f"{ATOM}title") == headline
    assert entry.findtext(f"{ATOM}summary") == 'a < b && c > "d"'
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == "Tom & Jerry <desk>"


def test_atom_survives_characters_xml_cannot_carry() -> None:
    raw = _atom([summary(headline="عنوان\x0bمع\x1bمحرف تحكم")], title="feed\x01")
    root = ET.fromstring(raw)  # still well-formed
    assert root.findtext(f"{ATOM}entry/{ATOM}title") == "عنوان\ufffdمع\ufffdمحرف تحكم"
    assert root.findtext(f"{ATOM}title") == "feed\ufffd"


def test_atom_empty_page_is_a_valid_feed() -> None:
    root = ET.fromstring(_atom([]))
    assert root.findall(f"{ATOM}entry") == []
    assert root.findtext(f"{ATOM}id") == f"{BASE}/v1/articles"


def test_one_identity_across_formats() -> None:
    story = arabic_story()
    entry_id = ET.fromstring(_atom([story])).findtext(f"{ATOM}entry/{ATOM}id")
    ids = {
        to_ninjs(story, base_url=BASE)["uri"],
        _feed([story])["items"][0]["id"],
        entry_id,
        to_json_ld(story, base_url=BASE)["@id"],
    }
    assert ids == {_url("k3v7q2m9x4p8r6t1")}


# --- JSON-LD ------------------------------------------------------------------------


def test_json_ld_news_article() -> None:
    doc = to_json_ld(arabic_story(), base_url=BASE)
    url = _url("k3v7q2m9x4p8r6t1")
    assert doc["@context"] == "https://schema.org"
    assert doc["@type"] == "NewsArticle"
    assert doc["@id"] == doc["url"] == url
    assert doc["headline"] == "وزير المالية: الموازنة الجديدة ستخفف الأعباء عن الأسر"
    assert doc["description"] == "أعلنت حكومة قمرستان خطة لخفض الضرائب."
    assert doc["articleBody"] == "\n\n".join(PARAGRAPHS)
    assert doc["inLanguage"] == "ar"
    assert doc["datePublished"] == "2026-11-20T07:35:00Z"
    assert doc["dateModified"] == "2026-11-20T10:10:00Z"
    assert doc["dateline"] == "مدينة الريح"
    assert doc["articleSection"] == "سياسة"
    assert doc["author"] == {"@type": "Organization", "name": "قسم الترجمة"}
    assert doc["sourceOrganization"] == [{"@id": f"{BASE}/v1/entities/3", "@type": "Organization", "name": "East Wire"}]
    # The caption-only picture has no address to give.
    assert doc["image"] == [
        {
            "@type": "ImageObject",
            "url": "https://media.example.org/demo/a1.jpg",
            "caption": "الحداد في مؤتمر صحفي",
            "creditText": "East Wire",
        }
    ]
    assert "publisher" not in doc
    json.dumps(doc)


def test_json_ld_translation() -> None:
    doc = to_json_ld(arabic_story(), base_url=BASE)
    assert doc["translationOfWork"] == {
        "@type": "CreativeWork",
        "@id": "https://wire.example.org/items/EW-2026-11-20-0412",
        "url": "https://wire.example.org/items/EW-2026-11-20-0412",
        "inLanguage": "en",
        "headline": "Qamaristan finance minister promises budget relief",
        "identifier": "EW-2026-11-20-0412",
    }
    assert doc["isBasedOn"] == "https://wire.example.org/items/EW-2026-11-20-0412"
    assert doc["translator"] == {"@type": "Organization", "name": "قسم الترجمة"}

    by_person = to_json_ld(
        arabic_story(provenance=Provenance(original_language="fr", translated_by="Nadia Karam")), base_url=BASE
    )
    assert by_person["translator"] == {"@type": "Person", "name": "Nadia Karam"}
    assert by_person["translationOfWork"] == {"@type": "CreativeWork", "inLanguage": "fr"}
    assert "isBasedOn" not in by_person


def test_json_ld_mentions_and_types() -> None:
    doc = to_json_ld(arabic_story(), base_url=BASE)
    # One node per entity, whatever the number of roles; the unnamed group stays untyped.
    assert doc["mentions"] == [
        {"@id": f"{BASE}/v1/entities/7", "@type": "Person", "name": "سامر الحداد"},
        {"@id": f"{BASE}/v1/entities/8", "@type": "GovernmentOrganization", "name": "وزارة المالية"},
        {"@id": f"{BASE}/v1/entities/9", "@type": "Place", "name": "مدينة الريح"},
        {"@id": f"{BASE}/v1/entities/10", "name": "محللون"},
        {"@id": f"{BASE}/v1/entities/3", "@type": "Organization", "name": "East Wire"},
    ]


def test_json_ld_quotations() -> None:
    parts = to_json_ld(arabic_story(), base_url=BASE)["hasPart"]
    assert [p["@type"] for p in parts] == ["Quotation", "Quotation"]
    assert parts[0] == {
        "@type": "Quotation",
        "@id": f"{BASE}/v1/quotes/101",
        "text": "الموازنة الجديدة ستخفف الأعباء عن الأسر",
        "inLanguage": "ar",
        "creator": {
            "@id": f"{BASE}/v1/entities/7",
            "@type": "Person",
            "name": "سامر الحداد",
            "jobTitle": "وزير المالية",
        },
    }
    # An organisation has no jobTitle; an Arabic story falls back to the only name there is.
    assert parts[1]["creator"] == {
        "@id": f"{BASE}/v1/entities/8",
        "@type": "GovernmentOrganization",
        "name": "وزارة المالية",
    }


def test_json_ld_unresolved_speaker_keeps_the_words_used() -> None:
    story = arabic_story()
    quote = story.quotes[0].model_copy(update={"speaker": None, "speaker_mention": "مصدر مطلع"})
    parts = to_json_ld(story.model_copy(update={"quotes": [quote]}), base_url=BASE)["hasPart"]
    assert parts[0]["creator"] == {"name": "مصدر مطلع"}


def test_json_ld_english_story() -> None:
    doc = to_json_ld(english_story(), base_url=BASE)
    assert doc["articleSection"] == "Politics"
    assert doc["author"] == {"@type": "Person", "name": "Lina Voss"}
    assert doc["mentions"] == [{"@id": f"{BASE}/v1/entities/7", "@type": "Person", "name": "Samer Haddad"}]
    for absent in ("translationOfWork", "translator", "isBasedOn", "image", "hasPart", "description", "dateline"):
        assert absent not in doc


def test_json_ld_killed_story_keeps_only_its_identity() -> None:
    doc = to_json_ld(arabic_story(status=ArticleStatus.canceled), base_url=BASE)
    assert doc["@type"] == "NewsArticle"
    assert doc["creativeWorkStatus"] == "canceled"
    for absent in ("articleBody", "description", "image", "hasPart", "mentions", "translationOfWork"):
        assert absent not in doc
