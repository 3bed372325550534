"""Delexicalization: utterances to templates with ``[slot]`` placeholders and back, losslessly.

Conventions
-----------
Offsets
    ``Slot.start`` and ``Slot.end`` are ``[start, end)`` character offsets into ``Delexed.text``:
    Python ``str`` indices, i.e. Unicode code points (not bytes, not grapheme clusters), so
    ``text[slot.start:slot.end] == slot.value``.
Text from tokens
    :func:`delexicalize` joins the tokens with single spaces (the original spacing is not known
    from tokens). Raw text given to :func:`delexicalize_text` is kept exactly as given.
Templates
    The text with each slot value replaced by ``[name]``. A literal ``[``, ``]`` or ``\\`` of the
    text is escaped with a backslash (``\\[``, ``\\]``, ``\\\\``), so any text round-trips;
    a slot name is non-empty and holds no white space, brackets or backslash.
Tokens and tags back
    :func:`to_iob` splits the text on white space and also at every slot boundary (a Korean
    value followed by its particle, ``3시에``, gives the tokens ``3시`` and ``에``); the first
    token of a slot is tagged ``B-name``, the others ``I-name``, the rest ``O``. For the output of
    :func:`delexicalize` this gives back exactly the tokens and tags it was given.
"""

from __future__ import annotations

import bisect
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from ..errors import ParameterError
from ..tags import check_iob2, spans
from .kinds import PATTERN_KINDS
from .lexicon import Lexicon
from .patterns import check_kinds, compiled_patterns

__all__ = [
    "Delexed",
    "LexiconLike",
    "Slot",
    "SlotLike",
    "as_lexicon",
    "delexicalize",
    "delexicalize_text",
    "fill_template",
    "find_values",
    "generate",
    "parse_template",
    "relexicalize",
    "to_iob",
]

_ESCAPES = str.maketrans({"[": "\\[", "]": "\\]", "\\": "\\\\"})
_NEEDS_ESCAPE = re.compile(r"[\[\]\\]")
_TEMPLATE_PART = re.compile(r"\\(.)|\[([^\[\]\\\s]*)\]|([\[\]\\])", re.DOTALL)
_SPACE = re.compile(r"\s")
_TOKEN = re.compile(r"\S+")


@dataclass(frozen=True)
class Slot:
    """One slot value: ``text[start:end] == value``, offsets in code points, end exclusive.

    Examples
    --------
    >>> Slot("city", "서울", 3, 5).to_dict()
    {'name': 'city', 'value': '서울', 'start': 3, 'end': 5}
    """

    name: str
    value: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        """The JSON form ``{"name", "value", "start", "end"}``."""
        return {"name": self.name, "value": self.value, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class Delexed:
    """An utterance, its template and its slots (in text order, not overlapping).

    Examples
    --------
    >>> d = delexicalize(["fly", "to", "new", "york"], ["O", "O", "B-city", "I-city"])
    >>> d.template
    'fly to [city]'
    >>> d.slots[0]
    Slot(name='city', value='new york', start=7, end=15)
    >>> relexicalize(d.template, d.slots) == d.text
    True
    >>> d.iob()
    (['fly', 'to', 'new', 'york'], ['O', 'O', 'B-city', 'I-city'])
    """

    text: str
    template: str
    slots: tuple[Slot, ...]

    def iob(self) -> tuple[list[str], list[str]]:
        """``(tokens, tags)``: IOB2 tags for the text split as :func:`to_iob` splits it."""
        return to_iob(self.text, self.slots)

    def to_record(self, id: Any = None) -> dict[str, Any]:
        """The JSONL record ``{"id", "text", "template", "slots": [{name, value, start, end}]}``."""
        return {
            "id": id,
            "text": self.text,
            "template": self.template,
            "slots": [s.to_dict() for s in self.slots],
        }


# What the functions accept as a lexicon, and as a slot given back: a Slot, its JSON form
# (a mapping with "name" and "value") or a (name, value) pair.
LexiconLike = Lexicon | Mapping[str, Sequence[str]] | Iterable[tuple[str, str]]
SlotLike = Slot | Mapping[str, Any] | Sequence[Any]


def _escape(text):
    return text.translate(_ESCAPES) if _NEEDS_ESCAPE.search(text) else text


def _build(text, slots):
    parts, pos = [], 0
    for slot in slots:
        parts.append(_escape(text[pos : slot.start]))
        parts.append(f"[{slot.name}]")
        pos = slot.end
    parts.append(_escape(text[pos:]))
    return Delexed(text, "".join(parts), tuple(slots))


# ------------------------------------------------------------------------- tokens + tags in


def delexicalize(tokens: Sequence[str], tags: Sequence[str]) -> Delexed:
    """Replace each tagged slot of an IOB2-tagged utterance by ``[name]``.

    Parameters
    ----------
    tokens : sequence of str
        Non-empty, without white space; the text is the tokens joined by single spaces.
    tags : sequence of str
        One IOB2 tag per token: ``O``, ``B-name`` or ``I-name`` (continuing ``name``).

    Returns
    -------
    Delexed
        ``text``, ``template`` and ``slots`` with code-point offsets into ``text``.

    Raises
    ------
    ParameterError
        Tokens and tags of different lengths, an empty token or one holding white space, a tag
        that is not IOB2 (naming the token), an ``I-`` tag that does not continue its slot.

    Examples
    --------
    >>> d = delexicalize(["wake", "me", "at", "7", "am"], ["O", "O", "O", "B-time", "I-time"])
    >>> d.template, d.slots[0].value
    ('wake me at [time]', '7 am')
    """
    tokens, tags = list(tokens), list(tags)
    if len(tokens) != len(tags):
        raise ParameterError(
            f"{len(tokens)} tokens but {len(tags)} tags; give one IOB2 tag per token"
        )
    text = " ".join(tokens)
    if not all(tokens) or _SPACE.search("".join(tokens)):
        k = next(k for k, t in enumerate(tokens) if not t or _SPACE.search(t))
        raise ParameterError(
            f"token {k} ({tokens[k]!r}) is empty or holds white space; tokens are joined by "
            "spaces, so split it into several tokens"
        )
    check_iob2(tags, where=lambda k: f"token {k} ({tokens[k]!r})", error=ParameterError)
    starts = list(accumulate((len(t) + 1 for t in tokens), initial=0))  # offsets in text
    slots = []
    for first, stop, name in spans(tags):
        start, end = starts[first], starts[stop] - 1
        slots.append(Slot(name, text[start:end], start, end))
    return _build(text, slots)


# ------------------------------------------------------------------------------- raw text in


def find_values(
    text: str,
    *,
    patterns: Iterable[str] | str = PATTERN_KINDS,
    lexicon: LexiconLike | None = None,
    keep: Iterable[Slot] = (),
) -> list[Slot]:
    """Find slot values in raw text with value patterns and a lexicon; longest match first.

    Every pattern and lexicon match is a candidate; candidates are taken longest first, and a
    candidate overlapping one already taken is dropped. Between two of the same length the
    earlier one wins, then a lexicon match over a pattern match, then the pattern order of
    ``PATTERN_KINDS`` (money, percent, time, date, number).

    Parameters
    ----------
    text : str
    patterns : iterable of str, or str
        Pattern kinds (see :mod:`speechtext.delex.patterns`); ``()`` for none. A pattern match
        is named after its kind (``time``, ``date``, ``number``, ``money``, ``percent``).
    lexicon : Lexicon, mapping of slot -> values, iterable of (slot, value), or None
    keep : iterable of Slot
        Slots known already (e.g. from tags); they are kept and win over any match.

    Returns
    -------
    list of Slot
        In text order, not overlapping.

    Examples
    --------
    >>> [(s.name, s.value) for s in find_values("pay $25 at 3:15 pm on march 5th")]
    [('money', '$25'), ('time', '3:15 pm'), ('date', 'march 5th')]
    >>> found = find_values("내일 오후 3시에 3,000원", patterns="time,date,money")
    >>> [(s.name, s.value) for s in found]
    [('date', '내일'), ('time', '오후 3시'), ('money', '3,000원')]
    """
    kinds = check_kinds(patterns)
    lexicon = as_lexicon(lexicon)
    candidates = []
    if lexicon is not None:
        candidates += [(-(e - s), s, -1, name) for s, e, name in lexicon.matches(text)]
    compiled = compiled_patterns()
    for kind in kinds:
        rank = PATTERN_KINDS.index(kind)
        candidates += [
            (m.start() - m.end(), m.start(), rank, kind) for m in compiled[kind].finditer(text)
        ]
    chosen = list(keep)
    # the taken spans do not overlap, so their starts and ends sort alike: bisect finds the
    # neighbours a candidate could overlap
    spans = sorted((s.start, s.end) for s in keep)
    starts, ends = [a for a, _ in spans], [b for _, b in spans]
    for negative_length, start, _, name in sorted(candidates):
        end = start - negative_length
        i = bisect.bisect_right(starts, start)
        if (i and ends[i - 1] > start) or (i < len(starts) and starts[i] < end):
            continue
        starts.insert(i, start)
        ends.insert(i, end)
        chosen.append(Slot(name, text[start:end], start, end))
    chosen.sort(key=lambda s: s.start)
    return chosen


def as_lexicon(lexicon: LexiconLike | None) -> Lexicon | None:
    """A :class:`Lexicon` from a Lexicon, a mapping slot -> values, or (slot, value) pairs."""
    if lexicon is None or isinstance(lexicon, Lexicon):
        return lexicon
    if isinstance(lexicon, Mapping):
        return Lexicon((slot, v) for slot, values in lexicon.items() for v in values)
    return Lexicon(lexicon)


def delexicalize_text(
    text: str,
    *,
    patterns: Iterable[str] | str = PATTERN_KINDS,
    lexicon: LexiconLike | None = None,
    keep: Iterable[Slot] = (),
) -> Delexed:
    """Delexicalize raw text with value patterns and a lexicon (see :func:`find_values`).

    The text is kept exactly as given; :meth:`Delexed.iob` gives silver IOB2 training data.

    Examples
    --------
    >>> d = delexicalize_text("wake me at 7 am tomorrow", patterns="time,date")
    >>> d.template
    'wake me at [time] [date]'
    >>> d.iob()[1]
    ['O', 'O', 'O', 'B-time', 'I-time', 'B-date']
    """
    if not isinstance(text, str):
        raise ParameterError(f"text must be a str, not {type(text).__name__}")
    return _build(text, find_values(text, patterns=patterns, lexicon=lexicon, keep=keep))


# ----------------------------------------------------------------------------------- back out


def parse_template(template: str) -> list[tuple[str, bool]]:
    """Split a template into literal text and placeholders.

    Returns
    -------
    list of (str, bool)
        ``(literal text, False)`` and ``(slot name, True)`` in order.

    Raises
    ------
    ParameterError
        An unescaped ``[`` or ``]`` outside a placeholder, an empty or malformed placeholder,
        an unknown escape or a trailing backslash.

    Examples
    --------
    >>> parse_template("at [time] \\\\[sic\\\\]")
    [('at ', False), ('time', True), (' [sic]', False)]
    """
    if not isinstance(template, str):
        raise ParameterError(f"template must be a str, not {type(template).__name__}")
    parts, literal, pos = [], [], 0
    for m in _TEMPLATE_PART.finditer(template):
        literal.append(template[pos : m.start()])
        pos = m.end()
        escaped, name, stray = m.groups()
        if escaped is not None:
            if escaped not in "[]\\":
                raise ParameterError(
                    f"template {template!r}, character {m.start()}: unknown escape "
                    f"'\\{escaped}'; only \\[, \\] and \\\\ are escapes"
                )
            literal.append(escaped)
        elif name is not None and name:
            parts.append(("".join(literal), False))
            literal = []
            parts.append((name, True))
        else:
            what = "an empty placeholder []" if name is not None else f"a lone {stray!r}"
            raise ParameterError(
                f"template {template!r}, character {m.start()}: {what}; write a literal "
                "bracket or backslash as \\[, \\] or \\\\"
            )
    literal.append(template[pos:])
    parts.append(("".join(literal), False))
    return [p for p in parts if p[1] or p[0]]


def _slot_pair(slot):
    if isinstance(slot, Slot):
        return slot.name, slot.value
    if isinstance(slot, Mapping):
        return slot.get("name"), slot.get("value")
    name, value, *_ = slot
    return name, value


def fill_template(template: str, slots: Iterable[SlotLike]) -> Delexed:
    """Fill the placeholders of ``template`` in order; the result with fresh offsets.

    Parameters
    ----------
    template : str
    slots : sequence of Slot, of mappings with "name" and "value", or of (name, value)
        One per placeholder, in order, with the placeholder's name. Offsets given are ignored.

    Returns
    -------
    Delexed

    Raises
    ------
    ParameterError
        A malformed template, a different number of slots than placeholders, a name that does
        not match its placeholder, an empty value.

    Examples
    --------
    >>> d = fill_template("fly to [city] at [time]", [("city", "Seoul"), ("time", "오후 3시")])
    >>> d.text, d.slots[1].start
    ('fly to Seoul at 오후 3시', 16)
    """
    parts = parse_template(template)
    pairs = [_slot_pair(s) for s in slots]
    names = [p for p, is_slot in parts if is_slot]
    if len(names) != len(pairs):
        raise ParameterError(
            f"template {template!r} has {len(names)} placeholders but {len(pairs)} slots were "
            "given; give one slot per placeholder, in order"
        )
    text, out, pos = [], [], 0
    k = 0
    for piece, is_slot in parts:
        if not is_slot:
            text.append(piece)
            pos += len(piece)
            continue
        name, value = pairs[k]
        if name != piece:
            raise ParameterError(
                f"template {template!r}: slot {k} is named {name!r} but placeholder {k} is "
                f"[{piece}]; give the slots in the placeholders' order"
            )
        if not isinstance(value, str) or not value.strip():
            raise ParameterError(f"slot {k} ({name!r}): value {value!r} is not a non-empty str")
        out.append(Slot(name, value, pos, pos + len(value)))
        text.append(value)
        pos += len(value)
        k += 1
    return Delexed("".join(text), template, tuple(out))


def relexicalize(template: str, slots: Iterable[SlotLike]) -> str:
    """The text of ``template`` with its placeholders filled by the slots' values, in order.

    ``relexicalize(d.template, d.slots) == d.text`` for every ``Delexed`` d.

    Examples
    --------
    >>> relexicalize("wake me at [time] \\\\[ok\\\\]", [("time", "7 am")])
    'wake me at 7 am [ok]'
    """
    return fill_template(template, slots).text


def to_iob(text: str, slots: Iterable[Slot | Mapping[str, Any]]) -> tuple[list[str], list[str]]:
    """Tokens and IOB2 tags of ``text`` with ``slots``.

    The text is split on white space and at every slot boundary; see the module docstring.

    Parameters
    ----------
    text : str
    slots : iterable of Slot (or mappings with "name", "start", "end")
        Not overlapping; each must cover some non-space character.

    Returns
    -------
    tokens, tags : list of str

    Examples
    --------
    >>> to_iob("오후 3시에 만나", [Slot("time", "오후 3시", 0, 5)])
    (['오후', '3시', '에', '만나'], ['B-time', 'I-time', 'O', 'O'])
    """
    spans = sorted(
        (s.start, s.end, s.name) if isinstance(s, Slot) else (s["start"], s["end"], s["name"])
        for s in slots
    )
    for (s1, e1, n1), (s2, _, n2) in zip(spans, spans[1:], strict=False):
        if s2 < e1:
            raise ParameterError(f"slots {n1!r} [{s1}, {e1}) and {n2!r} overlap at {s2}")
    for s, e, n in spans:
        if not (0 <= s < e <= len(text)):
            raise ParameterError(f"slot {n!r} [{s}, {e}) is not inside the text of {len(text)}")
    tokens, tags = [], []
    k, nspans, inside = 0, len(spans), False
    for m in _TOKEN.finditer(text):
        start, end = m.span()
        while start < end:
            while k < nspans and spans[k][1] <= start:
                if not inside:
                    raise ParameterError(f"slot {spans[k][2]!r} covers only white space")
                k, inside = k + 1, False
            if k < nspans and spans[k][0] <= start:
                stop = min(end, spans[k][1])
                tags.append(("I-" if inside else "B-") + spans[k][2])
                inside = True
            else:
                stop = min(end, spans[k][0]) if k < nspans else end
                tags.append("O")
            tokens.append(text[start:stop])
            start = stop
    while k < nspans:
        if not inside:
            raise ParameterError(f"slot {spans[k][2]!r} covers only white space")
        k, inside = k + 1, False
    return tokens, tags


# -------------------------------------------------------------------------------- generation


def generate(
    templates: Iterable[str],
    values: Lexicon | Mapping[str, Sequence[str]],
    *,
    n: int,
    seed: int = 0,
    unique: bool = True,
) -> list[Delexed]:
    """Fill templates with values: new tagged utterances, reproducible with ``seed``.

    Each utterance draws a template uniformly from the distinct ``templates`` (in first-seen
    order), then each placeholder's value uniformly from ``values[name]``.

    Parameters
    ----------
    templates : iterable of str
    values : Lexicon or mapping of slot name -> sequence of str
    n : int
        How many utterances to make.
    seed : int
        Seed of the ``random.Random`` that draws; the same inputs and seed give the same output.
    unique : bool
        Skip utterances already made; then fewer than ``n`` come back when the templates and
        values cannot make ``n`` distinct ones (tried ``20 * n`` draws).

    Returns
    -------
    list of Delexed

    Raises
    ------
    ParameterError
        A template naming a slot with no values, a malformed template, ``n < 0``.

    Examples
    --------
    >>> out = generate(["to [city]"], {"city": ["paris", "new york"]}, n=2, seed=1)
    >>> sorted(d.text for d in out)
    ['to new york', 'to paris']
    """
    if not isinstance(n, int) or n < 0:
        raise ParameterError(f"n={n!r}; give a whole number >= 0")
    lookup = values.values if isinstance(values, Lexicon) else lambda s: list(values.get(s, ()))
    distinct = list(dict.fromkeys(templates))
    parsed = []
    for template in distinct:
        names = [p for p, is_slot in parse_template(template) if is_slot]
        choices = []
        for name in names:
            pool = lookup(name)
            if not pool:
                raise ParameterError(
                    f"template {template!r} names the slot [{name}] but there are no values "
                    "for it; add it to the lexicon"
                )
            choices.append(pool)
        parsed.append((template, names, choices))
    if not parsed:
        return []
    rng = random.Random(seed)
    out, seen = [], set()
    for _ in range(20 * n if unique else n):
        if len(out) == n:
            break
        template, names, choices = parsed[rng.randrange(len(parsed))]
        picked = [
            (name, pool[rng.randrange(len(pool))])
            for name, pool in zip(names, choices, strict=True)
        ]
        d = fill_template(template, picked)
        if unique:
            if d.text in seen:
                continue
            seen.add(d.text)
        out.append(d)
    return out
