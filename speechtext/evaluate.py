"""Evaluation of slot tagging: seqeval's precision/recall/F1, entity-level average precision and
calibration, in one :func:`evaluate` call.

**Chunking.** ``mode="default"`` reads chunks exactly as conlleval.pl (and seqeval's default mode)
does: an ``I-`` tag after ``O`` or after another type starts a chunk, a change of type ends one.
``mode="strict"`` is seqeval's strict mode for the chosen ``scheme``: an ``I-`` without its ``B-``
is no entity at all. The chunk boundaries come from seqeval's rules, not from a third reading:
for every (previous prefix, current prefix, same type or not) a rule table says whether a chunk
starts, continues or ends there. Strict mode fills it from seqeval's scheme classes (``IOB2``,
``IOBES`` ...); the default mode from seqeval's ``start_of_chunk``/``end_of_chunk``, restated here
because importing them pulls in scikit-learn, and checked against seqeval's by the tests. The
tables are then applied to the whole corpus at once with numpy. The arithmetic of precision,
recall, F1 and their micro/macro/weighted averages repeats seqeval's, operation for operation, so
the numbers equal seqeval's ``classification_report`` (tests and ``bench/evaluate.py`` check).

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
bins, ``ECE = sum_b n_b / N * |accuracy_b - confidence_b|``; :func:`plot_report` draws the
reliability diagram and the precision-recall curves.
"""

import csv
import functools
import io
import json
import sys
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from types import ModuleType

import numpy as np

from .errors import FormatError, ParameterError
from .tags import SCHEMES, allowed_prefixes, split_tag
from .types import Sentence

__all__ = [
    "ENTITY_SCORES",
    "MODES",
    "Curve",
    "Report",
    "Scores",
    "average_precision",
    "evaluate",
    "expected_calibration_error",
    "plot_report",
]

MODES = ("default", "strict")
ENTITY_SCORES = ("min", "mean", "first", "product")
CALIBRATION_BINS = 10
FORMATS = ("text", "json", "csv", "markdown")

# Prefix letters in table order; "O" first. seqeval's default mode knows B, I, E, S (conlleval's).
_PREFIXES = "OBIESLU"
_DEFAULT_MODE_PREFIXES = frozenset("OBIES")


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
    """What :func:`evaluate` measured; ``to_dict``/``render`` give the documented outputs.

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
    """

    per_type: dict
    micro: Scores
    macro: Scores
    weighted: Scores
    average_precision: dict | None
    calibration: dict | None
    token_accuracy: float
    sentence_accuracy: float
    sentences: int
    tokens: int
    mode: str = "default"
    scheme: str = "IOB2"
    notes: list = field(default_factory=list)
    curves: dict = field(default_factory=dict, repr=False)
    reliability: dict | None = field(default=None, repr=False)

    def to_dict(self):
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
        }

    def _rows(self):
        yield from self.per_type.items()
        yield None
        yield "micro avg", self.micro
        yield "macro avg", self.macro
        yield "weighted avg", self.weighted

    def to_text(self, *, digits=4):
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
        return "\n".join(lines) + "\n"

    def to_csv(self):
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

    def to_markdown(self, *, digits=4):
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
        return "\n".join(lines) + "\n"

    def render(self, format="text", *, digits=4):
        """The report as ``"text"``, ``"json"``, ``"csv"`` or ``"markdown"``."""
        if format == "json":
            return json.dumps(self.to_dict(), indent=2) + "\n"
        if format == "csv":
            return self.to_csv()
        if format == "markdown":
            return self.to_markdown(digits=digits)
        if format == "text":
            return self.to_text(digits=digits)
        raise ParameterError(f"format={format!r}; choose one of {', '.join(FORMATS)}")


def _fmt(value, digits):
    return "n/a" if value is None else f"{value:.{digits}f}"


# ------------------------------------------------------------------------------ chunking tables


@functools.cache
def _tables(mode, scheme):
    """Boolean rule tables indexed ``[prev_prefix, cur_prefix, same_type]``, filled by seqeval.

    Returns ``(start, end, None)`` for the default mode and ``(start, inside, end)`` for strict.
    """
    n = len(_PREFIXES)
    shape = (n, n, 2)

    def types(pp, cp, same):
        # seqeval gives "O" the type "_"; any other two names stand for "same" and "different".
        prev_type = "_" if pp == "O" else "a"
        cur_type = "_" if cp == "O" else ("a" if same and pp != "O" else "b")
        return prev_type, cur_type

    if mode == "default":
        start, end = np.zeros(shape, bool), np.zeros(shape, bool)
        for (i, pp), (j, cp), same in _pairs():
            prev_type, cur_type = types(pp, cp, same)
            start[i, j, same] = _start_of_chunk(pp, cp, prev_type, cur_type)
            end[i, j, same] = _end_of_chunk(pp, cp, prev_type, cur_type)
        return start, end, None

    import seqeval.scheme

    cls = getattr(seqeval.scheme, scheme)
    allowed = allowed_prefixes(scheme)
    start, inside, end = (np.zeros(shape, bool) for _ in range(3))
    for (i, pp), (j, cp), same in _pairs():
        if pp not in allowed or cp not in allowed:
            continue
        prev_type, cur_type = types(pp, cp, same)
        prev = cls("O" if pp == "O" else f"{pp}-{prev_type}")
        cur = cls("O" if cp == "O" else f"{cp}-{cur_type}")
        start[i, j, same] = cur.is_start(prev)
        inside[i, j, same] = cur.is_inside(prev)
        end[i, j, same] = cur.is_end(prev)
    return start, inside, end


# conlleval's chunk rules in seqeval's wording (seqeval.metrics.sequence_labeling.end_of_chunk and
# start_of_chunk). They are repeated here because importing that module imports scikit-learn,
# which costs more than a whole evaluation (bench/evaluate.py); tests/test_evaluate.py checks these
# two functions against seqeval's on every combination.
def _end_of_chunk(prev_tag, tag, prev_type, type_):
    return (
        prev_tag in ("E", "S")
        or (prev_tag in ("B", "I") and tag in ("B", "S", "O"))
        or (prev_tag not in ("O", ".") and prev_type != type_)
    )


def _start_of_chunk(prev_tag, tag, prev_type, type_):
    return (
        tag in ("B", "S")
        or (prev_tag in ("E", "S", "O") and tag in ("E", "I"))
        or (tag not in ("O", ".") and prev_type != type_)
    )


def _pairs():
    for i, pp in enumerate(_PREFIXES):
        for j, cp in enumerate(_PREFIXES):
            for same in (0, 1):
                yield (i, pp), (j, cp), same


def _chunks(ext, prefix, type_, mode, scheme):
    """Entities of an encoded corpus as arrays ``(start, end_inclusive, type)``.

    ``ext`` holds tag ids with an "O" before the first sentence and after every sentence (the way
    seqeval flattens nested lists), so no chunk crosses a sentence boundary.
    """
    prev, cur = ext[:-1], ext[1:]
    pair = (prefix[prev], prefix[cur], (type_[prev] == type_[cur]).astype(np.intp))
    start_t, second_t, end_t = _tables(mode, scheme)
    if mode == "default":
        # Boundary b sits between positions b and b+1.
        starts = np.flatnonzero(start_t[pair]) + 1
        ends = np.flatnonzero(second_t[pair])
        if len(starts) != len(ends):  # the rule tables guarantee this; never silently miscount
            raise RuntimeError("chunk starts and ends do not pair up; please report this input")
        return starts, ends, type_[ext[starts]]
    inside = second_t[pair]
    is_start = start_t[pair]
    if np.any(is_start & inside):
        return _strict_chunks_loop(ext, pair, is_start, inside, end_t[pair], type_)
    # Where no pair is both a start and an inside (all schemes but IOB1), seqeval's scan reduces
    # to: each start runs to the first following token that is not inside, and is an entity if
    # that pair is an end.
    starts = np.flatnonzero(is_start) + 1
    stops = np.flatnonzero(~inside) + 1
    stop = stops[np.searchsorted(stops, starts, side="right")]
    keep = end_t[pair][stop - 1]
    starts, stop = starts[keep], stop[keep]
    return starts, stop - 1, type_[ext[starts]]


def _strict_chunks_loop(ext, pair, is_start, inside, is_end, type_):
    """seqeval's ``Tokens.entities`` scan, for schemes where a pair can start and continue."""
    starts, ends = [], []
    i, n = 1, len(ext)
    while i < n:
        if is_start[i - 1]:
            j = i + 1
            while j < n and inside[j - 1]:
                j += 1
            if is_end[j - 1]:
                starts.append(i)
                ends.append(j - 1)
            i = j
        else:
            i += 1
    starts, ends = np.asarray(starts, np.intp), np.asarray(ends, np.intp)
    return starts, ends, type_[ext[starts]]


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


def average_precision(correct, confidence, *, n_gold):
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


def expected_calibration_error(correct, confidence, *, bins=CALIBRATION_BINS):
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


# ------------------------------------------------------------------------------------ evaluate


class _Side:
    """One side (gold or pred) as parallel lists, without copying the caller's tag lists."""

    def __init__(self, seqs, name):
        if isinstance(seqs, (str, bytes)):
            raise ParameterError(f"{name} must be a list of sentences, not a string")
        self.name = name
        self.sents = list(seqs)
        self.tags = []
        for i, s in enumerate(self.sents):
            if isinstance(s, Sentence):
                if s.tags is None:
                    raise ParameterError(
                        f"{name}: {s.where()} has no tags: it was read as unlabeled input (plain "
                        "text, seq.in or one CoNLL column); CoNLL columns are TAB-separated, and "
                        "conlleval's space-separated output is read with --conlleval"
                    )
                self.tags.append(s.tags)
            elif isinstance(s, (str, bytes)):
                raise ParameterError(f"{name}[{i}] is a string; give one list of tags per sentence")
            else:
                self.tags.append(s)
        self.tokens = [getattr(s, "tokens", None) for s in self.sents]
        self.scores = [getattr(s, "scores", None) for s in self.sents]

    def __len__(self):
        return len(self.tags)

    def where(self, i, k=0):
        s = self.sents[i]
        if isinstance(s, Sentence) and s.source:
            return s.where(k)
        return f"{self.name} sentence {i + 1}, token {k + 1}"


def _check_alignment(gold, pred, ignore_tokens, notes):
    g_len, p_len = list(map(len, gold.tags)), list(map(len, pred.tags))
    if g_len != p_len:
        for i, (a, b) in enumerate(zip(g_len, p_len, strict=False)):
            if a != b:
                raise FormatError(
                    f"gold and predictions part at sentence {i + 1}: {gold.where(i)} has "
                    f"{a} tokens but {pred.where(i)} has {b}"
                )
        i = min(len(gold), len(pred))
        longer = gold if len(gold) > len(pred) else pred
        raise FormatError(
            f"gold has {len(gold)} sentences but predictions have {len(pred)}; they part after "
            f"sentence {i}: {longer.where(i)} has no counterpart"
        )
    differ, first = 0, None
    for i, (g, p) in enumerate(zip(gold.tokens, pred.tokens, strict=True)):
        if g is None or p is None or g == p:
            continue
        for k, (a, b) in enumerate(zip(g, p, strict=True)):
            if a != b:
                differ += 1
                if first is None:
                    first = f"{gold.where(i, k)} has {a!r} but {pred.where(i, k)} has {b!r}"
    if differ and not ignore_tokens:
        raise FormatError(
            f"tokens differ: {first}; are these the same sentences? (--ignore-tokens / "
            "ignore_tokens=True compares the tags regardless)"
        )
    if differ:
        notes.append(f"{differ} tokens differ between gold and predictions, first: {first}")


def _encode(side, tag_index, pos, total):
    ids = np.fromiter(
        map(tag_index.__getitem__, chain.from_iterable(side.tags)), dtype=np.intp, count=total
    )
    ext = np.full(total + len(side) + 1, tag_index["O"], dtype=np.intp)
    ext[pos] = ids
    return ids, ext


def _locate(tag, gold, pred):
    for side in (gold, pred):
        for i, tags in enumerate(side.tags):
            if tag in tags:
                return side.where(i, list(tags).index(tag))
    return None


def _entity_scores(scores, pos, starts, ends, how, size):
    ext = np.zeros(size)
    ext[pos] = np.fromiter(chain.from_iterable(scores), dtype=float, count=len(pos))
    if len(starts) == 0:
        return np.zeros(0)
    if how == "first":
        return ext[starts]
    idx = np.column_stack([starts, ends + 1]).ravel()
    if how == "mean":
        return np.add.reduceat(ext, idx)[::2] / (ends - starts + 1)
    ufunc = np.minimum if how == "min" else np.multiply
    return ufunc.reduceat(ext, idx)[::2]


def evaluate(
    gold,
    pred,
    *,
    mode="default",
    scheme="IOB2",
    scores=None,
    types=None,
    entity_score="min",
    ignore_tokens=False,
):
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
    if mode not in MODES:
        raise ParameterError(f"mode={mode!r}; choose one of {', '.join(MODES)}")
    if scheme not in SCHEMES:
        raise ParameterError(f"scheme={scheme!r}; choose one of {', '.join(SCHEMES)}")
    if mode == "default" and scheme == "BILOU":
        raise ParameterError(
            "conlleval's default mode does not read BILOU (L- and U- tags); use mode='strict'"
        )
    if entity_score not in ENTITY_SCORES:
        raise ParameterError(
            f"entity_score={entity_score!r}; choose one of {', '.join(ENTITY_SCORES)}"
        )
    notes = []
    gold, pred = _Side(gold, "gold"), _Side(pred, "pred")
    _check_alignment(gold, pred, ignore_tokens, notes)

    if scores is None:
        scores = pred.scores
        has_scores = len(pred) > 0 and all(sc is not None for sc in scores)
    else:
        scores = list(scores)
        if len(scores) != len(pred):
            raise ParameterError(f"scores has {len(scores)} sentences but pred has {len(pred)}")
        if list(map(len, scores)) != list(map(len, pred.tags)):
            pairs = zip(scores, pred.tags, strict=True)
            i = next(i for i, (a, b) in enumerate(pairs) if len(a) != len(b))
            raise ParameterError(
                f"scores[{i}] has {len(scores[i])} values but pred sentence {i + 1} has "
                f"{len(pred.tags[i])} tags"
            )
        has_scores = len(pred) > 0

    # Every distinct tag is checked and split once.
    allowed = allowed_prefixes(scheme)
    if mode == "default":
        allowed = allowed & _DEFAULT_MODE_PREFIXES
    tags = set(chain.from_iterable(gold.tags))
    tags |= set(chain.from_iterable(pred.tags))
    tags.add("O")
    tag_list = sorted(tags)
    type_names = ["_"]  # seqeval's type of "O"
    type_ids = {"_": 0}
    prefix = np.zeros(len(tag_list), np.intp)
    type_ = np.zeros(len(tag_list), np.intp)
    for t, tag in enumerate(tag_list):
        try:
            p, name = split_tag(tag, scheme=scheme, allowed=allowed)
        except FormatError as exc:
            raise FormatError(f"{_locate(tag, gold, pred)}: {exc}") from None
        prefix[t] = _PREFIXES.index(p)
        if name is not None:
            type_[t] = type_ids.setdefault(name, len(type_names))
            if type_[t] == len(type_names):
                type_names.append(name)
    tag_index = {tag: t for t, tag in enumerate(tag_list)}

    lengths = np.fromiter(map(len, gold.tags), dtype=np.intp, count=len(gold))
    total = int(lengths.sum())
    # Position of each token in the flat corpus with an "O" before and after every sentence.
    pos = np.arange(total) + 1 + np.repeat(np.arange(len(gold)), lengths)
    gold_ids, gold_ext = _encode(gold, tag_index, pos, total)
    pred_ids, pred_ext = _encode(pred, tag_index, pos, total)

    # Accuracies, over tags.
    wrong = gold_ids != pred_ids
    token_accuracy = float(1.0 - wrong.mean()) if total else 0.0
    wrong_per_sentence = np.bincount(
        np.repeat(np.arange(len(gold)), lengths), weights=wrong, minlength=len(gold)
    )
    sentence_accuracy = float(np.mean(wrong_per_sentence == 0)) if len(gold) else 0.0

    g_start, g_end, g_type = _chunks(gold_ext, prefix, type_, mode, scheme)
    p_start, p_end, p_type = _chunks(pred_ext, prefix, type_, mode, scheme)

    n_types = len(type_names)
    if types is not None:
        wanted = {types} if isinstance(types, str) else set(types)
        unknown = sorted(wanted - set(type_names[t] for t in chain(g_type, p_type)))
        if unknown:
            notes.append(f"types not found in gold or predictions: {', '.join(unknown)}")
        keep_type = np.array([name in wanted for name in type_names])
        g_keep, p_keep = keep_type[g_type], keep_type[p_type]
        g_start, g_end, g_type = g_start[g_keep], g_end[g_keep], g_type[g_keep]
        p_start, p_end, p_type = p_start[p_keep], p_end[p_keep], p_type[p_keep]

    # Chunks never overlap, so at most one gold entity starts where a prediction starts: a
    # prediction is correct when that entity exists and has the same end and type.
    at = np.minimum(np.searchsorted(g_start, p_start), max(len(g_start) - 1, 0))
    if len(g_start):
        correct = (g_start[at] == p_start) & (g_end[at] == p_end) & (g_type[at] == p_type)
    else:
        correct = np.zeros(len(p_start), bool)

    true_count = np.bincount(g_type, minlength=n_types)
    pred_count = np.bincount(p_type, minlength=n_types)
    tp_count = np.bincount(p_type[correct], minlength=n_types)
    present = sorted(
        (t for t in range(n_types) if true_count[t] or pred_count[t]), key=type_names.__getitem__
    )
    tp, pc, tc = (a[present].astype(np.int32) for a in (tp_count, pred_count, true_count))
    micro, macro, weighted = _averages(tp, pc, tc)
    p, r, f = _prf(tp, pc, tc)

    if not len(g_type):
        notes.append("gold has no entities: recall is 0 by convention and AP is undefined")
    if not len(p_type):
        notes.append("the predictions hold no entities: precision is 0 by convention")

    curves, ap_by_type = {}, {}
    average_prec = calibration = reliability = None
    if has_scores:
        conf = _entity_scores(scores, pos, p_start, p_end, entity_score, len(pred_ext))
        if not np.all(np.isfinite(conf)):
            raise ParameterError("scores hold NaN or infinite values; give finite confidences")
        overall = average_precision(correct, conf, n_gold=len(g_type))
        if overall is not None:
            curves["micro"] = overall
        for t in present:
            sel = p_type == t
            curve = average_precision(correct[sel], conf[sel], n_gold=int(true_count[t]))
            if curve is not None:
                curves[type_names[t]] = curve
                ap_by_type[t] = curve.ap
        mean_ap = float(np.mean(list(ap_by_type.values()))) if ap_by_type else None
        if overall is not None:
            average_prec = {"micro": overall.ap, "mean": mean_ap}
        if len(conf) and (conf.min() < 0.0 or conf.max() > 1.0):
            notes.append(
                "entity confidences fall outside [0, 1] "
                f"({conf.min():.3g} to {conf.max():.3g}): no calibration figures"
            )
        else:
            ece, reliability = expected_calibration_error(correct, conf)
            if ece is not None:
                calibration = {"ece": ece}
    else:
        notes.append("average precision is not available: the predictions carry no confidences")

    per_type = {
        type_names[t]: Scores(float(p[k]), float(r[k]), float(f[k]), int(tc[k]), ap_by_type.get(t))
        for k, t in enumerate(present)
    }
    if average_prec is not None:
        micro = Scores(
            micro.precision, micro.recall, micro.f1, micro.support, average_prec["micro"]
        )
        macro = Scores(macro.precision, macro.recall, macro.f1, macro.support, average_prec["mean"])
    return Report(
        per_type=per_type,
        micro=micro,
        macro=macro,
        weighted=weighted,
        average_precision=average_prec,
        calibration=calibration,
        token_accuracy=token_accuracy,
        sentence_accuracy=sentence_accuracy,
        sentences=len(gold),
        tokens=total,
        mode=mode,
        scheme=scheme,
        notes=notes,
        curves=curves,
        reliability=reliability,
    )


# ---------------------------------------------------------------------------------------- plots


def plot_report(report, outdir):
    """Draw the precision-recall curves and the reliability diagram as PNG files in ``outdir``.

    Writes ``pr_curve.png`` (all entities), ``pr_curves_by_type.png`` (one panel per type) and
    ``reliability.png``. Needs matplotlib (``pip install 'speechtext[plot]'``).

    Returns
    -------
    list of Path
        The files written; empty when the report has no confidences.

    Examples
    --------
    >>> plot_report(evaluate(gold, pred), "plots")  # doctest: +SKIP
    """
    from .io.atomic import atomic_path

    if not report.curves:
        return []
    try:
        from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global state
    except ImportError:
        raise ParameterError(
            "plots need matplotlib: pip install 'speechtext[plot]' (or matplotlib)"
        ) from None
    outdir = Path(outdir)
    written = []

    def save(fig, name):
        path = outdir / name
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=100)
        written.append(path)

    def draw(ax, curve, title):
        # The non-interpolated curve: precision p_k holds on the recall step (r_k-1, r_k].
        ax.step(np.r_[0.0, curve.recall], np.r_[curve.precision[:1], curve.precision], where="pre")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.set_title(f"{title} (AP {curve.ap:.3f})", fontsize=8)

    fig = Figure(figsize=(5, 4.5))
    ax = fig.add_subplot()
    draw(ax, report.curves["micro"], "all entities")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    fig.tight_layout()
    save(fig, "pr_curve.png")

    names = [n for n in report.curves if n != "micro"]
    cols = min(6, max(1, len(names)))
    rows = -(-len(names) // cols)
    fig = Figure(figsize=(2.2 * cols, 1.9 * rows + 0.4))
    # Shared axes with labels on the outer panels only: ticks dominate the drawing time.
    axes = fig.subplots(rows, cols, sharex=True, sharey=True, squeeze=False).ravel()
    for ax, name in zip(axes, names, strict=False):
        draw(ax, report.curves[name], name)
        ax.set_xticks([0, 0.5, 1])
        ax.set_yticks([0, 0.5, 1])
        ax.tick_params(labelsize=7)
    for k, ax in enumerate(axes[len(names) :], len(names)):
        ax.set_visible(False)
        axes[k - cols].xaxis.set_tick_params(labelbottom=True)  # the panel above ends its column
    fig.supxlabel("recall")
    fig.supylabel("precision")
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.08, top=0.95, wspace=0.12, hspace=0.4)
    save(fig, "pr_curves_by_type.png")

    if report.reliability is not None and report.reliability["confidence"] is not None:
        rel = report.reliability
        edges = rel["edges"]
        centres = (edges[:-1] + edges[1:]) / 2
        fig = Figure(figsize=(5, 5))
        ax = fig.add_subplot()
        filled = rel["count"] > 0
        ax.bar(
            centres[filled],
            rel["accuracy"][filled],
            width=np.diff(edges)[filled],
            edgecolor="black",
            label="accuracy",
        )
        ax.plot([0, 1], [0, 1], "k--", label="perfect calibration")
        ax.plot(centres[filled], rel["confidence"][filled], "ro", label="mean confidence")
        ax.set_xlabel("entity confidence")
        ax.set_ylabel("share of entities that are correct")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ece = report.calibration["ece"] if report.calibration else float("nan")
        ax.set_title(f"reliability diagram (ECE {ece:.3f})")
        ax.legend(loc="upper left")
        fig.tight_layout()
        save(fig, "reliability.png")
    return written


class _CallableModule(ModuleType):
    """``speechtext.evaluate`` names both this module and its function.

    Whichever the import system leaves on the package (the module, once anything imported
    ``speechtext.evaluate`` directly), ``speechtext.evaluate(gold, pred)`` must work.
    """

    def __call__(self, *args, **kwargs):
        return evaluate(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
