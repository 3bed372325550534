"""Training of the graphone model: EM alignment, then a Kneser-Ney graphone n-gram.

Steps (:func:`train_graphone_model`):

1. symbols: the letters and phones the lexicon uses (any phone set: ARPAbet with or without
   stress, IPA segments);
2. EM many-to-many alignment (:mod:`speechtext.g2p.align`) and each entry's Viterbi cut into
   graphones; entries no cut fits (a letter with 3 phones) are left out and counted;
3. a graphone n-gram with interpolated modified Kneser-Ney smoothing (Chen & Goodman's three
   discounts per order), counted with numpy: an n-gram is identified by the id of its first
   n - 1 tokens and its last token, so every order is one ``np.unique`` over int64 keys; rare
   high-order n-grams are pruned (``min_count``) and the back-off weights renormalised;
4. the same n-gram over the reversed words and phones (right to left), EM run again;
5. on held-out words (``dev``, or 3 % of the lexicon's words set aside): the n-gram order with
   the lowest word error (left to right), the combination's weight and stress penalty with the
   lowest word error (:mod:`speechtext.g2p.graphone`), and the temperature that calibrates the
   top-1 probability; the final model is then counted on every entry.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import numpy as np

from ..errors import ParameterError
from .graphone import BOS, EOS, GraphoneModel, compact_tables

__all__ = ["train_graphone_model"]

_ORDERS = (5, 6, 7, 8)  # tried on the dev words
_TEMPERATURES = np.round(np.arange(0.5, 3.01, 0.05), 2)
_WEIGHTS = (0.3, 0.4, 0.5, 0.6, 0.7)  # of the left-to-right score (0.4-0.5 best on CMUdict)
_PENALTIES = (0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 7.0)  # log-penalty of a primary-stress count != 1


def _symbols(entries):
    letters = sorted({c for word, _ in entries for c in word})
    phones = sorted({p for _, phones in entries for p in phones})
    return letters, phones


def _aligned(entries, letters, phones, *, iterations, theta=None):
    """EM graphone probabilities (unless given) and each entry's cut as (letter chunk, phone
    chunk) pairs (None where no cut fits)."""
    from .align import em_align, viterbi_align

    l_index = {c: i + 1 for i, c in enumerate(letters)}
    p_index = {p: i + 1 for i, p in enumerate(phones)}
    letter_ids = [[l_index[c] for c in word] for word, _ in entries]
    phone_ids = [[p_index[p] for p in prons] for _, prons in entries]
    n_l, n_p = len(letters), len(phones)
    if theta is None:
        theta = em_align(letter_ids, phone_ids, n_letters=n_l, n_phones=n_p, iterations=iterations)
    keys = viterbi_align(letter_ids, phone_ids, theta, n_letters=n_l, n_phones=n_p)
    return theta, keys


def _decode_key(key, n_l, n_p):
    """Graphone key -> (l1, l2, p1, p2) symbol ids (0: none)."""
    key, p2 = divmod(int(key), n_p + 1)
    key, p1 = divmod(key, n_p + 1)
    l1, l2 = divmod(key, n_l + 1)
    return l1, l2, p1, p2


def _discounts(counts):
    """Modified Kneser-Ney discounts D1, D2, D3+ from the counts of counts."""
    n = [np.count_nonzero(counts == k) for k in (1, 2, 3, 4)]
    if min(n) == 0:
        return np.array([0.5, 1.0, 1.5])
    y = n[0] / (n[0] + 2 * n[1])
    d = np.array([1 - 2 * y * n[1] / n[0], 2 - 3 * y * n[2] / n[1], 3 - 4 * y * n[3] / n[2]])
    return np.clip(d, 0.05, np.array([1.0, 2.0, 3.0]))


def _ngram_tables(sequences, order, n_tokens, min_count):
    """Kneser-Ney n-gram over token sequences, as back-off states and arcs.

    Returns a dict of arrays: per state its back-off state and log back-off weight; per arc
    (sorted by state, then token) its token, log-probability and next state. State 0 is the
    empty history, the start state is the history ``<s>``.
    """
    padded = [[BOS, *s, EOS] for s in sequences]
    tokens = np.fromiter((t for s in padded for t in s), dtype=np.int64)
    pos = np.fromiter((i for s in padded for i in range(len(s))), dtype=np.int64)
    # per order n (1-based): per occurrence the id of the n-gram ending there (-1: none)
    occ = {1: tokens.copy()}
    info = {}  # order -> dict(prefix, suffix, token, raw, first)
    n_ids = {1: n_tokens}
    unigram_raw = np.bincount(tokens[pos >= 1], minlength=n_tokens)
    info[1] = {
        "prefix": np.zeros(n_tokens, np.int64),
        "suffix": np.full(n_tokens, -1, np.int64),
        "token": np.arange(n_tokens),
        "raw": unigram_raw,
        "first": np.arange(n_tokens),
    }
    for n in range(2, order + 1):
        valid = np.flatnonzero(pos >= n - 1)
        key = occ[n - 1][valid - 1] * n_tokens + tokens[valid]
        uniq, first_at, inverse, raw = np.unique(
            key, return_index=True, return_inverse=True, return_counts=True
        )
        o = np.full(len(tokens), -1, np.int64)
        o[valid] = inverse
        occ[n] = o
        at = valid[first_at]
        info[n] = {
            "prefix": occ[n - 1][at - 1],
            "suffix": occ[n - 1][at],
            "token": tokens[at],
            "raw": raw,
            "first": info[n - 1]["first"][occ[n - 1][at - 1]],
        }
        n_ids[n] = len(uniq)
    predicted = np.ones(n_tokens, bool)
    predicted[BOS] = False
    # KN counts: raw counts at the top order and for n-grams that start with <s> (no left
    # context to count), continuation counts (distinct left neighbours) below
    prob = {}
    keep = {}
    for n in range(1, order + 1):
        d = info[n]
        if n == order:
            c = d["raw"].astype(np.float64)
        else:
            c = np.bincount(info[n + 1]["suffix"], minlength=n_ids[n]).astype(np.float64)
            starts = d["first"] == BOS
            c[starts] = d["raw"][starts]
        if n == 1:
            c[~predicted] = 0
        disc = _discounts(c[c > 0])
        dc = np.where(c >= 3, disc[2], np.where(c == 2, disc[1], np.where(c == 1, disc[0], 0.0)))
        n_hist = 1 if n == 1 else n_ids[n - 1]
        hist = d["prefix"]
        c_h = np.bincount(hist, weights=c, minlength=n_hist)
        mass = np.bincount(hist, weights=dc, minlength=n_hist)
        with np.errstate(divide="ignore", invalid="ignore"):
            gamma = np.where(c_h > 0, mass / c_h, 1.0)
            own = np.where(c_h[hist] > 0, np.maximum(c - dc, 0) / c_h[hist], 0.0)
        lower = np.full(len(c), 1.0 / predicted.sum()) if n == 1 else prob[n - 1][d["suffix"]]
        p = own + gamma[hist] * lower
        if n == 1:
            p[~predicted] = 0.0
            keep[1] = predicted.copy()
        else:
            keep[n] = d["raw"] >= (min_count if n >= 3 else 1)
            keep[n] &= keep[n - 1][d["suffix"]]  # a kept n-gram's lower n-gram is kept
        prob[n] = p
    # states: histories of kept n-grams, closed under taking suffixes
    is_state = {0: np.ones(1, bool)}
    for k in range(1, order):
        s = np.zeros(n_ids[k], bool)
        s[info[k + 1]["prefix"][keep[k + 1]]] = True
        is_state[k] = s
    for k in range(order - 1, 1, -1):
        is_state[k - 1][info[k]["suffix"][is_state[k]]] = True
    offset = {0: 0}
    state_id = {0: np.zeros(1, np.int64)}
    total = 1
    for k in range(1, order):
        ids = np.full(n_ids[k], -1, np.int64)
        ids[is_state[k]] = np.arange(total, total + is_state[k].sum())
        state_id[k] = ids
        offset[k] = total
        total += int(is_state[k].sum())
    backoff = np.zeros(total, np.int64)
    bow = np.zeros(total)
    for k in range(1, order):
        where = np.flatnonzero(is_state[k])
        backoff[state_id[k][where]] = 0 if k == 1 else state_id[k - 1][info[k]["suffix"][where]]
    arc_state, arc_token, arc_lp, arc_next = [], [], [], []
    for n in range(1, order + 1):
        d = info[n]
        kept = np.flatnonzero(keep[n])
        hist_state = np.zeros(len(kept), np.int64) if n == 1 else state_id[n - 1][d["prefix"][kept]]
        # next state: the longest suffix of the n-gram that is a state
        nxt = np.full(len(kept), -1, np.int64)
        cur = kept.copy()
        for k in range(n, 0, -1):
            if k < n:
                cur = info[k + 1]["suffix"][cur]
            if k <= order - 1:
                ids = state_id[k][cur]
                fill = (nxt < 0) & (ids >= 0)
                nxt[fill] = ids[fill]
        nxt[nxt < 0] = 0
        # back-off weight of each history: the mass its kept arcs leave, over the lower
        # model's mass for the same tokens
        lower = (
            np.full(len(kept), 1.0 / predicted.sum()) if n == 1 else prob[n - 1][d["suffix"][kept]]
        )
        if n >= 2:
            n_states = total
            high = np.bincount(hist_state, weights=prob[n][kept], minlength=n_states)
            low = np.bincount(hist_state, weights=lower, minlength=n_states)
            has = np.bincount(hist_state, minlength=n_states) > 0
            w = np.clip(1 - high[has], 1e-12, None) / np.clip(1 - low[has], 1e-12, None)
            bow[np.flatnonzero(has)] = np.log(w)
        arc_state.append(hist_state)
        arc_token.append(d["token"][kept])
        arc_lp.append(np.log(prob[n][kept]))
        arc_next.append(nxt)
    arc_state = np.concatenate(arc_state)
    arc_token = np.concatenate(arc_token)
    order_ix = np.lexsort((arc_token, arc_state))
    # stored compactly (the model ships as package data): per state the first of its arcs
    # (arcs are sorted by state), tokens in 16 bits, log-probabilities in half precision
    token_type = np.int16 if n_tokens < 2**15 else np.int32
    return {
        "backoff": backoff.astype(np.int32),
        "bow": bow.astype(np.float16),
        "state_ptr": np.searchsorted(arc_state[order_ix], np.arange(total + 1)).astype(np.int32),
        "arc_token": arc_token[order_ix].astype(token_type),
        "arc_logprob": np.maximum(np.concatenate(arc_lp)[order_ix], -60).astype(np.float16),
        "arc_next": np.concatenate(arc_next)[order_ix].astype(np.int32),
        "start": np.int64(state_id[1][BOS]),
    }


def _graphone_sequences(keys, graphone_index):
    return [[graphone_index[int(k)] for k in ks] for ks in keys if len(ks)]


def _split_words(entries, fraction, seed):
    words = sorted({w for w, _ in entries})
    rng = random.Random(seed)
    rng.shuffle(words)
    n_dev = max(1, round(len(words) * fraction)) if len(words) >= 20 else 0
    dev = set(words[:n_dev])
    return [e for e in entries if e[0] not in dev], [e for e in entries if e[0] in dev]


def _build(entries, letters, phones, *, order, min_count, iterations, theta=None):
    """One direction's n-gram (``graphones`` and ``tables``), the EM table, entries skipped."""
    theta, keys = _aligned(entries, letters, phones, iterations=iterations, theta=theta)
    n_l, n_p = len(letters), len(phones)
    used = sorted({int(k) for ks in keys for k in ks})
    graphone_index = {k: i + 2 for i, k in enumerate(used)}  # 0 </s>, 1 <s>
    graphones = np.zeros((len(used) + 2, 4), np.int32)
    for k, i in graphone_index.items():
        graphones[i] = _decode_key(k, n_l, n_p)
    sequences = _graphone_sequences(keys, graphone_index)
    tables = compact_tables(_ngram_tables(sequences, order, len(used) + 2, min_count))
    skipped = sum(1 for ks in keys if not len(ks))
    return {"graphones": graphones, "tables": tables}, theta, skipped


def _reversed(entries):
    return [(w[::-1], tuple(p)[::-1]) for w, p in entries]


def _references(dev_entries):
    refs = {}
    for word, prons in dev_entries:
        refs.setdefault(word, set()).add(tuple(prons))
    return sorted(refs), refs


def _forward_wer(model, dev_entries):
    """Word error of the left-to-right n-gram's 1-best on the dev words."""
    words, refs = _references(dev_entries)
    results = model.forward.run([model._ids(w) for w in words])
    wrong = sum(
        not hyps or model.forward.phones_of(hyps[0][0]) not in refs[w]
        for w, hyps in zip(words, results, strict=True)
    )
    return wrong / max(1, len(words))


def _combination(model, dev_entries):
    """Weight and stress penalty with the lowest dev word error, then the temperature that
    calibrates the top-1 probability; and that word error."""
    words, refs = _references(dev_entries)
    rows = []  # per word: forward, backward scores, off-stress, right? per candidate
    for w, cands in zip(words, model._candidates(words), strict=True):
        v = np.array([[c[0], c[1], c[2], p in refs[w]] for p, c in cands.items()], float)
        rows.append(v.reshape(-1, 4))
    weights = _WEIGHTS if model.backward is not None else (1.0,)
    penalties = _PENALTIES if model._primary else (0.0,)
    best = None
    for weight in weights:
        for penalty in penalties:
            right = 0
            for v in rows:
                c = weight * v[:, 0] + (1 - weight) * v[:, 1] - penalty * v[:, 2]
                right += len(c) > 0 and v[np.argmax(c), 3] > 0
            wer = 1 - right / max(1, len(rows))
            if best is None or wer < best[0] - 1e-12:
                best = (wer, weight, penalty)
    wer, weight, penalty = best
    right, scores = [], []
    for v in rows:
        c = weight * v[:, 0] + (1 - weight) * v[:, 1] - penalty * v[:, 2]
        order = np.argsort(-c)
        right.append(len(c) > 0 and v[order[0], 3] > 0)
        scores.append(c[order].tolist())
    return weight, penalty, _temperature(right, scores), wer


def train_graphone_model(
    entries: Sequence[tuple[str, Sequence[str]]],
    *,
    dev: Sequence[tuple[str, Sequence[str]]] | None = None,
    order: int | None = None,
    min_count: int = 1,
    iterations: int = 10,
    seed: int = 0,
    backward: bool = True,
) -> GraphoneModel:
    """Train a graphone model on a lexicon.

    Parameters
    ----------
    entries : list of (word, phones)
        The lexicon; a word may have several entries (its variants).
    dev : list of (word, phones) or None
        Held-out entries to choose the order and the combination and to calibrate the
        probabilities on; None sets 3 % of the lexicon's words aside (chosen with ``seed``) and
        trains the final model on all.
    order : int or None
        Graphone n-gram order; None chooses among 5-8 on the dev words.
    min_count : int
        n-grams of order 3 and up seen fewer times are pruned (a smaller model).
    iterations : int
        EM iterations of the alignment.
    backward : bool
        Train the right-to-left n-gram too (see :mod:`speechtext.g2p.graphone`).

    Returns
    -------
    GraphoneModel
    """
    entries = [(str(w), tuple(p)) for w, p in entries]
    if not entries:
        raise ParameterError("the lexicon has no entries; give at least one word and its phones")
    if order is not None and not 2 <= order <= 12:
        raise ParameterError(f"order={order}: choose an n-gram order from 2 to 12")
    held_out = dev is None
    if held_out:
        train, dev_entries = _split_words(entries, 0.03, seed)
    else:
        dev_entries = [(str(w), tuple(p)) for w, p in dev]
        train = entries
    letters, phones = _symbols(entries + dev_entries)
    orders = [order] if order is not None else list(_ORDERS)
    options = {"min_count": min_count, "iterations": iterations}

    def model_of(forward, backward_ngram, **params):
        return GraphoneModel(
            letters=letters,
            phones=phones,
            forward=forward,
            backward=backward_ngram,
            order=chosen,
            **params,
        )

    best = None
    theta = None
    for n in orders:
        forward, theta, skipped = _build(train, letters, phones, order=n, theta=theta, **options)
        chosen = n
        if not dev_entries or len(orders) == 1:
            best = (0.0, n, forward)
            break
        wer = _forward_wer(model_of(forward, None), dev_entries)
        if best is None or wer < best[0]:
            best = (wer, n, forward)
    _, chosen, forward = best
    back = None
    if backward:
        back, _, _ = _build(_reversed(train), letters, phones, order=chosen, **options)
    params = {"temperature": 1.0, "weight": 0.5 if back is not None else 1.0}
    dev_wer = None
    if dev_entries:
        weight, penalty, temperature, dev_wer = _combination(model_of(forward, back), dev_entries)
        params = {"temperature": temperature, "weight": weight, "stress_penalty": penalty}
    if held_out and dev_entries:  # counted again on every entry
        forward, _, skipped = _build(entries, letters, phones, order=chosen, **options)
        if backward:
            back, _, _ = _build(_reversed(entries), letters, phones, order=chosen, **options)
    model = model_of(forward, back, **params)
    model.info = {
        "entries": len(entries),
        "skipped": int(skipped),
        "order": chosen,
        "directions": 2 if back is not None else 1,
        **params,
        "dev_words": len({w for w, _ in dev_entries}),
        "dev_wer": None if dev_wer is None else round(100 * float(dev_wer), 2),
    }
    return model


def _temperature(right, scores):
    """Temperature T (posteriors ∝ exp(score / T)) whose top-1 probabilities are calibrated:
    the lowest expected calibration error on the dev words (10 equal-width bins)."""
    right = np.asarray(right, float)
    best_t, best_e = 1.0, math.inf
    for t in _TEMPERATURES:
        top = np.array([_top_probability(s, t) for s in scores])
        e = _ece(top, right)
        if e < best_e:
            best_t, best_e = float(t), e
    return best_t


def _top_probability(scores, t):
    if not scores:
        return 0.0
    s = np.asarray(scores) / t
    s = s - s.max()
    return float(1.0 / np.exp(s).sum()) if s[0] == 0 else float(np.exp(s[0]) / np.exp(s).sum())


def _ece(prob, right, bins=10):
    edges = np.minimum((prob * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        m = edges == b
        if m.any():
            total += m.sum() * abs(prob[m].mean() - right[m].mean())
    return total / len(prob)
