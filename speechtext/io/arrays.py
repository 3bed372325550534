"""Model files made of numpy arrays and a JSON header, checksummed.

The file is a :func:`speechtext.io.cache.write_cache` header line (kind, SHA-256, length) then an
``.npz`` archive (compressed) holding the arrays and, as a uint8 array ``__meta__``, a JSON
object. :func:`read_arrays` checks the digest before numpy parses a byte and loads no pickled
object, so a cut, altered or foreign file is refused with a clear error, never a traceback.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import FormatError
from .cache import read_cache, write_cache

__all__ = ["read_arrays", "write_arrays"]

_META = "__meta__"


def write_arrays(
    path: str | os.PathLike, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any], *, kind: str
) -> None:
    """Write ``arrays`` and the JSON-able ``meta`` to ``path`` atomically, as a ``kind`` file."""
    buffer = io.BytesIO()
    encoded = np.frombuffer(json.dumps(dict(meta), ensure_ascii=False).encode("utf-8"), np.uint8)
    np.savez_compressed(buffer, **{_META: encoded}, **{k: np.asarray(v) for k, v in arrays.items()})
    write_cache(path, buffer.getvalue(), kind=kind)


def read_arrays(path: str | os.PathLike, *, kind: str) -> tuple[dict[str, np.ndarray], dict]:
    """The arrays and the meta object of a file :func:`write_arrays` wrote.

    Raises
    ------
    FormatError
        The file is missing, unreadable, not a ``kind`` file, or damaged (naming the file).
    """
    try:
        payload = read_cache(path, kind=kind)
    except FormatError as exc:
        why = str(exc).split(": ", 1)[-1].replace("cache file", f"{kind} file")
        raise FormatError(f"{path}: {why}") from None
    if payload is None:
        raise FormatError(f"{path}: no such file")
    try:
        with np.load(io.BytesIO(payload), allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        meta = json.loads(arrays.pop(_META).tobytes().decode("utf-8"))
    except (OSError, ValueError, KeyError, UnicodeDecodeError) as exc:
        raise FormatError(f"{path}: damaged {kind} file ({exc})") from None
    if not isinstance(meta, dict):
        raise FormatError(f"{path}: damaged {kind} file (no header object)")
    return arrays, meta
