"""The fast predict path: attribute ids instead of feature strings, the numba Viterbi, word
clusters; the tags, scores and confidences a user gets stay those of the feature strings."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from speechtext.decode import iob_constraints, viterbi_batch
from speechtext.io.conll import read_sentences
from speechtext.tagging import SlotTagger
from speechtext.tagging.features import Featurizer

ODD = [["Play", "JAZZ", "at", "12:30", "by", "Zzyzx-9"], ["a"], ["rate", "it", "5/6", "Stars"]]


@pytest.fixture(scope="module")
def snips(snips_dir):
    train = read_sentences(snips_dir / "train")[::40]  # 327 sentences, every intent
    test = read_sentences(snips_dir / "test")[:100]
    return train, test


@pytest.fixture(scope="module", params=["default", "clusters+first_cue"])
def joint(request, snips):
    train, _ = snips
    features = {} if request.param == "default" else {"clusters": 32, "first_cue": True}
    return SlotTagger(iterations=3, features=features).fit(
        [s.tokens for s in train], [s.tags for s in train], intents=[s.intent for s in train]
    )


def _string_emissions(tagger, sentences, intents):
    """The emissions from the featurizer's feature strings (the path crfsuite trains on)."""
    weights = tagger.state_weights_.toarray()
    attrs = tagger.attributes_
    out = []
    for words, intent in zip(sentences, intents, strict=True):
        feats = tagger.featurizer_.features(words, intent=intent)
        out.append(np.array([sum(weights[attrs[f]] for f in t if f in attrs) for t in feats]))
    return out


def test_attribute_ids_give_the_emissions_of_the_feature_strings(joint, snips):
    _, test = snips
    sentences = [s.tokens for s in test] + ODD
    intents = joint._conditioning_intents(sentences)
    ours = joint._emissions(sentences, temperature=1.0, intents=intents)
    for got, expected in zip(ours, _string_emissions(joint, sentences, intents), strict=True):
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("numba_from", [0, 10**9])
def test_predict_is_viterbi_of_the_lattices(joint, snips, numba_from, monkeypatch):
    monkeypatch.setattr("speechtext.tagging.tagger.NUMBA_MIN_TOKENS", numba_from)
    _, test = snips
    sentences = [s.tokens for s in test] + ODD
    ems, trans = joint.lattices(sentences)
    expected = viterbi_batch(ems, trans, allowed=joint.allowed_, normalize=False)
    assert joint.predict(sentences) == [[joint.labels_[j] for j in p] for p, _ in expected]
    assert joint.predict([]) == []


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(1, 7), min_size=1, max_size=6),
    st.integers(0, 2**32 - 1),
    st.booleans(),
)
def test_numba_viterbi_equals_the_numpy_one(lengths, seed, ties):
    from speechtext.decode import as_lattice
    from speechtext.tagging.kernels import viterbi_flat

    labels = ["O", "B-a", "I-a", "B-b", "I-b"]
    rng = np.random.default_rng(seed)

    def draw(*shape):
        return rng.integers(-2, 3, shape).astype(float) if ties else rng.normal(size=shape)

    ems = [draw(n, len(labels)) for n in lengths]
    trans = draw(len(labels), len(labels))
    allowed = iob_constraints(labels)
    expected = viterbi_batch(ems, trans, allowed=allowed, normalize=False)
    _, trans_c, start, end = as_lattice(ems, trans, allowed=allowed, batch=True)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    paths = np.zeros(offsets[-1], dtype=np.int64)
    scores = viterbi_flat(np.concatenate(ems), offsets, trans_c, start, end, paths)
    for i, (path, score) in enumerate(expected):
        assert paths[offsets[i] : offsets[i + 1]].tolist() == path
        assert scores[i] == pytest.approx(score)


def test_clusters_group_words_used_alike_and_survive_a_model_file(snips, tmp_path):
    train, test = snips
    lowered = [[w.lower() for w in s.tokens] for s in train]
    clusters = Featurizer.learn_clusters(lowered, 32)
    assert clusters == Featurizer.learn_clusters(lowered, 32)  # the same from the same text
    assert set(clusters) == {w for words in lowered for w in words}
    assert all(len(ids) == 3 for ids in clusters.values())
    tagger = SlotTagger(iterations=2, features={"clusters": 32}).fit(
        [s.tokens for s in train], [s.tags for s in train]
    )
    tagger.save(tmp_path / "c.tagger")
    loaded = SlotTagger.load(tmp_path / "c.tagger")
    assert loaded.featurizer_.clusters == tagger.featurizer_.clusters
    sentences = [s.tokens for s in test]
    assert loaded.predict(sentences) == tagger.predict(sentences)
    assert SlotTagger(features={"clusters": 0}).get_params()["features"] == {"clusters": 0}


def test_damaged_clusters_field_is_a_clear_error():
    from speechtext.tagging.model_file import check_fields

    meta = {"settings": {}, "cues": [], "gazetteer": {}, "temperature": 1.0}
    from speechtext.tagging.features import DEFAULT_FEATURES

    meta["settings"] = dict(DEFAULT_FEATURES)
    check_fields({**meta, "clusters": {"jazz": [1, 2, 3]}})
    for bad in ([1, 2], {"jazz": [1, 2]}, {"jazz": ["1", 2, 3]}):
        with pytest.raises(ValueError, match="clusters"):
            check_fields({**meta, "clusters": bad})
