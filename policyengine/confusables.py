"""Look-alike names: a small skeleton table in the manner of Unicode TR39.

Two names are confusable when they have the same *skeleton*: each character is
replaced by the Latin letter or digit it is drawn like, after compatibility
normalisation (NFKC), which already folds full-width Latin (``ｇｏｏｄ``) and other
compatibility forms.  The table holds the Cyrillic and Greek letters that are drawn
like Latin ones in the fonts officers use — the confusables that matter for names
written in Latin letters.  It is deliberately small and our own: TR39's full table
(6,000 entries, updated with each Unicode version) would bring a data file to keep in
step for characters no policy name uses; a name in Chinese characters is never
confusable with one in Latin letters, and two names in plain ASCII are never reported.
"""
from __future__ import annotations

import unicodedata

__all__ = ["skeleton"]

# character -> the Latin character it is drawn like (lower and upper case)
_TABLE = {
    # Cyrillic
    "а": "a", "в": "b", "с": "c", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i", "ј": "j", "к": "k",
    "м": "m", "н": "h", "о": "o", "р": "p", "ԛ": "q", "г": "r", "ѕ": "s", "т": "t", "у": "y", "х": "x",
    "ԝ": "w", "ո": "n", "ь": "b", "ӏ": "l",
    "А": "A", "В": "B", "С": "C", "Е": "E", "Ё": "E", "Н": "H", "І": "I", "Ї": "I", "Ј": "J", "К": "K",
    "М": "M", "О": "O", "Р": "P", "Ѕ": "S", "Т": "T", "Х": "X", "У": "Y", "Ԛ": "Q", "Ԝ": "W", "Ӏ": "l",
    # Greek
    "α": "a", "β": "b", "γ": "y", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ϳ": "j",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Ϲ": "C",
    # Latin look-alikes outside ASCII
    "ı": "i", "ȷ": "j", "ɑ": "a", "ɡ": "g", "ℓ": "l",
}
_TRANS = str.maketrans(_TABLE)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))  # zero-width characters, soft hyphen


def skeleton(name: str) -> str:
    """The skeleton of ``name``: equal skeletons mean the names look the same."""
    if name.isascii():
        return name
    s = unicodedata.normalize("NFKC", name).translate(_INVISIBLE).translate(_TRANS)
    # marks that a font draws faintly or not at all over a base letter
    return unicodedata.normalize("NFC", "".join(c for c in unicodedata.normalize("NFD", s)
                                                if not unicodedata.combining(c) or c in "\u0308\u0301\u0300"))
