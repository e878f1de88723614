"""Text normalisation for matching and search, never for display.

The same function runs when text is indexed and when a query or a name is
looked up, so that «أحمد» typed without hamza, with harakat or with
Arabic-Indic digits finds what was stored.
"""

import re
import unicodedata

# Harakat (U+064B–U+0652), superscript alef (U+0670) and tatweel (U+0640)
# carry no meaning for matching.
_STRIP = dict.fromkeys([*range(0x064B, 0x0653), 0x0670, 0x0640])

_FOLD = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ة": "ه",
        # Hamza seats differ between spelling traditions (مسؤول / مسئول):
        # folding both onto the bare hamza unifies them.
        "ؤ": "ء",
        "ئ": "ء",
        **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + d): str(d) for d in range(10)},  # Persian digits
    }
)

_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Fold Arabic letter variants, digits and Latin case; collapse whitespace."""
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_STRIP).translate(_FOLD).casefold()
    return _SPACE.sub(" ", text).strip()


def slugify(text: str) -> str:
    """A URL-safe slug; Arabic letters are kept (folded) since many names have no Latin form."""
    words = re.findall(r"\w+", normalize(text))
    return "-".join(words)[:120] or "entity"
