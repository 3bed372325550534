"""The channel's band: downmix, resample to the channel rate with soxr, band-pass FIR.

Audio arrays are ``(n,)`` or ``(n, channels)`` (frames first, soundfile's layout); channels-first
arrays, librosa's ``(channels, n)``, are refused with a message to pass ``y.T``.

Band presets (levels relative to a 1020 Hz tone, as measured by ``bench/telephone.py``):

``"g712"`` (default, 8 kHz)
    A real PCM telephone channel after ITU-T G.712, inside the CCITT G.712 transmit mask of a
    PCM codec's datasheet (TI TP3054A, SCTS026C, "transmit filter gain, relative": at most -40,
    -30, -26 dB at 16, 50, 60 Hz; -1.8..-0.1 dB at 200 Hz; +/-0.15 dB from 300 to 3000 Hz;
    -0.35..+0.05 at 3300, -0.8..0 at 3400, at most -14 dB at 4000 Hz, -32 dB from 4600 Hz) and
    within 0.5 dB of the ITU-T STL's 8 kHz cascade G.712 filter from 300 to 3400 Hz (both
    tested): flat within 0.05 dB from 300 to 3400 Hz, a 4th-order roll-off below (-1 dB at
    200 Hz, -18 dB at 100 Hz, -35 dB at 60 Hz), -12 dB at 3800 Hz, -30 dB at 3900 Hz.
``"narrow"`` (8 kHz)
    The harsh channel people build with a Butterworth band-pass (8th order at 300 Hz, 30th at
    3400 Hz): -3 dB at 300 and at 3400 Hz, flat from 400 to 3000 Hz, about -28 dB at 200 Hz and
    -32 dB at 3800 Hz. (``sox sinc 300-3400`` is gentler: -6 dB edges, -11 dB at 200 Hz.)
``"wideband"`` (16 kHz)
    The HD-voice (G.722) band, 50-7000 Hz: -3 dB at 50 Hz (5th order), flat to 7000 Hz and
    closed at 7900 Hz.
``band=(low, high)``
    The ``narrow`` shape with its -3 dB edges at ``low`` and ``high`` Hz.

**Phase.** The band-pass is a linear-phase FIR whose delay is removed, so the filter is
*zero-phase*: output sample ``k`` lines up with input time ``k / rate`` s. A real line is causal
and adds a few milliseconds of delay and some phase distortion below 300 Hz, but neither changes
what ASR or pitch trackers see, while a shifted signal would break every time alignment (word and
phone boundaries, reference F0, slot timings) that comes with the data.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

from ..errors import ParameterError
from ..io.audio import as_float_mono

__all__ = [
    "NUMTAPS",
    "PRESETS",
    "TELEPHONE_SR",
    "WIDEBAND_SR",
    "TelephoneChannel",
    "channel_filter",
    "channel_rate",
    "check_band",
    "firwin2",
    "target_gain",
]

TELEPHONE_SR = 8000
WIDEBAND_SR = 16000
PRESETS = ("g712", "narrow", "wideband")
FFT_SIZE = 8192  # overlap-save frame: 7168 new samples per FFT with 1025 taps
NUMTAPS = 1025  # 128 ms at 8 kHz: fine enough to place a -3 dB edge within 0.1 dB down to 100 Hz


def channel_rate(preset: str = "g712") -> int:
    """The sample rate a band preset runs at: 16000 for ``"wideband"``, else 8000."""
    return WIDEBAND_SR if preset == "wideband" else TELEPHONE_SR


def _numtaps(rate):
    return NUMTAPS if rate == TELEPHONE_SR else 2 * NUMTAPS - 1  # 128 ms at either rate


def _butter_highpass(f, fc, order):
    with np.errstate(divide="ignore"):
        return 1.0 / np.sqrt(1.0 + (fc / np.maximum(f, 1e-9)) ** (2 * order))


def _butter_lowpass(f, fc, order):
    return 1.0 / np.sqrt(1.0 + (f / fc) ** (2 * order))


def target_gain(
    f: np.ndarray, preset: str = "g712", band: tuple[float, float] | None = None
) -> np.ndarray:
    """The magnitude response each channel aims at, on frequencies ``f`` in Hz.

    Examples
    --------
    >>> gain = target_gain(np.array([200.0]), "g712")  # G.712's roll-off: -1 dB at 200 Hz
    >>> round(float(20 * np.log10(gain[0])), 1)
    -1.0
    """
    if band is not None:
        low, high = band
        return _butter_highpass(f, low, 8) * _butter_lowpass(f, high, 30)
    if preset == "narrow":
        return _butter_highpass(f, 300.0, 8) * _butter_lowpass(f, 3400.0, 30)
    if preset == "wideband":
        top = np.clip((f - 7000.0) / 900.0, 0.0, 1.0)
        return _butter_highpass(f, 50.0, 5) * 0.5 * (1 + np.cos(np.pi * top))
    # g712: a 4th-order high-pass placed at -1 dB for 200 Hz (the middle of the TP3054A mask's
    # -1.8..-0.1 dB there), and a raised-cosine top edge that is flat to 3500 Hz and closed at
    # 3950 Hz (the mask asks for at least 14 dB at 4 kHz)
    fc = 200.0 * (10**0.1 - 1) ** (1 / 8)
    top = np.clip((f - 3500.0) / 450.0, 0.0, 1.0)
    return _butter_highpass(f, fc, 4) * 0.5 * (1 + np.cos(np.pi * top))


def firwin2(
    numtaps: int, freqs: Sequence[float], gains: Sequence[float], *, fs: float, beta: float
) -> np.ndarray:
    """Frequency-sampling FIR design with a Kaiser window: ``scipy.signal.firwin2`` for an odd
    (type I) filter, step for step (tests check equality). Written out because importing
    scipy.signal costs 0.7-2 s, many times the conversion of a typical folder (bench/telephone.py).

    Examples
    --------
    >>> taps = firwin2(101, [0, 1000, 2000, 4000], [0, 1, 1, 0], fs=8000, beta=6.0)
    >>> taps.shape, bool(np.allclose(taps, taps[::-1]))
    ((101,), True)
    """
    nfreqs = 1 + 2 ** int(np.ceil(np.log2(numtaps)))
    x = np.linspace(0.0, 1.0, nfreqs)
    fx = np.interp(x, np.asarray(freqs) / (fs / 2), gains)
    fx = fx * np.exp(-(numtaps - 1) / 2.0 * 1j * np.pi * x)
    return np.fft.irfft(fx)[:numtaps] * np.kaiser(numtaps, beta)


@functools.lru_cache(maxsize=16)
def channel_filter(preset: str = "g712", band: tuple[float, float] | None = None) -> np.ndarray:
    """Linear-phase FIR taps (128 ms, at the preset's rate) of a preset or of a custom ``band``.

    Examples
    --------
    >>> channel_filter("narrow").shape, channel_filter("wideband").shape
    ((1025,), (2049,))
    """
    band = check_band(preset=preset, band=band)
    rate = channel_rate(preset)
    freqs = np.linspace(0.0, rate / 2, 4097)
    gains = target_gain(freqs, preset, band)
    gains[0] = 0.0
    return firwin2(_numtaps(rate), freqs, gains, fs=rate, beta=6.0)


@functools.lru_cache(maxsize=64)
def _taps_spectrum(key, nfft):
    return np.fft.rfft(channel_filter(*key), nfft)


def check_band(
    *, sr: float = TELEPHONE_SR, preset: str = "g712", band: Sequence[float] | None = None
) -> tuple[float, float] | None:
    """Check the band settings; return ``band`` as a float pair (or None).

    Raises
    ------
    ParameterError
        Naming the setting and what would work.

    Examples
    --------
    >>> check_band(preset="narrow", band=(300, 3000))
    (300.0, 3000.0)
    """
    if not isinstance(sr, (int, float, np.integer, np.floating)) or not sr > 0:
        raise ParameterError(f"sr={sr!r} must be a positive sample rate in Hz")
    if preset not in PRESETS:
        raise ParameterError(f"preset={preset!r} is not a preset; use one of {', '.join(PRESETS)}")
    if band is not None:
        if preset == "wideband":
            raise ParameterError("band= is an 8 kHz band; it does not go with preset='wideband'")
        try:
            low, high = (float(x) for x in band)
        except (TypeError, ValueError):
            raise ParameterError(f"band={band!r} must be a pair (low, high) in Hz") from None
        if not 0 < low < high < TELEPHONE_SR / 2:
            raise ParameterError(
                f"band=({low:g}, {high:g}) must satisfy 0 < low < high < 4000 Hz "
                "(the Nyquist frequency at 8 kHz), e.g. band=(300, 3400)"
            )
        return low, high
    return None


class TelephoneChannel:
    """Streaming telephone band: feed blocks at ``sr``, get blocks at the channel rate back.

    Output is aligned with the input (the FIR delay is removed) and, after :meth:`flush`, has
    ``round(n * rate / sr)`` samples (+/-1) for ``n`` input samples, however the input was split;
    ``rate`` is 8000 (16000 for ``preset="wideband"``). Codecs, loss, level and noise are
    :func:`~speechtext.telephone.to_telephone`'s.

    Examples
    --------
    >>> channel = TelephoneChannel(sr=48000)
    >>> out = np.concatenate([channel.process(block) for block in blocks] + [channel.flush()])
    ... # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        sr: float,
        preset: str = "g712",
        band: Sequence[float] | None = None,
        dtype: npt.DTypeLike = np.float32,
    ) -> None:
        band = check_band(sr=sr, preset=preset, band=band)
        self.rate = channel_rate(preset)
        if sr < self.rate:
            warnings.warn(
                f"input at {sr:g} Hz is below {self.rate / 1000:g} kHz: upsampled, but it holds "
                f"nothing above {sr / 2:g} Hz",
                stacklevel=2,
            )
        self.sr = sr
        self.dtype = np.dtype(dtype)
        self._filter_key = (preset, band)
        self._taps = channel_filter(preset, band)
        self._resampler = None
        if sr != self.rate:
            import soxr

            self._resampler = soxr.ResampleStream(sr, self.rate, 1, dtype=self.dtype.name)
        self._history = np.zeros(len(self._taps) - 1, dtype=self.dtype)
        self._to_drop = (len(self._taps) - 1) // 2  # the FIR's delay, removed from the front

    def _filter(self, z):
        """Overlap-save FFT convolution of the new samples with the taps, delay removed."""
        if not len(z):
            return z
        n, overlap = len(z), len(self._taps) - 1
        # FFT frames of at most 8192 samples (cache-friendly), fewer for short input
        nfft = min(FFT_SIZE, 1 << (overlap + n - 1).bit_length())
        hop = nfft - overlap
        frames_needed = -(-n // hop)
        x = np.concatenate([self._history, z, np.zeros(frames_needed * hop - n, z.dtype)])
        self._history = x[n : n + overlap]
        step = x.strides[0]  # frames overlapping by `overlap`, as views (as_strided: cheaper)
        frames = np.lib.stride_tricks.as_strided(
            x, (frames_needed, nfft), (hop * step, step), writeable=False
        )
        spectrum = np.fft.rfft(frames, axis=1) * _taps_spectrum(self._filter_key, nfft)
        # each frame's first `overlap` outputs hold circular wrap-around: drop them
        y = np.fft.irfft(spectrum, nfft, axis=1)[:, overlap:].astype(self.dtype).reshape(-1)[:n]
        if self._to_drop:
            cut = min(self._to_drop, len(y))
            y, self._to_drop = y[cut:], self._to_drop - cut
        return y

    def process(self, block: np.ndarray) -> np.ndarray:
        """Filter the next input block; return the samples at the channel rate that are ready.

        Parameters
        ----------
        block : np.ndarray [shape=(n,) or (n, channels)]
            The next samples at ``sr``: frames first, as soundfile reads them (channels are
            averaged, integer samples scaled to [-1, 1)). Channels-first blocks,
            ``(channels, n)`` as ``librosa.load(mono=False)`` gives them, are refused: pass
            ``block.T`` (see :func:`speechtext.io.audio.as_float_mono`).

        Raises
        ------
        AudioError
            Channels-first or mis-shaped block, or samples that are not numbers.
        """
        block = np.asarray(as_float_mono(block), dtype=self.dtype)
        return self._filter(self._resampler.resample_chunk(block) if self._resampler else block)

    def flush(self) -> np.ndarray:
        """Return the last samples once all input has been given."""
        empty = np.zeros(0, self.dtype)
        z = self._resampler.resample_chunk(empty, last=True) if self._resampler else empty
        # zeros push the FIR's last (delay-many) outputs out
        return self._filter(np.concatenate([z, np.zeros(len(self._taps) // 2, self.dtype)]))
