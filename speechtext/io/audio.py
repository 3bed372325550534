"""Audio files: read (whole or in blocks), describe and write, through soundfile (libsndfile).

Any format libsndfile reads is accepted (WAV, FLAC, OGG/Vorbis, Opus, MP3, AIFF ...), with integer
(8/16/24/32-bit) or float samples. Samples come back as float32 in [-1, 1). **Multichannel audio is
downmixed to mono by averaging the channels.** Writes are atomic (temp file + rename) and count the
samples that had to be clipped to full scale.

Audio arrays given to speechtext are 1-D, or 2-D ``(frames, channels)`` as soundfile reads them;
channels-first arrays (librosa's ``(channels, frames)``) are refused with an error that says to
pass ``y.T`` (see :func:`as_float_mono`, which every stage calls on its input).
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import AudioError
from .atomic import atomic_path

__all__ = [
    "AUDIO_EXTENSIONS",
    "AudioInfo",
    "AudioWriter",
    "MAX_BLOCK_CHANNELS",
    "as_float_mono",
    "audio_info",
    "iter_blocks",
    "read_audio",
    "read_audio_command",
    "read_audio_span",
    "write_audio",
]

# Extensions picked up when a folder is given; any file given by name is tried whatever its name.
AUDIO_EXTENSIONS = frozenset(
    {
        ".wav",
        ".wave",
        ".flac",
        ".ogg",
        ".oga",
        ".opus",
        ".mp3",
        ".aif",
        ".aiff",
        ".aifc",
        ".au",
        ".snd",
        ".caf",
        ".w64",
        ".rf64",
        ".sph",
        ".nist",
    }  # fmt: skip
)

# Output subtypes by codec name (None = linear PCM16).
SUBTYPES = {None: "PCM_16", "ulaw": "ULAW", "alaw": "ALAW"}

_TRUNCATED = re.compile(r"^data\s*:\s*(\d+)\s*\(should be (\d+)\)", re.MULTILINE)


@dataclass(frozen=True)
class AudioInfo:
    """What a file holds: sample rate, frames per channel, channel count, format and subtype."""

    path: Path
    sr: int
    frames: int
    channels: int
    format: str
    subtype: str

    @property
    def duration(self):
        return self.frames / self.sr if self.sr else 0.0


def _soundfile():
    import soundfile

    return soundfile


def audio_info(path: str | os.PathLike) -> AudioInfo:
    """Describe an audio file without reading its samples.

    Raises
    ------
    AudioError
        The path is missing, is not audio libsndfile can read, or holds no samples.
    """
    f, info = _open_audio(path)
    f.close()
    return info


def _open_audio(path):
    """The file open for reading, and its AudioInfo (:func:`audio_info`'s checks and warning)."""
    sf = _soundfile()
    path = Path(path)
    if not path.exists():
        raise AudioError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise AudioError(f"{path}: is a folder, not an audio file")
    try:
        f = sf.SoundFile(str(path))
    except sf.SoundFileError as exc:
        reason = str(exc).split(": ", 1)[-1].rstrip(".")
        raise AudioError(
            f"{path}: not a readable audio file ({reason}); "
            "convert it to WAV, FLAC or OGG or remove it from the input"
        ) from None
    info = AudioInfo(path, f.samplerate, f.frames, f.channels, f.format, f.subtype)
    if info.frames == 0 or info.sr <= 0:
        f.close()
        raise AudioError(f"{path}: holds no audio samples; nothing to convert")
    truncated = _TRUNCATED.search(f.extra_info or "")
    if truncated:
        announced, present = (int(g) for g in truncated.groups())
        warnings.warn(
            f"{path}: truncated file: the header announces {announced} bytes of audio but only "
            f"{present} are there; using the {info.frames} frames that are present",
            stacklevel=3,
        )
    return f, info


# More columns than this in a 2-D array with fewer rows than columns: channels-first audio.
MAX_BLOCK_CHANNELS = 8


def as_float_mono(y: np.ndarray) -> np.ndarray:
    """Return ``y`` as a 1-D float array in [-1, 1): channels averaged, integers scaled.

    Float input keeps its dtype (float32 or float64); integer input becomes float32.

    **Layout.** A 2-D array is ``(frames, channels)``, soundfile's layout (``soundfile.read``,
    ``always_2d=True``). Channels-first audio, ``(channels, frames)`` as
    ``librosa.load(mono=False)`` gives it, is refused where the shape tells: more columns than
    rows and more than ``MAX_BLOCK_CHANNELS`` (8) columns, since the frames axis is the long one
    for audio of any useful length. Pass ``y.T`` then. An array of at most 8 columns is read as
    frames x channels whatever its rows (the short last block of a stereo stream, shape
    ``(1, 2)``, passes); a block of a stream of more than 8 channels needs at least as many
    frames as channels.

    Raises
    ------
    AudioError
        Channels-first or otherwise mis-shaped audio (not 1-D or 2-D, no channel), or samples
        that are not numbers (strings, objects, booleans, complex); the message says what would
        work.

    Examples
    --------
    >>> stereo = np.zeros((16000, 2), np.float32)
    >>> as_float_mono(stereo).shape
    (16000,)
    >>> as_float_mono(stereo.T)
    Traceback (most recent call last):
    ...
    speechtext.errors.AudioError: audio of shape (2, 16000) is channels-first (channels, frames), as librosa.load(mono=False) gives it; speechtext reads 2-D audio as (frames, channels), soundfile's layout: pass y.T
    """  # noqa: E501
    y = np.asarray(y)
    if not (np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.floating)):
        raise AudioError(
            f"audio samples must be real numbers (float, or integer PCM), got dtype {y.dtype}; "
            "convert them, e.g. y.astype(np.float32)"
        )
    if y.ndim == 2 and y.shape[1] > max(y.shape[0], MAX_BLOCK_CHANNELS):
        raise AudioError(
            f"audio of shape {y.shape} is channels-first (channels, frames), as "
            "librosa.load(mono=False) gives it; speechtext reads 2-D audio as "
            "(frames, channels), soundfile's layout: pass y.T"
        )
    if y.ndim == 2 and y.shape[1] == 0:
        raise AudioError(f"audio of shape {y.shape} has no channel; expected (frames, channels)")
    return _mono(y)


def _mono(y):
    """:func:`as_float_mono` without the layout checks, for soundfile's own (frames, channels)
    arrays: the last block of a file may hold fewer frames than it has channels."""
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    elif y.ndim == 2:
        y = y.mean(axis=1, dtype=np.float64 if y.dtype == np.float64 else np.float32)
    elif y.ndim != 1:
        raise AudioError(f"audio must be 1-D or (frames, channels), got shape {y.shape}")
    if np.issubdtype(y.dtype, np.integer):
        info = np.iinfo(y.dtype)
        if info.min == 0:  # unsigned 8-bit PCM is centred on 128
            return ((y.astype(np.float32) - (info.max + 1) / 2) / ((info.max + 1) / 2)).astype(
                np.float32
            )
        return y.astype(np.float32) / np.float32(-info.min)
    if y.dtype not in (np.float32, np.float64):
        y = y.astype(np.float32)
    return y


def _check_finite(block, info, offset):
    if info.subtype not in ("FLOAT", "DOUBLE"):
        return  # integer PCM, G.711 and compressed formats cannot hold NaN or inf
    if not np.isfinite(block).all():
        first = offset + int(np.flatnonzero(~np.isfinite(block))[0])
        raise AudioError(
            f"{info.path}: holds NaN or infinite samples (first at {first / info.sr:.3f} s); "
            "repair or re-export the file"
        )


@contextlib.contextmanager
def _decoding(info):
    """Errors met decoding the samples as AudioError: a header libsndfile parsed can still front
    a damaged stream (a FLAC frame with another channel count, a cut Vorbis packet), or announce
    more frames than memory holds."""
    sf = _soundfile()
    try:
        yield
    except sf.SoundFileError as exc:
        reason = str(exc).split(": ", 1)[-1].rstrip(".")
        raise AudioError(
            f"{info.path}: damaged audio ({reason}); re-export the file or remove it from the input"
        ) from None
    except MemoryError:
        raise AudioError(
            f"{info.path}: its header announces {info.frames} frames of {info.channels} "
            "channels, more than memory holds; a damaged header, or a file to cut into parts"
        ) from None


def _read_dtype(info):
    """What to ask libsndfile for: 16-bit mono as int16, scaled here to the same float32 values
    (both scalings are by 2**-15, exact) at a third of libsndfile's cost; anything else float32."""
    return "int16" if info.subtype == "PCM_16" and info.channels == 1 else "float32"


def _decoded(info, blocks):
    with _decoding(info):
        yield from blocks


def read_audio(path: str | os.PathLike, *, info: AudioInfo | None = None) -> tuple[np.ndarray, int]:
    """Read a whole file as mono float32 (``info``: its :func:`audio_info`, if already known).

    Returns
    -------
    y : np.ndarray [shape=(n,)], float32
    sr : int

    Raises
    ------
    AudioError
        Unreadable, empty, damaged past its header, or holding NaN/inf samples.
    """
    if info is None:
        f, info = _open_audio(path)  # opened once: described and read
    else:
        f = _soundfile().SoundFile(str(info.path))
    with _decoding(info), f:
        y = f.read(dtype=_read_dtype(info), always_2d=True)
    y = _mono(y)
    _check_finite(y, info, 0)
    return y, info.sr


def _span(where, sr, frames, start, duration):
    """``(first frame, frame count)`` of ``duration`` s from ``start`` s (None: to the end);
    a span running past the end is cut there (with a warning beyond 50 ms)."""
    first = int(round(start * sr))
    if first >= frames:
        raise AudioError(
            f"{where}: the segment starts at {start:.3f} s, after the recording's end "
            f"({frames / sr:.3f} s); fix the segment's times"
        )
    count = frames - first if duration is None else int(round(duration * sr))
    if first + count > frames:
        missing = (first + count - frames) / sr
        if missing > 0.05:
            warnings.warn(
                f"{where}: the segment from {start:.3f} s for {duration:.3f} s runs "
                f"{missing:.3f} s past the recording's end ({frames / sr:.3f} s); cut there",
                stacklevel=3,
            )
        count = frames - first
    return first, count


def read_audio_span(
    path: str | os.PathLike, *, start: float = 0.0, duration: float | None = None
) -> tuple[np.ndarray, int]:
    """Read ``duration`` seconds from ``start`` of a file as mono float32, seeking to it: only
    the span is read, however long the file (a segment of a long recording).

    ``duration=None`` reads to the end. A span running past the end is cut there.

    Raises
    ------
    AudioError
        As :func:`read_audio`, and a span that starts after the end of the file.
    """
    info = audio_info(path)
    first, count = _span(info.path, info.sr, info.frames, start, duration)
    with _decoding(info), _soundfile().SoundFile(str(info.path)) as f:
        if first:
            f.seek(first)
        y = f.read(count, dtype="float32", always_2d=True)
    y = _mono(y)
    _check_finite(y, info, first)
    return y, info.sr


def read_audio_command(
    command: str, *, start: float = 0.0, duration: float | None = None
) -> tuple[np.ndarray, int]:
    """Run a shell command whose standard output is audio (a Kaldi ``wav.scp`` pipe) and
    decode it as mono float32, optionally a span of it (see :func:`read_audio_span`).

    Raises
    ------
    AudioError
        The command cannot run or fails (with the last line it wrote to stderr), or its output
        is not audio.
    """
    import io
    import subprocess

    where = f"{command} |"
    try:
        done = subprocess.run(command, shell=True, capture_output=True, check=False)
    except OSError as exc:
        raise AudioError(f"{where}: cannot run the command ({exc})") from None
    if done.returncode != 0:
        last = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise AudioError(f"{where}: the command failed (exit status {done.returncode}) {last[0]}")
    sf = _soundfile()
    try:
        with sf.SoundFile(io.BytesIO(done.stdout)) as f:
            first, count = _span(where, f.samplerate, f.frames, start, duration)
            if first:
                f.seek(first)
            y = f.read(count, dtype="float32", always_2d=True)
            sr = f.samplerate
    except sf.SoundFileError as exc:
        reason = str(exc).split(": ", 1)[-1].rstrip(".")
        raise AudioError(f"{where}: its output is not readable audio ({reason})") from None
    if not len(y):
        raise AudioError(f"{where}: its output holds no audio samples")
    y = _mono(y)
    if not np.isfinite(y).all():
        raise AudioError(f"{where}: its output holds NaN or infinite samples")
    return y, sr


def iter_blocks(
    path: str | os.PathLike, *, seconds: float = 10.0, info: AudioInfo | None = None
) -> Iterator[np.ndarray]:
    """Yield a file's samples as consecutive mono float32 blocks of about ``seconds`` each.

    Memory stays bounded by one block, whatever the file's length.
    """
    info = info or audio_info(path)
    blocksize = max(1, int(math.ceil(seconds * info.sr)))
    offset = 0
    blocks = _soundfile().blocks(
        str(info.path), blocksize=blocksize, dtype=_read_dtype(info), always_2d=True
    )
    for block in _decoded(info, blocks):
        block = _mono(block)
        _check_finite(block, info, offset)
        offset += len(block)
        yield block


class AudioWriter:
    """Write audio in blocks to ``path`` atomically; count the samples clipped to full scale.

    Use as a context manager; the file appears under its name only when the block exits cleanly.
    ``codec`` is None (PCM16 WAV), ``"ulaw"`` or ``"alaw"`` (G.711 WAV, encoded by libsndfile).
    ``in_memory``: the WAV is made in memory and written in one go at the end, the same bytes
    (for audio that is in memory anyway: a file written through libsndfile is also flushed to
    the disk, ``fsync``, when it closes, which costs more than making a short file).
    """

    def __init__(
        self, path: str | os.PathLike, sr: int, *, codec: str | None = None, in_memory=False
    ):
        self.path = Path(path)
        self.sr = int(sr)
        self.subtype = SUBTYPES[codec]
        self.in_memory = in_memory
        self.clipped = 0
        self.frames = 0
        self.peak = 0.0

    def __enter__(self):
        sf = _soundfile()
        if self.in_memory:
            import io

            self._atomic, self._buffer = None, io.BytesIO()
            target = self._buffer
        else:
            self._atomic = atomic_path(self.path)
            target = str(self._atomic.__enter__())
        try:
            self._file = sf.SoundFile(
                target, "w", samplerate=self.sr, channels=1, format="WAV", subtype=self.subtype
            )
        except BaseException as exc:
            if self._atomic is not None:
                self._atomic.__exit__(type(exc), exc, exc.__traceback__)
            raise AudioError(f"{self.path}: cannot write ({exc})") from None
        return self

    def write(self, block):
        """Write float samples (clipped to [-1, 1], and counted), or 16-bit ones (int16)."""
        block = np.asarray(block)
        if block.size and block.dtype == np.int16:
            self.peak = max(self.peak, max(-int(block.min()), int(block.max())) / 32768)
        elif block.size:
            peak = float(np.max(np.abs(block)))
            self.peak = max(self.peak, peak)
            if peak > 1.0:
                self.clipped += int(np.count_nonzero(np.abs(block) > 1.0))
                block = np.clip(block, -1.0, 1.0)
        self._file.write(block)
        self.frames += len(block)

    def __exit__(self, exc_type, exc, tb):
        self._file.close()
        if self._atomic is not None:
            return self._atomic.__exit__(exc_type, exc, tb)
        if exc_type is None:
            from .atomic import write_bytes

            write_bytes(self.path, self._buffer.getbuffer())
        return False


def write_audio(
    path: str | os.PathLike, y: np.ndarray, sr: int, *, codec: str | None = None
) -> None:
    """Write mono audio atomically as WAV (PCM16, or G.711 with ``codec``); return clipped count."""
    with AudioWriter(path, sr, codec=codec, in_memory=True) as writer:
        writer.write(y)
    return writer.clipped
