"""Benchmark `speechtext run`: the telephone and text specs over generated recordings, on 1 and 2
local worker processes and on a 2-worker local Dask cluster.

    python bench/pipeline.py [--files 2000] [--seconds 3]

Data, made in code (nothing downloaded): each recording is a glottal pulse train (F0 gliding
between 90 and 260 Hz) through three formant resonances, with voiceless stretches of noise and
background noise, at 16 kHz; its transcript comes from a small template grammar of
voice-assistant requests. Every configuration runs in a fresh process on a fresh OUTDIR
(``run_pipeline``, the function behind ``speechtext run``), timed end to end: start-up of the
workers, numba's compilation in each, the tagger's loading, every file, the manifest. Peak
memory per worker: the largest resident set of a worker process (ru_maxrss of the pool's
children, of the process itself with 1 worker, of each Dask worker). Scaling: files per second on
2 workers over 1.
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

SR = 16000
STAGES_READ_AUDIO = {"telephone": True, "text": False}  # the text spec reads the transcripts only

# --- data --------------------------------------------------------------------------------------

# fmt: off
TEMPLATES = [
    "play some {genre} by {artist} in the {room}",
    "set an alarm for {time} {period}",
    "book a flight from {city} to {city2} {day}",
    "what is the weather in {city} {day}",
    "add this song to my {playlist} playlist",
    "book a table for {number} at a {cuisine} restaurant {day}",
    "wake me up at {time} {period}",
    "will it rain in {city} {day}",
]
VALUES = {
    "genre": ["jazz", "rock", "classical music", "hip hop"],
    "artist": ["miles davis", "the beatles", "nina simone", "bach"],
    "room": ["kitchen", "living room", "bedroom"],
    "time": ["seven thirty", "six", "eight fifteen", "nine"],
    "period": ["in the morning", "tonight", "pm", "am"],
    "city": ["boston", "denver", "new york", "seattle", "paris"],
    "city2": ["chicago", "dallas", "san francisco", "london"],
    "day": ["tomorrow", "on monday", "today", "this weekend"],
    "playlist": ["workout", "road trip", "chill"],
    "number": ["two", "four", "six"],
    "cuisine": ["thai", "italian", "mexican"],
}
# fmt: on
FORMANTS = [(700, 130), (1220, 70), (2600, 160)]  # (Hz, bandwidth): a neutral vowel


def transcript(rng):
    template = TEMPLATES[rng.integers(len(TEMPLATES))]
    return template.format(**{k: v[rng.integers(len(v))] for k, v in VALUES.items()})


def recording(rng, seconds):
    """Pulse train through formant resonances; voiceless noise stretches; background noise."""
    from scipy.signal import lfilter

    n = int(seconds * SR)
    f0 = np.exp(np.linspace(*np.log(rng.uniform(90, 260, 2)), n))
    phase = np.cumsum(f0 / SR)
    pulses = (np.diff(np.floor(phase), prepend=0) > 0).astype(float)
    voiced = np.ones(n, bool)
    for _ in range(rng.integers(1, 4)):  # a few voiceless stretches (pauses, fricatives)
        start = rng.integers(0, n - SR // 4)
        voiced[start : start + rng.integers(SR // 20, SR // 4)] = False
    source = np.where(voiced, pulses, rng.standard_normal(n) * 0.05)
    y = source
    for freq, bw in FORMANTS:
        r = np.exp(-np.pi * bw / SR)
        theta = 2 * np.pi * freq * (1 + rng.uniform(-0.1, 0.1)) / SR
        y = lfilter([1 - r], [1, -2 * r * np.cos(theta), r * r], y)
    y = y / (np.abs(y).max() + 1e-9) * 0.5 + rng.standard_normal(n) * 0.003
    return y.astype(np.float32)


def make_data(folder, files, seconds, seed=0):
    rng = np.random.default_rng(seed)
    for i in range(files):
        sub = folder / f"batch{i // 200:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        sf.write(sub / f"utt{i:05d}.wav", recording(rng, seconds), SR, subtype="PCM_16")
        (sub / f"utt{i:05d}.txt").write_text(transcript(rng) + "\n")


# --- one configuration, in its own process -------------------------------------------------------


def maxrss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(spec, backend, data, outdir):
    """Run one configuration; print a JSON line with seconds, files done and peak memory."""
    from speechtext.pipeline import run_pipeline

    start = time.perf_counter()
    peaks = []
    if backend == "dask-2":
        from distributed import Client, LocalCluster

        cluster = LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
        # run_pipeline connects to the cluster by its address, as with --scheduler
        result = run_pipeline(spec, [data], outdir, scheduler=cluster.scheduler_address)
        with Client(cluster) as client:
            peaks = list(client.run(maxrss_mb).values())
        cluster.close()
    else:
        workers = int(backend.split("-")[1])
        result = run_pipeline(spec, [data], outdir, workers=workers)
        if workers == 1:
            peaks = [maxrss_mb()]
        else:
            # the pool's workers have exited: the largest of them
            peaks = [resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024]
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "seconds": seconds,
                "done": len(result.batch.done),
                "failed": len(result.batch.failed),
                "peak_mb": max(peaks),
            }
        )
    )


# --- main ---------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--specs", default="telephone,text")
    parser.add_argument("--backends", default="pool-1,pool-2,dask-2")
    parser.add_argument("--one", nargs=4, metavar=("SPEC", "BACKEND", "DATA", "OUT"))
    args = parser.parse_args()
    if args.one:
        run_one(*args.one)
        return

    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp:
        tmp = Path(tmp)
        start = time.perf_counter()
        make_data(tmp / "data", args.files, args.seconds)
        print(
            f"{args.files} recordings of {args.seconds:g} s with transcripts generated in "
            f"{time.perf_counter() - start:.1f} s",
            flush=True,
        )
        rows = []
        for spec in args.specs.split(","):
            rate = {}
            for backend in args.backends.split(","):
                out = tmp / f"out-{spec}-{backend}"
                proc = subprocess.run(
                    [sys.executable, __file__, "--one", spec, backend, str(tmp / "data"), str(out)],
                    capture_output=True,
                    text=True,
                )
                if proc.returncode not in (0, 1) or not proc.stdout.strip():
                    print(proc.stderr[-2000:], file=sys.stderr)
                    raise SystemExit(f"{spec} on {backend} failed")
                res = json.loads(proc.stdout.strip().splitlines()[-1])
                rate[backend] = res["done"] / res["seconds"]
                audio = res["done"] * args.seconds
                rows.append(
                    (
                        spec,
                        backend,
                        res["done"],
                        res["failed"],
                        res["seconds"],
                        rate[backend],
                        audio / res["seconds"],
                        res["peak_mb"],
                    )
                )
                print(
                    f"  {spec:<10} {backend:<7} {res['seconds']:7.1f} s  "
                    f"{rate[backend]:7.1f} files/s",
                    flush=True,
                )
                shutil_rmtree(out)
            if "pool-1" in rate and "pool-2" in rate:
                rows.append((spec, "scaling 2/1", rate["pool-2"] / rate["pool-1"]))

    print()
    print(
        "| spec | backend | files done | failed | seconds | files/s | x real time | "
        "peak MB per worker |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        if len(row) == 3:
            print(f"| {row[0]} | {row[1]} | | | | {row[2]:.2f}x | | |")
        else:
            spec, backend, done, failed, seconds, fps, xrt, peak = row
            xrt = f"{xrt:.0f}" if STAGES_READ_AUDIO.get(spec, True) else "-"
            print(
                f"| {spec} | {backend} | {done} | {failed} | {seconds:.1f} | {fps:.1f} | "
                f"{xrt} | {peak:.0f} |"
            )
    print()
    print(
        "Wall clock end to end (worker start-up, numba compilation and tagger loading included); "
        "x real time = seconds of audio per second (the text spec reads only the transcripts)."
    )


def shutil_rmtree(path):
    import shutil

    shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    main()
