"""Intent accuracy and sentence accuracy, for gold and predicted sentences that carry intents.

The joint-SLU figures (as JointBERT and Stack-Propagation report them): intent accuracy, and
sentence (semantic frame) accuracy: the share of sentences whose intent *and* every slot tag are
right. Slot precision/recall/F1 are the entity scores of :func:`~speechtext.evaluation.evaluate`.

Examples
--------
>>> from speechtext.types import Sentence
>>> gold = [Sentence(["play", "jazz"], ["O", "B-genre"], intent="PlayMusic"),
...         Sentence(["hi"], ["O"], intent="Greet")]
>>> pred = [Sentence(["play", "jazz"], ["O", "B-genre"], intent="PlayMusic"),
...         Sentence(["hi"], ["O"], intent="PlayMusic")]
>>> scores = intent_scores(gold, pred)
>>> scores.accuracy, scores.sentence_accuracy, scores.sentences
(0.5, 0.5, 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..errors import ParameterError
from ..types import Sentence

__all__ = ["IntentScores", "intent_scores"]


@dataclass(frozen=True)
class IntentScores:
    """Intent accuracy, sentence accuracy (intent and all tags right) and per-intent counts.

    Attributes
    ----------
    accuracy, sentence_accuracy : float
        Fractions in [0, 1].
    sentences : int
    per_intent : dict of str to (int, int)
        Gold intent -> (sentences right, sentences), sorted by name.
    """

    accuracy: float
    sentence_accuracy: float
    sentences: int
    per_intent: dict[str, tuple[int, int]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The ``intent`` member of ``speechtext evaluate --format json``."""
        return {
            "accuracy": self.accuracy,
            "sentence_accuracy": self.sentence_accuracy,
            "sentences": self.sentences,
            "per_intent": {
                name: {"correct": right, "support": n}
                for name, (right, n) in self.per_intent.items()
            },
        }

    def summary(self, digits: int = 4) -> str:
        """One line for the text and Markdown reports."""
        return (
            f"intent accuracy {self.accuracy:.{digits}f}; sentence accuracy (intent and every "
            f"slot right) {self.sentence_accuracy:.{digits}f}; {self.sentences} sentences"
        )


def has_intents(sentences: Sequence) -> bool:
    """Whether every item is a :class:`~speechtext.types.Sentence` with an intent."""
    return bool(sentences) and all(
        isinstance(s, Sentence) and s.intent is not None for s in sentences
    )


def intent_scores(gold: Sequence[Sentence], pred: Sequence[Sentence]) -> IntentScores:
    """Intent and sentence accuracy of ``pred`` against ``gold``, sentence for sentence.

    Raises
    ------
    ParameterError
        Different numbers of sentences, or a sentence without an intent.
    """
    if len(gold) != len(pred):
        raise ParameterError(f"{len(gold)} gold sentences but {len(pred)} predicted")
    right = whole = 0
    per: dict[str, list[int]] = {}
    for i, (g, p) in enumerate(zip(gold, pred, strict=True)):
        if g.intent is None or p.intent is None:
            side = "gold" if g.intent is None else "predicted"
            raise ParameterError(
                f"{side} sentence {i} ({(g if g.intent is None else p).where()}) has no intent"
            )
        hit = g.intent == p.intent
        counts = per.setdefault(g.intent, [0, 0])
        counts[0] += hit
        counts[1] += 1
        right += hit
        whole += hit and list(g.tags or ()) == list(p.tags or ())
    n = len(gold)
    return IntentScores(
        accuracy=right / n if n else 0.0,
        sentence_accuracy=whole / n if n else 0.0,
        sentences=n,
        per_intent={name: (c[0], c[1]) for name, c in sorted(per.items())},
    )
