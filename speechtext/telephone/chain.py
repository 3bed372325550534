"""The whole phone line: noise -> band -> P.56 level -> codec with packet loss, seeded per file.

The order is the call's: background noise is at the handset (added at the input's rate, at an SNR
against the speech's P.56 level), the band and the rate are the line's, the network sets the
level (P.56 active level of what it carries, speech and noise), the codec codes it and the
packets it sends can be lost. Every random choice comes from a generator seeded by ``seed`` and
the file's ``key`` (its path relative to the input folder): never from the order of the files,
so a file gives the same output on any worker, in any order.
"""

from __future__ import annotations

import hashlib
import math
import os
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..errors import AudioError, ParameterError
from ..io.audio import AudioWriter, as_float_mono, audio_info, iter_blocks, read_audio
from . import g711
from .band import TelephoneChannel, channel_rate, check_band
from .codecs import CODECS, check_codec, run_codec
from .level import active_level, check_level
from .loss import PACKET_MS, check_loss, gilbert_elliott
from .noise import check_noise, make_noise, mix_at_snr
from .presets import channel_settings

__all__ = [
    "Call",
    "Settings",
    "check_params",
    "file_rng",
    "telephone_call",
    "settings_dict",
    "telephone_file",
    "to_telephone",
    "write_call_report",
]


@dataclass(frozen=True)
class Settings:
    """A channel's settings, checked (see :func:`to_telephone` for each)."""

    preset: str = "g712"
    band: tuple[float, float] | None = None
    codec: str | None = None
    bitrate: float | None = None
    loss: float = 0.0
    burst: float = 1.0
    level: float | None = None
    noise: str | None = None
    snr: float | None = None
    channel: str | None = None

    @property
    def rate(self) -> int:
        return channel_rate(self.preset)

    @property
    def streams(self) -> bool:
        """Whether a file can go through in blocks (band and G.711 only)."""
        return (
            self.codec in (None, *g711.LAWS)
            and not self.loss
            and self.level is None
            and self.noise is None
        )

    @property
    def reports(self) -> bool:
        """Whether a file gets a ``.call.json`` report (level, erased packets)."""
        return bool(self.loss) or self.level is not None or self.noise is not None


def check_params(
    *,
    sr: float = 8000,
    channel: str | None = None,
    preset: str | None = None,
    band: Sequence[float] | None = None,
    codec: str | None = None,
    bitrate: float | None = None,
    loss: float | None = None,
    burst: float | None = None,
    level: float | None = None,
    noise: str | os.PathLike | None = None,
    snr: float | None = None,
) -> Settings:
    """Check the channel settings (a named ``channel``'s, overridden by those given).

    The stages' settings are checked once by this (the pipeline checks a spec before any file).

    Raises
    ------
    ParameterError
        Naming the setting and what would work.

    Examples
    --------
    >>> check_params(channel="mobile-amr", bitrate=4.75).bitrate
    4.75
    >>> check_params(preset="narrow", band=(300, 3000)).band
    (300.0, 3000.0)
    """
    given = {
        "preset": preset,
        "band": band,
        "codec": codec,
        "bitrate": bitrate,
        "loss": loss,
        "burst": burst,
        "level": level,
        "noise": noise,
        "snr": snr,
    }
    merged = channel_settings(channel)
    if band is not None and preset is None:
        merged.pop("preset", None)
    if codec is not None and bitrate is None:
        merged.pop("bitrate", None)  # the channel's bit rate is its codec's
    merged.update({k: v for k, v in given.items() if v is not None})
    preset = merged.get("preset", "g712")
    band = check_band(sr=sr, preset=preset, band=merged.get("band"))
    rate = channel_rate(preset)
    codec = merged.get("codec")
    bitrate = check_codec(codec, merged.get("bitrate"), rate)
    loss, burst = merged.get("loss", 0.0), merged.get("burst", 1.0)
    check_loss(loss, burst)
    if loss and codec is None:
        raise ParameterError(
            f"loss={loss:g} loses packets, and there are none without a codec: give a codec "
            "(codec='ulaw', 'amr-nb', 'opus' ...)"
        )
    check_level(merged.get("level"))
    noise = merged.get("noise")
    check_noise(noise, merged.get("snr"))
    return Settings(
        preset=preset,
        band=band,
        codec=codec,
        bitrate=bitrate,
        loss=float(loss),
        burst=float(burst),
        level=merged.get("level"),
        noise=None if noise is None else os.fspath(noise),
        snr=merged.get("snr"),
        channel=channel,
    )


def file_rng(seed: int, key: str) -> np.random.Generator:
    """The generator of one file: from the seed and the file's key (its relative path), so the
    order files are done in, and the worker that does them, change nothing."""
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError(f"seed={seed!r} must be a whole number >= 0")
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return np.random.default_rng([int(seed), *np.frombuffer(digest[:16], dtype=np.uint32)])


@dataclass
class Call:
    """What :func:`telephone_call` returns: the audio at ``sr`` and the per-file report."""

    audio: np.ndarray
    sr: int
    clipped: int = 0
    report: dict[str, Any] = field(default_factory=dict)


def _check_audio(y, sr, rate):
    y = as_float_mono(y)
    if not len(y):
        raise AudioError("audio holds no samples; nothing to convert")
    if not np.isfinite(y).all():
        first = int(np.flatnonzero(~np.isfinite(y))[0])
        raise AudioError(
            f"audio holds NaN or infinite samples (first at sample {first}); repair it"
        )
    if round(len(y) * rate / sr) < 1:
        raise AudioError(
            f"audio of {len(y)} samples at {sr:g} Hz is shorter than one sample at "
            f"{rate / 1000:g} kHz"
        )
    return y


def _run(y, sr, settings, *, seed, key, noise_pool):
    """The chain over one whole signal; returns a Call."""
    s = settings
    rate = s.rate
    if s.noise is not None or s.loss:
        noise_rng, loss_rng = (np.random.default_rng(c) for c in file_rng(seed, key).spawn(2))
    report: dict[str, Any] = {"channel": s.channel, "rate": rate}
    if s.noise is not None:
        noise = make_noise(s.noise, len(y), sr=sr, rng=noise_rng, pool=noise_pool)
        y = mix_at_snr(y, noise, snr=s.snr, sr=sr, babble=s.noise == "babble").astype(y.dtype)
        report.update(noise=s.noise, snr=s.snr)
    channel = TelephoneChannel(sr=sr, preset=s.preset, band=s.band, dtype=y.dtype)
    out = np.concatenate([channel.process(y), channel.flush()])
    if s.level is not None:
        measured, activity = active_level(out, sr=rate)
        gain_db = s.level - measured if math.isfinite(measured) else 0.0
        out = (out * 10 ** (gain_db / 20)).astype(out.dtype, copy=False)
        report.update(
            level_in=round(measured, 2),
            level=s.level if math.isfinite(measured) else None,
            gain_db=round(gain_db, 2),
            activity=round(activity, 3),
        )
    clipped = 0
    if s.codec is not None:
        frame = rate * PACKET_MS // 1000
        packets = -(-len(out) // frame)
        lost = None
        if s.loss:
            # a few packets more than the signal holds: those that flush the codec's delay
            lost = gilbert_elliott(packets + 4, loss=s.loss, burst=s.burst, rng=loss_rng)
            erased = np.flatnonzero(lost[:packets])
            report.update(
                loss=s.loss,
                burst=s.burst,
                packet_ms=PACKET_MS,
                erased_packets=erased.tolist(),
                erased=[
                    [round(k * PACKET_MS / 1000, 3), round((k + 1) * PACKET_MS / 1000, 3)]
                    for k in erased
                ],
            )
        out, clipped = run_codec(out, s.codec, bitrate=s.bitrate, lost=lost)
        report.update(codec=s.codec, bitrate=s.bitrate, library=CODECS[s.codec].library)
    return Call(out, rate, clipped, report)


def telephone_call(
    y: np.ndarray,
    *,
    sr: float,
    channel: str | None = None,
    preset: str | None = None,
    band: Sequence[float] | None = None,
    codec: str | None = None,
    bitrate: float | None = None,
    loss: float | None = None,
    burst: float | None = None,
    level: float | None = None,
    noise: str | os.PathLike | None = None,
    snr: float | None = None,
    seed: int = 0,
    key: str = "",
    noise_pool: Sequence[str | os.PathLike] = (),
) -> Call:
    """:func:`to_telephone` with its report: the audio, its rate, the codec's clipped-sample
    count and a dict (levels, gain, erased packets and their times, codec and library)."""
    settings = check_params(
        sr=sr,
        channel=channel,
        preset=preset,
        band=band,
        codec=codec,
        bitrate=bitrate,
        loss=loss,
        burst=burst,
        level=level,
        noise=noise,
        snr=snr,
    )
    y = _check_audio(y, sr, settings.rate)
    return _run(y, sr, settings, seed=seed, key=key, noise_pool=noise_pool)


def to_telephone(
    y: np.ndarray,
    *,
    sr: float,
    channel: str | None = None,
    preset: str | None = None,
    band: Sequence[float] | None = None,
    codec: str | None = None,
    bitrate: float | None = None,
    loss: float | None = None,
    burst: float | None = None,
    level: float | None = None,
    noise: str | os.PathLike | None = None,
    snr: float | None = None,
    seed: int = 0,
    key: str = "",
    noise_pool: Sequence[str | os.PathLike] = (),
) -> np.ndarray:
    """Pass audio through a telephone channel and return it at 8 kHz (16 kHz for wideband).

    Parameters
    ----------
    y : np.ndarray [shape=(n,) or (n, channels)]
        Audio, frames first as soundfile reads it; channels are averaged to mono, integer
        samples scaled to [-1, 1). Channels-first audio, ``(channels, n)`` as
        ``librosa.load(mono=False)`` gives it, is refused: pass ``y.T``.
    sr : number > 0
        Sample rate of ``y`` in Hz. Below the channel's rate it is upsampled, with a warning.
    channel : {"landline", "mobile-gsm", "mobile-amr", "voip-opus", "hd-voice"} or None
        A named phone line (:data:`speechtext.telephone.CHANNELS`); the settings given override
        its own.
    preset : {"g712", "narrow", "wideband"}
        Band shape (see :mod:`speechtext.telephone.band`); ignored when ``band`` is given.
        Default ``"g712"``.
    band : (low, high) or None
        Custom 8 kHz band-pass with -3 dB edges at ``low`` and ``high`` Hz.
    codec : {None, "ulaw", "alaw", "gsm-fr", "amr-nb", "opus", "g722", "g726"}
        Encode and decode (see :mod:`speechtext.telephone.codecs`); ``g722`` needs the wideband
        preset. Samples beyond full scale are clipped by the codec, and a warning counts them.
    bitrate : float or None
        kbit/s: AMR-NB 4.75-12.2 (its modes), Opus 6-24, G.726 16/24/32/40; default the first.
    loss, burst : float
        Packet loss rate (0-1) and mean burst length in 20 ms packets (Gilbert-Elliott).
    level : float or None
        P.56 active speech level to set, in dBov (``-26`` is the usual one).
    noise, snr : str and float
        ``"white"``, ``"pink"``, ``"babble"`` (of ``noise_pool``'s recordings) or a folder of
        noise recordings, at ``snr`` dB below the speech's P.56 level.
    seed, key : int and str
        Every random choice (noise, losses) comes from these: the same ``seed`` and ``key``
        (the CLI and pipeline give the file's relative path) give the same output.

    Returns
    -------
    np.ndarray [shape=(round(n * rate / sr),)]
        Float samples at the channel's rate, aligned with the input (filter and codec delays
        removed), same float dtype as ``y`` (float32 for integer input). Without a codec,
        values may exceed 1.0; nothing is clipped.

    Raises
    ------
    ParameterError
        Unknown channel, preset or codec, a setting out of its range, bad band or sample rate.
    AudioError
        Empty input, too short for one output sample, NaN/inf samples, channels-first or
        mis-shaped audio, or samples that are not numbers.
    SpeechTextError
        A PyAV codec without PyAV installed (``pip install 'speechtext[codecs]'``).

    Examples
    --------
    Downsample 16 kHz speech to a G.712 telephone channel with mu-law companding:

    >>> import numpy as np
    >>> y = np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 0.1
    >>> to_telephone(y, sr=16000, codec="ulaw").shape
    (8000,)
    >>> to_telephone(y, sr=16000, channel="hd-voice").shape
    (16000,)
    """
    call = telephone_call(
        y,
        sr=sr,
        channel=channel,
        preset=preset,
        band=band,
        codec=codec,
        bitrate=bitrate,
        loss=loss,
        burst=burst,
        level=level,
        noise=noise,
        snr=snr,
        seed=seed,
        key=key,
        noise_pool=noise_pool,
    )
    if call.clipped:
        warnings.warn(
            f"{call.clipped} samples beyond full scale were clipped by the {call.report['codec']}"
            " codec; lower the input level",
            stacklevel=2,
        )
    return call.audio


def settings_dict(settings: Settings) -> dict[str, Any]:
    """The settings as plain values (for the report and for keyword arguments)."""
    d = asdict(settings)
    d["band"] = list(settings.band) if settings.band else None
    return d


def telephone_file(
    source: str | os.PathLike,
    target: str | os.PathLike,
    *,
    channel: str | None = None,
    preset: str | None = None,
    band: Sequence[float] | None = None,
    codec: str | None = None,
    bitrate: float | None = None,
    loss: float | None = None,
    burst: float | None = None,
    level: float | None = None,
    noise: str | os.PathLike | None = None,
    snr: float | None = None,
    seed: int = 0,
    key: str | None = None,
    noise_pool: Sequence[str | os.PathLike] = (),
    decoded: bool = False,
    block_seconds: float = 30.0,
    report_path: str | os.PathLike | None = None,
) -> dict[str, Any]:
    """Convert one audio file to a telephone-channel WAV (8 kHz, 16 kHz for wideband).

    Parameters
    ----------
    source, target : path
        Input (any format soundfile reads) and output WAV; ``target`` is written atomically.
    channel, preset, band, codec, bitrate, loss, burst, level, noise, snr, seed, noise_pool
        As in :func:`to_telephone`.
    key : str or None
        What the file's random choices are seeded by with ``seed``; default the source's name.
    decoded : bool
        With G.711: write the companded signal decoded to PCM16 instead of a G.711 WAV (the
        other codecs are always written decoded, as PCM16).
    block_seconds : float
        With the band and G.711 alone, the input is read in blocks of this many seconds (memory
        bounded whatever the file's length); the other chains hold the file in memory.
    report_path : path or None
        Where to write the report as JSON (atomically), when the chain has one.

    Returns
    -------
    dict
        ``duration`` (input seconds), ``frames`` (output samples), ``peak`` and ``clipped``
        (output samples beyond full scale, clipped when written; a warning says how many) and,
        when the chain has a level, noise or losses, ``report`` (see :func:`telephone_call`).
    """
    settings = check_params(
        channel=channel,
        preset=preset,
        band=band,
        codec=codec,
        bitrate=bitrate,
        loss=loss,
        burst=burst,
        level=level,
        noise=noise,
        snr=snr,
    )
    rate = settings.rate
    if settings.streams:
        info = audio_info(source)
        frames, sr = info.frames, info.sr
    else:
        y, sr = read_audio(source)  # (described and read in one opening)
        frames = len(y)
    if round(frames * rate / sr) < 1:
        raise AudioError(
            f"{source}: {frames} samples at {sr} Hz is shorter than one sample at "
            f"{rate / 1000:g} kHz"
        )
    g711_stored = settings.codec in g711.LAWS and not decoded
    store_codec = settings.codec if g711_stored else None
    report = None
    # a file that fits one block is written from memory (see AudioWriter: no fsync)
    in_memory = not settings.streams or frames / sr <= block_seconds
    with AudioWriter(target, rate, codec=store_codec, in_memory=in_memory) as writer:
        if settings.streams:
            band_channel = TelephoneChannel(sr=sr, preset=settings.preset, band=settings.band)

            def emit(out):
                if settings.codec:  # the ITU coder's values (libsndfile re-codes them exactly)
                    writer.clipped += int(np.count_nonzero(np.abs(out) > 1.0))
                    coded = g711.companded_pcm16 if g711_stored else g711.companded
                    out = coded(out, settings.codec)
                writer.write(out)

            for block in iter_blocks(source, seconds=block_seconds, info=info):
                emit(band_channel.process(block))
            emit(band_channel.flush())
        else:
            y = _check_audio(y, sr, rate)
            file_key = key if key is not None else os.path.basename(os.fspath(source))
            call = _run(y, sr, settings, seed=seed, key=file_key, noise_pool=noise_pool)
            writer.clipped += call.clipped
            report = {**call.report, "seed": seed, "key": file_key}
            # G.711's decoded values as 16-bit samples (exact), which libsndfile codes faster
            writer.write((call.audio * 32768).astype(np.int16) if g711_stored else call.audio)
    if writer.clipped:
        warnings.warn(
            f"{source}: {writer.clipped} output samples beyond full scale were clipped "
            f"(peak {writer.peak:.2f}); lower the input level",
            stacklevel=2,
        )
    result = {
        "duration": frames / sr,
        "frames": writer.frames,
        "peak": writer.peak,
        "clipped": writer.clipped,
    }
    if report is not None:
        result["report"] = report
        if report_path is not None:
            write_call_report(report_path, report)
    return result


def write_call_report(path: str | os.PathLike, report: dict[str, Any]) -> None:
    """The per-file report (levels, erased packets ...) as JSON, written atomically."""
    import json

    from ..io.atomic import write_text

    lines = ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in report.items())
    write_text(path, "{\n" + lines + "\n}\n")  # one line per item, lists kept on theirs
