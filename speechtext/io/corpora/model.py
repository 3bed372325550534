"""The neutral corpus model every manifest format converts to and from: recordings (audio
files, or piped commands) and the utterances cut from them (start, duration, text, speaker).

Times are held to the microsecond (rounded when an utterance is made), so that a format that
stores ends (Kaldi ``segments``) and one that stores durations (NeMo, lhotse) give the same
numbers back. ``duration=None`` means "to the end of the recording" (a Kaldi dir without
``segments``); :meth:`Corpus.resolved` makes it explicit from the audio file's header.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from ...errors import FormatError

__all__ = ["TIME_DECIMALS", "Corpus", "Recording", "Utterance", "seconds"]

TIME_DECIMALS = 6  # times to the microsecond: below one sample at any common rate


def seconds(value: float | None) -> float | None:
    """A time rounded to :data:`TIME_DECIMALS` (None stays None)."""
    return None if value is None else round(float(value), TIME_DECIMALS) + 0.0


@dataclass(frozen=True)
class Recording:
    """One audio source: a file ``path`` (as the manifest wrote it), or a piped ``command``
    whose standard output is the audio (Kaldi ``wav.scp`` lines ending in ``|``)."""

    id: str
    path: str | None = None
    command: str | None = None

    @property
    def where(self) -> str:
        return self.path if self.command is None else f"{self.command} |"


@dataclass(frozen=True)
class Utterance:
    """One utterance: ``duration`` seconds from ``start`` of a recording (None: to its end)."""

    id: str
    recording_id: str
    start: float = 0.0
    duration: float | None = None
    text: str | None = None
    speaker: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "start", seconds(self.start))
        object.__setattr__(self, "duration", seconds(self.duration))

    @property
    def end(self) -> float | None:
        return None if self.duration is None else seconds(self.start + self.duration)


@dataclass
class Corpus:
    """Recordings by id and the utterances over them, in manifest order.

    ``root`` is the manifest's folder: a relative audio path is found as given (from the
    current folder, as Kaldi and lhotse tools read it) or else under ``root`` (as NeMo does).
    """

    recordings: dict[str, Recording] = field(default_factory=dict)
    utterances: list[Utterance] = field(default_factory=list)
    root: Path | None = None

    def recording(self, utterance: Utterance) -> Recording:
        return self.recordings[utterance.recording_id]

    def audio_path(self, recording: Recording) -> Path:
        """Where a recording's file is (see the class docs); the path as given if nowhere."""
        path = Path(os.path.expanduser(recording.path))
        if path.is_absolute() or path.exists() or self.root is None:
            return path
        under_root = self.root / path
        return under_root if under_root.exists() else path

    def check(self, where: str) -> Corpus:
        """Raise FormatError (naming ``where``) for duplicate ids or unknown recordings."""
        seen = set()
        for u in self.utterances:
            if u.id in seen:
                raise FormatError(
                    f"{where}: utterance id {u.id!r} appears twice; ids must be unique"
                )
            seen.add(u.id)
            if u.recording_id not in self.recordings:
                raise FormatError(
                    f"{where}: utterance {u.id!r} is on recording {u.recording_id!r}, which the "
                    "manifest does not list"
                )
        return self

    def durations(self) -> dict[str, float]:
        """Each recording's duration from its audio header (only those with a file)."""
        from ..audio import audio_info

        out = {}
        for rec in self.recordings.values():
            if rec.path is not None:
                out[rec.id] = audio_info(self.audio_path(rec)).duration
        return out

    def resolved(self) -> Corpus:
        """The same corpus with every ``duration=None`` made explicit from the audio header."""
        if all(u.duration is not None for u in self.utterances):
            return self
        lengths = self.durations()
        utterances = []
        for u in self.utterances:
            if u.duration is None:
                if u.recording_id not in lengths:
                    raise FormatError(
                        f"utterance {u.id!r}: its recording is a command, so its duration is "
                        "unknown; extract the audio to files first"
                    )
                u = replace(u, duration=lengths[u.recording_id] - u.start)
            utterances.append(u)
        return replace(self, utterances=utterances)
