"""The kinds of value patterns, on their own: the CLI's ``--help`` lists them without compiling
(or even building) a pattern.

>>> PATTERN_KINDS
('money', 'percent', 'time', 'date', 'number')
"""

__all__ = ["PATTERN_KINDS"]

# The kinds, in the order that breaks a tie between two matches of the same length.
PATTERN_KINDS = ("money", "percent", "time", "date", "number")
