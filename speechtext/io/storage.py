"""Files at fsspec URLs (``s3://``, ``gs://``, ``memory://`` ...): listed, fetched and put whole.

A pipeline's inputs and OUTDIR may be URLs, so that the workers of a cluster need no shared file
system: a worker fetches its input into a scratch folder, runs the stages there as on a local
disk and puts each output as one object, its completion marker last. On an object store (S3,
GCS, Azure, ``memory://``) an object appears whole or not at all, so a killed worker leaves
nothing half-written; on other file systems fsspec reaches (SFTP, HDFS ...) an object is put
under a temporary name and then moved into place.

Credentials and endpoints come the backend's usual way (``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_ENDPOINT_URL``, ``~/.aws`` for S3 through s3fs; fsspec's
``FSSPEC_<PROTOCOL>_<OPTION>`` variables) or as ``options``, fsspec's storage options.
A ``file://`` URL is a local path: the local code handles it (:func:`local_path`).

Examples
--------
>>> is_url("s3://bucket/recordings/"), is_url("recordings/"), is_url("file:///tmp/x")
(True, False, False)
>>> join("s3://bucket/out/", "copy0/a.wav")
's3://bucket/out/copy0/a.wav'
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import ParameterError, SpeechTextError

__all__ = [
    "OBJECT_STORES",
    "check_writable",
    "exists",
    "fetch",
    "is_url",
    "join",
    "list_files",
    "local_path",
    "put_file",
    "read_bytes",
    "read_many",
    "remove",
    "write_bytes",
]

# protocols whose writes are whole objects (a PUT): no temporary name needed
OBJECT_STORES = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "memory"})

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


def is_url(path: Any) -> bool:
    """Whether ``path`` is a URL of a storage other than the local disk (``file://`` is local)."""
    return isinstance(path, str) and bool(_URL.match(path)) and not path.startswith("file://")


def local_path(path: str | os.PathLike) -> str | os.PathLike:
    """A ``file://`` URL as its path; anything else unchanged."""
    if isinstance(path, str) and path.startswith("file://"):
        return path[len("file://") :] or "/"
    return path


def join(url: str, *parts: str) -> str:
    """``url`` with ``parts`` appended, one slash between each."""
    return "/".join([url.rstrip("/"), *(p.strip("/") for p in parts if p)])


def _filesystem(url, options):
    """``(fs, path)`` for ``url``; a ParameterError saying what to install for its protocol."""
    try:
        import fsspec.core
    except ImportError:
        raise ParameterError(
            f"{url}: URLs need fsspec: pip install 'speechtext[s3]' (fsspec and s3fs)"
        ) from None
    try:
        return fsspec.core.url_to_fs(url, **(options or {}))
    except ImportError as exc:  # the protocol's backend (s3fs, gcsfs ...) is missing
        raise ParameterError(f"{url}: {exc}") from None
    except ValueError as exc:  # an unknown protocol
        raise ParameterError(f"{url}: {exc}; give a path or a URL fsspec knows") from None
    except TypeError as exc:  # a storage option the backend does not take
        raise ParameterError(
            f"{url}: bad storage option ({exc}); check --storage-options"
        ) from None


def _protocol(fs):
    protocol = fs.protocol
    return protocol[0] if isinstance(protocol, (tuple, list)) else protocol


def storage_error(url: str, exc: BaseException, *, doing: str) -> SpeechTextError:
    """A SpeechTextError for an exception of a storage backend: what went wrong, what to do."""
    name = type(exc).__name__
    if isinstance(exc, FileNotFoundError):
        why = "no such bucket or object; check the URL (the bucket must exist)"
    elif isinstance(exc, PermissionError) or name in (
        "NoCredentialsError",
        "PartialCredentialsError",
    ):
        why = (
            f"access refused ({exc}); give credentials (for S3: AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, a profile in ~/.aws, or --storage-options)"
        )
    elif name in ("EndpointConnectionError", "ConnectTimeoutError", "ClientConnectorError"):
        why = f"storage out of reach ({exc}); check the endpoint (AWS_ENDPOINT_URL) and network"
    else:
        why = f"{name}: {exc}"
    return SpeechTextError(f"{url}: cannot {doing}: {why}")


@contextlib.contextmanager
def _errors(url, doing):
    try:
        yield
    except SpeechTextError:
        raise
    except Exception as exc:  # the backends raise OSError, botocore's and aiohttp's own errors
        raise storage_error(url, exc, doing=doing) from None


def read_bytes(url: str, *, options: dict | None = None) -> bytes:
    """The object's bytes; SpeechTextError naming the URL."""
    fs, path = _filesystem(url, options)
    with _errors(url, "read"):
        return fs.cat_file(path)


def read_many(urls: list[str], *, options: dict | None = None) -> dict[str, bytes | None]:
    """Many objects at once (concurrently where the backend can): URL -> bytes, None where the
    object cannot be read."""
    if not urls:
        return {}
    fs, _ = _filesystem(urls[0], options)
    paths = {_filesystem(u, options)[1]: u for u in urls}
    with _errors(urls[0], "read"):
        got = fs.cat(list(paths), on_error="return")
    return {
        paths[p]: (None if isinstance(v, BaseException) else v)
        for p, v in got.items()
        if p in paths
    }


def exists(url: str, *, options: dict | None = None) -> bool:
    fs, path = _filesystem(url, options)
    with _errors(url, "look"):
        return fs.exists(path)


def remove(url: str, *, options: dict | None = None) -> None:
    """Remove the object if it is there."""
    fs, path = _filesystem(url, options)
    with _errors(url, "remove"), contextlib.suppress(FileNotFoundError):
        fs.rm_file(path)


def fetch(url: str, dest: str | os.PathLike, *, options: dict | None = None) -> Path:
    """Copy the object to the local file ``dest`` (its folder created); return ``dest``."""
    fs, path = _filesystem(url, options)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with _errors(url, "read"):
        fs.get_file(path, str(dest))
    return dest


def _put(fs, path, url, write):
    """``write(fs, target)`` to make the object at ``path``: directly on an object store, else
    under a temporary name moved into place (so that no reader sees it half-written)."""
    if _protocol(fs) in OBJECT_STORES:
        with _errors(url, "write"):
            write(fs, path)
        return
    parent, name = path.rsplit("/", 1) if "/" in path else ("", path)
    tmp = f"{parent}/.{name}.{uuid.uuid4().hex[:8]}.part" if parent else f".{name}.part"
    with _errors(url, "write"):
        fs.makedirs(parent, exist_ok=True) if parent else None
        try:
            write(fs, tmp)
            fs.mv(tmp, path)
        except BaseException:
            with contextlib.suppress(Exception):
                fs.rm_file(tmp)
            raise


def put_file(src: str | os.PathLike, url: str, *, options: dict | None = None) -> None:
    """Put the local file ``src`` at ``url``, whole."""
    fs, path = _filesystem(url, options)
    _put(fs, path, url, lambda fs, target: fs.put_file(str(src), target))


def write_bytes(url: str, data: bytes, *, options: dict | None = None) -> None:
    """Write ``data`` as the object at ``url``, whole."""
    fs, path = _filesystem(url, options)
    _put(fs, path, url, lambda fs, target: fs.pipe_file(target, data))


def list_files(
    url: str,
    *,
    extensions: Iterable[str] | None = None,
    hidden: bool = False,
    options: dict | None = None,
) -> list[tuple[str, PurePosixPath]] | None:
    """The files under the folder ``url`` (recursively), or the file ``url`` alone, as
    ``(url, path relative to the folder)``, sorted; None if nothing is there.

    ``extensions`` keeps the files with one of these suffixes (lower case, with the dot);
    ``hidden`` keeps those with a part that starts with a dot (left out by default).
    """
    fs, root = _filesystem(url, options)
    protocol = url.split("://", 1)[0]
    root = root.rstrip("/")
    with _errors(url, "list"):
        found = fs.find(root, withdirs=False)
        if found == [root] or (not found and fs.isfile(root)):  # a file, not a folder
            return [(url, PurePosixPath(root.rsplit("/", 1)[-1]))]
    keep = None if extensions is None else {e.lower() for e in extensions}
    out = []
    for path in sorted(found):
        rel = PurePosixPath(path[len(root) :].lstrip("/"))
        if not rel.parts or (not hidden and any(p.startswith(".") for p in rel.parts)):
            continue
        if keep is not None and rel.suffix.lower() not in keep:
            continue
        out.append((f"{protocol}://{path}", rel))
    if not out and not found:
        return None
    return out


def check_writable(url: str, *, options: dict | None = None) -> None:
    """Raise SpeechTextError (what went wrong, what to do) unless objects can be written under
    the folder ``url``: a probe object is written and removed."""
    probe = join(url, f".speechtext-write-test-{uuid.uuid4().hex[:12]}")
    fs, path = _filesystem(probe, options)
    with _errors(url, "write output here"):
        fs.pipe_file(path, b"")
        fs.rm_file(path)
