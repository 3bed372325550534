"""`speechtext run` over corpus manifests and `speechtext convert`, end to end as a user runs
them: segments cut from long recordings, an output manifest of the same format, resume,
commands refused unless allowed, one bad segment failing alone."""

import json
import shutil

import numpy as np
import pytest
import soundfile as sf
from clitools import run_cli

from speechtext.io.corpora import read_corpus, write_corpus

SR = 16000


@pytest.fixture
def channel_only(tmp_path):
    """A spec of the telephone channel alone (the pitch stage's start-up is not under test)."""
    path = tmp_path / "channel.toml"
    path.write_text('[[stage]]\nname = "telephone"\n')
    return path


@pytest.fixture
def kaldi_dir(tmp_path):
    """Two 10 s recordings, three segments each, with texts and speakers."""
    rng = np.random.default_rng(2)
    kd = tmp_path / "train"
    kd.mkdir()
    t = np.arange(10 * SR) / SR
    scp, segs, text, u2s = [], [], [], []
    for r in range(2):
        path = tmp_path / f"long{r}.wav"
        y = 0.3 * np.sin(2 * np.pi * (120 + 60 * r) * t) + 0.01 * rng.standard_normal(len(t))
        sf.write(path, y, SR, subtype="PCM_16")
        scp.append(f"long{r} {path}")
        for k in range(3):
            utt = f"spk{r}-long{r}-{k}"
            segs.append(f"{utt} long{r} {k * 3}.5 {k * 3 + 2}.25")
            text.append(f"{utt} call mum at {k} pm")
            u2s.append(f"{utt} spk{r}")
    for name, lines in (("wav.scp", scp), ("segments", segs), ("text", text), ("utt2spk", u2s)):
        (kd / name).write_text("\n".join(lines) + "\n")
    return kd


def test_run_telephone_over_kaldi_segments(kaldi_dir, tmp_path):
    out = tmp_path / "out"
    status, _, err = run_cli("run", "telephone", kaldi_dir, "-o", out, "--workers", "2")
    assert status == 0, err
    assert "6 files: 6 done" in err
    whole, _ = sf.read(tmp_path / "long1.wav")
    y, sr = sf.read(out / "spk1-long1-2.wav")
    assert sr == 8000 and len(y) == int(1.75 * 8000)  # 6.5 s to 8.25 s
    span = whole[int(6.5 * SR) : int(8.25 * SR)]
    # the 180 Hz tone of recording 1 is there, attenuated by the channel's low edge
    spectrum = np.abs(np.fft.rfft(y))
    assert abs(np.argmax(spectrum) * 8000 / len(y) - 180) < 2
    assert np.std(y) < np.std(span)
    # the output Kaldi dir names the outputs, each a whole recording, texts and speakers kept
    corpus, fmt = read_corpus(out / "train")
    assert fmt == "kaldi" and not (out / "train" / "segments").exists()
    assert {r.id: r.path for r in corpus.recordings.values()}["spk0-long0-1"] == str(
        (out / "spk0-long0-1.wav").absolute()
    )
    texts = {u.id: (u.text, u.speaker) for u in corpus.utterances}
    assert texts["spk1-long1-0"] == ("call mum at 0 pm", "spk1")
    entries = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert [e["id"] for e in entries][:2] == ["spk0-long0-0", "spk0-long0-1"]
    assert entries[1]["start"] == 3.5 and entries[1]["duration"] == 1.75


def test_resume_redoes_only_changed_segments(kaldi_dir, tmp_path, channel_only):
    out = tmp_path / "out"
    status, _, err = run_cli("run", channel_only, kaldi_dir, "-o", out, "--workers", "1")
    assert status == 0, err
    status, _, err = run_cli("run", channel_only, kaldi_dir, "-o", out, "--resume")
    assert status == 0 and "6 skipped" in err, err
    segments = (kaldi_dir / "segments").read_text().replace("long0 0.5 2.25", "long0 0.5 2.5")
    (kaldi_dir / "segments").write_text(segments)
    status, _, err = run_cli("run", channel_only, kaldi_dir, "-o", out, "--resume")
    assert status == 0 and "1 done, 5 skipped" in err, err
    assert len(sf.read(out / "spk0-long0-0.wav")[0]) == 2 * 8000


def test_a_bad_segment_fails_alone(kaldi_dir, tmp_path, channel_only):
    with open(kaldi_dir / "segments", "a") as f:
        f.write("spk1-long1-9 long1 12.0 13.0\n")
    out = tmp_path / "out"
    status, _, err = run_cli("run", channel_only, kaldi_dir, "-o", out, "--workers", "1")
    assert status == 1
    assert "train:spk1-long1-9" in err and "after the recording's end" in err
    (failure,) = [json.loads(x) for x in (out / "failures.jsonl").read_text().splitlines()]
    assert failure["source"].endswith("train:spk1-long1-9")
    corpus, _ = read_corpus(out / "train")
    assert len(corpus.utterances) == 6  # the output manifest lists the utterances done


def test_piped_commands_need_allow_commands(kaldi_dir, tmp_path, channel_only):
    scp = kaldi_dir / "wav.scp"
    scp.write_text(scp.read_text().replace(f"long0 {tmp_path}", f"long0 cat {tmp_path}"))
    lines = scp.read_text().splitlines()
    scp.write_text(f"{lines[0]} |\n{lines[1]}\n")
    out = tmp_path / "out"
    status, _, err = run_cli("run", channel_only, kaldi_dir, "-o", out)
    assert status == 1
    assert "train/wav.scp:1: recording 'long0' is a piped command" in err
    assert "--allow-commands" in err and not out.exists()  # refused: nothing written
    status, _, err = run_cli("run", channel_only, kaldi_dir, "-o", out, "--allow-commands")
    assert status == 0, err
    assert len(sf.read(out / "spk0-long0-1.wav")[0]) == int(1.75 * 8000)


@pytest.mark.parametrize("fmt", ["nemo", "lhotse", "hf"])
def test_convert_and_run_keep_the_format(kaldi_dir, tmp_path, fmt, channel_only):
    if fmt == "hf":
        pytest.importorskip("datasets", reason="needs the datasets package (speechtext[hf])")
    target = tmp_path / ("train.json" if fmt == "nemo" else "train")
    target = target.with_name(f"converted-{target.name}")
    status, _, err = run_cli("convert", kaldi_dir, target, "--to", fmt)
    assert status == 0 and "6 utterances of 2 recordings, kaldi -> " + fmt in err, err
    back = tmp_path / "back"
    write_corpus(read_corpus(target)[0], back, "kaldi")
    for name in ("wav.scp", "segments", "text", "utt2spk"):  # byte for byte
        assert (back / name).read_text() == (kaldi_dir / name).read_text()
    out = tmp_path / "out"
    status, _, err = run_cli("run", channel_only, target, "-o", out, "--workers", "1")
    assert status == 0, err
    corpus, got = read_corpus(out / target.name)
    assert got == fmt and len(corpus.utterances) == 6
    resolved = corpus.resolved()
    assert [u.duration for u in resolved.utterances][:2] == [1.75, 1.75]


def test_convert_refuses_to_overwrite_its_input(kaldi_dir):
    status, _, err = run_cli("convert", kaldi_dir, kaldi_dir, "--to", "kaldi")
    assert status == 1 and "would overwrite an input" in err


def test_run_over_librispeech_segments(speech_dir, tmp_path, channel_only):
    """Real recordings (Ogg Vorbis): each cut in two halves, by seeking."""
    kd = tmp_path / "libri"
    kd.mkdir()
    scp, segs, text = [], [], []
    for path in sorted(speech_dir.glob("*.hq.ogg")):
        rec = path.name.split(".")[0]
        half = round(sf.info(path).duration / 2, 2)
        scp.append(f"{rec} {path}")
        segs += [f"{rec}-a {rec} 0 {half}", f"{rec}-b {rec} {half} -1"]
        words = path.with_name(f"{rec}.txt").read_text().split()
        text += [f"{rec}-a {' '.join(words[:5])}", f"{rec}-b {' '.join(words[5:10])}"]
    for name, lines in (("wav.scp", scp), ("segments", segs), ("text", text)):
        (kd / name).write_text("\n".join(lines) + "\n")
    shutil.copytree(kd, tmp_path / "copy")
    out = tmp_path / "out"
    status, _, err = run_cli("run", channel_only, kd, "-o", out, "--workers", "2")
    assert status == 0, err
    for path in sorted(speech_dir.glob("*.hq.ogg")):
        rec = path.name.split(".")[0]
        frames = sum(sf.info(out / f"{rec}-{h}.wav").frames for h in "ab")
        assert abs(frames - sf.info(path).duration * 8000) <= 2
    for name in ("wav.scp", "segments", "text"):  # the input is never modified
        assert (kd / name).read_bytes() == (tmp_path / "copy" / name).read_bytes()


def test_outputs_never_overwrite_the_recordings(kaldi_dir, tmp_path, channel_only):
    kd = tmp_path / "sub" / "whole"
    kd.mkdir(parents=True)
    shutil.copy(kaldi_dir / "wav.scp", kd / "wav.scp")  # no segments: ids are the recordings'
    before = (tmp_path / "long0.wav").read_bytes()
    status, _, err = run_cli("run", channel_only, kd, "-o", tmp_path, "--workers", "1")
    assert status == 1
    assert "long0.wav would overwrite a recording of the manifest" in err
    assert (tmp_path / "long0.wav").read_bytes() == before


def test_text_stages_read_the_manifest_text(tmp_path):
    from speechtext.pipeline import run_pipeline

    spec = tmp_path / "g2p.toml"
    spec.write_text('[[stage]]\nname = "g2p"\n')
    manifest = tmp_path / "calls.jsonl"
    rows = [
        {"audio_filepath": "missing.wav", "duration": 1.0, "id": "a", "text": "call home"},
        {"audio_filepath": "missing.wav", "offset": 1.0, "duration": 1.0, "id": "b"},
    ]
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = run_pipeline(spec, [manifest], tmp_path / "out")
    assert result.exit_status == 1  # b has no text; the audio is never read
    assert (tmp_path / "out" / "a.phones.txt").read_text() == "K AO1 L | HH OW1 M\n"
    ((source, message),) = result.batch.failed
    assert source.endswith("calls.jsonl:b") and "has no text in the manifest" in message
    (entry,) = [json.loads(x) for x in (tmp_path / "out" / "calls.jsonl").read_text().split("\n")
                if x]  # fmt: skip
    assert entry["id"] == "a" and entry["text"] == "call home"
