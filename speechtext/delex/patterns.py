"""Value patterns: times, dates, numbers, money and percentages in English and Korean (stdlib re).

Each pattern kind is one compiled regular expression; :func:`pattern_matches` runs the ones asked
for over a text and returns every match as ``(start, end, kind)``, ``[start, end)`` character
offsets (Python ``str`` indices, i.e. code points). Matching is case-insensitive; the matched
stretch keeps the text's own casing because values are sliced from the text.

Boundaries: a value never starts or ends inside a longer word. The character before a value and
the character after it must not be a *word character*: a letter, digit, underscore or combining
mark (so "café" written with a combining accent is one word), and a number never stops before
``.5``, ``,000`` or ``:30``. The one exception is Korean: nouns take their particles without a
space, so a value may be followed directly by one to three particles or copula endings from a
fixed list (``3시에``, ``서울에서는``, ``3,000원이에요``) when they end the word; the particles
stay in the template (``[time]에``). Any other Hangul right after a value means it is part of a
longer word (``3시간``, "3 hours", is not the time ``3시``; ``서울대`` does not contain the city
``서울``).

Kinds
-----
time
    ``3:15 pm``, ``15:30``, ``3pm``, ``3 o'clock``, ``seven thirty pm``, ``quarter past three``,
    ``half past 2``, ``ten to six``, ``noon``, ``midnight``; Korean ``3시``, ``3시15분``,
    ``3시 15분``, ``오후 3시``, ``새벽 2시 반``, ``세 시 반`` (native hours), ``정오``, ``자정``.
date
    ``march 5th``, ``march 5, 2026``, ``5 march 2026``, ``the 5th of march``, ``march 2026``,
    ``2026-11-29``, ``11/29``, ``29.11.2026``, ``today``, ``tomorrow``, ``tonight``,
    ``the day after tomorrow``, ``next friday``, ``this weekend``, ``friday``; Korean
    ``2026년 11월 29일``, ``11월 29일``, ``내일``, ``모레``, ``다음 주 금요일``, ``금요일``.
    A month name alone is not a date ("may" is too often a verb; "5 may" needs a year or
    "of": ``5th of may``, ``5 may 2026``). ``1/2`` is read as a date.
number
    ``25``, ``3,000``, ``-2.5``, ``21st``, ``twenty five``, ``one hundred and five``,
    ``three thousand``. Korean number words and counters (``3개``) are not covered.
money
    ``$25``, ``$1,000.50``, ``€5``, ``25 dollars``, ``twenty five dollars and fifty cents``,
    ``50 cents``, ``USD 25``, ``3,000원``, ``3000 원``, ``3만 5천원``, ``만 원``, ``₩3,000``.
percent
    ``25%``, ``25 %``, ``25 percent``, ``twenty per cent``, ``25퍼센트``, ``30프로``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

from ..errors import ParameterError
from .kinds import PATTERN_KINDS

__all__ = [
    "PARTICLE",
    "PATTERN_KINDS",
    "boundaries",
    "check_kinds",
    "compiled_patterns",
    "pattern_matches",
    "word_class",
]

# Korean particles (josa) and copula endings a value may carry without a space; longest first so
# the alternation prefers "에서" over "에".
_PARTICLE_WORDS = """
    에서 에게 한테 께서 까지 부터 으로 이랑 하고 이나 마다 처럼 보다 밖에 만큼 정도 이에요
    예요 입니다 이야 이고 인데 이라 라고 이요 에 께 로 와 과 랑 의 도 만 은 는 이 가 을 를 나
    쯤 경 요 야"""
_PARTICLES = sorted(_PARTICLE_WORDS.split(), key=len, reverse=True)
PARTICLE = "(?:" + "|".join(_PARTICLES) + ")"
# At most three particles (에서+부터+는): a bounded run, because "이나" is also "이"+"나" and an
# unbounded run would backtrack exponentially on a long string of particles before a word.
PARTICLE_RUN = PARTICLE + "{0,3}"


@functools.cache
def word_class() -> str:
    """A regex character class of the *word characters*: ``\\w`` plus the combining marks."""
    # re has no \p{M}; collect the marks once (about 25 ms) from the Unicode database.
    ranges, start, prev = [], None, None
    for cp in range(0x300, 0x20000):
        if unicodedata.category(chr(cp))[0] == "M" or cp == 0x200D or 0xFE00 <= cp <= 0xFE0F:
            if start is None:
                start = cp
            elif cp != prev + 1:
                ranges.append((start, prev))
                start = cp
            prev = cp
    ranges.append((start, prev))
    parts = "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )
    return rf"[\w{parts}]"


@functools.cache
def boundaries() -> tuple[str, str]:
    """``(left, right)`` regex fragments: not inside a word; particles allowed on the right."""
    w = word_class()
    left = rf"(?<!{w})(?<!\d[.,:])"
    right = rf"(?![.,:]\d)(?={PARTICLE_RUN}(?!{w}))"
    return left, right


def _alt(words):
    return "(?:" + "|".join(sorted(words.split(), key=len, reverse=True)) + ")"


_UNITS = _alt("one two three four five six seven eight nine")
_TEENS = _alt("ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen")
_TENS = _alt("twenty thirty forty fifty sixty seventy eighty ninety")
_U99 = rf"(?:{_TENS}(?:[\s-]{_UNITS})?|{_TEENS}|{_UNITS})"
_U999 = rf"(?:(?:a|{_UNITS})\s+hundred(?:\s+(?:and\s+)?{_U99})?|{_U99})"
NUMBER_WORDS = rf"(?:{_U999}(?:\s+(?:thousand|million|billion)(?:,?\s+(?:and\s+)?{_U999})?)?|zero)"
# Digits: grouped thousands first, so "3,000" is one number.
DIGITS = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_AMOUNT = rf"(?:{DIGITS}|{NUMBER_WORDS})"

# ---------------------------------------------------------------------------------------- time
_H12 = r"(?:1[0-2]|0?[1-9])"
_H24 = r"(?:[01]?\d|2[0-4])"
_HOUR_WORD = (
    r"(?:twenty[\s-](?:one|two|three|four)|"
    + _alt("one two three four five six seven eight nine ten eleven twelve thirteen fourteen")
    + "|"
    + _alt("fifteen sixteen seventeen eighteen nineteen twenty")
    + ")"
)
_HOUR = rf"(?:{_H12}|{_HOUR_WORD})"
# "a m" as in SNIPS, whose text has no punctuation
_AMPM = r"(?:\s?(?:a\.m\.|p\.m\.|a\.m|p\.m|a\sm|p\sm|am|pm))"
_DAYPART = r"(?:\s+(?:in\s+the\s+(?:morning|afternoon|evening)|at\s+night|tonight))"
_CLOCK_MINUTES = rf"(?:(?:oh[\s-])?{_UNITS}|{_TEENS}|{_TENS}(?:[\s-]{_UNITS})?|hundred)"
_RELATIVE_MINUTES = (
    rf"(?:(?:a\s+)?quarter|half|twenty[\s-]five|five|ten|twenty|"
    rf"(?:\d{{1,2}}|{_U99})\s+minutes?)"
)
_TIME_EN = [
    rf"{_H24}:[0-5]\d(?::[0-5]\d)?{_AMPM}?{_DAYPART}?",
    rf"{_HOUR}(?:[\s-]{_CLOCK_MINUTES})?{_AMPM}{_DAYPART}?",
    rf"{_HOUR}\s?o[’']?\s?clock(?:{_AMPM}|{_DAYPART})?",
    rf"{_RELATIVE_MINUTES}\s+(?:past|after|to|before|till|til)\s+(?:{_HOUR}|noon|midnight)"
    rf"(?:{_AMPM}|{_DAYPART})?",
    r"(?:12\s+)?(?:noon|midnight|midday)",
]
_KO_PERIOD = r"(?:오전|오후|새벽|아침|낮|저녁|밤)"
_KO_HOUR = rf"(?:{_H24}|{_alt('한 두 세 네 다섯 여섯 일곱 여덟 아홉 열 열한 열두')})"
_TIME_KO = [
    rf"(?:{_KO_PERIOD}\s?)?{_KO_HOUR}\s?시(?:\s?(?:[0-5]?\d\s?분(?:\s?[0-5]?\d\s?초)?|반))?",
    r"(?:낮\s?)?정오|(?:밤\s?)?자정",
]

# ---------------------------------------------------------------------------------------- date
_MONTH = (
    _alt(
        "january february march april may june july august september october november "
        "december jan feb mar apr jun jul aug sep sept oct nov dec"
    )
    + r"\.?"
)
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_ORDINAL_1_9 = _alt("first second third fourth fifth sixth seventh eighth ninth")
_DAY_WORD = (
    rf"(?:(?:twenty|thirty)[\s-]{_ORDINAL_1_9}|twentieth|thirtieth|{_ORDINAL_1_9}|"
    + _alt(
        "tenth eleventh twelfth thirteenth fourteenth fifteenth sixteenth seventeenth "
        "eighteenth nineteenth"
    )
    + ")"
)
_DAY_ANY = rf"(?:{_DAY}|{_DAY_WORD})"
_YEAR = r"(?:1[5-9]\d\d|2\d{3})"
_WEEKDAY = _alt("monday tuesday wednesday thursday friday saturday sunday")
_DATE_EN = [
    rf"{_MONTH}\s+(?:the\s+)?{_DAY_ANY}(?:,?\s+{_YEAR})?",
    rf"(?:the\s+)?{_DAY_ANY}\s+of\s+{_MONTH}(?:,?\s+{_YEAR})?",
    # "5 may" only with a year: "the first may be" is no date
    rf"(?:the\s+)?{_DAY_ANY}\s+(?!may\b){_MONTH}(?:,?\s+{_YEAR})?",
    rf"(?:the\s+)?{_DAY_ANY}\s+may,?\s+{_YEAR}",
    rf"{_MONTH}\s+{_YEAR}",
    r"\d{4}[-/](?:1[0-2]|0?[1-9])[-/](?:[12]\d|3[01]|0?[1-9])",
    r"(?:1[0-2]|0?[1-9])/(?:[12]\d|3[01]|0?[1-9])(?:/(?:\d{4}|\d\d))?",
    r"(?:[12]\d|3[01]|0?[1-9])\.(?:1[0-2]|0?[1-9])\.\d{4}",
    r"(?:the\s+)?day\s+(?:after\s+tomorrow|before\s+yesterday)",
    rf"(?:next|this|last|coming)\s+(?:{_WEEKDAY}|week(?:-?end)?|month|year)",
    rf"{_WEEKDAY}(?:\s+(?:morning|afternoon|evening|night))?",
    r"today|tomorrow|tonight|yesterday",
]
_KO_WEEKDAY = r"(?:[월화수목금토일]요일)"
_DATE_KO = [
    r"(?:\d{4}\s?년\s?)?(?:1[0-2]|0?[1-9])\s?월(?:\s?(?:[12]\d|3[01]|0?[1-9])\s?일)?",
    r"\d{4}\s?년",
    rf"(?:(?:다음|이번|지난|담)\s?주\s?)?(?:{_KO_WEEKDAY}|주말)",
    r"(?:다음|이번|지난)\s?(?:주|달)",
    r"오늘|내일|모레|글피|어제|그제|그저께|내년|올해|작년",
]

# --------------------------------------------------------------------------- money and percent
_SCALE = r"(?:\s?(?:k|m|bn|thousand|million|billion))"
_CURRENCY_WORD = _alt("dollars dollar bucks euros euro pounds pound cents cent yen won")
_CURRENCY_CODE = _alt("usd eur gbp jpy krw")
_KO_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
_MONEY = [
    rf"[$€£¥₩]\s?{DIGITS}{_SCALE}?",
    rf"{_AMOUNT}{_SCALE}?\s?(?:{_CURRENCY_WORD}|{_CURRENCY_CODE})"
    rf"(?:,?\s+(?:and\s+)?{_AMOUNT}\s+cents?)?",
    rf"{_CURRENCY_CODE}\s?{DIGITS}{_SCALE}?",
    # Korean: digits with the units 억 (1e8), 만 (1e4), 천 (1e3), 백 (1e2), then 원.
    rf"(?=[\d만천백])(?:{_KO_NUM}\s?억\s?)?(?:{_KO_NUM}?\s?만\s?)?(?:{_KO_NUM}?\s?천\s?)?"
    rf"(?:{_KO_NUM}?\s?백\s?)?(?:{_KO_NUM}\s?)?원",
]
_PERCENT = [rf"[-+−]?{_AMOUNT}\s?(?:%|percent|per\s+cent|퍼센트|프로)"]
_NUMBER = [
    r"\d+(?:st|nd|rd|th)",
    # not the 3 of 3만 (30,000), even though 만 is also the particle "only"
    rf"[-+−]?{DIGITS}(?![억만천백])",
    NUMBER_WORDS,
]

_SOURCES = {
    "time": _TIME_EN + _TIME_KO,
    "date": _DATE_EN + _DATE_KO,
    "number": _NUMBER,
    "money": _MONEY,
    "percent": _PERCENT,
}


@functools.cache
def compiled_patterns() -> dict[str, re.Pattern[str]]:
    """The compiled pattern of each kind, boundaries included: ``{kind: re.Pattern}``."""
    left, right = boundaries()
    return {
        kind: re.compile(rf"{left}(?:{'|'.join(alts)}){right}", re.IGNORECASE)
        for kind, alts in _SOURCES.items()
    }


def check_kinds(kinds: Iterable[str] | str) -> tuple[str, ...]:
    """``kinds`` as a tuple of known pattern kinds; ParameterError naming an unknown one.

    Examples
    --------
    >>> check_kinds("time, date")
    ('time', 'date')
    """
    if isinstance(kinds, str):
        kinds = [k.strip() for k in kinds.split(",") if k.strip()]
    kinds = tuple(kinds)
    for kind in kinds:
        if kind not in _SOURCES:
            raise ParameterError(
                f"unknown pattern kind {kind!r}; choose from {', '.join(PATTERN_KINDS)}"
            )
    return kinds


def pattern_matches(
    text: str, kinds: Iterable[str] | str = PATTERN_KINDS
) -> list[tuple[int, int, str]]:
    """Every match of the pattern ``kinds`` in ``text``, possibly overlapping across kinds.

    Parameters
    ----------
    text : str
    kinds : iterable of str or str
        A subset of ``PATTERN_KINDS`` (or a comma-separated string).

    Returns
    -------
    list of (start, end, kind)
        ``[start, end)`` code-point offsets. Use :func:`speechtext.delex.find_values` for the
        non-overlapping choice (longest first).

    Examples
    --------
    >>> pattern_matches("wake me at 3:15 pm", ["time"])
    [(11, 18, 'time')]
    >>> pattern_matches("오후 3시에 만나", ["time"])
    [(0, 5, 'time')]
    """
    patterns = compiled_patterns()
    out = []
    for kind in check_kinds(kinds):
        out.extend((m.start(), m.end(), kind) for m in patterns[kind].finditer(text))
    return out
