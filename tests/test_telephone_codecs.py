"""The telephone codecs: G.711 against the Recommendation's tables, every codec time-aligned on
real speech, bit rates, packet loss concealment, and the error without PyAV."""

import sys

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from speechtext.errors import ParameterError, SpeechTextError
from speechtext.telephone import CODECS, to_telephone
from speechtext.telephone.codecs import run_codec
from speechtext.telephone.g711 import g711_decode, g711_encode

ALL_16BIT = np.arange(-32768, 32768, dtype=np.int32)


# ---------------------------------------------------------------- G.711 from its tables


def alaw_table():
    """A-law by G.711's Table 1a: on the 4096-step scale of each polarity (the 12 most significant
    bits of a 16-bit sample; negative samples by their one's complement), segment 0 and 1 hold 16
    intervals of 2 steps (here: 1 unit of 16), segment s > 1 16 intervals of 2**s steps; the
    character is sign (1 = positive), segment, interval, with the even bits inverted."""
    bounds = np.array([0, 16, 32, 64, 128, 256, 512, 1024, 2048])  # in units of 16 samples
    steps = np.array([1, 1, 2, 4, 8, 16, 32, 64])
    magnitude = np.where(ALL_16BIT < 0, -ALL_16BIT - 1, ALL_16BIT) // 16
    segment = np.searchsorted(bounds, magnitude, side="right") - 1
    interval = (magnitude - bounds[segment]) // steps[segment]
    code = (segment << 4) | interval | np.where(ALL_16BIT >= 0, 0x80, 0)
    codes = (code ^ 0x55).astype(np.uint8)
    # reconstruction: the middle of each interval
    decoded = {}
    for c in range(256):
        raw = c ^ 0x55
        seg, q = (raw >> 4) & 7, raw & 15
        value = int((bounds[seg] + (q + 0.5) * steps[seg]) * 16)
        decoded[c] = value if raw & 0x80 else -value
    return codes, decoded


def ulaw_table():
    """mu-law by G.711's Table 2a: the 14-bit magnitude plus 33 (the bias that makes the
    segments powers of two, 32..8191), segment s holding 16 intervals of 2**(s+1); the character
    is sign, segment and interval, all inverted."""
    magnitude = np.where(ALL_16BIT < 0, -ALL_16BIT - 1, ALL_16BIT) // 4
    biased = np.minimum(magnitude + 33, 8191)
    segment = np.floor(np.log2(biased)).astype(int) - 5
    interval = (biased - 2 ** (segment + 5)) // 2 ** (segment + 1)
    code = 0x7F ^ ((segment << 4) | interval)
    codes = (code | np.where(ALL_16BIT >= 0, 0x80, 0)).astype(np.uint8)
    decoded = {}
    for c in range(256):
        raw = 0x7F ^ (c & 0x7F)
        seg, q = raw >> 4, raw & 15
        value = int((2 ** (seg + 5) + (q + 0.5) * 2 ** (seg + 1) - 33) * 4)
        decoded[c] = value if c & 0x80 else -value
    return codes, decoded


@pytest.mark.parametrize(("law", "table"), [("alaw", alaw_table), ("ulaw", ulaw_table)])
def test_g711_is_bit_exact_on_all_65536_inputs(law, table):
    codes, decoded = table()
    got = g711_encode(ALL_16BIT.astype(np.int16), law)
    assert np.array_equal(got, codes), f"{np.count_nonzero(got != codes)} inputs differ"
    every = np.arange(256, dtype=np.uint8)
    assert g711_decode(every, law).tolist() == [decoded[c] for c in range(256)]


def test_g711_known_values_of_the_recommendation():
    # A-law: the smallest positive value decodes to +8, code 0xD5; mu-law 0xFF is +0, 0x80 the top
    assert g711_encode(np.array([0], np.int16), "alaw")[0] == 0xD5
    assert g711_decode(np.array([0xD5], np.uint8), "alaw")[0] == 8
    assert g711_decode(np.array([0xFF, 0x80, 0x00], np.uint8), "ulaw").tolist() == [
        0,
        32124,
        -32124,
    ]


# -------------------------------------------------------------------- codecs on speech


@pytest.fixture(scope="module")
def speech(speech_dir):
    """6 s of each excerpt through the 8 and 16 kHz bands: what a codec gets in the chain. (On
    full-band input, AMR-NB's own 80 Hz high-pass shifts a low voice's harmonics enough for the
    cross-correlation of one excerpt to peak a pitch period away.)"""
    out = {8000: [], 16000: []}
    for path in sorted(speech_dir.glob("*.ogg")):
        y, sr = sf.read(path)
        for rate, preset in ((8000, "g712"), (16000, "wideband")):
            x = to_telephone(y[: 6 * sr], sr=sr, preset=preset).astype(np.float64)
            out[rate].append(0.5 * x / np.max(np.abs(x)))
    return out


def lag_of(x, y, max_lag=80):
    """The lag of y behind x (samples, to a tenth) by cross-correlation, refined by a parabola."""
    m = len(x) - 2 * max_lag
    c = np.array([np.dot(x[max_lag:m], y[max_lag + k : m + k]) for k in range(-max_lag, max_lag)])
    k = int(np.argmax(c))
    a, b, d = c[k - 1], c[k], c[k + 1]
    return k - max_lag + 0.5 * (a - d) / (a - 2 * b + d)


CASES = [
    ("ulaw", None),
    ("alaw", None),
    ("gsm-fr", None),
    ("amr-nb", 12.2),
    ("amr-nb", 4.75),
    ("opus", 6),
    ("opus", 24),
    ("g722", None),
    ("g726", 16),
    ("g726", 40),
]


@pytest.mark.parametrize(("codec", "bitrate"), CASES)
def test_every_codec_keeps_length_and_alignment_within_one_sample(speech, codec, bitrate):
    for x in speech[CODECS[codec].rate]:
        y, clipped = run_codec(x, codec, bitrate=bitrate)
        assert len(y) == len(x) and clipped == 0
        assert abs(lag_of(x, y)) <= 1.0
        # and it is speech still: correlated with the input
        assert np.corrcoef(x, y)[0, 1] > 0.5


def test_lower_bit_rates_code_worse(speech):
    x = speech[8000][0]

    def error(codec, bitrate):
        y, _ = run_codec(x, codec, bitrate=bitrate)
        return float(np.mean((x - y) ** 2))

    assert error("g726", 40) < error("g726", 16)
    assert error("opus", 24) < error("opus", 6)


def test_channels_run_at_their_rates(speech):
    y16 = speech[16000][0]
    assert to_telephone(y16, sr=16000, channel="hd-voice").shape == (len(y16),)
    assert to_telephone(y16, sr=16000, channel="mobile-amr").shape == (len(y16) // 2,)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"codec": "mp3"}, "not a codec"),
        ({"codec": "amr-nb", "bitrate": 13}, "4.75, 5.15"),
        ({"codec": "opus", "bitrate": 64}, "6 to 24"),
        ({"codec": "g722"}, "wideband"),
        ({"preset": "wideband", "codec": "ulaw"}, "8 kHz band"),
        ({"bitrate": 12.2}, "needs a codec"),
        ({"loss": 0.1}, "give a codec"),
        ({"codec": "ulaw", "loss": 1.5}, r"\[0, 1\)"),
        ({"codec": "ulaw", "loss": 0.1, "burst": 0.5}, ">= 1"),
        ({"channel": "cb-radio"}, "landline, mobile-gsm"),
    ],
)
def test_bad_codec_settings_say_what_would_work(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        to_telephone(np.zeros(800), sr=8000, **kwargs)


def test_without_pyav_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "av", None)  # import av raises ImportError
    with pytest.raises(SpeechTextError, match=r"pip install 'speechtext\[codecs\]'"):
        run_codec(np.zeros(800), "amr-nb")
    run_codec(np.zeros(800), "ulaw")  # G.711 and GSM need nothing more
    run_codec(np.zeros(800), "gsm-fr")


# ------------------------------------------------------------------------ lost packets


@pytest.mark.parametrize("codec", ["ulaw", "amr-nb", "opus", "gsm-fr"])
def test_lost_packets_are_concealed_and_the_rest_is_untouched(speech, codec):
    x = speech[8000][0]
    frame = 160
    lost = np.zeros(len(x) // frame + 8, dtype=bool)
    voiced = max(range(20, 120), key=lambda k: np.sum(x[k * frame : (k + 1) * frame] ** 2))
    lost[voiced] = True
    clean, _ = run_codec(x, codec)
    lossy, _ = run_codec(x, codec, lost=lost)
    gap = slice(voiced * frame, (voiced + 1) * frame)
    # concealed: not silence, in the range of the speech around it
    assert np.sqrt(np.mean(lossy[gap] ** 2)) > 0.1 * np.sqrt(np.mean(clean[gap] ** 2))
    # far from the loss (after the codec has recovered), the output is as without loss
    far = slice((voiced + 25) * frame, None)
    assert np.allclose(lossy[far], clean[far], atol=1e-6 if codec in ("ulaw", "gsm-fr") else 0.05)
    before = slice(0, (voiced - 1) * frame)  # (Opus: but for the resampler's tails, 48 -> 8 kHz)
    assert np.allclose(lossy[before], clean[before], atol=1e-3)


@pytest.mark.parametrize("law", ["ulaw", "alaw"])
def test_g711_decoded_values_code_to_themselves(law):
    values = g711_decode(np.arange(256, dtype=np.uint8), law)
    assert np.array_equal(g711_decode(g711_encode(values, law), law), values)


@settings(max_examples=25, deadline=None)
@given(
    codec=st.sampled_from(sorted(CODECS)),
    n=st.integers(min_value=1, max_value=4000),
    seed=st.integers(0, 1000),
)
def test_any_length_comes_back_the_same_length(codec, n, seed):
    y = 0.3 * np.random.default_rng(seed).standard_normal(n)
    lost = np.random.default_rng(seed).random(n // 160 + 6) < 0.3
    out, _ = run_codec(y, codec, lost=lost)
    assert out.shape == y.shape and np.isfinite(out).all()
