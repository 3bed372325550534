"""lhotse itself reads the lhotse manifests speechtext writes, and speechtext reads the
manifests lhotse writes from its own Kaldi import (the ``lhotse`` extra: it needs torch)."""

import numpy as np
import pytest
import soundfile as sf

from speechtext.io.corpora import read_corpus, write_corpus

lhotse = pytest.importorskip(
    "lhotse", reason="needs lhotse (pip install 'speechtext[lhotse]'; it pulls in torch)"
)

SR = 16000


@pytest.fixture
def kaldi_dir(tmp_path):
    rng = np.random.default_rng(1)
    kd = tmp_path / "kd"
    kd.mkdir()
    scp, segs, text, u2s = [], [], [], []
    for r in range(2):
        path = tmp_path / f"rec{r}.wav"
        sf.write(path, 0.1 * rng.standard_normal(6 * SR), SR, subtype="PCM_16")
        scp.append(f"rec{r} {path}")
        for k in range(3):
            utt = f"spk{r}-rec{r}-{k}"
            segs.append(f"{utt} rec{r} {k * 2}.25 {k * 2 + 1}.5")
            text.append(f"{utt} utterance {k} of recording {r}")
            u2s.append(f"{utt} spk{r}")
    for name, lines in (("wav.scp", scp), ("segments", segs), ("text", text), ("utt2spk", u2s)):
        (kd / name).write_text("\n".join(lines) + "\n")
    return kd


def _as_tuples(supervisions):
    return sorted(
        (s.id, s.recording_id, round(s.start, 6), round(s.duration, 6), s.text, s.speaker)
        for s in supervisions
    )


def test_lhotse_loads_what_speechtext_writes(kaldi_dir, tmp_path):
    corpus, _ = read_corpus(kaldi_dir)
    write_corpus(corpus, tmp_path / "lh", "lhotse")
    recordings = lhotse.load_manifest(tmp_path / "lh" / "recordings.jsonl.gz")
    supervisions = lhotse.load_manifest(tmp_path / "lh" / "supervisions.jsonl.gz")
    lhotse.validate_recordings_and_supervisions(recordings, supervisions)
    assert recordings["rec1"].num_samples == 6 * SR
    assert _as_tuples(supervisions) == sorted(
        (u.id, u.recording_id, u.start, u.duration, u.text, u.speaker) for u in corpus.utterances
    )
    # and the audio lhotse cuts is the audio speechtext reads for the segment
    cut = lhotse.CutSet.from_manifests(recordings, supervisions).trim_to_supervisions()
    first = next(c for c in cut if c.supervisions[0].id == "spk0-rec0-1")
    from speechtext.io.audio import read_audio_span

    y, _ = read_audio_span(tmp_path / "rec0.wav", start=2.25, duration=1.25)
    np.testing.assert_allclose(first.load_audio()[0], y, atol=1e-6)


def test_speechtext_reads_lhotse_kaldi_import(kaldi_dir, tmp_path):
    recordings, supervisions, _ = lhotse.kaldi.load_kaldi_data_dir(kaldi_dir, sampling_rate=SR)
    out = tmp_path / "from-lhotse"
    out.mkdir()
    recordings.to_file(out / "train_recordings.jsonl.gz")
    supervisions.to_file(out / "train_supervisions.jsonl.gz")
    theirs, fmt = read_corpus(out)
    ours, _ = read_corpus(kaldi_dir)
    assert fmt == "lhotse"
    assert {r.id: r.path for r in theirs.recordings.values()} == {
        r.id: r.path for r in ours.recordings.values()
    }
    assert _utterances(theirs) == _utterances(ours)


def _utterances(corpus):
    return sorted(
        (u.id, u.recording_id, u.start, u.duration, u.text, u.speaker) for u in corpus.utterances
    )
