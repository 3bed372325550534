"""numba kernels of the pitch tracker (imported lazily: numba is heavy to import).

Compiled on first use and cached on disk (``cache=True``), so later processes load them at once.
Every setting is a named scalar argument (numba takes keywords, not keyword-only arguments): the
caller passes them by name, ``decode(..., jump_cost=JUMP_COST, ...)``.
"""

import numba
import numpy as np

__all__ = ["cmndf", "cmndf_frames", "decode", "frames_kernel", "peak_candidates", "sosfilt"]


@numba.njit(cache=True, nogil=True)
def cmndf(x, corr, w, tmax, out):
    """YIN's cumulative-mean-normalised difference of one frame into ``out[0..tmax]``.

    ``x`` the frame, ``corr`` its head-window correlation (lags 0..tmax), ``w`` the window in
    samples.
    """
    acc = 0.0
    e0 = 0.0
    for j in range(w):
        e0 += x[j] * x[j]
    et = e0
    for tau in range(1, tmax + 1):
        # energy of x[tau : tau + W], updated in place
        et += x[tau + w - 1] * x[tau + w - 1] - x[tau - 1] * x[tau - 1]
        d = e0 + et - 2.0 * corr[tau]
        out[tau] = d if d > 0.0 else 0.0
    scale = e0 * 1e-9 + 1e-20
    total = 0.0
    for tau in range(1, tmax + 1):
        total += out[tau]
    out[0] = 1.0
    if total <= scale * tmax:  # silence: no trough anywhere
        for tau in range(1, tmax + 1):
            out[tau] = 1.0
        return
    for tau in range(1, tmax + 1):
        acc += out[tau]
        out[tau] = out[tau] * tau / (acc if acc > scale else scale)


@numba.njit(cache=True, nogil=True)
def cmndf_frames(frames, corr, w, tmax, out):
    """:func:`cmndf` of every frame: ``frames`` [n, span], ``corr`` [n, tmax + 1] -> ``out``."""
    x = np.empty(frames.shape[1])
    for t in range(frames.shape[0]):
        for j in range(frames.shape[1]):
            x[j] = frames[t, j]
        cmndf(x, corr[t], w, tmax, out[t])


@numba.njit(cache=True, nogil=True)
def frames_kernel(
    frames,
    squared,
    corr_x,
    corr_sq,
    w,
    tmin,
    tmax,
    squared_weight,
    lag,
    value,
    periodic,
):
    """Candidates of every frame: the ``k`` deepest troughs of the mixed CMNDF and more.

    ``frames`` and ``squared`` [n, span]: the signal and its (low-passed) square per frame;
    ``corr_*`` [n, tmax + 1]: their head-window correlations; ``w`` the window and
    ``tmin``..``tmax`` the lags searched, in samples; ``squared_weight`` the share of the squared
    signal's CMNDF in the mixed one. Writes ``lag``, ``value`` [n, k] (missing troughs: value
    inf) and ``periodic`` [n] (the best CMNDF value of either).
    """
    n, span = frames.shape
    k = lag.shape[1]
    cx = np.empty(tmax + 1)
    cs = np.empty(tmax + 1)
    q = np.empty(span)
    c = np.empty(tmax + 1)
    x = np.empty(span)
    for t in range(n):
        for j in range(span):
            x[j] = frames[t, j]
            q[j] = squared[t, j]
        cmndf(x, corr_x[t], w, tmax, cx)
        cmndf(q, corr_sq[t], w, tmax, cs)
        best = np.inf
        for tau in range(tmin, tmax):
            if cx[tau] < best:
                best = cx[tau]
            if cs[tau] < best:
                best = cs[tau]
        periodic[t] = best
        for tau in range(tmax + 1):
            c[tau] = (1.0 - squared_weight) * cx[tau] + squared_weight * cs[tau]
        # the k deepest troughs, kept sorted by value (insertion)
        m = 0
        for tau in range(tmin, tmax - 1):
            b = c[tau]
            if not (b < c[tau - 1] and b <= c[tau + 1]):
                continue
            if m == k and b >= value[t, k - 1]:
                continue
            a = c[tau - 1]
            r = c[tau + 1]
            den = a - 2.0 * b + r
            shift = 0.0
            v = b
            if den > 0.0:
                shift = min(max(0.5 * (a - r) / den, -0.5), 0.5)
                v = b - 0.25 * (a - r) * shift
            if v < 0.0:
                v = 0.0
            i = m if m < k else k - 1
            while i > 0 and value[t, i - 1] > v:
                if i < k:
                    value[t, i] = value[t, i - 1]
                    lag[t, i] = lag[t, i - 1]
                i -= 1
            value[t, i] = v
            lag[t, i] = tau + shift
            if m < k:
                m += 1
        for i in range(m, k):
            value[t, i] = np.inf
            lag[t, i] = tmax


@numba.njit(cache=True, nogil=True)
def decode(
    lag,
    value,
    periodic,
    rel,
    lowband,
    pitch_weight,
    octave_cost,
    octave_margin,
    jump_cost,
    switch_cost,
    quiet_high,
    quiet_low,
    quiet_cost,
    lowband_cost,
    lowband_mid,
    unvoiced_quiet,
    unvoiced_loud,
    level_low,
    level_high,
):
    """Viterbi over (candidate, unvoiced) with the local costs computed frame by frame.

    ``lag``, ``value`` [n, k]: the candidates of :func:`frames_kernel`; ``periodic`` [n] the
    best periodicity, ``rel`` [n] the level in dB relative to the loud frames, ``lowband`` [n]
    the low-band share of each frame. The weights are the constants of the same names in
    :mod:`speechtext.pitch` (``quiet_high, quiet_low`` are QUIET_DB, ``level_low, level_high``
    are LEVELS). Memory is the inputs plus one byte per state and frame for the back-pointers:
    the costs of a long file are never held whole. Returns the state per frame (k = unvoiced).
    """
    n, k = lag.shape
    back = np.empty((n, k + 1), np.int8)
    cost = np.empty(k + 1)
    new = np.empty(k + 1)
    local = np.empty(k)
    logl = np.empty(k)
    prev = np.empty(k)
    for t in range(n):
        # local costs of frame t (see _decode in __init__.py for what each term is for)
        best = np.inf
        for j in range(k):
            if value[t, j] < best:
                best = np.float64(value[t, j])
        if not np.isfinite(best):
            best = 0.0
        best_lag = np.inf
        for j in range(k):
            if (
                np.isfinite(value[t, j])
                and value[t, j] <= best + octave_margin
                and lag[t, j] < best_lag
            ):
                best_lag = lag[t, j]
        if not np.isfinite(best_lag):
            best_lag = lag[t, 0]
        ramp_q = min(max((quiet_high - rel[t]) / (quiet_high - quiet_low), 0.0), 1.0)
        extra = periodic[t] + quiet_cost * ramp_q + lowband_cost * (lowband_mid - lowband[t])
        for j in range(k):
            lj = np.float64(lag[t, j])
            logl[j] = np.log2(lj)
            if np.isfinite(value[t, j]):
                octave = np.log2(lj / best_lag)
                local[j] = (
                    pitch_weight * (value[t, j] - best) + extra + octave_cost * max(octave, 0.0)
                )
            else:
                local[j] = np.inf
        ramp = min(max((rel[t] - level_low) / (level_high - level_low), 0.0), 1.0)
        local_u = unvoiced_quiet + (unvoiced_loud - unvoiced_quiet) * ramp
        if t == 0:
            for j in range(k):
                cost[j] = local[j]
            cost[k] = local_u
        else:
            for j in range(k):
                if not np.isfinite(local[j]):
                    new[j] = np.inf
                    back[t, j] = k
                    continue
                b = cost[k] + switch_cost
                arg = k
                for i in range(k):
                    c = cost[i] + jump_cost * abs(logl[j] - prev[i])
                    if c < b:
                        b = c
                        arg = i
                new[j] = b + local[j]
                back[t, j] = arg
            b = cost[k]
            arg = k
            for i in range(k):
                c = cost[i] + switch_cost
                if c < b:
                    b = c
                    arg = i
            new[k] = b + local_u
            back[t, k] = arg
            for j in range(k + 1):
                cost[j] = new[j]
        for j in range(k):
            prev[j] = logl[j]
    path = np.empty(n, np.int32)
    arg = 0
    for j in range(1, k + 1):
        if cost[j] < cost[arg]:
            arg = j
    path[n - 1] = arg
    for t in range(n - 1, 0, -1):
        arg = back[t, arg]
        path[t - 1] = arg
    return path


@numba.njit(cache=True, nogil=True)
def peak_candidates(posterior, n_bins, log_lo, step, spread, b_lo, b_hi, wsr, tmax, lag, cost):
    """The pitch posterior's ``k`` largest local maxima per frame (learned method).

    ``posterior`` [n, n_bins + 1] (the last column "no pitch"); bin ``b`` is at log-F0
    ``log_lo + b * step``; peaks are looked for in bins ``b_lo..b_hi`` (inclusive). Each peak's
    mass is the posterior over its +-``spread`` bins, its log-F0 their weighted mean. Writes
    ``lag`` (``wsr / F0``) and ``cost`` (``1 - mass / pitch mass``) [n, k], sorted by cost;
    missing ones get cost inf and lag ``tmax``.
    """
    n = posterior.shape[0]
    k = lag.shape[1]
    for t in range(n):
        total = 0.0
        for b in range(n_bins):
            total += posterior[t, b]
        if total < 1e-20:
            total = 1e-20
        m = 0
        for b in range(b_lo, b_hi + 1):
            p = posterior[t, b]
            if b > 0 and p < posterior[t, b - 1]:
                continue
            if b < n_bins - 1 and p <= posterior[t, b + 1]:
                continue
            mass = 0.0
            moment = 0.0
            for j in range(max(b - spread, 0), min(b + spread, n_bins - 1) + 1):
                mass += posterior[t, j]
                moment += posterior[t, j] * j
            c = 1.0 - min(mass / total, 1.0)
            if m == k and c >= cost[t, k - 1]:
                continue
            centre = moment / mass if mass > 0.0 else b
            centre = min(max(centre, b_lo), b_hi)
            value = wsr / np.exp(log_lo + centre * step)
            i = m if m < k else k - 1
            while i > 0 and cost[t, i - 1] > c:
                if i < k:
                    cost[t, i] = cost[t, i - 1]
                    lag[t, i] = lag[t, i - 1]
                i -= 1
            cost[t, i] = c
            lag[t, i] = value
            if m < k:
                m += 1
        for i in range(m, k):
            cost[t, i] = np.inf
            lag[t, i] = tmax


@numba.njit(cache=True, nogil=True)
def sosfilt(sos, x, zi):
    """Second-order sections over ``x`` in place, state ``zi`` [sections, 2] carried in place:
    direct form II transposed, the operations of scipy.signal.sosfilt in its order."""
    sections = sos.shape[0]
    for i in range(x.shape[0]):
        cur = x[i]
        for s in range(sections):
            new = sos[s, 0] * cur + zi[s, 0]
            zi[s, 0] = sos[s, 1] * cur - sos[s, 4] * new + zi[s, 1]
            zi[s, 1] = sos[s, 2] * cur - sos[s, 5] * new
            cur = new
        x[i] = cur
