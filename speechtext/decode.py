"""Viterbi, the exact N-best, beam search and the forward algorithm, shared by tagging and G2P.

Two kinds of search live here:

``beam_search_steps``
    Generic autoregressive beam search: a ``step`` function gives the log-probabilities of the
    next label for a batch of hypotheses (a G2P decoder, a language model ...). Its search space
    grows with every label produced and has no dynamic-programming structure, so no exact N-best
    is practical there: G2P's N best are beam search's.
``viterbi``, ``exact_nbest``, ``beam_search`` (and their ``*_batch`` forms), ``forward_backward``
    Searches over a linear-chain lattice, as a CRF or any per-token scorer defines it: a
    ``[T, L]`` matrix of per-token label scores (emissions), ``[L, L]`` transition scores
    (``transitions[i, j]`` scores label ``j`` right after label ``i``), and ``[L]`` start and end
    scores. A sequence ``y`` scores ``start[y0] + sum_t emissions[t, y_t] +
    sum_t transitions[y_{t-1}, y_t] + end[y_last]``.

On a lattice the N best are exact (:func:`exact_nbest`): a Viterbi pass gives the best score of
every prefix, and a backward search over suffixes, each ranked by its score plus the best prefix
that can precede it (an exact completion, the A* heuristic that never errs), keeps the ``N`` best
suffixes at each token. That is enough: a suffix outside the ``N`` best at some token is beaten
by ``N`` complete sequences already. The first entry is Viterbi's path itself, ties broken the same
way, so a 1-best and an N-best of one lattice never disagree. Beam search stays for comparison
and for callers that ask for it; it can miss the best sequence when the beam is narrow.

Constraints (``allowed``, e.g. from :func:`iob_constraints`) remove transitions, first labels
and last labels from the lattice; every search and the partition function respect them, so
returned log-probabilities are normalised over the *allowed* sequences only (the model's
distribution conditioned on well-formed output): the N-best probabilities of one sentence sum to
at most 1, and to exactly 1 when the list holds every allowed sequence. A lattice that allows no
sequence has no best path: :func:`viterbi` returns ``([], -inf)`` and the N-best lists are empty.

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
    "exact_nbest",
    "exact_nbest_batch",
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


def _check_count(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ParameterError(f"{name}={value!r} must be a whole number of at least 1")


def _check_beam(beam, nbest):
    _check_count("beam", beam)
    _check_count("nbest", nbest)
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

    Not exact: each label's scores depend on every label before it (the model's state), so no
    dynamic programme applies and a hypothesis dropped from the beam is gone; a wider beam finds
    more. This is how G2P's model decodes; lattices have :func:`exact_nbest`.

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
        If the shapes do not agree, or a score is not a number, is NaN or is ``+inf`` (``-inf``
        is allowed: an impossible label or transition).

    Examples
    --------
    >>> em, trans, start, end = as_lattice(np.zeros((2, 2)), allowed=iob_constraints(["O", "I-x"]))
    >>> start
    array([  0., -inf])
    """
    if batch:
        ems = [_scores(e, f"emissions[{i}]") for i, e in enumerate(emissions)]
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
        ems = _scores(emissions, "emissions")
        if ems.ndim != 2:
            raise ParameterError(
                f"emissions has shape {ems.shape}; expected [T, L] (tokens, labels)"
            )
        n_labels = ems.shape[1]

    def vector(value, name, shape):
        if value is None:
            return np.zeros(shape)
        value = _scores(value, name)
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


def _scores(value, name):
    """``value`` as a float64 array of scores; ParameterError for non-numbers, NaN or +inf."""
    try:
        arr = np.asarray(value)
    except ValueError as exc:  # ragged nested lists
        raise ParameterError(f"{name} is not an array of numbers ({exc})") from None
    if arr.dtype.kind not in "iuf":
        what = {"U": "strings", "S": "bytes", "O": "Python objects"}.get(
            arr.dtype.kind, f"{arr.dtype} values"
        )
        raise ParameterError(f"{name} holds {what}; give numbers (log-scores)")
    arr = np.asarray(arr, dtype=np.float64)
    if not np.all(arr < np.inf):  # one pass: NaN and +inf both fail
        where = tuple(int(i) for i in np.argwhere(~(arr < np.inf))[0])
        raise ParameterError(
            f"{name} holds {arr[where]} at index {where if arr.ndim != 1 else where[0]}; give "
            "finite scores (-inf for an impossible label)"
        )
    return arr


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


def _columns(trans):
    """Labels split for Viterbi's max over the label before: ``dense`` ones that many labels may
    precede, and ``sparse`` ones (IOB2's ``I-x``: only ``B-x`` and ``I-x``) with the labels that
    may precede each (``before [S, W]``, padded with label 0 at ``-inf``) and their scores."""
    finite = np.isfinite(trans)
    counts = finite.sum(axis=0)
    cut = max(1, len(counts) // 8)
    dense, sparse = np.flatnonzero(counts > cut), np.flatnonzero(counts <= cut)
    width = max(int(counts[sparse].max(initial=0)), 1)
    before = np.zeros((len(sparse), width), dtype=np.intp)
    scores = np.full((len(sparse), width), -np.inf)
    for row, j in enumerate(sparse):
        prev = np.flatnonzero(finite[:, j])  # ascending: ties go to the lowest label, as argmax
        before[row, : len(prev)] = prev
        scores[row, : len(prev)] = trans[prev, j]
    return dense, sparse, before, scores


def _viterbi_forward(em, trans, start):
    """Viterbi's forward pass over sentences of one length.

    Returns ``delta [N, T, L]`` (``delta[n, t, j]``: the best score of a prefix that ends with
    label ``j`` at token ``t``, its emission included) and ``back [T, N, L]`` (the label before
    it on that prefix; ties to the lowest label id). Labels that few labels may precede are
    maximised over those only, the rest over every label: the same sums, fewer of them.
    """
    n, t_len, n_labels = em.shape
    dense, sparse, before, before_scores = _columns(trans)
    delta = np.empty_like(em)
    back = np.empty((t_len, n, n_labels), dtype=np.intp)
    trans_d = np.ascontiguousarray(trans[:, dense].T)  # [to, from]: reduce the contiguous axis
    cand = np.empty((n, len(dense), n_labels))
    rows = np.arange(n)[:, None]
    to_d = np.arange(len(dense))[None, :]
    to_s = np.arange(len(sparse))[None, :]
    delta[:, 0] = start + em[:, 0]
    for t in range(1, t_len):
        prev = delta[:, t - 1]
        np.add(prev[:, None, :], trans_d, out=cand)  # [N, to, from]
        best = cand.argmax(axis=2)
        back[t][:, dense] = best
        delta[:, t, dense] = cand[rows, to_d, best] + em[:, t, dense]
        if len(sparse):
            cand_s = prev[:, before] + before_scores  # [N, to, W]
            pos = cand_s.argmax(axis=2)
            back[t][:, sparse] = before[to_s, pos]
            delta[:, t, sparse] = cand_s[rows, to_s, pos] + em[:, t, sparse]
    return delta, back


def _viterbi_group(em, trans, start, end):
    """Best paths ``[N, T]``, their raw scores ``[N]`` (``-inf``: none allowed) and ``delta``."""
    n, t_len, _ = em.shape
    delta, back = _viterbi_forward(em, trans, start)
    rows = np.arange(n)
    final = delta[:, -1] + end
    last = final.argmax(axis=1)
    scores = final[rows, last]
    paths = np.empty((n, t_len), dtype=np.intp)
    paths[:, -1] = last
    for t in range(t_len - 1, 0, -1):
        last = back[t][rows, last]
        paths[:, t - 1] = last
    return paths, scores, delta


def _exact_group(em, trans, start, end, nbest):
    """The ``nbest`` best paths ``[N, K, T]`` and raw scores ``[N, K]`` of sentences of one
    length, best first, Viterbi's path first; ``-inf`` scores mark missing paths.

    Backward over suffixes: each is ranked by its score plus ``delta``, the best prefix that can
    precede it, so a suffix's rank is that of the best complete sequence holding it. Keeping the
    ``nbest`` best suffixes at each token is then exact: a suffix left out is beaten by ``nbest``
    distinct complete sequences (best prefix + each kept suffix). The cost is one Viterbi pass
    and a beam of ``nbest`` over ``nbest * L`` candidates per token.
    """
    n, t_len, n_labels = em.shape
    best_path, best_score, delta = _viterbi_group(em, trans, start, end)
    rows = np.arange(n)[:, None]
    trans_t = np.ascontiguousarray(trans.T)  # trans_t[j] = scores of every label before j
    labels, bound = _top(delta[:, -1] + end, nbest)  # suffixes of one token: [N, K]
    # Each suffix's score after its first token (end score included); -inf for the surplus
    # entries of _top, whose columns repeat others.
    after = np.where(bound > -np.inf, end[labels], -np.inf)
    history = [(None, labels)]
    for t in range(t_len - 1, 0, -1):
        k = labels.shape[1]
        # Extend each suffix by every label i before it: trans[i, j] + em[t, j] + after.
        ext = trans_t[labels] + (after + em[rows, t, labels])[:, :, None]  # [N, K, L]
        ranked = (ext + delta[:, t - 1, None, :]).reshape(n, k * n_labels)
        idx, bound = _top(ranked, nbest)
        parent, labels = np.divmod(idx, n_labels)
        after = np.take_along_axis(ext.reshape(n, k * n_labels), idx, axis=1)
        after[bound == -np.inf] = -np.inf
        history.append((parent, labels))
    k = labels.shape[1]  # bound: the complete sequences' scores, -inf for _top's surplus
    paths = np.empty((n, k, t_len), dtype=np.intp)
    pos = np.broadcast_to(np.arange(k), (n, k))
    for t, (parent, labs) in enumerate(reversed(history)):
        paths[:, :, t] = labs[rows, pos]
        if parent is not None:
            pos = parent[rows, pos]
    # Scores summed left to right, as Viterbi and beam search sum them: the same sequence gets
    # the same score, to the last digit, from every search here.
    score = start[paths[:, :, 0]] + em[rows, 0, paths[:, :, 0]]
    for t in range(1, t_len):
        score = score + trans[paths[:, :, t - 1], paths[:, :, t]] + em[rows, t, paths[:, :, t]]
    score = np.where(np.isfinite(bound), score + end[paths[:, :, -1]], -np.inf)
    # Viterbi's path first (the 1-best, ties broken as viterbi breaks them), then the others
    # by score. Where a tie let the search find another best path instead, that one stays and
    # the list's last one goes.
    others = ~(paths == best_path[:, None, :]).all(axis=2) & np.isfinite(score)
    order = np.argsort(np.where(others, -score, np.inf), axis=1, kind="stable")[:, : nbest - 1]
    width = 1 + order.shape[1]
    out_paths = np.empty((n, width, t_len), dtype=np.intp)
    out_paths[:, 0] = best_path
    out_paths[:, 1:] = paths[rows, order]
    out_scores = np.empty((n, width))
    out_scores[:, 0] = best_score
    out_scores[:, 1:] = np.where(others[rows, order], score[rows, order], -np.inf)
    return out_paths, out_scores


def _normalised(scores, log_z):
    """``scores - log_z`` row by row, ``-inf`` staying ``-inf`` (no NaN, no warning)."""
    out = np.full(scores.shape, -np.inf)
    log_z = log_z.reshape(-1, *([1] * (scores.ndim - 1)))
    np.subtract(scores, log_z, out=out, where=np.isfinite(scores))
    return out


def _top(flat, k):
    """The ``k`` largest entries of each row of ``flat``, best first: ``(columns, values)``.

    Ties go to the lower column. Where a row has fewer than ``k`` finite entries the surplus
    values are ``-inf`` (their columns are then meaningless). With ``k`` at least the number of
    columns, every column is returned, sorted.
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
        return idx, np.take_along_axis(flat, idx, axis=1)
    # The k-th largest value of each row; every entry above it, and of the entries equal to it
    # the lowest columns, up to k (argpartition alone would split ties arbitrarily).
    kth = -np.partition(-flat, k - 1, axis=1)[:, k - 1 : k]
    above = flat > kth
    tied = flat == kth
    need = k - above.sum(axis=1, keepdims=True)
    take = above | (tied & (np.cumsum(tied, axis=1) <= need))
    idx = np.nonzero(take)[1].reshape(n_rows, k)  # ascending columns within each row
    order = np.argsort(-np.take_along_axis(flat, idx, axis=1), axis=1, kind="stable")
    idx = np.take_along_axis(idx, order, axis=1)
    return idx, np.take_along_axis(flat, idx, axis=1)


def _viable(em, trans, end):
    """``[N, T, L]``: whether label ``j`` at token ``t`` lies on some allowed sequence's suffix,
    i.e. can still reach an allowed last label (beam search drops prefixes that cannot)."""
    n, t_len, n_labels = em.shape
    ok_em = np.isfinite(em)
    ok_end = np.isfinite(end)
    ok_trans = np.isfinite(trans)
    viable = np.empty(em.shape, dtype=bool)
    if ok_em.all() and ok_end.all() and ok_trans.any(axis=1).all():
        viable[:] = True  # the usual case: every label may end, and every label be followed
        return viable
    viable[:, -1] = ok_em[:, -1] & ok_end
    reach = ok_trans.T.astype(np.float64)  # [to, from]
    for t in range(t_len - 2, -1, -1):
        viable[:, t] = ok_em[:, t] & (viable[:, t + 1].astype(np.float64) @ reach > 0)
    return viable


def _beam_group(em, trans, start, end, beam, nbest):
    n, t_len, n_labels = em.shape
    rows = np.arange(n)[:, None]
    viable = _viable(em, trans, end)
    dead = None if viable.all() else np.where(viable, 0.0, -np.inf)  # added: x + 0.0 == x
    first = start + em[:, 0]
    if dead is not None:
        first = first + dead[:, 0]
    labels, scores = _top(first, beam)  # [N, K]
    history = [(None, labels)]
    for t in range(1, t_len):
        k = labels.shape[1]
        cand = scores[:, :, None] + trans[labels] + em[:, t, None, :]  # [N, K, L]
        if dead is not None:
            cand += dead[:, t, None, :]
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


def _viterbi_search(em, trans, start, end):
    """The Viterbi paths of stacked sentences as 1-best lists, for :func:`_search_groups`."""
    paths, scores, _ = _viterbi_group(em, trans, start, end)
    return paths[:, None], scores[:, None]


def _found(group, paths, scores, out):
    """Store each sentence's ``(labels, score)`` pairs with a finite score into ``out``."""
    finite = np.isfinite(scores)
    for i, p, s, f in zip(group, paths.tolist(), scores.tolist(), finite, strict=True):
        out[i] = [(p[j], s[j]) for j in range(len(p)) if f[j]]


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
        ``(labels, logprob)`` per sentence, in input order; ``([], -inf)`` for a lattice that
        allows no sequence.

    Examples
    --------
    >>> em = [np.log([[0.9, 0.1], [0.2, 0.8]]), np.log([[0.3, 0.7]])]
    >>> [labels for labels, _ in viterbi_batch(em)]
    [[0, 1], [1]]
    """
    found = _search_groups(
        _viterbi_search,
        emissions,
        transitions,
        allowed,
        start,
        end,
        normalize=normalize,
        chunk=None,
    )
    return [nbest[0] if nbest else ([], -np.inf) for nbest in found]


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
        The best sequence: empty for ``T = 0``, and empty when no sequence is allowed. Of
        sequences that score the same, the one that at its last token, then going back at each
        token, takes the lowest label id.
    logprob : float
        Its log-probability (or raw score); ``-inf`` if no sequence is allowed.

    Raises
    ------
    ParameterError
        If the shapes do not agree, or a score is NaN, ``+inf`` or not a number.

    Examples
    --------
    >>> em = np.log([[0.6, 0.3, 0.1], [0.1, 0.2, 0.7]])
    >>> labels, logprob = viterbi(em, allowed=iob_constraints(["O", "B-city", "I-city"]))
    >>> labels
    [1, 2]
    >>> viterbi(em, allowed=iob_constraints(["I-a", "I-b", "I-c"]))  # nothing may come first
    ([], -inf)
    """
    ems, *_ = as_lattice(emissions, transitions, allowed=allowed, start=start, end=end, batch=False)
    return viterbi_batch(
        [ems], transitions, allowed=allowed, start=start, end=end, normalize=normalize
    )[0]


def exact_nbest_batch(
    emissions: Sequence[ArrayLike],
    transitions: ArrayLike | None = None,
    *,
    nbest: int,
    allowed: Allowed | ArrayLike | None = None,
    start: ArrayLike | None = None,
    end: ArrayLike | None = None,
    normalize: bool = True,
) -> list[list[Scored]]:
    """The exact N best label sequences of each of several lattices; see :func:`exact_nbest`.

    Sentences of equal length are searched together, so this is much faster than calling
    :func:`exact_nbest` in a loop.

    Returns
    -------
    list of list of (list of int, float)
        Per sentence, ``(labels, logprob)`` pairs best first; the first is
        :func:`viterbi_batch`'s.

    Examples
    --------
    >>> em = [np.log([[0.9, 0.1], [0.2, 0.8]]), np.log([[0.3, 0.7]])]
    >>> [[labels for labels, _ in nb] for nb in exact_nbest_batch(em, nbest=2)]
    [[[0, 1], [0, 0]], [[1], [0]]]
    """
    _check_count("nbest", nbest)

    def search(em, trans, start_s, end_s):
        if nbest == 1:
            return _viterbi_search(em, trans, start_s, end_s)
        return _exact_group(em, trans, start_s, end_s, nbest)

    return _search_groups(
        search, emissions, transitions, allowed, start, end, normalize=normalize, chunk=None
    )


def _search_groups(search, emissions, transitions, allowed, start, end, *, normalize, chunk):
    """Run ``search(em, trans, start, end) -> (paths, scores)`` over the sentences stacked by
    length (``chunk`` at most per stack); the N-best lists per sentence, in input order."""
    ems, trans, start_s, end_s = as_lattice(
        emissions, transitions, allowed=allowed, start=start, end=end, batch=True
    )
    lengths = [len(e) for e in ems]
    out = [None] * len(ems)
    for group in group_by_length(lengths, chunk):
        if lengths[group[0]] == 0:
            for i in group:
                out[i] = [([], 0.0)]
            continue
        em = np.stack([ems[i] for i in group])
        paths, scores = search(em, trans, start_s, end_s)
        if normalize:
            scores = _normalised(scores, log_partition(em, trans, start_s, end_s))
        _found(group, paths, scores, out)
    return out


def exact_nbest(
    emissions: ArrayLike,
    transitions: ArrayLike | None = None,
    *,
    nbest: int,
    allowed: Allowed | ArrayLike | None = None,
    start: ArrayLike | None = None,
    end: ArrayLike | None = None,
    normalize: bool = True,
) -> list[Scored]:
    """The ``nbest`` best label sequences of a lattice, exactly.

    A Viterbi pass, then a backward search over suffixes ranked by the best complete sequence
    holding them (the module docstring says why keeping ``nbest`` of them per token is exact);
    the cost is about one Viterbi pass plus a beam search of width ``nbest``. The first sequence
    is :func:`viterbi`'s, the same one even among ties.

    Parameters
    ----------
    emissions : np.ndarray [shape=(T, L)]
        Per-token label scores.
    transitions : np.ndarray [shape=(L, L)] or None
        ``transitions[i, j]`` scores label ``j`` right after label ``i``; None for zeros.
    nbest : int
        Sequences returned.
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
        allowed (none if none is).

    Raises
    ------
    ParameterError
        If ``nbest`` is not a positive whole number, or the lattice is malformed (as in
        :func:`as_lattice`).

    Examples
    --------
    >>> em = np.log([[0.6, 0.3, 0.1], [0.1, 0.2, 0.7]])
    >>> for labels, logprob in exact_nbest(em, nbest=3,
    ...                                    allowed=iob_constraints(["O", "B-city", "I-city"])):
    ...     print(labels, round(float(np.exp(logprob)), 3))
    [1, 2] 0.437
    [0, 1] 0.25
    [1, 1] 0.125
    """
    ems, *_ = as_lattice(emissions, transitions, allowed=allowed, start=start, end=end, batch=False)
    return exact_nbest_batch(
        [ems],
        transitions,
        nbest=nbest,
        allowed=allowed,
        start=start,
        end=end,
        normalize=normalize,
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
    """N best label sequences of each of several lattices by beam search; see :func:`beam_search`.

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

    def search(em, trans, start_s, end_s):
        return _beam_group(em, trans, start_s, end_s, beam, nbest)

    return _search_groups(
        search, emissions, transitions, allowed, start, end, normalize=normalize, chunk=_BEAM_CHUNK
    )


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
    """N best label sequences of a lattice by beam search (:func:`exact_nbest` is exact).

    Left to right, every kept prefix is extended by every label and the ``beam`` best
    extensions are kept; at the end the ``nbest`` best complete sequences are returned. Prefixes
    that can no longer end in an allowed sequence (a last label or a later token the
    constraints or ``-inf`` scores rule out) are dropped as they appear, so they never take a
    place in the beam: with a beam at least as wide as the number of allowed sequences the
    result is therefore the exact N-best. A narrower beam can miss the best sequence; it never
    scores above :func:`viterbi`'s.

    Parameters
    ----------
    emissions : np.ndarray [shape=(T, L)]
        Per-token label scores.
    transitions : np.ndarray [shape=(L, L)] or None
        ``transitions[i, j]`` scores label ``j`` right after label ``i``; None for zeros.
    beam : int
        Prefixes kept at each token.
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
        If ``beam`` or ``nbest`` is not a positive whole number, ``nbest > beam``, or the
        lattice is malformed (as in :func:`as_lattice`).

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
    beam: int | None = None,
    allowed: Allowed | ArrayLike | None = None,
    start: ArrayLike | None = None,
    end: ArrayLike | None = None,
) -> list[list[Scored]]:
    """The ``nbest`` best sequences of each lattice: exact, or by beam search if a beam is given.

    Parameters
    ----------
    emissions, transitions, allowed, start, end
        As in :func:`viterbi_batch`.
    nbest : int
        Sequences per lattice.
    beam : int or None
        None (the default): the exact N best (:func:`exact_nbest_batch`). A width: beam search
        (:func:`beam_search_batch`) when ``nbest > 1``, at least ``nbest``; exact Viterbi for
        ``nbest = 1``.

    Returns
    -------
    list of list of (list of int, float)
        Per lattice, ``(labels, logprob)`` pairs best first; log-probabilities are normalised
        over the allowed sequences.

    Examples
    --------
    >>> em = [np.log([[0.9, 0.1], [0.2, 0.8]])]
    >>> [labels for labels, _ in nbest_batch(em, nbest=1)[0]]
    [[0, 1]]
    """
    kw = dict(allowed=allowed, start=start, end=end)
    if beam is None:
        return exact_nbest_batch(emissions, transitions, nbest=nbest, **kw)
    _check_beam(beam, nbest)
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
