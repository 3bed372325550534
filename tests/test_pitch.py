"""Pitch stage: accuracy on PTDB-TUG (wideband and telephone), formats, summary, CLI, bad input."""

import csv
import json
import warnings

import numpy as np
import pytest
import soundfile as sf
from clitools import peak_rss_mb, run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from speechtext import F0Track, ParameterError, estimate_f0, summarize
from speechtext.cli import main
from speechtext.io import read_audio
from speechtext.io.f0 import (
    F0_HEADER,
    read_f0_csv,
    read_summary_csv,
    read_summary_json,
    write_f0_csv,
)
from speechtext.pitch import estimate_f0_file
from speechtext.telephone import to_telephone

# PTDB-TUG's reference frame k lines up with our frame k + 2 (20 ms later): measured by the
# smallest fine error over offsets -4..4 on both speakers (test_reference_alignment_is_two_frames).
REF_OFFSET = 2

# The targets plus a small margin (a frame or two of 200), so that a change that keeps
# the targets does not fail on one frame: (max gross %, max voiced-to-unvoiced %).
TARGETS = {
    ("M01", "wide"): (1.5 + 0.5, None),
    ("F01", "wide"): (1.5 + 0.5, None),
    ("M01", "narrow"): (2.0 + 0.5, 10.0 + 1.0),
    ("F01", "narrow"): (2.0 + 0.5, 8.0 + 1.0),
}
MAX_U2V = 10.0 + 1.0


def scores(track, ref, offset=REF_OFFSET):
    """gross %, voiced-to-unvoiced %, unvoiced-to-voiced %, mean |cents| without gross errors."""
    k = np.arange(len(ref))
    j = k + offset
    ok = (j >= 0) & (j < len(track))
    r, f, v = ref[ok], track.f0[j[ok]], track.voiced[j[ok]]
    both = (r > 0) & v
    rel = np.abs(f[both] / r[both] - 1)
    fine = np.abs(1200 * np.log2(f[both][rel <= 0.2] / r[both][rel <= 0.2]))
    return {
        "gross": 100 * np.mean(rel > 0.2),
        "v2u": 100 * np.mean(~v[r > 0]),
        "u2v": 100 * np.mean(v[r == 0]),
        "fine": float(np.mean(fine)),
    }


@pytest.fixture(scope="module")
def ptdb(ptdb_dir):
    """{(speaker, condition): (audio, sr, reference F0 with 0 = unvoiced)}."""
    import soxr

    out = {}
    for spk in ("M01", "F01"):
        y, sr = read_audio(ptdb_dir / f"mic_{spk}_sa1.wav")
        table = np.loadtxt(ptdb_dir / f"ref_{spk}_sa1.f0")
        ref = np.where(table[:, 1] > 0, table[:, 0], 0.0)
        out[spk, "wide"] = (soxr.resample(y, sr, 16000), 16000, ref)
        out[spk, "narrow"] = (to_telephone(y, sr=sr, preset="narrow"), 8000, ref)
    return out


@pytest.fixture(scope="module")
def tracks(ptdb):
    return {key: estimate_f0(y, sr=sr) for key, (y, sr, _) in ptdb.items()}


@pytest.mark.parametrize("key", list(TARGETS), ids=lambda k: " ".join(k))
def test_ptdb_meets_the_targets_on_wideband_and_telephone_audio(key, ptdb, tracks):
    s = scores(tracks[key], ptdb[key][2])
    max_gross, max_v2u = TARGETS[key]
    assert s["gross"] <= max_gross, s
    if max_v2u is not None:
        assert s["v2u"] <= max_v2u, s
    assert s["u2v"] <= MAX_U2V, s  # calling everything voiced is no answer
    assert s["fine"] < 40, s  # cents, over the frames without gross error


def test_reference_alignment_is_two_frames(ptdb, tracks):
    for spk in ("M01", "F01"):
        key = (spk, "wide")
        fine = {d: scores(tracks[key], ptdb[key][2], offset=d)["fine"] for d in range(-4, 5)}
        assert min(fine, key=fine.get) == REF_OFFSET, fine


def test_registers_of_the_two_speakers(tracks):
    assert summarize(tracks["M01", "narrow"])["register"] == "low"
    assert summarize(tracks["F01", "narrow"])["register"] == "high"


def test_track_layout(tracks, ptdb):
    track = tracks["M01", "wide"]
    y, sr, _ = ptdb["M01", "wide"]
    assert track.times[0] == 0.0
    assert np.allclose(np.diff(track.times), 0.010)
    assert track.times[-1] <= len(y) / sr < track.times[-1] + 0.010
    assert np.all(track.f0[~track.voiced] == 0)
    assert np.all((track.f0[track.voiced] >= 50) & (track.f0[track.voiced] <= 550))
    assert np.all((track.confidence >= 0) & (track.confidence <= 1))
    # voiced frames are the confident ones
    assert track.confidence[track.voiced].mean() > track.confidence[~track.voiced].mean() + 0.3


@pytest.mark.parametrize("method", ["cmndf", "default"])
def test_blocks_give_the_whole_file_result(ptdb_dir, method):
    """cmndf bit for bit; the learned default to float32 rounding (on AVX2, OpenBLAS's
    summation order depends on the batch of frames)."""
    path = ptdb_dir / "mic_F01_sa1.wav"
    y, sr = read_audio(path)
    whole = estimate_f0(y, sr=sr, method=method)
    for seconds in (0.37, 2.0):  # blocks that cut frames, and a frame-aligned size
        blocked, duration = estimate_f0_file(path, block_seconds=seconds, method=method)
        assert duration == pytest.approx(len(y) / sr)
        assert np.array_equal(blocked.times, whole.times)
        assert np.array_equal(blocked.voiced, whole.voiced)
        if method == "cmndf":
            assert np.array_equal(blocked.f0, whole.f0)
            assert np.array_equal(blocked.confidence, whole.confidence)
        else:
            np.testing.assert_allclose(blocked.f0, whole.f0, rtol=1e-6, atol=0)
            np.testing.assert_allclose(blocked.confidence, whole.confidence, rtol=1e-6, atol=1e-9)


def harmonic_tone(f0, *, sr=16000, seconds=1.0):
    t = np.arange(int(sr * seconds)) / sr
    return sum(np.sin(2 * np.pi * f0 * h * t) / h for h in range(1, int(3800 / f0))) * 0.1


@pytest.mark.parametrize("f0", [90.0, 130.0, 220.0])
def test_missing_fundamental_through_the_telephone_band(f0):
    y8k = to_telephone(harmonic_tone(f0), sr=16000, preset="narrow")
    track = estimate_f0(y8k, sr=8000)
    inner = track.voiced[5:-5]
    assert inner.all()
    assert np.median(track.f0[5:-5]) == pytest.approx(f0, rel=0.01)


# ----------------------------------------------------------------------------- formats


def test_f0_csv_round_trip_and_format(tmp_path, tracks):
    track = tracks["F01", "narrow"]
    path = tmp_path / "x.f0.csv"
    write_f0_csv(path, track)
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == F0_HEADER
    assert len(rows) == len(track) + 1
    assert rows[1][0] == "0.0000" and rows[2][0] == "0.0100"
    assert {r[2] for r in rows[1:]} == {"0", "1"}
    assert all(float(r[1]) == 0 for r in rows[1:] if r[2] == "0")
    back = read_f0_csv(path)
    assert np.allclose(back.times, track.times)
    assert np.allclose(back.f0, track.f0, atol=0.005)
    assert np.array_equal(back.voiced, track.voiced)
    assert np.allclose(back.confidence, track.confidence, atol=0.0005)


def test_read_f0_csv_names_file_and_line(tmp_path):
    from speechtext.errors import FormatError

    path = tmp_path / "bad.f0.csv"
    path.write_text("time,f0,voiced,confidence\n0.00,0,0,0.1\n0.01,abc,1,0.5\n")
    with pytest.raises(FormatError, match=r"bad\.f0\.csv:3"):
        read_f0_csv(path)
    path.write_text("t,f\n")
    with pytest.raises(FormatError, match=r":1: expected the header"):
        read_f0_csv(path)


# ----------------------------------------------------------------------------- summary


def make_track(f0):
    f0 = np.asarray(f0, float)
    n = len(f0)
    return F0Track(np.arange(n) * 0.01, f0, f0 > 0, np.where(f0 > 0, 0.9, 0.1), 0.01)


def test_summary_figures():
    rng = np.random.default_rng(0)
    f0 = np.concatenate([np.zeros(100), 120 * np.exp(rng.normal(0, 0.05, 300))])
    s = summarize(make_track(f0))
    voiced = f0[f0 > 0]
    assert s["frames"] == 400 and s["voiced_fraction"] == 0.75
    assert s["median"] == pytest.approx(np.median(voiced))
    assert s["p5"] == pytest.approx(np.percentile(voiced, 5))
    assert s["p95"] == pytest.approx(np.percentile(voiced, 95))
    assert s["mode"] == pytest.approx(120, rel=0.03)  # peak of the log-F0 density
    assert s["register"] == "low"


@pytest.mark.parametrize(
    ("median", "register"),
    [(100, "low"), (170, "ambiguous"), (200, "high"), (60, "out-of-range"), (300, "out-of-range")],
)
def test_summary_register(median, register):
    assert summarize(make_track(np.full(50, float(median))))["register"] == register


def test_summary_of_an_unvoiced_or_empty_track():
    # an empty track comes from audio shorter than one analysis window: "too-short" (issue 12)
    for track, register in ((make_track(np.zeros(30)), "unvoiced"), (F0Track.empty(), "too-short")):
        s = summarize(track)
        assert s["register"] == register and s["voiced_fraction"] == 0.0
        assert s["median"] is None and s["mode"] is None


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(min_value=40, max_value=900), min_size=1, max_size=60),
    st.integers(min_value=0, max_value=20),
)
def test_summary_properties(voiced, n_unvoiced):
    s = summarize(make_track(np.concatenate([voiced, np.zeros(n_unvoiced)])))
    assert min(voiced) - 1e-9 <= s["p5"] <= s["median"] <= s["p95"] <= max(voiced) + 1e-9
    assert min(voiced) * (1 - 1e-9) <= s["mode"] <= max(voiced) * (1 + 1e-9)
    assert s["voiced_fraction"] == pytest.approx(len(voiced) / (len(voiced) + n_unvoiced))
    m = s["median"]
    low, high = 85 <= m <= 180, 165 <= m <= 255
    expected = "ambiguous" if low and high else "low" if low else "high" if high else "out-of-range"
    assert s["register"] == expected


# ----------------------------------------------------------------------------- bad input


def quiet_run(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kwargs)


@pytest.mark.parametrize("kind", ["silence", "white", "pink", "telephone noise", "dc"])
def test_silence_and_noise_are_unvoiced_without_warnings_or_nan(kind):
    rng = np.random.default_rng(1)
    sr = 16000
    if kind == "silence":
        y = np.zeros(2 * sr)
    elif kind == "dc":
        y = np.full(2 * sr, 0.3)
    elif kind == "pink":
        spec = np.fft.rfft(rng.standard_normal(2 * sr)) / np.sqrt(np.arange(1, sr + 2))
        y = np.fft.irfft(spec, 2 * sr)
        y *= 0.3 / np.abs(y).max()
    else:
        y = 0.1 * rng.standard_normal(2 * sr)
    if kind == "telephone noise":
        y, sr = to_telephone(y, sr=sr, preset="narrow"), 8000
    track = quiet_run(estimate_f0, y.astype(np.float32), sr=sr)
    assert len(track) == 201
    if kind == "pink":
        # 1/f noise has most of its power where voices have theirs and a flat level, so a few
        # short runs pass as voiced (3 % of frames on average over 12 seeds, 9 % at worst)
        assert track.voiced.mean() <= 0.10
    else:
        assert not track.voiced.any()
    assert np.all(track.f0[~track.voiced] == 0)
    assert np.isfinite(track.f0).all() and np.isfinite(track.confidence).all()


def test_mains_hum_in_the_pauses_is_not_voice():
    sr = 16000
    t = np.arange(3 * sr) / sr
    hum = 0.004 * sum(a * np.sin(2 * np.pi * 60 * h * t) for h, a in ((1, 1), (2, 0.5), (3, 0.3)))
    voice = np.where((t >= 1) & (t < 2), harmonic_tone(150.0, seconds=3.0), 0.0)
    track = estimate_f0((voice + hum).astype(np.float32), sr=sr)
    pause = (track.times < 0.95) | (track.times > 2.05)
    speech = (track.times > 1.05) & (track.times < 1.95)
    assert not track.voiced[pause].any()
    assert track.voiced[speech].all()
    assert np.median(track.f0[speech]) == pytest.approx(150, rel=0.01)


def test_input_shorter_than_one_frame_gives_an_empty_track_with_header(tmp_path):
    with pytest.warns(UserWarning, match="shorter than one pitch analysis window"):
        track = estimate_f0(np.zeros(100, np.float32), sr=16000)
    assert len(track) == 0 and track.f0.shape == (0,)
    write_f0_csv(tmp_path / "e.f0.csv", track)
    assert (tmp_path / "e.f0.csv").read_text() == "time,f0,voiced,confidence\n"
    assert len(read_f0_csv(tmp_path / "e.f0.csv")) == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fmin": 300.0, "fmax": 200.0}, "must be below fmax"),
        ({"fmin": 200.0, "fmax": 200.0}, "must be below fmax"),
        ({"fmin": 0.0}, "must be above 0"),
        ({"fmin": -5.0}, "must be above 0"),
        ({"fmax": 5000.0}, "cannot exceed the Nyquist frequency 4000"),
        ({"hop": 0.0}, "hop"),
    ],
)
def test_bad_parameters_raise_a_parameter_error_that_says_what_works(kwargs, message):
    with pytest.raises(ParameterError, match=message) as err:
        estimate_f0(np.zeros(8000, np.float32), sr=8000, **kwargs)
    assert isinstance(err.value, ValueError)
    if "fmax" in kwargs and kwargs.get("fmin") is None:
        assert "use fmax <= 4000" in str(err.value)


# ----------------------------------------------------------------------------- CLI


def test_cli_end_to_end_with_plot_resume_and_a_bad_file(tmp_path, ptdb_dir):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    y, sr = read_audio(ptdb_dir / "mic_M01_sa1.wav")
    sf.write(src / "male.wav", y[: sr * 3], sr)
    sf.write(src / "sub" / "tel.wav", to_telephone(y, sr=sr, preset="g712"), 8000)
    sf.write(src / "short.wav", np.zeros(50, np.float32), 16000)
    (src / "broken.wav").write_bytes(b"not a wav file at all")
    out = tmp_path / "out"

    assert main(["pitch", str(src), "-o", str(out), "--plot", "--workers", "1"]) == 1
    failures = [json.loads(x) for x in (out / "failures.jsonl").read_text().splitlines()]
    assert [f["source"].endswith("broken.wav") for f in failures] == [True]
    for stem in ("male", "sub/tel", "short"):
        assert (out / f"{stem}.f0.csv").exists() and (out / f"{stem}.summary.json").exists()
        assert (out / f"{stem}.f0.png").stat().st_size > 1000
    tel = read_f0_csv(out / "sub/tel.f0.csv")
    assert tel.voiced.mean() > 0.15
    assert (out / "short.f0.csv").read_text() == "time,f0,voiced,confidence\n"
    summary = read_summary_json(out / "sub/tel.summary.json")
    assert summary["register"] == "low" and summary["duration"] == pytest.approx(len(y) / sr)
    rows = read_summary_csv(out / "summary.csv")
    assert sorted(r["source"].rsplit("/", 1)[-1] for r in rows) == [
        "male.wav",
        "short.wav",
        "tel.wav",
    ]

    # a rerun skips the finished files and still lists them all in summary.csv
    before = (out / "male.f0.csv").stat().st_mtime_ns
    (src / "broken.wav").unlink()
    assert main(["pitch", str(src), "-o", str(out), "--workers", "1"]) == 0
    assert (out / "male.f0.csv").stat().st_mtime_ns == before
    assert len(read_summary_csv(out / "summary.csv")) == 3


def test_cli_options_reach_the_tracker(tmp_path):
    path = tmp_path / "tone.wav"
    sf.write(path, harmonic_tone(200.0, seconds=0.5), 16000)
    out = tmp_path / "out"
    assert main(["pitch", str(path), "-o", str(out), "--hop", "0.02", "--fmin", "60"]) == 0
    track = read_f0_csv(out / "tone.f0.csv")
    assert np.allclose(np.diff(track.times), 0.02)
    summary = read_summary_json(out / "tone.summary.json")
    assert (summary["hop"], summary["fmin"], summary["fmax"]) == (0.02, 60.0, 550.0)
    assert summary["median"] == pytest.approx(200, rel=0.01)


def test_cli_bad_range_is_an_error_message_not_a_traceback(tmp_path):
    path = tmp_path / "x.wav"
    sf.write(path, np.zeros(8000, np.float32), 8000)
    status, _, err = run_cli("pitch", path, "-o", tmp_path / "o", "--fmin", "400", "--fmax", "300")
    assert status == 1
    assert "--fmin 400 must be below --fmax 300" in err
    # fmax above a file's Nyquist frequency fails that file, with the reason
    status, _, err = run_cli("pitch", path, "-o", tmp_path / "o", "--fmax", "4500")
    assert status == 1
    assert "Nyquist" in err


def test_half_an_hour_is_tracked_in_bounded_memory(tmp_path):
    import os

    sr = 16000
    rng = np.random.default_rng(0)
    minute = harmonic_tone(140.0, sr=sr, seconds=60.0) + 0.01 * rng.standard_normal(60 * sr)
    block = (minute * 32767).astype(np.int16)
    hour = tmp_path / "half-hour.wav"
    with sf.SoundFile(hour, "w", samplerate=sr, channels=1, subtype="PCM_16") as f:
        for _ in range(30):
            f.write(block)
    short = tmp_path / "short.wav"
    sf.write(short, block[: 10 * sr], sr)
    base = peak_rss_mb("pitch", short, "-o", tmp_path / "o1")
    peak = peak_rss_mb("pitch", hour, "-o", tmp_path / "o2")
    # the samples alone would take 115 MB as float32; what grows is ~100 bytes per frame
    assert peak - base < 90, f"30 minutes take {peak - base:.0f} MB more than 10 s"
    track = read_f0_csv(tmp_path / "o2" / "half-hour.f0.csv")
    assert len(track) == 180001 and track.voiced.mean() > 0.99
    os.unlink(hour)


# ----------------------------------------------------------------------------- librosa methods


def _buzz(f0=140.0, seconds=1.0, sr=16000):
    t = np.arange(int(seconds * sr)) / sr
    y = sum(np.sin(2 * np.pi * f0 * h * t) / h for h in range(1, 20))
    y[: sr // 4] = 0.0  # a quarter second of silence first
    return (0.3 * y / np.max(np.abs(y))).astype(np.float32), sr


@pytest.mark.parametrize("method", ["pyin", "yin"])
def test_librosa_methods_on_the_same_frame_grid(method):
    pytest.importorskip("librosa", reason="the pyin/yin methods need librosa")
    y, sr = _buzz()
    ours = estimate_f0(y, sr=sr)
    track = estimate_f0(y, sr=sr, method=method)
    assert len(track) == len(ours)
    assert np.array_equal(track.times, ours.times)
    sounding = track.times > 0.35
    assert np.median(track.f0[sounding & track.voiced]) == pytest.approx(140.0, rel=0.02)
    assert track.voiced[sounding].mean() > 0.9
    assert ((track.f0 > 0) == track.voiced).all()
    if method == "pyin":  # yin has no voicing decision: every frame is voiced
        assert not track.voiced[track.times < 0.2].any()


def test_an_unknown_method_says_which_exist():
    with pytest.raises(ParameterError, match="use one of default, learned, cmndf, pyin, yin"):
        estimate_f0(np.zeros(8000, np.float32), sr=8000, method="crepe")


def test_cli_method_pyin_writes_the_same_outputs_and_names_the_method(tmp_path):
    pytest.importorskip("librosa", reason="the pyin method needs librosa")
    y, sr = _buzz(f0=200.0)
    src = tmp_path / "in"
    src.mkdir()
    sf.write(src / "buzz.wav", to_telephone(y, sr=sr, preset="narrow"), 8000)
    out = tmp_path / "out"
    assert main(["pitch", str(src), "-o", str(out), "--method", "pyin", "--workers", "1"]) == 0
    summary = read_summary_json(out / "buzz.summary.json")
    assert summary["method"] == "pyin" and summary["register"] == "high"
    assert summary["median"] == pytest.approx(200.0, rel=0.02)
    assert read_f0_csv(out / "buzz.f0.csv").voiced.any()
    assert len(read_summary_csv(out / "summary.csv")) == 1


def test_plot_draws_the_contour_on_the_spectrogram_log_frequency_axis():
    pytest.importorskip("matplotlib", reason="plots need matplotlib")
    import matplotlib.pyplot as plt

    from speechtext.io.f0 import f0_figure

    y, sr = _buzz(f0=110.0)
    track = estimate_f0(y, sr=sr)
    fig = f0_figure(track, y, sr)
    try:
        (ax,) = fig.axes  # one frequency axis, no separate F0 axis
        assert ax.get_yscale() == "log"
        low, high = ax.get_ylim()
        assert low <= 50 and high == pytest.approx(4000)
        contour, marks = ax.get_lines()
        drawn = np.asarray(contour.get_ydata(), float)
        assert np.allclose(drawn[track.voiced], track.f0[track.voiced])
        assert np.isnan(drawn[~track.voiced]).all()  # gaps where unvoiced
        assert len(marks.get_xdata()) == track.voiced.sum()  # one mark per voiced frame
    finally:
        plt.close(fig)
