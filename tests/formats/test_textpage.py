"""Copied article pages (fictional sites, under samples/) read into ArticleCreate."""

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from app.pipeline.formats import FormatError, parse_text_page
from app.pipeline.normalize import normalize

SAMPLES = Path(__file__).parent / "samples"
PLUS2 = timezone(timedelta(hours=2))
PLUS3 = timezone(timedelta(hours=3))


@dataclass(frozen=True)
class Expected:
    file: str
    headline: str
    section: str
    published_at: datetime
    updated_at: datetime | None
    byline: str | None
    desk: str | None
    agencies: list[str]
    language: str
    paragraphs: list[str]
    captions: list[tuple[str, str | None]]
    summary: str | None = None
    translated_by: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


CASES = [
    Expected(
        file="ar_politics.txt",
        headline="وزير خارجية قمرستان يدعو إلى هدنة فورية في إقليم السهول",
        section="عربي ودولي",
        published_at=datetime(2026, 11, 20, 10, 35, tzinfo=PLUS2),
        updated_at=datetime(2026, 11, 20, 13, 10, tzinfo=PLUS2),
        byline="قسم الترجمة- وكالات",
        desk="قسم الترجمة",
        agencies=[],
        language="ar",
        paragraphs=[
            "دعا وزير خارجية قمرستان، نادر السمّان، الجمعة إلى هدنة فورية في إقليم السهول، محذراً من أن استمرار القتال "
            '"سيقوّض أي فرصة للحل السياسي".',
            'وقال السمّان في مؤتمر صحفي عقده في العاصمة مدينة الريح إن بلاده "مستعدة لاستضافة جولة جديدة من المحادثات" '
            "بين الأطراف المتنازعة.",
            "وأضاف الوزير أن الاتصالات مع دول الجوار مستمرة، مشيراً إلى أن وفداً رسمياً سيتوجه إلى إقليم السهول مطلع "
            "الأسبوع المقبل.",
            "ولم يصدر أي تعليق فوري من قادة الفصائل المسلحة في الإقليم.",
        ],
        captions=[("صورة أرشيفية لوزير خارجية قمرستان خلال مؤتمر صحفي في مدينة الريح", "وكالات")],
    ),
    Expected(
        file="ar_economy_levant.txt",
        headline="البنك المركزي في قمرستان يرفع سعر الفائدة للمرة الثالثة هذا العام",
        section="أسواق",
        published_at=datetime(2026, 11, 20, 10, 35, tzinfo=PLUS2),
        updated_at=datetime(2026, 11, 20, 13, 10, tzinfo=PLUS2),
        byline="ترجمة: قسم الترجمة | المصدر: وكالة نسيم للأنباء",
        desk="قسم الترجمة",
        agencies=["وكالة نسيم للأنباء"],
        language="ar",
        paragraphs=[
            "رفع البنك المركزي في قمرستان سعر الفائدة الرئيسي بمقدار نصف نقطة مئوية إلى ٧٫٥ في المئة، في ثالث زيادة من "
            "نوعها منذ مطلع العام.",
            'وقالت محافظة البنك، ليلى الزيات، في بيان إن القرار يهدف إلى "كبح التضخم الذي بلغ مستويات غير مسبوقة".',
            "وأظهرت بيانات رسمية نشرت الأسبوع الماضي أن معدل التضخم السنوي ارتفع إلى ١١ في المئة في تشرين الأول.",
            "ويتوقع محللون أن يواصل البنك سياسة التشديد النقدي خلال الربع الأول من العام المقبل.",
        ],
        captions=[("مقر البنك المركزي في مدينة الريح (أرشيفية)", None)],
        translated_by="قسم الترجمة",
    ),
    Expected(
        file="ar_sports_numeric.txt",
        headline="منتخب قمرستان يتأهل إلى نهائي كأس القارات للمرة الأولى",
        section="رياضة",
        published_at=datetime(2026, 11, 20, 22, 15, tzinfo=PLUS2),
        updated_at=None,
        byline="كتب: قسم الأخبار الرياضية - وكالة السنبلة ووكالة بريق للأنباء",
        desk="قسم الأخبار الرياضية",
        agencies=["وكالة السنبلة", "وكالة بريق للأنباء"],
        language="ar",
        paragraphs=[
            "تأهل منتخب قمرستان لكرة القدم إلى نهائي كأس القارات للمرة الأولى في تاريخه، بعد فوزه على منتخب جزر "
            "المرجان بهدفين دون رد مساء الخميس.",
            "وسجل المهاجم سليم القطان الهدفين في الشوطين الأول والثاني، ليقود فريقه إلى مواجهة حاملة اللقب في المباراة "
            "النهائية.",
            'وقال المدرب فؤاد الحلبي عقب المباراة: "هذا إنجاز لكل الجماهير التي وقفت خلفنا".',
            "ومن المقرر أن تقام المباراة النهائية يوم الأحد المقبل على ملعب العاصمة.",
        ],
        captions=[("لاعبو منتخب قمرستان يحتفلون بالفوز في ملعب مدينة الريح", None)],
    ),
    Expected(
        file="ar_culture_standfirst.txt",
        headline="افتتاح متحف الفنون الحديثة في مدينة الريح بعد عشر سنوات من الترميم",
        section="ثقافة",
        published_at=datetime(2026, 11, 20, 9, 5, tzinfo=PLUS2),
        updated_at=datetime(2026, 11, 20, 11, 40, tzinfo=PLUS2),
        byline="بقلم: منى الدباغ | وكالة المرجان للأنباء",
        desk=None,
        agencies=["وكالة المرجان للأنباء"],
        language="ar",
        paragraphs=[
            "وحضر حفل الافتتاح عدد من الفنانين والمسؤولين، بينهم وزيرة الثقافة سعاد النعيمي التي وصفت المتحف بأنه "
            '"ذاكرة المدينة".',
            "ويضم المتحف أكثر من ثلاثة آلاف عمل فني، من بينها لوحات نادرة تعود إلى مطلع القرن الماضي.",
            "وقالت مديرة المتحف، رنا الخطيب، إن الدخول سيكون مجانياً خلال الشهر الأول.",
        ],
        captions=[("جانب من قاعة العرض الرئيسية في المتحف", "وكالة المرجان")],
        summary="افتتح متحف الفنون الحديثة في مدينة الريح أبوابه أمام الزوار بعد أعمال ترميم استمرت عشر سنوات.",
    ),
    Expected(
        file="en_world.txt",
        headline="Qamaristan and Coral Islands sign fishing accord after decade-long dispute",
        section="World",
        published_at=datetime(2026, 11, 20, 10, 35, tzinfo=PLUS2),
        updated_at=datetime(2026, 11, 20, 13, 10, tzinfo=PLUS2),
        byline="By Laura Finch | Northwind Press",
        desk=None,
        agencies=["Northwind Press"],
        language="en",
        paragraphs=[
            "Qamaristan and the Coral Islands signed an agreement on Friday that ends a decade-long dispute over "
            "fishing rights in the waters between them.",
            "The accord, signed in Windcity by the two countries' foreign ministers, sets annual quotas and creates a "
            "joint patrol to stop illegal fishing.",
            '"This is a good day for our fishermen," said Coral Islands Foreign Minister Tomas Reyne.',
            "Environmental groups welcomed the deal but said the quotas were still too high.",
        ],
        captions=[("A fishing boat in the harbour of Windcity, Qamaristan. (File photo)", None)],
    ),
    Expected(
        file="en_business_gmt.txt",
        headline="Windcity stocks fall for a fifth day as bank shares slide",
        section="Markets",
        # The page gives its own offset, which wins over the timezone argument.
        published_at=datetime(2026, 11, 20, 10, 35, tzinfo=PLUS3),
        updated_at=datetime(2026, 11, 20, 13, 10, tzinfo=PLUS3),
        byline="By Staff, Business Desk | Halcyon Wire and Eastgate News Agency",
        desk="Business Desk",
        agencies=["Halcyon Wire", "Eastgate News Agency"],
        language="en",
        paragraphs=[
            "Shares in Windcity fell for a fifth straight session on Friday, led by a slide in bank stocks after the "
            "central bank raised interest rates again.",
            "The main index closed 1.8% lower, its longest losing streak since March.",
            'Analysts at Eastgate Capital said lenders would face "a difficult few quarters" as borrowing costs rise.',
            "Bank shares have lost almost 12% since the start of the month, according to exchange data.",
        ],
        captions=[("Traders at the Windcity stock exchange on Thursday.", "Mira Sol/Halcyon Wire")],
        summary="Investors worry that higher interest rates will squeeze lenders' profits.",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.file for c in CASES])
def test_sample_page(case: Expected) -> None:
    page = (SAMPLES / case.file).read_text(encoding="utf-8")
    article = parse_text_page(page, timezone=PLUS2)
    assert article.headline == case.headline
    assert article.section == case.section
    assert article.published_at == case.published_at
    assert article.published_at.utcoffset() == case.published_at.utcoffset()
    assert article.updated_at == case.updated_at
    assert article.byline == case.byline
    assert article.desk == case.desk
    assert article.agencies == case.agencies
    assert article.language == case.language
    assert article.paragraphs == case.paragraphs
    assert [(i.url, i.caption, i.credit) for i in article.images] == [(None, c, k) for c, k in case.captions]
    assert article.summary == case.summary
    assert article.provenance.translated_by == case.translated_by
    digest = hashlib.sha256(f"{normalize(case.headline)}\n{case.published_at.astimezone(UTC).isoformat()}".encode())
    assert article.guid == "urn:textpage:" + digest.hexdigest()[:32]


def test_zoneinfo_timezone_is_applied_to_naive_page_times() -> None:
    page = (SAMPLES / "ar_sports_numeric.txt").read_text(encoding="utf-8")
    article = parse_text_page(page, timezone=ZoneInfo("Asia/Amman"))
    assert article.published_at == datetime(2026, 11, 20, 22, 15, tzinfo=ZoneInfo("Asia/Amman"))


def test_edited_body_keeps_guid_and_guid_argument_wins() -> None:
    page = (SAMPLES / "ar_politics.txt").read_text(encoding="utf-8")
    edited = page.replace("ولم يصدر أي تعليق فوري", "ولم يصدر حتى الآن أي تعليق")
    first, second = parse_text_page(page), parse_text_page(edited)
    assert first.paragraphs != second.paragraphs
    assert first.guid == second.guid
    assert parse_text_page(page, guid="urn:mine").guid == "urn:mine"


PAGE_WITHOUT_DATE = """موقع تجريبي

هيئة الموانئ في قمرستان تعلن توسعة ميناء مدينة الريح

أعلنت هيئة الموانئ في قمرستان بدء أعمال توسعة ميناء مدينة الريح الأسبوع المقبل.
"""


def test_missing_date_falls_back_to_now_with_a_stable_guid() -> None:
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    article = parse_text_page(PAGE_WITHOUT_DATE, now=now)
    assert article.published_at == now
    assert article.updated_at is None
    assert article.headline == "هيئة الموانئ في قمرستان تعلن توسعة ميناء مدينة الريح"
    assert article.section == "general"
    later = parse_text_page(PAGE_WITHOUT_DATE, now=now + timedelta(hours=5))
    assert later.guid == article.guid
    naive = parse_text_page(PAGE_WITHOUT_DATE, now=datetime(2026, 12, 1, 9), timezone=PLUS3)
    assert naive.published_at == datetime(2026, 12, 1, 9, tzinfo=PLUS3)


DATE_FORMS = [
    ("نشر في: ٢٠ نوفمبر ٢٠٢٦ - ١٠:٣٥ م", datetime(2026, 11, 20, 22, 35), None),
    ("الخميس 20 تشرين الثاني/نوفمبر 2026 الساعة 12:05 ص", datetime(2026, 11, 20, 0, 5), None),
    ("20/11/2026 09:00 | آخر تحديث 21/11/2026 07:30", datetime(2026, 11, 20, 9), datetime(2026, 11, 21, 7, 30)),
    ("2026-11-20 12:30 م", datetime(2026, 11, 20, 12, 30), None),
    ("Posted Friday, 20 November 2026 at 9:15 p.m.", datetime(2026, 11, 20, 21, 15), None),
    ("Nov. 20, 2026", datetime(2026, 11, 20), None),
    ("تاريخ النشر: 5 جوان 2026 | تاريخ التحديث: 6 جوان 2026", datetime(2026, 6, 5), datetime(2026, 6, 6)),
]


@pytest.mark.parametrize(("line", "published", "updated"), DATE_FORMS, ids=[d[0] for d in DATE_FORMS])
def test_date_forms(line: str, published: datetime, updated: datetime | None) -> None:
    page = f"عنوان الخبر التجريبي عن ميناء مدينة الريح\n{line}\n\nقالت الهيئة إن التوسعة ستكتمل العام المقبل.\n"
    article = parse_text_page(page, timezone=PLUS3)
    assert article.published_at == published.replace(tzinfo=PLUS3)
    assert article.updated_at == (updated.replace(tzinfo=PLUS3) if updated else None)


def test_invalid_calendar_date_is_ignored_not_a_crash() -> None:
    page = "عنوان الخبر التجريبي عن ميناء مدينة الريح\n31/02/2026 10:00\n\nقالت الهيئة إن التوسعة ستكتمل قريبا.\n"
    now = datetime(2026, 3, 1, tzinfo=UTC)
    assert parse_text_page(page, now=now).published_at == now


@pytest.mark.parametrize(
    ("page", "field"),
    [
        ("", "body"),
        ("الرئيسية\nأخبار\nسياسة\nاتصل بنا\n", "body"),
        ("Home\n\nAdvertisement\n\nShare\n", "body"),
        ("هذه جملة كاملة.\n", "headline"),
        ("عنوان الخبر التجريبي عن ميناء مدينة الريح\n\nقالت\x00 الهيئة إن التوسعة ستكتمل.\n", "text"),
        ("عنوان الخبر التجريبي عن ميناء مدينة الريح\n\nقالت\ud800 الهيئة إن التوسعة ستكتمل.\n", "text"),
        ("عنوان " * 300 + "طويل جدا\n\nقالت الهيئة إن التوسعة ستكتمل العام المقبل.\n", "headline"),
    ],
    ids=["empty", "only-menu", "only-chrome", "no-headline", "nul", "surrogate", "headline-too-long"],
)
def test_errors(page: str, field: str) -> None:
    with pytest.raises(FormatError) as caught:
        parse_text_page(page)
    assert caught.value.field == field


def test_no_body_message() -> None:
    with pytest.raises(FormatError, match="no body paragraphs found"):
        parse_text_page("Home\n\nShare\n")


def test_not_a_string() -> None:
    with pytest.raises(FormatError):
        parse_text_page(b"bytes")  # type: ignore[arg-type]


def test_script_text_and_bidi_marks() -> None:
    page = (
        "\u200fعنوان الخبر التجريبي عن ميناء مدينة الريح\u200f\r\n"
        "2026/11/20 10:00\r\n\r\n"
        "\u200fقالت الهيئة\u00a0إن التوسعة ستكتمل العام المقبل.\u200f\r\n"
    )
    article = parse_text_page(page)
    assert article.headline == "عنوان الخبر التجريبي عن ميناء مدينة الريح"
    assert article.paragraphs == ["قالت الهيئة إن التوسعة ستكتمل العام المقبل."]


# Written after the parser was finished. Their first, unchanged run got headline and dates wrong; the
# general fixes that followed are in the parser, and what is still missed is recorded as xfail below.
UNSEEN_HEADLINES = {
    "unseen_ar_gulf.txt": "قمرستان وجزر المرجان تتفقان على ربط شبكتي الكهرباء بحلول 2028",
    "unseen_en_live.txt": "Coral Islands declares climate emergency as sea level data alarms scientists",
}


def test_unseen_arabic_page() -> None:
    article = parse_text_page((SAMPLES / "unseen_ar_gulf.txt").read_text(encoding="utf-8"), timezone=PLUS3)
    assert article.headline == UNSEEN_HEADLINES["unseen_ar_gulf.txt"]
    assert article.published_at == datetime(2026, 11, 18, 12, 40, tzinfo=PLUS3)
    assert article.updated_at is None
    assert article.byline == "ترجمة: هبة الصافي - عن وكالة الأفق للأنباء"
    assert article.agencies == ["وكالة الأفق للأنباء"]
    assert article.provenance.translated_by == "هبة الصافي"
    assert article.language == "ar"
    assert [p[:20] for p in article.paragraphs] == [
        "وقّعت قمرستان وجزر ا",
        "وقال وزير الطاقة في ",
        "وتبلغ الكلفة التقدير",
        "من جهتها، أكدت وزيرة",
    ]


def test_unseen_english_page() -> None:
    article = parse_text_page((SAMPLES / "unseen_en_live.txt").read_text(encoding="utf-8"), timezone=PLUS3)
    assert article.headline == UNSEEN_HEADLINES["unseen_en_live.txt"]
    assert article.section == "Climate"
    assert article.published_at == datetime(2026, 11, 19, 14, 20, tzinfo=UTC)
    assert article.updated_at == datetime(2026, 11, 20, 8, 5, tzinfo=UTC)
    assert [(i.caption, i.credit) for i in article.images] == [
        (
            "Tomas Reyne, the prime minister of the Coral Islands, speaks to reporters in Port Amber.",
            "Ines Marlow/Gulfline",
        )
    ]
    assert len(article.paragraphs) == 4 and article.paragraphs[2].startswith("Scientists at the University")


@pytest.mark.xfail(strict=True, reason="known miss: a breadcrumb split over three lines is not read")
def test_unseen_arabic_section() -> None:
    article = parse_text_page((SAMPLES / "unseen_ar_gulf.txt").read_text(encoding="utf-8"))
    assert article.section == "تقارير"


@pytest.mark.xfail(strict=True, reason="known miss: a caption credited only with the site's name «(الواحة)»")
def test_unseen_arabic_caption() -> None:
    article = parse_text_page((SAMPLES / "unseen_ar_gulf.txt").read_text(encoding="utf-8"))
    assert len(article.images) == 1


@pytest.mark.xfail(strict=True, reason="known miss: a byline with no «By» label and a five-word first part")
def test_unseen_english_byline() -> None:
    article = parse_text_page((SAMPLES / "unseen_en_live.txt").read_text(encoding="utf-8"))
    assert article.byline == "Priya Aldane in Port Amber and agencies"


@pytest.mark.xfail(strict=True, reason="known miss: a standfirst with no full stop reads as a title")
def test_unseen_english_standfirst() -> None:
    article = parse_text_page((SAMPLES / "unseen_en_live.txt").read_text(encoding="utf-8"))
    assert article.summary == "The government says it will move three coastal villages inland within five years"


def test_captions_are_capped_at_the_model_limit() -> None:
    captions = "".join(f"صورة أرشيفية رقم {n} من ميناء مدينة الريح\n" for n in range(150))
    page = f"عنوان الخبر التجريبي عن ميناء مدينة الريح\n{captions}\nقالت الهيئة إن التوسعة ستكتمل العام المقبل.\n"
    assert len(parse_text_page(page).images) == 100
