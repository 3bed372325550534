"""Corpus manifests (speechtext.io.corpora): every format read back as written, every pair of
formats converting losslessly, and the mistakes a user makes named with file and line."""

import gzip
import itertools
import json

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from speechtext.errors import AudioError, FormatError
from speechtext.io.audio import read_audio, read_audio_span
from speechtext.io.corpora import (
    FORMATS,
    Corpus,
    Recording,
    Utterance,
    detect_format,
    read_corpus,
    write_corpus,
)

SR = 16000
LENGTHS = (2.0, 2.5, 3.0)  # seconds, of the recordings the corpora are made over
PATHS = {"nemo": "m.jsonl", "kaldi": "kd", "lhotse": "lh", "hf": "hf"}
needs_hf = pytest.mark.skipif(
    not __import__("importlib").util.find_spec("datasets"),
    reason="needs the datasets package (pip install 'speechtext[hf]')",
)


@pytest.fixture(scope="module")
def wavs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("audio")
    rng = np.random.default_rng(0)
    paths = []
    for k, seconds in enumerate(LENGTHS):
        path = folder / f"r{k}.wav"
        sf.write(path, 0.1 * rng.standard_normal(int(seconds * SR)), SR, subtype="PCM_16")
        paths.append(str(path))
    return paths


def content(corpus):
    """What a manifest says, independent of the format's order: recordings used (id -> path)
    and utterances by id, with every span explicit."""
    corpus = corpus.resolved()
    used = {u.recording_id for u in corpus.utterances}
    recordings = {r.id: r.path for r in corpus.recordings.values() if r.id in used}
    utterances = {
        u.id: (u.recording_id, u.start, u.duration, u.text, u.speaker) for u in corpus.utterances
    }
    return recordings, utterances


ids = st.from_regex(r"[A-Za-z0-9_-]{1,10}", fullmatch=True)
texts = st.none() | st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=20
).map(str.strip)


@st.composite
def corpora(draw, wavs):
    rec_ids = draw(st.lists(ids, min_size=1, max_size=3, unique=True))
    recordings = {r: Recording(r, path=wavs[k]) for k, r in enumerate(rec_ids)}
    utt_ids = draw(st.lists(ids, min_size=1, max_size=6, unique=True))
    whole = draw(st.booleans())  # a Kaldi dir without segments: each recording one utterance
    utterances = []
    if whole:
        for r in rec_ids:
            utterances.append(Utterance(r, r, text=draw(texts), speaker=draw(st.none() | ids)))
    else:
        for u in utt_ids:
            k = draw(st.integers(0, len(rec_ids) - 1))
            start = draw(st.integers(0, 1_500_000)) / 1e6
            duration = draw(st.none() | st.integers(1, 500_000).map(lambda us: us / 1e6))
            utterances.append(
                Utterance(u, rec_ids[k], start, duration, draw(texts), draw(st.none() | ids))
            )
    return Corpus(recordings, utterances)


PAIRS = list(itertools.product(FORMATS, repeat=2))


@pytest.mark.parametrize(("first", "second"), PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_round_trip_between_formats_is_lossless(first, second, wavs, tmp_path_factory):
    if "hf" in (first, second):
        pytest.importorskip("datasets", reason="needs the datasets package (speechtext[hf])")

    @settings(
        max_examples=8 if "hf" in (first, second) else 25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(corpora(wavs))
    def check(corpus):
        folder = tmp_path_factory.mktemp("rt")
        write_corpus(corpus, folder / PATHS[first], first)
        a, fmt = read_corpus(folder / PATHS[first])
        assert fmt == first
        write_corpus(a, folder / f"2{PATHS[second]}", second)
        b, fmt = read_corpus(folder / f"2{PATHS[second]}")
        assert fmt == second
        assert content(b) == content(corpus)

    check()


def test_kaldi_dir_as_written_by_hand(tmp_path, wavs):
    kd = tmp_path / "train"
    kd.mkdir()
    (kd / "wav.scp").write_text(f"rA {wavs[0]}\nrB {wavs[1]}\n")
    (kd / "segments").write_text("s1-a rA 0.00 1.25\ns1-b rA 1.25 -1\ns2-a rB 0.5 2.0\n")
    (kd / "text").write_text("s1-a play  some jazz\ns1-b\ns2-a what time is it\n")
    (kd / "spk2utt").write_text("s1 s1-a s1-b\ns2 s2-a\n")
    corpus, fmt = read_corpus(kd)
    assert fmt == "kaldi"
    assert [(u.id, u.start, u.duration, u.text, u.speaker) for u in corpus.utterances] == [
        ("s1-a", 0.0, 1.25, "play  some jazz", "s1"),
        ("s1-b", 1.25, None, "", "s1"),
        ("s2-a", 0.5, 1.5, "what time is it", "s2"),
    ]
    out = tmp_path / "copy"
    write_corpus(corpus, out, "kaldi")
    assert (out / "segments").read_text() == "s1-a rA 0 1.25\ns1-b rA 1.25 -1\ns2-a rB 0.5 2\n"
    assert (out / "utt2spk").read_text() == "s1-a s1\ns1-b s1\ns2-a s2\n"
    assert (out / "spk2utt").read_text() == "s1 s1-a s1-b\ns2 s2-a\n"


def test_piped_commands_refused_naming_file_and_line(tmp_path, wavs):
    kd = tmp_path / "kd"
    kd.mkdir()
    (kd / "wav.scp").write_text(f"a {wavs[0]}\nb sox {wavs[1]} -t wav - |\n")
    with pytest.raises(FormatError, match=r"kd/wav.scp:2: recording 'b' is a piped command.*"
                       "--allow-commands"):  # fmt: skip
        read_corpus(kd)
    corpus, _ = read_corpus(kd, allow_commands=True)
    assert corpus.recordings["b"].command == f"sox {wavs[1]} -t wav -"
    write_corpus(corpus, tmp_path / "again", "kaldi")  # kept as a command
    assert (tmp_path / "again" / "wav.scp").read_text().splitlines()[1].endswith(" |")


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("segments", "u1 r0 1.0\n", r"segments:1: expected 4 fields"),
        ("segments", "u1 r9 0 1\n", r"segments:1: recording 'r9' is not in"),
        ("segments", "u1 r0 2 1\n", r"segments:1: .*the end must come after the start"),
        ("segments", "u1 r0 0 x\n", r"segments:1: end 'x' is not a number"),
        ("segments", "u1 r0 0 1\nu1 r0 1 2\n", r"segments:2: id 'u1' again"),
        ("text", "zz hello\n", r"text:1: utterance 'zz' is not in the data dir"),
    ],
)
def test_kaldi_mistakes_name_file_and_line(tmp_path, wavs, name, text, message):
    kd = tmp_path / "kd"
    kd.mkdir()
    (kd / "wav.scp").write_text(f"r0 {wavs[0]}\n")
    if name != "segments":
        (kd / "segments").write_text("u1 r0 0 1\n")
    (kd / name).write_text(text)
    with pytest.raises(FormatError, match=message):
        read_corpus(kd)


def test_kaldi_refuses_ids_it_cannot_hold(tmp_path, wavs):
    corpus = Corpus({"r": Recording("r", path=wavs[0])}, [Utterance("a b", "r", 0, 1)])
    with pytest.raises(FormatError, match="Kaldi ids are non-empty and hold no white space"):
        write_corpus(corpus, tmp_path / "kd", "kaldi")


def test_nemo_manifest_from_nemo_reads_with_made_up_ids(tmp_path, wavs):
    lines = [
        {"audio_filepath": wavs[0], "duration": 1.0, "text": "one"},
        {"audio_filepath": wavs[0], "offset": 1.0, "duration": 0.5, "text": "two"},
        {"audio_filepath": wavs[1], "duration": 2.5, "text": "three"},
    ]
    path = tmp_path / "train_manifest.json"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    corpus, fmt = read_corpus(path)
    assert fmt == "nemo"
    assert [(u.id, u.recording_id, u.start, u.duration) for u in corpus.utterances] == [
        ("r0-1", "r0", 0.0, 1.0),
        ("r0-2", "r0", 1.0, 0.5),
        ("r1", "r1", 0.0, 2.5),
    ]
    path.write_text('{"audio_filepath": "a.wav", "duration": "long"}\n')
    with pytest.raises(FormatError, match=r"train_manifest.json:1: duration 'long' is not"):
        read_corpus(path)


def test_relative_paths_found_beside_the_manifest(tmp_path, wavs, monkeypatch):
    import shutil

    shutil.copy(wavs[0], tmp_path / "a.wav")
    (tmp_path / "m.json").write_text('{"audio_filepath": "a.wav", "duration": 1.0}\n')
    monkeypatch.chdir(tmp_path.parent)
    corpus, _ = read_corpus(tmp_path / "m.json")
    assert corpus.audio_path(corpus.recordings["a"]) == tmp_path / "a.wav"


def test_lhotse_manifests_are_gzipped_jsonl(tmp_path, wavs):
    corpus = Corpus({"r": Recording("r", path=wavs[1])}, [Utterance("u", "r", 0.5, 1.0, "hi")])
    write_corpus(corpus, tmp_path / "lh", "lhotse")
    with gzip.open(tmp_path / "lh" / "recordings.jsonl.gz", "rt") as f:
        (rec,) = [json.loads(line) for line in f]
    assert rec["sampling_rate"] == SR and rec["num_samples"] == int(2.5 * SR)
    assert rec["sources"] == [{"type": "file", "channels": [0], "source": wavs[1]}]
    assert detect_format(tmp_path / "lh" / "supervisions.jsonl.gz") == "lhotse"


@needs_hf
def test_hf_dataset_dict_refused_naming_a_split(tmp_path, wavs):
    import datasets

    ds = datasets.Dataset.from_dict({"id": ["u"], "audio": [wavs[0]], "text": ["hi"]})
    datasets.DatasetDict({"train": ds}).save_to_disk(str(tmp_path / "dd"))
    with pytest.raises(FormatError, match="a DatasetDict of splits \\(train\\); give one split"):
        read_corpus(tmp_path / "dd")
    corpus, fmt = read_corpus(tmp_path / "dd" / "train")
    assert fmt == "hf" and corpus.utterances[0].text == "hi"


def test_a_span_is_read_by_seeking_and_equals_the_slice(wavs):
    whole, sr = read_audio(wavs[2])
    span, sr2 = read_audio_span(wavs[2], start=1.25, duration=0.5)
    assert sr2 == sr and np.array_equal(span, whole[20000:28000])
    rest, _ = read_audio_span(wavs[2], start=2.0)
    assert np.array_equal(rest, whole[32000:])
    with pytest.raises(AudioError, match="starts at 5.000 s, after the recording's end"):
        read_audio_span(wavs[2], start=5.0, duration=1.0)
