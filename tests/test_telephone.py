"""The telephone channel: response, aliasing, length, streaming, codecs, bad parameters."""

import warnings

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from speechtext.errors import AudioError, ParameterError
from speechtext.io import read_audio
from speechtext.telephone import TelephoneChannel, telephone_file, to_telephone


def tone(freq, sr, seconds=1.0, amp=0.5, dtype=np.float32):
    t = np.arange(int(sr * seconds)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(dtype)


def level_db(freq, sr, **kwargs):
    out = to_telephone(tone(freq, sr), sr=sr, **kwargs).astype(np.float64)
    middle = out[1000:-1000]  # leave out the filter's ramps at both ends
    return 10 * np.log10(np.mean(middle**2) + 1e-30)


def response(freqs, sr, **kwargs):
    ref = level_db(1020, sr, **kwargs)
    return {f: level_db(f, sr, **kwargs) - ref for f in freqs}


@pytest.mark.parametrize("sr", [48000, 44100, 16000, 8000])
def test_g712_meets_the_pcm_channel_mask(sr):
    passband = list(range(300, 3401, 100))
    r = response([50, 60, 100, 200, 3900, *passband], sr)
    assert all(abs(r[f]) <= 0.5 for f in passband), {f: round(r[f], 2) for f in passband}
    assert -1.8 <= r[200] <= -0.1  # the TP3054A mask (tests/test_telephone_chain.py)
    assert r[100] <= -15 and r[50] <= -30 and r[60] <= -26
    assert r[3900] <= -10


@pytest.mark.parametrize("sr", [48000, 16000])
def test_narrow_is_minus_3_db_at_the_edges(sr):
    flat = list(range(400, 3001, 100))
    r = response([200, 300, 3400, 3800, *flat], sr, preset="narrow")
    assert r[300] == pytest.approx(-3, abs=0.5)
    assert r[3400] == pytest.approx(-3, abs=0.5)
    assert all(abs(r[f]) <= 0.5 for f in flat)
    assert r[200] <= -25 and r[3800] <= -25


def test_custom_band_has_its_minus_3_db_edges_where_asked():
    r = response([500, 2500, 1500], 16000, band=(500, 2500))
    assert r[500] == pytest.approx(-3, abs=0.5)
    assert r[2500] == pytest.approx(-3, abs=0.5)


@pytest.mark.parametrize("sr", [48000, 44100, 16000])
def test_no_aliasing_from_4600_hz_to_nyquist(sr):
    ref = level_db(1020, sr)
    freqs = np.arange(4600, sr / 2, 397.0)
    worst = max(level_db(f, sr) - ref for f in freqs)
    assert worst <= -60


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(min_value=13, max_value=30000),
    sr=st.sampled_from([8000, 11025, 16000, 22050, 44100, 48000, 96000]),
)
def test_duration_is_kept(n, sr):
    y = np.random.default_rng(n).standard_normal(n).astype(np.float32) * 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = to_telephone(y, sr=sr)
    assert abs(len(out) - round(n * 8000 / sr)) <= 1


@settings(max_examples=25, deadline=None)
@given(
    cuts=st.lists(st.integers(min_value=0, max_value=20000), max_size=6),
    sr=st.sampled_from([8000, 16000, 44100, 48000]),
)
def test_streaming_in_blocks_equals_the_whole(cuts, sr):
    y = np.random.default_rng(1).standard_normal(20000).astype(np.float32) * 0.1
    whole = to_telephone(y, sr=sr)
    channel = TelephoneChannel(sr=sr)
    edges = [0, *sorted(cuts), len(y)]
    parts = [channel.process(y[a:b]) for a, b in zip(edges, edges[1:], strict=False)]
    streamed = np.concatenate([*parts, channel.flush()])
    assert len(streamed) == len(whole)
    np.testing.assert_allclose(streamed, whole, atol=1e-5)


def test_output_is_aligned_with_the_input():
    # a click at 0.5 s must come out at 0.5 s: the filter is zero-phase
    y = np.zeros(16000, np.float32)
    y[8000] = 1.0
    out = to_telephone(y, sr=16000, preset="narrow")
    assert abs(int(np.argmax(np.abs(out))) - 4000) <= 1


def test_dtype_is_kept_for_floats_and_integers_become_float32():
    y = tone(440, 16000, dtype=np.float64)
    assert to_telephone(y, sr=16000).dtype == np.float64
    assert to_telephone(y.astype(np.float32), sr=16000).dtype == np.float32
    pcm = (y * 32767).astype(np.int16)
    out = to_telephone(pcm, sr=16000)
    assert out.dtype == np.float32
    assert np.abs(out).max() < 1.0


def test_stereo_is_downmixed():
    left, right = tone(440, 16000), tone(880, 16000)
    stereo = np.stack([left, right], axis=1)
    mono = to_telephone((left + right) / 2, sr=16000)
    np.testing.assert_allclose(to_telephone(stereo, sr=16000), mono, atol=1e-6)


def test_8khz_input_is_only_filtered():
    y = tone(1020, 8000)
    out = to_telephone(y, sr=8000)
    assert len(out) == len(y)
    np.testing.assert_allclose(out[1000:-1000], y[1000:-1000], atol=0.01)


def test_input_below_8khz_is_upsampled_with_a_warning():
    with pytest.warns(UserWarning, match="below 8 kHz"):
        out = to_telephone(tone(440, 6000), sr=6000)
    assert len(out) == 8000


@pytest.mark.parametrize("codec", ["ulaw", "alaw"])
def test_g711_companding_keeps_speech_level_signals(codec):
    y = tone(1020, 16000, amp=0.3)
    clean = to_telephone(y, sr=16000)
    coded = to_telephone(y, sr=16000, codec=codec)
    noise = coded - clean
    snr = 10 * np.log10(np.sum(clean**2) / np.sum(noise**2))
    assert 30 < snr < 45  # 8-bit G.711 is about 38 dB; it must have changed the signal
    levels = np.unique(np.round(coded * 32768))
    assert len(levels) <= 256


def test_codec_clipping_is_reported():
    with pytest.warns(UserWarning, match="clipped"):
        to_telephone(tone(1020, 16000, amp=1.5), sr=16000, codec="ulaw")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"sr": 16000, "preset": "pstn"}, "preset="),
        ({"sr": 16000, "codec": "mp3"}, "codec="),
        ({"sr": 16000, "band": (3400, 300)}, "band="),
        ({"sr": 16000, "band": (300, 5000)}, "4000 Hz"),
        ({"sr": 0}, "sr="),
    ],
)
def test_bad_parameters_say_what_would_work(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        to_telephone(tone(440, 16000), **kwargs)


def test_bad_samples_raise_audio_errors():
    with pytest.raises(AudioError, match="no samples"):
        to_telephone(np.zeros(0, np.float32), sr=16000)
    y = tone(440, 16000)
    y[100] = np.nan
    with pytest.raises(AudioError, match="NaN"):
        to_telephone(y, sr=16000)
    with pytest.raises(AudioError, match="shorter than one sample"):
        to_telephone(np.zeros(2, np.float32), sr=48000)


def test_short_input_still_converts():
    out = to_telephone(np.ones(30, np.float32), sr=48000)  # far shorter than the 1025-tap filter
    assert len(out) == 5 and np.isfinite(out).all()


def test_telephone_file_on_real_speech(speech_dir, tmp_path):
    source = sorted(speech_dir.glob("*.ogg"))[0]
    y, sr = read_audio(source)
    info = telephone_file(source, tmp_path / "out.wav")
    out, out_sr = sf.read(tmp_path / "out.wav")
    assert out_sr == 8000
    assert abs(len(out) - round(len(y) * 8000 / sr)) <= 1
    assert info["duration"] == pytest.approx(len(y) / sr)
    # the same samples as the in-memory function, up to PCM16 rounding
    np.testing.assert_allclose(out, to_telephone(y, sr=sr), atol=2 / 32768)


def test_telephone_file_writes_g711_or_decoded_pcm(tmp_path):
    y = tone(1020, 16000, amp=0.3)
    sf.write(tmp_path / "in.wav", y, 16000)
    telephone_file(tmp_path / "in.wav", tmp_path / "ulaw.wav", codec="ulaw")
    telephone_file(tmp_path / "in.wav", tmp_path / "pcm.wav", codec="alaw", decoded=True)
    assert sf.info(tmp_path / "ulaw.wav").subtype == "ULAW"
    assert sf.info(tmp_path / "pcm.wav").subtype == "PCM_16"
    # the same codec values, but for the few samples that float rounding puts across a step
    same = np.isclose(sf.read(tmp_path / "pcm.wav")[0], to_telephone(y, sr=16000, codec="alaw"))
    assert same.mean() > 0.99


def test_clipping_on_write_is_counted_and_reported(tmp_path):
    sf.write(tmp_path / "loud.wav", tone(1020, 16000, amp=0.999), 16000, subtype="FLOAT")
    y = np.sign(tone(300, 16000)) * 0.99  # a square wave overshoots after band-limiting
    sf.write(tmp_path / "square.wav", y, 16000, subtype="FLOAT")
    with pytest.warns(UserWarning, match="clipped"):
        info = telephone_file(tmp_path / "square.wav", tmp_path / "out.wav")
    assert info["clipped"] > 0 and info["peak"] > 1.0
    assert np.abs(sf.read(tmp_path / "out.wav")[0]).max() <= 1.0


def test_fir_design_equals_scipy_firwin2():
    from scipy.signal import firwin2 as scipy_firwin2

    from speechtext.telephone import NUMTAPS, firwin2, target_gain

    freqs = np.linspace(0, 4000, 4097)
    for preset, band in [("g712", None), ("narrow", None), ("g712", (250.0, 3000.0))]:
        gains = target_gain(freqs, preset, band)
        gains[0] = 0.0
        ours = firwin2(NUMTAPS, freqs, gains, fs=8000, beta=6.0)
        theirs = scipy_firwin2(NUMTAPS, freqs, gains, fs=8000, window=("kaiser", 6.0))
        np.testing.assert_allclose(ours, theirs, atol=1e-12)


def test_fft_filtering_equals_direct_convolution():
    from speechtext.telephone import channel_filter

    y = np.random.default_rng(3).standard_normal(5000)
    taps = channel_filter("narrow")
    direct = np.convolve(y, taps)[512 : 512 + len(y)]
    np.testing.assert_allclose(to_telephone(y, sr=8000, preset="narrow"), direct, atol=1e-9)
