"""The networks beside the CRF: numpy forward pass against torch's, the product lattice inside
SlotTagger (N-best, confidences, calibration from one lattice), model files, the CLI.

The numpy side runs everywhere (networks with random weights); training needs torch
(``speechtext[neural]``) and skips without it."""

import json
import zipfile

import numpy as np
import pytest
from clitools import run_cli

from speechtext.errors import FormatError, ParameterError
from speechtext.io.conll import read_sentences
from speechtext.tagging import SlotTagger
from speechtext.tagging.model_file import NETWORK_MEMBER
from speechtext.tagging.network import (
    CHAR_DIM,
    CHAR_FILTERS,
    SHAPE_DIM,
    WORD_DIM,
    Network,
    NetworkSettings,
)

TRAIN = [
    (["play", "some", "jazz"], ["O", "O", "B-genre"], "PlayMusic"),
    (["play", "the", "beatles"], ["O", "B-artist", "I-artist"], "PlayMusic"),
    (["play", "rock", "by", "queen"], ["O", "B-genre", "O", "B-artist"], "PlayMusic"),
    (["weather", "in", "paris"], ["O", "O", "B-city"], "GetWeather"),
    (["weather", "in", "new", "york"], ["O", "O", "B-city", "I-city"], "GetWeather"),
    (["is", "it", "cold", "in", "rome"], ["O", "O", "O", "O", "B-city"], "GetWeather"),
] * 4


def _columns(rows):
    return [list(x) for x in zip(*rows, strict=True)]


@pytest.fixture(scope="module")
def crf():
    tokens, tags, intents = _columns(TRAIN)
    return SlotTagger(iterations=5).fit(tokens, tags, intents=intents)


def random_network(tagger, seed=0, members=2, channels=8):
    """A network with random weights for ``tagger``'s labels and intents (no torch needed)."""
    rng = np.random.default_rng(seed)
    words = ["<pad>", "<unk>", "play", "jazz", "in", "paris", "weather"]
    chars = ["<pad>", "<unk>", *"abcdefghijklmnopqrstuvwxyz"]
    settings = NetworkSettings(channels=channels, dilations=(1, 2))
    n_labels, n_intents = len(tagger.labels_), len(tagger.intents_)
    shapes = {
        "we.weight": (len(words), WORD_DIM),
        "ce.weight": (len(chars), CHAR_DIM),
        "se.weight": (16, SHAPE_DIM),
        "conv.weight": (CHAR_FILTERS, CHAR_DIM, 3),
        "conv.bias": (CHAR_FILTERS,),
        "proj.weight": (channels, WORD_DIM + CHAR_FILTERS + SHAPE_DIM),
        "proj.bias": (channels,),
        "convs.0.weight": (channels, channels, 3),
        "convs.0.bias": (channels,),
        "convs.1.weight": (channels, channels, 3),
        "convs.1.bias": (channels,),
        "out.weight": (n_labels, channels),
        "out.bias": (n_labels,),
        "intent.weight": (n_intents, 2 * channels),
        "intent.bias": (n_intents,),
        "trans": (n_labels, n_labels),
        "start": (n_labels,),
    }
    return Network(
        words=words,
        chars=chars,
        labels=list(tagger.labels_),
        intents=list(tagger.intents_),
        members=[
            {k: rng.normal(0, 0.3, v).astype(np.float32) for k, v in shapes.items()}
            for _ in range(members)
        ],
        settings=settings,
    )


@pytest.fixture
def product(crf):
    tagger = SlotTagger.from_bytes(crf.to_bytes())
    tagger._attach_network(random_network(tagger), 0.5, 0.5)
    return tagger


# ------------------------------------------------------------------ the product lattice


def test_product_lattice_is_crf_plus_weighted_network(crf, product):
    sentences = [["play", "jazz", "in", "paris"], ["weather", "in", "rome"], ["play"]]
    net_ems, _ = product.network_(sentences)
    crf_ems, crf_trans = crf.lattices(sentences)
    ems, trans = product.lattices(sentences)
    t = product.temperature_
    for a, b, n in zip(ems, crf_ems, net_ems, strict=True):
        np.testing.assert_allclose(a * t, b * crf.temperature_ + 0.5 * n, atol=1e-9)
    np.testing.assert_allclose(trans * t, crf_trans * t + 0.5 * product.network_.transitions)


def test_product_gives_nbest_confidences_and_mixed_intents(crf, product):
    sentences = [["play", "jazz", "in", "paris"], ["weather", "in", "new", "york"]]
    best = product.predict(sentences)
    nbest = product.predict_nbest(sentences, 3)
    assert [n[0][0] for n in nbest] == best
    for n in nbest:
        probs = [p for _, p in n]
        assert probs == sorted(probs, reverse=True) and sum(probs) <= 1 + 1e-9
    for sentence in product.entity_confidences(sentences):
        assert all(0.0 <= c <= 1.0 for *_, c in sentence)
    intents = product.predict_intent(sentences, k=2)
    p_crf = crf._intent_proba(sentences)
    _, lp = product.network_(sentences)
    mixed = np.log(p_crf) + 0.5 * lp
    mixed = np.exp(mixed - mixed.max(1, keepdims=True))
    mixed /= mixed.sum(1, keepdims=True)
    for row, top in zip(mixed, intents, strict=True):
        assert top[0][1] == pytest.approx(row.max(), rel=1e-5)  # float32 network


def test_network_forward_is_its_members_mean(product):
    net = product.network_
    sentences = [["play", "jazz"], ["weather", "in", "paris", "now"], ["ZZ9", "jazz"]]
    ems, lp = net(sentences)
    singles = [
        Network(net.words, net.chars, net.labels, net.intents, [m], net.settings)(sentences)
        for m in net.members
    ]
    for i, em in enumerate(ems):
        np.testing.assert_allclose(em, np.mean([s[0][i] for s in singles], axis=0), rtol=1e-6)
    p = np.mean([np.exp(s[1]) for s in singles], axis=0)
    np.testing.assert_allclose(np.exp(lp), p, rtol=1e-6)
    np.testing.assert_allclose(np.exp(lp).sum(1), 1.0, rtol=1e-6)


# ------------------------------------------------------------------ model files


def test_product_model_file_round_trip(product, tmp_path):
    path = tmp_path / "product.tagger"
    product.save(path)
    with zipfile.ZipFile(path) as z:
        assert NETWORK_MEMBER in z.namelist()
        meta = json.loads(z.read("tagger.json"))
    assert meta["network"] == {"weight": 0.5, "intent_weight": 0.5}
    again = SlotTagger.load(path)
    assert again.to_bytes() == path.read_bytes()
    sentences = [["play", "jazz", "in", "paris"]]
    assert again.predict_nbest(sentences, 3) == product.predict_nbest(sentences, 3)


def test_model_file_without_its_network_is_damaged(product, tmp_path):
    path, cut = tmp_path / "product.tagger", tmp_path / "cut.tagger"
    product.save(path)
    with zipfile.ZipFile(path) as z, zipfile.ZipFile(cut, "w") as out:
        for name in z.namelist():
            if name != NETWORK_MEMBER:
                out.writestr(name, z.read(name))
    with pytest.raises(FormatError, match=r"cut.tagger.*missing members \['network.npz'\]"):
        SlotTagger.load(cut)


def test_model_file_with_a_damaged_network_is_named(product, tmp_path):
    from speechtext.tagging.model_file import pack_model, unpack_model

    meta, crf_bytes, _ = unpack_model(product.to_bytes())
    meta = {k: v for k, v in meta.items() if k not in ("format", "version")}
    path = tmp_path / "odd.tagger"
    path.write_bytes(pack_model(meta, crf_bytes, b"not an npz"))
    with pytest.raises(FormatError, match=r"odd.tagger.*network.npz: not a network"):
        SlotTagger.load(path)


def test_networks_parameter_is_checked():
    with pytest.raises(ParameterError, match="networks=-1"):
        SlotTagger(networks=-1).fit([["a"]], [["B-x"]])
    with pytest.raises(ParameterError, match=r"unknown network settings \['width'\]"):
        SlotTagger(networks=1, network_settings={"width": 3}).fit([["a"]], [["B-x"]])


def test_training_networks_without_torch_says_what_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    tokens, tags, intents = _columns(TRAIN)
    with pytest.raises(ParameterError, match=r"needs torch: pip install 'speechtext\[neural\]'"):
        SlotTagger(iterations=2, networks=1).fit(tokens, tags, intents=intents)


# ------------------------------------------------------------------ training (torch)


@pytest.fixture(scope="module")
def snips_small(snips_dir):
    train = read_sentences(snips_dir / "train")[::13][:1000]
    valid = read_sentences(snips_dir / "valid")[::4]
    return train, valid


@pytest.fixture(scope="module")
def trained(snips_small):
    pytest.importorskip("torch", reason="training the networks needs torch (speechtext[neural])")
    train, valid = snips_small
    tagger = SlotTagger(
        iterations=5, networks=2, network_settings={"epochs": 4, "channels": 32, "threads": 1}
    )
    return tagger.fit(
        [s.tokens for s in train],
        [s.tags for s in train],
        intents=[s.intent for s in train],
        dev=([s.tokens for s in valid], [s.tags for s in valid], [s.intent for s in valid]),
    )


def test_numpy_forward_equals_torch(trained, snips_small):
    import torch

    from speechtext.tagging.network import padded_ids, torch_network

    net = trained.network_
    sentences = [s.tokens for s in snips_small[1]] + [["Zürich", "İstanbul", "x"]]
    ems, _ = net(sentences)
    vocab = dict(words=net.words, chars=net.chars, labels=net.labels, intents=net.intents)
    module = torch_network(torch, vocab, net.settings)
    inputs = [torch.from_numpy(a) for a in padded_ids(net, sentences)]
    scores = []
    for member in net.members:
        module.load_state_dict({k: torch.from_numpy(v) for k, v in member.items()})
        module.eval()
        with torch.no_grad():
            scores.append(module(*inputs)[0].numpy())
    mean = np.mean(scores, axis=0)
    mean[:, 0] += net.start
    for i, em in enumerate(ems):
        np.testing.assert_allclose(em, mean[i, : len(em)], atol=1e-4)


def test_trained_product_beats_neither_side_on_dev_by_chance(trained, snips_small):
    """The weights were chosen on dev: the product is at least as good there as the CRF."""
    _, valid = snips_small
    assert trained.network_ is not None and len(trained.network_.members) == 2
    assert trained.network_weight_ in (0.1, 0.2, 0.35, 0.5, 0.75, 1.0)
    crf = SlotTagger.from_bytes(trained.to_bytes())
    crf.network_ = None
    crf.transitions_ = crf._crf_transitions
    from seqeval.metrics import f1_score

    gold = [s.tags for s in valid]
    x = [s.tokens for s in valid]
    assert f1_score(gold, trained.predict(x)) >= f1_score(gold, crf.predict(x)) - 1e-9
    assert trained.dev_f1_ > 0.5 and 0.25 <= trained.temperature_ <= 4.0


def test_cli_trains_networks_end_to_end(snips_dir, tmp_path):
    pytest.importorskip("torch", reason="training the networks needs torch (speechtext[neural])")
    model = tmp_path / "snips.tagger"
    small = tmp_path / "small.conll"
    from speechtext.io.conll import write_conll

    write_conll(small, read_sentences(snips_dir / "train")[::40])
    code, _, err = run_cli(
        "tag", "train", str(small), "--dev", str(snips_dir / "valid"), "-o", str(model),
        "--networks", "1", "--iterations", "3",
    )  # fmt: skip
    assert code == 0 and "dev F1" in err, err
    out = tmp_path / "tagged.conll"
    code, _, err = run_cli("tag", "predict", str(model), str(snips_dir / "test"), "-o", str(out))
    assert code == 0, err
    assert len(read_sentences(out)) == len(read_sentences(snips_dir / "test"))


def test_cli_refuses_networks_with_an_ensemble(tmp_path):
    data = tmp_path / "d.conll"
    data.write_text("play\tO\njazz\tB-genre\n")
    code, _, err = run_cli(
        "tag", "train", str(data), "-o", str(tmp_path / "m"), "--networks", "1",
        "--ensemble", "2",
    )  # fmt: skip
    assert code == 2 and "--ensemble and --networks" in err
