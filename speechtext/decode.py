"""Beam search, Viterbi and the forward algorithm, shared by the slot tagger and G2P.

Two kinds of search live here:

``beam_search_steps``
    Generic autoregressive beam search: a ``step`` function gives the log-probabilities of the
    next label for a batch of hypotheses (a G2P decoder, a language model ...).
``viterbi``, ``beam_search`` (and their ``*_batch`` forms), ``forward_backward``
    Searches over a linear-chain lattice, as a CRF or any per-token scorer defines it: a
    ``[T, L]`` matrix of per-token label scores (emissions), ``[L, L]`` transition scores
    (``transitions[i, j]`` scores label ``j`` right after label ``i``), and ``[L]`` start and end
    scores. A sequence ``y`` scores ``start[y0] + sum_t emissions[t, y_t] +
    sum_t transitions[y_{t-1}, y_t] + end[y_last]``.

Constraints (``allowed``, e.g. from :func:`iob_constraints`) remove transitions, first labels
and last labels from the lattice; every search and the partition function respect them, so
returned log-probabilities are normalised over the *allowed* sequences only (the model's
distribution conditioned on well-formed output): the N-best probabilities of one sentence sum to
at most 1, and to exactly 1 when the beam holds every allowed sequence.

The partition function is the forward algorithm in log space. Each step's log-sum-exp over the
previous label is computed with the usual max shift, the shifted exponentials being summed by a
matrix product (``exp(alpha - max) @ exp(transitions - colmax)``), which makes it a BLAS call
rather than an ``[L, L]`` exponential per token.

The building blocks other stages reuse (the slot tagger's marginals, entity confidences and
calibration) are public too: :func:`as_lattice` validates a lattice and writes its constraints
into the scores, :func:`group_by_length` groups sentences that stack into one array, and
:func:`forward`, :func:`backward` and :func:`log_partition` run on such a stack.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .errors import ParameterError
from .tags import iob2_parts

__all__ = [
    "Allowed",
    "Scored",
    "as_lattice",
    "backward",
    "beam_search",
    "beam_search_batch",
    "beam_search_steps",
    "forward",
    "forward_backward",
    "group_by_length",
    "iob_constraints",
    "log_partition",
    "nbest_batch",
    "sequence_score",
    "viterbi",
    "viterbi_batch",
]

Scored = tuple[list[int], float]
"""A label sequence (label ids) and its log-probability (or raw score)."""


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


def beam_search_steps(
    step: Callable[[np.ndarray, Any], tuple[np.ndarray, Any]],
    state: Any,
    *,
    start: int,
    end: int,
    beam: int,
    nbest: int,
    max_len: int,
) -> list[Scored]:
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


# ---------------------------------------------------------------------------------------------
# Linear-chain lattices
# ---------------------------------------------------------------------------------------------

# Sentences decoded together in one array; bounds the [N, L, L] temporaries of Viterbi and the
# [N, beam * L] ones of beam search.
_CHUNK = 128
_BEAM_CHUNK = 1024


class Allowed(NamedTuple):
    """Which label transitions, first labels and last labels a lattice search may use.

    Attributes
    ----------
    transitions : np.ndarray [shape=(L, L), dtype=bool]
        ``transitions[i, j]``: label ``j`` may follow label ``i``.
    start : np.ndarray [shape=(L,), dtype=bool]
        Labels a sequence may begin with.
    end : np.ndarray [shape=(L,), dtype=bool]
        Labels a sequence may end with.
    """

    transitions: np.ndarray
    start: np.ndarray
    end: np.ndarray


def iob_constraints(labels: Sequence[str]) -> Allowed:
    """IOB2 constraints from label names: ``I-x`` only right after ``B-x`` or ``I-x``.

    Parameters
    ----------
    labels : sequence of str
        Label names, each ``O``, ``B-<type>`` or ``I-<type>``, in the order of the score columns.

    Returns
    -------
    Allowed
        Transitions, first and last labels allowed under IOB2 (a sequence cannot begin with
        ``I-x``; any label may end one).

    Raises
    ------
    ParameterError
        If a label has another prefix (the message names it).

    Examples
    --------
    >>> allowed = iob_constraints(["O", "B-city", "I-city"])
    >>> allowed.transitions.astype(int)
    array([[1, 1, 0],
           [1, 1, 1],
           [1, 1, 1]])
    >>> allowed.start.astype(int)
    array([1, 1, 0])
    """
    kinds, types = iob2_parts(labels)
    n = len(kinds)
    kinds = np.array(kinds)
    types = np.array(types, dtype=object)
    inside = kinds == "I"
    transitions = np.ones((n, n), dtype=bool)
    # I-x may follow only a label of the same type that is not O.
    same_type = types[:, None] == types[None, :]
    transitions[:, inside] = (same_type & (kinds != "O")[:, None])[:, inside]
    return Allowed(transitions, ~inside, np.ones(n, dtype=bool))


def as_lattice(
    emissions: ArrayLike | Sequence[ArrayLike],
    transitions: ArrayLike | None = None,
    *,
    allowed: Allowed | ArrayLike | None = None,
    start: ArrayLike | None = None,
    end: ArrayLike | None = None,
    batch: bool = False,
) -> tuple[np.ndarray | list[np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """Validate a lattice and return it ready to search: the constraints written into the scores.

    The searches below (:func:`forward`, :func:`backward`, :func:`log_partition`) take what this
    returns; every public search calls it first.

    Parameters
    ----------
    emissions : np.ndarray [shape=(T, L)], or with ``batch`` a sequence of them
        Per-token label scores (with ``batch``, one matrix per sentence, lengths may differ).
    transitions, allowed, start, end
        As in :func:`viterbi`.
    batch : bool
        ``emissions`` is a sequence of matrices sharing ``L``.

    Returns
    -------
    emissions : np.ndarray [shape=(T, L)], or with ``batch`` a list of them
        float64 copies of the emissions.
    transitions : np.ndarray [shape=(L, L)]
    start, end : np.ndarray [shape=(L,)]
        Scores (zeros where not given) with ``-inf`` where ``allowed`` forbids.

    Raises
    ------
    ParameterError
        If the shapes do not agree.

    Examples
    --------
    >>> em, trans, start, end = as_lattice(np.zeros((2, 2)), allowed=iob_constraints(["O", "I-x"]))
    >>> start
    array([  0., -inf])
    """
    if batch:
        ems = [np.asarray(e, dtype=np.float64) for e in emissions]
        shapes = {e.shape[1] if e.ndim == 2 else None for e in ems}
        if any(e.ndim != 2 for e in ems):
            bad = next(i for i, e in enumerate(ems) if e.ndim != 2)
            raise ParameterError(
                f"emissions[{bad}] has shape {ems[bad].shape}; expected [T, L] (tokens, labels)"
            )
        if len(shapes) > 1:
            raise ParameterError(
                f"emissions have different label counts {sorted(shapes)}; all must share L"
            )
        if shapes:
            n_labels = shapes.pop()
        else:  # no sentences: take L from whatever else says it
            given = next((np.shape(a) for a in (transitions, start, end) if a is not None), (0,))
            n_labels = given[0]
    else:
        ems = np.asarray(emissions, dtype=np.float64)
        if ems.ndim != 2:
            raise ParameterError(
                f"emissions has shape {ems.shape}; expected [T, L] (tokens, labels)"
            )
        n_labels = ems.shape[1]

    def vector(value, name, shape):
        if value is None:
            return np.zeros(shape)
        value = np.asarray(value, dtype=np.float64)
        if value.shape != shape:
            raise ParameterError(
                f"{name} has shape {value.shape}; expected {shape} for {n_labels} labels"
            )
        return value.copy()

    trans = vector(transitions, "transitions", (n_labels, n_labels))
    start = vector(start, "start", (n_labels,))
    end = vector(end, "end", (n_labels,))
    if allowed is not None:
        if isinstance(allowed, Allowed):
            mask_t, mask_s, mask_e = allowed
        else:
            mask_t, mask_s, mask_e = allowed, None, None
        mask_t = np.asarray(mask_t, dtype=bool)
        if mask_t.shape != (n_labels, n_labels):
            raise ParameterError(
                f"allowed transitions have shape {mask_t.shape}; expected "
                f"({n_labels}, {n_labels}): build them from the same label list"
            )
        trans[~mask_t] = -np.inf
        if mask_s is not None:
            start[~np.asarray(mask_s, dtype=bool)] = -np.inf
        if mask_e is not None:
            end[~np.asarray(mask_e, dtype=bool)] = -np.inf
    return ems, trans, start, end


def group_by_length(lengths: Sequence[int], chunk: int | None = None) -> Iterator[np.ndarray]:
    """Indices of sentences grouped by length, so that each group stacks into one array.

    Parameters
    ----------
    lengths : sequence of int
        Each sentence's length.
    chunk : int, optional
        Most sentences in a group (default 128: it bounds the ``[N, L, L]`` temporaries).

    Yields
    ------
    np.ndarray [dtype=int]
        Indices of sentences of one length, shortest lengths first, in input order within one.

    Examples
    --------
    >>> [g.tolist() for g in group_by_length([3, 1, 3, 2])]
    [[1], [3], [0, 2]]
    """
    chunk = chunk or _CHUNK
    order = np.argsort(lengths, kind="stable")
    sorted_len = np.asarray(lengths)[order]
    bounds = np.flatnonzero(np.diff(sorted_len)) + 1
    for group in np.split(order, bounds):
        for i in range(0, len(group), chunk):
            yield group[i : i + chunk]


def _log_matmul(log_a, exp_b, shift_b):
    """``logsumexp(log_a[:, :, None] + B[None], axis=1)`` given ``exp(B - shift_b)``.

    ``log_a`` is ``[N, L]``; ``exp_b`` is ``exp(B - shift_b[None, :])`` with ``shift_b`` the
    column maxima of ``B``.
    """
    m = log_a.max(axis=1, keepdims=True)
    m[~np.isfinite(m)] = 0.0
    with np.errstate(divide="ignore"):
        return np.log(np.exp(log_a - m) @ exp_b) + m + shift_b


def _exp_shifted(trans):
    """Column-shifted exponentials of transitions for :func:`_log_matmul`."""
    shift = trans.max(axis=0)
    shift[~np.isfinite(shift)] = 0.0
    return np.exp(trans - shift), shift


def forward(
    em: np.ndarray, trans: np.ndarray, start: np.ndarray, end: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Log forward variables and log partition functions of sentences of one length.

    Parameters
    ----------
    em : np.ndarray [shape=(N, T, L)]
        Emissions of ``N`` sentences of ``T >= 1`` tokens (stacked, as :func:`group_by_length`
        groups them).
    trans, start, end : np.ndarray
        A lattice's scores as :func:`as_lattice` returns them (constraints as ``-inf``).

    Returns
    -------
    log_alpha : np.ndarray [shape=(N, T, L)]
        As in :func:`forward_backward`, per sentence.
    log_z : np.ndarray [shape=(N,)]

    Examples
    --------
    >>> em, trans, start, end = as_lattice(np.log([[0.6, 0.4], [0.5, 0.5]]))
    >>> alpha, log_z = forward(em[None], trans, start, end)
    >>> np.exp(log_z).round(3)
    array([1.])
    """
    n, t_len, _ = em.shape
    exp_t, shift = _exp_shifted(trans)
    alpha = np.empty_like(em)
    alpha[:, 0] = start + em[:, 0]
    for t in range(1, t_len):
        alpha[:, t] = _log_matmul(alpha[:, t - 1], exp_t, shift) + em[:, t]
    last = alpha[:, -1] + end
    m = last.max(axis=1)
    m[~np.isfinite(m)] = 0.0
    with np.errstate(divide="ignore"):
        log_z = np.log(np.exp(last - m[:, None]).sum(axis=1)) + m
    return alpha, log_z


def backward(em: np.ndarray, trans: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Log backward variables of sentences of one length: the scores of every suffix.

    Parameters
    ----------
    em, trans, end
        As in :func:`forward`.

    Returns
    -------
    log_beta : np.ndarray [shape=(N, T, L)]
        As in :func:`forward_backward`, per sentence.

    Examples
    --------
    >>> em, trans, start, end = as_lattice(np.log([[0.6, 0.4], [0.5, 0.5]]))
    >>> np.exp(backward(em[None], trans, end))[0].round(3)
    array([[1., 1.],
           [1., 1.]])
    """
    n, t_len, _ = em.shape
    exp_t, shift = _exp_shifted(trans.T)
    beta = np.empty_like(em)
    beta[:, -1] = end
    for t in range(t_len - 2, -1, -1):
        beta[:, t] = _log_matmul(em[:, t + 1] + beta[:, t + 1], exp_t, shift)
    return beta


def log_partition(
    em: np.ndarray, trans: np.ndarray, start: np.ndarray, end: np.ndarray
) -> np.ndarray:
    """Log partition functions of sentences of one length, without keeping the forward variables.

    Parameters
    ----------
    em, trans, start, end
        As in :func:`forward`.

    Returns
    -------
    log_z : np.ndarray [shape=(N,)]

    Examples
    --------
    >>> em, trans, start, end = as_lattice(np.log([[0.6, 0.4], [0.5, 0.5]]))
    >>> log_partition(em[None], trans, start, end).round(6)
    array([0.])
    """
    exp_t, shift = _exp_shifted(trans)
    alpha = start + em[:, 0]
    for t in range(1, em.shape[1]):
        alpha = _log_matmul(alpha, exp_t, shift) + em[:, t]
    last = alpha + end
    m = last.max(axis=1)
    m[~np.isfinite(m)] = 0.0
    with np.errstate(divide="ignore"):
        return np.log(np.exp(last - m[:, None]).sum(axis=1)) + m


def _viterbi_group(em, trans, start, end):
    n, t_len, n_labels = em.shape
    back = np.empty((t_len, n, n_labels), dtype=np.intp)
    trans_t = np.ascontiguousarray(trans.T)  # reduce over the last, contiguous axis
    rows = np.arange(n)[:, None]
    cols = np.arange(n_labels)[None, :]
    delta = start + em[:, 0]
    for t in range(1, t_len):
        cand = delta[:, None, :] + trans_t  # [N, to, from]
        best = cand.argmax(axis=2)
        back[t] = best
        delta = cand[rows, cols, best] + em[:, t]
    final = delta + end
    last = final.argmax(axis=1)
    scores = final[np.arange(n), last]
    paths = np.empty((n, t_len), dtype=np.intp)
    paths[:, -1] = last
    for t in range(t_len - 1, 0, -1):
        last = back[t][np.arange(n), last]
        paths[:, t - 1] = last
    return paths, scores


def _top(flat, k):
    """The ``k`` largest entries of each row of ``flat``, best first: ``(columns, values)``.

    Ties go to the lower column. Where a row has fewer than ``k`` finite entries the surplus
    values are ``-inf`` (their columns are then meaningless).
    """
    n_rows, n_cols = flat.shape
    if k <= 16 and k < n_cols:
        # k passes of argmax beat argpartition + argsort several times over for small beams.
        work = flat.copy()
        rows = np.arange(n_rows)
        idx = np.empty((n_rows, k), dtype=np.intp)
        vals = np.empty((n_rows, k))
        for i in range(k):
            best = work.argmax(axis=1)
            idx[:, i] = best
            vals[:, i] = work[rows, best]
            work[rows, best] = -np.inf
        return idx, vals
    if k >= n_cols:
        idx = np.argsort(-flat, axis=1, kind="stable")
    else:
        idx = np.argpartition(-flat, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(flat, idx, axis=1), axis=1, kind="stable")
        idx = np.take_along_axis(idx, order, axis=1)
    return idx, np.take_along_axis(flat, idx, axis=1)


def _beam_group(em, trans, start, end, beam, nbest):
    n, t_len, n_labels = em.shape
    rows = np.arange(n)[:, None]
    first = start + em[:, 0]
    labels, scores = _top(first, beam)  # [N, K]
    history = [(None, labels)]
    for t in range(1, t_len):
        k = labels.shape[1]
        cand = scores[:, :, None] + trans[labels] + em[:, t, None, :]  # [N, K, L]
        flat = cand.reshape(n, k * n_labels)
        idx, scores = _top(flat, beam)
        back, labels = np.divmod(idx, n_labels)
        history.append((back, labels))
    final = scores + end[labels]
    order, final = _top(final, nbest)
    paths = np.empty((n, order.shape[1], t_len), dtype=np.intp)
    pos = order
    for t in range(t_len - 1, -1, -1):
        back, labs = history[t]
        paths[:, :, t] = labs[rows, pos]
        if back is not None:
            pos = back[rows, pos]
    return paths, final


def viterbi_batch(
    emissions: Sequence[ArrayLike],
    transitions: ArrayLike | None = None,
    *,
    allowed: Allowed | ArrayLike | None = None,
    start: ArrayLike | None = None,
    end: ArrayLike | None = None,
    normalize: bool = True,
) -> list[Scored]:
    """The best label sequence of each of several lattices; see :func:`viterbi`.

    Parameters
    ----------
    emissions : sequence of np.ndarray [shape=(T_i, L)]
        One score matrix per sentence; lengths may differ, ``L`` may not.
    transitions, allowed, start, end, normalize
        As in :func:`viterbi`, shared by every sentence.

    Returns
    -------
    list of (list of int, float)
        ``(labels, logprob)`` per sentence, in input order.

    Examples
    --------
    >>> em = [np.log([[0.9, 0.1], [0.2, 0.8]]), np.log([[0.3, 0.7]])]
    >>> [labels for labels, _ in viterbi_batch(em)]
    [[0, 1], [1]]
    """
    ems, trans, start_s, end_s = as_lattice(
        emissions, transitions, allowed=allowed, start=start, end=end, batch=True
    )
    lengths = [len(e) for e in ems]
    out = [None] * len(ems)
    for group in group_by_length(lengths):
        if lengths[group[0]] == 0:
            for i in group:
                out[i] = ([], 0.0)
            continue
        em = np.stack([ems[i] for i in group])
        paths, scores = _viterbi_group(em, trans, start_s, end_s)
        if normalize:
            scores = scores - log_partition(em, trans, start_s, end_s)
        for row, i in enumerate(group):
            out[i] = (paths[row].tolist(), float(scores[row]))
    return out


def viterbi(
    emissions: ArrayLike,
    transitions: ArrayLike | None = None,
    *,
    allowed: Allowed | ArrayLike | None = None,
    start: ArrayLike | None = None,
    end: ArrayLike | None = None,
    normalize: bool = True,
) -> Scored:
    """The best label sequence of a lattice (exact, by dynamic programming).

    Parameters
    ----------
    emissions : np.ndarray [shape=(T, L)]
        Per-token label scores (log-potentials, e.g. a CRF's state scores or log-softmax outputs).
    transitions : np.ndarray [shape=(L, L)] or None
        ``transitions[i, j]`` scores label ``j`` right after label ``i``; None for zeros.
    allowed : Allowed, np.ndarray [shape=(L, L), dtype=bool], or None
        Constraints, e.g. ``iob_constraints(labels)``; a bare matrix constrains transitions only.
    start, end : np.ndarray [shape=(L,)] or None
        Scores of the first and of the last label; None for zeros.
    normalize : bool
        Return the log-probability (score minus the log partition function over the allowed
        sequences) rather than the raw score.

    Returns
    -------
    labels : list of int
        The best sequence (empty for ``T = 0``).
    logprob : float
        Its log-probability (or raw score); ``-inf`` if no sequence is allowed.

    Raises
    ------
    ParameterError
        If the shapes do not agree.

    Examples
    --------
    >>> em = np.log([[0.6, 0.3, 0.1], [0.1, 0.2, 0.7]])
    >>> labels, logprob = viterbi(em, allowed=iob_constraints(["O", "B-city", "I-city"]))
    >>> labels
    [1, 2]
    """
    ems, *_ = as_lattice(emissions, transitions, allowed=allowed, start=start, end=end, batch=False)
    return viterbi_batch(
        [ems], transitions, allowed=allowed, start=start, end=end, normalize=normalize
    )[0]


def beam_search_batch(
    emissions: Sequence[ArrayLike],
    transitions: ArrayLike | None = None,
    *,
    beam: int,
    nbest: int,
    allowed: Allowed | ArrayLike | None = None,
    start: ArrayLike | None = None,
    end: ArrayLike | None = None,
    normalize: bool = True,
) -> list[list[Scored]]:
    """N best label sequences of each of several lattices; see :func:`beam_search`.

    Sentences of equal length are searched together, so this is much faster than calling
    :func:`beam_search` in a loop.

    Returns
    -------
    list of list of (list of int, float)
        Per sentence, ``(labels, logprob)`` pairs best first.

    Examples
    --------
    >>> em = [np.log([[0.9, 0.1], [0.2, 0.8]]), np.log([[0.3, 0.7]])]
    >>> [[labels for labels, _ in nb] for nb in beam_search_batch(em, beam=4, nbest=2)]
    [[[0, 1], [0, 0]], [[1], [0]]]
    """
    _check_beam(beam, nbest)
    ems, trans, start_s, end_s = as_lattice(
        emissions, transitions, allowed=allowed, start=start, end=end, batch=True
    )
    lengths = [len(e) for e in ems]
    out = [None] * len(ems)
    for group in group_by_length(lengths, _BEAM_CHUNK):
        if lengths[group[0]] == 0:
            for i in group:
                out[i] = [([], 0.0)]
            continue
        em = np.stack([ems[i] for i in group])
        paths, scores = _beam_group(em, trans, start_s, end_s, beam, nbest)
        if normalize:
            scores = scores - log_partition(em, trans, start_s, end_s)[:, None]
        finite = np.isfinite(scores)
        for i, p, s, f in zip(group, paths.tolist(), scores.tolist(), finite, strict=True):
            out[i] = [(p[j], s[j]) for j in range(len(p)) if f[j]]
    return out


def beam_search(
    emissions: ArrayLike,
    transitions: ArrayLike | None = None,
    *,
    beam: int,
    nbest: int,
    allowed: Allowed | ArrayLike | None = None,
    start: ArrayLike | None = None,
    end: ArrayLike | None = None,
    normalize: bool = True,
) -> list[Scored]:
    """N best label sequences of a lattice by beam search.

    Left to right, every kept hypothesis is extended by every label and the ``beam`` best
    extensions are kept; at the end the ``nbest`` best complete sequences are returned. With a
    beam as wide as the number of allowed sequences the result is the exact N-best; the best
    sequence never scores above :func:`viterbi`'s.

    Parameters
    ----------
    emissions : np.ndarray [shape=(T, L)]
        Per-token label scores.
    transitions : np.ndarray [shape=(L, L)] or None
        ``transitions[i, j]`` scores label ``j`` right after label ``i``; None for zeros.
    beam : int
        Hypotheses kept at each token.
    nbest : int
        Sequences returned, at most ``beam``.
    allowed : Allowed, np.ndarray [shape=(L, L), dtype=bool], or None
        Constraints, e.g. ``iob_constraints(labels)``; no returned sequence breaks them.
    start, end : np.ndarray [shape=(L,)] or None
        Scores of the first and of the last label; None for zeros.
    normalize : bool
        Return log-probabilities (normalised by the partition function over the allowed
        sequences) rather than raw scores.

    Returns
    -------
    list of (list of int, float)
        ``(labels, logprob)`` pairs, best first; fewer than ``nbest`` if fewer sequences are
        allowed.

    Raises
    ------
    ParameterError
        If ``beam`` or ``nbest`` is not a positive whole number, ``nbest > beam``, or the shapes
        do not agree.

    Examples
    --------
    >>> em = np.log([[0.6, 0.3, 0.1], [0.1, 0.2, 0.7]])
    >>> for labels, logprob in beam_search(em, beam=8, nbest=2,
    ...                                    allowed=iob_constraints(["O", "B-city", "I-city"])):
    ...     print(labels, round(float(np.exp(logprob)), 3))
    [1, 2] 0.437
    [0, 1] 0.25
    """
    ems, *_ = as_lattice(emissions, transitions, allowed=allowed, start=start, end=end, batch=False)
    return beam_search_batch(
        [ems],
        transitions,
        beam=beam,
        nbest=nbest,
        allowed=allowed,
        start=start,
        end=end,
        normalize=normalize,
    )[0]


def nbest_batch(
    emissions: Sequence[ArrayLike],
    transitions: ArrayLike | None = None,
    *,
    nbest: int,
    beam: int,
    allowed: Allowed | ArrayLike | None = None,
    start: ArrayLike | None = None,
    end: ArrayLike | None = None,
) -> list[list[Scored]]:
    """The ``nbest`` best sequences of each lattice: exact Viterbi for one, beam search for more.

    Parameters
    ----------
    emissions, transitions, allowed, start, end
        As in :func:`viterbi_batch`.
    nbest : int
        Sequences per lattice.
    beam : int
        Beam width when ``nbest > 1``, at least ``nbest``.

    Returns
    -------
    list of list of (list of int, float)
        Per lattice, ``(labels, logprob)`` pairs best first; log-probabilities are normalised
        over the allowed sequences.

    Examples
    --------
    >>> em = [np.log([[0.9, 0.1], [0.2, 0.8]])]
    >>> [labels for labels, _ in nbest_batch(em, nbest=1, beam=8)[0]]
    [[0, 1]]
    """
    _check_beam(beam, nbest)
    kw = dict(allowed=allowed, start=start, end=end)
    if nbest == 1:
        return [[best] for best in viterbi_batch(emissions, transitions, **kw)]
    return beam_search_batch(emissions, transitions, beam=beam, nbest=nbest, **kw)


def forward_backward(
    emissions: ArrayLike,
    transitions: ArrayLike | None = None,
    *,
    allowed: Allowed | ArrayLike | None = None,
    start: ArrayLike | None = None,
    end: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Log forward and backward variables and the log partition function of a lattice.

    Parameters
    ----------
    emissions, transitions, allowed, start, end
        As in :func:`viterbi`.

    Returns
    -------
    log_alpha : np.ndarray [shape=(T, L)]
        ``log_alpha[t, j]``: log of the summed scores of every allowed prefix ending with label
        ``j`` at token ``t`` (its emission included).
    log_beta : np.ndarray [shape=(T, L)]
        ``log_beta[t, j]``: log of the summed scores of every allowed suffix after label ``j`` at
        token ``t`` (the end score included).
    log_z : float
        Log partition function over the allowed sequences.

    Notes
    -----
    The marginal of label ``j`` at token ``t`` is ``exp(log_alpha[t, j] + log_beta[t, j] -
    log_z)``.

    Examples
    --------
    >>> em = np.log([[0.6, 0.4], [0.5, 0.5]])
    >>> a, b, z = forward_backward(em)
    >>> np.exp(a + b - z).round(2)
    array([[0.6, 0.4],
           [0.5, 0.5]])
    """
    em, trans, start_s, end_s = as_lattice(
        emissions, transitions, allowed=allowed, start=start, end=end, batch=False
    )
    if len(em) == 0:
        return em.copy(), em.copy(), 0.0
    alpha, log_z = forward(em[None], trans, start_s, end_s)
    beta = backward(em[None], trans, end_s)
    return alpha[0], beta[0], float(log_z[0])


def sequence_score(
    labels: Sequence[int],
    emissions: ArrayLike,
    transitions: ArrayLike | None = None,
    *,
    allowed: Allowed | ArrayLike | None = None,
    start: ArrayLike | None = None,
    end: ArrayLike | None = None,
) -> np.float64:
    """The raw score of one label sequence (``-inf`` if it breaks the constraints).

    Examples
    --------
    >>> sequence_score([0, 1], np.log([[0.6, 0.4], [0.5, 0.5]])).round(3)
    np.float64(-1.204)
    """
    em, trans, start_s, end_s = as_lattice(
        emissions, transitions, allowed=allowed, start=start, end=end, batch=False
    )
    labels = np.asarray(labels, dtype=np.intp)
    if len(labels) != len(em):
        raise ParameterError(f"{len(labels)} labels for {len(em)} tokens")
    if len(labels) == 0:
        return np.float64(0.0)
    score = start_s[labels[0]] + em[np.arange(len(em)), labels].sum()
    score += trans[labels[:-1], labels[1:]].sum() + end_s[labels[-1]]
    return np.float64(score)
