"""Benchmark of the pitch stage: speechtext against the trackers people know, in one run.

Anchors (the ``bench`` extra: ``pip install -e '.[bench]'``): SwiftF0 (``swift-f0``), YAAPT
(``amfm-decompy``), RAPT and SWIPE (``pysptk``), Praat ac and cc (``praat-parselmouth``), librosa
pyin and yin. An anchor whose package is missing is left out with a note. Every method searches
fmin 50 / fmax 500 Hz.

Data, all on the same audio for every method:

- FDA (``../shared/data/fda``): 50 utterances, 25 male (``rl``) + 25 female (``sb``), 20 kHz,
  laryngograph reference F0 every 15 ms. FDA is for choosing between methods and for reporting:
  nothing in speechtext is fitted to it.
- a synthetic set with exactly known F0 made here (glottal pulses through formant filters, F0
  gliding 70-300 Hz, fricative noise between syllables, white noise at 20 and 10 dB SNR).

Channels: ``wide`` (as recorded), speechtext's ``narrow`` and ``g712`` telephone presets,
``g712+ulaw`` (G.711 mu-law companding), and ``butter`` (8 kHz, then an 8th-order Butterworth
band-pass 300-3400 Hz, causal, as a channel is).

Scores over the reference frames (FDA: its 15 ms frames; each estimate is read at the nearest of
its own frames to a reference frame's time, after the best global time offset for that method
and channel, the one with the smallest fine error, searched over -30..30 ms in 2.5 ms steps):

- GPE: frames voiced in both, off by more than 20 %, over frames voiced in both;
- V->UV: reference-voiced frames called unvoiced, over reference-voiced frames;
- UV->V: reference-unvoiced frames called voiced, over reference-unvoiced frames;
- FFE: gross errors plus all voicing errors, over all frames;
- fine: mean absolute error in cents over the frames voiced in both without gross error.

Speed: seconds of audio per second of work on the 8 kHz channels (``narrow``), one thread (the
process is pinned to one CPU, and the libraries that could start threads are told not to),
best of 3 runs per utterance for the methods faster than 100x real time.

Rows: ``speechtext`` is the default method (``speechtext.pitch.DEFAULT_METHOD``), ``st <name>``
speechtext's other own method (learned or cmndf), for comparison.

The goal lines (issue 13) are for speechtext's default method, per FDA speaker (FDA has two,
one male and one female: "per speaker" is the male and female rows), through each
telephone channel: GPE <= 0.5 %, V->UV <= 5 %, UV->V <= 5 %, FFE below every anchor's; wideband
no worse than SwiftF0 on GPE, V->UV and FFE; speed >= 3x SwiftF0's and >= 500x real time.

Run: ``.venv/bin/python bench/pitch.py`` (``--quick``: 6 FDA utterances, for development)
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one thread, before numpy/numba/onnxruntime load

import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
FDA = DATA / "fda"
FDA_HOP = 0.015
HOP = 0.010
FMIN, FMAX = 50.0, 500.0
SYNTH_SR = 16000
CHANNELS = ("wide", "narrow", "g712", "g712+ulaw", "butter")
TELEPHONE = CHANNELS[1:]
SPEAKERS = {"rl": "male", "sb": "female"}

__all__ = ["channel", "load_fda", "main", "score", "synthetic"]


# ----------------------------------------------------------------------------- data


def load_fda(limit=None):
    """[(stem, speaker, y, sr, ref f0 per 15 ms frame with 0 = unvoiced)] for every utterance."""
    from speechtext.io import read_audio

    stems = sorted(p.stem for p in FDA.glob("*.wav"))
    if limit:
        stems = [s for s in stems if s.startswith("rl")][: limit // 2] + [
            s for s in stems if s.startswith("sb")
        ][: limit - limit // 2]
    out = []
    for stem in stems:
        y, sr = read_audio(FDA / f"{stem}.wav")
        ref = np.loadtxt(FDA / f"{stem}.f0ref", ndmin=1)
        out.append((stem, SPEAKERS[stem[:2]], y, sr, ref))
    return out


def channel(name, y, sr):
    """``y`` through one of CHANNELS -> (audio, rate)."""
    from speechtext.telephone import to_telephone

    if name == "wide":
        return y, sr
    if name == "butter":
        import soxr
        from scipy.signal import butter, sosfilt

        z = soxr.resample(y, sr, 8000)
        sos = butter(4, (300.0, 3400.0), "bandpass", fs=8000, output="sos")  # 8th order
        return sosfilt(sos, z).astype(np.float32), 8000
    preset, _, codec = name.partition("+")
    return to_telephone(y, sr=sr, preset=preset, codec=codec or None), 8000


def _rosenberg(n_open, n_close):
    """One Rosenberg glottal flow pulse (opening and closing phases)."""
    t1 = np.arange(n_open) / max(n_open, 1)
    t2 = np.arange(n_close) / max(n_close, 1)
    return np.concatenate([0.5 * (1 - np.cos(np.pi * t1)), np.cos(0.5 * np.pi * t2)])


VOWELS = {  # F1, F2, F3, F4 in Hz (Peterson & Barney-like averages)
    "a": (730, 1090, 2440, 3400),
    "i": (270, 2290, 3010, 3700),
    "u": (300, 870, 2240, 3300),
    "e": (530, 1840, 2480, 3500),
    "o": (570, 840, 2410, 3300),
}


def synthetic(*, seed=0, seconds=20.0, sr=SYNTH_SR, snr_db=20.0):
    """Synthetic speech-like audio with exactly known F0.

    Syllables of 0.25-0.7 s (glottal pulses with 1 % jitter and 3 % shimmer through 4 formant
    resonators) alternate with 0.1-0.35 s gaps holding silence or fricative-like noise. F0 glides
    between 70 and 300 Hz (a slow log-sweep plus intonation), then white noise is added at
    ``snr_db`` relative to the speech power.

    Returns
    -------
    y : np.ndarray, sr : int, ref : np.ndarray
        ``ref[k]`` is the true F0 at ``k * HOP`` s, 0 where unvoiced and NaN near voicing edges
        (within 15 ms; left out of the scores).
    """
    from scipy.signal import lfilter

    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    t = np.arange(n) / sr
    # log-F0 sweeps 70 -> 300 -> 70 Hz twice, plus syllable-rate intonation
    phase = 2 * np.pi * t / (seconds / 2)
    logf = np.log(70) + (np.log(300) - np.log(70)) * 0.5 * (1 - np.cos(phase))
    logf += 0.06 * np.sin(2 * np.pi * 1.7 * t)
    f0 = np.exp(logf)
    y = np.zeros(n)
    voiced = np.zeros(n, bool)
    pos = int(0.2 * sr)
    while pos < n - int(0.3 * sr):
        length = int(rng.uniform(0.25, 0.7) * sr)
        end = min(pos + length, n - int(0.1 * sr))
        formants = VOWELS[rng.choice(list(VOWELS))]
        src = np.zeros(end - pos + sr // 50)
        p = pos
        while p < end:
            period = sr / f0[p] * (1 + 0.01 * rng.standard_normal())
            n_open = int(0.4 * period)
            n_close = int(0.2 * period)
            pulse = _rosenberg(n_open, n_close) * (1 + 0.03 * rng.standard_normal())
            i = p - pos
            src[i : i + len(pulse)] += pulse[: len(src) - i]
            p += max(int(round(period)), 1)
        src = np.diff(src, prepend=0.0)  # lip radiation
        seg = src
        for k, fc in enumerate(formants):
            bw = 60 + 40 * k
            r = np.exp(-np.pi * bw / sr)
            theta = 2 * np.pi * fc / sr
            a = [1, -2 * r * np.cos(theta), r * r]
            seg = lfilter([1 - r], a, seg)
        seg = seg[: end - pos]
        env = np.ones(len(seg))
        ramp = int(0.02 * sr)
        env[:ramp] = np.linspace(0, 1, ramp)
        env[-ramp:] = np.linspace(1, 0, ramp)
        seg = seg / (np.std(seg) + 1e-12) * env * rng.uniform(0.5, 1.0)
        y[pos:end] += seg
        voiced[pos:end] = True
        gap = int(rng.uniform(0.1, 0.35) * sr)
        if rng.random() < 0.6:  # fricative: high-passed noise
            noise = rng.standard_normal(gap)
            noise = lfilter([1, -0.95], [1], noise)
            start = end + int(0.02 * sr)
            stop = min(start + gap - int(0.04 * sr), n)
            y[start:stop] += 0.3 * noise[: stop - start] / np.std(noise)
        pos = end + gap
    speech_power = np.mean(y[voiced] ** 2) * voiced.mean()
    y += rng.standard_normal(n) * np.sqrt(speech_power / 10 ** (snr_db / 10))
    y *= 0.3 / np.max(np.abs(y))

    frames = np.arange(int(seconds / HOP) + 1)
    centres = np.minimum((frames * HOP * sr).astype(int), n - 1)
    edge = int(0.015 * sr)
    near = np.convolve(voiced.astype(float), np.ones(2 * edge + 1), mode="same")
    ref = np.where(voiced[centres], f0[centres], 0.0)
    inner = near[centres]
    ref[(inner > 0) & (inner < 2 * edge + 1)] = np.nan
    return y.astype(np.float32), sr, ref


# ----------------------------------------------------------------------------- methods
# Each returns (times in s, f0 in Hz, voiced) for one utterance.


def _speechtext(method):
    def run(y, sr):
        from speechtext.pitch import estimate_f0

        track = estimate_f0(y, sr=sr, fmin=FMIN, fmax=FMAX, hop=HOP, method=method)
        return track.times, track.f0, track.voiced

    return run


_SWIFT = []


def run_swiftf0(y, sr):
    from swift_f0 import SwiftF0

    if not _SWIFT:
        _SWIFT.append(SwiftF0(threads=1, spin=False))
    result = _SWIFT[0].detect(np.asarray(y, np.float32), sr, fmin=FMIN, fmax=FMAX)
    return result.timestamps, result.pitch_hz, result.confidence >= 0.5


def run_yaapt(y, sr):
    import amfm_decompy.basic_tools as basic
    import amfm_decompy.pYAAPT as pyaapt

    pitch = pyaapt.yaapt(
        basic.SignalObj(np.asarray(y, np.float64), sr),
        frame_space=HOP * 1000,
        f0_min=FMIN,
        f0_max=FMAX,
    )
    f0 = np.asarray(pitch.samp_values, float)
    times = np.asarray(pitch.frames_pos, float) / sr
    return times, f0, f0 > 0


def _int16_scale(y):
    return np.asarray(y, np.float64) * 32768.0  # SPTK's thresholds expect 16-bit sample values


def run_rapt(y, sr):
    import pysptk

    hop = int(round(HOP * sr))
    f0 = pysptk.rapt(
        _int16_scale(y).astype(np.float32), fs=sr, hopsize=hop, min=FMIN, max=FMAX, otype="f0"
    )
    return np.arange(len(f0)) * hop / sr, f0, f0 > 0


def run_swipe(y, sr):
    import pysptk

    hop = int(round(HOP * sr))
    f0 = pysptk.swipe(_int16_scale(y), fs=sr, hopsize=hop, min=FMIN, max=FMAX, otype="f0")
    return np.arange(len(f0)) * hop / sr, f0, f0 > 0


def _praat(kind):
    def run(y, sr):
        import parselmouth

        sound = parselmouth.Sound(np.asarray(y, np.float64), sampling_frequency=sr)
        to_pitch = sound.to_pitch_ac if kind == "ac" else sound.to_pitch_cc
        pitch = to_pitch(time_step=HOP, pitch_floor=FMIN, pitch_ceiling=FMAX)
        f0 = pitch.selected_array["frequency"]
        return np.asarray(pitch.xs()), f0, f0 > 0

    return run


def _librosa(kind):
    def run(y, sr):
        import librosa

        hop = int(round(HOP * sr))
        # at least two periods of fmin per frame, as librosa requires
        frame = 1 << int(np.ceil(np.log2(2.2 * sr / FMIN)))
        y = np.asarray(y, np.float32)
        if kind == "pyin":
            f0, voiced, _ = librosa.pyin(
                y, fmin=FMIN, fmax=FMAX, sr=sr, frame_length=frame, hop_length=hop
            )
            f0 = np.nan_to_num(f0)
        else:
            f0 = librosa.yin(y, fmin=FMIN, fmax=FMAX, sr=sr, frame_length=frame, hop_length=hop)
            voiced = np.ones(len(f0), bool)  # yin has no voicing decision
        return np.arange(len(f0)) * hop / sr, f0, voiced

    return run


ANCHORS = {  # name: (module it needs, run)
    "SwiftF0": ("swift_f0", run_swiftf0),
    "YAAPT": ("amfm_decompy", run_yaapt),
    "RAPT": ("pysptk", run_rapt),
    "SWIPE": ("pysptk", run_swipe),
    "Praat ac": ("parselmouth", _praat("ac")),
    "Praat cc": ("parselmouth", _praat("cc")),
    "librosa pyin": ("librosa", _librosa("pyin")),
    "librosa yin": ("librosa", _librosa("yin")),
}
OURS = "speechtext"


def _own_names():
    """{row name: method} for speechtext's default and its other own method."""
    from speechtext.pitch import DEFAULT_METHOD, OWN_METHODS

    other = [m for m in OWN_METHODS if m != DEFAULT_METHOD]
    return {OURS: "default", **{f"st {m}": m for m in other}}


def _default_method():
    from speechtext.pitch import DEFAULT_METHOD

    return DEFAULT_METHOD


def methods():
    import importlib.util

    out = {name: _speechtext(m) for name, m in _own_names().items()}
    for name, (module, run) in ANCHORS.items():
        if importlib.util.find_spec(module) is None:
            print(f"{module} is not installed: {name} left out (pip install -e '.[bench]')")
        else:
            out[name] = run
    return out


# ----------------------------------------------------------------------------- scoring

OFFSETS = np.arange(-12, 13) * 0.0025  # s, searched for each method and channel


def frame_counts(times, f0, voiced, ref, ref_hop, offset):
    """Counts over the reference frames for one utterance (to be pooled by summing).

    The estimate is read at its frame nearest to each reference frame's time + ``offset``;
    reference frames outside the estimate's span count as unvoiced in the estimate. NaN
    reference frames (synthetic voicing edges) are left out.
    """
    ref = np.asarray(ref, float)
    times = np.asarray(times, float)
    t = np.arange(len(ref)) * ref_hop + offset
    if len(times):
        j = np.clip(np.searchsorted(times, t), 1, max(len(times) - 1, 1))
        j = np.where((j > 0) & (np.abs(times[j - 1] - t) <= np.abs(times[j] - t)), j - 1, j)
        j = np.clip(j, 0, len(times) - 1)
        inside = np.abs(times[j] - t) <= 0.0251
        e = np.where(inside, np.asarray(f0, float)[j], 0.0)
        v = inside & np.asarray(voiced, bool)[j] & (e > 0)
    else:
        e, v = np.zeros(len(ref)), np.zeros(len(ref), bool)
    ok = ~np.isnan(ref)
    r, e, v = ref[ok], e[ok], v[ok]
    ref_v = r > 0
    both = ref_v & v
    ratio = e[both] / r[both]
    gross = np.abs(ratio - 1) > 0.2
    cents = np.abs(1200 * np.log2(ratio[~gross]))
    return np.array(
        [
            len(r),  # frames
            ref_v.sum(),  # reference-voiced
            both.sum(),  # voiced in both
            gross.sum(),
            (ref_v & ~v).sum(),  # V->UV
            (~ref_v & v).sum(),  # UV->V
            cents.sum(),
            len(cents),
        ],
        float,
    )


def score(counts):
    """Percentages (and fine cents) from pooled :func:`frame_counts`."""
    n, nv, both, gross, v2u, u2v, cents, nfine = counts
    pct = lambda a, b: 100.0 * a / b if b else float("nan")  # noqa: E731
    return {
        "gpe": pct(gross, both),
        "v2u": pct(v2u, nv),
        "u2v": pct(u2v, n - nv),
        "ffe": pct(gross + v2u + u2v, n),
        "fine": cents / nfine if nfine else float("nan"),
    }


def best_offset(estimates, refs, ref_hop):
    """The global offset with the smallest pooled fine error for one method and channel."""

    def fine(offset):
        pairs = zip(estimates, refs, strict=True)
        total = sum(frame_counts(*est, ref, ref_hop, offset) for est, ref in pairs)
        return score(total)["fine"]

    values = [fine(o) for o in OFFSETS]
    return float(OFFSETS[int(np.nanargmin(values))])


# ----------------------------------------------------------------------------- main


def _pin_one_core():
    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
        return True
    except (AttributeError, OSError):
        return False


def _timed(fn, y, sr, repeats):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn(y, sr)
        best = min(best, time.perf_counter() - start)
    return result, best


def run_all(meths, utterances, channels, ref_hop, *, speed_channel="narrow"):
    """{(method, channel, group): scores}, {method: x real time}, {(method, channel): offset}.

    ``utterances``: [(stem, group, y, sr, ref)]; groups are scored apart and pooled as "all".
    """
    results, speed, offsets = {}, {}, {}
    audio = {c: [channel(c, y, sr) for _, _, y, sr, _ in utterances] for c in channels}
    refs = [u[4] for u in utterances]
    groups = [u[1] for u in utterances]
    for mname, fn in meths.items():
        fn(*audio[channels[0]][0])  # warm up (numba compiles, models load) before timing
        for c in channels:
            estimates, busy, seconds = [], 0.0, 0.0
            repeats = 1
            for i, (y, sr) in enumerate(audio[c]):
                est, took = _timed(fn, y, sr, repeats)
                if i == 0 and took < len(y) / sr / 100:
                    repeats = 3  # fast: best of 3 from here on
                    est, took = _timed(fn, y, sr, repeats)
                estimates.append(est)
                busy += took
                seconds += len(y) / sr
            if c == speed_channel:
                speed[mname] = seconds / busy
            offset = best_offset(estimates, refs, ref_hop)
            offsets[mname, c] = offset
            pairs = zip(estimates, refs, strict=True)
            counts = [frame_counts(*e, r, ref_hop, offset) for e, r in pairs]
            for g in sorted(set(groups)) + ["all"]:
                total = sum(k for k, gg in zip(counts, groups, strict=True) if g in ("all", gg))
                results[mname, c, g] = score(total)
        print(f"  ran {mname}", file=sys.stderr, flush=True)
    return results, speed, offsets


def print_table(title, results, offsets, meths, channels, groups, speed=None):
    print(title)
    head = (
        f"{'method':<13} {'channel':<10} {'group':<7} {'GPE%':>6} {'V->UV%':>7} {'UV->V%':>7} "
        f"{'FFE%':>6} {'fine c':>7} {'offset ms':>9}"
    )
    print(head)
    print("-" * len(head))
    for c in channels:
        for m in meths:
            for g in groups:
                s = results[m, c, g]
                print(
                    f"{m:<13} {c:<10} {g:<7} {s['gpe']:6.2f} {s['v2u']:7.2f} {s['u2v']:7.2f} "
                    f"{s['ffe']:6.2f} {s['fine']:7.1f} {1000 * offsets[m, c]:9.1f}"
                )
        print()
    if speed:
        print("speed, x real time, 8 kHz audio (narrow), one thread:")
        print("  " + ", ".join(f"{m} {v:.0f}" for m, v in speed.items()))
        print()


def goal_lines(results, speed, meths):
    """[(label, measured, passed)] for the goals of issue 13."""
    lines = []
    anchors = [m for m in meths if m not in _own_names()]
    for g in SPEAKERS.values():
        for c in TELEPHONE:
            s = results[OURS, c, g]
            lines.append((f"{g} {c}: GPE <= 0.5 %", s["gpe"], s["gpe"] <= 0.5))
            lines.append((f"{g} {c}: V->UV <= 5 %", s["v2u"], s["v2u"] <= 5.0))
            lines.append((f"{g} {c}: UV->V <= 5 %", s["u2v"], s["u2v"] <= 5.0))
            best = min(anchors, key=lambda m, c=c, g=g: results[m, c, g]["ffe"])
            limit = results[best, c, g]["ffe"]
            lines.append((f"{g} {c}: FFE < {best}'s {limit:.2f} %", s["ffe"], s["ffe"] < limit))
        if "SwiftF0" in meths:
            ours, swift = results[OURS, "wide", g], results["SwiftF0", "wide", g]
            for key, label in (("gpe", "GPE"), ("v2u", "V->UV"), ("ffe", "FFE")):
                lines.append(
                    (
                        f"{g} wide: {label} <= SwiftF0's {swift[key]:.2f} %",
                        ours[key],
                        ours[key] <= swift[key],
                    )
                )
    lines.append(("speed >= 500x real time (8 kHz)", speed[OURS], speed[OURS] >= 500))
    if "SwiftF0" in speed:
        ratio = speed[OURS] / speed["SwiftF0"]
        lines.append(("speed >= 3x SwiftF0's", ratio, ratio >= 3))
    return lines


def main():
    quick = "--quick" in sys.argv
    if not FDA.is_dir():
        sys.exit(f"{FDA} is absent: the shared data must sit beside this checkout")
    pinned = _pin_one_core()
    warnings.filterwarnings("ignore")
    meths = methods()
    fda = load_fda(limit=6 if quick else None)
    synth = []
    for snr in (20, 10):
        y, sr, ref = synthetic(snr_db=snr, seed=snr, seconds=8.0 if quick else 20.0)
        synth.append((f"synth{snr}", f"{snr}dB", y, sr, ref))
    print(
        f"speechtext pitch bench: {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}, "
        f"load average {os.getloadavg()[0]:.2f}, pinned to one core: {pinned}, "
        f"FDA utterances: {len(fda)}, fmin {FMIN:g} / fmax {FMAX:g} Hz, "
        f"speechtext's default method: {_default_method()}"
    )
    results, speed, offsets = run_all(meths, fda, CHANNELS, FDA_HOP)
    print_table(
        "FDA (laryngograph reference), per speaker and pooled",
        results,
        offsets,
        meths,
        CHANNELS,
        list(SPEAKERS.values()) + ["all"],
        speed,
    )
    s_results, _, s_offsets = run_all(meths, synth, ("wide", "narrow"), HOP)
    print_table(
        "synthetic set (exact F0; glottal pulses, formants, noise), 20 and 10 dB SNR",
        s_results,
        s_offsets,
        meths,
        ("wide", "narrow"),
        ["20dB", "10dB"],
    )
    print("(librosa yin has no voicing decision: every frame is voiced)")
    print("(offset: the best global time offset for that method and channel, over that set)")
    print(f"(load average at the end: {os.getloadavg()[0]:.2f}; speed needs a quiet machine)")
    print()
    print(f"goals (issue 13), {OURS}, per FDA speaker:")
    lines = goal_lines(results, speed, meths)
    for label, value, passed in lines:
        print(f"  {label:<44} {value:8.2f}  {'PASS' if passed else 'FAIL'}")
    print(f"{sum(p for *_, p in lines)} of {len(lines)} goals PASS")


if __name__ == "__main__":
    main()
