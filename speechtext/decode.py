"""Beam search and Viterbi decoding, shared by the slot tagger and G2P.

Two searches live here:

``beam_search_steps``
    Generic autoregressive beam search: a ``step`` function gives the log-probabilities of the
    next label for a batch of hypotheses (a G2P decoder, a language model ...).
"""

import numpy as np

from .errors import ParameterError

__all__ = ["beam_search_steps"]


def _check_beam(beam, nbest):
    for name, value in (("beam", beam), ("nbest", nbest)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ParameterError(f"{name}={value!r} must be a whole number of at least 1")
    if nbest > beam:
        raise ParameterError(f"nbest={nbest} cannot exceed beam={beam}; widen the beam")


def _take(state, index):
    """Reorder a state (array, tuple/list of arrays, or None) along axis 0."""
    if state is None:
        return None
    if isinstance(state, (tuple, list)):
        return type(state)(_take(s, index) for s in state)
    return state[index]


def beam_search_steps(step, state, *, start, end, beam, nbest, max_len):
    """N best label sequences of an autoregressive model by beam search.

    At each step every live hypothesis is extended by every label; the ``beam`` best extensions
    over all hypotheses are kept (ties to the lower hypothesis, then the lower label id). An
    extension by ``end`` finishes its hypothesis. The search stops when no hypothesis is live,
    when ``max_len`` labels have been produced (live hypotheses are then returned as they are,
    without an ``end`` score), or when ``nbest`` finished hypotheses score at least as well as the
    best live one (log-probabilities are never positive, so a live one can only get worse).
    ``beam=1`` is exactly greedy decoding: argmax at each step, ties to the lowest label id.

    Parameters
    ----------
    step : callable
        ``step(labels, state) -> (logprobs, new_state)``: ``labels`` is an int array ``[B]`` of
        the last label of each hypothesis, ``state`` the model state of those hypotheses along
        axis 0; ``logprobs`` is ``np.ndarray [shape=(B, V)]`` of next-label log-probabilities
        (``-inf`` for impossible labels).
    state : np.ndarray, tuple of np.ndarray, or None
        The model state before the first step, with axis 0 of length 1 (one hypothesis). The
        search reorders states by indexing axis 0 with an int array.
    start : int
        The label fed at the first step (not part of the returned sequences).
    end : int
        The label that ends a hypothesis (not part of the returned sequences).
    beam : int
        Hypotheses kept at each step.
    nbest : int
        Sequences returned, at most ``beam``.
    max_len : int
        Most labels in a sequence, ``end`` excluded.

    Returns
    -------
    list of (list of int, float)
        ``(labels, logprob)`` pairs, best first, at most ``nbest``; ``logprob`` includes the
        ``end`` step of finished hypotheses.

    Raises
    ------
    ParameterError
        If ``beam``, ``nbest`` or ``max_len`` is not a positive whole number, ``nbest > beam``,
        or ``step`` returns an array of the wrong shape.

    Examples
    --------
    A bigram model over labels 0 (start/end), 1, 2:

    >>> import numpy as np
    >>> table = np.log(np.array([[0.0, 0.6, 0.4], [0.5, 0.1, 0.4], [0.9, 0.05, 0.05]]) + 1e-300)
    >>> step = lambda labels, state: (table[labels], state)
    >>> best = beam_search_steps(step, None, start=0, end=0, beam=3, nbest=2, max_len=5)
    >>> [labels for labels, _ in best]
    [[2], [1]]
    """
    _check_beam(beam, nbest)
    if isinstance(max_len, bool) or not isinstance(max_len, (int, np.integer)) or max_len < 1:
        raise ParameterError(f"max_len={max_len!r} must be a whole number of at least 1")

    last = np.array([start], dtype=np.int64)
    scores = np.zeros(1)
    history = np.zeros((1, 0), dtype=np.int64)
    finished = []  # (logprob, order found, labels)
    for _ in range(max_len):
        logprobs, new_state = step(last, state)
        logprobs = np.asarray(logprobs, dtype=np.float64)
        if logprobs.ndim != 2 or logprobs.shape[0] != len(last):
            raise ParameterError(
                f"step returned log-probabilities of shape {logprobs.shape}; expected "
                f"({len(last)}, V), one row per hypothesis"
            )
        n_labels = logprobs.shape[1]
        total = (scores[:, None] + logprobs).ravel()
        # Stable sort on -score: equal scores keep flat order (lower hypothesis, lower label).
        k = min(beam, total.size)
        if k < total.size:
            cand = np.argpartition(-total, k - 1)[:k]
            # argpartition may split ties arbitrarily; widen to every candidate tied at the cut.
            cut = total[cand].min()
            cand = np.flatnonzero(total >= cut)
        else:
            cand = np.arange(total.size)
        cand = cand[np.argsort(-total[cand], kind="stable")][:k]
        cand = cand[np.isfinite(total[cand])]
        hyp, lab = np.divmod(cand, n_labels)
        is_end = lab == end
        for h, s in zip(hyp[is_end], total[cand][is_end], strict=True):
            finished.append((float(s), len(finished), history[h].tolist()))
        keep = ~is_end
        hyp, lab, scores = hyp[keep], lab[keep], total[cand][keep]
        if len(hyp) == 0:
            break
        history = np.concatenate([history[hyp], lab[:, None]], axis=1)
        state = _take(new_state, hyp)
        last = lab
        if len(finished) >= nbest:
            worst_kept = sorted(f[0] for f in finished)[-nbest]
            if worst_kept >= scores[0]:
                scores = scores[:0]
                break
    # Hypotheses still live at max_len are returned without an end score.
    for h in range(len(scores)):
        finished.append((float(scores[h]), len(finished), history[h].tolist()))
    finished.sort(key=lambda f: (-f[0], f[1]))
    return [(labels, logprob) for logprob, _, labels in finished[:nbest]]
