"""numba kernel of the graphone decoder (imported lazily: numba is heavy to import).

A beam search over a word's letter positions: a hypothesis is an n-gram state, the phones so far
(their count and a hash) and a log score. From position i it takes every graphone whose letters
are the word's next 1 or 2 letters (and, when a target is given, whose phones are the target's
next ones); hypotheses that meet with the same state and the same phones are one hypothesis
whose probability is the sum of both (a pronunciation's probability is summed over its cuts).
At most ``beam`` hypotheses are kept per position.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["decode_words"]

_UNKNOWN_LETTER = -12.0  # log-penalty of a letter no graphone has (skipped, no phone)


@numba.njit(cache=True, nogil=True, inline="always")
def _arc(state, token, state_ptr, arc_token, arc_lp, arc_next, backoff, bow):
    """log p(token | state) with back-off, and the next state."""
    lp = 0.0
    while True:
        lo, hi = state_ptr[state], state_ptr[state + 1]
        while lo < hi:  # binary search of token among the state's arcs
            mid = (lo + hi) // 2
            if arc_token[mid] < token:
                lo = mid + 1
            else:
                hi = mid
        if lo < state_ptr[state + 1] and arc_token[lo] == token:
            return lp + arc_lp[lo], arc_next[lo]
        if state == 0:
            return -np.inf, 0
        lp += bow[state]
        state = backoff[state]


@numba.njit(cache=True, nogil=True)
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
    worst, worst_k = np.inf, -1
    for k in range(n):
        if h_state[q, k] == cand_state and h_hash[q, k] == phash and h_plen[q, k] == plen:
            old = h_score[q, k]
            h_score[q, k] = max(old, score) + np.log1p(np.exp(-abs(old - score)))
            if score > h_best[q, k]:  # the back-pointer follows the best single cut
                h_best[q, k] = score
                h_prev_pos[q, k], h_prev_k[q, k], h_tok[q, k] = prev_pos, prev_k, tok
            return
        if h_score[q, k] < worst:
            worst, worst_k = h_score[q, k], k
    if n < beam:
        k = n
        h_n[q] = n + 1
    elif score > worst:
        k = worst_k
    else:
        return
    h_state[q, k], h_score[q, k], h_best[q, k] = cand_state, score, score
    h_plen[q, k], h_hash[q, k] = plen, phash
    h_prev_pos[q, k], h_prev_k[q, k], h_tok[q, k] = prev_pos, prev_k, tok


@numba.njit(cache=True, nogil=True)
def decode_words(
    letters,
    l_off,
    targets,
    t_off,
    use_target,
    n_letters,
    lc_ptr,
    lc_tok,
    g_letters,
    g_p1,
    g_p2,
    state_ptr,
    arc_token,
    arc_lp,
    arc_next,
    backoff,
    bow,
    start,
    eos,
    beam,
    out_n,
    out_score,
    out_tokens,
):
    """Decode every word; word w's results in ``out_*[w]``.

    ``out_n[w]`` results, best first: ``out_score[w, r]`` the log joint probability (summed over
    cuts) and ``out_tokens[w, r, :]`` the graphone ids of its best cut (-1 padded, -2 for a
    skipped letter). With ``use_target``, only cuts whose phones are ``targets[t_off[w]:...]``.
    """
    max_len = out_tokens.shape[2]
    for w in range(len(l_off) - 1):
        word = letters[l_off[w] : l_off[w + 1]]
        target = targets[t_off[w] : t_off[w + 1]]
        n = len(word)
        h_n = np.zeros(n + 1, np.int64)
        h_state = np.zeros((n + 1, beam), np.int64)
        h_score = np.zeros((n + 1, beam))
        h_best = np.zeros((n + 1, beam))
        h_plen = np.zeros((n + 1, beam), np.int64)
        h_hash = np.zeros((n + 1, beam), np.int64)
        h_prev_pos = np.zeros((n + 1, beam), np.int64)
        h_prev_k = np.zeros((n + 1, beam), np.int64)
        h_tok = np.zeros((n + 1, beam), np.int64)
        h_n[0] = 1
        h_state[0, 0] = start
        for i in range(n):
            for k in range(h_n[i]):
                state, score = h_state[i, k], h_score[i, k]
                plen, phash = h_plen[i, k], h_hash[i, k]
                found = False
                for a in range(1, 3):
                    if i + a > n:
                        break
                    code = word[i] * (n_letters + 1) + (word[i + 1] if a == 2 else 0)
                    if word[i] == 0 or (a == 2 and word[i + 1] == 0):
                        continue
                    for c in range(lc_ptr[code], lc_ptr[code + 1]):
                        tok = lc_tok[c]
                        p1, p2 = g_p1[tok], g_p2[tok]
                        b = (p1 > 0) + (p2 > 0)
                        if use_target:
                            if plen + b > len(target):
                                continue
                            if b >= 1 and target[plen] != p1:
                                continue
                            if b == 2 and target[plen + 1] != p2:
                                continue
                        lp, nxt = _arc(
                            state, tok, state_ptr, arc_token, arc_lp, arc_next, backoff, bow
                        )
                        if lp == -np.inf:
                            continue
                        found = True
                        h = phash
                        if b >= 1:
                            h = h * 1000003 + p1
                        if b == 2:
                            h = h * 1000003 + p2
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
                if not found and (
                    word[i] == 0
                    or lc_ptr[word[i] * (n_letters + 1)] == lc_ptr[word[i] * (n_letters + 1) + 1]
                ):
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
        fin_score = np.full(beam, -np.inf)
        fin_k = np.zeros(beam, np.int64)
        fin_hash = np.zeros(beam, np.int64)
        fin_plen = np.zeros(beam, np.int64)
        fin_best = np.full(beam, -np.inf)
        for k in range(h_n[n]):
            if use_target and h_plen[n, k] != len(target):
                continue
            lp, _ = _arc(h_state[n, k], eos, state_ptr, arc_token, arc_lp, arc_next, backoff, bow)
            s = h_score[n, k] + lp
            merged = False
            for r in range(m):
                if fin_hash[r] == h_hash[n, k] and fin_plen[r] == h_plen[n, k]:
                    old = fin_score[r]
                    fin_score[r] = max(old, s) + np.log1p(np.exp(-abs(old - s)))
                    if h_best[n, k] + lp > fin_best[r]:
                        fin_best[r] = h_best[n, k] + lp
                        fin_k[r] = k
                    merged = True
                    break
            if not merged:
                fin_score[m], fin_k[m], fin_best[m] = s, k, h_best[n, k] + lp
                fin_hash[m], fin_plen[m] = h_hash[n, k], h_plen[n, k]
                m += 1
        order = np.argsort(-fin_score[:m])
        out_n[w] = m
        for r in range(m):
            src = order[r]
            out_score[w, r] = fin_score[src]
            # walk the back-pointers: the tokens of the best cut, from the end
            count = 0
            pos, k = n, fin_k[src]
            while pos > 0:
                count += 1
                pos, k = h_prev_pos[pos, k], h_prev_k[pos, k]
            pos, k = n, fin_k[src]
            j = count - 1
            while pos > 0:
                if j < max_len:
                    out_tokens[w, r, j] = h_tok[pos, k]
                j -= 1
                pos, k = h_prev_pos[pos, k], h_prev_k[pos, k]
            for j in range(count, max_len):
                out_tokens[w, r, j] = -1
