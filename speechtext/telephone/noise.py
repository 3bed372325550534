"""Background noise: white, pink, babble or recordings, mixed at an SNR against the P.56 level.

The SNR is the speech's P.56 active level (:mod:`.level`) over the noise's mean power (its P.56
active level for babble, which pauses as speech does). Noise is added where it is in a real call,
at the handset, before the band and the codec. Every choice (the generated samples, which
recording, where in it, which talkers make the babble) comes from the ``rng`` given, so a seed
gives the same mixture every time.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import numpy as np

from ..errors import ParameterError
from .level import active_level

__all__ = ["BABBLE_TALKERS", "GENERATED", "check_noise", "make_noise", "mix_at_snr"]

GENERATED = ("white", "pink", "babble")
BABBLE_TALKERS = 6


def check_noise(noise, snr) -> None:
    """ParameterError for a noise without an SNR or an SNR that is not a number."""
    if noise is None:
        if snr is not None:
            raise ParameterError("snr= needs a noise (noise='white', 'pink', 'babble' or a folder)")
        return
    if not isinstance(noise, (str, os.PathLike)):
        raise ParameterError(f"noise={noise!r} must be 'white', 'pink', 'babble' or a folder")
    if snr is None or not isinstance(snr, (int, float)) or not -20 <= snr <= 60:
        raise ParameterError(f"snr={snr!r} must be an SNR in dB between -20 and 60, e.g. 10")
    if str(noise) not in GENERATED and not os.path.isdir(noise):
        raise ParameterError(
            f"noise={str(noise)!r} is neither 'white', 'pink', 'babble' nor a folder of noise "
            "recordings"
        )


def _pink(n, rng):
    """1/f noise: white noise shaped by 1/sqrt(f) in the frequency domain."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(len(spectrum), dtype=np.float64)
    f[0] = 1.0
    return np.fft.irfft(spectrum / np.sqrt(f), n)


def _excerpt(y, n, rng):
    """``n`` samples of ``y`` from a random place, looped if ``y`` is shorter."""
    if len(y) < n:
        y = np.tile(y, -(-n // len(y)) + 1)
    start = int(rng.integers(0, len(y) - n + 1))
    return y[start : start + n]


def _read(path, sr):
    from ..io.audio import read_audio

    y, file_sr = read_audio(path)
    if file_sr != sr:
        import soxr

        y = soxr.resample(y, file_sr, sr, quality="HQ")
    return np.asarray(y, dtype=np.float64)


def make_noise(
    kind: str | os.PathLike,
    n: int,
    *,
    sr: float,
    rng: np.random.Generator,
    pool: Sequence[str | os.PathLike] = (),
) -> np.ndarray:
    """``n`` samples of noise at ``sr``.

    Parameters
    ----------
    kind : {"white", "pink", "babble"} or a folder
        ``"babble"`` sums ``BABBLE_TALKERS`` recordings drawn from ``pool`` (the CLI gives the
        other inputs: the folder's own speech); a folder gives one of its audio files (searched
        recursively), from a random place in it.
    pool : sequence of paths
        The recordings babble is made of.
    """
    if kind == "white":
        return rng.standard_normal(n)
    if kind == "pink":
        return _pink(n, rng)
    if kind == "babble":
        if not pool:
            raise ParameterError(
                "noise='babble' is made of other recordings: give them (the CLI uses its other "
                "inputs, so give at least two files)"
            )
        picks = rng.choice(len(pool), size=min(BABBLE_TALKERS, len(pool)), replace=False)
        return np.sum([_excerpt(_read(pool[k], sr), n, rng) for k in sorted(picks)], axis=0)
    from ..io.audio import AUDIO_EXTENSIONS

    files = sorted(
        os.path.join(root, name)
        for root, _, names in os.walk(kind)
        for name in names
        if os.path.splitext(name)[1].lower() in AUDIO_EXTENSIONS
    )
    if not files:
        raise ParameterError(f"noise={str(kind)!r}: the folder holds no audio files")
    return _excerpt(_read(files[int(rng.integers(len(files)))], sr), n, rng)


def mix_at_snr(speech: np.ndarray, noise: np.ndarray, *, snr: float, sr: float, babble: bool):
    """``speech + g * noise`` with ``g`` setting the SNR; silent speech is returned as it is."""
    speech_level, _ = active_level(speech, sr=sr)
    if not math.isfinite(speech_level):
        return speech
    if babble:
        noise_level, _ = active_level(noise, sr=sr)
    else:
        power = float(np.mean(noise**2))
        noise_level = 10 * math.log10(power) if power > 0 else -math.inf
    if not math.isfinite(noise_level):
        return speech
    gain = 10 ** ((speech_level - snr - noise_level) / 20)
    return speech + gain * noise
