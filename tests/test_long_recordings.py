"""Long recordings through `speechtext run telephone`: the telephone channel and pitch stream
by blocks, so a worker's memory stays bounded whatever a file's length (the bench runs an hour
of 48 kHz audio; here ten minutes, against two minutes' run as the baseline)."""

import numpy as np
import soundfile as sf
from clitools import peak_rss_mb

SR = 48000


def write_tone(path, seconds):
    """A gliding harmonic tone with noise, written block by block (never held whole)."""
    rng = np.random.default_rng(0)
    with sf.SoundFile(path, "w", SR, 1, subtype="PCM_16") as f:
        for start in range(0, int(seconds), 10):
            t = start + np.arange(10 * SR) / SR
            f0 = 120 + 40 * np.sin(2 * np.pi * t / 7)
            phase = 2 * np.pi * np.cumsum(f0) / SR
            y = sum(np.sin(h * phase) / h for h in range(1, 8)) * 0.2
            f.write(y + rng.standard_normal(len(t)) * 0.01)


def peaks(tmp_path, spec):
    """Peak memory of `speechtext run SPEC` over two minutes and over ten minutes of audio."""
    for name, seconds in (("short", 120), ("long", 600)):
        (tmp_path / name).mkdir()
        write_tone(tmp_path / name / "call.wav", seconds)
    return tuple(
        peak_rss_mb("run", spec, tmp_path / name, "-o", tmp_path / f"out-{name}")
        for name in ("short", "long")
    )


def test_ten_minutes_of_48khz_audio_in_bounded_memory(tmp_path):
    base, peak = peaks(tmp_path, "telephone")
    # held whole, ten minutes would take 230 MB more than two (float64 at 48 kHz); the
    # telephone audio made and kept, 15 MB (float32 at 8 kHz); the pitch candidates are 5 MB
    # the growth is the test: the process's own size (interpreter, numba, libraries) differs
    # between environments by tens of MB (bench/pipeline.py reports the hour's absolute peak)
    assert peak - base < 20, (base, peak)
    info = sf.info(tmp_path / "out-long" / "call.wav")
    assert info.samplerate == 8000 and abs(info.duration - 600) < 0.01
    rows = (tmp_path / "out-long" / "call.f0.csv").read_text().splitlines()
    assert abs(len(rows) - 1 - 60000) < 10  # one F0 frame per 10 ms


def test_the_telephone_channel_alone_keeps_nothing_of_a_long_file(tmp_path):
    # the channel's blocks go to the WAV one at a time: ten minutes cost what two cost
    # (made and kept, its 8 kHz audio would be 15 MB more)
    spec = tmp_path / "line.toml"
    spec.write_text('[[stage]]\nname = "telephone"\npreset = "g712"\n')
    base, peak = peaks(tmp_path, spec)
    assert peak - base < 6, (base, peak)
    assert abs(sf.info(tmp_path / "out-long" / "call.wav").duration - 600) < 0.01
