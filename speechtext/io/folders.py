"""Inputs given as files and folders, and the output paths that mirror them."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import SpeechTextError

__all__ = ["Job", "collect_jobs", "ensure_output_dir", "refuse_overwriting_inputs"]


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


def _file_id(path):
    """``(st_dev, st_ino)`` of an existing file or folder (links followed), else None."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def _relation(output, given):
    """How ``output`` is the same file as the input ``given``, for messages."""
    if os.path.abspath(output) == os.path.abspath(given):
        return "it is"
    if os.path.realpath(output) == os.path.realpath(given):
        return "through a symbolic link, it is"
    return "it is a hard link to"


def refuse_overwriting_inputs(
    outputs: Iterable[str | os.PathLike],
    inputs: Iterable[str | os.PathLike],
    *,
    what: str = "-o",
) -> None:
    """Refuse, before anything is read, outputs that would overwrite an input.

    An output overwrites an input when it is the same file: the same path, a symbolic link to
    it (or through a linked folder) or a hard link (the same device and inode, as
    :func:`os.path.samefile` compares them). An output folder that is an input folder counts
    too: the outputs would land among the inputs and be read back as inputs. (An output folder
    *inside* an input folder is fine: :func:`collect_jobs` never reads it back.)

    Parameters
    ----------
    outputs : iterable of path
        The files (or the output folder) the command will write.
    inputs : iterable of path
        Every file and folder the command reads; missing ones are passed over (their reader
        reports them).
    what : str
        How the message names the outputs (the option that gives them: ``"-o"``).

    Raises
    ------
    SpeechTextError
        Naming the output and the input.

    Examples
    --------
    >>> refuse_overwriting_inputs(["g.conll"], ["g.conll"])  # doctest: +SKIP
    Traceback (most recent call last):
    ...
    speechtext.errors.SpeechTextError: -o g.conll would overwrite an input: it is the input \
g.conll; choose another -o
    """
    ids = {}
    for given in inputs:
        ids.setdefault(_file_id(given), given)
    ids.pop(None, None)
    for output in outputs:
        given = ids.get(_file_id(output))
        if given is not None:
            kind = "folder" if os.path.isdir(given) else ""
            raise SpeechTextError(
                f"{what} {output} would overwrite an input: {_relation(output, given)} the "
                f"input {kind + ' ' if kind else ''}{given}; choose another {what}"
            )


def _walk(folder, extensions, skip):
    """Files under ``folder`` with one of ``extensions``; ``skip`` (a resolved OUTDIR inside
    the folder) and hidden files are left out."""
    real = folder.resolve()
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts):
            continue  # hidden files and our own .part temp files
        inside = real / rel
        if skip != real and (inside == skip or skip in inside.parents):
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
        Missing inputs, empty folders, outputs that would overwrite an input (the same path, a
        symbolic or a hard link), and outputs two inputs would share; those inputs are left out
        of ``jobs``.
    """
    outdir = Path(outdir).absolute()
    real_outdir = outdir.resolve()
    found, problems = [], []
    for given in inputs:
        path = Path(given)
        if not path.exists():
            problems.append((path, "no such file or folder; check the path"))
        elif path.is_dir():
            items = [
                (path / rel, rel) for _, rel in _walk(path.absolute(), extensions, real_outdir)
            ]
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

    inputs_abs = {p.absolute(): p for p, _ in found}
    input_ids = {_file_id(p): p for p, _ in found}
    input_ids.pop(None, None)
    owners = {}
    jobs = []
    for source, rel in found:
        stem = rel.with_suffix("")
        outputs = tuple(outdir / f"{stem}{suffix}" for suffix in output_suffixes)
        clash = next(
            (
                (o, inputs_abs.get(o) or input_ids.get(_file_id(o)))
                for o in outputs
                if o in inputs_abs or _file_id(o) in input_ids
            ),
            None,
        )
        if clash is not None:
            output, given = clash
            problems.append(
                (
                    source,
                    f"its output {output} would overwrite an input: {_relation(output, given)} "
                    f"the input {given}; choose another -o",
                )
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
