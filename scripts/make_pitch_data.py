"""Make pitch training/validation data with exactly known F0 (issue 13, step 4: data only).

Recipe (everything drawn from one ``numpy.random.default_rng(seed)``, so a seed gives the same
set on any machine with the same package versions):

1. Sources: the LibriSpeech excerpts in ``../shared/data/speech`` (CC-BY 4.0, see its
   PROVENANCE.txt) and, when ``espeak-ng`` is installed (``apt-get install -y espeak-ng``),
   SENTENCES spoken by every ESPEAK_VOICES variant. FDA, Keele and PTDB-TUG are never used here
   (FDA is for choosing between methods and reporting; Keele is reserved).
2. WORLD (``pyworld``): harvest F0 (5 ms frames), CheapTrick envelope, D4C aperiodicity.
3. The F0 contour is moved in log-F0: its deviations from the median scaled by a factor drawn
   from 0.5-1.8, and the median moved to a target drawn log-uniformly from 60-400 Hz; values
   clipped to 50-500 Hz. Unvoiced frames stay unvoiced.
4. Resynthesis by WORLD with the new contour: the audio's F0 *is* that contour, exactly.
5. A channel drawn from wide (16 kHz), ``narrow``, ``g712``, ``g712`` + mu-law (speechtext's
   ``to_telephone``) and 8 kHz + Butterworth(8) 300-3400 Hz; then white or pink noise at an SNR
   drawn from 0-30 dB (relative to the speech power).

Each example is one ``.npz``: ``y`` (float32), ``sr``, ``f0`` (Hz per 10 ms frame, frames
centred at ``k * 0.01`` s, 0 = unvoiced: frames that harvest found unvoiced, or where D4C's
aperiodicity over 100-1000 Hz is above APERIODIC, since WORLD then synthesizes mostly noise
there although it has an F0 for them), ``contour`` (the F0 given to WORLD, also where it is
aperiodic), and the draws that made it (``source``, ``channel``,
``snr_db``, ``median``, ``scale``). Write them outside the repository.

Needs the ``pitch-data`` extra: ``pip install -e '.[pitch-data]'``.

Run: ``.venv/bin/python scripts/make_pitch_data.py OUTDIR --examples 200 --seed 13``
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SPEECH = ROOT.parent / "shared" / "data" / "speech"
HOP = 0.010
FRAME_PERIOD = 5.0  # ms, WORLD's analysis step
F0_RANGE = (50.0, 500.0)
MEDIAN_RANGE = (60.0, 400.0)
SCALE_RANGE = (0.5, 1.8)
SNR_RANGE = (0.0, 30.0)
APERIODIC = 0.5  # mean D4C aperiodicity over 100-1000 Hz above which a frame counts unvoiced
APERIODIC_BAND = (100.0, 1000.0)
CHANNELS = ("wide", "narrow", "g712", "g712+ulaw", "butter")
ESPEAK_VOICES = [f"en+m{i}" for i in range(1, 8)] + [f"en+f{i}" for i in range(1, 6)]
SENTENCES = [
    "I would like to book a flight to Boston tomorrow morning.",
    "Please play some relaxing jazz music in the living room.",
    "What will the weather be like in Seattle on Friday?",
    "Add milk, eggs and two loaves of bread to my shopping list.",
    "Can you tell me how far it is to the nearest train station?",
    "Set an alarm for half past six and remind me to call my mother.",
]


def sources(rng):
    """[(name, audio float64, sr)]: LibriSpeech excerpts, then espeak-ng voices if present."""
    import soundfile as sf

    out = []
    for path in sorted(SPEECH.glob("*.hq.ogg")):
        y, sr = sf.read(path, dtype="float64")
        out.append((path.name, y, sr))
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        print("espeak-ng is not installed: LibriSpeech sources only", file=sys.stderr)
        return out
    with tempfile.TemporaryDirectory() as tmp:
        for voice in ESPEAK_VOICES:
            for i, text in enumerate(SENTENCES):
                wav = Path(tmp) / f"{voice}-{i}.wav"
                speed = str(int(rng.integers(140, 190)))  # words per minute
                subprocess.run([espeak, "-v", voice, "-s", speed, "-w", str(wav), text], check=True)
                y, sr = sf.read(wav, dtype="float64")
                out.append((f"espeak {voice} {i}", y, sr))
    return out


def analyse(y, sr):
    """WORLD analysis -> (f0 per 5 ms frame, envelope, aperiodicity)."""
    import pyworld

    y = np.ascontiguousarray(y, np.float64)
    f0, t = pyworld.harvest(y, sr, f0_floor=F0_RANGE[0], f0_ceil=F0_RANGE[1] * 1.2)
    return f0, pyworld.cheaptrick(y, f0, t, sr), pyworld.d4c(y, f0, t, sr)


def move_contour(f0, rng):
    """F0 contour with its log-deviations scaled and its median moved; unvoiced frames stay 0."""
    voiced = f0 > 0
    logf = np.log(np.where(voiced, f0, 1.0))
    centre = np.median(logf[voiced])
    scale = rng.uniform(*SCALE_RANGE)
    target = np.exp(rng.uniform(np.log(MEDIAN_RANGE[0]), np.log(MEDIAN_RANGE[1])))
    moved = np.exp(np.log(target) + scale * (logf - centre))
    return np.where(voiced, np.clip(moved, *F0_RANGE), 0.0), float(target), float(scale)


def channel(name, y, sr):
    """``y`` through a channel -> (audio, rate); as bench/pitch.py's channels."""
    from scipy.signal import butter, sosfilt

    from speechtext.telephone import to_telephone

    if name == "wide":
        import soxr

        return soxr.resample(y, sr, 16000), 16000
    if name == "butter":
        import soxr

        z = soxr.resample(y, sr, 8000)
        return sosfilt(butter(4, (300.0, 3400.0), "bandpass", fs=8000, output="sos"), z), 8000
    preset, _, codec = name.partition("+")
    return to_telephone(y, sr=sr, preset=preset, codec=codec or None), 8000


def add_noise(y, snr_db, rng):
    """White or pink noise at ``snr_db`` below the power of the non-silent samples."""
    noise = rng.standard_normal(len(y))
    if rng.random() < 0.5:  # pink: 1/f power, by shaping the spectrum
        spec = np.fft.rfft(noise)
        spec /= np.sqrt(np.maximum(np.arange(len(spec)), 1))
        noise = np.fft.irfft(spec, len(y))
    loud = np.abs(y) > 0.01 * np.max(np.abs(y))
    power = np.mean(y[loud] ** 2) if loud.any() else np.mean(y**2)
    noise *= np.sqrt(power / 10 ** (snr_db / 10) / np.mean(noise**2))
    return y + noise


def frames_f0(f0_world, duration):
    """WORLD's 5 ms contour read at 10 ms frames (``k * HOP``), nearest frame."""
    n = int(np.floor(duration / HOP + 1e-9)) + 1
    j = np.round(np.arange(n) * HOP * 1000 / FRAME_PERIOD).astype(int)
    return f0_world[np.clip(j, 0, len(f0_world) - 1)]


def make(outdir, examples, seed):
    import pyworld

    rng = np.random.default_rng(seed)
    outdir.mkdir(parents=True, exist_ok=True)
    srcs = sources(rng)
    analysed = [(name, sr, *analyse(y, sr)) for name, y, sr in srcs]
    for i in range(examples):
        name, sr, f0, sp, ap = analysed[int(rng.integers(len(analysed)))]
        new_f0, median, scale = move_contour(f0, rng)
        y = pyworld.synthesize(new_f0, sp, ap, sr, FRAME_PERIOD)
        y *= 0.5 / (np.max(np.abs(y)) + 1e-12)
        chan = CHANNELS[int(rng.integers(len(CHANNELS)))]
        z, zsr = channel(chan, y, sr)
        snr = float(rng.uniform(*SNR_RANGE))
        z = add_noise(np.asarray(z, np.float64), snr, rng)
        z *= 0.9 / max(1.0, np.max(np.abs(z)) / 0.9)  # headroom, never clipped
        bins = np.linspace(0, sr / 2, ap.shape[1])
        band = (bins >= APERIODIC_BAND[0]) & (bins <= APERIODIC_BAND[1])
        periodic = ap[:, band].mean(axis=1) <= APERIODIC
        np.savez_compressed(
            outdir / f"{i:05d}.npz",
            y=z.astype(np.float32),
            sr=zsr,
            f0=frames_f0(np.where(periodic, new_f0, 0.0), len(y) / sr),
            contour=frames_f0(new_f0, len(y) / sr),
            source=name,
            channel=chan,
            snr_db=snr,
            median=median,
            scale=scale,
            seed=seed,
        )
    print(f"{examples} examples from {len(srcs)} sources in {outdir} (seed {seed})")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("outdir", type=Path, help="folder for the .npz examples (not the repo)")
    parser.add_argument("--examples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    make(args.outdir, args.examples, args.seed)


if __name__ == "__main__":
    main()
