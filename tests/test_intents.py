"""Joint intents and slots: label files and intent comments, the joint tagger, its CLI,
intent evaluation and the pipeline's tag stage."""

import json
from pathlib import Path

import numpy as np
import pytest
from clitools import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from speechtext.errors import FormatError, ParameterError
from speechtext.evaluation import evaluate, intent_scores
from speechtext.io.conll import Sentence, read_sentences, write_conll, write_seq
from speechtext.pipeline.stages import TagStage
from speechtext.tagging import SlotTagger
from speechtext.types import Record

N_TRAIN = 1400
ITERATIONS = 4


@pytest.fixture(scope="module")
def snips(snips_dir):
    # every 9th sentence: all seven intents in a small slice
    train = read_sentences(snips_dir / "train")[::9][:N_TRAIN]
    valid = read_sentences(snips_dir / "valid")[::4]  # 175, every intent
    return train, valid


@pytest.fixture(scope="module")
def joint(snips, tmp_path_factory):
    train, valid = snips
    tagger = SlotTagger(iterations=ITERATIONS).fit(
        [s.tokens for s in train],
        [s.tags for s in train],
        intents=[s.intent for s in train],
        dev=([s.tokens for s in valid], [s.tags for s in valid], [s.intent for s in valid]),
    )
    path = tmp_path_factory.mktemp("joint") / "snips.tagger"
    tagger.save(path)
    return tagger, path


# ------------------------------------------------------------------------------------ reading


def test_snips_label_file_gives_the_intents(snips_dir):
    test = read_sentences(snips_dir / "test")
    labels = (snips_dir / "test" / "label").read_text().split()
    assert [s.intent for s in test] == labels
    assert test[0].intent in {"AddToPlaylist", "PlayMusic", "GetWeather", "RateBook"} | {
        "BookRestaurant",
        "SearchCreativeWork",
        "SearchScreeningEvent",
    }


def test_seq_folder_without_label_has_no_intents(tmp_path):
    (tmp_path / "seq.in").write_text("play jazz\n")
    (tmp_path / "seq.out").write_text("O B-genre\n")
    assert read_sentences(tmp_path)[0].intent is None


def test_label_file_of_another_length_is_named(tmp_path):
    (tmp_path / "seq.in").write_text("play jazz\nhi\n")
    (tmp_path / "seq.out").write_text("O B-genre\nO\n")
    (tmp_path / "label").write_text("PlayMusic\n")
    with pytest.raises(FormatError, match=r"label: 1 lines but seq.in has 2"):
        read_sentences(tmp_path)


def test_conll_intent_comments(tmp_path):
    path = tmp_path / "gold.conll"
    path.write_text(
        "# intent = PlayMusic\nplay\tO\njazz\tB-genre\n\n# text = hi there\nhi\tO\n\n"
        "# intent = Greet\n#\tO\n"
    )
    sents = read_sentences(path)
    assert [s.intent for s in sents] == ["PlayMusic", None, "Greet"]
    assert sents[0].line == 2  # the first token's line, as before
    assert sents[2].tokens == ["#"]  # a token "#" is still a token


def test_conll_comment_inside_a_sentence_is_an_error(tmp_path):
    path = tmp_path / "bad.conll"
    path.write_text("play\tO\n# intent = PlayMusic\njazz\tB-genre\n")
    with pytest.raises(FormatError, match=r"bad.conll:2: comment line .* inside a sentence"):
        read_sentences(path)


_name = st.text(st.characters(categories=("L", "N"), max_codepoint=0x2FF), min_size=1, max_size=8)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.lists(_name, min_size=1, max_size=4), st.one_of(st.none(), _name)),
        min_size=1,
        max_size=5,
    )
)
def test_intents_round_trip_through_conll_and_seq(tmp_path_factory, items):
    folder = tmp_path_factory.mktemp("rt")
    sents = [Sentence(words, ["O"] * len(words), intent=intent) for words, intent in items]
    write_conll(folder / "out.conll", sents)
    back = read_sentences(folder / "out.conll")
    assert [(s.tokens, s.intent) for s in back] == [(s.tokens, s.intent) for s in sents]
    write_seq(folder / "seq", sents)
    back = read_sentences(folder / "seq")
    everyone = all(s.intent is not None for s in sents)
    assert [s.intent for s in back] == [s.intent if everyone else None for s in sents]


# ------------------------------------------------------------------------------------ model


def test_joint_tagger_predicts_intents_and_slots(joint, snips):
    tagger, _ = joint
    _, valid = snips
    tokens = [s.tokens for s in valid]
    ranked = tagger.predict_intent(tokens, k=3)
    assert all(len(r) == 3 for r in ranked)
    for r in ranked:
        probs = [p for _, p in r]
        assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-9
    accuracy = sum(r[0][0] == s.intent for r, s in zip(ranked, valid, strict=True)) / len(valid)
    print(f"intent accuracy on 175 valid sentences, {N_TRAIN} training: {accuracy:.3f}")
    assert accuracy >= 0.9
    assert set(tagger.intents_) == {s.intent for s in valid}
    # the slot side keeps its N-best and confidences
    nbest = tagger.predict_nbest(tokens[:5], k=3)
    assert [nb[0][0] for nb in nbest] == tagger.predict(tokens[:5])
    assert all(0 <= p <= 1 for ents in tagger.entity_confidences(tokens[:20]) for *_, p in ents)
    assert evaluate([s.tags for s in valid], tagger.predict(tokens)).micro.f1 >= 0.75


def test_joint_model_file_round_trip(joint, snips):
    tagger, path = joint
    tokens = [s.tokens for s in snips[1]][:50]
    again = SlotTagger.load(path)
    assert again.intents_ == tagger.intents_
    assert again.predict(tokens) == tagger.predict(tokens)
    assert [r[0][0] for r in again.predict_intent(tokens)] == [
        r[0][0] for r in tagger.predict_intent(tokens)
    ]


def test_tagger_without_intents_says_so(tmp_path):
    cities = ["paris", "rome", "oslo", "lima", "kyiv"]
    tagger = SlotTagger(iterations=2, calibrate=False).fit(
        [["to", c] for c in cities], [["O", "B-city"]] * 5
    )
    assert tagger.intents_ is None
    with pytest.raises(ParameterError, match="trained without intents"):
        tagger.predict_intent([["to", "paris"]])
    with pytest.raises(ParameterError, match="2 intents for 5 sentences"):
        SlotTagger().fit([["to", c] for c in cities], [["O", "B-city"]] * 5, intents=["a", "b"])


# ------------------------------------------------------------------------------------ scoring


def test_intent_and_sentence_accuracy():
    gold = [
        Sentence(["play", "jazz"], ["O", "B-genre"], intent="PlayMusic"),
        Sentence(["play", "rock"], ["O", "B-genre"], intent="PlayMusic"),
        Sentence(["hi"], ["O"], intent="Greet"),
    ]
    pred = [
        Sentence(["play", "jazz"], ["O", "B-genre"], intent="PlayMusic"),
        Sentence(["play", "rock"], ["O", "O"], intent="PlayMusic"),  # a slot wrong
        Sentence(["hi"], ["O"], intent="PlayMusic"),  # the intent wrong
    ]
    scores = intent_scores(gold, pred)
    assert scores.accuracy == pytest.approx(2 / 3)
    assert scores.sentence_accuracy == pytest.approx(1 / 3)
    assert scores.per_intent == {"Greet": (0, 1), "PlayMusic": (2, 2)}


# ------------------------------------------------------------------------------------ CLI


def test_cli_train_predict_evaluate_with_intents(joint, snips_dir, tmp_path):
    _, model = joint
    gold = tmp_path / "gold"
    test = read_sentences(snips_dir / "test")[:60]
    write_seq(gold, test)
    out = tmp_path / "pred.conll"
    code, _, err = run_cli("tag", "predict", model, gold, "-o", out, "--nbest", "2")
    assert code == 0, err
    text = out.read_text()
    assert text.startswith("# intent = ")
    pred = read_sentences(out)
    assert all(s.intent for s in pred)
    lines = [json.loads(x) for x in Path(f"{out}.nbest.jsonl").read_text().splitlines()]
    assert lines[0]["intent"] == pred[0].intent
    assert len(lines[0]["intents"]) == 2 and 0 < lines[0]["intent_prob"] <= 1

    code, report, err = run_cli("evaluate", gold, out, "--format", "json")
    assert code == 0, err
    figures = json.loads(report)["intent"]
    assert figures["sentences"] == 60 and 0.8 <= figures["accuracy"] <= 1
    assert figures["sentence_accuracy"] <= figures["accuracy"]
    code, report, _ = run_cli("evaluate", gold, out)
    assert "intent accuracy" in report and "sentence accuracy (intent and every slot" in report


def test_cli_train_learns_intents_from_label_files(snips_dir, tmp_path):
    data = tmp_path / "train"
    write_seq(data, read_sentences(snips_dir / "train")[::40][:300])
    model = tmp_path / "m.tagger"
    code, _, err = run_cli("tag", "train", data, "-o", model, "--iterations", "2")
    assert code == 0, err
    assert "7 intents" in err
    assert SlotTagger.load(model).intents_ is not None


def test_cli_train_some_intents_missing_names_the_sentence(tmp_path):
    data = tmp_path / "train.conll"
    data.write_text("# intent = Fly\nto\tO\nparis\tB-city\n\nto\tO\nrome\tB-city\n")
    code, _, err = run_cli("tag", "train", data, "-o", tmp_path / "m.tagger")
    assert code == 1
    assert f"{data}:5: no intent" in err


# ------------------------------------------------------------------------------------ pipeline


def test_tag_stage_carries_the_intent(joint, tmp_path):
    _, model = joint
    stage = TagStage(TagStage.Config(model=str(model), nbest=2))
    stage.prepare()
    records = [
        Record(id="a:1", source="a.txt", text="add this song to my playlist"),
        Record(id="a:2", source="a.txt", text="will it rain in paris tomorrow"),
    ]
    for r in records:
        r.tokens = r.text.split()
    stage.process(records)
    assert [r.intents[0][0] for r in records] == ["AddToPlaylist", "GetWeather"]
    conll, nbest = stage.write(records, tmp_path / "a")
    assert [s.intent for s in read_sentences(conll)] == ["AddToPlaylist", "GetWeather"]
    assert json.loads(nbest.read_text().splitlines()[1])["intent"] == "GetWeather"


def test_two_intents_give_the_logistic_probabilities(tmp_path):
    """With two intents scikit-learn keeps one row of weights; the tagger gives both intents
    its probabilities, saved and loaded."""
    from sklearn.linear_model import LogisticRegression

    from speechtext.tagging.intent import IntentClassifier

    sentences = [["play", "jazz"], ["weather", "in", "paris"], ["play", "rock"], ["cold", "rome"]]
    intents = ["PlayMusic", "GetWeather", "PlayMusic", "GetWeather"]
    classifier = IntentClassifier().fit(sentences * 3, intents * 3)
    x = classifier._matrix(sentences)
    ours = classifier.predict_proba(sentences)
    index = {"GetWeather": 0, "PlayMusic": 1}
    theirs = LogisticRegression(C=10.0, max_iter=1000).fit(
        classifier._matrix(sentences * 3), [index[i] for i in intents * 3]
    )
    np.testing.assert_allclose(ours, theirs.predict_proba(x), atol=1e-9)
    tags = [["O", "B-genre"], ["O", "O", "B-city"], ["O", "B-genre"], ["O", "B-city"]]
    tagger = SlotTagger(iterations=3).fit(sentences * 3, tags * 3, intents=intents * 3)
    tagger.save(tmp_path / "two.tagger")
    again = SlotTagger.load(tmp_path / "two.tagger")
    best = again.predict_intent([["play", "jazz"]], k=2)[0]
    assert best[0][0] == "PlayMusic" and sum(p for _, p in best) == pytest.approx(1.0)
