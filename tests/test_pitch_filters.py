"""The pitch stage's own Butterworth design, IIR filter and KDE mode against scipy's (which it
does not import: scipy.signal and scipy.stats cost a worker 1-1.5 s and about 75 MB)."""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from speechtext.pitch import _kde_mode
from speechtext.pitch.filters import butter_sos, sosfilt

signal = pytest.importorskip("scipy.signal")


@pytest.mark.parametrize("fs", [8000.0, 11025.0, 16000.0, 44100.0])
@pytest.mark.parametrize("order", [2, 4, 8])
@pytest.mark.parametrize("btype", ["lowpass", "highpass"])
def test_butter_sos_is_scipys(fs, order, btype):
    for cutoff in (30.0, 250.0, 1000.0, 2000.0, 0.45 * fs):
        ours = butter_sos(order, cutoff, btype, fs=fs)
        theirs = signal.butter(order, cutoff, btype, fs=fs, output="sos")
        np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=0)


def test_butter_sos_refuses_what_it_does_not_design():
    with pytest.raises(ValueError, match="even orders"):
        butter_sos(3, 1000.0, "lowpass", fs=8000.0)
    with pytest.raises(ValueError, match="btype"):
        butter_sos(4, 1000.0, "bandpass", fs=8000.0)
    with pytest.raises(ValueError, match="fs/2"):
        butter_sos(4, 4000.0, "lowpass", fs=8000.0)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 3000),  # (scipy refuses an empty signal)
    split=st.integers(0, 3000),
    seed=st.integers(0, 2**31),
    cutoff=st.floats(100.0, 3500.0),
)
def test_sosfilt_is_scipys_bit_for_bit_in_blocks(n, split, seed, cutoff):
    """Two blocks with the state carried between them give scipy's result on the whole, byte
    for byte; the input and the state passed in are left as they were."""
    sos = signal.butter(4, cutoff, "lowpass", fs=8000.0, output="sos")
    x = np.random.default_rng(seed).standard_normal(n).astype(np.float32)
    zi = np.zeros((len(sos), 2))
    whole, whole_state = signal.sosfilt(sos, x, zi=zi)
    split = min(split, n)
    first, state = sosfilt(sos, x[:split], zi)
    second, state = sosfilt(sos, x[split:], state)
    assert np.array_equal(np.concatenate([first, second]), whole)
    assert np.array_equal(state, whole_state)
    assert not zi.any()


def test_kde_mode_is_scipys_peak():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(1)
    for n in (2, 7, 300, 4096, 4097, 50000):  # (over 4096: binned)
        logf = np.log(np.concatenate([rng.normal(120, 15, n), rng.normal(210, 25, n // 3)]))
        logf = logf[np.isfinite(logf)]
        factor = len(logf) ** (-1 / 5)
        if len(logf) > 4096:
            counts, edges = np.histogram(logf, bins=2048)
            keep = counts > 0
            centres = 0.5 * (edges[1:] + edges[:-1])
            kde = stats.gaussian_kde(centres[keep], bw_method=factor, weights=counts[keep])
        else:
            kde = stats.gaussian_kde(logf, bw_method=factor)
        grid = np.linspace(logf.min(), logf.max(), 512)
        assert _kde_mode(logf) == float(np.exp(grid[np.argmax(kde(grid))]))


def test_the_pitch_of_a_file_loads_neither_scipy_signal_nor_stats(tmp_path):
    import soundfile as sf

    y = np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 0.1
    sf.write(tmp_path / "a.wav", y, 16000)
    code = (
        "import sys; from speechtext.cli import main\n"
        f"status = main(['pitch', {str(tmp_path / 'a.wav')!r}, '-o', {str(tmp_path / 'f0')!r}])\n"
        "print(sorted(m for m in sys.modules if m.startswith(('scipy.signal', 'scipy.stats'))))\n"
        "sys.exit(status)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[-2] == "[]"
