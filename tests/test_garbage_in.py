"""Issue 12, "silent garbage": inputs that gave wrong or empty results without a word now give an
error or a warning that says what happened and what would work (library and CLI).

7: channels-first audio; 9: tag train without slot tags or on one sentence; 10: decode inputs
(repeated labels, non-numbers, rows or sentences with no possible label); 11: pitch on audio
shorter than one analysis window; 12: g2p on emoji, other scripts, clock times, initialisms, and
the order of its N-best lists.
"""

import json
import math
import warnings

import numpy as np
import pytest
import soundfile as sf
from clitools import run_cli

from speechtext.errors import AudioError, FormatError, ParameterError
from speechtext.g2p import G2P, UnspokenWarning
from speechtext.io.audio import as_float_mono, read_audio
from speechtext.io.scores import read_emissions, read_labels
from speechtext.pitch import estimate_f0, file_summary, min_duration, pitch_file
from speechtext.tagging import SlotTagger
from speechtext.tagging.tagger import MIN_SENTENCES_PER_SLOT, TrainingDataError
from speechtext.telephone import TelephoneChannel, telephone_file, to_telephone
from speechtext.types import F0Track


def speech_like(seconds=1.0, sr=16000):
    t = np.arange(int(seconds * sr)) / sr
    return (0.1 * sum(np.sin(2 * np.pi * 140 * h * t) / h for h in range(1, 12))).astype(np.float32)


# ------------------------------------------------------------------ 7: channels-first audio


def test_channels_first_audio_is_refused_by_every_audio_function():
    y = speech_like()
    channels_first = np.stack([y, y])  # librosa.load(mono=False)'s layout
    calls = {
        "as_float_mono": lambda: as_float_mono(channels_first),
        "to_telephone": lambda: to_telephone(channels_first, sr=16000),
        "TelephoneChannel.process": lambda: TelephoneChannel(sr=16000).process(channels_first),
        "estimate_f0": lambda: estimate_f0(channels_first, sr=16000),
    }
    for name, call in calls.items():
        with pytest.raises(AudioError, match=r"\(2, 16000\) is channels-first.*pass y\.T"):
            call()
        assert name  # every one of them refuses
    # soundfile's layout, (frames, channels), is what they take: the same as the mono signal
    frames_first = channels_first.T
    np.testing.assert_allclose(
        to_telephone(frames_first, sr=16000), to_telephone(y, sr=16000), atol=1e-6
    )
    assert len(estimate_f0(frames_first, sr=16000)) == len(estimate_f0(y, sr=16000)) == 101


def test_frames_first_blocks_of_any_size_pass_and_non_numbers_are_refused():
    # the short last block of a stereo stream, (1, 2), is frames x channels
    channel = TelephoneChannel(sr=16000)
    stream = np.stack([speech_like(0.2)] * 2, axis=1)
    out = [channel.process(block) for block in (stream[:-1], stream[-1:])] + [channel.flush()]
    assert abs(sum(map(len, out)) - len(stream) // 2) <= 1
    # many channels, frames first (a microphone array)
    assert as_float_mono(np.zeros((4000, 16), np.float32)).shape == (4000,)
    for bad in (np.array(["0.1", "0.2"]), np.zeros(4, complex), np.zeros(4, bool)):
        with pytest.raises(AudioError, match="must be real numbers"):
            to_telephone(bad, sr=16000)
    with pytest.raises(AudioError, match="no channel"):
        as_float_mono(np.zeros((100, 0)))


def test_files_whose_last_block_is_shorter_than_their_channel_count_still_read(tmp_path):
    # the readers keep soundfile's own layout: a last block of 1 stereo frame is no mistake
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([speech_like(0.0201)] * 2, axis=1), 16000)  # 321 = 2 * 160 + 1
    y, _ = read_audio(path)
    assert y.shape == (321,)
    info = telephone_file(path, tmp_path / "out.wav", block_seconds=0.01)
    assert abs(info["frames"] - 160) <= 1


# ------------------------------------------------------------ 9: tag train on unusable data

ONE = (["add", "this", "song", "to", "my", "workout", "playlist"],
       ["O", "O", "B-music_item", "O", "B-playlist_owner", "B-playlist", "O"])  # fmt: skip


def conll(sentences):
    return "".join(
        "".join(f"{w}\t{t}\n" for w, t in zip(tokens, tags, strict=True)) + "\n"
        for tokens, tags in sentences
    )


def test_fit_refuses_data_without_slots_and_one_sentence_for_sgd():
    with pytest.raises(TrainingDataError, match="no slot tags: all 4 tokens .* tagged O"):
        SlotTagger().fit([["hello", "world"], ["foo", "bar"]], [["O", "O"], ["O", "O"]])
    with pytest.raises(TrainingDataError, match="single training sentence.*algorithm='lbfgs'"):
        SlotTagger().fit([ONE[0]], [ONE[1]])
    assert issubclass(TrainingDataError, ParameterError)
    # L-BFGS learns from one sentence: it tags that sentence right, with the rare-slot warning
    with pytest.warns(UserWarning, match=r"3 of 3 slot types .* music_item \(1\)"):
        tagger = SlotTagger(algorithm="lbfgs").fit([ONE[0]], [ONE[1]])
    assert tagger.predict([ONE[0]]) == [ONE[1]]


def test_fit_warns_about_slot_types_in_fewer_than_five_sentences():
    city = [(["fly", "to", name], ["O", "O", "B-city"]) for name in ("paris", "rome", "oslo")]
    date = [(["on", day], ["O", "B-date"]) for day in ("monday", "friday")]
    data = city * 2 + date  # city in 6 sentences, date in 2
    with pytest.warns(UserWarning, match=r"1 of 2 slot types .* fewer than 5 .*: date \(2\);"):
        SlotTagger(iterations=3).fit([t for t, _ in data], [g for _, g in data])
    enough = city * 2 + date * 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SlotTagger(iterations=3).fit([t for t, _ in enough], [g for _, g in enough])
    assert MIN_SENTENCES_PER_SLOT == 5


def test_cli_tag_train_names_the_file(tmp_path):
    empty = tmp_path / "no-slots.conll"
    empty.write_text(conll([(["hello", "world"], ["O", "O"])] * 3))
    status, _, err = run_cli("tag", "train", empty, "-o", tmp_path / "a.tagger")
    assert status == 1 and not (tmp_path / "a.tagger").exists()
    assert err.startswith(f"speechtext: error: {empty}: no slot tags: all 6 tokens")

    one = tmp_path / "one.conll"
    one.write_text(conll([ONE]))
    status, _, err = run_cli("tag", "train", one, "-o", tmp_path / "b.tagger")
    assert status == 1 and not (tmp_path / "b.tagger").exists()
    assert err.startswith(f"speechtext: error: {one}: a single training sentence")
    assert "--algorithm lbfgs" in err

    status, _, err = run_cli(
        "tag", "train", one, "-o", tmp_path / "c.tagger", "--algorithm", "lbfgs"
    )
    assert status == 0
    assert f"speechtext: warning: {one}: 3 of 3 slot types occur in fewer than 5" in err
    assert "music_item (1), playlist (1), playlist_owner (1)" in err
    assert "trained on 1 sentence, 3 slot types" in err
    status, _, _ = run_cli("tag", "predict", tmp_path / "c.tagger", one, "-o", tmp_path / "p")
    assert status == 0
    tags = [line.split("\t")[1] for line in (tmp_path / "p").read_text().split("\n") if line]
    assert tags == ONE[1]


# ----------------------------------------------------------------------- 10: decode inputs

LABELS = ["O", "B-city", "I-city"]


@pytest.fixture
def labels_file(tmp_path):
    path = tmp_path / "labels.txt"
    path.write_text("\n".join(LABELS) + "\n")
    return path


def test_repeated_labels_name_both_lines(tmp_path):
    path = tmp_path / "labels.txt"
    path.write_text("O\nB-city\n\nO\n")
    with pytest.raises(FormatError, match=r"labels.txt:4: label 'O' again \(first on line 1\)"):
        read_labels(path)


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.array([["a", "b", "c"]]), r"emissions_1 holds <U1 values \(strings\)"),
        (np.array([[True, False, True]]), r"emissions_1 holds bool values \(booleans\)"),
        (np.array([[1j, 0, 0]]), r"emissions_1 holds complex128 values"),
        (np.array([[0.0, None, 1.0]], dtype=object), "emissions_1 is an array of Python objects"),
        (np.array([[0.0, 0, 0], [0, np.nan, 0]]), r"emissions_1, row 1 \(2nd token\): NaN"),
        (np.array([[0.0, 0, 0], [-np.inf] * 3]), r"emissions_1, row 1 \(2nd token\): every label"),
    ],
)
def test_emissions_that_are_not_scores_are_refused(tmp_path, labels_file, array, message):
    path = tmp_path / "scores.npz"
    np.savez(path, emissions_0=np.zeros((2, 3)), emissions_1=array)
    with pytest.raises(FormatError, match=message):
        read_emissions(path, n_labels=3, labels_path=labels_file)


def test_cli_decode_names_array_and_row(tmp_path, labels_file):
    def decode(labels=labels_file, **arrays):
        path = tmp_path / "scores.npz"
        np.savez(path, emissions_0=np.zeros((2, 3)), **arrays)
        out = tmp_path / "out.jsonl"
        out.unlink(missing_ok=True)
        status, _, err = run_cli("decode", path, "--labels", labels, "--nbest", "2", "-o", out)
        assert status == 1 and not out.exists()
        assert "RuntimeWarning" not in err
        return err

    dup = tmp_path / "dup.txt"
    dup.write_text("O\nB-city\nO\n")
    assert decode(dup).startswith(f"speechtext: error: {dup}:3: label 'O' again")
    err = decode(emissions_3=np.array([["x", "y", "z"]]))
    assert "scores.npz: emissions_3 holds <U1 values (strings)" in err
    err = decode(emissions_3=np.array([[0.0, 1, 2], [-np.inf, -np.inf, -np.inf]]))
    assert "emissions_3, row 1 (2nd token): every label scores -inf" in err
    # only I-city possible at the first token: no IOB2 sequence at all
    err = decode(emissions_3=np.array([[-np.inf, -np.inf, 0.0], [0.0, 0, 0]]))
    assert "emissions_3, row 0 (1st token): no label that scores above -inf (I-city)" in err
    # a transition matrix that allows nothing after B-city, which row 1 needs
    trans = np.zeros((3, 3))
    trans[1] = -np.inf
    err = decode(emissions_3=np.array([[-np.inf, 0.0, -np.inf], [0.0, 0, 0]]), transitions=trans)
    assert "emissions_3, row 1 (2nd token): no label that scores above -inf" in err


# ------------------------------------------------------------------------ 11: short pitch


def test_pitch_of_audio_shorter_than_one_window_says_so(tmp_path):
    assert min_duration(sr=16000) == pytest.approx(0.0401, abs=1e-4)
    assert min_duration(fmin=100, method="cmndf") < min_duration(fmin=50, method="cmndf")
    with pytest.warns(UserWarning, match=r"0\.020 s of audio is shorter .* \(0\.040 s at fmin=50"):
        track = estimate_f0(np.zeros(320, np.float32), sr=16000)
    assert len(track) == 0
    summary = file_summary(track, source="a.wav", duration=0.02, fmin=50, fmax=550, hop=0.01)
    assert summary["register"] == "too-short" and "0.040 s" in summary["note"]

    path = tmp_path / "short.wav"
    sf.write(path, np.zeros(320, np.float32), 16000)
    with pytest.warns(UserWarning, match=f"{path}: 0.020 s"):
        summary = pitch_file(path, tmp_path / "s.f0.csv", tmp_path / "s.json")
    assert summary["register"] == "too-short"
    # a track of one frame or more has no note
    long = file_summary(
        F0Track(np.zeros(1), np.zeros(1), np.zeros(1, bool), np.zeros(1)),
        source="b.wav", duration=0.05, fmin=50, fmax=550, hop=0.01,
    )  # fmt: skip
    assert long["register"] == "unvoiced" and "note" not in long


def test_cli_pitch_on_a_short_file_warns_and_marks_the_summary(tmp_path):
    path = tmp_path / "short.wav"
    sf.write(path, np.zeros(320, np.float32), 16000)
    out = tmp_path / "f0"
    status, _, err = run_cli("pitch", path, "-o", out, "--workers", "1")
    assert status == 0
    assert f"speechtext: warning: {path}: 0.020 s of audio is shorter than one pitch" in err
    assert "(0.040 s at fmin=50 Hz)" in err
    summary = json.loads((out / "short.summary.json").read_text())
    assert summary["register"] == "too-short" and summary["frames"] == 0
    assert summary["note"].startswith("too short for pitch: 0.020 s of audio")
    assert "too-short" in (out / "summary.csv").read_text()


# --------------------------------------------------------------------------------- 12: g2p


def test_g2p_skips_what_it_cannot_read_with_one_warning_naming_it():
    g2p = G2P()
    with pytest.warns(UnspokenWarning) as caught:
        out = g2p("I love 🍕 pizza")
    assert [t for t, _ in out] == ["i", "love", "pizza"]
    assert [w.message.skipped for w in caught] == [("🍕",)]
    with pytest.warns(UnspokenWarning) as caught:
        g2p.transcribe_many(["hello", "안녕하세요 world", "❤️ Αθήνα"])
    # the characters as written: Hangul syllables, not jamo fragments; one warning per text
    assert [(w.message.index, w.message.skipped) for w in caught] == [
        (1, ("안녕하세요",)),
        (2, ("❤️", "Αθήνα")),
    ]
    assert str(caught[0].message) == (
        "texts[1]: skipped characters with no English spelling: '안녕하세요'"
    )


def test_g2p_reads_clock_times_and_initialisms():
    g2p = G2P()
    out = g2p("meet at 3:15pm in the U.S.A.")
    assert [t for t, _ in out] == ["meet", "at", "three", "fifteen", "p.m.", "in", "the", "u.s.a."]
    assert ":" not in [t for t, _ in out]
    assert dict(out)["p.m."] == ["P", "IY1", "EH1", "M"]
    assert dict(out)["u.s.a."][-1] == "EY1"  # the letter A, not the article (AH0)
    assert [t for t, _ in g2p("U.N. at 10:00 and 6 am")] == [
        "u.n.", "at", "ten", "o'clock", "and", "six", "a.m.",
    ]  # fmt: skip
    assert g2p.word("q.z.") == ["K", "Y", "UW1", "Z", "IY1"]  # not in the dictionary: spelled


@pytest.mark.parametrize("word", ["hello", "tomato", "the", "to", "zyxtrofan", "nhs", "x-ray"])
def test_nbest_is_ordered_by_source_then_score_and_rank_one_is_the_one_best(word):
    best = G2P(beam=8).word(word)  # the 1-best with the same beam (greedy may differ)
    prons = G2P(nbest=4, beam=8).nbest_word(word)
    assert list(prons[0].phones) == best
    assert all(p.logprob is not None and not math.isnan(p.logprob) for p in prons)
    sources = [p.source for p in prons]
    assert "model" not in sources or "dict" not in sources[sources.index("model") :]
    for group in ("dict", "model"):
        scores = [p.logprob for p in prons[1:] if (p.source == "model") == (group == "model")]
        assert scores == sorted(scores, reverse=True)


def test_cli_g2p_warnings_name_file_and_line_and_nbest_has_no_nan(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello\n안녕하세요 world\n\nmeet at 3:15pm 🍕\n")
    status, out, err = run_cli("g2p", "-i", text)
    assert status == 0
    assert out.split("\n")[1] == "W ER1 L D"
    assert out.split("\n")[3] == "M IY1 T | AE1 T | TH R IY1 | F IH0 F T IY1 N | P IY1 EH1 M"
    assert err.splitlines() == [
        f"speechtext: warning: {text}:2: skipped characters with no English spelling: '안녕하세요'",
        f"speechtext: warning: {text}:4: skipped characters with no English spelling: '🍕'",
    ]

    status, out, err = run_cli("g2p", "--words", "--nbest", "3", "🍕", "hello", "!!")
    assert status == 0 and "nan" not in out
    rows = [line.split("\t") for line in out.splitlines()]
    assert [r[:2] for r in rows] == [["hello", "1"], ["hello", "2"], ["hello", "3"]]
    assert [r[4] for r in rows] == ["dict", "dict", "model"]
    assert float(rows[1][2]) >= float(rows[2][2]) or rows[1][4] != rows[2][4]
    assert "argument 1: skipped characters with no English spelling: '🍕'" in err
    assert "argument 3: no word to pronounce in '!!'" in err
