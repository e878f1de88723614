"""ninjs 2.x (and 1.x) documents read into ArticleCreate, and every way one can be refused."""

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from app.models import ArticleStatus, EntityKind, EntityTag, Image, MentionRole, Provenance
from app.pipeline.formats import FormatError, parse_ninjs

PLUS3 = timezone(timedelta(hours=3))

# A fictional East Wire story translated into Arabic, with every mapped field present.
FULL: dict[str, Any] = {
    "uri": "urn:newsml:east-wire:20261120:0412:ar",
    "type": "text",
    "version": "2",
    "language": "ar",
    "firstcreated": "2026-11-20T10:35:00+03:00",
    "versioncreated": "2026-11-20T13:10:00+03:00",
    "pubstatus": "usable",
    "urgency": 3,
    "headlines": [
        {"role": "short", "value": "الحداد: موازنة تخفف الأعباء"},
        {"role": "main", "value": "وزير المالية:  الموازنة الجديدة ستخفف الأعباء عن الأسر"},
    ],
    "descriptions": [
        {"role": "alt", "value": "ليس ملخصاً"},
        {"role": "summary", "value": "أعلنت حكومة قمرستان خطة لخفض الضرائب."},
    ],
    "bodies": [
        {"contenttype": "text/html", "value": "<p>نسخة HTML لا تستعمل.</p>"},
        {
            "contenttype": "text/plain",
            "value": "قال وزير المالية سامر الحداد الثلاثاء إن الموازنة ستخفف الأعباء.\n\n"
            "وأضاف أن الضرائب\nعلى السلع الأساسية ستنخفض.\n\n\n",
        },
    ],
    "by": "قسم الترجمة - وكالات",
    "located": "مدينة الريح",
    "subjects": [
        {"name": "الضرائب", "uri": "http://cv.iptc.org/newscodes/mediatopic/20000538"},
        {"name": "اقتصاد", "uri": "http://cv.iptc.org/newscodes/mediatopic/04000000"},
        {"name": "سياسة", "rel": "section"},
    ],
    "people": [
        {"name": "سامر الحداد", "rel": "subject", "uri": "http://www.wikidata.org/entity/Q999999990001"},
        {"literal": "ليلى الزيات"},
        {"uri": "http://www.wikidata.org/entity/Q999999990002"},
        {"name": "سامر الحداد"},
    ],
    "organisations": [{"name": "وزارة المالية", "uri": "https://www.wikidata.org/wiki/Q999999990003"}],
    "places": [{"name": "مدينة الريح", "rel": "located"}],
    "infosources": [
        {"name": "East Wire", "role": "source", "uri": "https://wire.example.org"},
        {"name": "Coral News Agency", "role": "source"},
        {"name": "East Wire"},
    ],
    "associations": [
        {
            "name": "picture1",
            "type": "picture",
            "uri": "urn:east-wire:pic:1",
            "headlines": [{"value": "الحداد في المؤتمر"}],
            "descriptions": [{"role": "caption", "value": "وزير المالية سامر الحداد خلال مؤتمر صحفي"}],
            "copyrightholder": "East Wire",
            "by": "Nadia Kerr",
            "renditions": [
                {"name": "thumbnail", "href": "https://media.example.org/p1-thumb.jpg", "width": 160},
                {"name": "original", "href": "https://media.example.org/p1.jpg", "width": 3000},
            ],
        },
        {
            "name": "picture2",
            "type": "picture",
            "headline": "مقر الوزارة",
            "by": "Omar Wade",
            "renditions": [
                {"name": "small", "href": "https://media.example.org/p2-s.jpg", "width": 400},
                {"name": "medium", "href": "https://media.example.org/p2-m.jpg", "width": 1200},
            ],
        },
        {
            "name": "original",
            "rel": "translation-of",
            "type": "text",
            "uri": "https://wire.example.org/items/EW-2026-11-20-0412",
            "language": "en",
            "headlines": [{"role": "main", "value": "Qamaristan finance minister promises budget relief"}],
        },
        {"name": "video1", "type": "video", "uri": "https://media.example.org/v.mp4"},
    ],
    "altids": [
        {"role": "internal", "value": "CMS-99812"},
        {"role": "agency-id", "value": "EW-2026-11-20-0412"},
    ],
    "genres": [{"name": "news"}],
    "x-our-extension": {"anything": ["goes"]},
}


def test_full_document_maps_every_field() -> None:
    article = parse_ninjs(FULL)
    assert article.guid == "urn:newsml:east-wire:20261120:0412:ar"
    assert article.language == "ar"
    assert article.headline == "وزير المالية: الموازنة الجديدة ستخفف الأعباء عن الأسر"
    assert article.summary == "أعلنت حكومة قمرستان خطة لخفض الضرائب."
    assert article.paragraphs == [
        "قال وزير المالية سامر الحداد الثلاثاء إن الموازنة ستخفف الأعباء.",
        "وأضاف أن الضرائب على السلع الأساسية ستنخفض.",
    ]
    assert article.byline == "قسم الترجمة - وكالات"
    assert article.desk == "قسم الترجمة"
    assert article.dateline == "مدينة الريح"
    assert article.published_at == datetime(2026, 11, 20, 10, 35, tzinfo=PLUS3)
    assert article.updated_at == datetime(2026, 11, 20, 13, 10, tzinfo=PLUS3)
    assert article.status is ArticleStatus.usable
    # The top-level media topic comes before the subject marked as a section: first match wins.
    assert article.section == "اقتصاد"
    assert article.agencies == ["East Wire", "Coral News Agency"]
    assert article.entities == [
        EntityTag(name="سامر الحداد", kind=EntityKind.person, role=MentionRole.subject, wikidata_qid="Q999999990001"),
        EntityTag(name="ليلى الزيات", kind=EntityKind.person, role=MentionRole.subject),
        EntityTag(
            name="وزارة المالية", kind=EntityKind.organization, role=MentionRole.subject, wikidata_qid="Q999999990003"
        ),
        EntityTag(name="مدينة الريح", kind=EntityKind.place, role=MentionRole.place),
    ]
    assert article.images == [
        Image.model_validate(
            {
                "url": "https://media.example.org/p1.jpg",
                "caption": "وزير المالية سامر الحداد خلال مؤتمر صحفي",
                "credit": "East Wire",
            }
        ),
        Image.model_validate(
            {"url": "https://media.example.org/p2-m.jpg", "caption": "مقر الوزارة", "credit": "Omar Wade"}
        ),
    ]
    assert article.provenance == Provenance.model_validate(
        {
            "original_language": "en",
            "original_headline": "Qamaristan finance minister promises budget relief",
            "agency_item_id": "EW-2026-11-20-0412",
            "agency_url": "https://wire.example.org/items/EW-2026-11-20-0412",
        }
    )


def test_html_body_is_split_on_blocks_with_script_and_figures_dropped() -> None:
    doc = {
        "uri": "urn:test:html",
        "headlines": [{"value": "<b>Windcity</b> &amp; the sea", "contenttype": "text/html"}],
        "firstcreated": "2026-11-20T08:00:00Z",
        "bodies": [
            {
                "contenttype": "text/html",
                "value": (
                    "<h2>Harbour &amp; quotas</h2>\n<p>First   paragraph,\nwith a <a href='#'>link</a> "
                    "&quot;quoted&quot;&nbsp;text.</p><script>alert('x'); document.write('<p>injected</p>')</script>"
                    "<figure><img src='a.jpg'><figcaption>A caption</figcaption></figure>"
                    "<p>Second<br>line<br><br>Third after two breaks &lt;3</p><style>p{color:red}</style>"
                    "<ul><li>One item</li></ul><p>  </p>trailing text"
                ),
            }
        ],
    }
    article = parse_ninjs(doc)
    assert article.headline == "Windcity & the sea"
    assert article.paragraphs == [
        "Harbour & quotas",
        'First paragraph, with a link "quoted" text.',
        "Second line",
        "Third after two breaks <3",
        "One item",
        "trailing text",
    ]
    assert article.language == "en"  # detected: the document gave none
    assert article.section == "general"
    assert article.published_at == datetime(2026, 11, 20, 8, tzinfo=UTC)
    assert article.updated_at is None


def test_html_without_tags_is_read_as_plain_text() -> None:
    doc = {"uri": "u", "headline": "h", "firstcreated": "2026-11-20T08:00:00Z", "body_html": "a\n\nb"}
    assert parse_ninjs(doc).paragraphs == ["a", "b"]


NINJS_1X: dict[str, Any] = {
    "uri": "urn:test:1x",
    "headline": "  Coral Islands elects a new parliament ",
    "description_text": "Turnout was the highest in a decade.",
    "body_html": "<p>Voters in the Coral Islands chose a new parliament on Sunday.</p><p>Counting continues.</p>",
    "byline": "Tom Reyes | Northwind Press",
    "versioncreated": "2026-11-22T18:00:00+00:00",
    "pubstatus": "withheld",
    "subject": [{"code": "subj:11000000", "scheme": "http://cv.iptc.org/newscodes/subjectcode/"}],
    "person": [{"name": "Tomas Reyne"}],
    "place": [{"name": "Coral Islands"}],
    "associations": {
        "featureimage": {
            "type": "picture",
            "description_text": "Voters queue in Port Amber.",
            "renditions": {
                "thumbnail": {"href": "https://media.example.org/v-t.jpg"},
                "baseImage": {"href": "https://media.example.org/v-b.jpg"},
            },
        }
    },
    "altids": {"cms": "4411", "northwindpress": "NW-20261122-77"},
}


def test_ninjs_1x_fallbacks() -> None:
    article = parse_ninjs(NINJS_1X)
    assert article.headline == "Coral Islands elects a new parliament"
    assert article.summary == "Turnout was the highest in a decade."
    assert article.paragraphs == [
        "Voters in the Coral Islands chose a new parliament on Sunday.",
        "Counting continues.",
    ]
    assert article.byline == "Tom Reyes | Northwind Press"
    assert article.desk is None
    assert article.agencies == ["Northwind Press"]  # no infosources: taken from the byline
    # Only versioncreated: it is both times.
    assert article.published_at == article.updated_at == datetime(2026, 11, 22, 18, tzinfo=UTC)
    assert article.status is ArticleStatus.withheld
    assert article.section == "politics"  # a top-level subject code with no name
    assert [(e.name, e.kind, e.role) for e in article.entities] == [
        ("Tomas Reyne", EntityKind.person, MentionRole.subject),
        ("Coral Islands", EntityKind.place, MentionRole.place),
    ]
    assert article.images == [
        Image.model_validate({"url": "https://media.example.org/v-b.jpg", "caption": "Voters queue in Port Amber."})
    ]
    # The altid keyed by the credited agency's name is the agency's item id.
    assert article.provenance.agency_item_id == "NW-20261122-77"


def test_plain_body_wins_over_html_and_text_body_over_1x() -> None:
    doc = copy.deepcopy(NINJS_1X)
    doc["body_text"] = "Plain one.\n\nPlain two."
    assert parse_ninjs(doc).paragraphs == ["Plain one.", "Plain two."]


def test_guid_argument_used_only_without_uri() -> None:
    doc = copy.deepcopy(NINJS_1X)
    assert parse_ninjs(doc, guid="urn:given").guid == "urn:test:1x"
    del doc["uri"]
    assert parse_ninjs(doc, guid="urn:given").guid == "urn:given"


def test_translation_link_in_altids() -> None:
    doc = copy.deepcopy(NINJS_1X)
    doc["altids"] = [
        {"role": "original", "value": "https://wire.example.org/items/NW-77"},
        {"role": "translation-of", "value": "NW-77"},
    ]
    prov = parse_ninjs(doc).provenance
    assert str(prov.agency_url) == "https://wire.example.org/items/NW-77"
    assert prov.agency_item_id == "NW-77"


def test_canceled_status_and_unknown_fields_ignored() -> None:
    doc = copy.deepcopy(NINJS_1X)
    doc |= {"pubstatus": "canceled", "ednote": "kill", "embargoed": None, "x": [1, 2]}
    assert parse_ninjs(doc).status is ArticleStatus.canceled


def _without(key: str) -> dict[str, Any]:
    doc = copy.deepcopy(FULL)
    del doc[key]
    return doc


def _with(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(FULL)
    doc.update(changes)
    return doc


ERRORS: list[tuple[str, object, str, str]] = [
    ("not an object", ["uri"], "", "expected an object"),
    ("no uri, no guid", _without("uri"), "uri", "missing"),
    ("empty uri, no guid", _with(uri="  "), "uri", "missing"),
    ("uri not a string", _with(uri=42), "uri", "expected a string"),
    ("headlines not a list", _with(headlines="x"), "headlines", "expected a list"),
    ("headline item not an object", _with(headlines=["x"]), "headlines.0", "expected an object"),
    ("headline value not a string", _with(headlines=[{"value": 3}]), "headlines.0.value", "expected a string"),
    ("no headline", _with(headlines=[{"value": "  "}]), "headlines", "missing"),
    ("headline too long", _with(headlines=[{"value": "x" * 1001}]), "headlines.0.value", "at most 1000"),
    ("no body at all", _without("bodies"), "bodies", "missing"),
    (
        "only a nitf body",
        _with(bodies=[{"contenttype": "application/nitf+xml", "value": "<nitf/>"}]),
        "bodies",
        "no text/plain",
    ),
    ("blank plain body", _with(bodies=[{"contenttype": "text/plain", "value": " \n\n "}]), "bodies.0.value", "no body"),
    (
        "html body with only script",
        _with(bodies=[{"contenttype": "text/html", "value": "<script>x</script>"}]),
        "bodies.0.value",
        "no body",
    ),
    (
        "body value not a string",
        _with(bodies=[{"contenttype": "text/plain", "value": ["a"]}]),
        "bodies.0.value",
        "expected a string",
    ),
    (
        "no dates",
        {k: v for k, v in FULL.items() if k not in ("firstcreated", "versioncreated")},
        "firstcreated",
        "missing",
    ),
    ("date not a string", _with(firstcreated=20261120), "firstcreated", "expected a string"),
    ("date not ISO", _with(versioncreated="20 Nov 2026"), "versioncreated", "ISO 8601"),
    ("date without offset", _with(firstcreated="2026-11-20T10:35:00"), "firstcreated", "time zone"),
    ("unknown pubstatus", _with(pubstatus="embargoed"), "pubstatus", "usable"),
    ("by not a string", _with(by=["a"]), "by", "expected a string"),
    ("language malformed", _with(language="arabic language"), "language", "pattern"),
    ("people not a list", _with(people="x"), "people", "expected a list"),
    ("person name not a string", _with(people=[{"name": 7}]), "people.0.name", "expected a string"),
    ("person name too long", _with(people=[{"name": "x" * 301}]), "people.0.name", "at most 300"),
    ("infosource not an object", _with(infosources=[1]), "infosources.0", "expected an object"),
    (
        "rendition href not a URL",
        _with(associations=[{"type": "picture", "renditions": [{"href": "nope"}]}]),
        "associations.0.renditions.0.href",
        "URL",
    ),
    ("altids wrong type", _with(altids="x"), "altids", "expected a list"),
    ("altid dict value not a string", _with(altids={"agency": 5}), "altids.agency", "expected a string"),
    ("NUL in headline", _with(headlines=[{"value": "a\x00b"}]), "headlines.0.value", "NUL"),
    ("lone surrogate in body", _with(bodies=[{"value": "a\ud800b"}]), "bodies.0.value", "invalid Unicode"),
    ("picture item", _with(type="picture"), "type", "text item"),
    (
        "translation link url invalid",
        _with(associations=[{"rel": "original", "uri": "https://"}]),
        "associations.0.uri",
        "URL",
    ),
]


@pytest.mark.parametrize(("doc", "field", "message"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_format_errors_name_the_input_field(doc: object, field: str, message: str) -> None:
    with pytest.raises(FormatError) as caught:
        parse_ninjs(doc)
    assert caught.value.field == field
    assert message.casefold() in caught.value.message.casefold()
    assert isinstance(caught.value, ValueError)


def test_guid_argument_with_nul_is_refused() -> None:
    with pytest.raises(FormatError) as caught:
        parse_ninjs(_without("uri"), guid="a\x00")
    assert caught.value.field == "guid"


def test_is_deterministic_and_does_not_mutate_input() -> None:
    doc = copy.deepcopy(FULL)
    assert parse_ninjs(doc) == parse_ninjs(doc)
    assert doc == FULL


def test_embargo_is_read() -> None:
    doc = copy.deepcopy(FULL)
    doc["embargoed"] = "2026-12-01T06:00:00+03:00"
    assert parse_ninjs(doc).embargoed == datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    doc["embargoed"] = "soon"
    with pytest.raises(FormatError) as caught:
        parse_ninjs(doc)
    assert caught.value.field == "embargoed"
