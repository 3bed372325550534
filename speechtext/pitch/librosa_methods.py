"""librosa's pyin and yin as pitch methods, on speechtext's frame grid (for comparison).

Frames are centred at ``k * hop`` seconds like speechtext's own (librosa's ``center=True``
framing, read at the nearest librosa frame when ``hop * sr`` is not a whole number of samples).
The analysis frame is the shortest power of two holding 2.2 periods of ``fmin`` (librosa needs
two). ``yin`` has no voicing decision (librosa gives an F0 for every frame): every frame is voiced,
with confidence 1. ``pyin``'s confidence is its voiced probability. The audio is analysed whole
(librosa has no streaming form): memory grows with the file, unlike the default method.
"""

from __future__ import annotations

import numpy as np

from ..errors import SpeechTextError
from ..types import F0Track

__all__ = ["METHODS", "check_available", "librosa_f0"]

METHODS = ("pyin", "yin")


def check_available() -> None:
    """Raise SpeechTextError, saying how to install it, when librosa is missing."""
    _librosa()


def _librosa():
    try:
        import librosa
    except ImportError:
        raise SpeechTextError(
            "the pyin and yin pitch methods need librosa; install it with: "
            "pip install 'speechtext[librosa]'"
        ) from None
    return librosa


def frame_length(sr: float, fmin: float) -> int:
    """Samples per analysis frame: the shortest power of two holding 2.2 periods of fmin."""
    return 1 << int(np.ceil(np.log2(2.2 * sr / fmin)))


def librosa_f0(
    y: np.ndarray, *, sr: float, fmin: float, fmax: float, hop: float, n_frames: int, method: str
) -> F0Track:
    """``librosa.pyin`` or ``librosa.yin`` over mono float audio -> an F0Track of n_frames."""
    librosa = _librosa()
    hop_length = max(1, int(round(hop * sr)))
    frame = frame_length(sr, fmin)
    y = np.asarray(y, np.float32)
    if len(y) < frame:  # librosa pads only by half a frame: give it one whole frame
        y = np.pad(y, (0, frame - len(y)))
    common = dict(fmin=fmin, fmax=fmax, sr=sr, frame_length=frame, hop_length=hop_length)
    if method == "pyin":
        f0, voiced, probability = librosa.pyin(y, **common)
        f0 = np.nan_to_num(f0)
        confidence = np.nan_to_num(probability)
    else:
        f0 = librosa.yin(y, **common)
        voiced = np.ones(len(f0), bool)
        confidence = np.ones(len(f0))
    times = np.arange(n_frames) * hop
    j = np.clip(np.round(times * sr / hop_length).astype(int), 0, len(f0) - 1)
    voiced = np.asarray(voiced, bool)[j] & (f0[j] > 0)
    f0 = np.where(voiced, f0[j], 0.0).astype(np.float64)
    return F0Track(times, f0, voiced, np.asarray(confidence, np.float64)[j], hop)
