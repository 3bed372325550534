"""Hugging Face datasets saved with ``Dataset.save_to_disk`` (the ``hf`` extra: ``datasets``).

One row per utterance: ``id``, ``audio`` (the file's path), ``recording_id``, ``offset``,
``duration``, ``text``, ``speaker``. speechtext writes ``audio`` as a plain path string (the
``Audio`` feature needs torchcodec to encode); it reads it as a string or as an ``Audio``
column's stored path, without decoding anything. Audio held as bytes inside the dataset, and
dataset dicts (several splits: give one split's folder), are refused with what to do.
Foreign column names read too: ``sentence``/``transcription`` for the text, ``speaker_id``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ...errors import FormatError
from .model import Corpus, Recording, Utterance

__all__ = ["is_hf_dataset", "read_hf_dataset", "write_hf_dataset"]

_TEXT_COLUMNS = ("text", "sentence", "transcription", "normalized_text")
_SPEAKER_COLUMNS = ("speaker", "speaker_id")


def is_hf_dataset(path: str | os.PathLike) -> bool:
    path = Path(path)
    return (
        (path / "state.json").is_file()
        and (path / "dataset_info.json").is_file()
        or (path / "dataset_dict.json").is_file()
    )


def _datasets():
    try:
        import datasets
    except ImportError:
        raise FormatError(
            "reading or writing Hugging Face datasets needs the datasets package: pip install "
            "'speechtext[hf]'"
        ) from None
    return datasets


def _first(row, names):
    return next((row[n] for n in names if row.get(n) is not None), None)


def read_hf_dataset(path: str | os.PathLike) -> Corpus:
    """Read a dataset saved with ``save_to_disk`` (one split)."""
    path = Path(path)
    if (path / "dataset_dict.json").is_file():
        splits = sorted(p.name for p in path.iterdir() if (p / "state.json").is_file())
        raise FormatError(
            f"{path}: a DatasetDict of splits ({', '.join(splits)}); give one split's folder, "
            f"e.g. {path / (splits[0] if splits else 'train')}"
        )
    datasets = _datasets()
    try:
        ds = datasets.load_from_disk(str(path))
    except (OSError, ValueError) as exc:
        raise FormatError(f"{path}: not a readable saved dataset ({exc})") from None
    if "audio" not in ds.column_names:
        raise FormatError(f'{path}: no "audio" column (columns: {", ".join(ds.column_names)})')
    rows = ds.with_format("arrow")[:].to_pylist()  # the stored values: no audio decoded
    recordings, rec_of_path, utterances = {}, {}, []
    for n, row in enumerate(rows):
        audio = row["audio"]
        if isinstance(audio, dict):
            if audio.get("bytes") is not None or not audio.get("path"):
                raise FormatError(
                    f"{path}: row {n}: the audio is stored inside the dataset (bytes); "
                    "speechtext reads audio files: save the audio to files and put their paths "
                    "in the audio column"
                )
            audio = audio["path"]
        if not isinstance(audio, str):
            raise FormatError(f"{path}: row {n}: audio must be a path, got {audio!r}")
        rec = row.get("recording_id") or rec_of_path.get(audio)
        if rec is None:
            stem = Path(audio).name.split(".")[0] or "rec"
            rec, k = stem, 1
            while rec in recordings:
                k += 1
                rec = f"{stem}-{k}"
        rec_of_path[audio] = rec
        recordings.setdefault(rec, Recording(rec, path=audio))
        text, speaker = _first(row, _TEXT_COLUMNS), _first(row, _SPEAKER_COLUMNS)
        utterances.append(
            Utterance(
                str(row["id"]) if row.get("id") is not None else f"{rec}-{n}",
                rec,
                start=row.get("offset") or 0.0,
                duration=row.get("duration"),
                text=None if text is None else str(text),
                speaker=None if speaker is None else str(speaker),
            )
        )
    return Corpus(recordings, utterances, root=path).check(str(path))


def write_hf_dataset(corpus: Corpus, path: str | os.PathLike) -> list[Path]:
    """``save_to_disk`` the corpus into the folder ``path`` (replaced whole, atomically)."""
    datasets = _datasets()
    folder = Path(path)
    for rec in corpus.recordings.values():
        if rec.path is None:
            raise FormatError(
                f"{folder}: recording {rec.id!r} is a command; a dataset names audio files: "
                "extract the audio first"
            )
    us = corpus.utterances
    string = datasets.Value("string")
    features = datasets.Features(
        {
            "id": string,
            "audio": string,
            "recording_id": string,
            "offset": datasets.Value("float64"),
            "duration": datasets.Value("float64"),
            "text": string,
            "speaker": string,
        }
    )
    ds = datasets.Dataset.from_dict(
        {
            "id": [u.id for u in us],
            "audio": [corpus.recording(u).path for u in us],
            "recording_id": [u.recording_id for u in us],
            "offset": [u.start for u in us],
            "duration": [u.duration for u in us],
            "text": [u.text for u in us],
            "speaker": [u.speaker for u in us],
        },
        features=features,
    )
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".part", dir=folder.parent))
    bars_on = datasets.is_progress_bar_enabled()
    try:
        if bars_on:  # a library prints no progress bar of its own
            datasets.disable_progress_bars()
        ds.save_to_disk(str(tmp))
        if folder.exists():  # the old one out of the way first: rename cannot replace a folder
            old = tmp.with_name(tmp.name + ".old")
            folder.rename(old)
            tmp.rename(folder)
            shutil.rmtree(old)
        else:
            tmp.rename(folder)
    finally:
        if bars_on:
            datasets.enable_progress_bars()
        if tmp.exists():
            shutil.rmtree(tmp)
    return [folder]
