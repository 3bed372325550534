"""Self-training: unlabeled utterances the tagger is sure of, as pseudo-labels.

Each round tags every unlabeled utterance with the current tagger, keeps those whose calibrated
sentence confidence (:func:`~.uncertainty.sentence_confidence`: the probability that the intent
and every tag are right) is at least ``threshold``, and retrains on the labelled data plus
those pseudo-labels. The pseudo-labels are chosen afresh each round (a label the improved
tagger no longer trusts drops out). The confidences are calibrated only with dev data, which
is therefore required. The tagger returned is the round's with the best dev F1 (round 0, the
labelled data alone, included): a round whose pseudo-labels hurt is not kept.

The unlabeled text also teaches every round's tagger its word clusters (the ``clusters``
feature, :data:`CLUSTERS` unless ``params`` set it): words the labelled share never shows get
the cluster of words used alike. On SNIPS from 10 % of train (``bench/active.py``; chosen on
valid) the clusters gave most of the gain: +1.5 test F1 on their own, where clusters from the
labelled text alone lost 0.6.

Examples
--------
>>> tagger, rounds = self_train({}, tokens, tags, intents, unlabeled, dev=dev,
...                             threshold=0.95, rounds=2)  # doctest: +SKIP
>>> [(r.added, round(r.dev_f1, 3)) for r in rounds]  # doctest: +SKIP
[(0, 0.871), (8120, 0.884), (8890, 0.886)]
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from ..errors import ParameterError
from .tagger import SlotTagger
from .uncertainty import sentence_confidence

__all__ = ["CLUSTERS", "Round", "self_train"]

CLUSTERS = 512  # word clusters from the labelled and unlabeled text (SNIPS valid: 128-512 tried)


class Round(NamedTuple):
    """One round: how many pseudo-labels it trained on, and the tagger's dev figures."""

    round: int
    added: int
    dev_f1: float
    dev_intent_accuracy: float | None


def self_train(
    params: dict[str, Any],
    sentences: Sequence[Sequence[str]],
    tags: Sequence[Sequence[str]],
    intents: Sequence[str] | None,
    unlabeled: Sequence[Sequence[str]],
    *,
    dev: tuple,
    threshold: float,
    rounds: int = 1,
    report: Callable[[Round], None] | None = None,
) -> tuple[SlotTagger, list[Round]]:
    """Train on the labelled data, then ``rounds`` times add the confident pseudo-labels and
    retrain; return the tagger of the best dev F1 and every round's figures (round 0: labelled
    data only).

    Parameters
    ----------
    params : dict
        :class:`SlotTagger` parameters (``features={"clusters": 0}``: no word clusters).
    dev : (sentences, tags) or (sentences, tags, intents)
        Calibrates every round's tagger and scores it.
    threshold : float
        Least sentence confidence of a pseudo-label, in (0, 1].
    report : callable, optional
        Called with each :class:`Round` as it ends.
    """
    if dev is None:
        raise ParameterError(
            "self-training needs dev data: the pseudo-labels are chosen by calibrated "
            "confidences, and the temperature is fitted on dev (give --dev)"
        )
    if not isinstance(threshold, (int, float)) or not 0.0 < threshold <= 1.0:
        raise ParameterError(f"threshold={threshold!r} must be a probability in (0, 1]")
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1:
        raise ParameterError(f"rounds={rounds!r} must be a whole number of at least 1")
    sentences, tags = [list(s) for s in sentences], [list(t) for t in tags]
    unlabeled = [list(s) for s in unlabeled]
    params = dict(params)
    params["features"] = {"clusters": CLUSTERS, **(params.get("features") or {})}
    history: list[Round] = []
    best = None

    def fit(x, y, z, added):
        nonlocal best
        tagger = SlotTagger(**params)
        with warnings.catch_warnings():
            if added:  # the labelled data's own warnings came in round 0
                warnings.simplefilter("ignore")
            tagger.fit(x, y, intents=z, dev=dev, unlabeled=unlabeled)
        history.append(Round(len(history), added, tagger.dev_f1_, tagger.dev_intent_accuracy_))
        if best is None or tagger.dev_f1_ > best.dev_f1_:
            best = tagger
        if report is not None:
            report(history[-1])
        return tagger

    tagger = fit(sentences, tags, intents, 0)
    for _ in range(rounds):
        confidence, pseudo_tags, pseudo_intents = sentence_confidence(tagger, unlabeled)
        keep = [i for i, c in enumerate(confidence) if c >= threshold]
        x = sentences + [unlabeled[i] for i in keep]
        y = tags + [pseudo_tags[i] for i in keep]
        z = None
        if intents is not None and pseudo_intents is not None:
            z = list(intents) + [pseudo_intents[i] for i in keep]
        tagger = fit(x, y, z, len(keep))
    return best, history
