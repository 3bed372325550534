"""An output folder's ownership: one writer at a time, and what a killed writer left behind.

:func:`lock_outdir` makes a run the only writer of its OUTDIR: a lock file
``OUTDIR/.speechtext/lock`` held with ``flock`` and holding the holder's pid, host and start
time. A second run is refused at once, told who holds it. The holder removes the file when it
is done; the kernel releases the lock when the holder dies, even by SIGKILL, so the file a killed
run left is taken over (its details are kept as :attr:`OutdirLock.previous`, for a note).
Forked children (worker processes) do not hold the lock: it is closed in them at fork, so it is
released exactly when the process that took it ends.

On a folder shared over NFS, ``flock`` is emulated by the server's byte-range locks (Linux
clients since 2.6.12, NFSv4 or v3 with lockd): runs on different hosts exclude each other, and
the lock of a host that crashed is freed when its lease expires (about 90 s on NFSv4). A mount
with ``nolock`` or ``local_lock`` keeps locks on each host: runs on two hosts do not see each
other's. Where the file system refuses locks (``ENOLCK``), the run goes on unlocked with a note.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import json
import os
import socket
from pathlib import Path

from ..errors import SpeechTextError

__all__ = ["LOCK_FILE", "OutdirLock", "check_outdir_free", "lock_outdir"]

LOCK_FILE = Path(".speechtext") / "lock"  # under OUTDIR

_HELD: dict[int, Path] = {}  # lock file descriptors this process holds


def _close_held_locks():
    # A forked child shares the parent's open file, and with it the flock: close it in the child,
    # so that the lock ends with the process that took it (not with its last worker).
    for fd in _HELD:
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_held_locks)


class OutdirLock:
    """The lock of one OUTDIR, held until :meth:`release` (or the end of a ``with`` block).

    Attributes
    ----------
    path : Path
        The lock file.
    previous : dict or None
        ``{"pid", "host", "since"}`` of a run that ended without releasing the lock (killed):
        its lock was taken over.
    note : str or None
        What to tell the user: a lock taken over, or a file system without locks.
    """

    def __init__(self, path: Path, fd: int | None, previous: dict | None, note: str | None):
        self.path = path
        self.previous = previous
        self.note = note
        self._fd = fd

    def release(self) -> None:
        """Remove the lock file and release the lock; a second call does nothing."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        _HELD.pop(fd, None)
        # removed while held (a run that opened it meanwhile sees it is gone, and retries); a
        # killed run leaves it, with its details
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        with contextlib.suppress(OSError):
            self.path.parent.rmdir()  # .speechtext/, if nothing else is in it
        os.close(fd)  # releases the flock

    def __enter__(self) -> OutdirLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _holder(fd):
    """The details written in a lock file, or None (empty: released cleanly; unreadable)."""
    try:
        data = os.pread(fd, 4096, 0)
        if not data.strip():
            return None
        holder = json.loads(data)
    except (OSError, ValueError):
        return {}
    return holder if isinstance(holder, dict) else {}


def _describe(holder):
    if not holder:
        return "details unreadable"
    return (
        f"pid {holder.get('pid', '?')} on {holder.get('host', '?')}, "
        f"since {holder.get('since', '?')}"
    )


def _in_use(outdir, path, holder):
    """The message for a lock another run holds: who, since when, what to do."""
    if holder and not _alive_here(holder):
        why = (
            "that process has ended, but worker processes it started are still finishing; "
            "retry in a moment"
        )
    else:
        why = "wait for it to end, or stop it, or give this run another -o folder"
    return (
        f"{outdir} is in use by another speechtext run ({_describe(holder)}; lock file "
        f"{path}): {why}"
    )


def _alive_here(holder):
    """False if the holder's process is known to have ended (it ran on this host)."""
    if holder.get("host") != socket.gethostname() or not isinstance(holder.get("pid"), int):
        return True
    try:
        os.kill(holder["pid"], 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, another user's
        return True
    return True


def lock_outdir(outdir: str | os.PathLike) -> OutdirLock:
    """Make this process the only writer of ``outdir`` (created if missing).

    Returns
    -------
    OutdirLock
        Release it when the run ends (or use it as a context manager).

    Raises
    ------
    SpeechTextError
        Another run holds the folder (the message names its pid, host and start time, and what
        to do), or the folder cannot be written.

    Examples
    --------
    >>> with lock_outdir("out") as lock:  # doctest: +SKIP
    ...     run_the_jobs()
    """
    import fcntl

    outdir = Path(outdir)
    path = outdir / LOCK_FILE
    while True:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
        except FileNotFoundError:  # .speechtext/ removed by a run that just ended: again
            continue
        except OSError as exc:
            raise SpeechTextError(
                f"{outdir}: cannot write output here ({exc.strerror}); choose another -o folder"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise SpeechTextError(_in_use(outdir, path, holder)) from None
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
                raise SpeechTextError(
                    f"{path}: cannot lock the output folder ({exc.strerror})"
                ) from None
            note = (
                f"{outdir}: the file system has no locks ({exc.strerror}); make sure no other "
                "run writes to this folder at the same time"
            )
            return OutdirLock(path, None, None, note)
        try:  # still the file at that path, not one its holder removed as we opened it
            if os.path.samestat(os.fstat(fd), os.stat(path)):
                break
        except FileNotFoundError:
            pass
        os.close(fd)

    previous = _holder(fd)
    note = None
    if previous is not None:
        note = (
            f"{path}: took over the lock of a run that ended without releasing it "
            f"({_describe(previous)}); --resume redoes what it left unfinished"
        )
    me = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(me) + "\n").encode(), 0)
    _HELD[fd] = path
    return OutdirLock(path, fd, previous or None, note)


def check_outdir_free(outdir: str | os.PathLike) -> None:
    """Raise the SpeechTextError of :func:`lock_outdir` if another run holds ``outdir`` now;
    write nothing. A check before slow preparations (a Dask cluster): the lock is still to take.
    """
    import fcntl

    path = Path(outdir) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:  # no lock file: free (or not readable: lock_outdir will tell)
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise SpeechTextError(_in_use(Path(outdir), path, _holder(fd))) from None
    except OSError:
        pass
    finally:
        os.close(fd)
