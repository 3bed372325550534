"""Delexicalization: utterances to ``[slot]`` templates and back, losslessly, and new data.

From IOB2-tagged tokens (:func:`delexicalize`) or from raw text with value patterns and lexicons
(:func:`delexicalize_text`, :func:`find_values`); back with :func:`relexicalize` (text) or
:func:`fill_template` (text and offsets) and :func:`to_iob` (tokens and IOB2 tags); templates x
values -> new tagged utterances with :func:`generate`. Offsets are ``[start, end)`` code-point
offsets into the text. See :mod:`speechtext.delex.core` for the conventions (spacing, escapes),
:mod:`speechtext.delex.patterns` for the value patterns and word boundaries (Korean particles),
:mod:`speechtext.delex.corpus` for whole files (templates counted, template records checked).

Names load from their module on first use, so ``PATTERN_KINDS`` (for ``--help``) costs no
pattern.

>>> from speechtext.delex import delexicalize, relexicalize
>>> d = delexicalize(["at", "3:15", "pm"], ["O", "B-time", "I-time"])
>>> d.template, relexicalize(d.template, d.slots)
('at [time]', 'at 3:15 pm')
"""

from .._lazy import lazy_exports
from ..tags import check_slot_name
from .kinds import PATTERN_KINDS

# Public name -> submodule that defines it.
_EXPORTS = {
    "Delexed": "core",
    "Slot": "core",
    "as_lexicon": "core",
    "delexicalize": "core",
    "delexicalize_text": "core",
    "fill_template": "core",
    "find_values": "core",
    "generate": "core",
    "parse_template": "core",
    "relexicalize": "core",
    "to_iob": "core",
    "Lexicon": "lexicon",
    "load_lexicon": "lexicon",
    "pattern_matches": "patterns",
    "Template": "corpus",
    "TemplateCounts": "corpus",
    "check_template_values": "corpus",
    "count_templates": "corpus",
    "delexicalize_sentences": "corpus",
    "read_template_records": "corpus",
}

__all__ = ["PATTERN_KINDS", "check_slot_name", *sorted(_EXPORTS)]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
