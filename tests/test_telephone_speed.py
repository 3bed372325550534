"""What the telephone stage's fast paths must keep: the same numbers and the same bytes as the
straightforward ways (bench/telephone.py measures the speed; these check the outputs)."""

import io
import math
import platform

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from speechtext.batch import keep_freed_memory
from speechtext.io.audio import AudioWriter, iter_blocks, read_audio
from speechtext.telephone import active_level
from speechtext.telephone.g711 import companded, companded_pcm16, g711_decode
from speechtext.telephone.level import HANGOVER, MARGIN_DB, THRESHOLDS, TIME_CONSTANT


def one_pole(x, g):
    """y[k] = g y[k-1] + (1 - g) x[k], sample by sample (the smoother as P.56 writes it)."""
    from scipy.signal import lfilter

    return lfilter([1 - g], [1, -g], x)


def level_from_per_sample_smoother(x, sr):
    """P.56 as active_level did it before: the first smoother run on every sample, then its
    1 ms means (the fast path takes those means straight from the rectified signal)."""
    g = math.exp(-1.0 / (sr * TIME_CONSTANT))
    step = max(1, int(sr // 1000))
    first = one_pole(np.abs(x), g)
    means = first[: len(x) // step * step].reshape(-1, step).mean(axis=1)
    envelope = one_pole(means, g**step)
    width = int(round(HANGOVER * sr / step)) + 1
    recent = np.array([envelope[max(0, k - width + 1) : k + 1].max() for k in range(len(envelope))])
    energy = float(np.sum(x**2))
    levels, diffs = [], []
    for c in THRESHOLDS:
        active = np.count_nonzero(recent >= c) * step
        if not active:
            break
        levels.append(10 * math.log10(energy / active))
        diffs.append(levels[-1] - 20 * math.log10(c))
    for j in range(1, len(diffs)):
        if diffs[j] <= MARGIN_DB:
            t = (diffs[j - 1] - MARGIN_DB) / (diffs[j - 1] - diffs[j])
            return levels[j - 1] + t * (levels[j] - levels[j - 1])
    return levels[-1] if diffs[-1] <= MARGIN_DB else levels[0]


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    seconds=st.floats(0.3, 3.0),
    sr=st.sampled_from([8000, 16000, 44100]),
    pause=st.floats(0.0, 0.6),
)
def test_p56_level_is_the_per_sample_smoothers(seed, seconds, sr, pause):
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    x = rng.standard_normal(n) * np.exp(rng.uniform(-6, 0))
    x[: int(pause * n)] *= 1e-3  # a quiet stretch, as between words
    level, _ = active_level(x, sr=sr)
    assert level == pytest.approx(level_from_per_sample_smoother(x, sr), abs=1e-9)
    # float32 samples give the level of their float64 values
    assert active_level(x.astype(np.float32), sr=sr)[0] == pytest.approx(
        active_level(x.astype(np.float32).astype(np.float64), sr=sr)[0], abs=1e-9
    )


def wav_bytes(samples, subtype):
    buffer = io.BytesIO()
    sf.write(buffer, samples, 8000, format="WAV", subtype=subtype)
    return buffer.getvalue()


@pytest.mark.parametrize(("law", "subtype"), [("ulaw", "ULAW"), ("alaw", "ALAW")])
def test_g711_wavs_from_16_bit_samples_are_those_from_floats(law, subtype):
    every = np.arange(-32768, 32768).astype(np.int16)
    floats = every / 32768.0
    pcm = companded_pcm16(floats, law)
    assert np.array_equal(pcm, companded(floats, law) * 32768)
    # every value G.711 decodes to: libsndfile codes the 16-bit sample as it codes the float
    decoded = g711_decode(np.arange(256, dtype=np.uint8), law)
    from_floats = wav_bytes(decoded / 32768.0, subtype)
    assert wav_bytes(decoded.astype(np.int16), subtype) == from_floats
    assert wav_bytes((decoded / 32768.0).astype(np.float32), subtype) == from_floats


@settings(max_examples=20, deadline=None)
@given(
    samples=st.lists(st.integers(-32768, 32767), min_size=1, max_size=3000),
    kind=st.sampled_from([("WAV", "wav"), ("FLAC", "flac")]),
)
def test_16_bit_files_read_as_libsndfile_reads_them_as_floats(tmp_path_factory, samples, kind):
    fmt, ext = kind
    path = tmp_path_factory.mktemp("pcm16") / f"x.{ext}"
    sf.write(path, np.array(samples, dtype=np.int16), 16000, format=fmt, subtype="PCM_16")
    reference, _ = sf.read(path, dtype="float32")
    y, sr = read_audio(path)
    assert y.dtype == np.float32 and np.array_equal(y, reference)
    assert np.array_equal(np.concatenate(list(iter_blocks(path, seconds=0.01))), reference)


@pytest.mark.parametrize("codec", [None, "ulaw"])
def test_a_wav_made_in_memory_is_the_one_written_to_disk(tmp_path, codec):
    y = (np.random.default_rng(0).standard_normal(9000) * 0.3).astype(np.float32)
    y[:3] = [1.5, -2.0, 1.0]  # clipped, and counted, either way
    made = {}
    for in_memory in (False, True):
        path = tmp_path / f"{in_memory}.wav"
        with AudioWriter(path, 8000, codec=codec, in_memory=in_memory) as writer:
            writer.write(y[:4000])
            writer.write(y[4000:])
        made[in_memory] = (path.read_bytes(), writer.clipped, writer.peak, writer.frames)
    assert made[True] == made[False]
    assert made[True][1] == np.count_nonzero(np.abs(y) > 1.0) >= 2
    assert not list(tmp_path.glob(".*"))  # no temporary file left


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_a_batch_process_keeps_freed_memory():
    assert keep_freed_memory()
