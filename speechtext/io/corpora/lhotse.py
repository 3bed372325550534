"""lhotse manifests: a ``RecordingSet`` and a ``SupervisionSet``, each JSON Lines (gzipped as
``.jsonl.gz``), as ``lhotse`` writes them (``recordings.jsonl.gz``, ``supervisions.jsonl.gz``,
with any prefix: ``lhotse kaldi import`` writes ``<prefix>recordings.jsonl.gz``).

A recording's source is a file (``"type": "file"``) or a command (``"command"``, refused
unless ``allow_commands``); URLs and in-memory audio are not read yet. Writing needs each
recording's sampling rate, sample count and channels: they come from the audio header. A
supervision keeps id, recording, start, duration, text and speaker; its other fields
(language, gender, custom, alignment) are not carried.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ...errors import FormatError
from ..manifest import parse_json
from .files import read_manifest_lines, write_manifest_lines
from .model import Corpus, Recording, Utterance

__all__ = ["find_lhotse_manifests", "read_lhotse_manifests", "write_lhotse_manifests"]

_SUFFIXES = (".jsonl.gz", ".jsonl")


def find_lhotse_manifests(path: str | os.PathLike) -> tuple[Path, Path] | None:
    """``(recordings, supervisions)`` of a folder holding one pair, or of a path to either file
    of a pair (the other beside it, with the same prefix); None if there is none."""
    path = Path(path)
    if path.is_dir():
        pairs = []
        for suffix in _SUFFIXES:
            for rec in sorted(path.glob(f"*recordings{suffix}")):
                prefix = rec.name[: -len(f"recordings{suffix}")]
                sup = path / f"{prefix}supervisions{suffix}"
                if sup.is_file():
                    pairs.append((rec, sup))
        if len(pairs) > 1:
            names = ", ".join(p[0].name for p in pairs)
            raise FormatError(
                f"{path}: holds several lhotse recording manifests ({names}); give the one to read"
            )
        return pairs[0] if pairs else None
    name = path.name
    for suffix in _SUFFIXES:
        for mine, other in (("recordings", "supervisions"), ("supervisions", "recordings")):
            if name.endswith(mine + suffix):
                twin = path.with_name(name[: -len(mine + suffix)] + other + suffix)
                if path.is_file() and twin.is_file():
                    return (path, twin) if mine == "recordings" else (twin, path)
    return None


def _objects(path):
    for n, line in enumerate(read_manifest_lines(path), 1):
        if line.strip():
            obj = parse_json(line, path, line=n)
            if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
                raise FormatError(f'{path}:{n}: expected a JSON object with an "id"')
            yield n, obj


def _recording(obj, path, n, allow_commands):
    sources = obj.get("sources")
    if not isinstance(sources, list) or not sources or not isinstance(sources[0], dict):
        raise FormatError(f'{path}:{n}: recording {obj["id"]!r} has no "sources"')
    if len(sources) > 1:
        raise FormatError(
            f"{path}:{n}: recording {obj['id']!r} has {len(sources)} sources (one per "
            "channel); speechtext reads recordings of one source file"
        )
    kind, where = sources[0].get("type"), sources[0].get("source")
    if kind == "file" and isinstance(where, str):
        return Recording(obj["id"], path=where)
    if kind == "command" and isinstance(where, str):
        if not allow_commands:
            raise FormatError(
                f"{path}:{n}: recording {obj['id']!r} is a command ({where!r}); speechtext runs "
                "no command from a manifest unless told to: pass --allow-commands "
                "(allow_commands=True) if you trust it, or extract the audio to files first"
            )
        return Recording(obj["id"], command=where)
    raise FormatError(
        f"{path}:{n}: recording {obj['id']!r}: a source of type {kind!r}; speechtext reads "
        "file sources (and commands with --allow-commands)"
    )


def _seconds(obj, key, path, n):
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise FormatError(f"{path}:{n}: {key} {value!r} is not a number of seconds")
    return value


def read_lhotse_manifests(path: str | os.PathLike, *, allow_commands: bool = False) -> Corpus:
    """Read a lhotse recording + supervision pair (a folder, or the path of either file)."""
    found = find_lhotse_manifests(path)
    if found is None:
        raise FormatError(
            f"{path}: no lhotse manifests (recordings.jsonl[.gz] with supervisions.jsonl[.gz])"
        )
    rec_path, sup_path = found
    recordings = {}
    for n, obj in _objects(rec_path):
        if obj["id"] in recordings:
            raise FormatError(f"{rec_path}:{n}: recording id {obj['id']!r} again")
        recordings[obj["id"]] = _recording(obj, rec_path, n, allow_commands)
    utterances = []
    for n, obj in _objects(sup_path):
        text, speaker = obj.get("text"), obj.get("speaker")
        utterances.append(
            Utterance(
                obj["id"],
                str(obj.get("recording_id")),
                start=_seconds(obj, "start", sup_path, n),
                duration=_seconds(obj, "duration", sup_path, n),
                text=None if text is None else str(text),
                speaker=None if speaker is None else str(speaker),
            )
        )
    return Corpus(recordings, utterances, root=rec_path.parent).check(str(sup_path))


def write_lhotse_manifests(
    corpus: Corpus, path: str | os.PathLike, *, prefix: str = ""
) -> list[Path]:
    """Write ``<prefix>recordings.jsonl.gz`` and ``<prefix>supervisions.jsonl.gz`` in the
    folder ``path``; the recordings' rates, lengths and channels from their audio headers."""
    from ..audio import audio_info

    folder = Path(path)
    corpus = corpus.resolved()
    used = {u.recording_id for u in corpus.utterances}
    channels = {}
    rec_lines = []
    for rec in corpus.recordings.values():
        if rec.id not in used:
            continue
        if rec.path is None:
            raise FormatError(
                f"{folder}: recording {rec.id!r} is a command ({rec.command!r}); its rate and "
                "length are unknown without running it: extract the audio first"
            )
        info = audio_info(corpus.audio_path(rec))
        channels[rec.id] = list(range(info.channels))
        rec_lines.append(
            json.dumps(
                {
                    "id": rec.id,
                    "sources": [{"type": "file", "channels": channels[rec.id], "source": rec.path}],
                    "sampling_rate": info.sr,
                    "num_samples": info.frames,
                    "duration": info.frames / info.sr,
                    "channel_ids": channels[rec.id],
                },
                ensure_ascii=False,
            )
        )
    sup_lines = []
    for u in corpus.utterances:
        chans = channels[u.recording_id]
        obj = {
            "id": u.id,
            "recording_id": u.recording_id,
            "start": u.start,
            "duration": u.duration,
            "channel": chans[0] if len(chans) == 1 else chans,
        }
        if u.text is not None:
            obj["text"] = u.text
        if u.speaker is not None:
            obj["speaker"] = u.speaker
        sup_lines.append(json.dumps(obj, ensure_ascii=False))
    return [
        write_manifest_lines(folder / f"{prefix}recordings.jsonl.gz", rec_lines),
        write_manifest_lines(folder / f"{prefix}supervisions.jsonl.gz", sup_lines),
    ]
