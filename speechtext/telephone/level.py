"""Active speech level by ITU-T P.56 method B, as the ITU-T STL's ``sv56`` tool measures it.

The envelope is the rectified signal through two cascaded first-order smoothers (time constant
0.03 s; the second runs on 1 ms means of the first, which come straight from the rectified
signal's 1 ms blocks: the first smoother is only needed at the blocks' ends); a sample is active
at threshold ``c`` if the envelope reached ``c`` within the last 0.2 s (the hangover). For
thresholds ``c_j = 2**-j`` of full scale, the active level ``A_j`` is the energy over the active
samples; the speech level is where ``A - C`` (``C = 20 log10 c``) falls to the margin of 15.9 dB,
interpolated between the two thresholds around it. Levels are in dBov: 0 dBov is the power of a
full-scale square wave (a full-scale sine is -3.01 dBov).
"""

from __future__ import annotations

import functools
import math

import numpy as np

__all__ = ["MARGIN_DB", "active_level", "check_level"]

MARGIN_DB = 15.9
TIME_CONSTANT = 0.03
HANGOVER = 0.2
THRESHOLDS = 2.0 ** -np.arange(15, -1, -1)  # 2**-15 .. 1 of full scale, rising


def check_level(level):
    """ParameterError unless ``level`` is None or a level in dBov below 0."""
    from ..errors import ParameterError

    if level is not None and (not isinstance(level, (int, float)) or not -80 <= level < 0):
        raise ParameterError(
            f"level={level!r} must be a speech level in dBov between -80 and 0, e.g. -26"
        )


def _one_pole(x, g, block):
    """``y[k] = g * y[k-1] + (1 - g) * x[k]`` from rest, exactly (to rounding), in numpy: each
    block's response from rest by a weighted cumulative sum, plus the state carried into it.
    (scipy.signal.lfilter does the same, but importing scipy.signal costs 1-2 s per process.)"""
    n = len(x)
    blocks = -(-n // block)
    xb = np.concatenate([x, np.zeros(blocks * block - n)]).reshape(blocks, block)
    k = np.arange(block)
    local = (1 - g) * g**k * np.cumsum(xb * g ** (-k), axis=1)
    carried = np.empty(blocks)
    state, decay = 0.0, g**block
    for j, end in enumerate(local[:, -1].tolist()):
        carried[j] = state
        state = state * decay + end
    return (local + carried[:, None] * g ** (k + 1)).reshape(-1)[:n]


@functools.lru_cache(maxsize=8)
def _block_weights(g, step):
    """What each sample of a block of ``step`` adds to the one-pole smoother's state at the
    block's end, and to the smoother's mean over the block; and the weight of the state before
    the block in that mean."""
    i = np.arange(step)
    end = (1 - g) * g ** (step - 1 - i)
    mean = (1 - g ** (step - i)) / step
    before = g * (1 - g**step) / (1 - g) / step
    return (end, mean), before


def _block_means(blocks, g):
    """The means over each row of ``blocks`` of ``_one_pole(blocks.reshape(-1), g, ...)``, from
    the state at the rows' ends: one pass over the samples instead of the smoother's several."""
    step = blocks.shape[1]
    (end, mean), before = _block_weights(g, step)
    # each block's share of the state at its end, and of its mean (einsum: no BLAS threads)
    decay = g**step
    ends = _one_pole(np.einsum("ij,j->i", blocks, end) / (1 - decay), decay, 128)
    means = np.einsum("ij,j->i", blocks, mean)
    means[1:] += before * ends[:-1]
    return means


def _running_max(x, width):
    """``out[k] = max(x[k - width + 1 .. k])`` for ``x >= 0`` (van Herk / Gil-Werman: prefix and
    suffix maxima over blocks of ``width``)."""
    n = len(x)
    padded = np.concatenate([np.zeros(width - 1), x])
    padded = np.concatenate([padded, np.zeros(-len(padded) % width)]).reshape(-1, width)
    prefix = np.maximum.accumulate(padded, axis=1).reshape(-1)
    suffix = np.maximum.accumulate(padded[:, ::-1], axis=1)[:, ::-1].reshape(-1)
    return np.maximum(suffix[:n], prefix[width - 1 : width - 1 + n])


def active_level(y: np.ndarray, *, sr: float) -> tuple[float, float]:
    """P.56 active speech level of ``y`` and its activity factor.

    Returns
    -------
    (level_dbov, activity) : (float, float)
        ``-inf`` and 0.0 for silence.

    Examples
    --------
    >>> t = np.arange(16000) / 8000
    >>> level, activity = active_level(0.1 * np.sin(2 * np.pi * 1000 * t), sr=8000)
    >>> round(level, 1), round(activity, 2)
    (-23.0, 0.99)
    """
    x = np.asarray(y)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    n = len(x)
    # squared in float64 (exact for float32 samples); not np.dot: BLAS threads cost more
    energy = float(np.sum(np.square(x, dtype=np.float64)))
    if not n or energy == 0.0:
        return -math.inf, 0.0
    g = math.exp(-1.0 / (sr * TIME_CONSTANT))
    block = max(16, int(4 * sr * TIME_CONSTANT))  # weights up to e**4: no precision lost
    # the second smoother and the activity run on 1 ms means of the first (which is smooth by
    # then): within 0.001 dB of the per-sample voltmeter (tested), at half the cost
    step = max(1, int(sr // 1000))
    means = _block_means(np.abs(x[: n // step * step]).reshape(-1, step), g)
    envelope = _one_pole(means, g**step, max(16, block // step))
    # a block is active at threshold c if the envelope reached c in the last 0.2 s (hangover)
    recent = _running_max(envelope, int(round(HANGOVER * sr / step)) + 1)
    diffs, levels = [], []
    for c in THRESHOLDS:
        a = np.count_nonzero(recent >= c) * step
        if not a:
            break
        level = 10 * math.log10(energy / a)
        levels.append(level)
        diffs.append(level - 20 * math.log10(c))
    if not levels:
        return -math.inf, 0.0
    # A - C falls as the threshold rises: find where it crosses the margin
    for j in range(1, len(diffs)):
        if diffs[j] <= MARGIN_DB:
            t = (diffs[j - 1] - MARGIN_DB) / (diffs[j - 1] - diffs[j])
            level = levels[j - 1] + t * (levels[j] - levels[j - 1])
            break
    else:
        level = levels[-1] if diffs[-1] <= MARGIN_DB else levels[0]
    activity = energy / (n * 10 ** (level / 10))
    return level, min(activity, 1.0)
