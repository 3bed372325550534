"""The manifest formats by name: which one a path holds, and one reader and writer each."""

from __future__ import annotations

import os
from pathlib import Path

from ...errors import FormatError
from .hf import is_hf_dataset, read_hf_dataset, write_hf_dataset
from .kaldi import is_kaldi_dir, read_kaldi_dir, write_kaldi_dir
from .lhotse import find_lhotse_manifests, read_lhotse_manifests, write_lhotse_manifests
from .model import Corpus
from .nemo import is_nemo_manifest, read_nemo_manifest, write_nemo_manifest

__all__ = ["FORMATS", "detect_format", "read_corpus", "write_corpus"]

# name -> what a path of that format is
FORMATS = {
    "kaldi": "a data dir (wav.scp, segments, text, utt2spk, spk2utt)",
    "nemo": "a JSON Lines manifest (audio_filepath, duration, offset, text)",
    "lhotse": "a folder of recordings.jsonl.gz + supervisions.jsonl.gz",
    "hf": "a Hugging Face dataset folder (save_to_disk)",
}


def detect_format(path: str | os.PathLike) -> str | None:
    """The format of the manifest at ``path``, or None if it is none of them."""
    path = Path(path)
    if path.is_dir():
        if is_kaldi_dir(path):
            return "kaldi"
        if is_hf_dataset(path):
            return "hf"
    if find_lhotse_manifests(path) is not None:
        return "lhotse"
    if is_nemo_manifest(path):
        return "nemo"
    return None


def _format_of(path, format):
    if format is None:
        format = detect_format(path)
        if format is None:
            kinds = "; ".join(f"{k}: {v}" for k, v in FORMATS.items())
            raise FormatError(f"{path}: not a corpus manifest speechtext reads ({kinds})")
    elif format not in FORMATS:
        raise FormatError(f"format {format!r}; choose one of {', '.join(FORMATS)}")
    return format


def read_corpus(
    path: str | os.PathLike, *, format: str | None = None, allow_commands: bool = False
) -> tuple[Corpus, str]:
    """Read a manifest of any format (detected unless given); return it and its format.

    ``allow_commands`` lets piped commands (Kaldi ``wav.scp`` lines ending in ``|``, lhotse
    command sources) through; they run when the audio is read.
    """
    format = _format_of(path, format)
    if format == "kaldi":
        return read_kaldi_dir(path, allow_commands=allow_commands), format
    if format == "lhotse":
        return read_lhotse_manifests(path, allow_commands=allow_commands), format
    if format == "nemo":
        return read_nemo_manifest(path), format
    return read_hf_dataset(path), format


def write_corpus(corpus: Corpus, path: str | os.PathLike, format: str) -> list[Path]:
    """Write ``corpus`` in ``format`` at ``path`` (a folder for kaldi, lhotse and hf; a file
    for nemo); return the paths written."""
    format = _format_of(path, format)
    writer = {
        "kaldi": write_kaldi_dir,
        "nemo": write_nemo_manifest,
        "lhotse": write_lhotse_manifests,
        "hf": write_hf_dataset,
    }[format]
    return writer(corpus, path)
