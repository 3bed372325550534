"""Speech codecs: encode and decode in memory, time-aligned, with frame erasures concealed.

=========  =======  ==============================  ==================================  =========
codec      rate     kbit/s                          library                             PLC
=========  =======  ==============================  ==================================  =========
ulaw/alaw  8 kHz    64                              speechtext (ITU-T G.711, STL rules)  App. I
gsm-fr     8 kHz    13                              libsndfile (GSM 6.10), soundfile    App. I
amr-nb     8 kHz    4.75 5.15 5.9 6.7 7.4 7.95      opencore-amr via PyAV (FFmpeg)      codec
                    10.2 12.2
opus       8 kHz    6-24 (narrowband, VoIP mode)    libopus via PyAV (FFmpeg)           codec
g722       16 kHz   64                              FFmpeg's G.722 via PyAV             App. I
g726       8 kHz    16 24 32 40                     FFmpeg's G.726 via PyAV             App. I
=========  =======  ==============================  ==================================  =========

Every codec runs in memory (no temporary file) and its delay is removed, so output sample ``k``
lines up with input sample ``k`` (within one sample, tested by cross-correlation) and the output
has the input's length. PyAV (the ``av`` wheel, which bundles FFmpeg with opencore-amr and libopus)
is the ``codecs`` extra: ``pip install 'speechtext[codecs]'``.

**Lost packets** (20 ms each) are concealed by the codec's own concealment where it has one: Opus
decodes a packet of no frame data as lost (RFC 6716, 3.2.1), AMR-NB a NO_DATA frame. The others
get G.711 Appendix I waveform substitution on the decoded speech; their decoder's state is not
disturbed by the loss, as a real ADPCM or GSM receiver's would be.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError, SpeechTextError
from . import g711

__all__ = ["CODECS", "Codec", "check_codec", "run_codec"]


@dataclass(frozen=True)
class Codec:
    """What a codec is: its rate, its bit rates (kbit/s; the first is the default) and who does
    the work."""

    name: str
    rate: int
    bitrates: tuple[float, ...]
    library: str
    own_plc: bool = False
    bitrate_range: bool = False  # any rate between the first two (Opus), not only those listed


CODECS = {
    "ulaw": Codec("ulaw", 8000, (64,), "speechtext G.711 (ITU-T STL rules)"),
    "alaw": Codec("alaw", 8000, (64,), "speechtext G.711 (ITU-T STL rules)"),
    "gsm-fr": Codec("gsm-fr", 8000, (13,), "libsndfile GSM 6.10 (soundfile)"),
    "amr-nb": Codec(
        "amr-nb",
        8000,
        (12.2, 4.75, 5.15, 5.9, 6.7, 7.4, 7.95, 10.2),
        "opencore-amr (PyAV/FFmpeg libopencore_amrnb)",
        own_plc=True,
    ),
    "opus": Codec(
        "opus", 8000, (12, 6, 24), "libopus (PyAV/FFmpeg libopus)", own_plc=True, bitrate_range=True
    ),
    "g722": Codec("g722", 16000, (64,), "FFmpeg G.722 (PyAV)"),
    "g726": Codec("g726", 8000, (32, 16, 24, 40), "FFmpeg G.726 (PyAV)"),
}

# Codec delays in samples at the codec's rate, removed from the decoded signal: measured by
# cross-correlation on band-limited speech (tests/test_telephone_codecs.py checks each within one
# sample). AMR-NB's is its 5 ms look-ahead less the phase lead of its own 80 Hz input high-pass
# (39.4 samples on the LibriSpeech excerpts); libopus removes its pre-skip itself.
_DELAY = {"amr-nb": 39, "opus": 0, "g722": 22, "g726": 0, "gsm-fr": 0}

_FRAME_MS = 20


def check_codec(codec: str | None, bitrate: float | None, rate: int) -> float | None:
    """Check a codec and its bit rate against the channel rate; return the bit rate used."""
    if codec is None:
        if bitrate is not None:
            raise ParameterError("bitrate= needs a codec (codec='amr-nb', 'opus', 'g726' ...)")
        return None
    spec = CODECS.get(codec)
    if spec is None:
        raise ParameterError(f"codec={codec!r} is not a codec; use one of {', '.join(CODECS)}")
    if spec.rate != rate:
        need = (
            "preset='wideband' (or channel='hd-voice')" if spec.rate == 16000 else "an 8 kHz band"
        )
        raise ParameterError(
            f"codec={codec!r} runs at {spec.rate} Hz and the band at {rate} Hz: use {need}"
        )
    if bitrate is None:
        return spec.bitrates[0]
    ok = (
        spec.bitrates[1] <= bitrate <= spec.bitrates[2]
        if spec.bitrate_range
        else any(abs(bitrate - b) < 1e-9 for b in spec.bitrates)
    )
    if not isinstance(bitrate, (int, float)) or not ok:
        allowed = (
            f"{spec.bitrates[1]:g} to {spec.bitrates[2]:g}"
            if spec.bitrate_range
            else ", ".join(f"{b:g}" for b in sorted(spec.bitrates))
        )
        raise ParameterError(
            f"bitrate={bitrate!r} kbit/s does not exist for {codec}: use {allowed}"
        )
    return float(bitrate)


def _av():
    try:
        import av
    except ImportError:
        raise SpeechTextError(
            "the gsm/amr-nb/opus/g722/g726 codecs need PyAV: pip install 'speechtext[codecs]'"
        ) from None
    av.logging.set_level(av.logging.ERROR)  # FFmpeg's notes about experimental options
    return av


def _frame(av, pcm, rate):
    frame = av.AudioFrame.from_ndarray(pcm[None, :], format="s16", layout="mono")
    frame.sample_rate = rate
    frame.pts = 0
    return frame


def _decoded(frames):
    # the frames' samples straight from their buffers (AudioFrame.to_ndarray costs 5x as much)
    out = [
        np.frombuffer(f.planes[0], dtype=np.int16, count=f.samples)
        if f.format.name == "s16" and f.layout.nb_channels == 1
        else f.to_ndarray().reshape(-1)
        for f in frames
    ]
    y = np.concatenate(out) if out else np.zeros(0, np.int16)
    return y.astype(np.float64) / 32768.0 if y.dtype == np.int16 else y.astype(np.float64)


def _packets(av, name, pcm, rate, bitrate, options=None):
    try:
        enc = av.CodecContext.create(name, "w")
    except av.codec.codec.UnknownCodecError:  # some PyAV builds leave an encoder out
        raise SpeechTextError(
            f"this PyAV {av.__version__} has no {name} encoder; install the one speechtext "
            "supports: pip install 'speechtext[codecs]'"
        ) from None
    enc.sample_rate = rate
    enc.layout = "mono"
    enc.format = "s16"
    enc.bit_rate = int(round(bitrate * 1000))
    enc.options = options or {}
    enc.open()
    return enc, list(enc.encode(_frame(av, pcm, rate))) + list(enc.encode(None))


def _lost_marker(codec, packet):
    """What the decoder gets for a lost packet: data that makes it conceal."""
    data = bytes(packet)
    if codec == "opus":
        return data[:1] if data else data  # the TOC byte alone: a frame of no data (lost)
    return bytes([(15 << 3) | 0x04])  # AMR NO_DATA frame


def _pyav_plc(av, codec, pcm, rate, bitrate, lost):
    """Opus and AMR-NB: encode, replace lost packets by loss markers, decode."""
    if codec == "opus":
        enc, packets = _packets(
            av, "libopus", pcm, rate, bitrate, {"application": "voip", "frame_duration": "20"}
        )
        dec = av.CodecContext.create("libopus", "r")
    else:
        enc, packets = _packets(av, "libopencore_amrnb", pcm, rate, bitrate)
        dec = av.CodecContext.create("libopencore_amrnb", "r")
    dec.sample_rate = rate
    dec.layout = "mono"
    if enc.extradata:
        dec.extradata = enc.extradata
    frames = []
    for k, packet in enumerate(packets):
        if lost is not None and k < len(lost) and lost[k]:
            packet = av.Packet(_lost_marker(codec, packet))
        frames += dec.decode(packet)
    frames += dec.decode(None)
    y = _decoded(frames)
    if dec.sample_rate != rate:  # libopus decodes at 48 kHz
        import soxr

        y = soxr.resample(y, dec.sample_rate, rate, quality="HQ")
    return y


def _pyav_plain(av, codec, pcm, rate, bitrate):
    """G.722 and G.726, through an in-memory WAV (it carries G.726's bits per sample)."""
    buf = io.BytesIO()
    name = "g722" if codec == "g722" else "g726"
    with av.open(buf, "w", format="wav") as container:
        stream = container.add_stream(name, rate=rate, layout="mono")
        stream.bit_rate = int(round(bitrate * 1000))
        for packet in stream.encode(_frame(av, pcm, rate)):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    buf.seek(0)
    # FFmpeg notes that 40 kbit/s G.726 (5 bits a sample) does not split into whole WAV blocks;
    # the padding decodes all the same, so its note is kept off the user's terminal
    with av.logging.Capture(), av.open(buf, "r") as container:
        return _decoded(container.decode(audio=0))


def _gsm(y):
    import soundfile

    buf = io.BytesIO()
    soundfile.write(buf, y, 8000, format="WAV", subtype="GSM610")
    buf.seek(0)
    decoded, _ = soundfile.read(buf, dtype="float64")
    return decoded


def _beyond_full_scale(y):
    return bool(y.max() > 1.0 or y.min() < -1.0)  # no temporary array (most signals are not)


def run_codec(
    y: np.ndarray, codec: str, *, bitrate: float | None = None, lost: np.ndarray | None = None
) -> tuple[np.ndarray, int]:
    """Encode and decode ``y`` (float, at the codec's rate) with ``codec``; conceal ``lost``
    20 ms packets. Return the decoded samples (same length and float dtype as ``y``, aligned)
    and the number of samples beyond full scale that the coder clipped.

    Examples
    --------
    >>> y = 0.1 * np.sin(np.arange(8000) * 0.3)
    >>> out, clipped = run_codec(y, "alaw")
    >>> out.shape, clipped, bool(np.max(np.abs(out - y)) < 0.01)
    ((8000,), 0, True)
    """
    spec = CODECS[codec]
    rate = spec.rate
    bitrate = check_codec(codec, bitrate, rate)
    n = len(y)
    dtype = y.dtype if y.dtype.kind == "f" else np.dtype(np.float32)
    clipped = int(np.count_nonzero(np.abs(y) > 1.0)) if len(y) and _beyond_full_scale(y) else 0
    frame = rate * _FRAME_MS // 1000
    has_loss = lost is not None and lost.any()
    if codec in g711.LAWS:
        out = g711.companded(y, codec)  # in y's float dtype: nothing to gain from float64
    elif codec == "gsm-fr":
        out = _gsm(np.clip(y, -1.0, 1.0))
    else:
        av = _av()
        delay = _DELAY[codec]
        # the codec's delay (and a frame for its last partial one) flushed out with zeros
        pcm = g711.pcm16(np.concatenate([y, np.zeros(delay + 2 * frame)]))
        if spec.own_plc:
            out = _pyav_plc(av, codec, pcm, rate, bitrate, lost if has_loss else None)
        else:
            out = _pyav_plain(av, codec, pcm, rate, bitrate)
    delay = _DELAY.get(codec, 0)
    out = out[delay : delay + n]
    if len(out) < n:
        out = np.concatenate([out, np.zeros(n - len(out))])
    if has_loss and not spec.own_plc:
        out = g711.conceal(out, lost, sr=rate, frame=frame)
        if codec in g711.LAWS:  # what a G.711 receiver plays is still G.711 samples
            out = g711.companded(out, codec).astype(np.float64)
    return out.astype(dtype, copy=False), clipped


@functools.cache
def library(codec: str) -> str:
    """Who does the coding (named in the per-file report)."""
    return CODECS[codec].library
