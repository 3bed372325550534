"""Benchmark `speechtext run` over a Kaldi data dir of segments against the same utterances
as a folder of files: speed and peak memory.

    python bench/corpora.py [--recordings 10] [--segments 100] [--seconds 3] [--gap 3]

Data, made in code (nothing downloaded): the utterances of bench/pipeline.py (a glottal pulse
train through formants, with voiceless stretches and noise, 16 kHz), ``--segments`` of them per
recording, each followed by ``--gap`` seconds of low noise, concatenated into ``--recordings``
long recordings (10 x 100 x (3 + 3) s: 10-minute recordings, 1,000 segments), with a Kaldi
data dir (wav.scp, segments, text, utt2spk) over them; and the same 1,000 utterances as single
files with their transcripts, the folder input.

Both run the shipped ``telephone`` spec (G.712 channel, then pitch) on 2 local workers, each
run in a fresh process on a fresh OUTDIR, timed end to end (start-up, numba's compilation,
reading the manifest, every utterance, the manifest written at the end), alternating folder
and Kaldi runs (``--repeats`` each; the best of each is compared: the machine is shared).
Peak memory: the largest resident set of a worker (ru_maxrss of the pool's children) and of
the run's own process.

Goals: files/s over the Kaldi dir within 10 % of the folder's; peak memory of the Kaldi run no
more than the folder run's plus half a recording held as float32 (a run that loaded each long
recording whole would need at least a whole one more, in each worker). The anchor for memory:
reading one recording's segments by loading it whole (``soundfile.read``) and slicing, against
speechtext's seeking reads, each in a fresh process (peak resident set growth).
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline import SR, recording, transcript  # noqa: E402  (the same utterances)


def make_data(root, recordings, segments, seconds, gap, seed=0):
    """The long recordings with their Kaldi dir, and the same utterances as a folder."""
    rng = np.random.default_rng(seed)
    kd, folder, audio = root / "kaldi", root / "folder", root / "long"
    for d in (kd, folder, audio):
        d.mkdir(parents=True)
    scp, segs, text, u2s = [], [], [], []
    for r in range(recordings):
        rec = f"rec{r:02d}"
        path = audio / f"{rec}.wav"
        with sf.SoundFile(path, "w", SR, 1, subtype="PCM_16") as f:
            at = 0
            for k in range(segments):
                utt = f"spk{r:02d}-{rec}-{k:04d}"
                y = recording(rng, seconds)
                words = transcript(rng)
                f.write(y)
                f.write((rng.standard_normal(int(gap * SR)) * 0.003).astype(np.float32))
                segs.append(f"{utt} {rec} {at / SR:.4f} {(at + len(y)) / SR:.4f}")
                at += len(y) + int(gap * SR)
                text.append(f"{utt} {words}")
                u2s.append(f"{utt} spk{r:02d}")
                sf.write(folder / f"{utt}.wav", y, SR, subtype="PCM_16")
                (folder / f"{utt}.txt").write_text(words + "\n")
        scp.append(f"{rec} {path}")
    for name, lines in (("wav.scp", scp), ("segments", segs), ("text", text), ("utt2spk", u2s)):
        (kd / name).write_text("\n".join(lines) + "\n")
    return kd, folder, at / SR


def run_one(data, outdir, workers):
    """One run in this process: a JSON line with seconds, files done/failed and peak memory."""
    from speechtext.pipeline import run_pipeline

    start = time.perf_counter()
    result = run_pipeline("telephone", [data], outdir, workers=workers)
    seconds = time.perf_counter() - start
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "seconds": seconds,
                "done": len(result.batch.done),
                "failed": len(result.batch.failed),
                "worker_mb": children,
                "main_mb": own,
            }
        )
    )


def _status_mb(status, key):
    import re

    return int(re.search(rf"{key}:\s+(\d+)", status.read_text())[1]) / 1024


def probe_reads(kd, how):
    """Read every segment of the first recording, by seeking (speechtext) or by loading the
    recording whole and slicing it (the anchor): a JSON line with seconds and the growth of
    the peak resident set."""
    from speechtext.io.audio import read_audio, read_audio_span
    from speechtext.io.corpora import read_corpus

    corpus, _ = read_corpus(kd)
    rec = next(iter(corpus.recordings.values()))
    path = corpus.audio_path(rec)
    spans = [u for u in corpus.utterances if u.recording_id == rec.id]
    status = Path("/proc/self/status")
    Path("/proc/self/clear_refs").write_text("5")  # resets the peak (VmHWM) to the current RSS
    before = _status_mb(status, "VmRSS")
    start = time.perf_counter()
    total = 0
    if how == "seek":
        for u in spans:
            y, _ = read_audio_span(path, start=u.start, duration=u.duration)
            total += len(y)
    else:
        whole, sr = read_audio(path)
        for u in spans:
            first = round(u.start * sr)
            total += len(whole[first : first + round(u.duration * sr)])
    seconds = time.perf_counter() - start
    grown = _status_mb(status, "VmHWM") - before
    print(json.dumps({"seconds": seconds, "grown_mb": grown, "samples": total}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recordings", type=int, default=10)
    parser.add_argument("--segments", type=int, default=100, help="per recording")
    parser.add_argument("--seconds", type=float, default=3.0, help="of each segment")
    parser.add_argument("--gap", type=float, default=3.0, help="seconds between segments")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--one", nargs=3, metavar=("DATA", "OUT", "WORKERS"))
    parser.add_argument("--probe", nargs=2, metavar=("KALDI_DIR", "HOW"))
    args = parser.parse_args()
    if args.one:
        run_one(args.one[0], args.one[1], int(args.one[2]))
        return
    if args.probe:
        probe_reads(*args.probe)
        return

    import shutil

    with tempfile.TemporaryDirectory(prefix="bench-corpora-") as tmp:
        tmp = Path(tmp)
        start = time.perf_counter()
        kd, folder, length = make_data(tmp, args.recordings, args.segments, args.seconds, args.gap)
        n = args.recordings * args.segments
        print(
            f"{args.recordings} recordings of {length:.0f} s, {n} segments of "
            f"{args.seconds:g} s (Kaldi dir), and the same {n} utterances as files: made in "
            f"{time.perf_counter() - start:.1f} s",
            flush=True,
        )
        results = {"folder": [], "kaldi": []}
        for k in range(args.repeats):
            for name, data in (("folder", folder), ("kaldi", kd)):
                out = tmp / f"out-{name}-{k}"
                proc = subprocess.run(
                    [sys.executable, __file__, "--one", str(data), str(out), str(args.workers)],
                    capture_output=True,
                    text=True,
                )
                if proc.returncode != 0 or not proc.stdout.strip():
                    print(proc.stderr[-2000:], file=sys.stderr)
                    raise SystemExit(f"the {name} run failed")
                res = json.loads(proc.stdout.strip().splitlines()[-1])
                res["files_s"] = res["done"] / res["seconds"]
                results[name].append(res)
                print(
                    f"  {name:<7} run {k + 1}: {res['seconds']:6.1f} s  "
                    f"{res['files_s']:6.1f} files/s  worker peak {res['worker_mb']:.0f} MB, "
                    f"main {res['main_mb']:.0f} MB",
                    flush=True,
                )
                if name == "kaldi":
                    written = sorted(p.name for p in (out / "kaldi").iterdir())
                    assert written == ["spk2utt", "text", "utt2spk", "wav.scp"], written
                shutil.rmtree(out, ignore_errors=True)
        probes = {}
        for how in ("seek", "whole"):  # each in a fresh process: its own peak
            proc = subprocess.run(
                [sys.executable, __file__, "--probe", str(kd), how],
                capture_output=True,
                text=True,
                check=True,
            )
            probes[how] = json.loads(proc.stdout.strip().splitlines()[-1])

    best = {name: max(rs, key=lambda r: r["files_s"]) for name, rs in results.items()}
    peak = {n_: max(max(r["worker_mb"], r["main_mb"]) for r in rs) for n_, rs in results.items()}
    recording_mb = length * SR * 4 / 2**20  # one long recording as float32
    print()
    print(f"| input ({args.workers} workers, telephone spec) | files | failed | seconds | "
          "files/s | x real time | peak MB (worker or main) |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, label in (("folder", f"folder of {n} files"), ("kaldi", f"Kaldi dir, {n} segments "
                        f"over {args.recordings} recordings")):  # fmt: skip
        r = best[name]
        print(
            f"| {label} | {r['done']} | {r['failed']} | {r['seconds']:.1f} | {r['files_s']:.1f} | "
            f"{r['done'] * args.seconds / r['seconds']:.0f} | {peak[name]:.0f} |"
        )
    ratio = best["kaldi"]["files_s"] / best["folder"]["files_s"]
    extra = peak["kaldi"] - peak["folder"]
    print()
    print(f"Kaldi / folder files/s: {ratio:.2f}; peak memory difference {extra:+.0f} MB "
          f"(one {length:.0f} s recording as float32: {recording_mb:.0f} MB)")  # fmt: skip
    print(
        f"Reading the {args.segments} segments of one recording: by seeking (speechtext) "
        f"{probes['seek']['seconds']:.2f} s, peak memory {probes['seek']['grown_mb']:+.0f} MB; "
        f"loading it whole and slicing (the anchor) {probes['whole']['seconds']:.2f} s, "
        f"{probes['whole']['grown_mb']:+.0f} MB"
    )
    same = probes["seek"]["samples"] == probes["whole"]["samples"]
    complete = all(r["done"] == n and not r["failed"] for rs in results.values() for r in rs)
    print(f"{'PASS' if complete else 'FAIL'}: every utterance done from both inputs")
    print(f"{'PASS' if ratio >= 0.9 else 'FAIL'}: Kaldi segments at the folder's files/s "
          f"(within 10 %): {ratio:.2f}")  # fmt: skip
    print(f"{'PASS' if extra <= recording_mb / 2 else 'FAIL'}: bounded memory, no whole "
          f"recording loaded: {extra:+.0f} MB <= {recording_mb / 2:.0f} MB")  # fmt: skip
    seek_mb = probes["seek"]["grown_mb"]
    print(f"{'PASS' if same and seek_mb <= recording_mb / 2 else 'FAIL'}: seeking reads the "
          f"same samples as the whole-file anchor, in {seek_mb:+.0f} MB (the anchor: "
          f"{probes['whole']['grown_mb']:+.0f} MB)")  # fmt: skip


if __name__ == "__main__":
    main()
