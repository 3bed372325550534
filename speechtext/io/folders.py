"""Inputs given as files and folders, and the output paths that mirror them."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import SpeechTextError

__all__ = ["Job", "collect_jobs", "ensure_output_dir"]


@dataclass(frozen=True)
class Job:
    """One input file and the output files it makes (the first one is the main output).

    ``base`` is the outputs' common stem, ``outdir/<relative path without suffix>``: each output
    is ``base`` with one of the suffixes.
    """

    source: Path
    outputs: tuple[Path, ...]
    base: Path | None = None

    @property
    def done(self) -> bool:
        return all(p.exists() for p in self.outputs)


def _walk(folder, extensions, skip):
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts):
            continue  # hidden files and our own .part temp files
        if skip != folder and (path == skip or skip in path.parents):
            continue  # never read back our own outputs when OUTDIR lies inside an input folder
        if path.is_file() and path.suffix.lower() in extensions:
            yield path, rel


def collect_jobs(
    inputs: Iterable[str | os.PathLike],
    outdir: str | os.PathLike,
    *,
    extensions: Iterable[str],
    output_suffixes: list[str],
) -> tuple[list[Job], list[tuple[Path, str]]]:
    """Map input files and folders to jobs whose outputs mirror the inputs' relative paths.

    A file given by name maps to ``outdir/<name>``; a folder is searched recursively for files
    with one of ``extensions`` and each maps to ``outdir/<path relative to the folder>``. The
    suffix of every output is replaced by each of ``output_suffixes`` in turn (``[".wav"]``,
    ``[".f0.csv", ".summary.json"]`` ...).

    Returns
    -------
    jobs : list of Job
        With ``base``, ``outdir/<relative path without suffix>``.
    problems : list of (path, message)
        Missing inputs, empty folders, outputs that would overwrite an input, and outputs two
        inputs would share; those inputs are left out of ``jobs``.
    """
    outdir = Path(outdir).absolute()
    found, problems = [], []
    for given in inputs:
        path = Path(given)
        if not path.exists():
            problems.append((path, "no such file or folder; check the path"))
        elif path.is_dir():
            items = [(path / rel, rel) for _, rel in _walk(path.absolute(), extensions, outdir)]
            if not items:
                problems.append(
                    (
                        path,
                        f"no audio or text files ({', '.join(sorted(extensions))}) in this folder",
                    )
                )
            found.extend(items)
        else:
            found.append((path, Path(path.name)))

    inputs_abs = {p.absolute() for p, _ in found}
    owners = {}
    jobs = []
    for source, rel in found:
        stem = rel.with_suffix("")
        outputs = tuple(outdir / f"{stem}{suffix}" for suffix in output_suffixes)
        clash = next((o for o in outputs if o in inputs_abs), None)
        if clash is not None:
            problems.append(
                (source, f"its output {clash} would overwrite an input; choose another -o")
            )
            continue
        other = next((owners[o] for o in outputs if o in owners), None)
        if other is not None:
            problems.append(
                (
                    source,
                    f"its output {outputs[0]} would also be written from {other}; "
                    "rename one of them or convert them in separate runs",
                )
            )
            continue
        owners.update(dict.fromkeys(outputs, source))
        jobs.append(Job(source, outputs, outdir / stem))
    return jobs, problems


def ensure_output_dir(path: str | os.PathLike) -> None:
    """Create the output folder if needed and check that files can be written in it."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".speechtext-write-test-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise SpeechTextError(
            f"{path}: cannot write output here ({exc.strerror}); choose another -o folder"
        ) from None
