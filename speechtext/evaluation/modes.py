"""The SemEval-2013 (task 9.1) match modes: strict, exact, partial and type, as nervaluate counts
them.

Each predicted entity of a sentence is matched to at most one gold entity, in nervaluate's order
(predictions left to right, each against the gold entities not yet matched, left to right), and
counted as *correct*, *incorrect*, *partial* or *spurious*; gold entities left unmatched are
*missed*. Two entities overlap when they share at least 1 % of the gold entity's tokens
(nervaluate's ``min_overlap_percentage=1``):

- **strict**: correct when span and type are the gold entity's; incorrect when it overlaps one;
- **exact**: correct when the span is, whatever the type; incorrect when it overlaps one;
- **partial**: correct when the span is (type ignored); partial when it only overlaps;
- **type**: correct when it overlaps a gold entity of its type (the one with the closest
  boundaries); incorrect when it overlaps one of another type (nervaluate's ``ent_type``).

``possible = correct + incorrect + partial + missed``, ``actual = correct + incorrect + partial +
spurious``; precision is ``(correct + 0.5 partial) / actual`` and recall ``... / possible`` for
partial and type, ``correct / actual`` and ``correct / possible`` for strict and exact. Per type,
each type's entities are matched among themselves, as nervaluate does. The rules repeat
nervaluate 1.2's strategies step for step, so the figures equal its ``Evaluator`` on the same
entities (``tests/test_evaluate_modes.py``, ``bench/evaluate.py``); nervaluate reads IOB2 tags as
conlleval does, the default mode here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from .chunking import Entities
from .options import MATCH_MODES

__all__ = [
    "MatchScores",
    "match_modes",
    "match_sentence",
    "sentence_entities",
    "split_exact",
]

# nervaluate's default: the share of the gold entity's tokens two entities must share, in %.
MIN_OVERLAP_PERCENT = 1.0


@dataclass(frozen=True)
class MatchScores:
    """The counts of one match mode and their precision, recall and F1.

    Examples
    --------
    >>> MatchScores.of("partial", correct=1, partial=1, missed=1).recall
    0.5
    """

    correct: int = 0
    incorrect: int = 0
    partial: int = 0
    missed: int = 0
    spurious: int = 0
    precision: float = 0.0
    recall: float = 0.0
    f1: float = 0.0

    @classmethod
    def of(cls, mode, *, correct=0, incorrect=0, partial=0, missed=0, spurious=0):
        actual = correct + incorrect + partial + spurious
        possible = correct + incorrect + partial + missed
        # nervaluate's compute_metrics, operation for operation
        hits = correct + 0.5 * partial if mode in ("partial", "type") else correct
        precision = hits / actual if actual > 0 else 0
        recall = hits / possible if possible > 0 else 0
        f1 = 2 * (precision * recall) / (precision + recall) if (precision + recall) > 0 else 0
        counts = (correct, incorrect, partial, missed, spurious)
        return cls(*counts, float(precision), float(recall), float(f1))

    @property
    def possible(self) -> int:
        return self.correct + self.incorrect + self.partial + self.missed

    @property
    def actual(self) -> int:
        return self.correct + self.incorrect + self.partial + self.spurious

    def to_dict(self) -> dict:
        return {
            "correct": self.correct,
            "incorrect": self.incorrect,
            "partial": self.partial,
            "missed": self.missed,
            "spurious": self.spurious,
            "possible": self.possible,
            "actual": self.actual,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }


def sentence_entities(ents: Entities, lengths: np.ndarray) -> list[list[tuple[int, int, int]]]:
    """The entities of each sentence, ``(start, end, type id)`` with ``end`` inclusive, in order.

    Positions stay those of the flat corpus (:mod:`~speechtext.evaluation.chunking`): only their
    differences matter to the matching.
    """
    bounds = np.r_[0, np.cumsum(np.asarray(lengths) + 1)]
    which = np.searchsorted(bounds, ents.start, side="right") - 1
    cuts = np.searchsorted(which, np.arange(len(lengths) + 1))
    rows = list(zip(ents.start.tolist(), ents.end.tolist(), ents.type_.tolist(), strict=True))
    return [rows[cuts[i] : cuts[i + 1]] for i in range(len(lengths))]


def _overlaps(p, t):
    if p[0] > t[1] or p[1] < t[0]:
        return False
    span = min(p[1], t[1]) - max(p[0], t[0]) + 1
    return (span / (t[1] - t[0] + 1)) * 100.0 >= MIN_OVERLAP_PERCENT


def match_sentence(mode, gold, pred):
    """nervaluate's strategy ``mode`` on one sentence's entities (``(start, end, type)``).

    Returns
    -------
    counts : dict
        ``correct``, ``incorrect``, ``partial``, ``spurious`` and ``missed``.
    matched : dict of int to int
        Gold entity index -> the index of the prediction matched to it (correct, incorrect or
        partial); gold entities missing are missed, predictions missing spurious.

    Examples
    --------
    >>> match_sentence("type", [(0, 1, 1), (3, 3, 2)], [(1, 1, 2), (3, 3, 2)])[1]
    {0: 0, 1: 1}
    """
    counts = dict.fromkeys(("correct", "incorrect", "partial", "spurious"), 0)
    matched = {}  # gold index -> pred index
    for i, p in enumerate(pred):
        outcome, target, best = None, None, None
        for k, t in enumerate(gold):
            if k in matched:
                continue
            if mode == "type":
                if not _overlaps(p, t):
                    continue
                if p[2] == t[2]:
                    distance = abs(p[0] - t[0]) + abs(p[1] - t[1])
                    if best is None or distance < best:
                        outcome, target, best = "correct", k, distance
                elif outcome is None:
                    outcome, target = "incorrect", k
                continue
            same_span = p[0] == t[0] and p[1] == t[1]
            if mode == "partial":
                if not _overlaps(p, t):
                    continue
                if same_span:
                    outcome, target = "correct", k
                    break
                if outcome is None:
                    outcome, target = "partial", k
                continue
            if same_span and (mode == "exact" or p[2] == t[2]):
                outcome, target = "correct", k
                break
            if outcome is None and _overlaps(p, t):
                outcome, target = "incorrect", k
        if outcome is None:
            counts["spurious"] += 1
        else:
            counts[outcome] += 1
            matched[target] = i
    counts["missed"] = len(gold) - len(matched)
    return counts, matched


def _add(total, counts):
    for key, value in counts.items():
        total[key] += value


def split_exact(gold, pred):
    """The entities both sides hold (same span and type), and what is left of each side.

    These are correct in every mode, and the matching of the rest does not depend on them:
    entities of one side never overlap, so nothing left overlaps an entity taken out.

    Examples
    --------
    >>> split_exact([(1, 1, 1), (3, 4, 2)], [(1, 1, 1), (3, 3, 2)])
    ([(1, 1, 1)], [(3, 4, 2)], [(3, 3, 2)])
    """
    if gold == pred:
        return list(gold), [], []
    common = set(gold).intersection(pred)
    if not common:
        return [], list(gold), list(pred)
    return (
        [e for e in gold if e in common],
        [e for e in gold if e not in common],
        [e for e in pred if e not in common],
    )


def match_modes(
    gold: list[list[tuple[int, int, int]]],
    pred: list[list[tuple[int, int, int]]],
    type_names: list[str],
) -> tuple[dict[str, MatchScores], dict[str, dict[str, MatchScores]]]:
    """The four modes over a corpus: overall, and per type (sorted by name).

    ``gold`` and ``pred`` are per-sentence entity lists (:func:`sentence_entities`).

    Examples
    --------
    >>> overall, per_type = match_modes([[(1, 2, 1)]], [[(1, 1, 1)]], ["_", "x"])
    >>> overall["strict"].incorrect, overall["partial"].partial, per_type["x"]["type"].correct
    (1, 1, 1)
    """

    # Per type, counts that are the same in every mode: ``same``, the entities both sides hold
    # and those of a sentence where only one side has entities left; ``type_alone``, those of a
    # type only one side has left in a sentence (overall they are matched with the others).
    def mode_free():
        return defaultdict(lambda: {"correct": 0, "missed": 0, "spurious": 0})

    same, type_alone = mode_free(), mode_free()
    by_type = defaultdict(lambda: {m: defaultdict(int) for m in MATCH_MODES})
    total = {m: defaultdict(int) for m in MATCH_MODES}
    for g, p in zip(gold, pred, strict=True):
        if not g and not p:
            continue
        common, g, p = split_exact(g, p)
        for e in common:
            same[e[2]]["correct"] += 1
        if not g or not p:
            for e in g:
                same[e[2]]["missed"] += 1
            for e in p:
                same[e[2]]["spurious"] += 1
            continue
        for m in MATCH_MODES:
            _add(total[m], match_sentence(m, g, p)[0])
        g_types, p_types = {e[2] for e in g}, {e[2] for e in p}
        for t in g_types | p_types:
            g_t = [e for e in g if e[2] == t]
            p_t = [e for e in p if e[2] == t]
            if not p_t or not g_t:
                type_alone[t]["missed"] += len(g_t)
                type_alone[t]["spurious"] += len(p_t)
                continue
            for m in MATCH_MODES:
                _add(by_type[t][m], match_sentence(m, g_t, p_t)[0])
    for m in MATCH_MODES:
        for t, counts in same.items():
            _add(by_type[t][m], counts)
            _add(total[m], counts)
        for t, counts in type_alone.items():
            _add(by_type[t][m], counts)
    overall = {m: MatchScores.of(m, **total[m]) for m in MATCH_MODES}
    per_type = {
        type_names[t]: {m: MatchScores.of(m, **by_type[t][m]) for m in MATCH_MODES}
        for t in sorted(by_type, key=type_names.__getitem__)
    }
    return overall, per_type
