"""The confusion matrix of entity types, with a row for spurious and a column for missed entities.

Gold and predicted entities are paired as the SemEval *type* mode pairs them
(:func:`~speechtext.evaluation.modes.match_sentence`): a prediction that overlaps a gold entity
of its own type is paired with it, else with the first gold entity it overlaps. Each pair counts
in the cell (gold type, predicted type), so the diagonal holds the entities whose type is right
(their boundaries may still differ: the exact and partial modes tell); a gold entity no
prediction overlaps counts in its row's *missed* column, a prediction that overlaps no gold
entity in the *spurious* row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .modes import match_sentence, split_exact

__all__ = ["NONE", "Confusion", "confusion_matrix"]

# The label of the missed column and of the spurious row.
NONE = "(none)"


@dataclass(frozen=True)
class Confusion:
    """Counts of gold type (rows) against predicted type (columns).

    Attributes
    ----------
    labels : list of str
        The entity types, sorted, then :data:`NONE`.
    matrix : np.ndarray [shape=(len(labels), len(labels))], int
        ``matrix[g, p]``: gold entities of type ``labels[g]`` paired with a prediction of type
        ``labels[p]``; the last column counts missed gold entities, the last row spurious
        predictions (its last cell is always 0).
    """

    labels: list[str]
    matrix: np.ndarray

    def confusions(self, *, limit: int | None = None) -> list[tuple[str, str, int]]:
        """The off-diagonal cells that are not zero, most frequent first:
        ``(gold type or NONE, predicted type or NONE, count)``.

        Examples
        --------
        >>> c = Confusion(["a", "b", NONE], np.array([[3, 1, 2], [0, 4, 0], [1, 0, 0]]))
        >>> c.confusions()
        [('a', '(none)', 2), ('a', 'b', 1), ('(none)', 'a', 1)]
        """
        m = self.matrix.copy()
        np.fill_diagonal(m, 0)
        g, p = np.nonzero(m)
        order = np.lexsort((p, g, -m[g, p]))[:limit]
        return [(self.labels[g[k]], self.labels[p[k]], int(m[g[k], p[k]])) for k in order]

    def to_dict(self) -> dict:
        return {"labels": list(self.labels), "matrix": self.matrix.tolist()}


def confusion_matrix(gold, pred, type_names: list[str]) -> Confusion:
    """The confusion of per-sentence entity lists (:func:`~.modes.sentence_entities`).

    Examples
    --------
    >>> c = confusion_matrix([[(1, 1, 1), (3, 3, 1)]], [[(1, 1, 2), (5, 5, 2)]], ["_", "a", "b"])
    >>> c.labels, c.matrix.tolist()
    (['a', 'b', '(none)'], [[0, 1, 1], [0, 0, 0], [0, 1, 0]])
    """
    present = sorted(
        {e[2] for s in gold for e in s} | {e[2] for s in pred for e in s},
        key=type_names.__getitem__,
    )
    row = {t: k for k, t in enumerate(present)}
    none = len(present)
    matrix = np.zeros((none + 1, none + 1), dtype=np.int64)
    for g, p in zip(gold, pred, strict=True):
        common, g, p = split_exact(g, p)
        for e in common:
            matrix[row[e[2]], row[e[2]]] += 1
        if not g or not p:
            for e in g:
                matrix[row[e[2]], none] += 1
            for e in p:
                matrix[none, row[e[2]]] += 1
            continue
        pairs = match_sentence("type", g, p)[1]
        for k, e in enumerate(g):
            matrix[row[e[2]], row[p[pairs[k]][2]] if k in pairs else none] += 1
        paired = set(pairs.values())
        for i, e in enumerate(p):
            if i not in paired:
                matrix[none, row[e[2]]] += 1
    return Confusion([type_names[t] for t in present] + [NONE], matrix)
