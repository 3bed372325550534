"""Epistemic and aleatoric uncertainty from a bootstrap ensemble, the selection strategies,
diverse batches, the ensemble file, self-training; library and CLI, on a slice of SNIPS."""

import warnings

import numpy as np
import pytest
from clitools import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from speechtext.errors import FormatError, ParameterError
from speechtext.io.conll import read_sentences, write_conll, write_seq
from speechtext.tagging import SlotTagger
from speechtext.tagging.ensemble import TaggerEnsemble, load_model
from speechtext.tagging.model_file import DamagedModelError, pack_ensemble
from speechtext.tagging.selftrain import self_train
from speechtext.tagging.uncertainty import diverse_order, select, sentence_confidence

ITERATIONS = 4


@pytest.fixture(scope="module")
def snips(snips_dir):
    train = read_sentences(snips_dir / "train")[::20][:500]  # every intent
    valid = read_sentences(snips_dir / "valid")[::5]
    pool = read_sentences(snips_dir / "train")[7::40][:150]
    return train, valid, pool


def _xyz(sentences):
    return [s.tokens for s in sentences], [s.tags for s in sentences], [s.intent for s in sentences]


@pytest.fixture(scope="module")
def ensemble(snips):
    train, valid, _ = snips
    x, y, z = _xyz(train)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rare slot types in a small slice
        return TaggerEnsemble(3, seed=1, iterations=ITERATIONS).fit(
            x, y, intents=z, dev=_xyz(valid)
        )


def test_total_is_aleatoric_plus_epistemic(ensemble, snips):
    pool = [s.tokens for s in snips[2]]
    a = ensemble.analyse(pool)
    assert (a.aleatoric >= 0).all() and (a.epistemic >= 0).all()
    np.testing.assert_allclose(a.total, a.aleatoric + a.epistemic, atol=1e-9)
    assert a.epistemic.max() > 0  # resampled members disagree somewhere
    np.testing.assert_array_equal(ensemble.uncertainty(pool, by="bald"), a.epistemic)
    # every member calibrated on dev
    assert all(m.temperature_ != 1.0 for m in ensemble.members_)


def test_identical_members_know_everything_they_can(ensemble, snips):
    """Members that agree leave no epistemic uncertainty: all of it is the model's entropy."""
    same = TaggerEnsemble.from_bytes(pack_ensemble({}, [ensemble.full_.to_bytes()] * 3))
    full = same.full_  # as saved (intent weights rounded in the file)
    pool = [s.tokens for s in snips[2]]
    a = same.analyse(pool, entities=True)
    np.testing.assert_allclose(a.epistemic, 0.0, atol=1e-9)
    intent_p = [[p for _, p in row] for row in full.predict_intent(pool, k=len(full.intents_))]
    intent_h = np.array([-sum(p * np.log(p) for p in row if p > 0) for row in intent_p])
    np.testing.assert_allclose(
        a.aleatoric, full.uncertainty(pool, by="entropy") + intent_h, rtol=1e-6, atol=1e-9
    )
    # per entity: the members' exact posterior is the tagger's own entity confidence
    for ents, conf in zip(a.entities, full.entity_confidences(pool), strict=True):
        assert [(e.start, e.end, e.kind) for e in ents] == [c[:3] for c in conf]
        np.testing.assert_allclose(
            [e.probability for e in ents], [c[3] for c in conf], rtol=1e-6, atol=1e-9
        )
        assert all(abs(e.epistemic) < 1e-9 for e in ents)


def test_entity_uncertainties(ensemble, snips):
    pool = [s.tokens for s in snips[2][:40]]
    found = ensemble.entity_uncertainties(pool)
    assert len(found) == len(pool) and any(found)
    for ents in found:
        for e in ents:
            assert 0.0 <= e.probability <= 1.0
            assert e.epistemic >= 0 and e.total + 1e-9 >= e.aleatoric


def test_ensemble_file_round_trip_and_damage(ensemble, snips, tmp_path):
    path = tmp_path / "snips.ensemble"
    ensemble.save(path)
    loaded = load_model(path)
    assert isinstance(loaded, TaggerEnsemble) and len(loaded.members_) == 3
    pool = [s.tokens for s in snips[2][:30]]
    # the file rounds the intent weights to 5 decimals
    np.testing.assert_allclose(
        loaded.analyse(pool).epistemic, ensemble.analyse(pool).epistemic, rtol=1e-4, atol=1e-6
    )
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / "bad.ensemble").write_bytes(bytes(data))
    with pytest.raises(FormatError, match="bad.ensemble"):
        load_model(tmp_path / "bad.ensemble")
    with pytest.raises(DamagedModelError, match="cut short|damaged"):
        TaggerEnsemble.from_bytes(path.read_bytes()[:1000], source="cut.ensemble")


def test_select_strategies(ensemble, snips):
    pool = [s.tokens for s in snips[2]]
    for by in ("epistemic", "aleatoric", "bald", "least-confidence", "margin", "entropy"):
        chosen = select(ensemble, pool, 10, by=by)
        assert len({i for i, _ in chosen}) == 10
        values = [v for _, v in chosen]
        assert values == sorted(values, reverse=True)
    assert select(ensemble, pool, 10, by="random", seed=3) == select(
        ensemble, pool, 10, by="random", seed=3
    )
    with pytest.raises(ParameterError, match="--ensemble"):
        select(ensemble.full_, pool, 5, by="epistemic")


def test_an_ensemble_refuses_what_its_members_cannot_be():
    with pytest.raises(ParameterError, match="at least 2"):
        TaggerEnsemble(1)
    with pytest.raises(ParameterError, match="networks"):  # its members' lattices are CRFs
        TaggerEnsemble(3, networks=1)


def test_diverse_batch_skips_near_duplicates():
    pool = [["play", "some", "jazz", "now"]] * 5 + [["book", "a", "table"], ["rate", "this"]]
    scores = np.array([0.9, 0.9, 0.9, 0.9, 0.9, 0.5, 0.4])
    assert diverse_order(pool, scores, 3) == [0, 5, 6]
    assert np.argsort(-scores, kind="stable")[:3].tolist() == [0, 1, 2]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), min_size=1, max_size=5),
        min_size=1,
        max_size=12,
    ),
    st.integers(1, 15),
    st.data(),
)
def test_diverse_order_picks_distinct_utterances_best_first(pool, n, data):
    scores = np.array(data.draw(st.lists(st.floats(0, 10), min_size=len(pool), max_size=len(pool))))
    order = diverse_order(pool, scores, n)
    assert len(order) == len(set(order)) == min(n, len(pool))
    assert scores[order[0]] == scores.max()


def test_sentence_confidence_is_a_probability(ensemble, snips):
    pool = [s.tokens for s in snips[2][:30]]
    conf, tags, intents = sentence_confidence(ensemble.full_, pool)
    assert ((conf > 0) & (conf <= 1)).all()
    assert tags == ensemble.full_.predict(pool) and len(intents) == len(pool)


def test_self_training_reports_each_round(snips):
    train, valid, pool = snips
    x, y, z = _xyz(train[:200])
    reported = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tagger, rounds = self_train(
            {"iterations": ITERATIONS},
            x,
            y,
            z,
            [s.tokens for s in pool],
            dev=_xyz(valid),
            threshold=0.5,
            rounds=2,
            report=reported.append,
        )
    assert isinstance(tagger, SlotTagger) and rounds == reported
    assert [r.round for r in rounds] == [0, 1, 2] and rounds[0].added == 0
    assert 0 < rounds[1].added <= len(pool) and all(0 < r.dev_f1 <= 1 for r in rounds)
    assert tagger.dev_f1_ == max(r.dev_f1 for r in rounds)  # a round that hurt is not kept
    # the unlabeled text taught the clusters: a word only the pool has is in one
    seen = {w.lower() for words in x for w in words}
    only_pool = {w.lower() for s in pool for w in s.tokens} - seen
    assert only_pool and only_pool <= set(tagger.featurizer_.clusters)
    with pytest.raises(ParameterError, match="dev"):
        self_train({}, x, y, z, [], dev=None, threshold=0.9)
    with pytest.raises(ParameterError, match="threshold"):
        self_train({}, x, y, z, [], dev=_xyz(valid), threshold=1.5)


# ------------------------------------------------------------------------------------ CLI


@pytest.fixture(scope="module")
def files(snips, tmp_path_factory):
    train, valid, pool = snips
    folder = tmp_path_factory.mktemp("al")
    write_conll(folder / "train.conll", train[:250])
    write_conll(folder / "valid.conll", valid)
    (folder / "pool.txt").write_text(
        "".join(" ".join(s.tokens) + "\n" for s in pool[:60]) + "play some jazz now\n" * 3
    )
    return folder


def test_cli_ensemble_select_epistemic_diverse(files):
    model = files / "m.ensemble"
    code, _, err = run_cli(
        "tag",
        "train",
        files / "train.conll",
        "--dev",
        files / "valid.conll",
        "--ensemble",
        2,
        "--iterations",
        ITERATIONS,
        "-o",
        model,
    )
    assert code == 0, err
    assert "2 bootstrap members" in err
    for by in ("epistemic", "aleatoric", "bald", "entropy", "random"):
        code, out, err = run_cli(
            "tag", "select", model, files / "pool.txt", "-n", 5, "--by", by, "--diverse"
        )
        assert code == 0, err
        lines = out.splitlines()
        assert len(lines) == 5
        assert all(line.split("\t")[1].startswith(str(files / "pool.txt") + ":") for line in lines)
        assert sum(line.endswith("\tplay some jazz now") for line in lines) <= 1
    code, out, err = run_cli("tag", "predict", model, files / "pool.txt", "-o", files / "p.conll")
    assert code == 0, err


def test_cli_epistemic_needs_an_ensemble(files, tmp_path):
    model = tmp_path / "one.tagger"
    code, _, err = run_cli(
        "tag", "train", files / "train.conll", "--iterations", ITERATIONS, "-o", model
    )
    assert code == 0, err
    code, _, err = run_cli("tag", "select", model, files / "pool.txt", "-n", 3, "--by", "bald")
    assert code != 0 and "--ensemble" in err and "one.tagger" in err


def test_cli_self_training(files, tmp_path):
    model = tmp_path / "self.tagger"
    code, _, err = run_cli(
        "tag",
        "train",
        files / "train.conll",
        "--dev",
        files / "valid.conll",
        "--unlabeled",
        files / "pool.txt",
        "--pseudo-threshold",
        0.5,
        "--rounds",
        2,
        "--iterations",
        ITERATIONS,
        "-o",
        model,
    )
    assert code == 0, err
    assert "self-training round 1:" in err and "self-training round 2:" in err
    assert "added as pseudo-labels; dev F1" in err
    assert "self-training kept round" in err
    assert model.is_file()
    code, _, err = run_cli(
        "tag",
        "train",
        files / "train.conll",
        "--unlabeled",
        files / "pool.txt",
        "-o",
        tmp_path / "x.tagger",
    )
    assert code == 2 and "--dev" in err
    assert not (tmp_path / "x.tagger").exists()


def test_seq_folder_pool(snips, tmp_path, ensemble):
    """A seq.in folder works as the pool, as a plain text file does."""
    write_seq(tmp_path / "pool", snips[2][:20])
    path = tmp_path / "m.ensemble"
    ensemble.save(path)
    code, out, err = run_cli("tag", "select", path, tmp_path / "pool", "-n", 4, "--by", "epistemic")
    assert code == 0, err and len(out.splitlines()) == 4


@pytest.fixture(scope="module")
def ensemble_bytes(ensemble):
    return ensemble.to_bytes()


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_a_damaged_ensemble_file_is_a_format_error(ensemble_bytes, data):
    """Cut or altered anywhere, an ensemble file is refused with a FormatError naming it."""
    raw = bytearray(ensemble_bytes)
    if data.draw(st.booleans(), label="cut"):
        raw = raw[: data.draw(st.integers(0, len(raw) - 1), label="length")]
    else:
        where = data.draw(st.integers(0, len(raw) - 1), label="byte")
        raw[where] ^= data.draw(st.integers(1, 255), label="xor")
    try:
        TaggerEnsemble.from_bytes(bytes(raw), source="x.ensemble")
    except FormatError as exc:
        assert "x.ensemble" in str(exc)
