"""numba kernels of the slot tagger's 1-best path (imported lazily: numba is heavy to import).

:func:`viterbi_flat` runs Viterbi over every sentence of a batch in one compiled call, on the
emissions stacked token by token, so that :meth:`SlotTagger.predict` pays neither numpy's
per-token array overhead nor the grouping by length of :func:`speechtext.decode.viterbi_batch`
(about 8x faster on SNIPS test, ``bench/tagging.py``). It makes the same sums in the same
order and breaks ties the same way (the lowest label id), so it gives the same paths.

Compiled on first use and cached on disk (``cache=True``), so later processes load it at once.
"""

import numba
import numpy as np

__all__ = ["viterbi_flat"]


@numba.njit(cache=True, nogil=True)
def viterbi_flat(em, offsets, trans, start, end, paths):
    """Best paths of the sentences ``em[offsets[i]:offsets[i + 1]]`` into ``paths`` (same rows).

    ``trans``, ``start`` and ``end`` hold ``-inf`` where a label or transition is forbidden.
    Returns each sentence's raw best score (``-inf``: no allowed path; its labels are then 0).
    """
    n_labels = em.shape[1]
    n = len(offsets) - 1
    scores = np.empty(n)
    longest = 1
    for i in range(n):
        longest = max(longest, offsets[i + 1] - offsets[i])
    # Labels most labels may precede (IOB2's O and B-x) are maximised over every label, the
    # predecessor in the outer loop so that the inner one runs over contiguous columns (SIMD);
    # the others (I-x: after B-x or I-x only) over the few labels allowed before them.
    n_before = np.zeros(n_labels, dtype=np.int64)
    before = np.empty((n_labels, n_labels), dtype=np.int64)
    for j in range(n_labels):
        for k in range(n_labels):
            if trans[k, j] > -np.inf:
                before[j, n_before[j]] = k
                n_before[j] += 1
    dense = np.flatnonzero(n_before > n_labels // 2)
    sparse = np.flatnonzero(n_before <= n_labels // 2)
    trans_dense = np.empty((n_labels, len(dense)))
    for k in range(n_labels):
        for m in range(len(dense)):
            trans_dense[k, m] = trans[k, dense[m]]
    best = np.empty(len(dense))
    arg = np.empty(len(dense), dtype=np.int64)
    delta = np.empty((2, n_labels))
    back = np.empty((longest, n_labels), dtype=np.int64)
    for i in range(n):
        a, b = offsets[i], offsets[i + 1]
        if a == b:
            scores[i] = 0.0
            continue
        for j in range(n_labels):
            delta[0, j] = start[j] + em[a, j]
        cur = 0
        for t in range(1, b - a):
            prev, cur = cur, 1 - cur
            best[:] = -np.inf
            arg[:] = 0
            for k in range(n_labels):
                dk = delta[prev, k]
                row = trans_dense[k]
                for m in range(len(dense)):
                    v = dk + row[m]
                    if v > best[m]:
                        best[m] = v
                        arg[m] = k
            for m in range(len(dense)):
                j = dense[m]
                back[t, j] = arg[m]
                delta[cur, j] = best[m] + em[a + t, j]
            for j in sparse:
                top = -np.inf
                top_k = 0
                for q in range(n_before[j]):
                    k = before[j, q]
                    v = delta[prev, k] + trans[k, j]
                    if v > top:
                        top = v
                        top_k = k
                back[t, j] = top_k
                delta[cur, j] = top + em[a + t, j]
        top = -np.inf
        last = 0
        for j in range(n_labels):
            v = delta[cur, j] + end[j]
            if v > top:
                top = v
                last = j
        scores[i] = top
        paths[b - 1] = last
        for t in range(b - a - 1, 0, -1):
            last = back[t, last]
            paths[a + t - 1] = last
    return scores
