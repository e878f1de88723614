"""One story through the pipeline: quotes with their speakers, and the catalogue entities it names.

Pure functions: the service passes in what the catalogue knows and stores
what comes out; `POST /v1/extract` and `python -m app extract` show it as is.
"""

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from app.models import ArticleCreate
from app.pipeline.extract import ExtractedQuote
from app.pipeline.normalize import normalize

T = TypeVar("T")

_WORD = re.compile(r"\w+")
# Arabic glues conjunctions and prepositions to the next word: «والحداد», «بالوزارة».
_CLITIC = re.compile(r"^(?:[وف](?=[بلك]?ال)|[وف]?[بلك](?=ال)|[وف](?=\w{3}))")
MAX_NAME_WORDS = 8


def name_key(name: str) -> str:
    """A name as the mention finder compares it: normalised words joined by single spaces."""
    return " ".join(_WORD.findall(normalize(name)))


def first_word(key: str) -> str:
    """The word a name key starts with: the catalogue is searched by it."""
    return key.split(" ", 1)[0]


def tokens(texts: Sequence[str]) -> list[list[str]]:
    """The normalised words of each text, computed once for the lookups below."""
    return [_WORD.findall(normalize(text)) for text in texts]


def story_words(texts: Sequence[Sequence[str]]) -> set[str]:
    """Every word of the texts, bare and without Arabic clitics, as candidates for a name's first word.

    Looking names up by these finds every catalogue entry a story can mention, at a cost that grows
    with the story rather than with the catalogue.
    """
    words = {word for text in texts for word in text}
    words |= {_CLITIC.sub("", word, count=1) for word in words}
    words.discard("")
    return words


def find_mentions(texts: Sequence[Sequence[str]], names: Mapping[str, T]) -> Counter[T]:
    """How often each catalogue entry is named in the tokenised texts, longest name first, each word once.

    `names` maps `name_key(name)` to whatever identifies the entry (an id).
    """
    firsts = {first_word(key) for key in names}
    longest = min(max((key.count(" ") + 1 for key in names), default=0), MAX_NAME_WORDS)
    found: Counter[T] = Counter()
    for words in texts:
        i = 0
        while i < len(words):
            step = 1
            word = words[i]
            if word in firsts or _CLITIC.sub("", word, count=1) in firsts:
                for n in range(min(longest, len(words) - i), 0, -1):
                    phrase = " ".join(words[i : i + n])
                    hit = names.get(phrase)
                    if hit is None:
                        bare = _CLITIC.sub("", phrase, count=1)
                        hit = names.get(bare) if bare != phrase else None
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
