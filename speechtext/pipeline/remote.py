"""A run whose inputs or OUTDIR are fsspec URLs (``s3://bucket/...``): no shared file system.

The run's own process lists the inputs (one listing per folder URL) and, with ``resume``, the
markers and outputs already in OUTDIR (one listing, the markers read concurrently). A worker
fetches its input (and its transcript) into a scratch folder, runs the stages there as for a
local file, puts each output as one object and its completion marker last
(:mod:`speechtext.io.storage`): a worker killed mid-way leaves its input without a marker, redone
by ``--resume``. The manifest, the failures and the corpus-level outputs (``summary.csv``, the
evaluation report) are made in a local scratch folder and put at the end.

There is no lock on an OUTDIR URL (object stores have no ``flock``): one run at a time per
OUTDIR is the user's to keep. Corpus manifests at URLs are not read (give a local manifest).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import ParameterError, SpeechTextError
from ..io import storage

__all__ = [
    "Storage",
    "check_url_inputs",
    "done_on_storage",
    "list_url_inputs",
    "read_markers",
]


@dataclass(frozen=True)
class Storage:
    """Where a job's input and outputs are when they are URLs (None: on the local disk).

    With ``outdir``, the job's ``outputs``, ``base`` and ``marker`` are relative to it.
    """

    source: str | None = None  # the input's URL
    transcript: str | None = None  # the same-stem .txt beside an audio input, when read
    is_transcript: bool = False  # a .txt input beside a same-stem recording: one utterance
    outdir: str | None = None  # OUTDIR's URL
    options: dict | None = None  # fsspec storage options

    def url(self, relative: str | Path) -> str:
        """The URL of a file under OUTDIR."""
        return storage.join(self.outdir, Path(relative).as_posix())


_MANIFEST_SUFFIXES = (".json", ".jsonl", ".gz")


def check_url_inputs(inputs: list[str]) -> None:
    """Refuse corpus manifests at URLs (read only from the local disk, for now)."""
    for given in inputs:
        if storage.is_url(given) and given.lower().endswith(_MANIFEST_SUFFIXES):
            raise ParameterError(
                f"{given}: a corpus manifest at a URL is not read; copy the manifest to a local "
                "file and run on it (its recordings must be local paths too), or give the "
                "folder of recordings or texts at the URL"
            )


def _siblings(url, options):
    """The files of the folder holding the file ``url`` (for its transcript)."""
    parent = url.rsplit("/", 1)[0]
    return {u for u, _ in storage.list_files(parent, options=options) or []}


def list_url_inputs(
    url: str,
    *,
    extensions: set[str],
    audio_extensions: set[str],
    transcripts: bool,
    skip: str | None,
    options: dict | None,
) -> tuple[list[tuple[str, PurePosixPath, Storage]], str | None]:
    """The inputs at ``url`` (a folder, searched recursively, or one file) as
    ``(url, path relative to it, Storage)``, and a problem (missing, empty) or None.

    ``transcripts``: audio inputs read their same-stem ``.txt`` (a spec with text stages);
    ``skip``: OUTDIR's URL, never read back when it lies inside the folder.
    """
    listing = storage.list_files(url, options=options)
    if listing is None:
        return [], "no such object or folder; check the URL (and that the bucket exists)"
    single = listing == [(url, listing[0][1])] if listing else False
    names = _siblings(url, options) if single else {u for u, _ in listing}
    if skip is not None:
        inside = skip.rstrip("/") + "/"
        listing = [(u, rel) for u, rel in listing if not u.startswith(inside)]
    items = []
    for item, rel in listing:
        if not single and rel.suffix.lower() not in extensions:
            continue
        stem = item[: -len(rel.suffix)] if rel.suffix else item
        transcript = f"{stem}.txt"
        is_audio = rel.suffix.lower() in audio_extensions
        items.append(
            (
                item,
                rel,
                Storage(
                    source=item,
                    transcript=transcript
                    if is_audio and transcripts and transcript in names
                    else None,
                    is_transcript=not is_audio
                    and any(f"{stem}{x}" in names for x in audio_extensions),
                    options=options,
                ),
            )
        )
    if not items:
        return [], f"no audio or text files ({', '.join(sorted(extensions))}) in this folder"
    return items, None


def read_markers(jobs: list[Any]) -> dict[str, dict | None]:
    """The markers of jobs whose OUTDIR is a URL, read concurrently: source -> its entry (None:
    missing or unreadable)."""
    jobs = [j for j in jobs if j.storage is not None and j.storage.outdir is not None]
    if not jobs:
        return {}
    urls = {j.storage.url(j.marker): j for j in jobs}
    got = storage.read_many(list(urls), options=jobs[0].storage.options)
    out = {}
    for url, job in urls.items():
        entry = None
        data = got.get(url)
        if data is not None:
            try:
                entry = json.loads(data)
            except ValueError:
                entry = None
        out[str(job.source)] = entry if isinstance(entry, dict) else None
    return out


def done_on_storage(jobs: list[Any], outdir: str, options: dict | None) -> set[str]:
    """The sources of the jobs complete in the OUTDIR URL for their spec: the marker (of the
    same fingerprint) and every output there. One listing of OUTDIR, and the markers found read
    concurrently."""
    try:
        listed = {
            rel.as_posix()
            for _, rel in storage.list_files(outdir, hidden=True, options=options) or []
        }
    except SpeechTextError:
        return set()
    candidates = [
        j
        for j in jobs
        if Path(j.marker).as_posix() in listed
        and all(Path(o).as_posix() in listed for o in j.outputs)
    ]
    entries = read_markers(candidates)
    return {
        str(j.source)
        for j in candidates
        if (entries.get(str(j.source)) or {}).get("spec") == j.fingerprint
    }
