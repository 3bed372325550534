"""Choosing what to label next: the selection strategies, batches without near-duplicates, and
the sentence confidence that decides pseudo-labels.

Strategies (higher score: label sooner):

- ``least-confidence``, ``margin``, ``entropy``: one tagger's uncertainty
  (:meth:`SlotTagger.uncertainty`; with an ensemble, its full tagger's);
- ``epistemic`` (= ``bald``), ``aleatoric``: from a :class:`~.ensemble.TaggerEnsemble`
  (what more labels would teach, and what the data leaves open);
- ``random``: a seeded random order (the baseline every strategy must beat).

``diverse`` picks greedily: each next utterance maximises its score times one minus its
greatest similarity (Jaccard of word unigram and bigram sets) to those already picked, so that
one batch does not spend its budget on ten copies of the same request.

Examples
--------
>>> select(ensemble, pool, 200, by="epistemic", diverse=True)  # doctest: +SKIP
[(41, 0.93), (7, 0.88), ...]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..errors import ParameterError
from .ensemble import ENSEMBLE_MEASURES, TaggerEnsemble
from .tagger import SELECT_STRATEGIES, SlotTagger

if TYPE_CHECKING:
    import numpy as np

__all__ = ["STRATEGIES", "diverse_order", "scores", "select", "sentence_confidence"]

STRATEGIES = ("epistemic", "aleatoric", "bald", *SELECT_STRATEGIES, "random")


def scores(
    model: SlotTagger | TaggerEnsemble,
    sentences: Sequence[Sequence[str]],
    *,
    by: str,
    seed: int = 0,
) -> np.ndarray:
    """Each utterance's score under strategy ``by`` (see the module docstring)."""
    import numpy as np

    if by not in STRATEGIES:
        raise ParameterError(f"by={by!r}; choose one of {', '.join(STRATEGIES)}")
    if by == "random":
        return np.random.default_rng(seed).random(len(sentences))
    if by in ENSEMBLE_MEASURES:
        if not isinstance(model, TaggerEnsemble):
            raise ParameterError(
                f"--by {by} needs an ensemble of taggers (what the members disagree on); "
                "train one with `speechtext tag train --ensemble K`"
            )
        return model.uncertainty(sentences, by=by)
    tagger = model.full_ if isinstance(model, TaggerEnsemble) else model
    return tagger.uncertainty(sentences, by=by)


def _ngram_sets(sentences):
    """Binary CSR rows of each utterance's lower-cased word unigrams and bigrams."""
    import numpy as np
    import scipy.sparse

    vocab: dict[str, int] = {}
    indices, indptr = [], [0]
    for words in sentences:
        lower = [w.lower() for w in words]
        grams = {*lower, *(f"{a} {b}" for a, b in zip(lower, lower[1:], strict=False))}
        indices.extend(vocab.setdefault(g, len(vocab)) for g in grams)
        indptr.append(len(indices))
    return scipy.sparse.csr_matrix(
        (np.ones(len(indices)), np.array(indices, dtype=np.int64), np.array(indptr)),
        shape=(len(sentences), max(len(vocab), 1)),
    )


def diverse_order(sentences: Sequence[Sequence[str]], score: np.ndarray, n: int) -> list[int]:
    """``n`` indices picked greedily by ``score * (1 - greatest Jaccard similarity to the
    utterances picked before)``; equal values keep input order."""
    import numpy as np

    score = np.asarray(score, dtype=float)
    x = _ngram_sets(sentences)
    xt = x.T.tocsr()
    sizes = np.diff(x.indptr).astype(float)
    closest = np.zeros(len(score))
    free = np.ones(len(score), dtype=bool)
    chosen = []
    for _ in range(min(n, len(score))):
        adjusted = np.where(free, score * (1.0 - closest), -np.inf)
        i = int(np.argmax(adjusted))
        chosen.append(i)
        free[i] = False
        shared = (x @ xt[:, i]).toarray().ravel()
        union = sizes + sizes[i] - shared
        closest = np.maximum(
            closest, np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)
        )
    return chosen


def select(
    model: SlotTagger | TaggerEnsemble,
    sentences: Sequence[Sequence[str]],
    n: int,
    *,
    by: str = "least-confidence",
    diverse: bool = False,
    seed: int = 0,
) -> list[tuple[int, float]]:
    """The ``n`` utterances to label next, first first, with their scores.

    Returns
    -------
    list of (int, float)
        ``(index into sentences, score)``; without ``diverse``, by decreasing score, equal
        scores in input order.
    """
    import numpy as np

    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ParameterError(f"n={n!r} must be a whole number of at least 1")
    sentences = [list(s) for s in sentences]
    score = scores(model, sentences, by=by, seed=seed)
    if diverse:
        order = diverse_order(sentences, score, n)
    else:
        order = np.argsort(-score, kind="stable")[:n].tolist()
    return [(int(i), float(score[i])) for i in order]


def sentence_confidence(
    tagger: SlotTagger, sentences: Sequence[Sequence[str]]
) -> tuple[np.ndarray, list[list[str]], list[str] | None]:
    """The calibrated probability that an utterance's predicted tags (and intent) are all
    right: ``P(intent) * P(best tags | intent)``, with the tags and intents.

    Returns
    -------
    confidence : np.ndarray [shape=(n,)]
    tags : list of list of str
        The best tag sequences.
    intents : list of str or None
        The most probable intents (None for a tagger without intents).
    """
    import numpy as np

    sentences = [list(s) for s in sentences]
    if not sentences:
        return np.zeros(0), [], None if not tagger.intents_ else []
    best = [nb[0] for nb in tagger.predict_nbest(sentences, k=1)]
    confidence = np.exp([logprob for _, logprob in best])
    intents = None
    if tagger.intents_:
        top = [nb[0] for nb in tagger.predict_intent(sentences)]
        confidence = confidence * np.array([p for _, p in top])
        intents = [name for name, _ in top]
    return confidence, [tags for tags, _ in best], intents
