"""ITU-T G.711 (mu-law and A-law) and its Appendix I packet loss concealment, in numpy.

The coder follows the rules of the ITU-T Software Tool Library's ``g711.c`` (G.191), the reference
implementation of the Recommendation: A-law keeps the 12 most significant bits of a 16-bit sample
(negative samples by their one's complement), mu-law 14 bits with the bias of 33. It is bit-exact
with the Recommendation's tables on all 65,536 16-bit inputs (tested against a table built from
the Recommendation's decision and reconstruction values). libsndfile's and sox's coders differ
from it by one step at some decision boundaries, which is why the coding is done here.

:func:`conceal` is the waveform substitution of G.711 Appendix I: pitch period by normalised
cross-correlation of the last 48.75 ms, the last period repeated (two, then three periods into
longer erasures) with a quarter-period overlap-add at each seam, attenuated by 20 % per 10 ms
after the first 10 ms and silent after 60 ms, and a growing overlap-add into the first good frame.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["companded", "companded_pcm16", "conceal", "g711_decode", "g711_encode", "pcm16"]

LAWS = ("ulaw", "alaw")


def pcm16(y: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1) to 16-bit integers (rounded, clipped), as a codec's input."""
    return np.clip(np.rint(np.asarray(y, dtype=np.float64) * 32768.0), -32768, 32767).astype(
        np.int16
    )


def g711_encode(x: np.ndarray, law: str) -> np.ndarray:
    """16-bit linear samples to 8-bit G.711 codes (``law`` is ``"ulaw"`` or ``"alaw"``).

    Examples
    --------
    >>> g711_encode(np.array([0, 1000, -1000], dtype=np.int16), "alaw").tolist()
    [213, 250, 122]
    """
    x = np.asarray(x).astype(np.int32)
    # one's complement of negative samples: the Recommendation's symmetric magnitude scale
    magnitude = np.where(x < 0, ~x, x)
    if law == "alaw":
        ix = magnitude >> 4  # 11-bit magnitude: segments of 16 steps, two of them of step 1
        exponent = np.maximum(np.floor(np.log2(np.maximum(ix, 1))).astype(np.int32) - 3, 0)
        mantissa = np.where(exponent > 0, (ix >> np.maximum(exponent - 1, 0)) - 16, ix)
        code = (exponent << 4) + mantissa
        code = np.where(x >= 0, code | 0x80, code)
        return (code ^ 0x55).astype(np.uint8)
    biased = np.minimum((magnitude >> 2) + 33, 0x1FFF)  # 14-bit magnitude with the bias of 33
    segment = np.floor(np.log2(biased)).astype(np.int32) - 4  # 1..8
    low = 0x0F - ((biased >> segment) & 0x0F)
    code = ((0x08 - segment) << 4) | low
    return np.where(x >= 0, code | 0x80, code).astype(np.uint8)


def g711_decode(code: np.ndarray, law: str) -> np.ndarray:
    """8-bit G.711 codes to 16-bit linear samples (the Recommendation's reconstruction values).

    Examples
    --------
    >>> g711_decode(np.array([213, 255, 128], dtype=np.uint8), "ulaw").tolist()
    [716, 0, 32124]
    """
    code = np.asarray(code).astype(np.int32)
    if law == "alaw":
        ix = code ^ 0x55
        exponent = (ix & 0x70) >> 4
        mantissa = ix & 0x0F
        mantissa = np.where(exponent > 0, mantissa + 16, mantissa)
        mantissa = (mantissa << 4) + 0x08
        mantissa = np.where(exponent > 1, mantissa << np.maximum(exponent - 1, 0), mantissa)
        return np.where(ix > 127, mantissa, -mantissa).astype(np.int16)
    inverted = ~code
    exponent = (inverted >> 4) & 0x07
    step = 4 << (exponent + 1)
    value = (0x80 << exponent) + step * (inverted & 0x0F) + step // 2 - 4 * 33
    return np.where(code < 0x80, -value, value).astype(np.int16)


@functools.cache
def _roundtrip(law, dtype):
    """Every 16-bit input's decoded G.711 value, as ``dtype``: float32 in [-1, 1), or the
    16-bit value itself (int16). One lookup per sample."""
    every = np.arange(-32768, 32768).astype(np.int16)
    decoded = g711_decode(g711_encode(every, law), law)
    return decoded if dtype == "int16" else (decoded / 32768.0).astype(np.float32)


def _codes_index(y):
    """Float samples to indices into the tables above: rounded 16-bit values, clipped."""
    scaled = np.asarray(y) * 32768.0
    np.rint(scaled, out=scaled)
    np.clip(scaled, -32768, 32767, out=scaled)
    index = scaled.astype(np.int32)
    index += 32768
    return index


def companded(y: np.ndarray, law: str) -> np.ndarray:
    """Float samples through G.711 and back (clipped to full scale), in ``y``'s float dtype."""
    x = np.asarray(y)
    out = _roundtrip(law, "float32").take(_codes_index(x))
    return out.astype(x.dtype if x.dtype.kind == "f" else np.float32, copy=False)


def companded_pcm16(y: np.ndarray, law: str) -> np.ndarray:
    """:func:`companded` as 16-bit samples (its values times 32768, exactly): what a G.711 WAV
    is written from (libsndfile codes these as it codes the floats, and at a third the cost)."""
    return _roundtrip(law, "int16").take(_codes_index(y))


# ------------------------------------------------------------------ Appendix I concealment

_HISTORY_MS = 48.75
_PITCH_MIN_HZ, _PITCH_MAX_HZ = 66.7, 200.0  # 120 and 40 samples at 8 kHz
_ATTENUATION_PER_10MS = 0.2
_SILENT_AFTER_MS = 60.0


def _pitch_period(history, sr):
    """The lag (samples) of the highest normalised cross-correlation of the last 20 ms with the
    history before it, between 5 and 15 ms (Appendix I's 40-120 samples at 8 kHz)."""
    lo, hi = int(round(sr / _PITCH_MAX_HZ)), int(round(sr / _PITCH_MIN_HZ))
    window = int(round(0.020 * sr))
    target = history[-window:]
    best, best_lag = -np.inf, hi
    windows = np.lib.stride_tricks.sliding_window_view(history, window)
    # candidate segment for lag L starts at len(history) - window - L
    starts = len(history) - window - np.arange(lo, hi + 1)
    starts = starts[starts >= 0]
    if not len(starts):
        return lo
    segs = windows[starts]
    energy = np.einsum("ij,ij->i", segs, segs)
    score = (segs @ target) / np.sqrt(np.maximum(energy, 1e-20))
    k = int(np.argmax(score))
    best, best_lag = score[k], lo + k
    return best_lag if np.isfinite(best) else hi


def conceal(y: np.ndarray, lost: np.ndarray, *, sr: int, frame: int) -> np.ndarray:
    """Replace the lost frames of decoded speech by G.711 Appendix I waveform substitution.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Decoded speech (the lost frames' content is ignored).
    lost : np.ndarray [shape=(frames,), dtype=bool]
        Which frames of ``frame`` samples were erased.
    sr : int
        Sample rate (the pitch range and the time constants are in ms, so 16 kHz works too).

    Returns
    -------
    np.ndarray
        A copy of ``y`` with the erasures concealed.
    """
    y = np.array(y, dtype=np.float64)
    n = len(y)
    history_len = int(round(_HISTORY_MS * sr / 1000))
    ten_ms = sr // 100
    f = 0
    while f < len(lost):
        if not lost[f]:
            f += 1
            continue
        start = f * frame
        end_frame = f
        while end_frame < len(lost) and lost[end_frame]:
            end_frame += 1
        stop = min(end_frame * frame, n)
        if start >= n:
            break
        history = y[max(0, start - history_len) : start]
        if len(history) < int(round(sr / _PITCH_MIN_HZ)) + int(round(0.020 * sr)):
            y[start:stop] = 0.0  # no speech before to copy: silence
            f = end_frame
            continue
        period = _pitch_period(history, sr)
        quarter = max(period // 4, 1)
        length = stop - start
        # the synthetic signal: the last period (then two, three) repeated, with OLA at the seams
        synthetic = np.zeros(length + quarter + 4 * ten_ms)
        periods_used = 1
        pos = 0
        while pos < len(synthetic):
            elapsed = pos // ten_ms
            periods_used = min(3, 1 + elapsed)
            span = period * periods_used
            source = history[-span:]
            chunk = source[: min(span, len(synthetic) - pos)]
            synthetic[pos : pos + len(chunk)] = chunk
            pos += len(chunk)
        # attenuation: 1 over the first 10 ms, then -20 % per 10 ms, silent after 60 ms
        t = np.arange(len(synthetic))
        gain = np.clip(1.0 - _ATTENUATION_PER_10MS * (t - ten_ms) / ten_ms, 0.0, 1.0)
        gain[t < ten_ms] = 1.0
        gain[t >= _SILENT_AFTER_MS * sr / 1000] = 0.0
        synthetic *= gain
        # overlap-add the last quarter period before the erasure with the synthetic's lead-in
        ramp = np.linspace(0.0, 1.0, quarter + 2)[1:-1]
        seam = y[start - quarter : start]
        lead = history[-period - quarter : -period] if period + quarter <= len(history) else seam
        y[start - quarter : start] = seam * (1 - ramp) + lead * ramp
        y[start:stop] = synthetic[:length]
        # into the first good frame: OLA of quarter period + 4 ms per extra erased 10 ms, <= 10 ms
        extra = (length - 1) // ten_ms
        tail = min(quarter + extra * (4 * sr // 1000), ten_ms, n - stop)
        if tail > 0:
            fade = np.linspace(1.0, 0.0, tail + 2)[1:-1]
            y[stop : stop + tail] = synthetic[length : length + tail] * fade + y[
                stop : stop + tail
            ] * (1 - fade)
        f = end_frame
    return y
