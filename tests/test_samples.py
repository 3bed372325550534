"""The sample data in data/samples: every wav has its transcript and gold tags, all consistent."""

import importlib.util
import re
from pathlib import Path

import pytest

from speechtext.io import audio_info
from speechtext.io.conll import check_tags, read_sentences
from speechtext.tags import repair_iob2

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"


def _stems(suffix):
    return sorted(p.stem for p in SAMPLES.glob(f"*{suffix}"))


@pytest.fixture(scope="module")
def gold():
    return read_sentences(SAMPLES / "gold.conll")


def test_every_wav_has_a_transcript_and_tags():
    wavs = _stems(".wav")
    assert 8 <= len(wavs) <= 12
    assert _stems(".txt") == wavs
    assert _stems(".tags") == wavs


def test_transcripts_are_lowercase_space_separated_tokens():
    for stem in _stems(".txt"):
        text = (SAMPLES / f"{stem}.txt").read_text(encoding="utf-8")
        assert text.endswith("\n") and text.count("\n") == 1, stem
        line = text[:-1]
        assert re.fullmatch(r"[a-z0-9']+( [a-z0-9']+)*", line), f"{stem}.txt: {line!r}"


def test_gold_conll_has_one_sentence_per_stem_in_sorted_order(gold):
    stems = _stems(".txt")
    assert len(gold) == len(stems)
    for stem, sentence in zip(stems, gold, strict=True):
        tokens = (SAMPLES / f"{stem}.txt").read_text(encoding="utf-8").split()
        tags = (SAMPLES / f"{stem}.tags").read_text(encoding="utf-8").split()
        assert sentence.tokens == tokens, stem
        assert sentence.tags == tags, stem
        assert len(tags) == len(tokens), stem


def test_gold_tags_are_valid_iob2(gold):
    check_tags(gold, scheme="IOB2")
    for sentence in gold:
        # Every I-x continues an x entity: nothing for conlleval to repair.
        assert repair_iob2(sentence.tags)[1] == [], sentence.where()
        assert any(t != "O" for t in sentence.tags), sentence.where()


def test_wavs_are_short_mono_pcm16_and_the_folder_is_small():
    for stem in _stems(".wav"):
        info = audio_info(SAMPLES / f"{stem}.wav")
        assert info.channels == 1, stem
        assert info.sr in (16000, 22050), stem
        assert info.subtype == "PCM_16", stem
        assert 1.0 < info.duration < 6.0, stem
    assert sum(p.stat().st_size for p in SAMPLES.iterdir()) < 1_500_000


def test_make_samples_script_and_readme_match_the_files():
    spec = importlib.util.spec_from_file_location("make_samples", ROOT / "data" / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert sorted(module.SAMPLES) == _stems(".wav")
    readme = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    for stem, (text, tags, *_) in module.SAMPLES.items():
        assert (SAMPLES / f"{stem}.txt").read_text(encoding="utf-8") == text + "\n"
        assert (SAMPLES / f"{stem}.tags").read_text(encoding="utf-8").split() == tags.split()
        assert f"| {stem} | {text} |" in readme
    assert ", ".join(_stems(".wav")) in readme.replace("\n", " ")
