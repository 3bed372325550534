"""Active speech level by ITU-T P.56 method B, as the ITU-T STL's ``sv56`` tool measures it.

The envelope is the rectified signal through two cascaded first-order smoothers (time constant
0.03 s); a sample is active at threshold ``c`` if the envelope reached ``c`` within the last 0.2 s
(the hangover). For thresholds ``c_j = 2**-j`` of full scale, the active level ``A_j`` is the
energy over the active samples; the speech level is where ``A - C`` (``C = 20 log10 c``) falls to
the margin of 15.9 dB, interpolated between the two thresholds around it. Levels are in dBov: 0
dBov is the power of a full-scale square wave (a full-scale sine is -3.01 dBov).
"""

from __future__ import annotations

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
    from scipy.signal import lfilter

    x = np.asarray(y, dtype=np.float64)
    n = len(x)
    energy = float(np.dot(x, x))
    if not n or energy == 0.0:
        return -math.inf, 0.0
    g = math.exp(-1.0 / (sr * TIME_CONSTANT))
    envelope = lfilter([(1 - g) ** 2], [1.0, -2 * g, g * g], np.abs(x))
    # a sample is active at threshold c if the envelope reached c in the last `hang` samples:
    # the running maximum over that window, compared with each threshold
    from scipy.ndimage import maximum_filter1d

    hang = 2 * int(round(HANGOVER * sr / 2))  # even, so the centred window shifts exactly
    padded = np.concatenate([np.zeros(hang), envelope])
    recent = maximum_filter1d(padded, size=hang + 1, mode="constant")[hang // 2 : hang // 2 + n]
    diffs, levels = [], []
    for c in THRESHOLDS:
        a = np.count_nonzero(recent >= c)
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
