"""Benchmark the telephone stage against sox, ffmpeg and librosa + scipy, in one run.

    python bench/telephone.py [--files 200] [--seconds 5] [--long-minutes 10] [--lines-only]
                               [--repeat 3]

The band (issue 2): a folder of generated 48 kHz files (each method converts all of them, one
core) and one long file (CPU seconds, so the figure is per core); each method's level at the
telephone band's landmarks, relative to a 1020 Hz tone, and its worst alias for input tones from
4600 Hz up to the input's Nyquist frequency. Targets: at least sox's throughput on the folder and
>= 1000x real time per core on the long file.

The phone lines (issue 17), on the LibriSpeech excerpts in ../shared/data/speech: G.711 against
the Recommendation's tables (and how far libsndfile and sox are from them); each codec's delay
by cross-correlation; each named channel's speed (x real time, CPU seconds of one process, on a
folder of 5 s files cut from the excerpts) and its CLI against the sox/ffmpeg command lines
doing the same codec per file (the best of --repeat runs of each); PESQ (P.862 narrowband,
P.862.2 wideband for hd-voice) and STOI against the clean input; the same seed on the process
pool and on Dask. Goal lines PASS/FAIL.
"""

import argparse
import math
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

SR = 48000
LANDMARKS = [100, 200, 300, 1020, 3000, 3400, 3800]


# --- the methods: each converts one file to an 8 kHz WAV --------------------------------------


def speechtext_convert(src, dst, preset="g712"):
    from speechtext.telephone import telephone_file

    telephone_file(src, dst, preset=preset)


def sox_convert(src, dst):
    subprocess.run(["sox", "-V1", str(src), "-r", "8000", str(dst), "sinc", "300-3400"], check=True)


def librosa_butter_convert(src, dst):
    """What a user writes: librosa.load at 8 kHz, then a 4th-order Butterworth band-pass."""
    import librosa
    from scipy.signal import butter, sosfilt

    y, sr = librosa.load(src, sr=8000)
    sos = butter(4, [300, 3400], btype="bandpass", fs=sr, output="sos")
    sf.write(dst, sosfilt(sos, y), sr, subtype="PCM_16")


METHODS = {
    "speechtext g712": speechtext_convert,
    "speechtext narrow": lambda s, d: speechtext_convert(s, d, "narrow"),
    "sox sinc 300-3400": sox_convert,
    "librosa+butter(4)": librosa_butter_convert,
}


# --- data ------------------------------------------------------------------------------------


def speechlike(seconds, seed):
    """Noise shaped like speech (a pitch pulse train through a resonance), 48 kHz, PCM16 range."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    pulses = np.zeros(n)
    pulses[:: int(SR / rng.uniform(90, 250))] = 1.0
    x = np.convolve(pulses, np.hanning(64), mode="same") + 0.05 * rng.standard_normal(n)
    return (0.3 * x / np.abs(x).max()).astype(np.float32)


def make_folder(folder, files, seconds):
    folder.mkdir(parents=True)
    for i in range(files):
        sf.write(folder / f"utt{i:04d}.wav", speechlike(seconds, i), SR, subtype="PCM_16")


def make_long(path, minutes):
    with sf.SoundFile(path, "w", samplerate=SR, channels=1, subtype="PCM_16") as f:
        for i in range(minutes):
            f.write(speechlike(60, 1000 + i))


# --- measurements ------------------------------------------------------------------------------


def time_folder(name, convert, folder, out):
    out.mkdir()
    start = time.perf_counter()
    for src in sorted(folder.glob("*.wav")):
        convert(src, out / src.name)
    return time.perf_counter() - start


def time_cli(folder, out, workers):
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "speechtext", "telephone", str(folder), "-o", str(out),
         "--workers", str(workers)],
        check=True, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - start


def levels(convert, workdir):
    """Level at the landmarks (dB re 1020 Hz) and the worst alias over 4600 Hz .. Nyquist."""

    def measure(freq):
        t = np.arange(SR) / SR
        src, dst = workdir / f"tone{freq}.wav", workdir / f"tone{freq}.8k.wav"
        sf.write(src, 0.5 * np.sin(2 * np.pi * freq * t), SR, subtype="FLOAT")
        convert(src, dst)
        y, _ = sf.read(dst)
        y = y[1000:-1000]
        return 10 * np.log10(np.mean(y**2) + 1e-20)

    ref = measure(1020)
    at = {f: measure(f) - ref for f in LANDMARKS}
    alias = max(measure(f) - ref for f in np.arange(4600, SR / 2, 487))
    return at, alias


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--long-minutes", type=int, default=10)
    parser.add_argument("--lines-only", action="store_true", help="only the phone lines")
    parser.add_argument(
        "--repeat", type=int, default=3, help="CLI and tool runs per channel (the best counts)"
    )
    args = parser.parse_args()
    if not args.lines_only:
        band_bench(args)
    lines_bench(args)


def band_bench(args):
    methods = dict(METHODS)
    if shutil.which("sox") is None:
        print("sox is not installed (apt-get install sox): its column is left out\n")
        del methods["sox sinc 300-3400"]

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        folder = tmp / "folder"
        make_folder(folder, args.files, args.seconds)
        long_path = tmp / "long.wav"
        make_long(long_path, args.long_minutes)
        audio = args.files * args.seconds
        long_seconds = args.long_minutes * 60

        # warm each method up once (imports), so the folder timings measure conversion
        for name, convert in methods.items():
            convert(folder / "utt0000.wav", tmp / f"warm-{name.replace(' ', '_')}.wav")

        print(f"Folder: {args.files} files x {args.seconds:g} s at 48 kHz ({audio:.0f} s of audio)")
        print(f"{'method':<34}{'seconds':>9}{'x real time':>13}{'vs sox':>9}")
        folder_times = {}
        for i, (name, convert) in enumerate(methods.items()):
            folder_times[name] = time_folder(name, convert, folder, tmp / f"out{i}")
        for workers in (1, 2):
            name = f"speechtext CLI --workers {workers}"
            folder_times[name] = time_cli(folder, tmp / f"cli{workers}", workers)
        sox = folder_times.get("sox sinc 300-3400")
        for name, seconds in folder_times.items():
            ratio = f"{sox / seconds:8.2f}x" if sox else "     n/a"
            print(f"{name:<34}{seconds:9.2f}{audio / seconds:12.0f}x{ratio}")
        print("  (library rows: one process, imports done; CLI rows: whole command with start-up)")

        print(f"\nLong file: {args.long_minutes} min at 48 kHz, CPU seconds (per core)")
        print(f"{'method':<34}{'CPU s':>9}{'x real time':>13}")
        long_rt = {}
        for name, convert in methods.items():
            if name.startswith("sox"):
                start = time.perf_counter()
                convert(long_path, tmp / "long-sox.wav")
                cpu = time.perf_counter() - start  # wall time of the child; sox runs on one core
            else:
                start = time.process_time()
                convert(long_path, tmp / f"long-{name.replace(' ', '_')}.wav")
                cpu = time.process_time() - start
            long_rt[name] = long_seconds / cpu
            print(f"{name:<34}{cpu:9.2f}{long_rt[name]:12.0f}x")

        print("\nLevel in dB relative to 1020 Hz, and the worst alias (input 4600 Hz .. 24 kHz)")
        header = "".join(f"{f:>8}" for f in LANDMARKS)
        print(f"{'method':<22}{header}{'alias':>9}")
        tones = tmp / "tones"
        tones.mkdir()
        for name, convert in methods.items():
            at, alias = levels(convert, tones)
            print(f"{name:<22}" + "".join(f"{at[f]:8.1f}" for f in LANDMARKS) + f"{alias:9.1f}")

        print("\nTargets")
        if sox:
            ratio = sox / folder_times["speechtext CLI --workers 1"]
            verdict = "PASS" if ratio >= 1.0 else "MISS"
            print(f"  folder throughput vs sox, CLI on one worker: {ratio:.2f}x (>= 1.0) {verdict}")
        rt = long_rt["speechtext g712"]
        verdict = "PASS" if rt >= 1000 else "MISS"
        print(f"  long file per core: {rt:.0f}x real time (>= 1000) {verdict}")


# --- the phone lines (issue 17) ----------------------------------------------------------------

SPEECH = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "speech"
CHANNEL_NAMES = ["landline", "mobile-gsm", "mobile-amr", "voip-opus", "hd-voice"]
# what the command lines do per file for each channel: encode, then decode to a WAV
ANCHORS = {
    "landline": ("sox", "sox -V1 {src} -r 8000 -e u-law {dst} sinc 300-3400"),
    "mobile-gsm": ("sox", "sox -V1 {src} -r 8000 -t gsm - sinc 300-3400 | sox -V1 -t gsm - {dst}"),
    "mobile-amr": (
        "sox",
        "sox -V1 {src} -r 8000 -C 7 -t amr-nb - sinc 300-3400 | sox -V1 -t amr-nb - {dst}",
    ),
    "voip-opus": (
        "ffmpeg",
        "ffmpeg -v error -i {src} -ar 8000 -ac 1 -af highpass=f=300,lowpass=f=3400 -c:a libopus"
        " -b:a 12k -application voip -f ogg - | ffmpeg -v error -y -i - -ar 8000 {dst}",
    ),
    "hd-voice": (
        "ffmpeg",
        "ffmpeg -v error -i {src} -ar 16000 -ac 1 -c:a g722 -f g722 - | "
        "ffmpeg -v error -y -f g722 -i - {dst}",
    ),
}
# PESQ rows: (label, settings)
QUALITY = [
    ("G.711 mu-law (landline)", {"channel": "landline"}),
    ("G.726 32 kbit/s", {"codec": "g726", "level": -26.0}),
    ("AMR-NB 12.2 (mobile-amr)", {"channel": "mobile-amr"}),
    ("Opus 12 kbit/s, no loss", {"channel": "voip-opus", "loss": 0.0}),
    ("GSM-FR (mobile-gsm)", {"channel": "mobile-gsm"}),
    ("AMR-NB 4.75", {"channel": "mobile-amr", "bitrate": 4.75}),
    ("voip-opus (2 % loss)", {"channel": "voip-opus"}),
    ("Opus 12, 5 % loss, burst 2", {"channel": "voip-opus", "loss": 0.05, "burst": 2.0}),
    ("G.711, 5 % loss, App. I PLC", {"channel": "landline", "loss": 0.05, "burst": 2.0}),
    ("hd-voice (G.722, wideband PESQ)", {"channel": "hd-voice"}),
]
CODEC_CASES = [
    ("ulaw", None),
    ("alaw", None),
    ("gsm-fr", None),
    ("amr-nb", 12.2),
    ("amr-nb", 4.75),
    ("opus", 6),
    ("opus", 12),
    ("opus", 24),
    ("g722", None),
    ("g726", 16),
    ("g726", 32),
    ("g726", 40),
]


def g711_reference_tables():
    """Every 16-bit input's G.711 character by the Recommendation's tables (interval search:
    A-law segments of 16 intervals, 2 of step 16 then doubling; mu-law biased by 33)."""
    x = np.arange(-32768, 32768)
    magnitude = np.where(x < 0, -x - 1, x)
    bounds = np.array([0, 16, 32, 64, 128, 256, 512, 1024, 2048])
    steps = np.array([1, 1, 2, 4, 8, 16, 32, 64])
    m = magnitude // 16
    seg = np.searchsorted(bounds, m, side="right") - 1
    alaw = ((seg << 4) | ((m - bounds[seg]) // steps[seg]) | np.where(x >= 0, 0x80, 0)) ^ 0x55
    biased = np.minimum(magnitude // 4 + 33, 8191)
    seg = np.floor(np.log2(biased)).astype(int) - 5
    ulaw = (0x7F ^ ((seg << 4) | ((biased - 2 ** (seg + 5)) // 2 ** (seg + 1)))) | np.where(
        x >= 0, 0x80, 0
    )
    return {"ulaw": ulaw.astype(np.uint8), "alaw": alaw.astype(np.uint8)}


def g711_rows(tmp):
    """Inputs (of 65,536) whose character differs from the Recommendation's, per coder."""
    from speechtext.telephone.g711 import g711_encode

    every = np.arange(-32768, 32768).astype(np.int16)
    ref = g711_reference_tables()
    rows = {}
    for law, subtype, sox_enc in (("ulaw", "ULAW", "u-law"), ("alaw", "ALAW", "a-law")):
        ours = int(np.count_nonzero(g711_encode(every, law) != ref[law]))
        raw = tmp / f"{law}.raw"
        sf.write(raw, every, 8000, format="RAW", subtype=subtype)
        lib = np.fromfile(raw, dtype=np.uint8)
        libsndfile = int(np.count_nonzero(lib != ref[law]))
        sox = None
        if shutil.which("sox"):
            pcm = tmp / f"{law}.s16"
            every.tofile(pcm)
            out = tmp / f"{law}.sox"
            subprocess.run(
                [
                    "sox",
                    "-D",  # no dither: sox's coder alone
                    "-t",
                    "raw",
                    "-r",
                    "8000",
                    "-e",
                    "signed",
                    "-b",
                    "16",
                    "-c",
                    "1",
                    str(pcm),
                    "-t",
                    "raw",
                    "-e",
                    sox_enc,
                    str(out),
                ],
                check=True,
            )
            sox = int(np.count_nonzero(np.fromfile(out, dtype=np.uint8) != ref[law]))
        rows[law] = (ours, libsndfile, sox)
    return rows


def children_cpu():
    """CPU seconds (user + system) of the child processes that have ended so far."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load_average():
    """The machine's 1, 5 and 15 minute load averages, as uptime prints them."""
    import os

    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def library_speed(channel, folder, out, audio):
    """x real time (CPU seconds of this process) of telephone_file over the folder, run by the
    batch runner in this process (one worker), after one file to warm up."""
    import functools

    from speechtext.batch import run_batch
    from speechtext.io.audio import AUDIO_EXTENSIONS
    from speechtext.io.folders import collect_jobs

    jobs, _ = collect_jobs([folder], out, extensions=AUDIO_EXTENSIONS, output_suffixes=[".wav"])
    work = functools.partial(convert_job, channel=channel)
    run_batch(jobs[:1], work, outdir=out / "warm", workers=1)
    start = time.process_time()
    report = run_batch(jobs, work, outdir=out, workers=1, overwrite=True)
    assert len(report.done) == len(jobs), report.failed
    return audio / (time.process_time() - start)


def convert_job(job, *, channel):
    from speechtext.telephone import telephone_file

    return telephone_file(job.source, job.outputs[0], channel=channel)


def byte_compile_package():
    """Compile speechtext's modules as pip does when it installs a wheel: where the machine sets
    PYTHONDONTWRITEBYTECODE (this one does), every CLI run would compile them again."""
    import compileall

    import speechtext

    compileall.compile_dir(Path(speechtext.__file__).parent, quiet=1)


def time_channel_cli(folder, out, channel, flags):
    """CPU seconds (the command and its workers) and wall seconds of `speechtext telephone`."""
    before, start = children_cpu(), time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "speechtext", "telephone", str(folder), "-o", str(out),
         "--channel", channel, *flags],
        check=True, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return children_cpu() - before, time.perf_counter() - start


def lag(x, y, max_lag=80):
    m = len(x) - 2 * max_lag
    c = np.array([np.dot(x[max_lag:m], y[max_lag + k : m + k]) for k in range(-max_lag, max_lag)])
    k = int(np.argmax(c))
    a, b, d = c[k - 1], c[k], c[k + 1]
    return k - max_lag + 0.5 * (a - d) / (a - 2 * b + d)


def speech_excerpts():
    """The excerpts, clean at 8 and 16 kHz (PESQ's references) and through the bands (what a
    codec gets in the chain), at half of full scale."""
    import soxr

    from speechtext.telephone import to_telephone

    out = []
    for path in sorted(SPEECH.glob("*.ogg")):
        y, sr = sf.read(path)
        e = {"path": path, "y": y, "sr": sr}
        for rate in (8000, 16000):
            e[rate] = soxr.resample(y, sr, rate)
        for preset in ("g712", "wideband"):
            band = to_telephone(y, sr=sr, preset=preset).astype(np.float64)
            e[preset] = 0.5 * band / np.max(np.abs(band))
        out.append(e)
    return out


def make_speech_folder(folder, excerpts, files, seconds):
    folder.mkdir(parents=True)
    for i in range(files):
        e = excerpts[i % len(excerpts)]
        n = int(seconds * e["sr"])
        start = (i * 3517) % max(1, len(e["y"]) - n)
        sf.write(folder / f"utt{i:04d}.wav", e["y"][start : start + n], e["sr"], subtype="PCM_16")


def lines_bench(args):
    from speechtext.telephone import telephone_call
    from speechtext.telephone.codecs import run_codec

    if not SPEECH.is_dir():
        print(f"\n{SPEECH} is absent: the phone-line benchmark needs the LibriSpeech excerpts")
        return
    goals = []
    excerpts = speech_excerpts()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)

        print("\nG.711: inputs (of 65,536) whose character differs from the Recommendation's")
        print(f"{'law':<8}{'speechtext':>12}{'libsndfile':>12}{'sox':>8}")
        rows = g711_rows(tmp)
        for law, (ours, lib, sox) in rows.items():
            print(f"{law:<8}{ours:>12}{lib:>12}{sox if sox is not None else 'n/a':>8}")
        exact = all(r[0] == 0 for r in rows.values())
        goals.append(("G.711 bit-exact on all 65,536 inputs (mu-law and A-law)", exact))

        print(
            "\nAlignment: output lag behind the input by cross-correlation (samples), per excerpt;"
        )
        print("  the input is the band-limited speech each codec gets in the chain")
        worst = 0.0
        for codec, bitrate in CODEC_CASES:
            from speechtext.telephone import CODECS

            rate = CODECS[codec].rate
            lags = []
            for e in excerpts:
                x = e["g712" if rate == 8000 else "wideband"]
                out, _ = run_codec(x, codec, bitrate=bitrate)
                assert len(out) == len(x)
                lags.append(lag(x, out))
            worst = max(worst, max(abs(v) for v in lags))
            label = f"{codec} {bitrate:g}" if bitrate else codec
            print(f"  {label:<14}" + "".join(f"{v:+7.2f}" for v in lags))
        goals.append((f"every codec aligned within 1 sample (worst {worst:.2f})", worst <= 1.0))

        byte_compile_package()
        folder = tmp / "speech"
        make_speech_folder(folder, excerpts, args.files, args.seconds)
        audio = args.files * args.seconds
        print(
            f"\nChannels: {args.files} files x {args.seconds:g} s at 16 kHz ({audio:.0f} s). CPU "
            "seconds (user + system), so a busy machine's waits do not count: the library in "
            "this process (telephone_file over the folder by run_batch, one worker, as the CLI "
            "runs it); the CLI (--workers 1, start-up included) and the tool command lines "
            f"per file, as child processes, the best of {args.repeat} runs each taken in turn; "
            "the CLI with its default workers (CPU and wall seconds). Load average at the "
            f"start: {load_average()}"
        )
        print(
            f"{'channel':<12}{'library x RT':>14}{'CLI CPU s':>11}{'tool':>8}{'tool CPU s':>12}"
            f"{'CLI vs tool':>13}{'CLI default: CPU s':>20}{'wall s':>8}"
        )
        speed = {}
        for name in CHANNEL_NAMES:
            sources = sorted(folder.glob("*.wav"))
            rt = library_speed(name, folder, tmp / f"lib-{name}", audio)
            tool, command = ANCHORS[name]
            if not shutil.which(tool):
                command = None
            # best of --repeat runs each, taken in turn (a busy machine's bursts hit both)
            cli, tool_s = math.inf, math.inf if command else None
            for run in range(args.repeat):
                cli_dir = tmp / f"cli-{name}-{run}"
                cli = min(cli, time_channel_cli(folder, cli_dir, name, ["--workers", "1"])[0])
                shutil.rmtree(cli_dir)
                if command:
                    anchor = tmp / f"tool-{name}-{run}"
                    anchor.mkdir()
                    before = children_cpu()
                    for src in sources:
                        subprocess.run(
                            command.format(src=src, dst=anchor / src.name),
                            shell=True,
                            check=True,
                            stderr=subprocess.DEVNULL,
                        )
                    tool_s = min(tool_s, children_cpu() - before)
                    shutil.rmtree(anchor)
            default_cpu, default_wall = time_channel_cli(folder, tmp / f"cli2-{name}", name, [])
            speed[name] = (rt, cli, tool_s)
            ratio = f"{tool_s / cli:12.2f}x" if tool_s else "         n/a"
            tool_col = f"{tool_s:12.2f}" if tool_s else "         n/a"
            print(
                f"{name:<12}{rt:13.0f}x{cli:11.2f}{tool:>8}{tool_col}{ratio}"
                f"{default_cpu:20.2f}{default_wall:8.2f}"
            )
        print(f"  load average at the end: {load_average()}")
        goals.append(
            (
                f"landline >= 1000x real time per core ({speed['landline'][0]:.0f}x)",
                speed["landline"][0] >= 1000,
            )
        )
        slowest = min(CHANNEL_NAMES[1:], key=lambda n: speed[n][0])
        goals.append(
            (
                f"every codec channel >= 100x real time per core (slowest {slowest}: "
                f"{speed[slowest][0]:.0f}x)",
                speed[slowest][0] >= 100,
            )
        )
        beaten = [n for n in CHANNEL_NAMES if speed[n][2] is not None]
        faster = all(speed[n][1] < speed[n][2] for n in beaten)
        goals.append(
            (
                f"CLI faster than the sox/ffmpeg command lines per file ({len(beaten)} of "
                f"{len(CHANNEL_NAMES)} channels compared)",
                faster and bool(beaten),
            )
        )

        print("\nQuality against the clean input (mean over the excerpts)")
        print(f"{'chain':<34}{'PESQ':>7}{'STOI':>7}")
        from pesq import pesq
        from pystoi import stoi

        mos = {}
        for label, settings in QUALITY:
            scores, intel = [], []
            for e in excerpts:
                call = telephone_call(e["y"], sr=e["sr"], seed=1, key=e["path"].stem, **settings)
                rate = call.sr
                ref = e[rate]
                n = min(len(ref), len(call.audio))
                mode = "wb" if rate == 16000 else "nb"
                scores.append(pesq(rate, ref[:n], call.audio[:n].astype(np.float64), mode))
                intel.append(stoi(ref[:n], call.audio[:n], rate, extended=False))
            mos[label] = float(np.mean(scores))
            print(f"{label:<34}{mos[label]:7.2f}{np.mean(intel):7.2f}")
        order = [
            "G.711 mu-law (landline)",
            "AMR-NB 12.2 (mobile-amr)",
            "GSM-FR (mobile-gsm)",
            "AMR-NB 4.75",
        ]
        ordered = all(mos[a] > mos[b] for a, b in zip(order, order[1:], strict=False))
        goals.append(
            (
                "PESQ G.711 > AMR-NB 12.2 > GSM-FR > AMR-NB 4.75 ("
                + " > ".join(f"{mos[k]:.2f}" for k in order)
                + ")",
                ordered,
            )
        )

        same = seed_identity(tmp, folder)
        if same is not None:
            goals.append(
                (
                    "same seed byte-identical on the pool and on Dask (voip-opus, 5 % "
                    "loss, pink noise)",
                    same,
                )
            )

    print("\nGoals (issue 17)")
    for text, ok in goals:
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")


def seed_identity(tmp, folder):
    """The outputs of `speechtext run` with a seeded spec on 2 pool workers and on 2 Dask ones."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        print("\ndistributed is not installed: the Dask check is left out")
        return None
    small = tmp / "seeded"
    small.mkdir()
    for src in sorted(folder.glob("*.wav"))[:12]:
        shutil.copy(src, small / src.name)
    spec = tmp / "seeded.toml"
    spec.write_text(
        '[[stage]]\nname = "telephone"\nchannel = "voip-opus"\nloss = 0.05\n'
        'burst = 2.0\nnoise = "pink"\nsnr = 15\nseed = 17\n'
    )
    outs = {}
    for backend, flags in (("pool", ["--workers", "2"]), ("dask", ["--dask-local", "2"])):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "speechtext",
                "run",
                str(spec),
                str(small),
                "-o",
                str(tmp / backend),
                *flags,
            ],
            check=True,
            stderr=subprocess.DEVNULL,
        )
        outs[backend] = {
            p.name: p.read_bytes()
            for p in sorted((tmp / backend).glob("*"))
            if p.suffix in (".wav", ".json")
        }
    return len(outs["pool"]) == 24 and outs["pool"] == outs["dask"]


if __name__ == "__main__":
    main()
