"""`speechtext run --scheduler` on a cluster started as an operator starts one: `dask scheduler`
and two `dask worker` commands on 127.0.0.1, each its own process. The outputs are byte for
byte the process pool's; a worker killed mid-run has its tasks redone on the other one, and the
run finishes with every input done once and nothing half-written.
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from clitools import SPEECHTEXT, outputs_of

pytest.importorskip("distributed")

SAMPLES = Path(__file__).parent.parent / "data" / "samples"
COPIES = 4  # of each sample recording: enough tasks that a worker dies with work under way
# the telephone channel alone (no numba compilation in each worker: a quick test)
SPEC = 'name = "line"\n\n[[stage]]\nname = "telephone"\npreset = "g712"\ncodec = "ulaw"\n'
DASK = [str(Path(sys.executable).parent / "dask")]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the dask scheduler exited at start-up"
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def wait_for_workers(address, count, timeout=60):
    from distributed import Client

    with Client(address, timeout="20s") as client:
        client.wait_for_workers(count, timeout=timeout)


@pytest.fixture
def cluster(tmp_path):
    """A scheduler and two single-threaded workers (no nanny: a killed worker stays dead)."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": tmp_path}
    procs = [
        subprocess.Popen(
            [*DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            **quiet,
        )
    ]
    try:
        wait_for_port(port, procs[0])
        worker = [*DASK, "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard"]
        procs += [subprocess.Popen([*worker, "--host", "127.0.0.1"], **quiet) for _ in range(2)]
        wait_for_workers(address, 2)
        yield address, procs[1:]
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def recordings(tmp_path):
    folder = tmp_path / "in"
    wavs = sorted(SAMPLES.glob("*.wav"))
    if not wavs:
        pytest.skip(f"no sample recordings in {SAMPLES}")
    for n in range(COPIES):
        (folder / f"copy{n}").mkdir(parents=True)
        for wav in wavs:
            shutil.copy(wav, folder / f"copy{n}" / wav.name)
    return folder


def run(*args):
    proc = subprocess.run([*SPEECHTEXT, "run", *map(str, args)], capture_output=True, text=True)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def manifest_ids(outdir):
    lines = (outdir / "manifest.jsonl").read_text().splitlines()
    return [json.loads(line)["id"] for line in lines]


def leftovers(outdir):
    return [p for p in outdir.rglob("*") if p.name.startswith(".") and p.is_file()]


def test_separate_cluster_matches_the_pool_and_survives_a_killed_worker(
    cluster, recordings, tmp_path
):
    address, workers = cluster
    spec = tmp_path / "line.toml"
    spec.write_text(SPEC)
    pool = tmp_path / "pool"
    assert run(spec, recordings, "-o", pool, "--workers", "2").returncode == 0

    # byte for byte the pool's, on the cluster whole
    whole = tmp_path / "cluster"
    proc = run(spec, recordings, "-o", whole, "--scheduler", address)
    assert proc.returncode == 0, proc.stderr
    assert outputs_of(whole) == outputs_of(pool)

    # a worker killed once the first files are done: its tasks are redone on the other
    killed = tmp_path / "killed"
    markers = killed / ".speechtext" / "done"
    cmd = [*SPEECHTEXT, "run", str(spec), str(recordings), "-o", str(killed)]
    running = subprocess.Popen(
        [*cmd, "--scheduler", address], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while not (markers.is_dir() and any(markers.rglob("*.json"))):
        assert running.poll() is None and time.monotonic() < deadline, running.communicate()
        time.sleep(0.02)
    total = len(outputs_of(pool))  # one .wav per input
    assert len(list(markers.rglob("*.json"))) < total, "the run ended before the kill"
    os.kill(workers[0].pid, signal.SIGKILL)
    out, err = running.communicate(timeout=120)
    assert "Traceback" not in err, err
    assert running.returncode == 0, err
    assert outputs_of(killed) == outputs_of(pool)
    ids = manifest_ids(killed)
    assert len(ids) == len(set(ids)) == total
    assert leftovers(killed) == []
