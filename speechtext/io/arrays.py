"""Model files made of numpy arrays and a JSON header, checksummed.

The file is a :func:`speechtext.io.cache.write_cache` header line (kind, SHA-256, length) then an
``.npz`` archive holding the arrays and, as a uint8 array ``__meta__``, a JSON object; the archive
is deflate-compressed (``compression="zlib"``) or a stored one compressed whole by lzma
(``"lzma"``: half the size on the G2P model's arrays; recognised by its magic bytes).
:func:`read_arrays` checks the digest before numpy parses a byte and loads no pickled object, so
a cut, altered or foreign file is refused with a clear error, never a traceback.

:func:`write_mapped` and :func:`read_mapped` keep arrays uncompressed for memory-mapping (a
derived copy in a cache: a model's start in milliseconds).
"""

from __future__ import annotations

import io
import json
import lzma
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import FormatError, ParameterError
from .cache import read_cache, write_cache

if TYPE_CHECKING:
    import numpy as np

__all__ = ["read_arrays", "read_mapped", "write_arrays", "write_mapped"]

_META = "__meta__"
_LZMA_MAGIC = b"\xfd7zXZ\x00"


def write_arrays(
    path: str | os.PathLike,
    arrays: Mapping[str, np.ndarray],
    meta: Mapping[str, Any],
    *,
    kind: str,
    compression: str = "zlib",
) -> None:
    """Write ``arrays`` and the JSON-able ``meta`` to ``path`` atomically, as a ``kind`` file
    (``compression``: ``"zlib"`` or ``"lzma"``)."""
    import numpy as np

    buffer = io.BytesIO()
    encoded = np.frombuffer(json.dumps(dict(meta), ensure_ascii=False).encode("utf-8"), np.uint8)
    named = {_META: encoded, **{k: np.asarray(v) for k, v in arrays.items()}}
    if compression == "lzma":
        np.savez(buffer, **named)
        payload = lzma.compress(buffer.getvalue(), preset=6)
    elif compression == "zlib":
        np.savez_compressed(buffer, **named)
        payload = buffer.getvalue()
    else:
        raise ParameterError(f"compression={compression!r}: choose zlib or lzma")
    write_cache(path, payload, kind=kind)


def read_arrays(path: str | os.PathLike, *, kind: str) -> tuple[dict[str, np.ndarray], dict]:
    """The arrays and the meta object of a file :func:`write_arrays` wrote.

    Raises
    ------
    FormatError
        The file is missing, unreadable, not a ``kind`` file, or damaged (naming the file).
    """
    import numpy as np

    try:
        payload = read_cache(path, kind=kind)
    except FormatError as exc:
        why = str(exc).split(": ", 1)[-1].replace("cache file", f"{kind} file")
        raise FormatError(f"{path}: {why}") from None
    if payload is None:
        raise FormatError(f"{path}: no such file")
    try:
        if payload.startswith(_LZMA_MAGIC):
            payload = lzma.decompress(payload)
        with np.load(io.BytesIO(payload), allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        meta = json.loads(arrays.pop(_META).tobytes().decode("utf-8"))
    except (OSError, ValueError, KeyError, UnicodeDecodeError, lzma.LZMAError) as exc:
        raise FormatError(f"{path}: damaged {kind} file ({exc})") from None
    if not isinstance(meta, dict):
        raise FormatError(f"{path}: damaged {kind} file (no header object)")
    return arrays, meta


# -- uncompressed, memory-mapped copies (a model's fast start) --------------------------------
_MAPPED = b"speechtext-mapped"
_ALIGN = 64


def write_mapped(
    path: str | os.PathLike,
    arrays: Mapping[str, np.ndarray],
    meta: Mapping[str, Any],
    *,
    kind: str,
) -> None:
    """Write ``arrays`` uncompressed, for :func:`read_mapped` to map without reading them: a
    header line, a JSON block (kind, meta, each array's dtype, shape and offset, the data's
    CRC-32), then the arrays at 64-byte boundaries. Atomic."""
    import zlib

    import numpy as np

    from .atomic import atomic_path

    layout, offset, chunks = {}, 0, []
    for name, value in arrays.items():
        value = np.asarray(value)
        if not value.flags.c_contiguous:  # (np.ascontiguousarray would make a scalar 1-D)
            value = value.copy(order="C")
        offset = -(-offset // _ALIGN) * _ALIGN
        layout[name] = [value.dtype.str, list(value.shape), offset]
        chunks.append((offset, value))
        offset += value.nbytes
    data = bytearray(offset)
    for at, value in chunks:
        data[at : at + value.nbytes] = value.tobytes()
    head = {
        "kind": kind,
        "meta": dict(meta),
        "layout": layout,
        "crc32": zlib.crc32(data),
    }
    block = json.dumps(head, ensure_ascii=False).encode("utf-8")
    start = -(-(len(_MAPPED) + 22 + len(block)) // _ALIGN) * _ALIGN
    first = _MAPPED + b" %020d\n" % start
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(first + block + b"\n" * (start - len(first) - len(block)) + bytes(data))


def read_mapped(
    path: str | os.PathLike, *, kind: str, verify: bool = False
) -> tuple[dict[str, np.ndarray], dict]:
    """The arrays (read-only, mapped: pages are read when touched) and meta of a file
    :func:`write_mapped` wrote. Its layout is checked against the file's size; the data's
    CRC-32 only with ``verify`` (reading every page).

    Raises
    ------
    FormatError
        The file is unreadable, not a ``kind`` file, cut, or (``verify``) altered.
    """
    import zlib

    import numpy as np

    try:
        head, start, end = _mapped_head(path, kind)
        data = np.memmap(path, np.uint8, "r", offset=start, shape=(end,)) if end else None
        if verify and (data is None or zlib.crc32(data) != head["crc32"]):
            raise ValueError("its content does not match its checksum")
        arrays = {
            name: data[at : at + _nbytes(d, s)].view(np.dtype(d)).reshape(tuple(s))
            for name, (d, s, at) in head["layout"].items()
        }
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise FormatError(f"{path}: damaged {kind} file ({exc})") from None
    return arrays, head["meta"]


# numpy's dtype strings of the arrays a mapped file may hold, as memoryview formats and sizes
_FORMATS = {
    "|i1": ("b", 1), "|u1": ("B", 1), "<i2": ("h", 2), "<u2": ("H", 2), "<i4": ("i", 4),
    "<u4": ("I", 4), "<i8": ("q", 8), "<u8": ("Q", 8), "<f4": ("f", 4), "<f8": ("d", 8),
}  # fmt: skip


def _mapped_head(path, kind):
    """A mapped file's header block, where its data starts and its data's length (checked
    against the file's size)."""
    with open(path, "rb") as f:
        first = f.readline(64)
        if not first.startswith(_MAPPED + b" "):
            raise ValueError("no header")
        start = int(first.split()[1])
        head = json.loads(f.read(start - len(first)).decode("utf-8"))
    if head.get("kind") != kind:
        raise ValueError(f"not a {kind} file")
    size = os.path.getsize(path)
    end = max((at + _nbytes(d, s) for d, s, at in head["layout"].values()), default=0)
    if size != start + end:
        raise ValueError(f"{size} bytes where its layout needs {start + end}")
    return head, start, end


def read_mapped_views(path: str | os.PathLike, *, kind: str) -> tuple[dict[str, Any], dict]:
    """:func:`read_mapped` without numpy (whose import is most of a process's start): each
    array as a flat, read-only, bounds-checked memoryview of the mapped file (a 0-d array as
    its value), and the meta.

    Raises
    ------
    FormatError
        As :func:`read_mapped` (without ``verify``), or an array of a type it does not map.
    """
    import mmap

    try:
        head, start, end = _mapped_head(path, kind)
        with open(path, "rb") as f:
            data = memoryview(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)) if end else None
        views = {}
        for name, (dtype, shape, at) in head["layout"].items():
            fmt, size = _FORMATS[dtype]
            view = data[start + at : start + at + _nbytes(dtype, shape)].cast(fmt)
            views[name] = view[0] if shape == [] else view
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise FormatError(f"{path}: damaged {kind} file ({exc})") from None
    return views, head["meta"]


def _nbytes(dtype, shape):
    n = 1
    for k in shape:
        n *= int(k)
    if dtype in _FORMATS:
        return _FORMATS[dtype][1] * n
    import numpy as np

    return int(np.dtype(dtype).itemsize) * n
