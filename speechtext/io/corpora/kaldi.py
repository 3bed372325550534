"""Kaldi data directories: ``wav.scp``, ``segments``, ``text``, ``utt2spk``, ``spk2utt``.

Every file is ``<id> <rest of the line>``, sorted by id (bytewise, as ``LC_ALL=C sort``; Kaldi
requires it). Without ``segments`` each recording is one utterance of the same id. A
``wav.scp`` entry ending in ``|`` is a shell command whose output is the audio: it is refused
unless ``allow_commands`` (it would run whatever the file says). ``spk2utt`` is written from
``utt2spk`` and read only where ``utt2spk`` is missing. Other files (``feats.scp``,
``reco2dur`` ...) are left alone.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ...errors import FormatError
from .files import read_manifest_lines, write_manifest_lines
from .model import Corpus, Recording, Utterance

__all__ = ["is_kaldi_dir", "read_kaldi_dir", "write_kaldi_dir"]

_SPACE = re.compile(r"\s")


def is_kaldi_dir(path: str | os.PathLike) -> bool:
    return (Path(path) / "wav.scp").is_file()


def _entries(path, *, fields=None):
    """``(line, id, rest)`` of each non-blank line; ``fields``: the number the line must have."""
    out = []
    seen = {}
    for n, line in enumerate(read_manifest_lines(path), 1):
        if not line.strip():
            continue
        parts = line.strip().split(maxsplit=1)
        key, rest = parts[0], parts[1] if len(parts) > 1 else ""
        if fields is not None and len(line.split()) != fields:
            raise FormatError(
                f"{path}:{n}: expected {fields} fields separated by spaces, got "
                f"{len(line.split())}: {line.strip()!r}"
            )
        if key in seen:
            raise FormatError(f"{path}:{n}: id {key!r} again (first on line {seen[key]})")
        seen[key] = n
        out.append((n, key, rest))
    return out


def _time(text, path, n, what):
    try:
        return float(text)
    except ValueError:
        raise FormatError(f"{path}:{n}: {what} {text!r} is not a number of seconds") from None


def read_kaldi_dir(path: str | os.PathLike, *, allow_commands: bool = False) -> Corpus:
    """Read a Kaldi data dir into a :class:`~speechtext.io.corpora.Corpus`.

    Raises
    ------
    FormatError
        Naming the file and line: a piped command without ``allow_commands``, a malformed line,
        a repeated id, a segment of an unknown recording, a text or speaker of an unknown
        utterance, a segment ending before it starts.
    """
    folder = Path(path)
    wav_scp = folder / "wav.scp"
    recordings = {}
    for n, rec, rest in _entries(wav_scp):
        if not rest:
            raise FormatError(f"{wav_scp}:{n}: {rec!r} has no audio path after its id")
        if rest.endswith("|"):
            if not allow_commands:
                raise FormatError(
                    f"{wav_scp}:{n}: recording {rec!r} is a piped command ({rest!r}); "
                    "speechtext runs no command from a manifest unless told to: pass "
                    "--allow-commands (allow_commands=True) if you trust it, or extract the "
                    "audio to files first"
                )
            recordings[rec] = Recording(rec, command=rest[:-1].strip())
        else:
            recordings[rec] = Recording(rec, path=rest)

    utterances = []
    segments = folder / "segments"
    if segments.is_file():
        for n, utt, rest in _entries(segments, fields=4):
            rec, start, end = rest.split()
            if rec not in recordings:
                raise FormatError(f"{segments}:{n}: recording {rec!r} is not in {wav_scp}")
            start = _time(start, segments, n, "start")
            end = _time(end, segments, n, "end")
            if end == -1:  # Kaldi: to the end of the recording
                duration = None
            elif end <= start or start < 0:
                raise FormatError(
                    f"{segments}:{n}: segment {utt!r} from {start} s to {end} s; the end must "
                    "come after the start (or be -1: the end of the recording)"
                )
            else:
                duration = end - start
            utterances.append(Utterance(utt, rec, start, duration))
    else:
        utterances = [Utterance(rec, rec) for rec in recordings]

    by_id = {u.id: k for k, u in enumerate(utterances)}

    def attach(file, key):
        for n, utt, rest in _entries(file):
            if utt not in by_id:
                raise FormatError(f"{file}:{n}: utterance {utt!r} is not in the data dir")
            k = by_id[utt]
            utterances[k] = Utterance(**{**utterances[k].__dict__, key: rest})

    if (folder / "text").is_file():
        attach(folder / "text", "text")
    if (folder / "utt2spk").is_file():
        attach(folder / "utt2spk", "speaker")
    elif (folder / "spk2utt").is_file():
        spk2utt = folder / "spk2utt"
        for n, spk, rest in _entries(spk2utt):
            for utt in rest.split():
                if utt not in by_id:
                    raise FormatError(f"{spk2utt}:{n}: utterance {utt!r} is not in the data dir")
                k = by_id[utt]
                utterances[k] = Utterance(**{**utterances[k].__dict__, "speaker": spk})
    return Corpus(recordings, utterances, root=folder).check(str(folder))


def _c_sorted(rows):
    return sorted(rows, key=lambda row: row[0].encode("utf-8"))


def _fmt(t):
    return f"{t:.6f}".rstrip("0").rstrip(".") if t != int(t) else f"{int(t)}"


def _check_id(value, what, where):
    if not value or _SPACE.search(value):
        raise FormatError(
            f"{where}: {what} {value!r} cannot be written to a Kaldi data dir: Kaldi ids are "
            "non-empty and hold no white space; rename it"
        )


def write_kaldi_dir(corpus: Corpus, path: str | os.PathLike) -> list[Path]:
    """Write ``corpus`` as a Kaldi data dir (the folder is created); return the files written.

    ``segments`` is written unless every utterance is a whole recording of the same id;
    ``text`` where utterances have text, ``utt2spk``/``spk2utt`` where they have speakers.
    """
    folder = Path(path)
    for rec in corpus.recordings.values():
        _check_id(rec.id, "recording id", folder)
    for u in corpus.utterances:
        _check_id(u.id, "utterance id", folder)
        if u.speaker is not None:
            _check_id(u.speaker, "speaker", folder)
        if u.text is not None and "\n" in u.text:
            raise FormatError(
                f"{folder}: the text of {u.id!r} holds a line break; Kaldi's "
                "text file has one line per utterance"
            )
    used = {u.recording_id for u in corpus.utterances}
    files = {
        "wav.scp": [
            (r.id, r.path if r.command is None else f"{r.command} |")
            for r in corpus.recordings.values()
            if r.id in used
        ]
    }
    whole = all(
        u.id == u.recording_id and u.start == 0 and u.duration is None for u in corpus.utterances
    )
    if not whole:
        files["segments"] = [
            (u.id, f"{u.recording_id} {_fmt(u.start)} {'-1' if u.end is None else _fmt(u.end)}")
            for u in corpus.utterances
        ]
    texts = [(u.id, u.text) for u in corpus.utterances if u.text is not None]
    if texts:
        files["text"] = texts
    speakers = [(u.id, u.speaker) for u in corpus.utterances if u.speaker is not None]
    if speakers:
        files["utt2spk"] = speakers
        spk2utt = {}
        for utt, spk in _c_sorted(speakers):
            spk2utt.setdefault(spk, []).append(utt)
        files["spk2utt"] = [(spk, " ".join(utts)) for spk, utts in spk2utt.items()]
    written = []
    for name, rows in files.items():
        lines = [f"{key} {rest}" if rest else key for key, rest in _c_sorted(rows)]
        written.append(write_manifest_lines(folder / name, lines))
    return written
