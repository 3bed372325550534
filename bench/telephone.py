"""Benchmark the telephone stage against sox and librosa + scipy, in one run.

    python bench/telephone.py [--files 200] [--seconds 5] [--long-minutes 10]

Speed: a folder of generated 48 kHz files (each method converts all of them, one core) and one
long file (CPU seconds, so the figure is per core). Quality: each method's level at the telephone
band's landmarks, relative to a 1020 Hz tone, and its worst alias for input tones from 4600 Hz
up to the input's Nyquist frequency. Targets (issue 2): at least sox's throughput on the folder
and >= 1000x real time per core on the long file.
"""

import argparse
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
    args = parser.parse_args()

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


if __name__ == "__main__":
    main()
