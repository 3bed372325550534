"""Telephone channel: any audio to 8 kHz through the telephone band, optionally G.711-companded.

Audio arrays are ``(n,)`` or ``(n, channels)`` (frames first, soundfile's layout); channels-first
arrays, librosa's ``(channels, n)``, are refused with a message to pass ``y.T``.

The chain is: downmix to mono -> resample to 8 kHz with soxr (high quality: its anti-alias filter
rejects everything above 4 kHz by more than 100 dB) -> band-pass FIR at 8 kHz -> optional G.711.

Presets (levels relative to a 1020 Hz tone, as measured by ``bench/telephone.py``):

``"g712"`` (default)
    A real PCM telephone channel after ITU-T G.712: flat (within 0.2 dB) from 300 to 3400 Hz, a
    gentle 5th-order roll-off below (about -5 dB at 200 Hz and -33 dB at 100 Hz, as the ITU-T STL
    reference filter), hum at 50/60 Hz down by more than 50 dB, -15 dB at 3800 Hz and -55 dB at
    3900 Hz.
``"narrow"``
    The harsh channel people build with a Butterworth band-pass or ``sox sinc 300-3400``: -3 dB
    at 300 and at 3400 Hz, flat from 400 to 3000 Hz, about -28 dB at 200 Hz and -32 dB at 3800 Hz.
``band=(low, high)``
    The ``narrow`` shape with its -3 dB edges at ``low`` and ``high`` Hz.

**Phase.** The band-pass is a linear-phase FIR whose delay is removed, so the filter is
*zero-phase*: output sample ``k`` lines up with input time ``k / 8000`` s. A real line is causal and
adds a few milliseconds of delay and some phase distortion below 300 Hz, but neither changes what
ASR or pitch trackers see, while a shifted signal would break every time alignment (word and
phone boundaries, reference F0, slot timings) that comes with the data. Magnitude is what the
channel model gets right; timing is kept.
"""

from __future__ import annotations

import functools
import io
import os
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

from .errors import AudioError, ParameterError
from .io.audio import AudioWriter, as_float_mono, audio_info, iter_blocks

__all__ = [
    "PRESETS",
    "TELEPHONE_SR",
    "TelephoneChannel",
    "channel_filter",
    "check_params",
    "firwin2",
    "target_gain",
    "telephone_file",
    "to_telephone",
]

TELEPHONE_SR = 8000
PRESETS = ("g712", "narrow")
CODECS = ("ulaw", "alaw")
FFT_SIZE = 8192  # overlap-save frame: 7168 new samples per FFT with 1025 taps
NUMTAPS = 1025  # 128 ms at 8 kHz: fine enough to place a -3 dB edge within 0.1 dB down to 100 Hz


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
    >>> gain = target_gain(np.array([200.0]), "g712")  # G.712's roll-off: -5 dB at 200 Hz
    >>> round(float(20 * np.log10(gain[0])), 1)
    -5.0
    """
    if band is not None:
        low, high = band
        return _butter_highpass(f, low, 8) * _butter_lowpass(f, high, 30)
    if preset == "narrow":
        return _butter_highpass(f, 300.0, 8) * _butter_lowpass(f, 3400.0, 30)
    # g712: a 5th-order high-pass placed at -5 dB for 200 Hz, and a raised-cosine top edge that is
    # flat to 3500 Hz and closed at 3950 Hz (G.712's mask asks for at least 14 dB at 4 kHz).
    fc = 200.0 * (10**0.5 - 1) ** (1 / 10)
    top = np.clip((f - 3500.0) / 450.0, 0.0, 1.0)
    return _butter_highpass(f, fc, 5) * 0.5 * (1 + np.cos(np.pi * top))


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
    """Linear-phase FIR taps (``NUMTAPS``, at 8 kHz) of a preset or of a custom ``band``.

    Examples
    --------
    >>> channel_filter("narrow").shape
    (1025,)
    """
    band = check_params(preset=preset, band=band)
    freqs = np.linspace(0.0, TELEPHONE_SR / 2, 4097)
    gains = target_gain(freqs, preset, band)
    gains[0] = 0.0
    return firwin2(NUMTAPS, freqs, gains, fs=TELEPHONE_SR, beta=6.0)


@functools.lru_cache(maxsize=64)
def _taps_spectrum(key, nfft):
    return np.fft.rfft(channel_filter(*key), nfft)


def check_params(
    *,
    sr: float = TELEPHONE_SR,
    preset: str = "g712",
    band: Sequence[float] | None = None,
    codec: str | None = None,
) -> tuple[float, float] | None:
    """Check the channel settings; return ``band`` as a float pair (or None).

    The stages' settings are checked once by this (the pipeline checks a spec before any file).

    Raises
    ------
    ParameterError
        Naming the setting and what would work.

    Examples
    --------
    >>> check_params(preset="narrow", band=(300, 3000))
    (300.0, 3000.0)
    """
    if not isinstance(sr, (int, float, np.integer, np.floating)) or not sr > 0:
        raise ParameterError(f"sr={sr!r} must be a positive sample rate in Hz")
    if preset not in PRESETS:
        raise ParameterError(f"preset={preset!r} is not a preset; use one of {', '.join(PRESETS)}")
    if codec not in (None, *CODECS):
        raise ParameterError(f"codec={codec!r} is not a G.711 codec; use 'ulaw', 'alaw' or None")
    if band is not None:
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
    """Streaming telephone channel: feed blocks at ``sr``, get 8 kHz blocks back.

    Output is aligned with the input (the FIR delay is removed) and, after :meth:`flush`, has
    ``round(n * 8000 / sr)`` samples (+/-1) for ``n`` input samples, however the input was split.

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
        band = check_params(sr=sr, preset=preset, band=band)
        if sr < TELEPHONE_SR:
            warnings.warn(
                f"input at {sr:g} Hz is below 8 kHz: upsampled, but it holds nothing above "
                f"{sr / 2:g} Hz",
                stacklevel=2,
            )
        self.sr = sr
        self.dtype = np.dtype(dtype)
        self._filter_key = (preset, band)
        self._taps = channel_filter(preset, band)
        self._resampler = None
        if sr != TELEPHONE_SR:
            import soxr

            self._resampler = soxr.ResampleStream(sr, TELEPHONE_SR, 1, dtype=self.dtype.name)
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
        frames = np.lib.stride_tricks.sliding_window_view(x, nfft)[::hop]
        spectrum = np.fft.rfft(frames, axis=1) * _taps_spectrum(self._filter_key, nfft)
        # each frame's first `overlap` outputs hold circular wrap-around: drop them
        y = np.fft.irfft(spectrum, nfft, axis=1)[:, overlap:].reshape(-1)[:n]
        if self._to_drop:
            cut = min(self._to_drop, len(y))
            y, self._to_drop = y[cut:], self._to_drop - cut
        return y.astype(self.dtype, copy=False)

    def process(self, block: np.ndarray) -> np.ndarray:
        """Filter the next input block; return the 8 kHz samples that are ready.

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


def _g711(y, codec):
    """Encode and decode with G.711 (libsndfile's ITU tables); return samples and clip count."""
    import soundfile

    clipped = int(np.count_nonzero(np.abs(y) > 1.0))
    buf = io.BytesIO()
    soundfile.write(buf, np.clip(y, -1.0, 1.0), TELEPHONE_SR, format="WAV", subtype=codec.upper())
    buf.seek(0)
    decoded, _ = soundfile.read(buf, dtype=y.dtype if y.dtype == np.float64 else "float32")
    return decoded, clipped


def to_telephone(
    y: np.ndarray,
    *,
    sr: float,
    preset: str = "g712",
    band: Sequence[float] | None = None,
    codec: str | None = None,
) -> np.ndarray:
    """Pass audio through a telephone channel and return it at 8 kHz.

    Parameters
    ----------
    y : np.ndarray [shape=(n,) or (n, channels)]
        Audio, frames first as soundfile reads it; channels are averaged to mono, integer
        samples scaled to [-1, 1). Channels-first audio, ``(channels, n)`` as
        ``librosa.load(mono=False)`` gives it, is refused: pass ``y.T``.
    sr : number > 0
        Sample rate of ``y`` in Hz. 8000 is only filtered; below 8000 is upsampled with a warning.
    preset : {"g712", "narrow"}
        Channel shape (see the module docs); ignored when ``band`` is given.
    band : (low, high) or None
        Custom band-pass with -3 dB edges at ``low`` and ``high`` Hz, ``0 < low < high < 4000``.
    codec : {None, "ulaw", "alaw"}
        Apply G.711 8-bit companding (encode then decode). Samples beyond full scale are clipped
        by the codec, and a warning gives their count.

    Returns
    -------
    np.ndarray [shape=(round(n * 8000 / sr),)]
        Float samples at 8 kHz, zero-phase (aligned with the input), same float dtype as ``y``
        (float32 for integer input). Without a codec, values may exceed 1.0; nothing is clipped.

    Raises
    ------
    ParameterError
        Unknown preset or codec, bad band or sample rate.
    AudioError
        Empty input, too short for one output sample, NaN/inf samples, channels-first or
        mis-shaped audio, or samples that are not numbers.

    Examples
    --------
    Downsample 16 kHz speech to a G.712 telephone channel with mu-law companding:

    >>> import numpy as np
    >>> y = np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 0.1
    >>> to_telephone(y, sr=16000, codec="ulaw").shape
    (8000,)
    """
    check_params(sr=sr, preset=preset, band=band, codec=codec)
    y = as_float_mono(y)
    if not len(y):
        raise AudioError("audio holds no samples; nothing to convert")
    if not np.isfinite(y).all():
        first = int(np.flatnonzero(~np.isfinite(y))[0])
        raise AudioError(
            f"audio holds NaN or infinite samples (first at sample {first}); repair it"
        )
    if round(len(y) * TELEPHONE_SR / sr) < 1:
        raise AudioError(
            f"audio of {len(y)} samples at {sr:g} Hz is shorter than one sample at 8 kHz"
        )
    channel = TelephoneChannel(sr=sr, preset=preset, band=band, dtype=y.dtype)
    out = np.concatenate([channel.process(y), channel.flush()])
    if codec:
        out, clipped = _g711(out, codec)
        if clipped:
            warnings.warn(
                f"{clipped} samples beyond full scale were clipped by the {codec} codec; "
                "lower the input level",
                stacklevel=2,
            )
    return out


def telephone_file(
    source: str | os.PathLike,
    target: str | os.PathLike,
    *,
    preset: str = "g712",
    band: Sequence[float] | None = None,
    codec: str | None = None,
    decoded: bool = False,
    block_seconds: float = 30.0,
) -> dict[str, Any]:
    """Convert one audio file to a telephone-channel 8 kHz WAV, in blocks of bounded memory.

    Parameters
    ----------
    source, target : path
        Input (any format soundfile reads) and output WAV; ``target`` is written atomically.
    preset, band, codec
        As in :func:`to_telephone`.
    decoded : bool
        With a codec: write the companded signal decoded to PCM16 instead of a G.711 WAV.
    block_seconds : float
        Input read per block; memory is bounded by a few blocks whatever the file's length.

    Returns
    -------
    dict
        ``duration`` (input seconds), ``frames`` (output samples), ``peak`` and ``clipped``
        (output samples beyond full scale, clipped when written; a warning says how many).
    """
    check_params(preset=preset, band=band, codec=codec)
    info = audio_info(source)
    if round(info.frames * TELEPHONE_SR / info.sr) < 1:
        raise AudioError(
            f"{source}: {info.frames} samples at {info.sr} Hz is shorter than one sample at 8 kHz"
        )
    channel = TelephoneChannel(sr=info.sr, preset=preset, band=band)
    store_codec = None if decoded else codec
    with AudioWriter(target, TELEPHONE_SR, codec=store_codec) as writer:

        def emit(out):
            if codec and decoded:
                out, clipped = _g711(out, codec)
                writer.clipped += clipped
            writer.write(out)

        for block in iter_blocks(source, seconds=block_seconds, info=info):
            emit(channel.process(block))
        emit(channel.flush())
    if writer.clipped:
        warnings.warn(
            f"{source}: {writer.clipped} output samples beyond full scale were clipped "
            f"(peak {writer.peak:.2f}); lower the input level",
            stacklevel=2,
        )
    return {
        "duration": info.duration,
        "frames": writer.frames,
        "peak": writer.peak,
        "clipped": writer.clipped,
    }
