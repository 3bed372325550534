"""A batch's jobs run with one BLAS thread per process (its parallelism is its processes), and an
in-process batch gives the caller back the limits it found."""

import numpy as np  # noqa: F401  (its BLAS is loaded before the batch, as in a user's process)
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from speechtext.batch import run_batch
from speechtext.io.folders import Job


def blas_threads(job):
    import scipy.linalg  # noqa: F401  (a second BLAS, loaded by the job itself)

    job.outputs[0].write_text("done\n")
    return {"threads": max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")}


@pytest.mark.parametrize("workers", [1, 2])
def test_jobs_run_with_one_blas_thread_and_the_callers_limits_come_back(tmp_path, workers):
    jobs = [Job(tmp_path / f"in{i}", (tmp_path / "out" / f"{i}.txt",)) for i in range(6)]
    with threadpool_limits(limits=2, user_api="blas"):
        report = run_batch(jobs, blas_threads, outdir=tmp_path / "out", workers=workers)
        after = {i["filepath"]: i["num_threads"] for i in threadpool_info()}
    assert len(report.done) == 6
    # the first job of a process may have loaded a library not yet limited; the rest have not
    threads = [info["threads"] for _, info in report.done]
    assert threads[-3:] == [1, 1, 1]
    blas = [n for path, n in after.items() if "blas" in path.lower()]
    assert blas and all(n == 2 for n in blas)
