"""NeMo manifests: JSON Lines, one utterance a line, ``{"audio_filepath", "duration", "text",
"offset"}`` (``offset`` 0 when absent).

speechtext also writes ``"id"``, ``"recording_id"`` and ``"speaker"`` (NeMo passes extra keys
through), so that a corpus comes back with its ids. Without them, a recording's id is its file
stem (numbered where two files share a stem) and an utterance's id is the recording's, with
``-<n>`` where a recording has several utterances. ``duration`` is required by NeMo; when
writing an utterance that runs to the end of its recording it is read from the audio header.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ...errors import FormatError
from ..manifest import parse_json
from .files import read_manifest_lines, write_manifest_lines
from .model import Corpus, Recording, Utterance

__all__ = ["is_nemo_manifest", "read_nemo_manifest", "write_nemo_manifest"]


def is_nemo_manifest(path: str | os.PathLike) -> bool:
    """A file whose first non-blank line is a JSON object with ``audio_filepath``."""
    path = Path(path)
    if not path.is_file() or path.suffix not in (".json", ".jsonl", ".gz"):
        return False
    try:
        lines = read_manifest_lines(path)
    except FormatError:
        return False
    first = next((line for line in lines if line.strip()), "")
    try:
        return "audio_filepath" in json.loads(first)
    except (ValueError, TypeError):
        return False


def _number(obj, key, path, n, default=None):
    value = obj.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise FormatError(f"{path}:{n}: {key} {value!r} is not a number of seconds")
    return value


def read_nemo_manifest(path: str | os.PathLike) -> Corpus:
    """Read a NeMo manifest; FormatError naming the line of a bad entry."""
    path = Path(path)
    rows = []
    for n, line in enumerate(read_manifest_lines(path), 1):
        if not line.strip():
            continue
        obj = parse_json(line, path, line=n)
        if not isinstance(obj, dict) or not isinstance(obj.get("audio_filepath"), str):
            raise FormatError(f'{path}:{n}: expected an object with "audio_filepath" (a path)')
        text = obj.get("text")
        if text is not None and not isinstance(text, str):
            raise FormatError(f'{path}:{n}: "text" must be a string')
        rows.append((n, obj, text))
    # recording ids: given, else the file stem (numbered where stems clash)
    rec_of_path, recordings = {}, {}
    for _, obj, _ in rows:
        audio = obj["audio_filepath"]
        if audio in rec_of_path:
            continue
        rec = obj.get("recording_id")
        if not isinstance(rec, str):
            stem = Path(audio).name.split(".")[0] or "rec"
            rec, k = stem, 1
            while rec in recordings:
                k += 1
                rec = f"{stem}-{k}"
        rec_of_path[audio] = rec
        recordings[rec] = Recording(rec, path=audio)
    per_rec = {}
    for _, obj, _ in rows:
        per_rec[rec_of_path[obj["audio_filepath"]]] = (
            per_rec.get(rec_of_path[obj["audio_filepath"]], 0) + 1
        )
    counts, utterances = {}, []
    for n, obj, text in rows:
        rec = rec_of_path[obj["audio_filepath"]]
        counts[rec] = counts.get(rec, 0) + 1
        utt = obj.get("id")
        if not isinstance(utt, str):
            utt = rec if per_rec[rec] == 1 else f"{rec}-{counts[rec]}"
        speaker = obj.get("speaker")
        utterances.append(
            Utterance(
                utt,
                rec,
                start=_number(obj, "offset", path, n, 0.0),
                duration=_number(obj, "duration", path, n),
                text=text,
                speaker=None if speaker is None else str(speaker),
            )
        )
    return Corpus(recordings, utterances, root=path.parent).check(str(path))


def write_nemo_manifest(corpus: Corpus, path: str | os.PathLike) -> list[Path]:
    """Write a NeMo manifest (every duration explicit, from the audio where unknown)."""
    corpus = corpus.resolved()
    lines = []
    for u in corpus.utterances:
        rec = corpus.recording(u)
        if rec.path is None:
            raise FormatError(
                f"{path}: recording {rec.id!r} is a command ({rec.command!r}); NeMo manifests "
                "name audio files: extract the audio first"
            )
        obj = {"audio_filepath": rec.path, "duration": u.duration, "offset": u.start}
        if u.text is not None:
            obj["text"] = u.text
        obj |= {"id": u.id, "recording_id": rec.id}
        if u.speaker is not None:
            obj["speaker"] = u.speaker
        lines.append(json.dumps(obj, ensure_ascii=False))
    return [write_manifest_lines(path, lines)]
