"""Run one stage over many files: skip finished outputs, keep going past failures, report.

Shared by every file-level command (``speechtext telephone``, ``pitch`` ...) and the pipeline. A
failure is recorded in ``failures.jsonl`` and never stops the rest of the batch. The batch prints
nothing itself: what happens as it runs (files finished, failures, warnings) goes to a
:class:`Progress`, which the CLI makes a progress bar on stderr.

**Worker processes** are handed their jobs one by one (each holds the one it does and the next)
and say when they start one, so the batch knows what each is doing: a worker that dies (killed,
out of memory, a crash in native code) fails that job only, with the reason, and a new one takes
its place for the other jobs. Workers ignore SIGINT and SIGTERM (Ctrl-C
reaches every process of the terminal's group: the batch's own process decides) and end at once
when that process dies.

**Stopping.** A KeyboardInterrupt in the batch's process (Ctrl-C; the CLI raises one for SIGTERM
too) starts no new job, ends the workers at once, removes the temporary files of the jobs they
were doing and raises :class:`BatchInterrupted` with the report so far: the outputs of every job
done are complete, and a rerun skips them.

**Internal errors.** An exception that is not a :class:`~speechtext.errors.SpeechTextError` is a
bug: its job fails with a message saying so, and its traceback goes to the Progress (once for
each place it is raised from) and into ``failures.jsonl``.

**Freed memory is kept** for the next file (glibc's ``mallopt``, in the batch's process and
its workers; :func:`keep_freed_memory`): by default glibc hands blocks over 128 KB back to the
system as they are freed, so every file's numpy arrays were page-faulted in afresh (850 faults
per 5 s file through the landline channel: a quarter of its CPU time).

**Dask.** A Dask worker runs its task in a thread beside its event loop and profiler, and on a
busy machine Python's GIL hand-offs between them (every 5 ms by default) made each file 2-4x
slower in wall time than in a pool process. The task raises the worker's switch interval
(:data:`DASK_SWITCH_INTERVAL`) before its first job: the task thread keeps the GIL through its
numpy calls, and the worker's heartbeats still go out within a tenth of a second. A task does
several files (:func:`dask_files_per_task`): the scheduler's and the worker's own work per task
(serialising, transitions, messages, all in the worker's event loop, competing for the GIL) is
then spread over them; a task whose worker dies has its files retried one per task. A
worker's nanny starts it with ``MALLOC_TRIM_THRESHOLD_=65536``, so that its memory goes back to
the system at once: every file's arrays were then page-faulted in afresh (775,000 faults and
3 CPU seconds of the kernel per worker on 400 `text` files, against 12,000 and 0.3 s in a pool
worker: the operator's cluster ran at 64 % of the pool). The task keeps freed memory as a pool
worker does (:func:`keep_freed_memory`, up to :data:`KEEP_FREED_BYTES`), so the worker's peak
is unchanged.

**One BLAS thread per process** (:func:`one_blas_thread`): the batch's parallelism is its
processes. OpenBLAS's own threads spin between its calls; on 2 cores they made the telephone +
pitch chain 3.5x slower per file even with one worker (39 ms against 11 ms of wall time, twice
the CPU), and 2 pool workers no faster than 1 (``bench/pipeline.py``).
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
import threading
import time
import traceback
import warnings
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .errors import SpeechTextError
from .io.atomic import remove_temp_files
from .io.folders import ensure_output_dir
from .io.manifest import write_jsonl

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from .io.folders import Job

__all__ = [
    "BatchInterrupted",
    "BatchReport",
    "Progress",
    "SilentProgress",
    "dask_files_per_task",
    "exit_with_parent",
    "keep_freed_memory",
    "run_batch",
    "write_failures",
]

# glibc's mallopt parameters, and the values a batch process sets
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
KEEP_FREED_BYTES = 256 << 20  # free memory the heap keeps before giving it back
MAPPED_FROM_BYTES = 32 << 20  # arrays this large are still mapped (and unmapped when freed)


def keep_freed_memory() -> bool:
    """Let this process keep the memory it frees for its next arrays (glibc only; returns
    whether it could).

    glibc maps each block over 128 KB afresh and gives it back when freed (raising that
    threshold only up to the largest block freed, and trimming the heap past twice that), so
    a batch that makes the same arrays file after file pays their page faults every time. This
    keeps up to ``KEEP_FREED_BYTES`` of freed heap, and maps only blocks from
    ``MAPPED_FROM_BYTES``: the process's peak size is unchanged, but it stays near it between
    files. Dask workers set it at their first task (their nannies' trimming made each file
    fault its arrays in afresh).
    """
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (macOS, Windows)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(
        mallopt(_M_MMAP_THRESHOLD, MAPPED_FROM_BYTES)
        and mallopt(_M_TRIM_THRESHOLD, KEEP_FREED_BYTES)
    )


def one_blas_thread():
    """Limit every BLAS library loaded in this process to one thread; the threadpoolctl
    limiter (``restore_original_limits()`` undoes it). Only the libraries loaded by then are
    limited: a process calls it again once its first job has loaded its stages'."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


class Progress(Protocol):
    """Where a batch reports as it runs: ``start(total)`` once, then ``say(message)`` for each
    failure and warning (a message names its file; an internal error's first one has its
    traceback on the lines after) and ``advance()`` per finished file, and ``close()`` at the
    end, also when interrupted. A run may ``say`` a note before ``start``."""

    def start(self, total: int) -> None: ...

    def say(self, message: str) -> None: ...

    def advance(self) -> None: ...

    def close(self) -> None: ...


class SilentProgress:
    """A :class:`Progress` that keeps quiet: the default of the library."""

    def start(self, total: int) -> None:
        pass

    def say(self, message: str) -> None:
        pass

    def advance(self) -> None:
        pass

    def close(self) -> None:
        pass


@dataclass
class BatchReport:
    """What a batch did: the files done (with the facts ``work`` returned), skipped, failed."""

    done: list = field(default_factory=list)  # (source, info) per converted file
    skipped: list = field(default_factory=list)  # sources whose outputs were already there
    failed: list = field(default_factory=list)  # (source, message)
    seconds: float = 0.0
    tracebacks: dict = field(default_factory=dict)  # source -> traceback, for internal errors

    @property
    def exit_status(self) -> int:
        return 1 if self.failed else 0

    def summary(
        self,
        *,
        skipped_note: str = "outputs exist; --overwrite redoes them",
        utterances: bool = False,
        speed_decimals: int = 0,
    ) -> str:
        """One line: files done/skipped/failed, seconds, and times real time for audio.

        ``skipped_note`` says why files were skipped; with ``utterances``, the utterances are
        counted too where files hold more than one; ``speed_decimals`` for the real-time factor.

        Examples
        --------
        >>> report = BatchReport(done=[("a.wav", {"duration": 9.0})], seconds=1.5)
        >>> report.summary()
        '1 file: 1 done in 1.5 s (9.0 s of audio, 6x real time)'
        >>> report.summary(skipped_note="complete", speed_decimals=1)
        '1 file: 1 done in 1.5 s (9.0 s of audio, 6.0x real time)'
        """
        total = len(self.done) + len(self.skipped) + len(self.failed)
        parts = [f"{len(self.done)} done"]
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped ({skipped_note})")
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        text = f"{total} file{'' if total == 1 else 's'}: " + ", ".join(parts)
        text += f" in {self.seconds:.1f} s"
        count = sum(info.get("utterances", 0) for _, info in self.done) if utterances else 0
        if count and count != len(self.done):
            text += f", {count} utterances"
        audio = sum(info.get("duration", 0.0) for _, info in self.done)
        if audio and self.seconds > 0:
            speed = audio / self.seconds
            text += f" ({audio:.1f} s of audio, {speed:.{speed_decimals}f}x real time)"
        return text


class BatchInterrupted(KeyboardInterrupt):
    """A batch stopped by a KeyboardInterrupt (Ctrl-C, or a signal the caller raised as one).

    Raised from that exception once the workers have ended and the temporary files of their
    unfinished jobs are removed.

    Attributes
    ----------
    report : BatchReport
        The batch so far: the outputs of the jobs done are complete.
    total : int
        The inputs of the batch (done, skipped, failed and unfinished).
    """

    def __init__(self, report: BatchReport, total: int) -> None:
        super().__init__()
        self.report = report
        self.total = total

    def __str__(self) -> str:
        return f"stopped: {self.finished} of {self.total} inputs finished"

    @property
    def finished(self) -> int:
        """The inputs complete: done by this batch, or skipped as done by an earlier one."""
        return len(self.report.done) + len(self.report.skipped)

    def recount(self, jobs: Iterable[Job]) -> None:
        """Count as done the jobs of ``jobs`` that are complete (``job.done``) though the batch
        never heard back: they finished as it stopped. Call it once their workers have ended."""
        known = {s for s, _ in self.report.done} | {s for s, _ in self.report.failed}
        known |= set(self.report.skipped)
        for job in jobs:
            if str(job.source) not in known and job.done:
                self.report.done.append((str(job.source), {}))


def write_failures(
    outdir: str | Path, failed: Iterable[tuple[str, str]], tracebacks: dict | None = None
) -> None:
    """Write ``OUTDIR/failures.jsonl``: one ``{"source", "error"}`` object per failure, with the
    ``"traceback"`` of an internal error (``tracebacks``: source -> text)."""
    tracebacks = tracebacks or {}

    def entry(source, message):
        trace = tracebacks.get(source)
        return {"source": source, "error": message} | ({"traceback": trace} if trace else {})

    write_jsonl(Path(outdir) / "failures.jsonl", (entry(s, m) for s, m in failed))


def _call(work, job):
    """Run ``work(job)``; turn warnings and errors into messages for the parent.

    Returns ``(job, info, error, messages, trace)``: ``trace`` is ``(where, traceback)`` for an
    internal error (``where``, the frames it was raised through), else None.
    """
    start = time.perf_counter()
    trace = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            info = work(job) or {}
            error = None
        except SpeechTextError as exc:
            info, error = {}, str(exc)
        except Exception as exc:  # a bug, not a user mistake: say so, keep the traceback
            info = {}
            error = (
                f"{job.source}: internal error (a bug in speechtext, not in this input): "
                f"{type(exc).__name__}: {exc}; please report it with its traceback (shown once "
                "on stderr, and kept in failures.jsonl)"
            )
            where = "".join(traceback.format_tb(exc.__traceback__)) + type(exc).__name__
            trace = (where, traceback.format_exc())
    info = dict(info, seconds=time.perf_counter() - start)
    # a warning names its file, as a failure does
    messages = [str(w.message) for w in caught]
    messages = [m if str(job.source) in m else f"{job.source}: {m}" for m in messages]
    return job, info, error, messages, trace


def _remove_temp_files_of(jobs):
    remove_temp_files(output for job in jobs for output in job.outputs)


def run_batch(
    jobs: Sequence[Job],
    work: Callable[[Job], dict | None],
    *,
    outdir: str | Path | None,
    workers: int = 1,
    overwrite: bool = False,
    problems: Iterable[tuple[str | Path, str]] = (),
    progress: Progress | None = None,
    client: Any = None,
    failures_file: bool = True,
    cleanup: Callable[[list[Job]], None] | None = None,
) -> BatchReport:
    """Run ``work(job)`` for every job; write ``outdir/failures.jsonl``; return a BatchReport.

    Parameters
    ----------
    jobs : list of speechtext.io.folders.Job
    work : callable
        Module-level function (picklable for worker processes) that writes ``job.outputs`` and
        returns a dict of facts about the file (``duration`` in seconds is summed in the summary).
        It raises :class:`SpeechTextError` for bad input.
    workers : int
        Processes to use; 1 runs in this process.
    overwrite : bool
        Redo jobs whose outputs all exist already (otherwise they are skipped, so a rerun resumes).
    problems : list of (path, message)
        Inputs that failed before the batch started (missing paths, output clashes).
    progress : Progress, optional
        Told of each finished file, failure and warning as it happens (default: nothing).
    client : distributed.Client, optional
        Run the jobs on this Dask cluster instead (``workers`` is then ignored); ``work`` and the
        jobs must pickle, and the paths must be the same on every worker. A lost worker fails
        its job only (when Dask gives up on it: ``KilledWorker``). When interrupted, the futures
        are cancelled; ending the workers and removing their temporary files is the caller's
        (who owns the cluster).
    failures_file : bool
        Write ``failures.jsonl`` when the batch ends, even if interrupted (False: the caller
        writes it with :func:`write_failures`, together with failures of its own).
    cleanup : callable, optional
        ``cleanup(jobs)`` removes what the jobs of workers that were ended or died left
        half-written (default: the temporary files beside ``job.outputs``).

    Raises
    ------
    BatchInterrupted
        On a KeyboardInterrupt, with the report so far.
    """
    if outdir is not None:  # None: the caller's, on storage of its own (no failures file)
        ensure_output_dir(outdir)
    blas = []  # this process's BLAS limits, undone when the batch ends
    if client is None:
        keep_freed_memory()  # worker processes forked from here inherit it
        blas.append(one_blas_thread())  # (and this)
    progress = progress or SilentProgress()
    cleanup = cleanup or _remove_temp_files_of
    report = BatchReport()
    start = time.perf_counter()
    for path, message in problems:
        report.failed.append((str(path), f"{path}: {message}"))
    todo = []
    for job in jobs:
        if not overwrite and job.done:
            report.skipped.append(str(job.source))
        else:
            todo.append(job)
    total = len(report.failed) + len(report.skipped) + len(todo)

    progress.start(len(todo))
    for _, message in report.failed:
        progress.say(message)

    said = set()  # the places internal errors came from whose traceback was shown

    def collect(job, info, error, messages, trace=None):
        for message in messages:
            progress.say(f"warning: {message}")
        if error is None:
            report.done.append((str(job.source), info))
        else:
            report.failed.append((str(job.source), error))
            if trace is None:
                progress.say(error)
            else:
                where, text = trace
                report.tracebacks[str(job.source)] = text
                progress.say(error if where in said else f"{error}\n{text.rstrip()}")
                said.add(where)
        progress.advance()

    under_way = []  # when interrupted: the jobs being done, which may have finished meanwhile
    # what exists by now (modules, the jobs) is never garbage: the collector skips it, and the
    # workers forked from here do not copy its pages by scanning it
    gc.freeze()
    try:
        try:
            if client is not None and todo:
                _run_on_dask(client, work, todo, collect)
            elif workers <= 1 or len(todo) <= 1:
                for k, job in enumerate(todo):
                    under_way[:] = [job]
                    try:
                        collect(*_call(work, job))
                        if k == 0:  # the libraries the first job loaded
                            blas.append(one_blas_thread())
                    except KeyboardInterrupt:
                        # atomic writes remove their own temp files, except one the signal
                        # caught between its creation and the writer's cleanup block
                        cleanup(under_way)
                        raise
            else:
                size = min(workers, len(todo))
                _run_on_workers(work, todo, size, collect, cleanup, under_way)
        except KeyboardInterrupt as exc:
            stopped = BatchInterrupted(report, total)
            stopped.recount(under_way)  # (a cluster's: the caller's, once it has ended them)
            raise stopped from exc
    finally:
        gc.unfreeze()
        for limit in reversed(blas):
            limit.restore_original_limits()
        progress.close()
        report.seconds = time.perf_counter() - start
        if failures_file and outdir is not None:
            write_failures(outdir, report.failed, report.tracebacks)
    return report


# --------------------------------------------------------------------------- worker processes


def exit_with_parent():
    """End this worker process at once when the process that started it dies (SIGKILL): nobody
    would collect its results, and a rerun redoes its job. (The pool's workers, and the local
    Dask cluster's: see :func:`speechtext.pipeline.runner.dask_setup`.)"""
    import multiprocessing
    from multiprocessing.connection import wait

    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch():
        # the parent's end is also held by workers forked after this one, which watch too:
        # they end first, then this one
        wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="speechtext-parent-watch", daemon=True).start()


def _worker_main(work, conn):
    """A worker process: jobs from ``conn`` one at a time, each acknowledged (None) when it
    starts, then its result; None or a closed pipe ends it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; and like a
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # service's stop, it is the parent's to act on
    exit_with_parent()
    keep_freed_memory()  # (inherited when forked; not when spawned)
    one_blas_thread()
    first = True
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        conn.send(None)
        result = _call(work, job)
        if first:  # the libraries the first job loaded
            one_blas_thread()
            first = False
        try:
            conn.send(result)
        except Exception as exc:  # facts that do not pickle: a bug in ``work``
            error = f"{job.source}: internal error: its result cannot be sent back ({exc})"
            conn.send((job, {}, error, [], (error, traceback.format_exc())))


_CRASH_SIGNALS = {"SIGSEGV", "SIGBUS", "SIGILL", "SIGFPE", "SIGABRT"}


def _death(job, process):
    """The failure of the job a worker was doing when it died: how it died, and why it may."""
    code = process.exitcode
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = "unknown signal"
        how = f"killed by signal {-code} ({name}"
        if name == "SIGKILL":
            how += ": out of memory, or killed by hand"
        elif name in _CRASH_SIGNALS:
            how += ": a crash in native code"
        how += ")"
    else:
        how = f"exited with status {code}"
    return f"{job.source}: the worker process doing it died, {how}; the other inputs went on"


_QUEUED = 2  # jobs a worker holds: the one it does, and the next (so it never waits for us)


class _Worker:
    """One worker process, its pipe, and the jobs given to it in order: the first one is being
    done once ``started`` (the worker's acknowledgement came), the others wait in the pipe."""

    def __init__(self, ctx, work):
        self.conn, there = ctx.Pipe()
        self.process = ctx.Process(
            target=_worker_main, args=(work, there), name="speechtext-worker", daemon=False
        )
        self.process.start()
        there.close()
        self.jobs = deque()
        self.started = False

    def give(self, job):
        self.jobs.append(job)
        with contextlib.suppress(OSError):  # it died meanwhile: its sentinel tells
            self.conn.send(job)

    def receive(self, collect):
        """Take in what the worker sent; True if the pipe is closed (the process ended)."""
        try:
            while self.conn.poll():
                message = self.conn.recv()
                if message is None:  # the first job started
                    self.started = True
                else:
                    self.jobs.popleft()
                    self.started = False
                    collect(*message)
        except (EOFError, OSError):
            return True
        return False

    def end(self, *, kill):
        """End the process: at once (``kill``), or when done (its pipe is left to read)."""
        with contextlib.suppress(OSError, ValueError):
            if kill:
                self.process.kill()
            else:
                self.conn.send(None)
        self.process.join(None if kill else 5)
        if self.process.exitcode is None:  # did not end when asked
            self.process.kill()
            self.process.join()


def _run_on_workers(work, todo, size, collect, cleanup, under_way):
    """The jobs on ``size`` worker processes (see the module docs); when interrupted, the jobs
    the workers held go into ``under_way``."""
    import multiprocessing
    from multiprocessing.connection import wait

    ctx = multiprocessing.get_context()
    pending = deque(todo)
    workers = []
    early_deaths = 0  # workers that died before starting a job: it goes to another, within reason
    try:
        for _ in range(size):
            workers.append(_Worker(ctx, work))
        while pending or any(w.jobs for w in workers):
            for worker in sorted(workers, key=lambda w: len(w.jobs)):
                while pending and len(worker.jobs) < _QUEUED:
                    worker.give(pending.popleft())
            busy = [w for w in workers if w.jobs]
            ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
            for worker in busy:
                if worker.conn not in ready and worker.process.sentinel not in ready:
                    continue
                if not worker.receive(collect) and worker.process.sentinel not in ready:
                    continue
                # the process ended: the job it was doing failed; the others go to another
                worker.process.join()
                worker.conn.close()
                workers.remove(worker)
                if worker.jobs:
                    job = worker.jobs.popleft()
                    if worker.started or early_deaths >= 2 * size:
                        cleanup([job])
                        collect(job, {}, _death(job, worker.process), [], None)
                    else:
                        early_deaths += 1
                        worker.jobs.appendleft(job)
                    pending.extendleft(reversed(worker.jobs))
                if pending:
                    workers.append(_Worker(ctx, work))
    except BaseException:
        # stop now: end every worker, take in what finished meanwhile, clean up after the rest
        for worker in workers:
            worker.end(kill=True)
        for worker in workers:
            under_way.extend(worker.jobs)
            worker.receive(collect)
            worker.conn.close()
        cleanup(under_way)
        raise
    for worker in workers:
        worker.end(kill=False)
        worker.conn.close()


# -------------------------------------------------------------------------------------- Dask

# seconds a thread holds the GIL while another waits for it, in a Dask worker (Python's: 0.005)
DASK_SWITCH_INTERVAL = 0.1
# files per Dask task, at most: enough to make the scheduler's and the worker's per-task work
# (a few ms of the worker's event loop, competing for the GIL) small beside the files', few
# enough that the tasks still spread over the workers and a stop is not long in coming
DASK_FILES_PER_TASK = 16
DASK_TASKS_PER_WORKER = 8  # at least, where there are enough files: the load stays balanced


def dask_files_per_task(files: int, threads: int) -> int:
    """The files each Dask task does, for ``files`` over ``threads`` worker threads.

    Examples
    --------
    >>> dask_files_per_task(2000, 2), dask_files_per_task(100, 2), dask_files_per_task(5, 4)
    (16, 6, 1)
    """
    return max(1, min(DASK_FILES_PER_TASK, files // (max(threads, 1) * DASK_TASKS_PER_WORKER)))


def _call_on_dask(work, jobs):
    """:func:`_call` for each of ``jobs`` in a Dask worker, with the worker's GIL switch
    interval raised and freed memory kept first; their results, in order."""
    if sys.getswitchinterval() < DASK_SWITCH_INTERVAL:
        sys.setswitchinterval(DASK_SWITCH_INTERVAL)
        keep_freed_memory()  # (once per worker: over its nanny's MALLOC_TRIM_THRESHOLD_)
    one_blas_thread()  # (every task: a task's libraries may be loaded by its first job)
    return [_call(work, job) for job in jobs]


def _run_on_dask(client, work, todo, collect):
    """The jobs as Dask tasks of a few files each (:func:`dask_files_per_task`), collected as
    they finish. A task that dies (its worker lost, ``KilledWorker``) has its files retried one
    per task, so that a file that kills its worker fails alone."""
    import functools

    from distributed import as_completed as completed

    threads = sum(client.nthreads().values()) or 1
    size = dask_files_per_task(len(todo), threads)
    task = functools.partial(_call_on_dask, work)
    batches = [todo[i : i + size] for i in range(0, len(todo), size)]
    futures = client.map(task, batches, pure=False)
    owner = {future.key: jobs for future, jobs in zip(futures, batches, strict=True)}
    running = completed(futures, with_results=True, raise_errors=False)
    try:
        # results gathered by the client's own thread: this one only waits, so that an
        # interrupt never lands inside a call of distributed's
        for future, result in running:
            jobs = owner.pop(future.key)
            if future.status != "error":
                for item in result:
                    collect(*item)
            elif len(jobs) > 1:  # one file at a time now: the one that kills fails alone
                retries = client.map(task, [[job] for job in jobs], pure=False)
                owner.update({f.key: [job] for f, job in zip(retries, jobs, strict=True)})
                futures += retries
                running.update(retries)
            else:  # the task itself died (KilledWorker ...), not the job
                exc = result[1]
                job = jobs[0]
                collect(job, {}, f"{job.source}: worker failed: {type(exc).__name__}: {exc}", [])
    except BaseException:  # Ctrl-C: start nothing new
        client.cancel(futures)
        raise
