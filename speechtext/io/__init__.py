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
from .conll import (
    Sentence,
    check_tags,
    read_conlleval,
    read_sentences,
    split_tag,
    write_conll,
    write_seq,
)
from .manifest import read_jsonl, write_jsonl

__all__ = [
    "AUDIO_EXTENSIONS",
    "AudioInfo",
    "AudioWriter",
    "Sentence",
    "as_float_mono",
    "atomic_path",
    "audio_info",
    "check_tags",
    "iter_blocks",
    "read_audio",
    "read_conlleval",
    "read_jsonl",
    "read_sentences",
    "split_tag",
    "write_audio",
    "write_conll",
    "write_jsonl",
    "write_seq",
    "write_text",
]
