"""Run one stage over many files: skip finished outputs, keep going past failures, report.

Shared by every file-level command (``speechtext telephone``, ``pitch`` ...) and the pipeline. A
failure is recorded in ``failures.jsonl`` and never stops the rest of the batch. The batch prints
nothing itself: what happens as it runs (files finished, failures, warnings) goes to a
:class:`Progress`, which the CLI makes a progress bar on stderr.
"""

from __future__ import annotations

import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .errors import SpeechTextError
from .io.folders import ensure_output_dir
from .io.manifest import write_jsonl

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from .io.folders import Job

__all__ = ["BatchReport", "Progress", "SilentProgress", "run_batch", "write_failures"]


class Progress(Protocol):
    """Where a batch reports as it runs: ``start(total)`` once, then ``say(message)`` for each
    failure and warning (a message names its file) and ``advance()`` per finished file, and
    ``close()`` at the end, also when interrupted."""

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


def write_failures(outdir: str | Path, failed: Iterable[tuple[str, str]]) -> None:
    """Write ``OUTDIR/failures.jsonl``: one ``{"source", "error"}`` object per failure."""
    write_jsonl(
        Path(outdir) / "failures.jsonl",
        ({"source": source, "error": message} for source, message in failed),
    )


def _call(work, job):
    """Run ``work(job)`` in a worker; turn warnings and errors into messages for the parent."""
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            info = work(job) or {}
            error = None
        except SpeechTextError as exc:
            info, error = {}, str(exc)
        except Exception as exc:  # a bug, not a user mistake: name it and move on
            info, error = {}, f"{job.source}: unexpected {type(exc).__name__}: {exc}"
    info = dict(info, seconds=time.perf_counter() - start)
    messages = [str(w.message) for w in caught]
    return job, info, error, messages


def run_batch(
    jobs: Sequence[Job],
    work: Callable[[Job], dict | None],
    *,
    outdir: str | Path,
    workers: int = 1,
    overwrite: bool = False,
    problems: Iterable[tuple[str | Path, str]] = (),
    progress: Progress | None = None,
    client: Any = None,
    failures_file: bool = True,
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
        jobs must pickle, and the paths must be the same on every worker.
    failures_file : bool
        Write ``failures.jsonl`` when the batch ends, even if interrupted (False: the caller
        writes it with :func:`write_failures`, together with failures of its own).
    """
    ensure_output_dir(outdir)
    progress = progress or SilentProgress()
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

    progress.start(len(todo))
    for _, message in report.failed:
        progress.say(message)

    def collect(job, info, error, messages):
        for message in messages:
            progress.say(f"warning: {message}")
        if error is None:
            report.done.append((str(job.source), info))
        else:
            report.failed.append((str(job.source), error))
            progress.say(error)
        progress.advance()

    try:
        if client is not None and todo:
            _run_on_dask(client, work, todo, collect)
        elif workers <= 1 or len(todo) <= 1:
            for job in todo:
                collect(*_call(work, job))
        else:
            with ProcessPoolExecutor(max_workers=min(workers, len(todo))) as pool:
                futures = [pool.submit(_call, work, job) for job in todo]
                try:
                    for future in as_completed(futures):
                        collect(*future.result())
                except BaseException:  # Ctrl-C: start nothing new; temp files clean themselves
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise
    finally:
        progress.close()
        report.seconds = time.perf_counter() - start
        if failures_file:
            write_failures(outdir, report.failed)
    return report


def _run_on_dask(client, work, todo, collect):
    """The jobs as Dask tasks, collected as they finish; a lost worker fails its job only."""
    import functools

    from distributed import as_completed as completed

    futures = client.map(functools.partial(_call, work), todo, pure=False)
    owner = {future.key: job for future, job in zip(futures, todo, strict=True)}
    try:
        for future in completed(futures):
            try:
                collect(*future.result())
            except Exception as exc:  # the task itself died (KilledWorker ...), not the job
                job = owner[future.key]
                collect(job, {}, f"{job.source}: worker failed: {type(exc).__name__}: {exc}", [])
    except BaseException:  # Ctrl-C: start nothing new; temp files clean themselves
        client.cancel(futures)
        raise
