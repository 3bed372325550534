"""The one place manifest files are read and written: text, gzip-compressed when the name ends
in ``.gz``. Writes are atomic. (Remote URLs, through fsspec, would plug in here.)"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

from ...errors import FormatError
from ..atomic import write_bytes
from ..text import decode_text, read_bytes, split_lines

__all__ = ["read_manifest_lines", "write_manifest_lines"]


def read_manifest_lines(path: str | os.PathLike) -> list[str]:
    """A manifest file's lines (gunzipped for ``.gz``); FormatError naming the file."""
    path = Path(path)
    data = read_bytes(path, what="manifest")
    if path.suffix == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise FormatError(f"{path}: not a readable gzip file ({exc}); recompress it") from None
    return split_lines(decode_text(data, str(path)))


def write_manifest_lines(path: str | os.PathLike, lines: list[str]) -> Path:
    """Write lines (each ended by a line feed) atomically, gzip-compressed for ``.gz``."""
    path = Path(path)
    data = "".join(line + "\n" for line in lines).encode("utf-8")
    if path.suffix == ".gz":
        data = gzip.compress(data, mtime=0)  # the same corpus gives the same bytes
    write_bytes(path, data)
    return path
