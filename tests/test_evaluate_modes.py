"""SemEval-2013 match modes equal to nervaluate's; the type confusion; sentence errors ranked."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_evaluate import corrupt

from speechtext.cli import main
from speechtext.evaluation import MATCH_MODES, evaluate
from speechtext.io import read_sentences, write_conll

nervaluate = pytest.importorskip("nervaluate", reason="nervaluate (dev extra) is the reference")

# nervaluate's name for the type mode
THEIRS = {"strict": "strict", "exact": "exact", "partial": "partial", "type": "ent_type"}
FIELDS = ("correct", "incorrect", "partial", "missed", "spurious", "precision", "recall", "f1")


def assert_equals_nervaluate(report, gold_tags, pred_tags):
    types = sorted({t[2:] for s in (*gold_tags, *pred_tags) for t in s if t != "O"})
    ref = nervaluate.Evaluator(gold_tags, pred_tags, tags=types, loader="list").evaluate()
    for mode in MATCH_MODES:
        mine, theirs = report.match_modes[mode], ref["overall"][THEIRS[mode]]
        assert [getattr(mine, f) for f in FIELDS] == [getattr(theirs, f) for f in FIELDS], mode
    assert sorted(report.match_modes_by_type) == sorted(ref["entities"])
    for name, modes in report.match_modes_by_type.items():
        for mode in MATCH_MODES:
            mine, theirs = modes[mode], ref["entities"][name][THEIRS[mode]]
            assert [getattr(mine, f) for f in FIELDS] == [getattr(theirs, f) for f in FIELDS], (
                name,
                mode,
            )


@pytest.fixture(scope="module")
def snips(snips_dir):
    gold = read_sentences(snips_dir / "test")
    return gold, corrupt(gold, seed=11)


def test_modes_equal_nervaluate_on_snips(snips):
    gold, pred = snips
    report = evaluate(gold, pred)
    assert_equals_nervaluate(report, [s.tags for s in gold], [s.tags for s in pred])
    m = report.match_modes
    # the corruption makes every kind of error, and the modes order as SemEval's do
    assert all(m["strict"].__dict__[k] > 0 for k in ("correct", "incorrect", "missed", "spurious"))
    assert m["partial"].partial > 0
    assert m["strict"].f1 < m["exact"].f1 < m["partial"].f1


def _tag(types):
    prefixed = st.builds(lambda p, t: f"{p}-{t}", st.sampled_from("BI"), st.sampled_from(types))
    return st.one_of(st.just("O"), prefixed)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_modes_equal_nervaluate_on_random_tags(data):
    types = data.draw(st.sampled_from([["a"], ["a", "b"], ["a", "b", "c"]]))
    lengths = data.draw(st.lists(st.integers(1, 12), min_size=1, max_size=6))
    gold = [data.draw(st.lists(_tag(types), min_size=n, max_size=n)) for n in lengths]
    pred = [data.draw(st.lists(_tag(types), min_size=n, max_size=n)) for n in lengths]
    if not any(t != "O" for s in gold + pred for t in s):
        return  # nervaluate needs an entity to know the types
    assert_equals_nervaluate(evaluate(gold, pred), gold, pred)


def test_confusion_counts_types_missed_and_spurious():
    gold = [["B-city", "O", "B-date", "O", "B-time", "O"]]
    pred = [["B-state", "O", "B-date", "O", "O", "B-city"]]
    confusion = evaluate(gold, pred).confusion
    assert confusion.labels == ["city", "date", "state", "time", "(none)"]
    cell = {(g, p): n for g, p, n in confusion.confusions()}
    assert cell == {("city", "state"): 1, ("time", "(none)"): 1, ("(none)", "city"): 1}
    assert confusion.matrix[1, 1] == 1  # date right
    # every gold entity is in one row, every prediction in one column
    assert confusion.matrix[:-1].sum() == 3 and confusion.matrix[:, :-1].sum() == 3


def test_confusion_rows_and_columns_add_up_on_snips(snips):
    gold, pred = snips
    report = evaluate(gold, pred)
    m = report.confusion.matrix
    assert m[:-1].sum() == report.micro.support  # gold entities
    assert m[:, :-1].sum() == sum(c[1] for c in report.counts.values())  # predictions
    assert m[:-1, -1].sum() == report.match_modes["type"].missed
    assert m[-1, :-1].sum() == report.match_modes["type"].spurious


def test_sentence_errors_put_confident_mistakes_first(snips):
    gold, pred = snips
    report = evaluate(gold, pred)
    wrong = [i for i, (g, p) in enumerate(zip(gold, pred, strict=True)) if g.tags != p.tags]
    assert sorted(e.index for e in report.errors) == wrong
    conf = [e.confidence for e in report.errors]
    assert conf == sorted(conf, reverse=True)
    worst = report.errors[0]
    assert worst.confidence == min(pred[worst.index].scores)
    assert worst.where.startswith(str(gold[0].source)) and worst.entities
    # without confidences: most wrong tags first
    plain = evaluate([s.tags for s in gold], [s.tags for s in pred])
    counts = [e.wrong_tags for e in plain.errors]
    assert counts == sorted(counts, reverse=True) and plain.errors[0].confidence is None


def test_sentence_error_says_what_went_wrong():
    gold = [["O", "B-city", "I-city", "O", "B-date"]]
    pred = [["O", "B-city", "O", "O", "B-time"]]
    tokens = ["to", "new", "york", "on", "monday"]
    from speechtext.io import Sentence

    report = evaluate([Sentence(tokens, gold[0])], [Sentence(tokens, pred[0], [1, 0.9, 1, 1, 0.8])])
    (error,) = report.errors
    assert error.confidence == 0.8 and error.wrong_tags == 2
    assert error.entities == [
        "boundary: gold city 'new york', predicted city 'new'",
        "type: gold date 'monday', predicted time 'monday'",
    ]


def test_text_and_json_reports_show_the_analysis(snips, tmp_path, capsys, snips_dir):
    gold, pred = snips
    path = tmp_path / "pred.conll"
    write_conll(path, pred)
    assert main(["evaluate", str(snips_dir / "test"), str(path)]) == 0
    text = capsys.readouterr().out
    assert "match modes (SemEval-2013" in text and "confusions (gold -> predicted" in text
    assert "worst sentence errors (10 of" in text
    assert main(["evaluate", str(snips_dir / "test"), str(path), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    report = evaluate(gold, pred)
    assert list(doc["match_modes"]) == list(MATCH_MODES)
    assert doc["match_modes"]["partial"]["f1"] == report.match_modes["partial"].f1
    assert doc["errors_total"] == len(report.errors) and len(doc["errors"]) == 100
    assert doc["errors"][0]["tokens"] == list(gold[report.errors[0].index].tokens)
    assert doc["confusion"]["labels"][-1] == "(none)"
