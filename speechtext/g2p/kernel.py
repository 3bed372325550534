"""The graphone decoder's kernel, one source run two ways: compiled by numba
(:mod:`speechtext.g2p.decoder`, for batches) and as plain Python over lists and memoryviews
(the first words of a process: importing numba and loading its compiled code takes 1-3 s, this
decodes a word in milliseconds). Arrays are indexed flat (``[q * beam + k]``) and made by
``xp.zeros``/``xp.full`` so that both runs read the same lines.

A beam search over a word's letter positions: a hypothesis is an n-gram state, the phones so far
(their count and a hash) and a log score. From position i it takes every graphone whose letters
are the word's next 1 or 2 letters (and, when a target is given, whose phones are the target's
next ones); hypotheses that meet with the same state and the same phones are one hypothesis
whose probability is the sum of both (a pronunciation's probability is summed over its cuts).
At most ``beam`` hypotheses are kept per position.
"""

from __future__ import annotations

import math

__all__ = ["decode_words"]

try:  # set by speechtext.g2p.decoder before it runs this source: numba.njit and numpy
    jit, xp = _JIT, _XP  # noqa: F821
except NameError:

    def jit(**_):
        return lambda function: function

    class xp:  # noqa: N801 (numpy's names for what the kernel allocates)
        int64, float64 = int, float

        @staticmethod
        def zeros(n, dtype):
            return [dtype(0)] * n

        @staticmethod
        def full(n, value):
            return [value] * n


_UNKNOWN_LETTER = -12.0  # log-penalty of a letter no graphone has (skipped, no phone)
_HASH_MASK = (1 << 62) - 1  # phone hashes kept in 62 bits: the same in both runs


@jit(inline="always")
def _arc(state, token, states, states_f, arcs, arcs_f, root_arc):
    """log p(token | state) with back-off, and the next state.

    A state is 4 numbers at ``4 * state`` (its arcs' range, back-off state, back-off weight),
    an arc 3 at ``3 * arc`` (token, next state, log-probability): a lookup touches a cache
    line or two per state instead of one per array (the decoder waits on memory).
    """
    lp = 0.0
    while True:
        if state == 0:  # the root's arcs indexed by token (most lookups end there)
            a = root_arc[token]
            if a < 0:
                return -math.inf, 0
            return lp + arcs_f[3 * a + 2], arcs[3 * a + 1]
        r = 4 * state
        lo, hi = states[r], states[r + 1]
        end = hi
        while lo < hi:  # binary search of token among the state's arcs
            mid = (lo + hi) // 2
            if arcs[3 * mid] < token:
                lo = mid + 1
            else:
                hi = mid
        if lo < end and arcs[3 * lo] == token:
            return lp + arcs_f[3 * lo + 2], arcs[3 * lo + 1]
        lp += states_f[r + 3]
        state = states[r + 2]


@jit(inline="always")
def _push(
    q,
    cand_state,
    score,
    plen,
    phash,
    prev_pos,
    prev_k,
    tok,
    beam,
    h_n,
    h_state,
    h_score,
    h_best,
    h_plen,
    h_hash,
    h_prev_pos,
    h_prev_k,
    h_tok,
):
    """Insert a hypothesis at position q: merged with an equal one, or into the beam."""
    n = h_n[q]
    base = q * beam
    worst, worst_k = math.inf, -1
    for k in range(base, base + n):
        if h_state[k] == cand_state and h_hash[k] == phash and h_plen[k] == plen:
            old = h_score[k]
            h_score[k] = max(old, score) + math.log1p(math.exp(-abs(old - score)))
            if score > h_best[k]:  # the back-pointer follows the best single cut
                h_best[k] = score
                h_prev_pos[k], h_prev_k[k], h_tok[k] = prev_pos, prev_k, tok
            return
        if h_score[k] < worst:
            worst, worst_k = h_score[k], k
    if n < beam:
        k = base + n
        h_n[q] = n + 1
    elif score > worst:
        k = worst_k
    else:
        return
    h_state[k], h_score[k], h_best[k] = cand_state, score, score
    h_plen[k], h_hash[k] = plen, phash
    h_prev_pos[k], h_prev_k[k], h_tok[k] = prev_pos, prev_k, tok


@jit()
def decode_words(
    letters,
    l_off,
    targets,
    t_off,
    use_target,
    n_letters,
    lc_ptr,
    lc_tok,
    g_p1,
    g_p2,
    states,
    states_f,
    arcs,
    arcs_f,
    root_arc,
    start,
    eos,
    beam,
    prune,
    out_n,
    out_score,
    out_tokens,
):
    """Decode every word; word w's results in the flat outputs at ``w * beam + r``.

    ``out_n[w]`` results, best first: ``out_score[w * beam + r]`` the log joint probability
    (summed over cuts) and ``out_tokens[(w * beam + r) * max_len + j]`` the graphone ids of its
    best cut (-1 padded, -2 for a skipped letter), ``max_len = len(out_tokens) // len(out_score)``.
    With ``use_target``, only cuts whose phones are ``targets[t_off[w]:t_off[w + 1]]``.
    Hypotheses more than ``prune`` below the best at their position are not extended.
    """
    max_len = len(out_tokens) // len(out_score)
    for w in range(len(l_off) - 1):
        lo_w = l_off[w]
        t0 = t_off[w]
        t_len = t_off[w + 1] - t0
        n = l_off[w + 1] - lo_w
        size = (n + 1) * beam
        h_n = xp.zeros(n + 1, xp.int64)
        h_state = xp.zeros(size, xp.int64)
        h_score = xp.zeros(size, xp.float64)
        h_best = xp.zeros(size, xp.float64)
        h_plen = xp.zeros(size, xp.int64)
        h_hash = xp.zeros(size, xp.int64)
        h_prev_pos = xp.zeros(size, xp.int64)
        h_prev_k = xp.zeros(size, xp.int64)
        h_tok = xp.zeros(size, xp.int64)
        h_n[0] = 1
        h_state[0] = start
        for i in range(n):
            li = letters[lo_w + i]
            floor = -math.inf
            for k in range(i * beam, i * beam + h_n[i]):
                floor = max(floor, h_score[k] - prune)
            for k in range(i * beam, i * beam + h_n[i]):
                state, score = h_state[k], h_score[k]
                if score < floor:
                    continue
                plen, phash = h_plen[k], h_hash[k]
                found = False
                for a in range(1, 3):
                    if i + a > n:
                        break
                    l2 = letters[lo_w + i + 1] if a == 2 else 0
                    if li == 0 or (a == 2 and l2 == 0):
                        continue
                    code = li * (n_letters + 1) + l2
                    for c in range(lc_ptr[code], lc_ptr[code + 1]):
                        tok = lc_tok[c]
                        p1, p2 = g_p1[tok], g_p2[tok]
                        b = (1 if p1 > 0 else 0) + (1 if p2 > 0 else 0)
                        if use_target:
                            if plen + b > t_len:
                                continue
                            if b >= 1 and targets[t0 + plen] != p1:
                                continue
                            if b == 2 and targets[t0 + plen + 1] != p2:
                                continue
                        lp, nxt = _arc(state, tok, states, states_f, arcs, arcs_f, root_arc)
                        if lp == -math.inf:
                            continue
                        found = True
                        h = phash
                        if b >= 1:
                            h = (h * 1000003 + p1) & _HASH_MASK
                        if b == 2:
                            h = (h * 1000003 + p2) & _HASH_MASK
                        _push(
                            i + a,
                            nxt,
                            score + lp,
                            plen + b,
                            h,
                            i,
                            k,
                            tok,
                            beam,
                            h_n,
                            h_state,
                            h_score,
                            h_best,
                            h_plen,
                            h_hash,
                            h_prev_pos,
                            h_prev_k,
                            h_tok,
                        )
                alone = li * (n_letters + 1)
                if not found and (li == 0 or lc_ptr[alone] == lc_ptr[alone + 1]):
                    # a letter no graphone has: skipped with a penalty, state unchanged
                    _push(
                        i + 1,
                        state,
                        score + _UNKNOWN_LETTER,
                        plen,
                        phash,
                        i,
                        k,
                        -2,
                        beam,
                        h_n,
                        h_state,
                        h_score,
                        h_best,
                        h_plen,
                        h_hash,
                        h_prev_pos,
                        h_prev_k,
                        h_tok,
                    )
        # end of word: </s>, then hypotheses with the same phones (other states) merged
        m = 0
        fin_score = xp.full(beam, -math.inf)
        fin_k = xp.zeros(beam, xp.int64)
        fin_hash = xp.zeros(beam, xp.int64)
        fin_plen = xp.zeros(beam, xp.int64)
        fin_best = xp.full(beam, -math.inf)
        for k in range(n * beam, n * beam + h_n[n]):
            if use_target and h_plen[k] != t_len:
                continue
            lp, _ = _arc(h_state[k], eos, states, states_f, arcs, arcs_f, root_arc)
            s = h_score[k] + lp
            merged = False
            for r in range(m):
                if fin_hash[r] == h_hash[k] and fin_plen[r] == h_plen[k]:
                    old = fin_score[r]
                    fin_score[r] = max(old, s) + math.log1p(math.exp(-abs(old - s)))
                    if h_best[k] + lp > fin_best[r]:
                        fin_best[r] = h_best[k] + lp
                        fin_k[r] = k
                    merged = True
                    break
            if not merged:
                fin_score[m], fin_k[m], fin_best[m] = s, k, h_best[k] + lp
                fin_hash[m], fin_plen[m] = h_hash[k], h_plen[k]
                m += 1
        # best first (insertion sort: m <= beam)
        order = xp.zeros(beam, xp.int64)
        for r in range(m):
            j = r
            while j > 0 and fin_score[order[j - 1]] < fin_score[r]:
                order[j] = order[j - 1]
                j -= 1
            order[j] = r
        out_n[w] = m
        for r in range(m):
            src = order[r]
            out_score[w * beam + r] = fin_score[src]
            # walk the back-pointers: the tokens of the best cut, from the end
            row = (w * beam + r) * max_len
            count = 0
            pos, k = n, fin_k[src]
            while pos > 0:
                count += 1
                pos, k = h_prev_pos[k], h_prev_k[k]
            pos, k = n, fin_k[src]
            j = count - 1
            while pos > 0:
                if j < max_len:
                    out_tokens[row + j] = h_tok[k]
                j -= 1
                pos, k = h_prev_pos[k], h_prev_k[k]
            for j in range(count, max_len):
                out_tokens[row + j] = -1
