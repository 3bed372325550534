"""Runs that stop well: the interruption matrix, workers that die, one writer per OUTDIR.

The matrix: `speechtext run text` over 120 generated text files, on the process pool
(`--workers 2`), in one process (`--workers 1`) and on a local Dask cluster (`--dask-local 2`),
stopped by Ctrl-C (SIGINT to the process group, as a terminal sends it), SIGINT to the main
process only, SIGTERM, SIGKILL of one worker or SIGKILL of the main process; then `--resume`.
Each stop that asks to stop ends the run within 2 s (asserted at 2.5 s) with one line on stderr;
every time, nothing is half-written and the resumed outputs are byte for byte a clean run's.
"""

import contextlib
import faulthandler
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from clitools import SPEECHTEXT, outputs_of

from speechtext.batch import BatchInterrupted, run_batch
from speechtext.io import atomic_path, read_jsonl
from speechtext.io.folders import Job
from speechtext.pipeline import run_pipeline

FILES = 120
LINES = [
    "play some jazz in the kitchen",
    "wake me up at seven am tomorrow",
    "will it rain in paris this weekend",
    "book a table for two at a thai restaurant",
    "add this song to my workout playlist",
]

BACKENDS = {
    "pool": ["--workers", "2"],
    "one": ["--workers", "1"],
    "dask": ["--dask-local", "2"],
}
STOPS = {"ctrl-c": 130, "sigint-main": 130, "sigterm": 143}  # the signals that ask to stop
KILLS = ("kill-worker", "kill-main")


class Said:
    """A Progress that keeps what it is told."""

    def __init__(self):
        self.messages = []

    def start(self, total):
        pass

    def say(self, message):
        self.messages.append(message)

    def advance(self):
        pass

    def close(self):
        pass


def temp_files(folder):
    return sorted(str(p) for p in folder.rglob("*.part"))


def markers(out):
    """The inputs marked done (not a marker still being written: its temporary file)."""
    folder = out / ".speechtext" / "done"
    names = os.listdir(folder) if folder.is_dir() else []
    return sum(not name.endswith(".part") for name in names)


def descendants(pid):
    """The processes a process started (from any of its threads), with their command lines."""
    found = {}
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            with contextlib.suppress(OSError):
                found[child] = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
    return found


def running(pid):
    """Alive and not a zombie (an orphan's zombie waits for init to reap it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _running(pid):
    """Whether a process is alive (not ended, not a zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def workers_of(pid):
    """The worker processes of a run: not multiprocessing's resource tracker."""
    return [p for p, cmd in descendants(pid).items() if b"resource_tracker" not in cmd]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """FILES text files of several utterances each, and the outputs of a clean run on them."""
    root = tmp_path_factory.mktemp("interrupts")
    src = root / "in"
    src.mkdir()
    for i in range(FILES):
        lines = [LINES[(i + k) % len(LINES)] for k in range(6)]
        (src / f"u{i:03d}.txt").write_text("\n".join(lines) + "\n")
    clean = root / "clean"
    assert run_pipeline("text", [src], clean, workers=2).exit_status == 0
    return src, outputs_of(clean)


CELLS = [
    (backend, stop)
    for backend in BACKENDS
    for stop in [*STOPS, *KILLS]
    if not (backend == "one" and stop in ("sigint-main", "kill-worker"))  # one process only
    and not (backend == "dask" and stop == "sigint-main")  # the main's path: as pool's, sigterm's
]


@pytest.mark.parametrize(("backend", "stop"), CELLS, ids=[f"{b}-{s}" for b, s in CELLS])
def test_a_stopped_run_keeps_complete_outputs_and_resumes(corpus, tmp_path, backend, stop):
    if backend == "dask":
        pytest.importorskip("distributed")
    src, clean = corpus
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [*SPEECHTEXT, "run", "text", str(src), "-o", str(out), *BACKENDS[backend]],
        stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while markers(out) < 12 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert proc.poll() is None, "the run ended before it could be stopped"
        workers = workers_of(proc.pid)
        at_signal = markers(out)
        start = time.monotonic()
        if stop == "ctrl-c":
            os.killpg(proc.pid, signal.SIGINT)  # what the terminal does: the whole group
        elif stop == "sigint-main":
            os.kill(proc.pid, signal.SIGINT)
        elif stop == "sigterm":
            os.kill(proc.pid, signal.SIGTERM)
        elif stop == "kill-worker":
            assert workers, "no worker process found"
            os.kill(workers[0], signal.SIGKILL)
        else:
            os.kill(proc.pid, signal.SIGKILL)
        _, err = proc.communicate(timeout=120)  # a hang fails here
        seconds = time.monotonic() - start
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert "Traceback" not in err, err
    if stop != "kill-main":  # a killed main cleans up nothing: the next run does
        assert not temp_files(out), "half-written files left"
    else:  # its workers end with it (orphaned Dask workers once lived on, holding its ports)
        assert seconds < 10, f"its workers held its stderr {seconds:.1f} s after the kill"
        deadline = time.monotonic() + 5  # (one may still be ending as its stderr closes)
        while any(map(_running, workers)) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [w for w in workers if _running(w)]
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        assert not left, "worker processes outlived the killed run"

    if stop in STOPS:
        assert proc.returncode == STOPS[stop], err
        assert seconds < 2.5, f"stopped {seconds:.2f} s after the signal"
        lines = err.strip().splitlines()
        assert len(lines) == 1, err  # one line, nothing from the workers
        line = lines[0]
        how = "Ctrl-C" if stop != "sigterm" else "SIGTERM"
        found = re.fullmatch(
            rf"speechtext: stopped \({how}\): (\d+) of {FILES} inputs finished, their outputs "
            r"complete; rerun with --resume to continue",
            line,
        )
        assert found, line
        finished = int(found[1])
        assert finished == markers(out)  # what it says is what is there
        assert at_signal <= finished <= at_signal + 8, (at_signal, finished)  # pending cancelled
        assert not any(running(p) for p in workers), "workers left running"
    elif stop == "kill-worker":
        # the worker's job failed, naming the signal (or, not yet started, went to another);
        # the rest were done; Dask retries the task on another worker
        assert proc.returncode in (0, 1), err
        failed = read_jsonl(out / "failures.jsonl")
        assert len(failed) == proc.returncode
        for failure in failed:
            assert "killed by signal 9 (SIGKILL" in failure["error"] and "u" in failure["source"]
        manifest = read_jsonl(out / "manifest.jsonl")
        assert len(manifest) == FILES
        assert sum(e["status"] == "done" for e in manifest) == FILES - len(failed)
    else:
        assert proc.returncode == -signal.SIGKILL
        assert not (out / "manifest.jsonl").exists()
        deadline = time.monotonic() + 5
        while any(running(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not any(running(p) for p in workers), "orphaned workers kept running"

    said = Said()
    result = run_pipeline("text", [src], out, workers=2, resume=True, progress=said)
    assert result.exit_status == 0, result.batch.failed
    took_over = [m for m in said.messages if "took over the lock" in m]
    assert bool(took_over) == (stop == "kill-main"), said.messages
    assert not temp_files(out)
    assert outputs_of(out) == clean
    assert not (out / ".speechtext" / "lock").exists()  # released


# -------------------------------------------------------------------- workers that die


def die_on(job):
    """Write half an output, then die as the job's name says; other jobs write theirs."""
    how = job.source.name
    with atomic_path(job.outputs[0]) as tmp:
        tmp.write_text("half")
        if how == "sigkill":
            os.kill(os.getpid(), signal.SIGKILL)
        elif how == "sigsegv":
            faulthandler.disable()  # pytest's, inherited: its dump is not what is tested
            os.kill(os.getpid(), signal.SIGSEGV)
        elif how == "exit3":
            os._exit(3)
        tmp.write_text(f"done {how}\n")
    return {}


def test_a_worker_that_dies_fails_its_input_only(tmp_path):
    names = ["a", "sigkill", "b", "sigsegv", "c", "exit3", "d", "e", "f", "g"]
    jobs = [Job(tmp_path / "in" / n, (tmp_path / "out" / f"{n}.txt",)) for n in names]
    start = time.monotonic()
    report = run_batch(jobs, die_on, outdir=tmp_path / "out", workers=2)
    assert time.monotonic() - start < 30  # never hangs
    failed = dict(report.failed)
    assert set(failed) == {str(tmp_path / "in" / n) for n in ("sigkill", "sigsegv", "exit3")}
    assert "died, killed by signal 9 (SIGKILL: out of memory" in failed[str(jobs[1].source)]
    assert "signal 11 (SIGSEGV: a crash in native code)" in failed[str(jobs[3].source)]
    assert "exited with status 3" in failed[str(jobs[5].source)]
    for message in failed.values():
        assert "the other inputs went on" in message
    assert len(report.done) == 7 and report.exit_status == 1
    for n in ("a", "b", "c", "d", "e", "f", "g"):
        assert (tmp_path / "out" / f"{n}.txt").read_text() == f"done {n}\n"
    assert not temp_files(tmp_path / "out")  # the dead workers' temp files are removed
    errors = [e["error"] for e in read_jsonl(tmp_path / "out" / "failures.jsonl")]
    assert sorted(errors) == sorted(failed.values())


def slow(job):
    time.sleep(0.05)
    job.outputs[0].write_text("x")
    return {}


def test_an_interrupted_batch_ends_its_workers_and_says_how_far_it_got(tmp_path):
    import threading

    jobs = [Job(tmp_path / f"s{i}", (tmp_path / "out" / f"{i}.txt",)) for i in range(400)]
    # Ctrl-C as a terminal's process has it: a shell without job control starts its background
    # commands (`pytest &`) with SIGINT ignored, and Python keeps that
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.8, signal.raise_signal, (signal.SIGINT,))  # Ctrl-C, in this process
    timer.start()
    start = time.monotonic()
    try:
        with pytest.raises(BatchInterrupted) as info:
            run_batch(jobs, slow, outdir=tmp_path / "out", workers=2)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert time.monotonic() - start < 3
    stopped = info.value
    assert isinstance(stopped, KeyboardInterrupt) and stopped.total == 400
    assert 0 < stopped.finished < 400
    assert stopped.finished == len(list((tmp_path / "out").glob("*.txt")))  # what is there


# ----------------------------------------------------------------- one writer per OUTDIR


def test_two_runs_on_one_outdir_one_waits_for_nothing_and_is_told_who(tmp_path, corpus):
    src, clean = corpus
    out = tmp_path / "out"
    cmd = [*SPEECHTEXT, "run", "text", str(src), "-o", str(out), "--workers", "1"]
    first = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (out / ".speechtext" / "lock").exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    start = time.monotonic()
    second = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert time.monotonic() - start < 5  # at once: it does not wait for the first
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert second.returncode == 1, second.stderr
    assert "Traceback" not in second.stderr
    holder = f"pid {first.pid} on {os.uname().nodename}, since "
    assert f"{out} is in use by another speechtext run ({holder}" in second.stderr
    assert "wait for it to end, or stop it, or give this run another -o folder" in second.stderr
    assert outputs_of(out) == clean
    assert not (out / ".speechtext" / "lock").exists()


def test_the_lock_of_a_killed_run_is_taken_over(tmp_path, corpus):
    src, clean = corpus
    out = tmp_path / "out"
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a pid that was alive on this host, and is no more
    (out / ".speechtext").mkdir(parents=True)
    holder = {"pid": gone.pid, "host": os.uname().nodename, "since": "2026-01-02T03:04:05+00:00"}
    (out / ".speechtext" / "lock").write_text(json.dumps(holder) + "\n")
    said = Said()
    result = run_pipeline("text", [src], out, workers=2, progress=said)
    assert result.exit_status == 0
    (note,) = said.messages
    assert note.startswith(f"note: {out / '.speechtext' / 'lock'}: took over the lock of a run")
    assert f"pid {gone.pid}" in note and "since 2026-01-02T03:04:05+00:00" in note
    assert not (out / ".speechtext" / "lock").exists()
    assert outputs_of(out) == clean
