"""Running text to the tokens G2P pronounces: numbers spelled out, accents folded, tokenised.

The steps follow g2p-en's preprocessing (numbers, accents stripped, lower case, "i.e."/"e.g.",
then NLTK's TweetTokenizer) with these differences: characters outside the kept set become a
space instead of vanishing (g2p-en turns "and/or" into "andor" and joins lines); curly quotes
are apostrophes; a few letters that do not decompose are spelled out ("ß" -> "ss"); letters with
no English spelling (Hangul, Greek, CJK ...), emoji and other symbols are dropped, and
:func:`unspoken` lists them as they were written, for a warning (G2P gives one per text); dotted
initialisms ("U.S.A.", "p.m.") stay one token, read letter by letter; and the tokeniser is the
TweetTokenizer's word rules on the remaining alphabet, as one regular expression, because
importing NLTK alone takes about 3 s (its URL rule, which glues "end.the" into one token, is left
out).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from .numbers import CURRENCY_SIGNS, expand_numbers

__all__ = ["UnspokenWarning", "normalize", "tokenize", "unspoken"]

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
# a dotted initialism ("u.s.a.", "p.m."), a word, an ellipsis, a punctuation mark
_TOKEN_RE = re.compile(
    r"[a-z](?:\.[a-z])+\.?(?![a-z])|[a-z](?:[a-z'\-]*[a-z])?|\.(?:[^\S\r\n]*\.)+|\S"
)


class UnspokenWarning(UserWarning):
    """Characters with no English reading were skipped (other scripts, emoji, symbols).

    Attributes
    ----------
    skipped : tuple of str
        What was skipped, as it was written: runs of consecutive such characters.
    where : str or None
        Which text: ``"text"``, ``"texts[3]"`` ...
    index : int or None
        The text's position among those given together (for a caller that maps it to a line).
    what : str
        The message without ``where``.
    """

    def __init__(
        self, skipped: Sequence[str], where: str | None = None, index: int | None = None
    ) -> None:
        self.skipped = tuple(skipped)
        self.where = where
        self.index = index
        shown = ", ".join(repr(run) for run in self.skipped[:8])
        more = f" and {len(self.skipped) - 8} more" if len(self.skipped) > 8 else ""
        self.what = f"skipped characters with no English spelling: {shown}{more}"
        super().__init__(f"{where}: {self.what}" if where else self.what)


def _foldable(char):
    """Whether normalisation turns a non-ASCII letter into letters a-z ("é", "ß", "İ")."""
    folded = unicodedata.normalize("NFD", char.translate(_FOLD)).lower()
    return any("a" <= c <= "z" for c in folded)


def _unspoken_kind(char):
    """ "skip" for a character dropped unread that a reader would say (a letter of another
    script, an emoji, a symbol), "join" for marks and joiners that belong to one, else None."""
    if char.isascii() or char.isdecimal() or char in CURRENCY_SIGNS:
        return None  # ASCII punctuation is silent; digits and currency signs are read
    category = unicodedata.category(char)
    if category in ("Mn", "Me", "Cf"):  # accents, variation selectors, zero-width joiners
        return "join"
    if category[0] in "LSN" and not _foldable(char):
        return "skip"
    return None


def unspoken(text: str) -> list[str]:
    """What :func:`normalize` drops that a reader would have said, as written in ``text``.

    Runs of letters with no English spelling (Hangul, Greek, CJK ...), emoji and other symbols,
    each once, in order. ASCII punctuation and symbols are not listed (they are read as
    punctuation or not at all).

    Examples
    --------
    >>> unspoken("I love 🍕 and 안녕하세요, café!")
    ['🍕', '안녕하세요']
    """
    if text.isascii():
        return []
    runs, current, meaningful = [], [], False
    for char in text + " ":
        kind = _unspoken_kind(char)
        if kind is not None:
            current.append(char)
            meaningful = meaningful or kind == "skip"
            continue
        if meaningful:
            while _unspoken_kind(current[0]) == "join":  # a mark on the letter before
                current.pop(0)
            run = "".join(current)
            if run not in runs:
                runs.append(run)
        current, meaningful = [], False
    return runs


def normalize(text: str) -> str:
    """Lower-case text of letters a-z, apostrophes, hyphens, spaces and ``.,?!:;``.

    Characters with no English reading are dropped without a word: :func:`unspoken` lists
    them, for the caller to say so.

    Examples
    --------
    >>> normalize("Café & naïve, e.g. 2 Straße/Zürich")
    'cafe and naive, for example two strasse zurich'
    >>> normalize("Meet at 3:15pm in the U.S.A. 🍕")
    'meet at three fifteen p.m. in the u.s.a.'
    """
    text = expand_numbers(text).translate(_FOLD)
    text = unicodedata.normalize("NFD", text)
    if not text.isascii():
        text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    text = text.lower().replace("i.e.", "that is").replace("e.g.", "for example")
    text = _DROP_RE.sub(" ", text)
    return " ".join(text.split())


def tokenize(text: str) -> list[str]:
    """Tokens of normalised text: words (with inner apostrophes and hyphens) and punctuation.

    Examples
    --------
    >>> tokenize("don't stop, x-ray... dogs'")
    ["don't", 'stop', ',', 'x-ray', '...', 'dogs', "'"]
    >>> tokenize("the u.s.a. at six p.m.")
    ['the', 'u.s.a.', 'at', 'six', 'p.m.']
    """
    return _TOKEN_RE.findall(text)
