"""One story through the pipeline: quotes with their speakers, and the catalogue entities it names.

Pure functions: the service passes in what the catalogue knows and stores
what comes out; `POST /v1/extract` and `python -m app extract` show it as is.
"""

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from functools import lru_cache
from typing import Any, TypeVar

from app.models import ArticleCreate
from app.pipeline.extract import ExtractedQuote
from app.pipeline.normalize import normalize

T = TypeVar("T")

_WORD = re.compile(r"\w+")
# Arabic glues conjunctions and prepositions to the next word: «والحداد», «بالوزارة».
_CLITIC = re.compile(r"^(?:[وف](?=[بلك]?ال)|[وف]?[بلك](?=ال)|[وف](?=\w{3}))")
MAX_NAME_WORDS = 8


@lru_cache(maxsize=1 << 14)
def name_key(name: str) -> str:
    """A name as the mention finder compares it: normalised words joined by single spaces. Remembered:
    a story asks it of every quote's speaker, and the same speakers are quoted story after story."""
    return " ".join(_WORD.findall(normalize(name)))


def first_word(key: str) -> str:
    """The word a name key starts with: the catalogue is searched by it."""
    return key.split(" ", 1)[0]


def tokens(texts: Sequence[str]) -> list[list[str]]:
    """The normalised words of each text, computed once for the lookups below."""
    return [_WORD.findall(normalize(text)) for text in texts]


@lru_cache(maxsize=1 << 16)
def bare(word: str) -> str:
    """A normalised word without the Arabic clitic glued to its front, if any. Remembered: it is asked
    of every word of every story, and wire copy repeats its vocabulary."""
    return _CLITIC.sub("", word, count=1)


def story_words(texts: Sequence[Sequence[str]]) -> set[str]:
    """Every word of the texts, bare and without Arabic clitics, as candidates for a name's first word.

    Looking names up by these finds every catalogue entry a story can mention, at a cost that grows
    with the story rather than with the catalogue.
    """
    words = {word for text in texts for word in text}
    words |= {bare(word) for word in words}
    words.discard("")
    return words


def story_pairs(texts: Sequence[Sequence[str]]) -> set[str]:
    """The pairs of words that stand together in the texts, as "first second": the first also bare
    of its clitic, or of a «ل» (the extractor reads «لوكالة نوفا» as «وكالة نوفا»), and across the
    «s» of a possessive ("Qamaristan's foreign" gives "qamaristan foreign"). A name of two words or
    more can only be in a story whose pairs hold its first two."""
    pairs: set[str] = set()
    for text in texts:
        for at in range(len(text) - 1):
            first, second = text[at], text[at + 1]
            pairs.add(f"{first} {second}")
            if (stripped := bare(first)) != first:
                pairs.add(f"{stripped} {second}")
            if stripped.startswith("ل") and len(stripped) > 1:
                pairs.add(f"{stripped[1:]} {second}")
            if second == "s" and at + 2 < len(text):
                pairs.add(f"{first} {text[at + 2]}")
    return pairs


def placed(words: Sequence[str], pairs: AbstractSet[str]) -> bool:
    """Whether a name key's words can stand in a story with these `story_pairs`: a single word can,
    a longer name if its first two words stand together; a name that starts with "the" also without
    it ("the Qamaristan foreign ministry" is named "Qamaristan's foreign ministry")."""
    if len(words) < 2 or f"{words[0]} {words[1]}" in pairs:
        return True
    return words[0] == "the" and (len(words) < 3 or f"{words[1]} {words[2]}" in pairs)


def holds(key: str, words: set[str], pairs: AbstractSet[str]) -> bool:
    """Whether a story with these `story_words` and `story_pairs` can name the name key `key`."""
    split = key.split(" ")
    return words.issuperset(split) and placed(split, pairs)


def find_mentions(texts: Sequence[Sequence[str]], names: Mapping[str, T]) -> Counter[T]:
    """How often each catalogue entry is named in the tokenised texts, longest name first, each word once.

    `names` maps `name_key(name)` to whatever identifies the entry (an id).
    """
    # The lengths of the names each first word starts: only those are tried at a word, longest first.
    # A clitic is glued to a phrase's first word only (\w never spans a space), so the bare phrase is
    # the bare first word and the rest.
    sizes: dict[str, set[int]] = {}
    for key in names:
        size = key.count(" ") + 1
        if size <= MAX_NAME_WORDS:
            sizes.setdefault(first_word(key), set()).add(size)
    lengths = {first: sorted(known, reverse=True) for first, known in sizes.items()}
    found: Counter[T] = Counter()
    for words in texts:
        i, count = 0, len(words)
        while i < count:
            word = words[i]
            stripped = bare(word)
            tried = lengths.get(word)
            if stripped != word and (also := lengths.get(stripped)) is not None:
                tried = also if tried is None else sorted({*tried, *also}, reverse=True)
            step = 1
            for n in tried or ():
                if n > count - i:
                    continue
                rest = words[i + 1 : i + n]
                hit = names.get(" ".join([word, *rest]))
                if hit is None and stripped != word:
                    hit = names.get(" ".join([stripped, *rest]))
                if hit is not None:
                    found[hit] += 1
                    step = n
                    break
            i += step
    return found


def extract_report(
    story: ArticleCreate, quotes: Sequence[ExtractedQuote], entities: list[dict[str, Any]]
) -> dict[str, Any]:
    """The extract output contract: what the service understood of a story."""
    return {
        "guid": story.guid,
        "headline": story.headline,
        "section": story.section,
        "published_at": story.published_at.isoformat(),
        "updated_at": story.last_updated.isoformat(),
        "byline": story.byline,
        "desk": story.desk,
        "agencies": story.agencies,
        "language": story.language,
        "dateline": story.dateline,
        "paragraphs": story.paragraphs,
        "images": [image.model_dump(mode="json") for image in story.images],
        "entities": entities,
        "quotes": [
            {
                "text": q.text,
                "kind": q.kind,
                "cue": q.cue,
                "paragraph": q.paragraph,
                "start": q.start,
                "end": q.end,
                "mention": q.mention,
                "confidence": q.confidence,
                "speaker": None
                if q.speaker is None
                else {"name": q.speaker.name, "kind": q.speaker.kind, "title": q.speaker.title, "ref": q.speaker.ref},
            }
            for q in quotes
        ],
    }
