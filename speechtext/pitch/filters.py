"""Butterworth filters as second-order sections: ``scipy.signal.butter(..., output="sos")`` for
even orders, step for step (tests check it against scipy), and their streaming filter.

Written out because importing scipy.signal costs 1-1.5 s and about 75 MB per process (it loads
scipy.stats, scipy.optimize, scipy.interpolate, ...), more than the pitch of a typical file and
a quarter of a worker's memory (``bench/pipeline.py``); the filter itself is a numba kernel
(:func:`speechtext.pitch.kernels.sosfilt`), as scipy's is Cython.
"""

import numpy as np

__all__ = ["butter_sos", "sosfilt"]


def butter_sos(order: int, cutoff: float, btype: str, *, fs: float) -> np.ndarray:
    """Second-order sections ``[b0, b1, b2, 1, a1, a2]`` of a digital Butterworth filter
    (bilinear transform of the analog prototype, cut-off prewarped), the sections ordered as
    scipy orders them: the poles nearest the unit circle last, the gain in the first.

    Examples
    --------
    >>> butter_sos(4, 1000.0, "lowpass", fs=8000.0).shape
    (2, 6)
    """
    if order < 2 or order % 2:
        raise ValueError(f"order={order}: even orders only")
    if btype not in ("lowpass", "highpass"):
        raise ValueError(f"btype={btype!r}: 'lowpass' or 'highpass'")
    if not 0 < cutoff < fs / 2:
        raise ValueError(f"cutoff={cutoff} Hz must lie between 0 and fs/2 = {fs / 2} Hz")
    prototype = -np.exp(1j * np.pi * np.arange(-order + 1, order, 2) / (2 * order))
    warped = 4.0 * np.tan(np.pi * (2.0 * cutoff / fs) / 2.0)  # at scipy's fs = 2
    # the analog filter (zeros, poles, gain), then the bilinear transform (zeros at -1 / +1)
    if btype == "lowpass":
        zeros, poles, gain, zero = np.zeros(0), warped * prototype, warped**order, -1.0
    else:
        zeros, poles, zero = np.zeros(order), warped / prototype, 1.0
        gain = np.real(1.0 / np.prod(-prototype))
    gain = gain * np.real(np.prod(4.0 - zeros) / np.prod(4.0 - poles))
    poles = (4.0 + poles) / (4.0 - poles)
    upper = poles[poles.imag > 0]
    upper = upper[np.argsort(-np.abs(1 - np.abs(upper)), kind="stable")]  # worst last
    sos = np.zeros((len(upper), 6))
    sos[:, :3] = [1.0, -2.0 * zero, 1.0]
    sos[:, 3] = 1.0
    sos[:, 4] = np.real(-upper - np.conj(upper))
    sos[:, 5] = np.real(upper * np.conj(upper))
    sos[0, :3] *= gain
    return sos


def sosfilt(sos: np.ndarray, x: np.ndarray, zi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``scipy.signal.sosfilt(sos, x, zi=zi)`` for 1-D ``x``: the filtered signal (float64) and
    the final state ``zi`` [sections, 2] (the input's is not modified)."""
    from .kernels import sosfilt as kernel

    y = np.array(x, dtype=np.float64)
    state = np.array(zi, dtype=np.float64)
    kernel(np.ascontiguousarray(sos, dtype=np.float64), y, state)
    return y, state
