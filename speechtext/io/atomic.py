"""Atomic writes: a file appears complete under its final name, or not at all; and the removal
of the temporary files a killed writer left behind."""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import SpeechTextError

__all__ = ["atomic_path", "check_output_file", "remove_temp_files", "write_bytes", "write_text"]


@functools.cache
def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_output_file(path: str | os.PathLike, *, what: str = "output") -> None:
    """Raise SpeechTextError if ``path`` cannot be an output file: it is a folder, or a folder
    above it is a file. Commands call it before their work, so a long run is not lost at the end.

    Examples
    --------
    >>> check_output_file(".")
    Traceback (most recent call last):
    ...
    speechtext.errors.SpeechTextError: .: is a folder; give a file name for the output
    """
    path = Path(path)
    if path.is_dir():
        raise SpeechTextError(f"{path}: is a folder; give a file name for the {what}")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise SpeechTextError(
                    f"{path}: {parent} is a file, not a folder; choose another path for the {what}"
                )
            break


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` when the block succeeds.

    The temporary file lives in the same folder (so the rename is atomic on POSIX) and is removed
    if the block raises or is interrupted. Missing parent folders are created. A ``path`` that
    is a folder is a SpeechTextError before the block runs.

    Examples
    --------
    >>> with atomic_path("out/x.wav") as tmp:  # doctest: +SKIP
    ...     soundfile.write(tmp, y, 8000)
    """
    path = Path(path)
    fd, tmp = _temp_beside(path, suffix)
    os.close(fd)
    with _renamed_on_success(path, tmp):
        yield Path(tmp)


def write_text(path: str | os.PathLike, text: str, *, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically."""
    write_bytes(path, text.encode(encoding))


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (through the temporary file's own descriptor: a
    batch writes thousands of small files, and opening each twice shows)."""
    path = Path(path)
    fd, tmp = _temp_beside(path, None)
    with _renamed_on_success(path, tmp), open(fd, "wb") as file:
        file.write(data)


def _temp_beside(path, suffix):
    """A new temporary file beside ``path`` (its folders made), with normal permissions:
    ``(descriptor, name)``."""
    check_output_file(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=suffix or path.suffix + ".part"
        )
    except OSError as exc:
        raise SpeechTextError(
            f"{path.parent}: cannot write here ({exc.strerror}); choose another output folder"
        ) from None
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; give the file normal permissions
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return fd, tmp


@contextlib.contextmanager
def _renamed_on_success(path, tmp):
    """Rename ``tmp`` to ``path`` when the block succeeds; remove it when it raises or is
    interrupted."""
    try:
        yield
        try:
            os.replace(tmp, path)
        except IsADirectoryError:  # a folder made there while the block ran
            raise SpeechTextError(f"{path}: is a folder; give a file name for the output") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _owner(name, names):
    """Whether ``name`` is a temporary file of one of ``names``: ``.<name>.<random><suffix>.part``
    (as :func:`atomic_path` makes them)."""
    if not (name.startswith(".") and name.endswith(".part")):
        return False
    dot = name.find(".", 1)
    while dot != -1:
        if name[1:dot] in names:
            return True
        dot = name.find(".", dot + 1)
    return False


def remove_temp_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Remove the temporary files a killed writer left beside ``paths``; return them.

    One listing per folder, however many paths it holds. Call it only where no other process
    writes these paths (the OUTDIR lock held; the writers ended).

    Examples
    --------
    >>> remove_temp_files(["out/a.wav", "out/b.wav"])  # doctest: +SKIP
    [PosixPath('out/.a.wav.k2x9_q1a.wav.part')]
    """
    folders: dict[Path, set[str]] = {}
    for p in paths:
        p = Path(p)
        folders.setdefault(p.parent, set()).add(p.name)
    removed = []
    for folder, names in folders.items():
        try:
            entries = list(os.scandir(folder))
        except OSError:  # not made yet
            continue
        for entry in entries:
            if _owner(entry.name, names):
                try:
                    os.unlink(entry.path)
                except OSError:
                    continue
                removed.append(Path(entry.path))
    return removed
