"""The user cache folder, shared by every stage that caches (the dictionary, the default tagger),
and cache files whose content is verified before it is used.

A cache file written by :func:`write_cache` starts with one header line,
``speechtext-cache KIND sha256=HEX bytes=N``, then the payload. :func:`read_cache` returns the
payload only when the kind, the length and the SHA-256 match, so a cut, altered or foreign file
never reaches the code that parses it (``pickle.loads``, a native library). The digest detects
damage, not a forger: whoever can write the user's cache folder can already run code as the user.

Examples
--------
>>> import tempfile
>>> path = Path(tempfile.mkdtemp()) / "words.cache"
>>> write_cache(path, b"hello world", kind="words")
>>> read_cache(path, kind="words")
b'hello world'
>>> _ = path.write_bytes(path.read_bytes()[:-1])
>>> read_cache(path, kind="words")  # doctest: +ELLIPSIS
Traceback (most recent call last):
speechtext.errors.FormatError: ...words.cache: damaged cache file (10 bytes where its header ...
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from ..errors import FormatError

__all__ = ["cache_dir", "read_cache", "write_cache"]

_HEADER = re.compile(rb"speechtext-cache (\S+) sha256=([0-9a-f]{64}) bytes=(\d+)\n")
_HEADER_MAX = 256  # bytes: a longer first line is not a header


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/speechtext`` (``~/.cache/speechtext`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "speechtext"


def write_cache(path: str | os.PathLike, payload: bytes, *, kind: str) -> None:
    """Write ``payload`` to the cache file ``path`` after its header (kind, SHA-256, length),
    atomically.

    Raises
    ------
    SpeechTextError, OSError
        The folder cannot be written (a cache is optional: callers go on without it).
    """
    from .atomic import write_bytes

    if not re.fullmatch(r"\S+", kind):
        raise ValueError(f"kind={kind!r}: one word, no white space")
    digest = hashlib.sha256(payload).hexdigest()
    header = f"speechtext-cache {kind} sha256={digest} bytes={len(payload)}\n".encode("ascii")
    write_bytes(path, header + payload)


def read_cache(path: str | os.PathLike, *, kind: str) -> bytes | None:
    """The payload of the cache file ``path`` written by :func:`write_cache`; None if absent.

    Raises
    ------
    FormatError
        The file cannot be read, is not a cache file of ``kind``, or its payload does not match
        its header (cut or altered): the caller rebuilds it.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise FormatError(f"{path}: cannot read the cache file ({exc.strerror})") from None
    header = _HEADER.match(data[:_HEADER_MAX])
    if header is None or header[1].decode("ascii") != kind:
        raise FormatError(f"{path}: damaged cache file (no speechtext-cache {kind} header)")
    payload = data[header.end() :]
    if len(payload) != int(header[3]):
        raise FormatError(
            f"{path}: damaged cache file ({len(payload)} bytes where its header announces "
            f"{int(header[3])})"
        )
    if hashlib.sha256(payload).hexdigest().encode("ascii") != header[2]:
        raise FormatError(f"{path}: damaged cache file (its content does not match its checksum)")
    return payload
