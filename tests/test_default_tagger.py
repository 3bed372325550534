"""The embedded default tagger: corpus, F1 on data/samples, cache, CLI without a model."""

import tomllib
import warnings
from importlib import resources
from pathlib import Path

import pytest

import speechtext
from speechtext.cli import main
from speechtext.delex import delexicalize
from speechtext.evaluation import evaluate
from speechtext.io.conll import read_sentences
from speechtext.tagging import SlotTagger
from speechtext.tagging import default as tagging_default

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "data" / "samples" / "gold.conll"


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A fresh user cache folder for this module; the default tagger built there once."""
    folder = tmp_path_factory.mktemp("xdg")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(folder))
        mp.setattr(tagging_default, "_loaded", {})
        tagger = tagging_default.default_tagger()
        yield folder, tagger


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """An empty cache folder, an empty in-process cache and a fast stand-in for training."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(tagging_default, "_loaded", {})
    calls = []

    def tiny():
        calls.append(1)
        cities = ["paris", "rome", "oslo", "lima", "kyiv"]  # enough sentences for one slot type
        return SlotTagger(iterations=2, calibrate=False).fit(
            [["fly", "to", c] for c in cities], [["O", "O", "B-city"]] * len(cities)
        )

    monkeypatch.setattr(tagging_default, "_train", tiny)
    return calls


def test_corpus_covers_the_samples_without_holding_them():
    tokens, tags = tagging_default.default_corpus()
    assert 1000 <= len(tokens) <= 5000
    assert tagging_default.default_corpus() == (tokens, tags)  # reproducible
    gold = read_sentences(GOLD)
    corpus_types = {t[2:] for seq in tags for t in seq if t != "O"}
    gold_types = {t[2:] for s in gold for t in s.tags if t != "O"}
    assert gold_types <= corpus_types
    # Neither a sample utterance nor a sample's template is in the corpus: the tagger has to
    # generalise from other phrasings.
    corpus_texts = {" ".join(t) for t in tokens}
    templates = set(tagging_default._templates(tagging_default._resource("slot_templates.txt")))
    for s in gold:
        assert " ".join(s.tokens) not in corpus_texts
        assert delexicalize(s.tokens, s.tags).template not in templates


def test_default_tagger_tags_the_samples(cache):
    _, tagger = cache
    gold = read_sentences(GOLD)
    pred, scores = tagger.token_scores([s.tokens for s in gold])
    report = evaluate(gold, pred, scores=scores)
    print(f"default tagger on data/samples: micro F1 {report.micro.f1:.3f}")
    assert report.micro.f1 >= 0.9


def test_second_call_hits_the_cache(cache, monkeypatch):
    folder, first = cache
    path = tagging_default.default_model_path()
    assert path.parent == folder / "speechtext"
    assert path.name == f"default-tagger-{tagging_default.corpus_key()}.tagger"
    assert path.is_file()
    assert tagging_default.default_tagger() is first  # in-process
    monkeypatch.setattr(tagging_default, "_loaded", {})

    def no_training():
        raise AssertionError("trained again despite the cached model")

    monkeypatch.setattr(tagging_default, "_train", no_training)
    again = tagging_default.default_tagger()  # from the file
    assert again is not first
    tokens = [s.tokens for s in read_sentences(GOLD)]
    assert again.predict(tokens) == first.predict(tokens)
    assert speechtext.default_tagger is tagging_default.default_tagger


def test_key_follows_corpus_and_model_format(monkeypatch):
    key = tagging_default.corpus_key()
    monkeypatch.setattr(tagging_default, "CORPUS_SIZE", tagging_default.CORPUS_SIZE + 1)
    assert tagging_default.corpus_key() != key
    monkeypatch.undo()
    monkeypatch.setattr("speechtext.tagging.model_file.MODEL_VERSION", 99)
    assert tagging_default.corpus_key() != key


def test_damaged_cache_is_rebuilt(isolated):
    path = tagging_default.default_model_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a model")
    with pytest.warns(UserWarning, match="training the default tagger again"):
        tagger = tagging_default.default_tagger()
    assert isolated == [1]
    assert SlotTagger.load(path).labels_ == tagger.labels_


def test_unwritable_cache_still_gives_a_tagger(isolated, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # a file: no folder can be made inside
    with pytest.warns(UserWarning, match="cannot cache the default tagger"):
        tagger = tagging_default.default_tagger()
    assert tagger.predict([["to", "paris"]]) == [["O", "B-city"]]


def test_rebuild_trains_again(isolated):
    tagging_default.default_tagger()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tagging_default.default_tagger()
        assert isolated == [1]
        tagging_default.default_tagger(rebuild=True)
    assert isolated == [1, 1]


def test_cli_predict_and_select_without_a_model(cache, tmp_path, capsys):
    out = tmp_path / "pred.conll"
    assert main(["tag", "predict", str(GOLD), "-o", str(out), "--nbest", "2"]) == 0
    gold = read_sentences(GOLD)
    pred = read_sentences(out)
    assert [s.tokens for s in pred] == [s.tokens for s in gold]
    assert evaluate(gold, pred).micro.f1 >= 0.9
    assert Path(f"{out}.nbest.jsonl").is_file()

    text = tmp_path / "utterances.txt"
    text.write_text("play some jazz\nwake me up at six am\n")
    capsys.readouterr()
    assert main(["tag", "select", str(text), "-n", "1"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert len(rows) == 1 and rows[0].split("\t")[1].startswith(f"{text}:")


def test_cli_predict_with_a_model_file_still_works(cache, tmp_path):
    _, tagger = cache
    model = tmp_path / "default.tagger"
    tagger.save(model)
    out = tmp_path / "pred.conll"
    assert main(["tag", "predict", str(model), str(GOLD), "-o", str(out)]) == 0
    assert len(read_sentences(out)) == len(read_sentences(GOLD))


def test_corpus_files_are_package_data():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["speechtext"]
    folder = resources.files("speechtext.tagging") / "corpus"
    for name in ("slot_templates.txt", "slot_values.tsv"):
        assert (folder / name).is_file()
        assert any(Path("tagging", "corpus", name).match(p) for p in patterns), name


def test_cli_bad_data_fails_before_training(isolated, tmp_path, capsys):
    missing = tmp_path / "missing.txt"
    assert main(["tag", "predict", str(missing), "-o", str(tmp_path / "out.conll")]) == 1
    assert str(missing) in capsys.readouterr().err
    assert isolated == []
