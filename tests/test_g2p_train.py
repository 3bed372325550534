"""The trainable G2P: lexicon files, EM alignment, training, N-best probabilities, the CLI.

Most tests train on a made-up language built here: words spelled from graphemes with a fixed
reading (``sh`` -> SH, ``ee`` -> IY1, a silent final ``e`` ...), so what a model should learn
is known exactly.
"""

import random

import numpy as np
import pytest
from clitools import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from speechtext.errors import FormatError
from speechtext.g2p import G2P
from speechtext.g2p.graphone import Alignment, load_graphone_model
from speechtext.g2p.train import train_graphone_model
from speechtext.io.lexicon import read_pronunciations

# grapheme -> phones of the made-up language (onsets, vowels, codas)
ONSETS = {"sh": ["SH"], "ch": ["CH"], "th": ["TH"], "b": ["B"], "d": ["D"], "k": ["K"],
          "m": ["M"], "n": ["N"], "p": ["P"], "r": ["R"], "s": ["S"], "t": ["T"], "v": ["V"],
          "l": ["L"], "ph": ["F"], "qu": ["K", "W"]}  # fmt: skip
VOWELS = {"a": ["AE1"], "ee": ["IY1"], "o": ["AA1"], "oo": ["UW1"], "u": ["AH1"], "i": ["IH1"],
          "ai": ["EY1"], "igh": ["AY1"]}  # fmt: skip
CODAS = {"": [], "t": ["T"], "x": ["K", "S"], "ck": ["K"], "ng": ["NG"], "ll": ["L"], "m": ["M"]}


def made_up_word(rng):
    """A word of 1-3 syllables and its pronunciation (the second syllable unstressed)."""
    letters, phones = [], []
    for k in range(rng.randint(1, 3)):
        onset, vowel, coda = (rng.choice(sorted(t)) for t in (ONSETS, VOWELS, CODAS))
        letters += [onset, vowel, coda]
        vp = VOWELS[vowel][0] if k == 0 else VOWELS[vowel][0][:-1] + "0"
        phones += ONSETS[onset] + [vp] + CODAS[coda]
    return "".join(letters), tuple(phones)


def made_up_lexicon(n, seed):
    rng = random.Random(seed)
    lexicon = {}
    while len(lexicon) < n:
        word, phones = made_up_word(rng)
        lexicon.setdefault(word, phones)
    return list(lexicon.items())  # in the seeded order: train and test words alike


@pytest.fixture(scope="module")
def lexicon():
    return made_up_lexicon(3000, seed=1)


@pytest.fixture(scope="module")
def model(lexicon):
    return train_graphone_model(lexicon[:2700], dev=lexicon[2700:2850], seed=0)


# ------------------------------------------------------------------------------ lexicon files


def test_cmudict_and_tsv_formats(tmp_path):
    path = tmp_path / "lex.dict"
    path.write_text(
        ";;; a comment line\n"
        "READ  R IY1 D\n"
        "READ(2)  R EH1 D\n"
        "tomato T AH0 M EY1 T OW2 # the usual one\n"
        "\n"
        "straße\tʃ t ʁ aː s ə\n",
        encoding="utf-8",
    )
    assert read_pronunciations(path) == [
        ("read", ("R", "IY1", "D")),
        ("read", ("R", "EH1", "D")),
        ("tomato", ("T", "AH0", "M", "EY1", "T", "OW2")),
        ("straße", ("ʃ", "t", "ʁ", "aː", "s", "ə")),
    ]


@pytest.mark.parametrize(
    "text, line, what",
    [
        ("HELLO HH AH0\nWORLD\n", 2, "no phones"),
        ("a\tb\tc\n", 1, "2 tabs"),
        (";;; only\n", None, "no pronunciations"),
    ],
)
def test_bad_lexicon_lines_are_named(tmp_path, text, line, what):
    path = tmp_path / "bad.dict"
    path.write_text(text)
    with pytest.raises(FormatError, match=what) as err:
        read_pronunciations(path)
    assert str(path) + (f":{line}" if line else "") in str(err.value)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.from_regex(r"[a-z][a-z'\-]{0,11}", fullmatch=True),
            st.lists(st.sampled_from(["AA1", "B", "K", "IY0", "ʃ", "aː"]), min_size=1, max_size=6),
        ),
        min_size=1,
        max_size=20,
    ),
    st.booleans(),
)
def test_lexicon_round_trip(tmp_path_factory, entries, tsv):
    path = tmp_path_factory.mktemp("lex") / "x.dict"
    sep = "\t" if tsv else "  "
    path.write_text("".join(f"{w}{sep}{' '.join(p)}\n" for w, p in entries), encoding="utf-8")
    assert read_pronunciations(path) == [(w, tuple(p)) for w, p in entries]


# ------------------------------------------------------------------------------ alignment


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6))
def test_alignment_spells_the_word_and_its_phones(model, seed):
    word, phones = made_up_word(random.Random(seed))
    cut = model.align(word, phones)
    assert "".join(chunk for chunk, _ in cut) == word
    assert tuple(p for _, ps in cut for p in ps) == phones


def test_alignment_finds_the_graphemes(model):
    assert str(model.align("thoock", ["TH", "UW1", "K"])) == "th|oo|ck -> TH|UW1|K"
    assert str(model.align("phaix", ["F", "EY1", "K", "S"])) == "ph|ai|x -> F|EY1|K S"


def test_silent_letters_join_the_grapheme_before():
    from speechtext.g2p.graphone import _merged

    cut = _merged([("w", ("W",)), ("ei", ("EY1",)), ("gh", ()), ("t", ("T",))])
    assert isinstance(cut, Alignment) and str(cut) == "w|eigh|t -> W|EY1|T"
    assert str(_merged([("h", ()), ("o", ("AA1",)), ("ur", ("ER0",))])) == "ho|ur -> AA1|ER0"


def test_shipped_model_aligns_dictionary_words():
    g2p = G2P(model="cmudict")
    assert [str(a[0]) for a in g2p.align(["weight", "shop"])] == [
        "w|eigh|t -> W|EY1|T",
        "sh|o|p -> SH|AA1|P",
    ]


# ------------------------------------------------------------------------------ training


def test_trained_model_reads_unseen_words(model, lexicon):
    unseen = lexicon[2850:]
    results = model.nbest([w for w, _ in unseen], nbest=5)
    right = sum(r[0][0] == p for r, (_, p) in zip(results, unseen, strict=True))
    in_five = sum(any(h[0] == p for h in r) for r, (_, p) in zip(results, unseen, strict=True))
    assert right / len(unseen) >= 0.9  # the made-up spelling is regular
    assert in_five / len(unseen) >= 0.97
    assert model.info["order"] in (5, 6, 7, 8) and model.info["skipped"] == 0


def test_nbest_probabilities(model, lexicon):
    results = model.nbest([w for w, _ in lexicon[2850:2950]], nbest=5)
    for hyps in results:
        probs = [p for _, p, _ in hyps]
        assert all(0 < p <= 1 for p in probs)
        assert sum(probs) <= 1 + 1e-9
        assert probs == sorted(probs, reverse=True)
        assert len({phones for phones, _, _ in hyps}) == len(hyps)  # each pronunciation once


def test_model_file_round_trip_and_damage(model, tmp_path, lexicon):
    path = tmp_path / "m.g2p"
    model.save(path)
    again = load_graphone_model(path)
    words = [w for w, _ in lexicon[2850:2900]]
    for ours, theirs in zip(again.nbest(words, nbest=3), model.nbest(words, nbest=3), strict=True):
        assert [h[0] for h in ours] == [h[0] for h in theirs]
        assert [h[1] for h in ours] == pytest.approx([h[1] for h in theirs])
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / "bad.g2p").write_bytes(bytes(data))
    with pytest.raises(FormatError, match="bad.g2p"):
        load_graphone_model(tmp_path / "bad.g2p")
    with pytest.raises(FormatError, match="lexicon.txt"):
        (tmp_path / "lexicon.txt").write_text("HELLO HH AH0 L OW1\n")
        load_graphone_model(tmp_path / "lexicon.txt")


def test_g2p_with_a_trained_model(model, tmp_path):
    path = tmp_path / "m.g2p"
    model.save(path)
    g2p = G2P(model=path, model_only=True, nbest=3)
    (prons,) = g2p.nbest_words(["shigh"])
    assert prons[0].phones == ("SH", "AY1") and prons[0].source == "model"
    assert sum(np.exp(p.logprob) for p in prons) <= 1 + 1e-9
    # dictionary words with a trained model: dictionary first, scores on one scale
    (prons,) = G2P(model=path, nbest=3).nbest_words(["the"])
    assert prons[0].source == "dict"


def test_plain_python_and_numba_kernels_agree(model, lexicon, monkeypatch):
    """The first words of a process are decoded in plain Python, later ones by numba: the same
    pronunciations, probabilities and cuts."""
    import sys

    import speechtext.g2p.graphone as graphone

    words = [w for w, _ in lexicon[2850:2890]] + ["sh9igh", "x"]
    monkeypatch.setattr(graphone, "_python_words_left", 0)
    compiled = model.nbest(words, nbest=3)
    monkeypatch.setattr(graphone, "_python_words_left", 10**6)
    monkeypatch.delitem(sys.modules, "speechtext.g2p.decoder", raising=False)
    plain = model.nbest(words, nbest=3)
    for a, b in zip(compiled, plain, strict=True):
        assert [(h[0], str(h[2])) for h in a] == [(h[0], str(h[2])) for h in b]
        assert [h[1] for h in a] == pytest.approx([h[1] for h in b], abs=1e-12)


def test_mapped_copy_in_the_cache(model, tmp_path, lexicon, monkeypatch):
    import speechtext.g2p.graphone as graphone

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = tmp_path / "m.g2p"
    model.save(path)
    words = [w for w, _ in lexicon[2850:2870]]
    first = load_graphone_model(path).nbest(words, nbest=3)  # decompressed, copy written
    (copy,) = (tmp_path / "cache" / "speechtext" / "g2p").glob("m.g2p-*.mapped")
    again = load_graphone_model(path)  # mapped
    assert again.forward.verify is not None
    monkeypatch.setattr(graphone, "_python_words_left", 0)  # numba: the copy checked first
    assert [[h[0] for h in r] for r in again.nbest(words, nbest=3)] == [
        [h[0] for h in r] for r in first
    ]
    assert again.forward.verify is None
    # a damaged copy: refused (named) before numba reads it, and removed
    data = bytearray(copy.read_bytes())
    data[-100] ^= 0xFF
    copy.write_bytes(bytes(data))
    with pytest.raises(FormatError, match="mapped"):
        load_graphone_model(path).nbest(words, nbest=3)
    assert not copy.exists()
    # a cut copy is not mapped: the model file is read again
    load_graphone_model(path)
    copy.write_bytes(copy.read_bytes()[:-10])
    assert load_graphone_model(path).forward.verify is None
    assert load_graphone_model(path).forward.verify is not None  # rewritten


def test_first_words_of_a_process_need_no_numpy(model, tmp_path, lexicon):
    """A new process pronounces its first words from the model's mapped copy without importing
    numpy (half of its time to the first word), as the model itself does."""
    import os
    import subprocess
    import sys

    path = tmp_path / "m.g2p"
    model.save(path)
    words = [w for w, _ in lexicon[2850:2860]] + ["sh9igh"]
    script = (
        "import sys\n"
        "from speechtext.g2p.graphone import load_graphone_model\n"
        f"result = load_graphone_model({str(path)!r}).greedy({words!r})\n"
        "print('numpy' in sys.modules)\n"
        "print(result)\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    runs = [  # the first run decompresses the model file and writes the mapped copy
        subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
        )
        for _ in range(2)
    ]
    assert all(run.returncode == 0 for run in runs), runs[-1].stderr
    assert [run.stdout.splitlines()[0] for run in runs] == ["True", "False"]
    expected = repr(model.greedy(words))
    assert [run.stdout.splitlines()[1] for run in runs] == [expected, expected]


def test_two_directions_and_the_stress_count(model):
    assert model.info["directions"] == 2 and model.backward is not None
    assert 0 < model.weight < 1 or model.weight == 1.0
    # a primary-stress count other than 1 is penalised (every made-up word has one)
    assert model._off_stress(("SH", "AY1")) is False
    assert model._off_stress(("SH", "AY0")) is True


def test_unknown_letters_are_skipped(model):
    (hyps,) = model.nbest(["sh9igh"], nbest=1)
    assert hyps[0][0] == ("SH", "AY1")


# ------------------------------------------------------------------------------ the CLI


def test_cli_train_then_pronounce(tmp_path, lexicon):
    lex = tmp_path / "made_up.dict"
    lex.write_text(";;; made up\n" + "".join(f"{w.upper()}  {' '.join(p)}\n" for w, p in lexicon))
    out = tmp_path / "made_up.g2p"
    status, stdout, stderr = run_cli("g2p", "train", lex, "-o", out, timeout=120)
    assert status == 0, stderr
    assert "3000 entries" in stdout and out.is_file()
    status, stdout, stderr = run_cli(
        "g2p", "--model", out, "--model-only", "--words", "--align", "sheepoo", "thoock"
    )
    assert status == 0, stderr
    assert stdout.splitlines() == [
        "sheepoo\tsh|ee|p|oo -> SH|IY1|P|UW0",
        "thoock\tth|oo|ck -> TH|UW1|K",
    ]


def test_cli_train_is_only_train_with_o(tmp_path):
    status, stdout, _ = run_cli("g2p", "train", "station")
    assert status == 0 and stdout.split(" | ")[0] == "T R EY1 N"
    status, _, stderr = run_cli("g2p", "--dev", "x.dict", "hello")
    assert status == 2 and "g2p train" in stderr
    status, _, stderr = run_cli("g2p", "train", tmp_path / "missing.dict", "-o", tmp_path / "m")
    assert status == 1 and "missing.dict" in stderr
    lex = tmp_path / "lex.dict"
    lex.write_text("HELLO HH AH0 L OW1\n")
    status, _, stderr = run_cli("g2p", "train", lex, "-o", lex)
    assert status == 2 and "is an input" in stderr
    status, _, stderr = run_cli("g2p", "--model", tmp_path / "missing.g2p", "zorblatt")
    assert status == 1 and "missing.g2p" in stderr
