"""The sentences with a wrong tag, ranked so that the confident mistakes come first.

A sentence's confidence is the lowest of its predicted tokens' confidences: the tagging is right
only if every tag is, so its weakest tag bounds the sentence's probability from above. Ranked by
that confidence (highest first), the top of the list holds the errors the tagger did not doubt,
the ones neither a confidence threshold nor active learning would catch. Without confidences the
sentences are ranked by their number of wrong tags. Each error lists what went wrong with its
entities, as the strict mode pairs them (:mod:`~speechtext.evaluation.modes`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from .modes import match_sentence, split_exact

__all__ = ["SentenceError", "entity_errors", "rank_sentence_errors"]


@dataclass(frozen=True)
class SentenceError:
    """One sentence with at least one wrong tag.

    Attributes
    ----------
    index : int
        Its number in the corpus (0-based).
    where : str
        Where it is: file and line for sentences read from files.
    tokens : list of str or None
        None when the inputs were plain tag lists.
    gold, pred : list of str
        Its gold and predicted tags.
    confidence : float or None
        The lowest confidence of its predicted tags; None without confidences.
    wrong_tags : int
        Tokens whose predicted tag is not the gold one.
    entities : list of str
        What went wrong, one line per entity error (``missed time 'seven thirty'`` ...).
    """

    index: int
    where: str
    tokens: list[str] | None
    gold: list[str]
    pred: list[str]
    confidence: float | None
    wrong_tags: int
    # (gold entities, predicted entities, flat position of the first token, type names): what
    # ``entities`` is worded from, on first use (a large corpus has many errors, few are read)
    spans: tuple = field(default=((), (), 0, ()), repr=False, compare=False)

    @functools.cached_property
    def entities(self) -> list[str]:
        gold, pred, first, type_names = self.spans
        return entity_errors(gold, pred, first=first, tokens=self.tokens, type_names=type_names)

    def to_dict(self) -> dict:
        return {
            "index": self.index,
            "where": self.where,
            "tokens": self.tokens,
            "gold": list(self.gold),
            "pred": list(self.pred),
            "confidence": self.confidence,
            "wrong_tags": self.wrong_tags,
            "entities": list(self.entities),
        }


def entity_errors(gold, pred, *, first: int, tokens, type_names) -> list[str]:
    """One line per wrong entity of a sentence, as the strict mode pairs them.

    ``gold`` and ``pred`` are the sentence's entities (flat positions); ``first`` is the flat
    position of its first token.

    Examples
    --------
    >>> entity_errors([(1, 2, 1)], [(1, 1, 2)], first=1, tokens=["new", "york"],
    ...               type_names=["_", "city", "state"])
    ["boundary and type: gold city 'new york', predicted state 'new'"]
    """

    def text(e):
        if tokens is None:
            return f"tokens {e[0] - first + 1}-{e[1] - first + 1}"
        return repr(" ".join(tokens[e[0] - first : e[1] - first + 1]))

    _, gold, pred = split_exact(gold, pred)  # the entities right need no line
    _, matched = match_sentence("strict", gold, pred)
    lines = []
    for k, g in enumerate(gold):
        if k not in matched:
            lines.append(f"missed {type_names[g[2]]} {text(g)}")
            continue
        p = pred[matched[k]]
        if p == g:
            continue
        what = "type" if p[:2] == g[:2] else "boundary" if p[2] == g[2] else "boundary and type"
        lines.append(
            f"{what}: gold {type_names[g[2]]} {text(g)}, predicted {type_names[p[2]]} {text(p)}"
        )
    paired = set(matched.values())
    lines += [
        f"spurious {type_names[p[2]]} {text(p)}" for i, p in enumerate(pred) if i not in paired
    ]
    return lines


def rank_sentence_errors(
    *, wrong, lengths, gold_side, pred_side, confidences, gold_ents, pred_ents, type_names
) -> list[SentenceError]:
    """The sentences with a wrong tag, confident mistakes first.

    ``wrong`` is a bool per token (predicted tag != gold tag); ``confidences`` the per-token
    confidences (list per sentence) or None; ``gold_ents``/``pred_ents`` per-sentence entities.
    """
    n = len(lengths)
    sentence = np.repeat(np.arange(n), lengths)
    wrong_per_sentence = np.bincount(sentence, weights=wrong, minlength=n).astype(int)
    bad = np.flatnonzero(wrong_per_sentence)
    firsts = np.r_[0, np.cumsum(np.asarray(lengths) + 1)][:-1] + 1
    if confidences is None:
        conf = None
        order = sorted(bad.tolist(), key=lambda i: (-wrong_per_sentence[i], i))
    else:
        conf = {i: float(min(confidences[i])) for i in bad.tolist()}
        order = sorted(conf, key=lambda i: (-conf[i], -wrong_per_sentence[i], i))
    out = []
    for i in order:
        tokens = gold_side.tokens[i] or pred_side.tokens[i]
        tokens = list(tokens) if tokens is not None else None
        out.append(
            SentenceError(
                index=i,
                where=gold_side.where(i),
                tokens=tokens,
                gold=list(gold_side.tags[i]),
                pred=list(pred_side.tags[i]),
                confidence=None if conf is None else conf[i],
                wrong_tags=int(wrong_per_sentence[i]),
                spans=(gold_ents[i], pred_ents[i], int(firsts[i]), type_names),
            )
        )
    return out
