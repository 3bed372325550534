"""Delexicalization: utterances to ``[slot]`` templates and back, losslessly, and new data.

From IOB2-tagged tokens (:func:`delexicalize`) or from raw text with value patterns and lexicons
(:func:`delexicalize_text`, :func:`find_values`); back with :func:`relexicalize` (text) or
:func:`fill_template` (text and offsets) and :func:`to_iob` (tokens and IOB2 tags); templates x
values -> new tagged utterances with :func:`generate`. Offsets are ``[start, end)`` code-point
offsets into the text. See :mod:`speechtext.delex.core` for the conventions (spacing, escapes),
:mod:`speechtext.delex.patterns` for the value patterns and word boundaries (Korean particles).

>>> from speechtext.delex import delexicalize, relexicalize
>>> d = delexicalize(["at", "3:15", "pm"], ["O", "B-time", "I-time"])
>>> d.template, relexicalize(d.template, d.slots)
('at [time]', 'at 3:15 pm')
"""

from ..tags import check_slot_name
from .core import (
    Delexed,
    Slot,
    as_lexicon,
    delexicalize,
    delexicalize_text,
    fill_template,
    find_values,
    generate,
    parse_template,
    relexicalize,
    to_iob,
)
from .lexicon import Lexicon
from .patterns import PATTERN_KINDS, pattern_matches

__all__ = [
    "PATTERN_KINDS",
    "Delexed",
    "Lexicon",
    "Slot",
    "as_lexicon",
    "check_slot_name",
    "delexicalize",
    "delexicalize_text",
    "fill_template",
    "find_values",
    "generate",
    "load_lexicon",
    "parse_template",
    "pattern_matches",
    "relexicalize",
    "to_iob",
]


def load_lexicon(*paths):
    """A :class:`Lexicon` from TSV files of ``slot<TAB>value`` lines (see speechtext.io.lexicon).

    Examples
    --------
    >>> lex = load_lexicon("cities.tsv", "artists.tsv")  # doctest: +SKIP
    """
    from ..io.lexicon import read_lexicon

    lexicon = Lexicon()
    for path in paths:
        lexicon.update(read_lexicon(path))
    return lexicon
