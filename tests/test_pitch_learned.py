"""The learned pitch method: shipped weights, known-F0 sweeps through telephone channels,
streaming, range checks and the CLI."""

from importlib import resources

import numpy as np
import pytest
import soundfile as sf

from speechtext import ParameterError, estimate_f0
from speechtext.cli import main
from speechtext.io import read_audio
from speechtext.io.f0 import read_f0_csv, read_summary_json
from speechtext.pitch import estimate_f0_blocks, estimate_f0_file, learned, network_inputs
from speechtext.telephone import to_telephone


def test_the_shipped_weights_load_and_fit_the_network_inputs():
    size = (resources.files("speechtext.pitch") / learned.MODEL_FILE).stat().st_size
    assert size < 3_000_000  # package data of a few MB at most
    model = learned.load_model()
    inputs = network_inputs(np.random.default_rng(0).standard_normal(8000), sr=8000)
    assert model["mean"].shape == (inputs.shape[1],)
    posterior = learned.posteriors(inputs, model)
    assert posterior.shape == (len(inputs), learned.N_BINS + 1)
    assert np.allclose(posterior.sum(axis=1), 1.0, atol=1e-4)


def test_candidates_sit_at_the_posterior_peaks_inside_the_range():
    freqs = learned.bin_frequencies()
    posterior = np.zeros((2, learned.N_BINS + 1), np.float32)
    i, j = np.searchsorted(freqs, 100.0), np.searchsorted(freqs, 200.0)
    posterior[0, i], posterior[0, j] = 0.7, 0.3
    posterior[1, j] = 1.0
    lag, cost = learned.candidates(posterior, k=4, fmin=50, fmax=150, wsr=8000, tmax=161)
    assert lag[0, 0] == pytest.approx(8000 / freqs[i], rel=1e-4)
    assert cost[0, 0] == pytest.approx(0.3, abs=1e-5)
    assert np.isinf(cost[0, 1:]).all()  # 200 Hz lies outside fmax = 150
    assert np.isinf(cost[1]).all()


def sweep(lo, hi, *, sr=16000, seconds=3.0):
    """A harmonic tone gliding log-linearly lo -> hi Hz, and its F0 at 10 ms frames."""
    t = np.arange(int(sr * seconds)) / sr
    f = lo * (hi / lo) ** (t / seconds)
    phase = 2 * np.pi * np.cumsum(f) / sr
    y = sum(np.sin(h * phase) / h * (h * f < 3800) for h in range(1, 80))
    frames = np.arange(int(seconds / 0.01) + 1) * 0.01
    return 0.1 * y, sr, lo * (hi / lo) ** (np.minimum(frames, seconds) / seconds)


@pytest.mark.parametrize("preset", ["g712", "narrow"])
def test_a_known_sweep_through_the_telephone_band_is_tracked(preset):
    y, sr, truth = sweep(70.0, 400.0)
    track = estimate_f0(to_telephone(y, sr=sr, preset=preset), sr=8000, method="learned")
    inner = slice(5, len(track) - 5)
    assert track.voiced[inner].mean() > 0.97
    ratio = track.f0[inner][track.voiced[inner]] / truth[inner][track.voiced[inner]]
    assert np.mean(np.abs(ratio - 1) < 0.03) > 0.97  # within 3 %, no octave errors


def test_blocks_give_the_whole_file_result_exactly(ptdb_dir):
    path = ptdb_dir / "mic_M01_sa1.wav"
    y, sr = read_audio(path)
    whole = estimate_f0(y, sr=sr, method="learned")
    blocked, _ = estimate_f0_file(path, block_seconds=0.37, method="learned")
    streamed = estimate_f0_blocks(
        (y[i : i + 5000] for i in range(0, len(y), 5000)), sr=sr, method="learned"
    )
    for track in (blocked, streamed):  # to float32 rounding: BLAS's order may follow the batch
        assert np.array_equal(track.times, whole.times)
        assert np.array_equal(track.voiced, whole.voiced)
        np.testing.assert_allclose(track.f0, whole.f0, rtol=1e-6, atol=0)
        np.testing.assert_allclose(track.confidence, whole.confidence, rtol=1e-6, atol=1e-9)


def test_a_range_beyond_the_network_names_the_method_that_covers_it():
    with pytest.raises(ParameterError, match="method='cmndf'"):
        estimate_f0(np.zeros(16000), sr=16000, fmax=900, method="learned")
    with pytest.raises(ParameterError, match="fmin >= 45"):
        estimate_f0(np.zeros(16000), sr=16000, fmin=30, method="learned")
    track = estimate_f0(np.zeros(16000), sr=16000, fmax=900, method="cmndf")
    assert not track.voiced.any()


def test_cli_method_learned_names_the_method_in_the_summary(tmp_path):
    y, sr, _ = sweep(150.0, 160.0, seconds=1.0)
    src = tmp_path / "in"
    src.mkdir()
    sf.write(src / "tone.wav", to_telephone(y, sr=sr, preset="g712"), 8000)
    out = tmp_path / "out"
    assert main(["pitch", str(src), "-o", str(out), "--method", "learned", "--workers", "1"]) == 0
    summary = read_summary_json(out / "tone.summary.json")
    assert summary["method"] == "learned"
    assert summary["median"] == pytest.approx(155.0, rel=0.03)
    assert read_f0_csv(out / "tone.f0.csv").voiced.mean() > 0.9
