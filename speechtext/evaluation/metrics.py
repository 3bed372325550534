"""The numbers of an evaluation: seqeval's precision/recall/F1, entity-level average precision
and calibration, and :func:`evaluate`, which measures them all in one call.

**Precision, recall, F1.** Entities are read by :mod:`speechtext.evaluation.chunking`. The
arithmetic of precision, recall, F1 and their micro/macro/weighted averages repeats seqeval's,
operation for operation, so the numbers equal seqeval's ``classification_report`` (tests and
``bench/evaluate.py`` check). One exception: a corpus with no entity at all, in gold or
predictions, has every average 0.0, where seqeval's macro average is NaN (the mean over no type);
conlleval.pl prints 0.00 too, and the JSON report stays JSON. In the default mode the counts of
gold, predicted and correct entities are conlleval.pl's; with the file read by
:func:`speechtext.io.read_conlleval`, ``Report.to_conlleval`` prints the script's very report.

**Average precision.** All predicted entities are ranked by confidence; a prediction is a true
positive when its span and type match a gold entity (each gold entity matches at most once);
every gold entity counts in recall, missed ones included. AP is the non-interpolated sum
``sum_k P@k * (R@k - R@k-1)`` over the distinct confidence thresholds (tied confidences form one
threshold), the definition of scikit-learn's ``average_precision_score``. Because gold entities
that no prediction finds still count, AP equals scikit-learn's score on the predictions times the
share of gold entities that some prediction matches. mAP is the mean over the types that have gold
entities. Without confidences AP is reported as not available (None), never invented.

**Entity confidence.** From per-token confidences (the third CoNLL column) an entity's confidence
is, by default, the lowest of its tokens' (``entity_score="min"``): the entity is right only if
every token is, so the weakest token bounds its probability from above. ``"mean"``, ``"first"``
and ``"product"`` are the alternatives.

**Calibration.** Expected calibration error over the predicted entities: 10 equal-width confidence
bins, ``ECE = sum_b n_b / N * |accuracy_b - confidence_b|``;
:func:`speechtext.evaluation.plot_report` draws the reliability diagram and the precision-recall
curves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from itertools import chain
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..types import Sentence
from .chunking import Entities, chunks, encode, encode_tags, token_positions
from .confusion import confusion_matrix
from .inputs import Side, all_tags, check_alignment, locate, token_scores
from .modes import match_modes, sentence_entities
from .options import CALIBRATION_BINS, check_params
from .report import Curve, Report, Scores
from .sentence_errors import rank_sentence_errors

__all__ = ["average_precision", "evaluate", "expected_calibration_error"]


def evaluate(
    gold: Iterable[Sentence | Sequence[str]],
    pred: Iterable[Sentence | Sequence[str]],
    *,
    mode: str = "default",
    scheme: str = "IOB2",
    scores: Iterable[Sequence[float]] | None = None,
    types: str | Iterable[str] | None = None,
    entity_score: str = "min",
    ignore_tokens: bool = False,
) -> Report:
    """Evaluate predicted IOB tags against gold: seqeval's scores, AP, calibration, accuracies.

    Parameters
    ----------
    gold, pred : list of Sentence, or list of list of str
        Tagged sentences (as :func:`speechtext.io.read_sentences` returns) or tag sequences,
        sentence for sentence and token for token.
    mode : {"default", "strict"}
        ``"default"``: chunks as conlleval.pl reads them; ``"strict"``: seqeval's strict mode.
    scheme : {"IOB2", "IOB1", "IOE1", "IOE2", "IOBES", "BILOU"}
        The tagging scheme: which prefixes are valid, and in strict mode how chunks are read.
        The default mode reads B, I, E, S and O as conlleval does (not BILOU).
    scores : list of list of float, optional
        Per-token confidences aligned with ``pred``; by default those of ``pred``'s sentences
        (a CoNLL third column). Without them AP and calibration are not available.
    types : iterable of str, optional
        Keep only these entity types (after chunking) in every figure but the accuracies.
    entity_score : {"min", "mean", "first", "product"}
        How an entity's confidence comes from its tokens' (see the module docstring).
    ignore_tokens : bool
        Where both sides carry tokens and they differ, note it instead of raising.

    Returns
    -------
    Report
        With no entity at all, every average is 0.0 (seqeval's macro average would be NaN).

    Raises
    ------
    FormatError
        Different numbers of sentences or tokens (naming the first place they part), different
        tokens, an invalid tag (naming its line).
    ParameterError
        An unknown ``mode``, ``scheme`` or ``entity_score``; scores that do not fit ``pred``.

    Examples
    --------
    >>> gold = [["B-PER", "I-PER", "O", "B-LOC"]]
    >>> pred = [["B-PER", "I-PER", "O", "I-LOC"]]
    >>> evaluate(gold, pred).micro.f1  # conlleval: I-LOC after O starts a LOC chunk
    1.0
    >>> evaluate(gold, pred, mode="strict").micro.recall
    0.5
    """
    check_params(mode=mode, scheme=scheme, entity_score=entity_score)
    gold, pred = Side(gold, "gold"), Side(pred, "pred")
    notes = check_alignment(gold, pred, ignore_tokens=ignore_tokens)
    confidences = token_scores(pred, scores)

    codes = encode_tags(
        all_tags(gold, pred), mode=mode, scheme=scheme, where=lambda tag: locate(tag, gold, pred)
    )
    corpus = _Corpus.encode(gold, pred, codes)
    gold_ents = chunks(corpus.gold_ext, codes, mode=mode, scheme=scheme)
    pred_ents = chunks(corpus.pred_ext, codes, mode=mode, scheme=scheme)
    if types is not None:
        gold_ents, pred_ents = _keep_types(gold_ents, pred_ents, types, codes.type_names, notes)

    correct = _match(gold_ents, pred_ents)
    counts = _Counts.of(gold_ents, pred_ents, correct, codes.type_names)
    notes += _empty_notes(gold_ents, pred_ents)
    ranking = _rank(confidences, corpus, gold_ents, pred_ents, correct, counts, entity_score, notes)
    report = _build_report(corpus, counts, ranking, mode=mode, scheme=scheme, notes=notes)
    _add_error_analysis(report, corpus, gold, pred, confidences, gold_ents, pred_ents, codes)
    return report


# ------------------------------------------------------------------------- the steps of evaluate


@dataclass(frozen=True)
class _Corpus:
    """Both sides as tag ids: one per token, and flat with an "O" around every sentence."""

    lengths: np.ndarray
    pos: np.ndarray
    gold_ids: np.ndarray
    gold_ext: np.ndarray
    pred_ids: np.ndarray
    pred_ext: np.ndarray

    @classmethod
    def encode(cls, gold, pred, codes):
        lengths = np.fromiter(map(len, gold.tags), dtype=np.intp, count=len(gold))
        pos = token_positions(lengths)
        return cls(lengths, pos, *encode(gold.tags, codes, pos), *encode(pred.tags, codes, pos))

    def accuracies(self):
        """Token and sentence accuracy, over tags, and the number of tokens tagged right."""
        wrong = self.gold_ids != self.pred_ids
        token_accuracy = float(1.0 - wrong.mean()) if len(wrong) else 0.0
        n = len(self.lengths)
        wrong_per_sentence = np.bincount(
            np.repeat(np.arange(n), self.lengths), weights=wrong, minlength=n
        )
        sentence_accuracy = float(np.mean(wrong_per_sentence == 0)) if n else 0.0
        return token_accuracy, sentence_accuracy, int(len(wrong) - wrong.sum())


def _add_error_analysis(report, corpus, gold, pred, confidences, gold_ents, pred_ents, codes):
    """The SemEval match modes, the type confusion and the ranked sentence errors."""
    gold_by_sentence = sentence_entities(gold_ents, corpus.lengths)
    pred_by_sentence = sentence_entities(pred_ents, corpus.lengths)
    report.match_modes, report.match_modes_by_type = match_modes(
        gold_by_sentence, pred_by_sentence, codes.type_names
    )
    report.confusion = confusion_matrix(gold_by_sentence, pred_by_sentence, codes.type_names)
    report.errors = rank_sentence_errors(
        wrong=corpus.gold_ids != corpus.pred_ids,
        lengths=corpus.lengths,
        gold_side=gold,
        pred_side=pred,
        confidences=confidences,
        gold_ents=gold_by_sentence,
        pred_ents=pred_by_sentence,
        type_names=codes.type_names,
    )


def _keep_types(gold_ents, pred_ents, types, type_names, notes):
    wanted = {types} if isinstance(types, str) else set(types)
    unknown = sorted(wanted - set(type_names[t] for t in chain(gold_ents.type_, pred_ents.type_)))
    if unknown:
        notes.append(f"types not found in gold or predictions: {', '.join(unknown)}")
    keep_type = np.array([name in wanted for name in type_names])
    return gold_ents.select(keep_type[gold_ents.type_]), pred_ents.select(
        keep_type[pred_ents.type_]
    )


def _match(gold_ents: Entities, pred_ents: Entities) -> np.ndarray:
    """Whether each predicted entity is a gold one (same start, end and type)."""
    # Chunks never overlap, so at most one gold entity starts where a prediction starts: a
    # prediction is correct when that entity exists and has the same end and type.
    g, p = gold_ents, pred_ents
    if not len(g.start):
        return np.zeros(len(p.start), bool)
    at = np.minimum(np.searchsorted(g.start, p.start), len(g.start) - 1)
    return (g.start[at] == p.start) & (g.end[at] == p.end) & (g.type_[at] == p.type_)


@dataclass(frozen=True)
class _Counts:
    """True positives, predicted and gold entities of each type that occurs, sorted by name."""

    present: list[int]  # type ids
    names: list[str]
    tp: np.ndarray
    pred: np.ndarray
    true: np.ndarray

    @classmethod
    def of(cls, gold_ents, pred_ents, correct, type_names):
        n_types = len(type_names)
        true_count = np.bincount(gold_ents.type_, minlength=n_types)
        pred_count = np.bincount(pred_ents.type_, minlength=n_types)
        tp_count = np.bincount(pred_ents.type_[correct], minlength=n_types)
        present = sorted(
            (t for t in range(n_types) if true_count[t] or pred_count[t]),
            key=type_names.__getitem__,
        )
        tp, pc, tc = (a[present].astype(np.int32) for a in (tp_count, pred_count, true_count))
        return cls(present, [type_names[t] for t in present], tp, pc, tc)


def _empty_notes(gold_ents, pred_ents):
    notes = []
    if not len(gold_ents.type_):
        notes.append("gold has no entities: recall is 0 by convention and AP is undefined")
    if not len(pred_ents.type_):
        notes.append("the predictions hold no entities: precision is 0 by convention")
    return notes


@dataclass
class _Ranking:
    """AP and calibration of the predicted entities ranked by confidence; empty without them."""

    curves: dict = field(default_factory=dict)
    ap_by_type: dict = field(default_factory=dict)
    average_precision: dict | None = None
    calibration: dict | None = None
    reliability: dict | None = None


def _rank(confidences, corpus, gold_ents, pred_ents, correct, counts, entity_score, notes):
    out = _Ranking()
    if confidences is None:
        notes.append("average precision is not available: the predictions carry no confidences")
        return out
    conf = _entity_confidences(confidences, corpus, pred_ents, entity_score)
    if not np.all(np.isfinite(conf)):
        raise ParameterError("scores hold NaN or infinite values; give finite confidences")
    overall = average_precision(correct, conf, n_gold=len(gold_ents.type_))
    if overall is not None:
        out.curves["micro"] = overall
    for t, name, n_gold in zip(counts.present, counts.names, counts.true, strict=True):
        sel = pred_ents.type_ == t
        curve = average_precision(correct[sel], conf[sel], n_gold=int(n_gold))
        if curve is not None:
            out.curves[name] = curve
            out.ap_by_type[name] = curve.ap
    mean_ap = float(np.mean(list(out.ap_by_type.values()))) if out.ap_by_type else None
    if overall is not None:
        out.average_precision = {"micro": overall.ap, "mean": mean_ap}
    if len(conf) and (conf.min() < 0.0 or conf.max() > 1.0):
        notes.append(
            "entity confidences fall outside [0, 1] "
            f"({conf.min():.3g} to {conf.max():.3g}): no calibration figures"
        )
    else:
        ece, out.reliability = expected_calibration_error(correct, conf)
        if ece is not None:
            out.calibration = {"ece": ece}
    return out


def _entity_confidences(confidences, corpus, pred_ents, how):
    """Each predicted entity's confidence from its tokens' (``entity_score``)."""
    ext = np.zeros(len(corpus.pred_ext))
    ext[corpus.pos] = np.fromiter(
        chain.from_iterable(confidences), dtype=float, count=len(corpus.pos)
    )
    starts, ends = pred_ents.start, pred_ents.end
    if len(starts) == 0:
        return np.zeros(0)
    if how == "first":
        return ext[starts]
    idx = np.column_stack([starts, ends + 1]).ravel()
    if how == "mean":
        return np.add.reduceat(ext, idx)[::2] / (ends - starts + 1)
    ufunc = np.minimum if how == "min" else np.multiply
    return ufunc.reduceat(ext, idx)[::2]


def _build_report(corpus, counts, ranking, *, mode, scheme, notes):
    micro, macro, weighted = _averages(counts.tp, counts.pred, counts.true)
    p, r, f = _prf(counts.tp, counts.pred, counts.true)
    per_type = {
        name: Scores(
            float(p[k]), float(r[k]), float(f[k]), int(counts.true[k]), ranking.ap_by_type.get(name)
        )
        for k, name in enumerate(counts.names)
    }
    if ranking.average_precision is not None:
        micro = replace(micro, ap=ranking.average_precision["micro"])
        macro = replace(macro, ap=ranking.average_precision["mean"])
    token_accuracy, sentence_accuracy, correct_tokens = corpus.accuracies()
    return Report(
        per_type=per_type,
        micro=micro,
        macro=macro,
        weighted=weighted,
        average_precision=ranking.average_precision,
        calibration=ranking.calibration,
        token_accuracy=token_accuracy,
        sentence_accuracy=sentence_accuracy,
        sentences=len(corpus.lengths),
        tokens=len(corpus.pos),
        mode=mode,
        scheme=scheme,
        notes=notes,
        curves=ranking.curves,
        reliability=ranking.reliability,
        counts={
            name: (int(counts.tp[k]), int(counts.pred[k]), int(counts.true[k]))
            for k, name in enumerate(counts.names)
        },
        correct_tokens=correct_tokens,
    )


# ------------------------------------------------------------------------------- the arithmetic


def _divide(num, den):
    # seqeval's _prf_divide with zero_division="warn": 0 where the denominator is 0, no warning.
    mask = den == 0.0
    den = den.copy()
    den[mask] = 1
    out = num / den
    out[mask] = 0.0
    return out


def _prf(tp, pred, true):
    """seqeval's per-class precision, recall and F1, the same operations in the same order."""
    precision = _divide(tp, pred)
    recall = _divide(tp, true)
    beta2 = 1.0**2
    denom = beta2 * precision + recall
    denom[denom == 0.0] = 1
    f1 = (1 + beta2) * precision * recall / denom
    return precision, recall, f1


def _averages(tp, pred, true):
    """seqeval's micro, macro and weighted averages."""
    p, r, f = _prf(np.array([tp.sum()]), np.array([pred.sum()]), np.array([true.sum()]))
    micro = Scores(float(p[0]), float(r[0]), float(f[0]), int(true.sum()))
    if len(tp) == 0:
        zero = Scores(0.0, 0.0, 0.0, 0)
        return micro, zero, zero
    p, r, f = _prf(tp, pred, true)
    macro = Scores(
        float(np.average(p)), float(np.average(r)), float(np.average(f)), int(true.sum())
    )
    if true.sum() == 0:
        weighted = Scores(0.0, 0.0, 0.0, 0)
    else:
        weighted = Scores(
            float(np.average(p, weights=true)),
            float(np.average(r, weights=true)),
            float(np.average(f, weights=true)),
            int(true.sum()),
        )
    return micro, macro, weighted


def average_precision(
    correct: np.ndarray | Sequence[bool], confidence: np.ndarray | Sequence[float], *, n_gold: int
) -> Curve | None:
    """Entity-level average precision and its precision-recall curve.

    Parameters
    ----------
    correct : np.ndarray [shape=(n,)], bool
        Whether each predicted entity matches a gold entity.
    confidence : np.ndarray [shape=(n,)]
        Each predicted entity's confidence.
    n_gold : int
        Gold entities, matched or not: the denominator of recall.

    Returns
    -------
    Curve or None
        None when there are no gold entities (AP is undefined); AP 0 when nothing is predicted.

    Examples
    --------
    >>> hits, conf = np.array([True, False, True]), np.array([0.9, 0.8, 0.3])
    >>> curve = average_precision(hits, conf, n_gold=4)
    >>> round(curve.ap, 4)  # (1 * 1/4) + (2/3 * 1/4)
    0.4167
    """
    if n_gold <= 0:
        return None
    correct = np.asarray(correct, bool)
    confidence = np.asarray(confidence, float)
    if len(correct) == 0:
        empty = np.zeros(0)
        return Curve(empty, empty, empty, 0.0)
    order = np.argsort(-confidence, kind="mergesort")
    conf, hits = confidence[order], correct[order]
    # The last index of each run of equal confidences: tied predictions form one threshold.
    last = np.r_[np.flatnonzero(np.diff(conf)), len(conf) - 1]
    tps = np.cumsum(hits)[last]
    precision = tps / (last + 1)
    recall = tps / n_gold
    ap = float(np.sum(np.diff(recall, prepend=0.0) * precision))
    return Curve(precision, recall, conf[last], ap)


def expected_calibration_error(
    correct: np.ndarray | Sequence[bool],
    confidence: np.ndarray | Sequence[float],
    *,
    bins: int = CALIBRATION_BINS,
) -> tuple[float | None, dict[str, Any]]:
    """Expected calibration error over equal-width bins of [0, 1], and the per-bin figures.

    Returns
    -------
    ece : float or None
        ``sum_b n_b / N * |accuracy_b - confidence_b|``; None when there is nothing to bin.
    table : dict
        ``edges`` (bins + 1); per bin ``count``, mean ``confidence``, ``accuracy`` (NaN if empty).

    Examples
    --------
    >>> ece, _ = expected_calibration_error(np.array([1, 0, 1, 1]), np.array([0.9, 0.9, 0.3, 0.3]))
    >>> round(ece, 3)  # bin 0.9: accuracy 0.5; bin 0.3: accuracy 1.0
    0.55
    """
    correct = np.asarray(correct, float)
    confidence = np.asarray(confidence, float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    if len(confidence) == 0:
        return None, {
            "edges": edges,
            "count": np.zeros(bins, int),
            "confidence": None,
            "accuracy": None,
        }
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    count = np.bincount(which, minlength=bins)
    sum_conf = np.bincount(which, weights=confidence, minlength=bins)
    sum_acc = np.bincount(which, weights=correct, minlength=bins)
    ece = float(np.sum(np.abs(sum_acc - sum_conf)) / len(confidence))
    with np.errstate(invalid="ignore", divide="ignore"):
        table = {
            "edges": edges,
            "count": count,
            "confidence": sum_conf / count,
            "accuracy": sum_acc / count,
        }
    return ece, table
