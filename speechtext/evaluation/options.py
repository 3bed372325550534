"""The choices of :func:`speechtext.evaluation.evaluate` and of its report, and their check.

No numpy here: ``speechtext evaluate --help`` lists these choices, and the pipeline checks a
spec's evaluate stage, before any evaluation runs.
"""

from __future__ import annotations

from ..errors import ParameterError
from ..tags import allowed_prefixes

__all__ = [
    "CALIBRATION_BINS",
    "ENTITY_SCORES",
    "FORMATS",
    "MATCH_MODES",
    "MODES",
    "check_params",
]

MODES = ("default", "strict")
ENTITY_SCORES = ("min", "mean", "first", "product")
FORMATS = ("text", "json", "csv", "markdown", "conlleval")
CALIBRATION_BINS = 10
# The SemEval-2013 match modes (speechtext.evaluation.modes), in the order reports list them.
MATCH_MODES = ("strict", "exact", "partial", "type")


def check_params(*, mode: str, scheme: str, entity_score: str) -> None:
    """Raise ParameterError for a ``mode``, ``scheme`` or ``entity_score`` evaluate cannot use.

    Examples
    --------
    >>> check_params(mode="strict", scheme="BILOU", entity_score="min")
    >>> check_params(mode="default", scheme="BILOU", entity_score="min")
    Traceback (most recent call last):
    ...
    speechtext.errors.ParameterError: conlleval's default mode does not read BILOU (L- and U- tags); use mode='strict'
    """  # noqa: E501
    if mode not in MODES:
        raise ParameterError(f"mode={mode!r}; choose one of {', '.join(MODES)}")
    allowed_prefixes(scheme)  # the scheme's own check and message
    if mode == "default" and scheme == "BILOU":
        raise ParameterError(
            "conlleval's default mode does not read BILOU (L- and U- tags); use mode='strict'"
        )
    if entity_score not in ENTITY_SCORES:
        raise ParameterError(
            f"entity_score={entity_score!r}; choose one of {', '.join(ENTITY_SCORES)}"
        )
