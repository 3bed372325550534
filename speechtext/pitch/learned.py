"""The learned pitch estimator: a small network that turns each frame into pitch candidates.

Input of one frame (at the 8 kHz working rate, the tracker's own frames): the CMNDF of the
signal and of its square over lags ``LAGS`` (the periodicity curves the classic tracker reads its
troughs from) and the log power spectrum 30-2000 Hz of the Hann-windowed frame (the harmonics),
standardised with the training set's mean and deviation. Output: a softmax over ``N_BINS`` pitch
bins of ``BIN_CENTS`` cents from ``BIN_LO`` Hz, plus one class for "no pitch". One hidden
layer (ReLU): inference is two matrix products per block of frames.

Candidates for the tracker's Viterbi: the ``k`` largest local maxima of the pitch posterior
inside the search range, each at the posterior-weighted mean of log-F0 over its +-2 bins (finer
than a bin, as CREPE does), with cost ``1 - mass / voiced mass`` (its share of the pitch
posterior, so the candidates compete apart from voicing). The voicing cues stay the classic
tracker's (periodicity, level, low-band share; the network's "no pitch" class is trained but not
used: mixing it into the periodicity lowered V->UV and raised UV->V, no better on PTDB-TUG); see
:mod:`speechtext.pitch`.

The weights (``models/pitch_mlp.npz``, package data) are made by ``scripts/train_pitch.py``
from ``scripts/make_pitch_data.py`` output: WORLD resyntheses with exactly known F0, never FDA,
Keele or PTDB-TUG (README, pitch section, for the recipe and the seed).
"""

from __future__ import annotations

import functools
import io

import numpy as np

from ..errors import SpeechTextError

__all__ = [
    "BIN_CENTS",
    "BIN_LO",
    "GEOMETRY",
    "LAGS",
    "MODEL_FILE",
    "N_BINS",
    "RANGE",
    "bin_frequencies",
    "candidates",
    "frequency_bins",
    "load_model",
    "network_inputs",
    "periodicity_curves",
    "posteriors",
]

GEOMETRY = (50.0, 550.0)  # fmin, fmax the front end's frames are cut for (fixed: the net saw them)
RANGE = (45.0, 600.0)  # Hz: the F0 range the network can report
BIN_LO = RANGE[0]
BIN_CENTS = 20.0
N_BINS = int(np.floor(1200 * np.log2(RANGE[1] / RANGE[0]) / BIN_CENTS)) + 1
LAGS = (10, 162)  # CMNDF lags (working samples) fed to the network: 800 Hz down to 49 Hz
SPEC_NFFT = 512
SPEC_BINS = (2, 129)  # rfft bins at 8 kHz: 31-2000 Hz
SPEC_FLOOR = 1e-6  # power relative to the frame's peak (60 dB down)
MODEL_FILE = "models/pitch_mlp.npz"
MIN_ROWS = 64
SPREAD = 2  # bins each side of a peak that make its mass and its refined F0


def bin_frequencies() -> np.ndarray:
    """Centre frequency in Hz of each pitch bin."""
    return BIN_LO * 2.0 ** (np.arange(N_BINS) * BIN_CENTS / 1200)


def frequency_bins(f0: np.ndarray) -> np.ndarray:
    """Class of each frame's F0 for training: its nearest bin, ``N_BINS`` for 0 (unvoiced)."""
    f0 = np.asarray(f0, np.float64)
    voiced = f0 > 0
    cents = 1200 * np.log2(np.where(voiced, f0, BIN_LO) / BIN_LO)
    bins = np.clip(np.round(cents / BIN_CENTS), 0, N_BINS - 1).astype(np.int64)
    return np.where(voiced, bins, N_BINS)


def periodicity_curves(frames, squared, corr_x, corr_sq, *, window, tmax):
    """CMNDF of the signal and of the squared signal per frame -> float64 [2, n, tmax + 1].

    ``frames``, ``squared``: the front end's signal and squared-signal frames at 8 kHz;
    ``corr_*`` their head-window correlations; ``window``, ``tmax`` the frame geometry.
    """
    from . import kernels

    curves = np.empty((2, len(frames), tmax + 1))
    kernels.cmndf_frames(frames, corr_x, window, tmax, curves[0])
    kernels.cmndf_frames(squared, corr_sq, window, tmax, curves[1])
    return curves


@functools.lru_cache(maxsize=4)
def _taper(length):
    return np.hanning(length).astype(np.float32)


def network_inputs(frames, curves):
    """The network's input per frame, unstandardised -> float32 [n, features]: the
    :func:`periodicity_curves` over ``LAGS`` and the log spectrum of the ``frames``."""
    import scipy.fft

    spec = scipy.fft.rfft(frames * _taper(frames.shape[1]), SPEC_NFFT, axis=1, workers=1)
    power = np.square(spec.real) + np.square(spec.imag)
    power = power[:, SPEC_BINS[0] : SPEC_BINS[1]]
    power /= power.max(axis=1, keepdims=True) + 1e-20
    logspec = np.log10(power + SPEC_FLOOR)
    lo, hi = LAGS
    return np.concatenate(
        [curves[0][:, lo:hi], curves[1][:, lo:hi], logspec], axis=1, dtype=np.float32
    )


@functools.lru_cache(maxsize=1)
def load_model() -> dict[str, np.ndarray]:
    """The shipped weights (read once per process)."""
    from importlib import resources

    try:
        data = (resources.files(__package__) / MODEL_FILE).read_bytes()
    except FileNotFoundError:
        raise SpeechTextError(
            f"the learned pitch model {MODEL_FILE} is missing from the installed speechtext; "
            "reinstall it, or train one with scripts/train_pitch.py"
        ) from None
    with np.load(io.BytesIO(data)) as npz:
        return {key: npz[key] for key in npz.files}


def posteriors(inputs: np.ndarray, model: dict[str, np.ndarray]) -> np.ndarray:
    """Softmax over pitch bins and "no pitch" [n, N_BINS + 1] for unstandardised inputs."""
    n = len(inputs)
    # at least MIN_ROWS rows: BLAS may take another summation order for a few rows, and a
    # stream's blocks should give the frames the values of the whole file (bit for bit with
    # AVX-512's kernels; AVX2's order depends on the rows anyway: float32 rounding)
    if n < MIN_ROWS:
        inputs = np.concatenate([inputs, np.zeros((MIN_ROWS - n, inputs.shape[1]), inputs.dtype)])
    x = (inputs - model["mean"]) * model["inv_std"]
    layers = sorted(k for k in model if k.startswith("w"))
    for i, name in enumerate(layers):
        x = x @ model[name] + model["b" + name[1:]]
        if i < len(layers) - 1:
            np.maximum(x, 0.0, out=x)
    x -= x.max(axis=1, keepdims=True)
    np.exp(x, out=x)
    x /= x.sum(axis=1, keepdims=True)
    return x[:n]


def candidates(posterior, *, k, fmin, fmax, wsr, tmax):
    """Pitch candidates for the Viterbi -> (lag [n, k] float32, cost [n, k] float32).

    Lags in working samples (``wsr / F0``), costs ``1 - mass / voiced mass``; the k largest
    local maxima of the pitch posterior with F0 inside ``fmin..fmax``, sorted by cost; missing
    ones get cost inf and lag ``tmax`` (as the classic tracker's missing troughs).
    """
    from . import kernels

    n = len(posterior)
    step = np.log(2) * BIN_CENTS / 1200
    b_lo = int(np.ceil(1200 * np.log2(fmin / BIN_LO) / BIN_CENTS - 1e-9))
    b_hi = min(int(np.floor(1200 * np.log2(fmax / BIN_LO) / BIN_CENTS + 1e-9)), N_BINS - 1)
    lag = np.empty((n, k), np.float32)
    cost = np.empty((n, k), np.float32)
    kernels.peak_candidates(
        posterior, N_BINS, np.log(BIN_LO), step, SPREAD, b_lo, b_hi, wsr, tmax, lag, cost
    )
    return lag, cost
