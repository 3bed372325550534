"""Slot tagger: a SNIPS slice, decoding, confidences, selection, model files, CLI, bad input."""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from speechtext.cli import main
from speechtext.errors import FormatError, NotFittedError, ParameterError
from speechtext.io.conll import Sentence, read_sentences, write_conll
from speechtext.tagging import SlotTagger
from speechtext.tags import repair_iob2

N_TRAIN = 1200
ITERATIONS = 8


def _valid_iob2(tags):
    prev = "O"
    for tag in tags:
        if tag.startswith("I-") and prev[2:] != tag[2:]:
            return False
        prev = tag
    return True


@pytest.fixture(scope="module")
def snips(snips_dir):
    train = read_sentences(snips_dir / "train")[:N_TRAIN]
    valid = read_sentences(snips_dir / "valid")[:150]
    test = read_sentences(snips_dir / "test")[:200]
    return train, valid, test


@pytest.fixture(scope="module")
def tagger(snips):
    train, valid, _ = snips
    return SlotTagger(iterations=ITERATIONS).fit(
        [s.tokens for s in train],
        [s.tags for s in train],
        dev=([s.tokens for s in valid], [s.tags for s in valid]),
    )


def test_learns_snips_slots(tagger, snips):
    from seqeval.metrics import f1_score

    _, _, test = snips
    pred = tagger.predict([s.tokens for s in test])
    assert all(_valid_iob2(p) for p in pred)
    assert tagger.predict([[]]) == [[]] and tagger.predict([]) == []
    # 1,200 sentences and 8 epochs already tag most slots right.
    assert f1_score([s.tags for s in test], pred) > 0.75
    assert 0.0 < tagger.dev_f1_ <= 1.0
    assert 0.25 <= tagger.temperature_ <= 4.0


def test_dev_f1_is_seqeval_default_mode_f1(tagger, snips):
    from seqeval.metrics import f1_score

    _, valid, _ = snips
    pred = tagger.predict([s.tokens for s in valid])
    assert tagger.dev_f1_ == float(f1_score([s.tags for s in valid], pred))


def test_scikit_learn_clone_and_params():
    from sklearn.base import clone
    from sklearn.model_selection import ParameterGrid

    features = {"window": 2}
    tagger = SlotTagger(algorithm="lbfgs", c1=0.2, iterations=3, features=features)
    copy = clone(tagger)
    assert copy is not tagger and copy.get_params() == tagger.get_params()
    assert copy.features == features and copy.features is not features  # deep-copied
    assert not hasattr(copy, "labels_")
    assert list(tagger.get_params()) == [
        "algorithm",
        "c1",
        "c2",
        "iterations",
        "min_freq",
        "features",
        "calibrate",
        "intent_c",
        "networks",
        "network_settings",
    ]
    grid = [clone(tagger).set_params(**p) for p in ParameterGrid({"c2": [0.01, 0.1]})]
    assert [t.c2 for t in grid] == [0.01, 0.1] and tagger.c2 == 0.1
    with pytest.raises(ParameterError, match="'c3': not a SlotTagger parameter"):
        tagger.set_params(c3=1.0)
    assert tagger.get_params()["c1"] == 0.2


def test_trained_tagger_clones_unfitted(tagger):
    from sklearn.base import clone

    copy = clone(tagger)
    assert copy.get_params() == tagger.get_params()
    with pytest.raises(NotFittedError):
        copy.predict([["a"]])


def test_importing_the_package_loads_no_numpy():
    code = (
        "import sys, speechtext.tagging as t; t.SlotTagger(); "
        "print(sorted({'numpy', 'pycrfsuite', 'sklearn', 'seqeval'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_numpy_decoding_equals_crfsuite(tagger, snips):
    import pycrfsuite

    from speechtext.decode import forward_backward, viterbi_batch

    _, _, test = snips
    tokens = [s.tokens for s in test[:60]]
    crf = pycrfsuite.Tagger()
    crf.open_inmemory(tagger.crf_)
    ems = tagger._emissions(tokens, temperature=1.0)
    ours = viterbi_batch(ems, tagger.transitions_, normalize=False)
    for words, (labels, _) in zip(tokens, ours, strict=True):
        assert [tagger.labels_[j] for j in labels] == crf.tag(tagger.featurizer_.features(words))
    alpha, beta, log_z = forward_backward(ems[0], tagger.transitions_)
    crf.set(tagger.featurizer_.features(tokens[0]))
    expected = [[crf.marginal(y, t) for y in tagger.labels_] for t in range(len(tokens[0]))]
    np.testing.assert_allclose(np.exp(alpha + beta - log_z), expected, atol=1e-6)


def test_nbest_marginals_and_entity_confidences(tagger, snips):
    _, _, test = snips
    tokens = [s.tokens for s in test[:40]]
    best = tagger.predict(tokens)
    nbest = tagger.predict_nbest(tokens, 64, beam=64)
    marginals = tagger.marginals(tokens)
    confidences = tagger.entity_confidences(tokens)
    for words, top, nb, marg, ents in zip(tokens, best, nbest, marginals, confidences, strict=True):
        assert nb[0][0] == top
        probs = np.exp([lp for _, lp in nb])
        assert np.all(np.diff(probs) <= 1e-12) and probs.sum() <= 1 + 1e-9
        assert all(_valid_iob2(tags) for tags, _ in nb)
        np.testing.assert_allclose(marg.sum(axis=1), 1.0)
        assert marg.shape == (len(words), len(tagger.labels_))
        # An entity's posterior is at least the N-best mass holding it, and at most that plus
        # the mass the N-best list misses.
        missing = 1.0 - probs.sum()
        for start, end, kind, p in ents:
            held = sum(
                prob
                for (tags, _), prob in zip(nb, probs, strict=True)
                if tags[start] == f"B-{kind}"
                and all(t == f"I-{kind}" for t in tags[start + 1 : end])
                and (end == len(tags) or tags[end] != f"I-{kind}")
            )
            assert held - 1e-9 <= p <= held + missing + 1e-9


def test_nbest_is_exact_and_starts_with_viterbi_on_every_snips_test_sentence(tagger, snips_dir):
    # Beam search (beam 8, the former decoder) put a worse sequence first on 17 of these 700.
    from speechtext.decode import beam_search_batch, viterbi_batch

    tokens = [s.tokens for s in read_sentences(snips_dir / "test")]
    best = tagger.predict(tokens)
    nbest = tagger.predict_nbest(tokens, 4)
    ems, trans = tagger.lattices(tokens)
    vit = viterbi_batch(ems, trans, allowed=tagger.allowed_)
    wide = beam_search_batch(ems, trans, beam=64, nbest=4, allowed=tagger.allowed_)
    for top, nb, (_, logprob), by_beam in zip(best, nbest, vit, wide, strict=True):
        assert nb[0] == (top, logprob)
        assert len({tuple(tags) for tags, _ in nb}) == len(nb) == len(by_beam)
        # rank for rank, never below what a beam finds
        assert all(a >= b - 1e-9 for (_, a), (_, b) in zip(nb, by_beam, strict=True))
        assert all(_valid_iob2(tags) for tags, _ in nb)


def test_token_scores_follow_entities(tagger, snips):
    _, _, test = snips
    tokens = [s.tokens for s in test[:20]]
    tags, scores = tagger.token_scores(tokens)
    o = tagger.labels_.index("O")
    marginals = tagger.marginals(tokens)
    for labels, row, ents, marg in zip(
        tags, scores, tagger.entity_confidences(tokens), marginals, strict=True
    ):
        for start, end, _, p in ents:
            assert row[start:end] == [p] * (end - start)
        for k, label in enumerate(labels):
            assert 0.0 <= row[k] <= 1.0 + 1e-12
            if label == "O":
                assert row[k] == pytest.approx(marg[k, o])


def test_select_most_uncertain_first(tagger, snips):
    _, _, test = snips
    pool = [s.tokens for s in test[:80]]
    for by in ("least-confidence", "margin", "entropy"):
        scores = tagger.uncertainty(pool, by=by)
        chosen = tagger.select(pool, 5, by=by)
        assert len(chosen) == 5
        assert list(scores[chosen]) == sorted(scores, reverse=True)[:5]
        assert tagger.most_uncertain(pool, 5, by=by) == [(i, scores[i]) for i in chosen]
    with pytest.raises(ParameterError, match="by='random'"):
        tagger.select(pool, 5, by="random")


def test_save_load_round_trip(tagger, snips, tmp_path):
    _, _, test = snips
    tokens = [s.tokens for s in test[:30]]
    path = tmp_path / "snips.tagger"
    tagger.save(path)
    loaded = SlotTagger.load(path)
    assert loaded.predict(tokens) == tagger.predict(tokens)
    assert loaded.temperature_ == tagger.temperature_
    np.testing.assert_allclose(loaded.marginals(tokens)[0], tagger.marginals(tokens)[0])


def test_load_rejects_other_files(tagger, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a model\n")
    with pytest.raises(FormatError, match="not a speechtext slot-tagger model"):
        SlotTagger.load(text)
    with pytest.raises(FormatError, match="no such model file"):
        SlotTagger.load(tmp_path / "missing.tagger")
    # A model of another version: same container, other version number.
    good = tmp_path / "good.tagger"
    tagger.save(good)
    with zipfile.ZipFile(good) as z:
        meta = json.loads(z.read("tagger.json"))
        crf = z.read("model.crfsuite")
    meta["version"] = 99
    other = tmp_path / "other.tagger"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("tagger.json", json.dumps(meta))
        z.writestr("model.crfsuite", crf)
    with pytest.raises(FormatError, match="version 99.*reads version 2"):
        SlotTagger.load(other)
    meta["version"] = 2
    damaged = tmp_path / "damaged.tagger"
    with zipfile.ZipFile(damaged, "w") as z:
        z.writestr("tagger.json", json.dumps(meta))
        z.writestr("model.crfsuite", b"not a crfsuite model")
    with pytest.raises(FormatError, match=r"damaged model file .*damaged.tagger \(no checksums"):
        SlotTagger.load(damaged)


def test_bad_training_input():
    tagger = SlotTagger(iterations=2)
    with pytest.raises(ParameterError, match=r"sentences\[1\]: 2 tokens but 1 tags"):
        tagger.fit([["a"], ["b", "c"]], [["O"], ["O"]])
    with pytest.raises(FormatError, match=r"sentences\[0\], token 1: invalid tag 'X-city'"):
        tagger.fit([["to", "paris"]], [["O", "X-city"]])
    with pytest.raises(ParameterError, match=r"sentences\[1\] is empty"):
        tagger.fit([["a"], []], [["O"], []])
    with pytest.raises(ParameterError, match="iterations=0"):
        SlotTagger(iterations=0).fit([["a"]], [["O"]])
    with pytest.raises(NotFittedError):
        SlotTagger().predict([["a"]])


def test_stray_inside_tag_repaired_with_warning():
    assert repair_iob2(["O", "I-city", "I-city"]) == (["O", "B-city", "I-city"], [1])
    tokens = [["fly", "to", "paris"], ["to", "rome"]] * 5
    tags = [["O", "O", "I-city"], ["O", "B-city"]] * 5
    with pytest.warns(UserWarning, match="5 sentences have an I- tag.*sentence 0, token 2"):
        tagger = SlotTagger(iterations=5).fit(tokens, tags)
    assert "I-city" not in tagger.labels_ or tagger.predict([["to", "paris"]])[0][1] != "I-city"


# --- CLI -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_model(snips, tmp_path_factory):
    train, valid, _ = snips
    folder = tmp_path_factory.mktemp("cli")
    write_conll(folder / "train.conll", train[:600])
    write_conll(folder / "dev.conll", valid[:50])
    model = folder / "model.tagger"
    status = main(
        [
            "tag",
            "train",
            str(folder / "train.conll"),
            "--dev",
            str(folder / "dev.conll"),
            "--iterations",
            "5",
            "-o",
            str(model),
        ]
    )
    assert status == 0
    return model


def test_cli_predict_with_nbest(cli_model, snips, tmp_path):
    _, _, test = snips
    data = tmp_path / "test"
    data.mkdir()
    (data / "seq.in").write_text("".join(" ".join(s.tokens) + "\n" for s in test[:25]))
    (data / "seq.out").write_text("".join(" ".join(s.tags) + "\n" for s in test[:25]))
    out = tmp_path / "pred.conll"
    assert main(["tag", "predict", str(cli_model), str(data), "-o", str(out), "--nbest", "3"]) == 0
    pred = read_sentences(out)
    assert [s.tokens for s in pred] == [s.tokens for s in test[:25]]
    assert all(s.scores is not None and all(0 <= x <= 1 for x in s.scores) for s in pred)
    records = [json.loads(line) for line in Path(f"{out}.nbest.jsonl").read_text().splitlines()]
    assert len(records) == 25
    assert records[0]["id"] == 0 and records[0]["tokens"] == test[0].tokens
    assert records[0]["nbest"][0]["tags"] == pred[0].tags
    assert 1 <= len(records[0]["nbest"]) <= 3


def test_cli_predict_conll_and_nbest_agree_on_every_snips_test_sentence(
    cli_model, snips_dir, tmp_path
):
    # With beam search (--beam 8) the first N-best entry differed from the CoNLL tags on 21.
    out = tmp_path / "pred.conll"
    data = snips_dir / "test"
    assert main(["tag", "predict", str(cli_model), str(data), "-o", str(out), "--nbest", "4"]) == 0
    pred = read_sentences(out)
    records = [json.loads(line) for line in Path(f"{out}.nbest.jsonl").read_text().splitlines()]
    assert len(pred) == len(records) == 700
    assert [r["nbest"][0]["tags"] for r in records] == [s.tags for s in pred]


def test_cli_select_console_script(cli_model, snips, tmp_path):
    _, _, test = snips
    pool = tmp_path / "pool.txt"
    pool.write_text("".join(" ".join(s.tokens) + "\n" for s in test[:40]))
    script = Path(sys.executable).parent / "speechtext"
    result = subprocess.run(
        [str(script), "tag", "select", str(cli_model), str(pool), "-n", "4", "--by", "margin"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert len(rows) == 4
    scores = [float(r[0]) for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert rows[0][1].startswith(f"{pool}:")


def test_cli_bad_inputs(cli_model, tmp_path, capsys):
    empty = tmp_path / "empty.conll"
    empty.write_text("\n\n")
    assert main(["tag", "train", str(empty), "-o", str(tmp_path / "m")]) == 1
    assert "empty file" in capsys.readouterr().err

    mismatch = tmp_path / "mismatch"
    mismatch.mkdir()
    (mismatch / "seq.in").write_text("fly to paris\nto rome\n")
    (mismatch / "seq.out").write_text("O O B-city\nO\n")
    assert main(["tag", "train", str(mismatch), "-o", str(tmp_path / "m")]) == 1
    assert f"{mismatch / 'seq.in'}:2: 2 tokens" in capsys.readouterr().err

    bad_tag = tmp_path / "bad.conll"
    bad_tag.write_text("fly\tO\nto\tO\nparis\tX-city\n")
    assert main(["tag", "train", str(bad_tag), "-o", str(tmp_path / "m")]) == 1
    assert f"{bad_tag}:3: invalid tag 'X-city'" in capsys.readouterr().err

    unlabeled = tmp_path / "plain.txt"
    unlabeled.write_text("fly to paris\n")
    assert main(["tag", "train", str(unlabeled), "-o", str(tmp_path / "m")]) == 1
    assert "has no tags" in capsys.readouterr().err

    assert main(["tag", "predict", str(unlabeled), str(unlabeled), "-o", str(tmp_path / "o")]) == 1
    assert "not a speechtext slot-tagger model" in capsys.readouterr().err


def test_cli_train_repairs_stray_inside_tags(tmp_path, capsys):
    data = tmp_path / "stray.conll"
    data.write_text("fly\tO\nto\tO\nparis\tI-city\n\nto\tO\nrome\tB-city\n\n")
    assert main(["tag", "train", str(data), "--iterations", "3", "-o", str(tmp_path / "m")]) == 0
    err = capsys.readouterr().err
    assert f"{data}:3: an I- tag that does not continue an entity" in err


def test_cli_decode(tmp_path):
    rng = np.random.default_rng(0)
    labels = ["O", "B-city", "I-city", "B-date", "I-date"]
    (tmp_path / "labels.txt").write_text("\n".join(labels) + "\n")
    arrays = {f"emissions_{k}": rng.normal(size=(t, 5)) for k, t in enumerate([3, 5, 1, 4])}
    arrays["transitions"] = rng.normal(size=(5, 5))
    np.savez(tmp_path / "scores.npz", **arrays)
    out = tmp_path / "out.jsonl"
    args = ["decode", str(tmp_path / "scores.npz"), "--labels", str(tmp_path / "labels.txt")]
    assert main([*args, "--nbest", "4", "--beam", "8", "-o", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in records] == [f"emissions_{k}" for k in range(4)]
    assert [len(r["nbest"][0]["tags"]) for r in records] == [3, 5, 1, 4]
    for r in records:
        assert all(_valid_iob2(h["tags"]) for h in r["nbest"])
    assert main([*args, "-o", str(tmp_path / "best.jsonl")]) == 0
    best = [json.loads(line) for line in (tmp_path / "best.jsonl").read_text().splitlines()]
    assert [b["nbest"][0] for b in best] == [r["nbest"][0] for r in records]


def test_cli_decode_bad_inputs(tmp_path, capsys):
    (tmp_path / "labels.txt").write_text("O\nB-city\nE-city\n")
    np.savez(tmp_path / "scores.npz", emissions_0=np.zeros((2, 3)))
    args = ["decode", str(tmp_path / "scores.npz"), "-o", str(tmp_path / "o.jsonl")]
    assert main([*args, "--labels", str(tmp_path / "labels.txt")]) == 1
    assert "labels.txt:3: invalid tag 'E-city' for the IOB2 scheme" in capsys.readouterr().err
    (tmp_path / "labels.txt").write_text("O\nB-city\n")
    assert main([*args, "--labels", str(tmp_path / "labels.txt")]) == 1
    assert "emissions_0 has shape (2, 3); expected [T, 2]" in capsys.readouterr().err
    (tmp_path / "junk.npz").write_text("junk")
    junk = ["decode", str(tmp_path / "junk.npz"), "--labels", str(tmp_path / "labels.txt")]
    assert main([*junk, "-o", str(tmp_path / "o.jsonl")]) == 1
    assert "not a numpy .npz archive" in capsys.readouterr().err


def test_public_names():
    import speechtext

    assert speechtext.SlotTagger is SlotTagger
    assert callable(speechtext.beam_search) and callable(speechtext.viterbi)
    assert Sentence  # the CoNLL layer is the one the CLI reads and writes through
