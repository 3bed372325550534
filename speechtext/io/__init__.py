"""All disk access of speechtext: audio, text formats, manifests, atomic writes, folders."""

from .atomic import atomic_path, write_text
from .audio import (
    AUDIO_EXTENSIONS,
    AudioInfo,
    AudioWriter,
    as_float_mono,
    audio_info,
    iter_blocks,
    read_audio,
    write_audio,
)
from .manifest import read_jsonl, write_jsonl

__all__ = [
    "AUDIO_EXTENSIONS",
    "AudioInfo",
    "AudioWriter",
    "as_float_mono",
    "atomic_path",
    "audio_info",
    "iter_blocks",
    "read_audio",
    "read_jsonl",
    "write_audio",
    "write_jsonl",
    "write_text",
]
