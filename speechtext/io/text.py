"""Files read with clear errors: missing, a folder, unreadable; for text, binary or not UTF-8."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import FormatError

__all__ = ["decode_text", "read_bytes", "read_lines", "read_text", "split_lines"]

_SNIFF_BYTES = 8192  # a NUL byte this early means a binary file, not text


def decode_text(data: bytes, where: str) -> str:
    """Decode UTF-8 bytes (a BOM is dropped); FormatError naming ``where`` and the line."""
    if b"\0" in data[:_SNIFF_BYTES]:
        raise FormatError(f"{where}: binary file (NUL bytes); expected UTF-8 text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FormatError(
            f"{where}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
            "convert the file to UTF-8"
        ) from None


def read_bytes(path: str | os.PathLike, *, what: str | None = None) -> bytes:
    """A file's bytes; ``what`` names the kind of file in the messages (``"model"`` ...)."""
    path = Path(path)
    noun = f"{what} file" if what else "file"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise FormatError(f"{path}: no such {noun}; check the path") from None
    except IsADirectoryError:
        raise FormatError(f"{path}: is a folder, expected a {noun}") from None
    except OSError as exc:
        raise FormatError(f"{path}: cannot read ({exc.strerror})") from None


def read_text(path: str | os.PathLike, *, what: str | None = None) -> str:
    """A UTF-8 file's text (see :func:`read_bytes` and :func:`decode_text`)."""
    return decode_text(read_bytes(path, what=what), Path(path))


def split_lines(text: str) -> list[str]:
    """Lines without their ends, split on line feeds only (``str.splitlines`` would also split
    on U+2028 or U+0085, which JSON strings and tokens may hold)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def read_lines(path: str | os.PathLike, *, what: str | None = None) -> list[str]:
    """A file's lines without line ends (see :func:`read_text`)."""
    return split_lines(read_text(path, what=what))
