"""The embedded default tagger: corpus, F1 and intents on data/samples, the shipped model file,
its rebuild, CLI without a model."""

import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path

import pytest

import speechtext
from speechtext.cli import main
from speechtext.delex import delexicalize
from speechtext.errors import FormatError
from speechtext.evaluation import evaluate
from speechtext.io.conll import read_sentences
from speechtext.tagging import SlotTagger
from speechtext.tagging import default as tagging_default

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "data" / "samples" / "gold.conll"


SAMPLE_INTENTS = [  # data/samples/gold.conll, in order
    "AddToPlaylist",
    "BookFlight",
    "BookRestaurant",
    "BookRestaurant",
    "GetWeather",
    "PlayMusic",
    "PlayMusic",
    "PlayMusic",
    "SetAlarm",
    "BookFlight",
    "SetAlarm",
    "GetWeather",
]


@pytest.fixture(scope="module")
def cache():
    """The shipped default tagger (the name is the old fixture's: the tests below share it)."""
    return None, tagging_default.default_tagger()


@pytest.fixture
def isolated(monkeypatch):
    """An empty in-process cache; counts reads of the shipped model."""
    monkeypatch.setattr(tagging_default, "_loaded", {})
    calls = []
    real = tagging_default._read_default

    def counted():
        calls.append(1)
        return real()

    monkeypatch.setattr(tagging_default, "_read_default", counted)
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


def test_default_tagger_knows_the_intents_of_the_samples(cache):
    _, tagger = cache
    assert set(tagging_default.SECTION_INTENTS.values()) <= set(tagger.intents_)
    sents = [s.tokens for s in read_sentences(GOLD)]
    assert [r[0][0] for r in tagger.predict_intent(sents)] == SAMPLE_INTENTS
    wake = tagger.predict_intent([["wake", "me", "up", "at", "seven", "am"]])[0][0]
    assert wake[0] == "SetAlarm" and wake[1] > 0.5


def test_template_corpus_has_an_intent_per_section():
    tokens, tags, intents = tagging_default.template_corpus()
    assert len(tokens) == len(tags) == len(intents) >= 1500
    assert set(intents) == set(tagging_default.SECTION_INTENTS.values())
    assert tagging_default.template_corpus() == (tokens, tags, intents)  # reproducible


def test_read_once_per_process(isolated):
    first = tagging_default.default_tagger()
    assert tagging_default.default_tagger() is first
    assert isolated == [1]
    assert speechtext.default_tagger is tagging_default.default_tagger


def test_shipped_model_is_package_data_and_small():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["speechtext"]
    shipped = resources.files("speechtext.tagging") / tagging_default.DEFAULT_MODEL
    assert shipped.is_file()
    assert any(Path("tagging", tagging_default.DEFAULT_MODEL).match(p) for p in patterns)
    assert len(shipped.read_bytes()) <= 20_000_000


def test_damaged_shipped_model_says_reinstall(isolated, monkeypatch, tmp_path, capsys):
    data = tagging_default._model_bytes()
    monkeypatch.setattr(tagging_default, "_model_bytes", lambda: data[: len(data) // 2])
    with pytest.raises(FormatError, match="reinstall speechtext"):
        tagging_default.default_tagger()
    out = tmp_path / "pred.conll"
    assert main(["tag", "predict", str(GOLD), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "speechtext/tagging/models/default.tagger" in err and "reinstall" in err
    assert not out.exists()


def test_build_is_deterministic(tmp_path):
    """The rebuild script on a small SNIPS-like folder, in two processes: the same bytes (in
    one process crfsuite's SGD would draw its shuffles further down C's rand() sequence)."""
    for split, n in (("train", 40), ("valid", 10)):
        folder = tmp_path / "snips" / split
        folder.mkdir(parents=True)
        rows = [
            ("play some jazz", "O O B-genre", "PlayMusic"),
            ("rain in paris", "O O B-city", "GetWeather"),
        ]
        rows = [rows[i % 2] for i in range(n)]
        for name, col in (("seq.in", 0), ("seq.out", 1), ("label", 2)):
            (folder / name).write_text("".join(r[col] + "\n" for r in rows))
    code = (
        "import sys; from speechtext.tagging import build_default, default\n"
        "small = default.template_corpus()\n"
        "default.template_corpus = lambda: tuple(x[::20] for x in small)\n"
        "default.TRAINING = {'iterations': 2}\n"
        "sys.exit(build_default.main(sys.argv[1:]))"
    )
    outs = [tmp_path / "a.tagger", tmp_path / "b.tagger"]
    for out in outs:
        proc = subprocess.run(
            [sys.executable, "-c", code, str(tmp_path / "snips"), "-o", str(out)],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stderr
    assert outs[0].read_bytes() == outs[1].read_bytes()
    assert SlotTagger.load(outs[0]).intents_ is not None


def test_cli_predict_and_select_without_a_model(cache, tmp_path, capsys):
    out = tmp_path / "pred.conll"
    assert main(["tag", "predict", str(GOLD), "-o", str(out), "--nbest", "2"]) == 0
    gold = read_sentences(GOLD)
    pred = read_sentences(out)
    assert [s.tokens for s in pred] == [s.tokens for s in gold]
    assert evaluate(gold, pred).micro.f1 >= 0.9
    assert Path(f"{out}.nbest.jsonl").is_file()
    assert all(s.intent for s in pred)  # the default knows intents

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


def test_cli_bad_data_fails_before_loading(isolated, tmp_path, capsys):
    missing = tmp_path / "missing.txt"
    assert main(["tag", "predict", str(missing), "-o", str(tmp_path / "out.conll")]) == 1
    assert str(missing) in capsys.readouterr().err
    assert isolated == []
