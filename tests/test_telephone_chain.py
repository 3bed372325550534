"""The phone line as a chain: G.712 against the STL and the TP3054A mask, P.56 level, noise at an
SNR, Gilbert-Elliott losses, the named channels, and seeds per file."""

import math

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from speechtext.telephone import (
    CHANNELS,
    active_level,
    channel_filter,
    telephone_call,
    telephone_file,
    to_telephone,
)
from speechtext.telephone.loss import gilbert_elliott


def tone(freq, sr, seconds=1.0, amp=0.5):
    t = np.arange(int(sr * seconds)) / sr
    return amp * np.sin(2 * np.pi * freq * t)


def gain_db(freq, sr, **kwargs):
    out = to_telephone(tone(freq, sr), sr=sr, **kwargs)[1000:-1000]
    return 10 * np.log10(np.mean(out**2) + 1e-30)


# The ITU-T STL's 8 kHz cascade-form G.712 filter (cascg712.c: two biquads and a gain, from
# Bellcore), as numerator and denominator of each section.
STL_G712 = [
    ([1.0, 1.97140840, 1.0], [1.0, 1.56814950, 0.690445310]),
    ([1.0, -1.99301310, 1.0], [1.0, -1.79704400, 0.830129300]),
]


def stl_response_db(freqs):
    z = np.exp(-2j * np.pi * np.asarray(freqs) / 8000)
    h = np.ones_like(z)
    for b, a in STL_G712:
        h *= np.polyval(b[::-1], z) / np.polyval(a[::-1], z)
    return 20 * np.log10(np.abs(h))


def fir_response_db(freqs, preset="g712"):
    taps = channel_filter(preset)
    rate = 16000 if preset == "wideband" else 8000
    z = np.exp(-2j * np.pi * np.outer(freqs, np.arange(len(taps))) / rate)
    return 20 * np.log10(np.abs(z @ taps))


def test_g712_is_within_half_a_db_of_the_stl_reference_from_300_to_3400_hz():
    freqs = np.arange(300.0, 3401.0, 10.0)
    ours = fir_response_db(freqs) - fir_response_db([1020.0])[0]
    stl = stl_response_db(freqs) - stl_response_db([1020.0])[0]
    assert np.max(np.abs(ours - stl)) <= 0.5


# TI TP3054A (SCTS026C), transmit filter gain relative to 1.02 kHz: (from Hz, to Hz, min, max)
TP3054A_MASK = [
    (16, 16, -np.inf, -40),
    (50, 50, -np.inf, -30),
    (60, 60, -np.inf, -26),
    (200, 200, -1.8, -0.1),
    (300, 3000, -0.15, 0.15),
    (3300, 3300, -0.35, 0.05),
    (3400, 3400, -0.8, 0.0),
    (4000, 4000, -np.inf, -14),
]


@pytest.mark.parametrize("sr", [48000, 16000, 8000])
def test_g712_channel_is_inside_the_tp3054a_transmit_mask(sr):
    ref = gain_db(1020, sr)
    for low, high, lo, hi in TP3054A_MASK:
        for f in np.linspace(low, min(high, 3999), 5 if high > low else 1):
            if f >= sr / 2:
                continue
            g = gain_db(f, sr) - ref if f < 3999 else fir_response_db([f])[0]
            assert lo - 0.02 <= g <= hi + 0.02, (f, round(g, 2), (lo, hi))


def test_wideband_passes_50_to_7000_hz_at_16_khz():
    freqs = np.array([50.0, 100, 1000, 4000, 7000, 7800])
    r = fir_response_db(freqs, "wideband") - fir_response_db([1020.0], "wideband")[0]
    assert r[0] == pytest.approx(-3, abs=0.5)
    assert np.all(np.abs(r[1:5]) <= 0.5)
    assert r[5] <= -20


# ------------------------------------------------------------------------- P.56 level


def test_p56_level_of_a_tone_and_of_speech_with_pauses(speech_dir):
    sine = tone(1000, 8000, seconds=4.0, amp=0.1)
    level, activity = active_level(sine, sr=8000)
    assert level == pytest.approx(20 * np.log10(0.1 / np.sqrt(2)), abs=0.1)  # -23.0 dBov
    y, sr = sf.read(sorted(speech_dir.glob("*.ogg"))[0])
    speech_level, _ = active_level(y, sr=sr)
    padded = np.concatenate([np.zeros(3 * sr), y, np.zeros(3 * sr)])
    padded_level, padded_activity = active_level(padded, sr=sr)
    # the active level ignores the pauses (within the hangover), the mean power does not
    assert padded_level == pytest.approx(speech_level, abs=0.3)
    rms_drop = 10 * np.log10(np.mean(y**2)) - 10 * np.log10(np.mean(padded**2))
    assert rms_drop > 1.5 and padded_activity < 0.7
    assert active_level(np.zeros(800), sr=8000) == (-math.inf, 0.0)


def sv56_level(x, sr):
    """P.56 method B sample by sample, as sv56 runs it (scipy's filters), for comparison."""
    from scipy.ndimage import maximum_filter1d
    from scipy.signal import lfilter

    g = np.exp(-1 / (0.03 * sr))
    envelope = lfilter([(1 - g) ** 2], [1, -2 * g, g * g], np.abs(x))
    hang = int(round(0.2 * sr))  # even: the centred window of hang + 1 shifts exactly
    padded = np.concatenate([np.zeros(hang), envelope])
    recent = maximum_filter1d(padded, size=hang + 1, mode="constant")[hang // 2 : -hang // 2]
    levels, diffs = [], []
    for c in 2.0 ** np.arange(-15, 1):
        active = np.count_nonzero(recent >= c)
        if not active:
            break
        levels.append(10 * np.log10(np.sum(x**2) / active))
        diffs.append(levels[-1] - 20 * np.log10(c))
    j = next(j for j in range(1, len(diffs)) if diffs[j] <= 15.9)
    t = (diffs[j - 1] - 15.9) / (diffs[j - 1] - diffs[j])
    return levels[j - 1] + t * (levels[j] - levels[j - 1])


@pytest.mark.parametrize("sr", [8000, 16000])
def test_p56_level_agrees_with_the_sample_by_sample_voltmeter(speech_dir, sr):
    import soxr

    for path in sorted(speech_dir.glob("*.ogg")):
        y, file_sr = sf.read(path)
        x = soxr.resample(y, file_sr, sr)
        x = x + 0.003 * np.random.default_rng(0).standard_normal(len(x))
        assert active_level(x, sr=sr)[0] == pytest.approx(sv56_level(x, sr), abs=0.002)
    assert active_level(np.full(3, 0.1), sr=sr)[0] == -math.inf  # shorter than 1 ms


def test_level_normalises_to_the_target_and_is_reported(speech_dir):
    y, sr = sf.read(sorted(speech_dir.glob("*.ogg"))[1])
    for target in (-26.0, -36.0):
        call = telephone_call(0.05 * y, sr=sr, level=target)
        assert active_level(call.audio, sr=8000)[0] == pytest.approx(target, abs=0.2)
        assert call.report["level"] == target
        assert call.report["gain_db"] == pytest.approx(target - call.report["level_in"], abs=0.01)


# ------------------------------------------------------------------------------ noise


@pytest.mark.parametrize("kind", ["white", "pink"])
def test_noise_is_mixed_at_the_snr_against_the_speech_level(speech_dir, kind):
    y, sr = sf.read(sorted(speech_dir.glob("*.ogg"))[0])
    from speechtext.telephone.noise import make_noise, mix_at_snr

    noise = make_noise(kind, len(y), sr=sr, rng=np.random.default_rng(1))
    mixed = mix_at_snr(y, noise, snr=10.0, sr=sr, babble=False)
    speech_level, _ = active_level(y, sr=sr)
    noise_level = 10 * np.log10(np.mean((mixed - y) ** 2))
    assert speech_level - noise_level == pytest.approx(10.0, abs=0.01)


def test_pink_noise_falls_3_db_per_octave():
    from speechtext.telephone.noise import make_noise

    x = make_noise("pink", 2**18, sr=8000, rng=np.random.default_rng(0))
    power = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / 8000)

    def band(lo):
        return 10 * np.log10(np.mean(power[(f >= lo) & (f < 2 * lo)]))

    assert band(200) - band(400) == pytest.approx(3.0, abs=0.5)
    assert band(400) - band(800) == pytest.approx(3.0, abs=0.5)


def test_babble_and_a_noise_folder(speech_dir, tmp_path):
    files = sorted(speech_dir.glob("*.ogg"))
    y, sr = sf.read(files[0])
    babble = to_telephone(y, sr=sr, noise="babble", snr=5, noise_pool=files[1:])
    assert abs(len(babble) - len(y) * 8000 / sr) <= 1
    folder = tmp_path / "noise"
    folder.mkdir()
    sf.write(folder / "hum.wav", 0.1 * tone(120, 16000, seconds=0.5), 16000)
    hummed = to_telephone(y, sr=sr, noise=folder, snr=0)
    clean = to_telephone(y, sr=sr)
    assert not np.allclose(hummed, clean)
    with pytest.raises(Exception, match="made of other recordings"):
        to_telephone(y, sr=sr, noise="babble", snr=5)


# ---------------------------------------------------------------------- packet losses


def test_gilbert_elliott_gives_the_loss_rate_and_the_mean_burst():
    lost = gilbert_elliott(400_000, loss=0.05, burst=2.0, rng=np.random.default_rng(3))
    assert lost.mean() == pytest.approx(0.05, abs=0.003)
    starts = np.flatnonzero(lost[1:] & ~lost[:-1])
    assert np.count_nonzero(lost) / len(starts) == pytest.approx(2.0, abs=0.1)


@settings(max_examples=20, deadline=None)
@given(
    loss=st.floats(0.0, 0.3),
    burst=st.floats(1.0, 4.0),
    seed=st.integers(0, 2**32),
    frames=st.integers(0, 300),
)
def test_gilbert_elliott_is_repeatable_from_its_seed(loss, burst, seed, frames):
    a = gilbert_elliott(frames, loss=loss, burst=burst, rng=np.random.default_rng(seed))
    b = gilbert_elliott(frames, loss=loss, burst=burst, rng=np.random.default_rng(seed))
    assert a.dtype == bool and len(a) == frames and np.array_equal(a, b)


def test_erased_packets_are_reported_with_their_times(speech_dir):
    y, sr = sf.read(sorted(speech_dir.glob("*.ogg"))[0])
    call = telephone_call(y, sr=sr, codec="ulaw", loss=0.1, burst=2.0, seed=4, key="a")
    erased = call.report["erased_packets"]
    assert erased and call.report["packet_ms"] == 20
    assert call.report["erased"][0] == [erased[0] * 0.02, (erased[0] + 1) * 0.02]
    assert 0.03 < len(erased) / (len(call.audio) / 160) < 0.2


# --------------------------------------------------------------- channels and seeds


@pytest.mark.parametrize("channel", sorted(CHANNELS))
def test_every_named_channel_runs_and_keeps_the_duration(speech_dir, channel):
    y, sr = sf.read(sorted(speech_dir.glob("*.ogg"))[2])
    call = telephone_call(y, sr=sr, channel=channel)
    assert call.sr == (16000 if channel == "hd-voice" else 8000)
    assert abs(len(call.audio) - len(y) * call.sr / sr) <= 1
    assert active_level(call.audio, sr=call.sr)[0] == pytest.approx(-26, abs=1.0)
    assert call.report["library"]


def test_settings_given_override_the_channels():
    call = telephone_call(np.zeros(8000), sr=8000, channel="voip-opus", loss=0.0, bitrate=24)
    assert call.report["bitrate"] == 24 and "erased" not in call.report
    assert (
        telephone_call(np.zeros(800), sr=8000, channel="mobile-amr", codec="g726").report["bitrate"]
        == 32
    )


def test_the_same_seed_and_file_give_the_same_output_and_others_differ(speech_dir):
    y, sr = sf.read(sorted(speech_dir.glob("*.ogg"))[0])
    kwargs = {"channel": "voip-opus", "loss": 0.1, "noise": "white", "snr": 20}
    a = to_telephone(y, sr=sr, seed=1, key="calls/a", **kwargs)
    assert np.array_equal(a, to_telephone(y, sr=sr, seed=1, key="calls/a", **kwargs))
    assert not np.array_equal(a, to_telephone(y, sr=sr, seed=2, key="calls/a", **kwargs))
    assert not np.array_equal(a, to_telephone(y, sr=sr, seed=1, key="calls/b", **kwargs))


def test_telephone_file_writes_the_call_report(speech_dir, tmp_path):
    import json

    source = sorted(speech_dir.glob("*.ogg"))[0]
    result = telephone_file(
        source, tmp_path / "a.wav", channel="voip-opus", report_path=tmp_path / "a.call.json"
    )
    report = json.loads((tmp_path / "a.call.json").read_text())
    assert report == result["report"]
    assert report["codec"] == "opus" and report["level"] == -26.0 and "erased" in report
    assert sf.info(tmp_path / "a.wav").samplerate == 8000
