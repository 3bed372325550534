"""Numbers in English text spelled out as words, for G2P: cardinals, years, ordinals, decimals,
currency, percentages, decades, clock times.

The rules extend g2p-en's ``expand.py`` (itself from Tacotron) and, like it, use ``inflect`` for
the words. Differences: decimals are read digit by digit after "point" ("3.14" -> "three point
one four", not "three point fourteen"); percentages, euros and scale words ("$2.5 million") are
read; digits glued to letters are split off ("mp3" -> "mp three"); digit strings longer than
inflect can name (36 digits) or with a leading zero are read digit by digit instead of failing;
number words come without hyphens and commas ("twenty four"); clock times are read as people say
them ("3:15pm" -> "three fifteen p.m.", "10:05" -> "ten oh five", "10:00" -> "ten o'clock"), and
"am"/"pm" after an hour become "a.m."/"p.m." (read letter by letter, not as the word "am").
"""

from __future__ import annotations

import functools
import re

__all__ = ["CURRENCY_SIGNS", "expand_numbers", "number_words"]

MAX_CARDINAL_DIGITS = 36  # inflect names numbers up to the decillions
_DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_SCALES = "thousand|million|billion|trillion"
_CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
    "¥": ("yen", "yen", None, None),
}
CURRENCY_SIGNS = frozenset(_CURRENCIES)  # read before an amount

# H:MM or H:MM:SS, hours 0-24, with an optional am/pm ("3:15pm", "7:30 a.m.")
_MERIDIEM = r"(?:\s?([ap])(?:m\b|\.m\.))"
_time_re = re.compile(
    r"(?<![\d:.])(\d{1,2}):([0-5]\d)(?::([0-5]\d))?(?![\d:])" + _MERIDIEM + "?", re.IGNORECASE
)
_hour_re = re.compile(r"(?<![\d:.])(1[0-2]|0?[1-9])" + _MERIDIEM, re.IGNORECASE)  # "6am", "3 p.m."
_grouped_re = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,]\d)")
# Each pattern below starts only where a run of digits starts and splits it one way, so long
# digit strings cost linear time (an ambiguous "\d*\.?\d+" took 13 s on 1,000 digits).
_currency_re = re.compile(
    r"([$£€¥])\s?(\d+(?:\.\d+)?|\.\d+)(?:\s?(" + _SCALES + r")\b)?", re.IGNORECASE
)
_percent_re = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?|\.\d+)\s?%")
_ordinal_re = re.compile(r"\b(\d+)(st|nd|rd|th)\b", re.IGNORECASE)
_decade_re = re.compile(r"\b(\d{2}|\d{4})'?s\b")
_dotted_re = re.compile(r"(?<![\d.])\d+(?:\.\d+){2,}")  # versions, addresses: "2.0.1"
_decimal_re = re.compile(r"(?<!\d)(\d*)\.(\d+)")
_minus_re = re.compile(r"(?<![\w.])-(?=\d)")
_glued_re = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")
_number_re = re.compile(r"\d+")
_space_re = re.compile(r" (?=[.,;:!?])")
_digits_re = re.compile(r"\d+")
_after_re = re.compile(r"\s?%|\s(?:" + _SCALES + r")\b|\s[ap](?:m\b|\.m\.)", re.IGNORECASE)


@functools.cache
def _engine():
    import inflect  # ~3 s to import: only when a text has digits

    return inflect.engine()


def _clean(words):
    return words.replace("-", " ").replace(",", "")


def _digit_by_digit(digits):
    return " ".join(_DIGITS[int(d)] for d in digits)


@functools.lru_cache(maxsize=4096)
def number_words(digits: str, *, year_style: bool = True) -> str:
    """Words for a string of digits.

    Parameters
    ----------
    digits : str
        Decimal digits only.
    year_style : bool
        Read 1001..2999 as years, as g2p-en does ("1984" -> "nineteen eighty four",
        "2005" -> "two thousand five", "1900" -> "nineteen hundred").

    Examples
    --------
    >>> number_words("1984")
    'nineteen eighty four'
    >>> number_words("250")
    'two hundred fifty'
    >>> number_words("007")
    'zero zero seven'
    """
    if len(digits) > MAX_CARDINAL_DIGITS or (len(digits) > 1 and digits[0] == "0"):
        return _digit_by_digit(digits)
    num = int(digits)
    p = _engine()
    if year_style and 1000 < num < 3000:
        if num == 2000:
            return "two thousand"
        if 2000 < num < 2010:
            return "two thousand " + _clean(p.number_to_words(num % 100))
        if num % 100 == 0:
            return _clean(p.number_to_words(num // 100)) + " hundred"
        return _clean(p.number_to_words(num, andword="", zero="oh", group=2))
    return _clean(p.number_to_words(num, andword=""))


def _plural(words):
    head, _, last = words.rpartition(" ")
    last = last[:-1] + "ies" if last.endswith("y") else last + ("es" if last == "six" else "s")
    return f"{head} {last}".strip()


def _currency(m):
    symbol, amount, scale = m.group(1), m.group(2), m.group(3)
    one, many, sub_one, sub_many = _CURRENCIES[symbol]
    if scale:  # "$2.5 million" -> "two point five million dollars"
        return f" {_decimal(amount)} {scale.lower()} {many} "
    whole, _, frac = amount.partition(".")
    has_units, single = bool(whole.strip("0")), whole.lstrip("0") == "1"  # no int(): any length
    cents = int(frac[:2].ljust(2, "0")) if frac and sub_one else 0
    if frac and (sub_one is None or len(frac) > 2):
        return f" {_decimal(amount)} {many} "
    parts = []
    if has_units or not cents:
        parts.append(
            f"{number_words(whole.lstrip('0') or '0', year_style=False)} {one if single else many}"
        )
    if cents:
        parts.append(f"{number_words(str(cents))} {sub_one if cents == 1 else sub_many}")
    return " " + " and ".join(parts) + " "


def _decimal(text):
    whole, _, frac = text.partition(".")
    words = number_words(whole, year_style=False) if whole else "zero"
    return f"{words} point {_digit_by_digit(frac)}" if frac else words


def _ordinal(m):
    digits = m.group(1)
    if len(digits) > MAX_CARDINAL_DIGITS:
        return f" {_digit_by_digit(digits)} {m.group(2)} "
    return " " + _clean(_engine().ordinal(_engine().number_to_words(int(digits)))) + " "


def expand_numbers(text: str) -> str:
    """Spell out the numbers in ``text``.

    Parameters
    ----------
    text : str

    Returns
    -------
    str
        ``text`` with every digit replaced by words (unchanged, and inflect not imported, when it
        has no digit).

    Examples
    --------
    >>> expand_numbers("I have $250 and 3.5% of 1,000,000 on the 21st of May 1999.")
    'I have two hundred fifty dollars and three point five percent of one million on the twenty first of May nineteen ninety nine.'
    >>> expand_numbers("Meet at 3:15pm, 10:05 or 10:00; wake me at 6 am")
    "Meet at three fifteen p.m., ten oh five or ten o'clock; wake me at six a.m."
    """  # noqa: E501
    if not any(c.isdecimal() for c in text):
        return text
    # Other scripts' digits (Arabic-Indic ...) as ASCII, so the rules below see them.
    if not text.isascii():
        text = "".join(str(int(c)) if c.isdecimal() and not c.isascii() else c for c in text)
    # The rules run on the stretches around digits only: scanning all of a long text with
    # each pattern cost 6x more than the rest of G2P's text handling.
    pieces, last = [], 0
    for lo, hi in _number_spans(text):
        pieces.append(text[last:lo])
        pieces.append(_expand(text[lo:hi]))
        last = hi
    pieces.append(text[last:])
    text = "".join(pieces)
    return _space_re.sub("", re.sub(r" {2,}", " ", text)).strip()


def _number_spans(text):
    """``(start, end)`` of the whitespace-delimited stretches that hold digits, with the words
    the rules may join to them (a currency sign before, "%" or a scale word after)."""
    spans = []
    for m in _digits_re.finditer(text):
        lo, hi = m.start(), m.end()
        if spans and lo < spans[-1][1]:
            continue  # inside the previous stretch
        while lo > 0 and not text[lo - 1].isspace():
            lo -= 1
        if lo >= 2 and text[lo - 2] in _CURRENCIES and text[lo - 1].isspace():
            lo -= 2
        while hi < len(text) and not text[hi].isspace():
            hi += 1
        after = _after_re.match(text, hi)
        if after:
            hi = after.end()
        if spans and lo <= spans[-1][1]:
            spans[-1] = (spans[-1][0], hi)
        else:
            spans.append((lo, hi))
    return spans


def _time(m):
    hours, minutes, seconds, meridiem = m.groups()
    if int(hours) > 24:
        return m.group(0)  # not a clock time: the digits are read as numbers
    words = [number_words(str(int(hours)))]
    if minutes != "00":
        words.append(f"oh {_DIGITS[int(minutes)]}" if minutes[0] == "0" else number_words(minutes))
    elif not meridiem and not seconds:
        words.append("o'clock")
    if seconds:
        words.append(number_words(seconds.lstrip("0") or "0"))
    if meridiem:
        words.append(f"{meridiem.lower()}.m.")
    return " " + " ".join(words) + " "


def _expand(text):
    """The number rules, in order, on a stretch of text."""
    text = _time_re.sub(_time, text)
    text = _hour_re.sub(
        lambda m: f" {number_words(str(int(m.group(1))))} {m.group(2).lower()}.m. ", text
    )
    text = _grouped_re.sub(lambda m: m.group(0).replace(",", ""), text)
    text = _currency_re.sub(_currency, text)
    text = _percent_re.sub(lambda m: f" {_decimal(m.group(1))} percent ", text)
    text = _ordinal_re.sub(_ordinal, text)
    text = _decade_re.sub(lambda m: f" {_plural(number_words(m.group(1)))} ", text)
    text = _dotted_re.sub(
        lambda m: " " + " point ".join(number_words(g) for g in m.group(0).split(".")) + " ", text
    )
    text = _decimal_re.sub(lambda m: f" {_decimal(m.group(0))} ", text)
    text = _minus_re.sub(" minus ", text)
    text = _glued_re.sub(" ", text)
    text = _number_re.sub(lambda m: f" {number_words(m.group(0))} ", text)
    return text
