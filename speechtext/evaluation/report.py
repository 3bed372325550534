"""What an evaluation measured (:class:`Report`, :class:`Scores`, :class:`Curve`), and how a
Report is laid out.

The numbers are computed in :mod:`speechtext.evaluation.metrics`; here they are only laid out:
seqeval's ``classification_report`` text with an AP column, CSV, Markdown, the JSON document and
conlleval.pl's own report (seqeval likewise keeps ``reporters.py`` apart from its metrics). The
plots are in :mod:`speechtext.evaluation.plot`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ParameterError
from .options import CALIBRATION_BINS, FORMATS, MATCH_MODES

if TYPE_CHECKING:
    from .confusion import Confusion
    from .modes import MatchScores
    from .sentence_errors import SentenceError

# Sentence errors in the JSON report and in the text report (the worst first).
ERRORS_IN_JSON = 100
ERRORS_IN_TEXT = 10
CONFUSIONS_IN_TEXT = 15

__all__ = ["Curve", "Report", "Scores"]


@dataclass(frozen=True)
class Scores:
    """Precision, recall, F1 (fractions in [0, 1]), support (gold entities) and AP (or None)."""

    precision: float
    recall: float
    f1: float
    support: int
    ap: float | None = None


@dataclass(frozen=True)
class Curve:
    """A precision-recall curve: one point per distinct confidence, highest confidence first."""

    precision: np.ndarray
    recall: np.ndarray
    thresholds: np.ndarray
    ap: float


@dataclass
class Report:
    """What :func:`~speechtext.evaluation.evaluate` measured; ``to_dict``/``render`` give the
    documented outputs.

    Attributes
    ----------
    per_type : dict of str to Scores
        Sorted by type name; ``ap`` is None without confidences or without gold entities.
    micro, macro, weighted : Scores
        seqeval's three averages (``ap`` holds micro AP and mAP on ``micro`` and ``macro``).
    average_precision : dict or None
        ``{"micro": x, "mean": y}`` (``mean`` is mAP); None without confidences.
    calibration : dict or None
        ``{"ece": z}``; None without confidences (or with confidences outside [0, 1]).
    token_accuracy, sentence_accuracy : float
    sentences, tokens : int
    notes : list of str
        What a reader should know: no gold entities, no predictions, tokens that differ ...
    curves : dict of str to Curve
        ``"micro"`` and each type with gold entities; empty without confidences.
    reliability : dict or None
        Per bin: ``edges``, ``count``, ``confidence`` (mean), ``accuracy``.
    counts : dict of str to (int, int, int)
        Per type, as ``per_type``: correct, predicted and gold entities.
    correct_tokens : int
        Tokens whose predicted tag is the gold one.
    match_modes : dict of str to MatchScores
        The SemEval-2013 modes (strict, exact, partial, type), nervaluate's figures.
    match_modes_by_type : dict of str to dict of str to MatchScores
        The same per entity type.
    confusion : Confusion or None
        Gold against predicted entity types, with missed and spurious entities.
    errors : list of SentenceError
        Every sentence with a wrong tag, the confident mistakes first.
    intents : IntentScores or None
        Intent and sentence accuracy (:mod:`~speechtext.evaluation.intents`), when both sides
        carry intents.
    """

    per_type: dict[str, Scores]
    micro: Scores
    macro: Scores
    weighted: Scores
    average_precision: dict[str, float | None] | None
    calibration: dict[str, float] | None
    token_accuracy: float
    sentence_accuracy: float
    sentences: int
    tokens: int
    mode: str = "default"
    scheme: str = "IOB2"
    notes: list[str] = field(default_factory=list)
    curves: dict[str, Curve] = field(default_factory=dict, repr=False)
    reliability: dict[str, Any] | None = field(default=None, repr=False)
    counts: dict[str, tuple[int, int, int]] = field(default_factory=dict, repr=False)
    correct_tokens: int = 0
    match_modes: dict[str, MatchScores] = field(default_factory=dict, repr=False)
    match_modes_by_type: dict[str, dict[str, MatchScores]] = field(default_factory=dict, repr=False)
    confusion: Confusion | None = field(default=None, repr=False)
    errors: list[SentenceError] = field(default_factory=list, repr=False)
    intents: Any = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``speechtext evaluate --format json``."""

        def avg(s):
            return {"precision": s.precision, "recall": s.recall, "f1": s.f1, "support": s.support}

        return {
            "micro": avg(self.micro),
            "macro": avg(self.macro),
            "weighted": avg(self.weighted),
            "per_type": {name: {**avg(s), "ap": s.ap} for name, s in self.per_type.items()},
            "average_precision": self.average_precision,
            "calibration": self.calibration,
            "token_accuracy": self.token_accuracy,
            "sentence_accuracy": self.sentence_accuracy,
            "sentences": self.sentences,
            "tokens": self.tokens,
            **self._error_analysis_dict(),
            **({"intent": self.intents.to_dict()} if self.intents is not None else {}),
        }

    def _error_analysis_dict(self) -> dict[str, Any]:
        return {
            "match_modes": {m: s.to_dict() for m, s in self.match_modes.items()},
            "match_modes_by_type": {
                name: {m: s.to_dict() for m, s in modes.items()}
                for name, modes in self.match_modes_by_type.items()
            },
            "confusion": None if self.confusion is None else self.confusion.to_dict(),
            "errors_total": len(self.errors),
            "errors": [e.to_dict() for e in self.errors[:ERRORS_IN_JSON]],
        }

    def error_analysis_text(self, *, digits: int = 4) -> str:
        """The match modes, the most frequent confusions and the worst sentence errors."""
        lines = []
        if self.match_modes:
            lines.append("match modes (SemEval-2013, as nervaluate counts them):")
            head = "{:>8s}" + " {:>9s}" * 8
            keys = ("correct", "incorrect", "partial", "missed", "spurious")
            lines.append(head.format("", *keys, "precision", "recall", "f1"))
            for m in MATCH_MODES:
                s = self.match_modes[m]
                counts = "".join(f" {getattr(s, k):>9d}" for k in keys)
                scores = "".join(f" {x:>9.{digits}f}" for x in (s.precision, s.recall, s.f1))
                lines.append(f"{m:>8s}{counts}{scores}")
        if self.confusion is not None:
            top = self.confusion.confusions(limit=CONFUSIONS_IN_TEXT)
            if top:
                lines.append("")
                lines.append("confusions (gold -> predicted; (none): missed or spurious):")
                lines += [f"  {n:>5d}  {g} -> {p}" for g, p, n in top]
        if self.errors:
            lines.append("")
            shown = min(len(self.errors), ERRORS_IN_TEXT)
            lines.append(
                f"worst sentence errors ({shown} of {len(self.errors)}, confident mistakes first):"
            )
            for e in self.errors[:shown]:
                conf = "" if e.confidence is None else f"confidence {e.confidence:.3f}, "
                plural = "s" if e.wrong_tags != 1 else ""
                lines.append(f"  {e.where}: {conf}{e.wrong_tags} wrong tag{plural}")
                if e.tokens is not None:
                    lines.append(f"    {' '.join(e.tokens)}")
                lines += [f"    {what}" for what in e.entities]
        return "\n".join(lines) + "\n" if lines else ""

    def _rows(self) -> Iterator[tuple[str, Scores] | None]:
        yield from self.per_type.items()
        yield None
        yield "micro avg", self.micro
        yield "macro avg", self.macro
        yield "weighted avg", self.weighted

    def to_text(self, *, digits: int = 4) -> str:
        """seqeval's ``classification_report`` layout with an AP column, then the summary."""
        names = [*self.per_type, "weighted avg"]
        width = max(max(map(len, names)), digits)
        head = "{:>{width}s} " + " {:>9}" * 5
        row = "{:>{width}s} " + " {:>9.{digits}f}" * 3 + " {:>9}"
        lines = [head.format("", "precision", "recall", "f1-score", "support", "ap", width=width)]
        lines.append("")
        for item in self._rows():
            if item is None:
                lines.append("")
                continue
            name, s = item
            text = row.format(
                name, s.precision, s.recall, s.f1, s.support, width=width, digits=digits
            )
            ap = "" if name == "weighted avg" else "n/a" if s.ap is None else f"{s.ap:.{digits}f}"
            lines.append(f"{text} {ap:>9}")
        lines.append("")
        lines.append(
            f"token accuracy {self.token_accuracy:.{digits}f}, "
            f"sentence accuracy {self.sentence_accuracy:.{digits}f}; "
            f"{self.sentences} sentences, {self.tokens} tokens; "
            f"mode {self.mode}{' (conlleval)' if self.mode == 'default' else ''}, "
            f"scheme {self.scheme}"
        )
        if self.average_precision is None:
            why = "no confidences in the predictions"
            if self.micro.support == 0:
                why = "no gold entities"
            lines.append(f"average precision: not available ({why})")
        else:
            ap = self.average_precision
            lines.append(
                f"average precision: micro {ap['micro']:.{digits}f}, mAP {_fmt(ap['mean'], digits)}"
            )
        if self.calibration is not None:
            lines.append(
                f"expected calibration error ({CALIBRATION_BINS} bins): "
                f"{self.calibration['ece']:.{digits}f}"
            )
        if self.intents is not None:
            lines.append(self.intents.summary(digits))
        analysis = self.error_analysis_text(digits=digits)
        return "\n".join(lines) + "\n" + ("\n" + analysis if analysis else "")

    def to_csv(self) -> str:
        """One row per type and per average: ``type,precision,recall,f1,support,ap``."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["type", "precision", "recall", "f1", "support", "ap"])
        for item in self._rows():
            if item is not None:
                name, s = item
                ap = "" if s.ap is None or name == "weighted avg" else repr(s.ap)
                writer.writerow(
                    [name, repr(s.precision), repr(s.recall), repr(s.f1), s.support, ap]
                )
        return out.getvalue()

    def to_markdown(self, *, digits: int = 4) -> str:
        """A Markdown table of the types and averages, then the summary figures."""
        lines = [
            "| type | precision | recall | f1 | support | ap |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for item in self._rows():
            if item is not None:
                name, s = item
                ap = "" if name == "weighted avg" else _fmt(s.ap, digits)
                lines.append(
                    f"| {name} | {s.precision:.{digits}f} | {s.recall:.{digits}f} | "
                    f"{s.f1:.{digits}f} | {s.support} | {ap} |"
                )
        ap = self.average_precision
        ece = self.calibration
        lines += [
            "",
            f"- token accuracy: {self.token_accuracy:.{digits}f}",
            f"- sentence accuracy: {self.sentence_accuracy:.{digits}f}",
            f"- average precision: micro {_fmt(ap and ap['micro'], digits)}, "
            f"mAP {_fmt(ap and ap['mean'], digits)}",
            f"- expected calibration error: {_fmt(ece and ece['ece'], digits)}",
            f"- {self.sentences} sentences, {self.tokens} tokens; mode {self.mode}, "
            f"scheme {self.scheme}",
        ]
        if self.intents is not None:
            lines.append(f"- {self.intents.summary(digits)}")
        return "\n".join(lines) + "\n"

    def to_conlleval(self) -> str:
        """conlleval.pl's report, line for line: tokens, phrases, found and correct phrases,
        accuracy, precision, recall and FB1 (percentages, two decimals), then each type.

        Read with :func:`speechtext.io.read_conlleval` and evaluated in the default mode, a
        file gives the very text conlleval.pl prints for it (``tests/test_conlleval.py``).

        Examples
        --------
        >>> from speechtext.evaluation import evaluate
        >>> print(evaluate([["B-x", "I-x", "O"]], [["B-x", "O", "O"]]).to_conlleval(), end="")
        processed 3 tokens with 1 phrases; found: 1 phrases; correct: 0.
        accuracy:  66.67%; precision:   0.00%; recall:   0.00%; FB1:   0.00
                        x: precision:   0.00%; recall:   0.00%; FB1:   0.00  1
        """
        correct, found, gold = (sum(c[i] for c in self.counts.values()) for i in range(3))
        lines = [
            f"processed {self.tokens} tokens with {gold} phrases; found: {found} phrases; "
            f"correct: {correct}."
        ]
        if self.tokens > 0:
            p, r, f = _percentages(correct, found, gold)
            lines.append(
                f"accuracy: {100 * self.correct_tokens / self.tokens:6.2f}%; "
                f"precision: {p:6.2f}%; recall: {r:6.2f}%; FB1: {f:6.2f}"
            )
        for name, (c, n_found, n_gold) in self.counts.items():
            p, r, f = _percentages(c, n_found, n_gold)
            lines.append(
                f"{name:>17s}: precision: {p:6.2f}%; recall: {r:6.2f}%; FB1: {f:6.2f}  {n_found}"
            )
        return "\n".join(lines) + "\n"

    def render(self, format: str = "text", *, digits: int = 4) -> str:
        """The report as ``"text"``, ``"json"``, ``"csv"``, ``"markdown"`` or ``"conlleval"``
        (conlleval.pl's layout, always two decimals).

        Examples
        --------
        >>> from speechtext.evaluation import evaluate
        >>> print(evaluate([["B-x", "O"]], [["B-x", "O"]]).render("csv"), end="")
        type,precision,recall,f1,support,ap
        x,1.0,1.0,1.0,1,
        micro avg,1.0,1.0,1.0,1,
        macro avg,1.0,1.0,1.0,1,
        weighted avg,1.0,1.0,1.0,1,
        """
        if format == "json":
            return json.dumps(self.to_dict(), indent=2) + "\n"
        if format == "csv":
            return self.to_csv()
        if format == "markdown":
            return self.to_markdown(digits=digits)
        if format == "text":
            return self.to_text(digits=digits)
        if format == "conlleval":
            return self.to_conlleval()
        raise ParameterError(f"format={format!r}; choose one of {', '.join(FORMATS)}")


def _percentages(correct, found, gold):
    """conlleval.pl's precision, recall and FB1 in percent, its operations in its order."""
    precision = 100 * correct / found if found > 0 else 0.0
    recall = 100 * correct / gold if gold > 0 else 0.0
    fb1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return precision, recall, fb1


def _fmt(value, digits):
    return "n/a" if value is None else f"{value:.{digits}f}"
