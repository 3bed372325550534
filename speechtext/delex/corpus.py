"""Delexicalization of a corpus: many utterances to templates, what the templates and values
count, and templates read back (from ``speechtext delex`` records) to fill with values.

Errors name the file and line (``FILE:LINE``), as the readers of :mod:`speechtext.io` give them.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import FormatError, ParameterError
from ..tags import check_iob2, check_tags
from ..types import Sentence
from .core import Delexed, LexiconLike, as_lexicon, delexicalize, delexicalize_text, parse_template
from .kinds import PATTERN_KINDS
from .lexicon import Lexicon

__all__ = [
    "Template",
    "TemplateCounts",
    "check_template_values",
    "count_templates",
    "delexicalize_sentences",
    "read_template_records",
]


# ------------------------------------------------------------------------ utterances in


def delexicalize_sentences(
    sentences: Sequence[Sentence],
    *,
    patterns: Iterable[str] | str | None = None,
    lexicon: LexiconLike | None = None,
    source: str | os.PathLike = "",
) -> list[Delexed]:
    """Delexicalize the sentences of one file: tagged ones by their IOB2 tags, untagged ones by
    value patterns and the lexicon.

    Parameters
    ----------
    sentences : sequence of Sentence
        As :func:`speechtext.io.read_sentences` gives them, all tagged or all untagged.
    patterns : iterable of str, str, or None
        Value pattern kinds also looked up in the text (in the rest of it, for tagged
        sentences); None for the default: none for tagged sentences, all for untagged ones.
    lexicon : Lexicon, mapping, pairs, or None
        Values also looked up in the text (see :func:`speechtext.delex.find_values`).
    source : path
        The file or folder the sentences come from, named in errors.

    Returns
    -------
    list of Delexed
        One per sentence, in order.

    Raises
    ------
    FormatError
        Sentences without tokens (tags only), a tag that is not IOB2 (naming ``FILE:LINE``).

    Examples
    --------
    >>> from speechtext.types import Sentence
    >>> [d.template for d in delexicalize_sentences([Sentence(["at", "7", "am"])])]
    ['at [time]']
    """
    if any(s.tokens is None for s in sentences):
        raise FormatError(f"{source}: holds tags only (a bare seq.out); give the tokens too")
    tagged = bool(sentences) and sentences[0].tags is not None
    if patterns is None:
        patterns = () if tagged else PATTERN_KINDS
    lexicon = as_lexicon(lexicon)
    if not tagged:
        return [
            delexicalize_text(" ".join(s.tokens), patterns=patterns, lexicon=lexicon)
            for s in sentences
        ]
    check_tags(sentences, scheme="IOB2")
    find = bool(patterns) or lexicon is not None
    out = []
    for s in sentences:
        check_iob2(s.tags, where=s.where)
        d = delexicalize(s.tokens, s.tags)
        if find:
            d = delexicalize_text(d.text, patterns=patterns, lexicon=lexicon, keep=d.slots)
        out.append(d)
    return out


@dataclass(frozen=True)
class TemplateCounts:
    """What a delexicalized corpus holds: its templates and each slot's values, with counts.

    ``Counter`` order is first-seen order, so ``most_common`` breaks ties by first appearance.
    """

    utterances: int
    templates: Counter[str]  # template -> utterances that have it
    values: dict[str, Counter[str]]  # slot name -> value -> times it fills that slot

    @property
    def slot_values(self) -> int:
        """The number of slot values in all utterances."""
        return sum(sum(counts.values()) for counts in self.values.values())


def count_templates(delexed: Iterable[Delexed]) -> TemplateCounts:
    """Count the distinct templates and each slot's values.

    Examples
    --------
    >>> counts = count_templates([delexicalize(["to", "rome"], ["O", "B-city"])] * 2)
    >>> counts.templates, counts.values, counts.slot_values
    (Counter({'to [city]': 2}), {'city': Counter({'rome': 2})}, 2)
    """
    templates: Counter[str] = Counter()
    values: dict[str, Counter[str]] = {}
    n = 0
    for d in delexed:
        n += 1
        templates[d.template] += 1
        for slot in d.slots:
            values.setdefault(slot.name, Counter())[slot.value] += 1
    return TemplateCounts(n, templates, values)


# ------------------------------------------------------------------------- templates in


@dataclass(frozen=True)
class Template:
    """A template read from a record: its text, its placeholders' slot names, where it was read."""

    template: str
    names: tuple[str, ...]
    where: str  # "FILE:LINE"


def read_template_records(
    records: Iterable[tuple[int, Mapping[str, Any]]], *, path: str | os.PathLike
) -> tuple[list[Template], Lexicon]:
    """Check each template record against its slots; the templates and the values seen.

    Parameters
    ----------
    records : iterable of (line, record)
        As :func:`speechtext.io.read_templates` gives them: the 1-based line, and a dict with a
        ``template`` string and ``slots``, a list of ``{"name", "value"}`` objects.
    path : path
        The file they were read from, named in errors.

    Returns
    -------
    templates : list of Template
        In file order.
    seen : Lexicon
        Every slot value of the records.

    Raises
    ------
    FormatError
        Naming ``FILE:LINE``: a malformed template, slots that are not the template's
        placeholders (names, in order), a bad slot name or an empty value.

    Examples
    --------
    >>> record = {"template": "to [city]", "slots": [{"name": "city", "value": "rome"}]}
    >>> templates, seen = read_template_records([(1, record)], path="t.jsonl")
    >>> templates[0].names, seen.values("city")
    (('city',), ['rome'])
    """
    seen = Lexicon()
    templates = []
    for line, record in records:
        where = f"{path}:{line}"
        try:
            names = [p for p, is_slot in parse_template(record["template"]) if is_slot]
            slots = record.get("slots", [])
            if [s["name"] for s in slots] != names:
                raise ParameterError(
                    f"the slots {[s['name'] for s in slots]} do not match the placeholders "
                    f"{names} of the template"
                )
            for s in slots:
                seen.add(s["name"], s["value"])
        except ParameterError as exc:
            raise FormatError(f"{where}: {exc}") from None
        templates.append(Template(record["template"], tuple(names), where))
    return templates, seen


def check_template_values(
    templates: Iterable[Template],
    values: LexiconLike,
    *,
    source: str,
    hint: Callable[[str], str] | None = None,
) -> None:
    """Check that every placeholder of the templates has values to be filled with.

    Parameters
    ----------
    templates : iterable of Template
    values : Lexicon, mapping of slot -> values, or (slot, value) pairs
    source : str
        What ``values`` came from, named in the error (``"cities.tsv"``).
    hint : callable, optional
        ``hint(name)`` says what to do about a slot with no values; appended to the message.

    Raises
    ------
    FormatError
        ``FILE:LINE: template '...' names the slot [name], which SOURCE lacks; HINT`` for the
        first placeholder whose slot has no values.

    Examples
    --------
    >>> t = Template("to [city]", ("city",), "t.jsonl:1")
    >>> check_template_values([t], {"city": ["rome"]}, source="cities.tsv")
    >>> check_template_values([t], {}, source="cities.tsv")
    Traceback (most recent call last):
    ...
    speechtext.errors.FormatError: t.jsonl:1: template 'to [city]' names the slot [city], which cities.tsv lacks
    """  # noqa: E501
    lexicon = as_lexicon(values)
    for t in templates:
        for name in t.names:
            if name not in lexicon:
                message = f"{t.where}: template {t.template!r} names the slot [{name}], which "
                message += f"{source} lacks"
                raise FormatError(message + (f"; {hint(name)}" if hint else ""))
