"""Evaluation of slot tagging: seqeval's precision/recall/F1 (conlleval-compatible), intent-free
token and sentence accuracy, entity-level average precision and calibration, in one
:func:`evaluate` call.

The package keeps apart what seqeval keeps apart:

- :mod:`~speechtext.evaluation.options`: the accepted modes, entity scores and report formats
  (no numpy, for ``speechtext evaluate --help``);
- :mod:`~speechtext.evaluation.inputs`: gold and predictions read side by side and aligned;
- :mod:`~speechtext.evaluation.chunking`: seqeval's chunk rules as tables, applied to a whole
  corpus at once;
- :mod:`~speechtext.evaluation.metrics`: the arithmetic (precision, recall, F1, averages, AP,
  ECE) and :func:`evaluate`;
- :mod:`~speechtext.evaluation.modes`: the SemEval-2013 match modes (strict, exact, partial,
  type) as nervaluate counts them; :mod:`~speechtext.evaluation.confusion`: the confusion of
  entity types; :mod:`~speechtext.evaluation.sentence_errors`: the sentences with a wrong tag,
  confident mistakes first;
- :mod:`~speechtext.evaluation.intents`: intent accuracy and sentence accuracy (intent and every
  slot right) when gold and predictions carry intents;
- :mod:`~speechtext.evaluation.report`: the :class:`Report` and its text, CSV, Markdown and JSON
  renderings; :mod:`~speechtext.evaluation.plot`: its PR curves and reliability diagram;
  :mod:`~speechtext.evaluation.html`: the self-contained HTML page.

Names load from their module on first use: importing the package (for its choices) costs no
numpy, and ``from speechtext.evaluation import evaluate`` imports numpy only (seqeval is imported
for strict mode, matplotlib for plots).

>>> from speechtext.evaluation import evaluate
>>> report = evaluate([["B-PER", "I-PER", "O"]], [["B-PER", "O", "O"]])
>>> report.micro.f1, round(report.token_accuracy, 3)
(0.0, 0.667)
"""

from .._lazy import lazy_exports
from .options import CALIBRATION_BINS, ENTITY_SCORES, FORMATS, MATCH_MODES, MODES, check_params

# Public name -> submodule that defines it.
_EXPORTS = {
    "evaluate": "metrics",
    "average_precision": "metrics",
    "expected_calibration_error": "metrics",
    "Report": "report",
    "Scores": "report",
    "Curve": "report",
    "plot_report": "plot",
    "MatchScores": "modes",
    "Confusion": "confusion",
    "SentenceError": "sentence_errors",
    "render_html": "html",
    "Utterance": "html",
    "IntentScores": "intents",
    "intent_scores": "intents",
}

__all__ = [
    "CALIBRATION_BINS",
    "ENTITY_SCORES",
    "FORMATS",
    "MATCH_MODES",
    "MODES",
    "check_params",
    *_EXPORTS,
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
