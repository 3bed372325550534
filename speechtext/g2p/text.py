"""Running text to the tokens G2P pronounces: numbers spelled out, accents folded, tokenised.

The steps follow g2p-en's preprocessing (numbers, accents stripped, lower case, "i.e."/"e.g.",
then NLTK's TweetTokenizer) with these differences: characters outside the kept set become a
space instead of vanishing (g2p-en turns "and/or" into "andor" and joins lines); curly quotes
are apostrophes; a few letters that do not decompose are spelled out ("ß" -> "ss"); letters with
no English spelling (Greek, CJK ...) are dropped with a warning; and the tokeniser is the
TweetTokenizer's word rules on the remaining alphabet, as one regular expression, because
importing NLTK alone takes about 3 s (its URL rule, which glues "end.the" into one token, is left
out).
"""

from __future__ import annotations

import re
import unicodedata
import warnings

from .numbers import expand_numbers

__all__ = ["normalize", "tokenize"]

_FOLD = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "TH",
        "ı": "i",
        "’": "'",
        "‘": "'",
        "ʼ": "'",
        "`": "'",
        "´": "'",
        "–": " - ",
        "—": " - ",
        "&": " and ",
    }
)
_DROP_RE = re.compile(r"[^ a-z'.,?!:;\-]+")
_TOKEN_RE = re.compile(r"[a-z](?:[a-z'\-]*[a-z])?|\.(?:[^\S\r\n]*\.)+|\S")


def normalize(text: str) -> str:
    """Lower-case text of letters a-z, apostrophes, hyphens, spaces and ``.,?!:;``.

    Examples
    --------
    >>> normalize("Café & naïve, e.g. 2 Straße/Zürich")
    'cafe and naive, for example two strasse zurich'
    """
    text = expand_numbers(text).translate(_FOLD)
    text = unicodedata.normalize("NFD", text)
    if not text.isascii():
        text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    text = text.lower().replace("i.e.", "that is").replace("e.g.", "for example")
    foreign = [] if text.isascii() else sorted({c for c in text if c.isalpha() and c > "z"})
    if foreign:
        warnings.warn(
            f"dropped letters with no English spelling: {''.join(foreign[:20])}"
            + (" ..." if len(foreign) > 20 else ""),
            stacklevel=3,
        )
    text = _DROP_RE.sub(" ", text)
    return " ".join(text.split())


def tokenize(text: str) -> list[str]:
    """Tokens of normalised text: words (with inner apostrophes and hyphens) and punctuation.

    Examples
    --------
    >>> tokenize("don't stop, x-ray... dogs'")
    ["don't", 'stop', ',', 'x-ray', '...', 'dogs', "'"]
    """
    return _TOKEN_RE.findall(text)
