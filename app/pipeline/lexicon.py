"""Reporting cues, source nouns and name lists for quote extraction.

Every Arabic entry is stored folded with ``normalize()`` so that spelling
variants (أكد / اكد, مسؤول / مسئول) and harakat never decide a match.
"""

import json
from pathlib import Path
from typing import Final

from app.pipeline.normalize import normalize

_DATA = Path(__file__).parent / "data"


def _fold(words: str) -> frozenset[str]:
    return frozenset(normalize(w) for w in words.split())


# --- Arabic reporting verbs -------------------------------------------------
# (past 3rd masculine singular, present 3rd masculine singular). Feminine,
# plural and و/ف-prefixed forms are generated below rather than listed, so a
# new verb needs one line.
_AR_VERBS: Final = [
    ("قال", "يقول"),
    ("أضاف", "يضيف"),
    ("أكد", "يؤكد"),
    ("أوضح", "يوضح"),
    ("أشار", "يشير"),
    ("حذر", "يحذر"),
    ("ذكر", "يذكر"),
    ("صرح", "يصرح"),
    ("نقل", "ينقل"),
    ("أفاد", "يفيد"),
    ("كشف", "يكشف"),
    ("أعلن", "يعلن"),
    ("تابع", "يتابع"),
    ("أردف", "يردف"),
    ("استطرد", "يستطرد"),
    ("شدد", "يشدد"),
    ("لفت", "يلفت"),
    ("اعتبر", "يعتبر"),
    ("رأى", "يرى"),
    ("نفى", "ينفي"),
    ("زعم", "يزعم"),
    ("اتهم", "يتهم"),
    ("دعا", "يدعو"),
    ("طالب", "يطالب"),
    ("أورد", "يورد"),
    ("وصف", "يصف"),
    ("أعرب", "يعرب"),
    ("اعترف", "يعترف"),
    ("أقر", "يقر"),
    ("رد", "يرد"),
    ("توقع", "يتوقع"),
    ("أبلغ", "يبلغ"),
    ("نبه", "ينبه"),
    ("شكا", "يشكو"),
    ("جدد", "يجدد"),
    ("أبدى", "يبدي"),
]
# Verbs ending in a weak letter change shape in the feminine and plural.
_AR_IRREGULAR: Final = {
    "رأى": ("رأت", "رأوا", "ترى", "يرون"),
    "نفى": ("نفت", "نفوا", "تنفي", "ينفون"),
    "دعا": ("دعت", "دعوا", "تدعو", "يدعون"),
    "شكا": ("شكت", "شكوا", "تشكو", "يشكون"),
    "أبدى": ("أبدت", "أبدوا", "تبدي", "يبدون"),
}
# Participles that carry on the sentence's speaker: «مضيفاً أن», «قائلة:».
_AR_PARTICIPLES: Final = {
    "قائلا": "m",
    "قائله": "f",
    "مضيفا": "m",
    "مضيفه": "f",
    "مشيرا": "m",
    "مشيره": "f",
    "مؤكدا": "m",
    "مؤكده": "f",
    "موضحا": "m",
    "موضحه": "f",
    "لافتا": "m",
    "لافته": "f",
    "معتبرا": "m",
    "معتبره": "f",
    "محذرا": "m",
    "محذره": "f",
    "متابعا": "m",
    "متابعه": "f",
    "مشددا": "m",
    "مشدده": "f",
    "نافيا": "m",
    "نافيه": "f",
    "معربا": "m",
    "معربه": "f",
    "داعيا": "m",
    "منبها": "m",
    "منبهه": "f",
    "كاشفا": "m",
    "كاشفه": "f",
}
_AR_PARTICIPLES_FOLDED: Final = {
    normalize(k.replace("ه", "ة")) if k.endswith("ه") else normalize(k): v for k, v in _AR_PARTICIPLES.items()
}


def _ar_cue_forms() -> dict[str, str]:
    """Folded surface form -> grammatical gender ("m", "f" or "p")."""
    forms: dict[str, str] = {}
    for past, present in _AR_VERBS:
        if past in _AR_IRREGULAR:
            f_past, p_past, f_pres, p_pres = _AR_IRREGULAR[past]
        else:
            f_past, p_past = past + "ت", past + "وا"
            f_pres, p_pres = "ت" + present[1:], present + "ون"
        for word, gender in (
            (past, "m"),
            (present, "m"),
            (f_past, "f"),
            (f_pres, "f"),
            (p_past, "p"),
            (p_pres, "p"),
        ):
            for prefix in ("", "و", "ف"):
                forms.setdefault(normalize(prefix + word), gender)
    for word, gender in _AR_PARTICIPLES_FOLDED.items():
        for prefix in ("", "و"):
            forms.setdefault(prefix + word, gender)
    return forms


AR_CUES: Final = _ar_cue_forms()
AR_PARTICIPLES: Final = frozenset(prefix + w for w in _AR_PARTICIPLES_FOLDED for prefix in ("", "و"))
# «وقال ... لوكالة الأنباء» would otherwise read as a cue verb: these are the
# cue forms that are also common nouns and need a complement to count.
AR_CUE_WEAK: Final = _fold("ذكر وذكر رد ورد")

# Prepositional attributions, folded, longest first so «حسبما» wins over «حسب».
AR_PREPS: Final = tuple(
    sorted(
        (
            normalize(p)
            for p in (
                "بحسب",
                "حسب",
                "حسبما",
                "وفقاً ل",
                "وفقا ل",
                "وفقا لما",
                "وفق",
                "وفق ما",
                "طبقاً ل",
                "طبقا ل",
                "نقلاً عن",
                "نقلا عن",
                "على لسان",
                "على حد قول",
                "على حد تعبير",
                "بحسب ما",
                "حسب ما",
            )
        ),
        key=len,
        reverse=True,
    )
)

# Words that end the noun phrase naming a speaker: prepositions that open an
# adverbial («في مؤتمر صحفي», «للصحفيين»), time words, relative pronouns.
AR_TIME: Final = _fold(
    "الثلاثاء الأربعاء الخميس الجمعة السبت الأحد الإثنين الاثنين اليوم أمس "
    "غدا غداً مساء صباح ظهر الليلة ليل فجر مساء أمس صباح اليوم ظهر اليوم "
    "لاحقا لاحقاً سابقا سابقاً مؤخرا مؤخراً أيضا أيضاً بدوره بدورها"
)
AR_NP_STOP: Final = (
    _fold(
        "في أمام عقب خلال عبر بعد قبل مع منذ حيث إذ عن على إلى الى من ل "
        "للصحفيين للصحافيين لوكالة للوكالة لوسائل للتلفزيون لقناة لصحيفة للإذاعة "
        "لإذاعة لموقع للموقع للصحيفة لنا له لها لهم "
        "الذي التي الذين اللذين وهو وهي وهم طالبا طالباً طلب رفض مفضلا مفضلاً "
        "قوله قولها قولهم إن أن بأن وإن وأن فإن إنه إنها أنه أنها نقلا نقلاً "
        "هذه هذا ذلك تلك"
    )
    | AR_TIME
)

AR_HONORIFICS: Final = _fold(
    "الدكتور الدكتورة د. المهندس الشيخ السيد السيدة الأستاذ الأستاذة العقيد "
    "العميد اللواء الفريق المقدم الرائد النقيب القاضي المحامي الحاج النائب النائبة"
)
# Roles that introduce a named person («المخرجة ... ماريا», «زعيم المعارضة ...»);
# AR_TITLE_HEADS takes each in four forms: bare, definite, feminine, both.
_AR_ROLE_WORDS: Final = _fold(
    "قائد زعيم باحث مخرج كاتب روائي شاعر ممثل منسق مفاوض مراسل لاعب حارس "
    "مهاجم عداء بطل كبير أمين مدرب سكرتير مساعد وكيل مندوب رئيس مدير "
    "مهندس طبيب محام مؤرخ فنان مغني ملحن منتج ناشر محرر"
)
# Head nouns of roles: a definite one without a name («الوزير الفالديني»,
# «المتحدثة») points back to a person who carried that role.
AR_TITLE_HEADS: Final = _fold(
    "وزير وزيرة الوزير الوزيرة رئيس رئيسة الرئيس الرئيسة مدير مديرة المدير "
    "المديرة المتحدث المتحدثة متحدث متحدثة الناطق الناطقة ناطق ناطقة محافظ "
    "المحافظ محافظة أمين الأمين الأمينة سفير السفير سفيرة قائد القائد "
    "مدرب المدرب مدربة أستاذ الأستاذ أستاذة المحامي محامي محامية المحامية "
    "المحلل محلل المحللة محللة ممثل الممثل ممثلة النائب النائبة نائب نائبة "
    "عضو العضو مستشار المستشار مستشارة القاضي قاضي رئيسه أمينه "
    "نائب نقيب النقيب عميد العميد مفوض المفوض"
) | frozenset(normalize(pre + w + suf) for w in _AR_ROLE_WORDS for pre in ("", "ال") for suf in ("", "ة"))
# Unnamed sources, singular and plural («مصدر», «مصادر», «خبراء», «أحد المحتجين»).
AR_UNNAMED: Final = _fold(
    "مصدر مصادر مسافرون ركاب مزارعون مزارعين مسؤول مسؤولون مسؤولين مسؤولة مسؤولو خبير خبراء خبيرة "
    "محلل محللون محللين شهود شاهد سكان ساكن أطباء طبيب طبيبة مختصون مختص "
    "متخصصون دبلوماسي دبلوماسيون دبلوماسيين ناشط ناشطون ناشطين مراقبون "
    "مراقب أحد أحدهم إحداهن إحدى أحدهما موظف موظفون عامل عمال مواطن "
    "مواطنون مواطنين تجار تاجر لاجئ لاجئة لاجئون لاجئين أم أب آخرون آخرين "
    "مقربون مقرب مصرفيون اقتصاديون أوساط جهات شهادات أرقام إحصاءات "
    "تقديرات معلومات تقارير تقرير بيانات حقوقيون ضابط ضباط جندي "
    "جنود عسكري عسكريون معارضون نشطاء محتجون متظاهرون "
    # people met in the street or the trade: farmers, pharmacists, critics, visitors...
    "مزارع صيدلي صيادلة صيدلاني ناقد نقاد زوار زائر زائرة مرضى مريض مريضة سائق سائقون "
    "صياد صيادون طلاب معلم معلمون متعاملون متعامل مستثمرون متسوقون أهالي جيران "
    "مشجعون مشجع ناخبون ناخب مسعفون مسعف ممرضون ممرضة رجل امرأة شاب شابة"
)
# «ناقد آخر», «مسؤول آخر»: another member of an unnamed group.
AR_ANOTHER: Final = _fold("آخر أخرى آخرون اخر")
# Organisational heads, by kind. A definite head alone («الوزارة») is a
# reference back to the last entity of that head.
AR_AGENCY_HEADS: Final = _fold("وكالة الوكالة")
AR_GOV_HEADS: Final = _fold(
    "أمانة الأمانة وزارة الوزارة سلطة السلطة الحكومة حكومة الرئاسة رئاسة الهيئة هيئة المؤسسة مؤسسة "
    "مكتب المكتب الشرطة شرطة مديرية المديرية السلطات سلطات الجيش جيش "
    "البرلمان برلمان المجلس مجلس القصر الديوان ديوان الخارجية الداخلية "
    "البلدية بلدية المحافظة السفارة سفارة القيادة قيادة الدفاع النيابة "
    "المحكمة محكمة الادعاء الرئاسه"
)
AR_ORG_HEADS: Final = _fold(
    "شركة الشركة منظمة المنظمة الاتحاد اتحاد نقابة النقابة المفوضية مفوضية "
    "حزب الحزب جامعة الجامعة البنك بنك مصرف المصرف مجموعة المجموعة جمعية الجمعية "
    "صندوق الصندوق لجنة اللجنة مركز المركز معهد المعهد حركة الحركة "
    "جبهة الجبهة تحالف التحالف صحيفة الصحيفة قناة القناة مجلة"
)
# Verbs of issuing a text: «بيان أصدره الاتحاد», «مرسوم نشرته الوكالة».
AR_ISSUE_VERBS: Final = _fold("أصدر أصدرت نشر نشرت أذاع أذاعت بث بثت وزع وزعت")
# Prepositions carrying a pronoun: «وقالت فيها إن ...» has no subject of its own.
AR_PREP_PRONOUNS: Final = _fold("فيه فيها فيهم له لها لهم عنه عنها منه منها عليه عليها")
# Relative pronouns: «الوكالة، التي أضافت أن» — the antecedent speaks.
AR_RELATIVES: Final = _fold("التي الذي الذين اللذين اللتين")

# Documents standing for their author: «بحسب البيان» -> whoever issued it.
AR_DOCUMENTS: Final = _fold("البيان بيان التقرير النشرة الإحصاءات الأرقام النتائج")
# Nouns for figures and testimony that stand before their owner
# («أرقام البنك المركزي», «تقديرات منظمة الصحة»): the owner is the source.
AR_DOCUMENT_NOUNS: Final = _fold(
    "أرقام تقديرات بيانات إحصاءات تقارير تقرير معلومات شهادات دراسة بيان تصريحات نتائج النتائج"
)
AR_PRONOUN_SUFFIX: Final = {"ه": "m", "ها": "f", "هم": "p", "هما": "p"}

# --- English -----------------------------------------------------------------
EN_CUES: Final = {
    "said": "said",
    "says": "said",
    "say": "said",
    "added": "added",
    "adds": "added",
    "told": "told",
    "tells": "told",
    "insisted": "said",
    "warned": "said",
    "stated": "said",
    "explained": "said",
    "noted": "said",
    "argued": "said",
    "stressed": "said",
    "claimed": "said",
    "denied": "said",
    "announced": "said",
    "replied": "said",
    "continued": "added",
    "confirmed": "said",
    "acknowledged": "said",
    "wrote": "said",
    "saying": "saying",
    "adding": "saying",
    "quoted": "quoted",
    "predicted": "said",
    "admitted": "said",
    "urged": "said",
    "complained": "said",
    "cautioned": "said",
    "conceded": "said",
    "estimated": "said",
    "recalled": "said",
}
EN_UNNAMED: Final = frozenset(
    [
        "official",
        "officials",
        "source",
        "sources",
        "expert",
        "experts",
        "analyst",
        "analysts",
        "economist",
        "economists",
        "witness",
        "witnesses",
        "resident",
        "residents",
        "diplomat",
        "diplomats",
        "observer",
        "observers",
        "critics",
        "activist",
        "activists",
        "fishermen",
        "farmers",
        "worker",
        "workers",
        "employee",
        "employees",
        "manager",
        "managers",
        "doctor",
        "doctors",
        "nurse",
        "nurses",
        "people",
        "person",
        "man",
        "woman",
        "spokesman",
        "spokeswoman",
        "spokesperson",
        "commander",
        "officer",
        "officers",
        "insider",
        "insiders",
        "data",
        "figures",
        "estimates",
        "researchers",
        "scientists",
        "teachers",
        "parents",
        "students",
        # people met in the street or the trade
        "traders",
        "dealer",
        "dealers",
        "investors",
        "visitors",
        "fans",
        "shoppers",
        "passengers",
        "patients",
        "pharmacists",
        "villagers",
        "locals",
        "voters",
        "protesters",
        "survivors",
        "drivers",
        "another",
    ]
)
# "the union's secretariat said": the body that owns the organ speaks.
EN_ORGANS: Final = frozenset(
    ["secretariat", "office", "spokesman", "spokeswoman", "spokesperson", "leadership", "board", "management"]
)
# "In a statement on Wednesday, the ministry said": a leading adverbial, not the subject.
EN_LEADING_PREPS: Final = frozenset(["in", "at", "during", "after", "before", "speaking", "on"])
EN_DETERMINERS: Final = frozenset(
    ["a", "an", "one", "some", "several", "two", "three", "four", "many", "most", "other", "others"]
)
EN_TITLE_WORDS: Final = frozenset(
    [
        "minister",
        "president",
        "governor",
        "captain",
        "analyst",
        "chief",
        "coach",
        "leader",
        "director",
        "secretary",
        "spokesman",
        "spokeswoman",
        "spokesperson",
        "head",
        "chairman",
        "chairwoman",
        "representative",
        "ambassador",
        "mayor",
        "general",
        "colonel",
        "judge",
        "prosecutor",
        "lawyer",
        "commissioner",
        "executive",
        "officer",
        "premier",
        "chancellor",
        "senator",
        "manager",
        "editor",
        "professor",
        "dr",
        "mr",
        "mrs",
        "ms",
        "economist",
        "chair",
    ]
)
EN_ORG_WORDS: Final = {
    "agency": "agency",
    "press": "agency",
    "news": "agency",
    "ministry": "government",
    "government": "government",
    "police": "government",
    "commission": "government",
    "service": "government",
    "army": "government",
    "council": "government",
    "parliament": "government",
    "office": "government",
    "presidency": "government",
    "authority": "government",
    "court": "government",
    "coastguard": "government",
    "department": "government",
    "bank": "organization",
    "corp": "organization",
    "corporation": "organization",
    "company": "organization",
    "systems": "organization",
    "group": "organization",
    "association": "organization",
    "union": "organization",
    "chamber": "organization",
    "party": "organization",
    "inc": "organization",
    "ltd": "organization",
    "university": "organization",
    "institute": "organization",
    "federation": "organization",
    "fund": "organization",
    "foundation": "organization",
    "committee": "organization",
    "organisation": "organization",
    "organization": "organization",
    "exchange": "organization",
}
EN_PRONOUNS: Final = {"he": "m", "she": "f", "they": "p", "it": "n"}
EN_TIME: Final = frozenset(
    [
        "on",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "yesterday",
        "today",
        "earlier",
        "later",
        "also",
        "late",
        "morning",
        "evening",
        "night",
        "afternoon",
        "last",
        "week",
        "on",
        "tonight",
        "recently",
        "previously",
        "again",
        "separately",
    ]
)

_NAMES = json.loads((_DATA / "given_names.json").read_text(encoding="utf-8"))
AR_GIVEN: Final[dict[str, str]] = {normalize(n): g for g in ("m", "f") for n in _NAMES[g]}
# Compound given names («نور الهدى», «عبد الله») are matched as two tokens.
AR_GIVEN_FIRST_OF_PAIR: Final = frozenset(n.split()[0] for n in AR_GIVEN if " " in n)
AR_KUNYA: Final = _fold("أبو أبي أم")
