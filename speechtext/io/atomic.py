"""Atomic writes: a file appears complete under its final name, or not at all."""

import contextlib
import functools
import os
import tempfile
from pathlib import Path

from ..errors import SpeechTextError

__all__ = ["atomic_path", "write_bytes", "write_text"]


@functools.cache
def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path, *, suffix=None):
    """Yield a temporary path beside ``path``; rename it to ``path`` when the block succeeds.

    The temporary file lives in the same folder (so the rename is atomic on POSIX) and is removed
    if the block raises or is interrupted. Missing parent folders are created.

    Examples
    --------
    >>> with atomic_path("out/x.wav") as tmp:  # doctest: +SKIP
    ...     soundfile.write(tmp, y, 8000)
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=suffix or path.suffix + ".part"
        )
    except OSError as exc:
        raise SpeechTextError(
            f"{path.parent}: cannot write here ({exc.strerror}); choose another output folder"
        ) from None
    os.close(fd)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file normal permissions
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text(path, text, *, encoding="utf-8"):
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text, encoding=encoding)


def write_bytes(path, data):
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(data)
