"""User lexicons: slot values found in raw text by dictionary look-up, longest first.

A value is matched case-insensitively (``str.lower``) as a sequence of *units*: runs of word
characters (``\\w+``) and single other characters, with any white space between units ignored
("AC/DC" also matches "ac / dc"; "new york" matches "New  York" but not "newyork"). A match never
starts or ends inside a longer word (see :mod:`speechtext.delex.patterns` for the boundaries,
including Korean particles: ``서울에서`` holds the value ``서울``).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable

from ..errors import ParameterError
from ..io.lexicon import read_lexicon
from ..tags import check_slot_name
from .patterns import PARTICLE, boundaries

__all__ = ["Lexicon", "load_lexicon"]

_UNIT = re.compile(r"\w+|[^\w\s]")


def _is_hangul(ch):
    return "\uac00" <= ch <= "\ud7a3"


def _lower(text):
    """``text.lower()`` where that keeps every offset (it does for all but U+0130)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


class Lexicon:
    """Slot values to look up in raw text.

    Parameters
    ----------
    entries : iterable of (slot, value)
        Values are stripped; white space inside a value may be any run of white space in the
        text. A value listed under several slots is found as the first slot listed.

    Examples
    --------
    >>> lex = Lexicon([("city", "new york"), ("city", "york"), ("artist", "AC/DC")])
    >>> [(s, e, slot) for s, e, slot in lex.matches("fly to New York with ac/dc")]
    [(7, 15, 'city'), (11, 15, 'city'), (21, 26, 'artist')]
    >>> lex.values("city")
    ['new york', 'york']
    """

    def __init__(self, entries: Iterable[tuple[str, str]] = ()) -> None:
        self._slot_of = {}  # unit key -> slot it is found as (the first listed)
        self._values = {}  # slot -> values, the first spelling of each kept
        self._keys = {}  # slot -> unit keys of its values
        self._max_units = 0
        for slot, value in entries:
            self.add(slot, value)

    def add(self, slot: str, value: str) -> None:
        """Add one value; ParameterError for a bad slot name or a value with no characters."""
        check_slot_name(slot)
        if not isinstance(value, str) or not value.strip():
            raise ParameterError(f"slot {slot!r}: empty value {value!r}")
        value = value.strip()
        units = _UNIT.findall(_lower(value))
        key = " ".join(units)
        self._slot_of.setdefault(key, slot)
        keys = self._keys.setdefault(slot, set())
        if key not in keys:
            keys.add(key)
            self._values.setdefault(slot, []).append(value)
        self._max_units = max(self._max_units, len(units))

    def update(self, other: Lexicon | Iterable[tuple[str, str]]) -> Lexicon:
        """Add every entry of another Lexicon (or iterable of pairs)."""
        pairs = other.items() if isinstance(other, Lexicon) else other
        for slot, value in pairs:
            self.add(slot, value)
        return self

    def items(self) -> list[tuple[str, str]]:
        """``(slot, value)`` pairs in the order added."""
        return [(slot, v) for slot, values in self._values.items() for v in values]

    @property
    def slots(self) -> list[str]:
        """The slot names, in the order first added."""
        return [slot for slot, values in self._values.items() if values]

    def values(self, slot: str) -> list[str]:
        """The values of ``slot`` (an empty list for an unknown slot)."""
        return list(self._values.get(slot, ()))

    def __len__(self) -> int:
        return sum(len(v) for v in self._values.values())

    def __contains__(self, slot: object) -> bool:
        return bool(self._values.get(slot))

    def __repr__(self) -> str:
        return f"Lexicon({len(self)} values, {len(self.slots)} slots)"

    def matches(self, text: str) -> list[tuple[int, int, str]]:
        """Every lexicon value in ``text``: ``[(start, end, slot)]``, possibly overlapping.

        ``[start, end)`` are code-point offsets; values respect the word boundaries.
        """
        if not self._slot_of:
            return []
        left, right, particles = _compiled()
        low = _lower(text)
        units = [(m.start(), m.end()) for m in _UNIT.finditer(low)]
        slot_of, out = self._slot_of, []
        for i, (start, _) in enumerate(units):
            if not left.match(low, start):
                continue
            key = ""
            for j in range(i, min(i + self._max_units, len(units))):
                us, ue = units[j]
                unit = low[us:ue]
                prefix = key
                key = unit if j == i else f"{key} {unit}"
                slot = slot_of.get(key)
                if slot is not None and right.match(low, ue):
                    out.append((start, ue, slot))
                # Korean: the value may end before particles inside this unit (서울에서).
                if _is_hangul(unit[-1]):
                    for k in range(1, len(unit)):
                        stem = unit[:k]
                        if not particles.fullmatch(unit, k):
                            continue
                        short = stem if j == i else f"{prefix} {stem}"
                        slot = slot_of.get(short)
                        if slot is not None and right.match(low, us + k):
                            out.append((start, us + k, slot))
        return out


def load_lexicon(*paths: str | os.PathLike) -> Lexicon:
    """A :class:`Lexicon` from TSV files of ``slot<TAB>value`` lines (see speechtext.io.lexicon).

    Examples
    --------
    >>> lex = load_lexicon("cities.tsv", "artists.tsv")  # doctest: +SKIP
    """
    lexicon = Lexicon()
    for path in paths:
        lexicon.update(read_lexicon(path))
    return lexicon


@functools.cache
def _compiled():
    left, right = boundaries()
    return re.compile(left), re.compile(right), re.compile(f"{PARTICLE}{{1,3}}")
