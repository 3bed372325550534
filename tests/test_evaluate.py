"""speechtext.evaluation and `speechtext evaluate`: seqeval's numbers, AP, calibration, bad
input."""

import json
import random
import subprocess
import sys
import warnings
from itertools import product
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import speechtext
from speechtext.cli import main
from speechtext.errors import FormatError, ParameterError
from speechtext.evaluation import (
    Report,
    average_precision,
    evaluate,
    expected_calibration_error,
)
from speechtext.io import Sentence, read_sentences, write_conll

# --------------------------------------------------------------------------------------- helpers


def seqeval_report(gold, pred, mode):
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    kwargs = {"mode": "strict", "scheme": IOB2} if mode == "strict" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # seqeval's UndefinedMetricWarning on empty types
        return classification_report(gold, pred, output_dict=True, **kwargs)


def assert_equals_seqeval(report, ref):
    names = [k for k in ref if not k.endswith(" avg")]
    assert list(report.per_type) == names
    rows = [(name, report.per_type[name]) for name in names]
    rows += [(f"{a} avg", getattr(report, a)) for a in ("micro", "macro", "weighted")]
    for name, s in rows:
        r = ref[name]
        # Exact equality: the same operations as seqeval, not merely close numbers.
        assert (s.precision, s.recall, s.f1, s.support) == (
            r["precision"],
            r["recall"],
            r["f1-score"],
            r["support"],
        ), name


def entities(tags):
    from seqeval.metrics.sequence_labeling import get_entities

    return get_entities(tags)


def corrupt(gold, seed):
    """Deterministic predictions: entities dropped, shifted, retyped, cut; stray tags; scores."""
    rng = random.Random(seed)
    types = sorted({t[2:] for s in gold for t in s.tags if t != "O"})
    preds = []
    for s in gold:
        tags = list(s.tags)
        for type_, start, end in entities(s.tags):
            r = rng.random()
            if r < 0.06:  # dropped
                tags[start : end + 1] = ["O"] * (end + 1 - start)
            elif r < 0.12:  # retyped
                new = rng.choice(types)
                tags[start : end + 1] = [f"B-{new}"] + [f"I-{new}"] * (end - start)
            elif r < 0.18 and end + 1 < len(tags):  # shifted right by one
                tags[start : end + 2] = ["O", f"B-{type_}"] + [f"I-{type_}"] * (end - start)
            elif r < 0.22 and end > start:  # cut short
                tags[end] = "O"
        for k in range(len(tags)):
            r = rng.random()
            if r < 0.03:
                tags[k] = f"{rng.choice('BI')}-{rng.choice(types)}"  # also I- after O
            elif r < 0.05 and tags[k].startswith("B-"):
                tags[k] = "I-" + tags[k][2:]
        # Confidence loosely tied to correctness, rounded so that ties occur.
        scores = [
            round(0.4 + 0.6 * rng.random() if t == g else rng.random(), 2)
            for t, g in zip(tags, s.tags, strict=True)
        ]
        preds.append(Sentence(list(s.tokens), tags, scores, s.line, "pred"))
    return preds


@pytest.fixture(scope="module")
def snips(snips_dir):
    gold = read_sentences(snips_dir / "test")
    return gold, corrupt(gold, seed=7)


# ------------------------------------------------------------------------------ equal to seqeval


@pytest.mark.parametrize("mode", ["default", "strict"])
def test_numbers_equal_seqeval_on_snips(snips, mode):
    gold, pred = snips
    report = evaluate(gold, pred, mode=mode)
    ref = seqeval_report([s.tags for s in gold], [s.tags for s in pred], mode)
    assert_equals_seqeval(report, ref)
    assert 0.5 < report.micro.f1 < 0.95  # the corruption is real
    assert report.sentences == 700 and report.tokens == sum(len(s.tokens) for s in gold)


def test_modes_differ_where_conlleval_and_strict_disagree(snips):
    gold, pred = snips
    default = evaluate(gold, pred)
    strict = evaluate(gold, pred, mode="strict")

    def predicted(report):
        return round(report.micro.recall * report.micro.support / report.micro.precision)

    # SNIPS gold is clean IOB2: both readings find the same gold entities ...
    assert default.micro.support == strict.micro.support
    # ... but stray I- tags in the predictions are entities for conlleval, not for strict IOB2
    assert predicted(default) > predicted(strict)


def test_text_report_is_seqevals_plus_ap_column(snips):
    from seqeval.metrics import classification_report

    gold, pred = snips
    g, p = [s.tags for s in gold], [s.tags for s in pred]
    ref = classification_report(g, p, digits=4).split("\n")
    text = evaluate(gold, pred).to_text(digits=4).split("\n")
    mine = [line[:-10] if line else line for line in text[: len(ref) - 1]]
    assert mine == ref[:-1]
    assert text[0].endswith("       ap")


# seqeval's own rules, every combination: the tables the fast chunker uses cannot drift from them.
def test_default_mode_rules_equal_seqeval_functions():
    from seqeval.metrics.sequence_labeling import end_of_chunk, start_of_chunk

    from speechtext.evaluation import chunking

    for prev_tag, tag in product("OBIES.", repeat=2):
        for prev_type, type_ in product(["_", "a", "b"], repeat=2):
            args = (prev_tag, tag, prev_type, type_)
            assert chunking.end_of_chunk(*args) == end_of_chunk(*args), args
            assert chunking.start_of_chunk(*args) == start_of_chunk(*args), args


def _tag(prefixes):
    return st.one_of(
        st.just("O"), st.tuples(st.sampled_from(prefixes), st.sampled_from("xy")).map("-".join)
    )


@settings(max_examples=120, deadline=None)
@given(data=st.data(), scheme=st.sampled_from(["IOB2", "IOB1", "IOE2", "IOBES", "BILOU"]))
def test_chunking_equals_seqeval_on_random_sequences(data, scheme):
    import seqeval.scheme
    from seqeval.metrics.sequence_labeling import get_entities

    prefixes = {"IOB2": "BI", "IOB1": "BI", "IOE2": "IE", "IOBES": "BIES", "BILOU": "BILU"}
    tag = _tag(prefixes[scheme])
    gold = data.draw(st.lists(st.lists(tag, max_size=7), min_size=1, max_size=5))
    pred = [data.draw(st.lists(tag, min_size=len(g), max_size=len(g))) for g in gold]

    # strict: seqeval's Entities with the scheme class
    report = evaluate(gold, pred, mode="strict", scheme=scheme)
    cls = getattr(seqeval.scheme, scheme)
    g_ent = {e.to_tuple() for e in chain_entities(gold, cls)}
    p_ent = {e.to_tuple() for e in chain_entities(pred, cls)}
    assert report.micro.support == len(g_ent)
    assert round(report.micro.recall * len(g_ent)) == len(g_ent & p_ent)
    if scheme != "BILOU":  # conlleval's reading knows no L- and U-
        report = evaluate(gold, pred, mode="default", scheme=scheme)
        g_ent, p_ent = set(get_entities(gold)), set(get_entities(pred))
        assert report.micro.support == len(g_ent)
        assert round(report.micro.recall * len(g_ent)) == len(g_ent & p_ent)
        assert round(report.micro.precision * len(p_ent)) == len(g_ent & p_ent)


def chain_entities(seqs, cls):
    from seqeval.scheme import Entities

    return [e for sent in Entities(seqs, cls).entities for e in sent]


@pytest.mark.parametrize(
    ("tags", "default", "strict"),
    [
        # I- after O starts a chunk for conlleval; strict IOB2 has no entity there
        (["O", "I-x", "I-x", "O"], [("x", 1, 2)], []),
        # a type change inside a chunk ends it and starts another
        (["B-x", "I-x", "I-y", "O"], [("x", 0, 1), ("y", 2, 2)], [("x", 0, 1)]),
        # B- after I- of the same type starts a new chunk
        (["B-x", "I-x", "B-x"], [("x", 0, 1), ("x", 2, 2)], [("x", 0, 1), ("x", 2, 2)]),
        # I- at the very start of a sentence
        (["I-x", "B-y"], [("x", 0, 0), ("y", 1, 1)], [("y", 1, 1)]),
    ],
)
def test_conlleval_chunking_edge_cases(tags, default, strict):
    for mode, expected in (("default", default), ("strict", strict)):
        report = evaluate([tags], [tags], mode=mode)
        assert report.micro.support == len(expected), mode
        types = sorted({t for t, _, _ in expected})
        assert list(report.per_type) == types
        # predict exactly the expected chunks in IOB2: full recall in both readings
        pred = ["O"] * len(tags)
        for t, start, end in expected:
            pred[start : end + 1] = [f"B-{t}"] + [f"I-{t}"] * (end - start)
        assert evaluate([tags], [pred], mode=mode).micro.recall == (1.0 if expected else 0.0)


def test_chunks_end_at_sentence_boundaries():
    # one sentence ends inside an entity, the next begins with I- of the same type: two entities
    gold = [["O", "B-x"], ["I-x", "O"]]
    report = evaluate(gold, gold)
    assert report.micro.support == 2
    assert evaluate(gold, gold, mode="strict").micro.support == 1
    # a sentence-final entity is complete
    assert evaluate([["B-x", "I-x"]], [["B-x", "O"]]).micro.f1 == 0.0


# ----------------------------------------------------------------------------- average precision


def test_average_precision_hand_computed():
    # ranked: 0.9 hit, 0.8 miss, 0.8 hit (tied with the miss), 0.3 hit; 5 gold entities
    hits = np.array([True, False, True, True])
    conf = np.array([0.9, 0.8, 0.8, 0.3])
    curve = average_precision(hits, conf, n_gold=5)
    # thresholds 0.9: P=1, R=1/5; 0.8: P=2/3, R=2/5; 0.3: P=3/4, R=3/5
    assert curve.ap == pytest.approx(1 * 0.2 + 2 / 3 * 0.2 + 3 / 4 * 0.2)
    np.testing.assert_allclose(curve.precision, [1, 2 / 3, 3 / 4])
    np.testing.assert_allclose(curve.recall, [0.2, 0.4, 0.6])
    assert average_precision(hits, conf, n_gold=0) is None
    assert average_precision(np.zeros(0, bool), np.zeros(0), n_gold=3).ap == 0.0


def test_average_precision_through_evaluate_hand_example():
    gold = [["B-a", "I-a", "O", "B-b"], ["B-a", "O"]]
    pred = [["B-a", "I-a", "O", "B-a"], ["O", "B-b"]]
    scores = [[0.9, 0.7, 0.5, 0.8], [0.1, 0.6]]
    report = evaluate(gold, pred, scores=scores)  # entity confidence = min of its tokens
    # predictions by confidence: a[0:1] 0.7 hit, a[3] 0.8 miss, b 0.6 miss; 3 gold entities
    # ranked 0.8 miss (P 0), 0.7 hit (P 1/2, R 1/3), 0.6 miss
    assert report.average_precision["micro"] == pytest.approx(0.5 / 3)
    assert report.per_type["a"].ap == pytest.approx(0.5 * 0.5)  # a: 2 gold, one found at rank 2
    assert report.per_type["b"].ap == 0.0
    assert report.average_precision["mean"] == pytest.approx((0.25 + 0.0) / 2)
    # "first": a[0:1] gets 0.9 and is ranked first: P 1 at R 1/2
    assert evaluate(gold, pred, scores=scores, entity_score="first").per_type["a"].ap == 0.5
    # "mean": a[0:1] gets 0.8 and ties with the miss: one threshold, P 1/2 at R 1/2
    mean = evaluate(gold, pred, scores=scores, entity_score="mean")
    assert mean.per_type["a"].ap == pytest.approx(0.25)
    # "product": 0.63 for a[0:1], ranked after the miss
    assert evaluate(gold, pred, scores=scores, entity_score="product").per_type["a"].ap == 0.25


@pytest.mark.parametrize("mode", ["default", "strict"])
def test_average_precision_equals_sklearn_scaled(snips, mode):
    from sklearn.metrics import average_precision_score

    gold, pred = snips
    report = evaluate(gold, pred, mode=mode)
    if mode == "strict":
        from seqeval.scheme import IOB2

        def ents(seqs):
            # seqeval's strict entities end exclusively; make them inclusive like get_entities
            return {(e.sent_id, e.tag, e.start, e.end - 1) for e in chain_entities(seqs, IOB2)}

    else:

        def ents(seqs):
            out = set()
            for i, tags in enumerate(seqs):
                out |= {(i, t, s, e) for t, s, e in entities(tags)}
            return out

    gold_ents = ents([s.tags for s in gold])
    pred_ents = sorted(ents([s.tags for s in pred]))
    for type_ in [None, *report.per_type]:
        preds = [e for e in pred_ents if type_ in (None, e[1])]
        n_gold = sum(1 for e in gold_ents if type_ in (None, e[1]))
        hits = np.array([e in gold_ents for e in preds])
        conf = np.array([min(pred[i].scores[s : e + 1]) for i, _, s, e in preds])
        ap = report.average_precision["micro"] if type_ is None else report.per_type[type_].ap
        if n_gold == 0:
            assert ap is None
        elif not hits.any():
            assert ap == 0.0
        else:
            expected = average_precision_score(hits, conf) * hits.sum() / n_gold
            assert ap == pytest.approx(expected, rel=1e-12), type_
    aps = [s.ap for s in report.per_type.values() if s.support]
    assert report.average_precision["mean"] == pytest.approx(np.mean(aps))


# ----------------------------------------------------------------------------------- calibration


def test_expected_calibration_error_hand_computed():
    correct = np.array([1, 0, 1, 1, 0])
    conf = np.array([0.95, 0.91, 0.35, 0.31, 0.0])
    ece, table = expected_calibration_error(correct, conf)
    # bin 9: acc 1/2, conf 0.93; bin 3: acc 1, conf 0.33; bin 0: acc 0, conf 0
    assert ece == pytest.approx((2 * 0.43 + 2 * 0.67 + 0) / 5)
    assert table["count"].tolist() == [1, 0, 0, 2, 0, 0, 0, 0, 0, 2]
    assert expected_calibration_error(np.zeros(0), np.zeros(0))[0] is None
    # perfectly calibrated: confidence 1 and always right
    assert expected_calibration_error(np.ones(4), np.ones(4))[0] == 0.0


def test_calibration_through_evaluate(snips):
    gold, pred = snips
    report = evaluate(gold, pred)
    rel = report.reliability
    assert rel["count"].sum() == sum(
        1 for s in pred for _ in entities(s.tags)
    )  # every predicted entity is binned once
    filled = rel["count"] > 0
    expected = (
        np.sum(rel["count"][filled] * np.abs(rel["accuracy"][filled] - rel["confidence"][filled]))
        / rel["count"].sum()
    )
    assert report.calibration["ece"] == pytest.approx(expected)
    assert 0.0 < report.calibration["ece"] < 0.5


def test_no_confidences_means_no_ap():
    report = evaluate([["B-x", "O"]], [["B-x", "O"]])
    assert report.average_precision is None and report.calibration is None
    assert report.per_type["x"].ap is None
    assert any("not available" in n for n in report.notes)
    assert "not available" in report.to_text()


def test_confidences_outside_unit_interval_give_ap_but_no_calibration():
    report = evaluate([["B-x", "O"]], [["B-x", "O"]], scores=[[-0.2, -3.0]])
    assert report.average_precision["micro"] == 1.0
    assert report.calibration is None
    assert any("outside [0, 1]" in n for n in report.notes)


# ------------------------------------------------------------------------------------ bad input


def test_no_gold_entities_and_no_predictions_give_zeros_with_a_note():
    report = evaluate([["O", "O"]], [["O", "B-x"]])
    assert report.micro == report.micro.__class__(0.0, 0.0, 0.0, 0)
    assert any("gold has no entities" in n for n in report.notes)
    report = evaluate([["O", "B-x"]], [["O", "O"]])
    assert (report.micro.precision, report.micro.recall, report.micro.f1) == (0.0, 0.0, 0.0)
    assert any("predictions hold no entities" in n for n in report.notes)
    report = evaluate([["O"]], [["O"]], scores=[[0.5]])
    assert report.per_type == {} and report.macro.f1 == 0.0
    assert report.average_precision is None
    assert "not available (no gold entities)" in report.to_text()
    assert report.token_accuracy == 1.0
    json.dumps(report.to_dict())
    report.to_text()


def test_different_counts_name_the_first_line_where_they_part(tmp_path):
    gold = [Sentence(["a", "b"], ["O", "O"], line=1, source="g.conll")]
    gold.append(Sentence(["c"], ["B-x"], line=4, source="g.conll"))
    pred = [Sentence(["a", "b"], ["O", "O"], line=1, source="p.conll")]
    pred.append(Sentence(["c", "d"], ["B-x", "O"], line=4, source="p.conll"))
    with pytest.raises(
        FormatError, match=r"sentence 2: g.conll:4 has 1 tokens but p.conll:4 has 2"
    ):
        evaluate(gold, pred)
    with pytest.raises(
        FormatError, match=r"gold has 2 sentences but predictions have 1.*g.conll:4"
    ):
        evaluate(gold, pred[:1])
    with pytest.raises(FormatError, match="pred sentence 2, token 1 has no counterpart"):
        evaluate([["O"]], [["O"], ["O"]])


def test_different_tokens_raise_or_warn():
    gold = [Sentence(["play", "jazz"], ["O", "B-genre"], line=1, source="g.conll")]
    pred = [Sentence(["play", "blues"], ["O", "B-genre"], line=7, source="p.conll")]
    with pytest.raises(FormatError, match="g.conll:2 has 'jazz' but p.conll:8 has 'blues'"):
        evaluate(gold, pred)
    report = evaluate(gold, pred, ignore_tokens=True)
    assert report.micro.f1 == 1.0
    assert any("1 tokens differ" in n for n in report.notes)


def test_invalid_tag_names_its_line():
    gold = [Sentence(["a", "b", "c"], ["O", "B-x", "X-PER"], line=10, source="gold.conll")]
    with pytest.raises(FormatError, match=r"^gold.conll:12: invalid tag 'X-PER'"):
        evaluate(gold, [["O", "O", "O"]])
    with pytest.raises(FormatError, match=r"pred sentence 1, token 2: invalid tag 'S-x'"):
        evaluate([["O", "O"]], [["O", "S-x"]])
    assert evaluate([["S-x"]], [["S-x"]], scheme="IOBES").micro.f1 == 1.0


def test_bad_parameters():
    with pytest.raises(ParameterError, match="mode="):
        evaluate([["O"]], [["O"]], mode="lenient")
    with pytest.raises(ParameterError, match="BILOU"):
        evaluate([["O"]], [["O"]], scheme="BILOU")
    with pytest.raises(ParameterError, match="entity_score="):
        evaluate([["O"]], [["O"]], entity_score="max")
    with pytest.raises(ParameterError, match="scores"):
        evaluate([["O"]], [["O"]], scores=[[0.1, 0.2]])
    with pytest.raises(ParameterError, match="no tags"):
        evaluate([Sentence(["a"], None)], [["O"]])
    with pytest.raises(ParameterError, match="string"):
        evaluate(["B-x O"], [["O"]])
    with pytest.raises(ParameterError, match="NaN"):
        evaluate([["B-x"]], [["B-x"]], scores=[[float("nan")]])


def test_types_filter_and_accuracies():
    gold = [["B-a", "O", "B-b"], ["B-a"]]
    pred = [["B-a", "O", "O"], ["B-b"]]
    assert list(evaluate(gold, pred, types="b").per_type) == ["b"]  # one name, not letters
    report = evaluate(gold, pred, types=["a", "zzz"])
    assert list(report.per_type) == ["a"]
    assert (report.micro.precision, report.micro.recall) == (1.0, 0.5)
    assert any("zzz" in n for n in report.notes)
    assert report.token_accuracy == pytest.approx(2 / 4)
    assert report.sentence_accuracy == 0.0
    assert evaluate([["O"], ["B-a"]], [["O"], ["O"]]).sentence_accuracy == 0.5


def test_public_names():
    import speechtext.evaluation as module

    assert speechtext.Report is Report
    # the package is speechtext.evaluation; speechtext.evaluate is always the function
    assert module.evaluate([["B-x"]], [["B-x"]]).micro.f1 == 1.0
    assert speechtext.evaluate([["B-x"]], [["B-x"]]).micro.f1 == 1.0
    assert speechtext.evaluate is evaluate
    from speechtext.cli import evaluate as cli

    # the CLI takes its choices from the library (repeating them is what this test once caught)
    assert cli.MODES == module.MODES
    assert cli.FORMATS == module.FORMATS
    assert cli.ENTITY_SCORES == module.ENTITY_SCORES
    assert set(module.__all__) <= set(dir(module))


@pytest.mark.parametrize("first", ["import speechtext.evaluation", "import speechtext.cli"])
def test_evaluate_is_the_function_whatever_was_imported_first(first):
    code = (
        f"import sys, types; {first}; import speechtext\n"
        "from speechtext.evaluation import evaluate\n"
        "print(isinstance(speechtext.evaluate, types.FunctionType), "
        "speechtext.evaluate is evaluate)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.split() == ["True", "True"]


def test_imports_stay_light():
    code = (
        "import sys\n"
        "from speechtext.evaluation import ENTITY_SCORES, FORMATS, MODES\n"
        "print(sorted({'numpy'} & set(sys.modules)))\n"
        "from speechtext.evaluation import evaluate\n"
        "evaluate([['B-x']], [['B-x']])\n"
        "print(sorted({'seqeval', 'sklearn', 'matplotlib'} & set(sys.modules)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.split() == ["[]", "[]"]


# ------------------------------------------------------------------------------------------- CLI


@pytest.fixture(scope="module")
def pred_file(snips, tmp_path_factory):
    path = tmp_path_factory.mktemp("pred") / "pred.conll"
    write_conll(path, snips[1])
    return path


def test_cli_json_has_exactly_the_documented_keys(snips_dir, snips, pred_file, capsys):
    assert main(["evaluate", str(snips_dir / "test"), str(pred_file), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert list(doc) == [
        "micro",
        "macro",
        "weighted",
        "per_type",
        "average_precision",
        "calibration",
        "token_accuracy",
        "sentence_accuracy",
        "sentences",
        "tokens",
        "match_modes",
        "match_modes_by_type",
        "confusion",
        "errors_total",
        "errors",
    ]
    for avg in ("micro", "macro", "weighted"):
        assert list(doc[avg]) == ["precision", "recall", "f1", "support"]
    assert all(
        list(v) == ["precision", "recall", "f1", "support", "ap"] for v in doc["per_type"].values()
    )
    assert list(doc["average_precision"]) == ["micro", "mean"]
    assert list(doc["calibration"]) == ["ece"]
    report = evaluate(*snips)
    assert doc == json.loads(json.dumps(report.to_dict()))
    assert doc["sentences"] == 700
    values = [doc["token_accuracy"], doc["sentence_accuracy"], doc["calibration"]["ece"]]
    values += [x for v in doc["per_type"].values() for k, x in v.items() if k != "support"]
    assert all(0.0 <= x <= 1.0 for x in values)


def test_cli_every_format_and_plots(snips_dir, pred_file, tmp_path, capsys):
    gold = str(snips_dir / "test")
    plots = str(tmp_path / "plots")
    # a few types keep the drawing short
    assert (
        main(["evaluate", gold, str(pred_file), "--plot", plots, "--types", "city,genre,year"]) == 0
    )
    captured = capsys.readouterr()
    assert "micro avg" in captured.out and "expected calibration error" in captured.out
    for name in ("pr_curve.png", "pr_curves_by_type.png", "reliability.png"):
        assert (tmp_path / "plots" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["evaluate", gold, str(pred_file), "--format", "csv", "--mode", "strict"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "type,precision,recall,f1,support,ap"
    assert lines[-1].startswith("weighted avg,") and len(lines) == 1 + 39 + 3
    out = tmp_path / "report.md"
    assert main(["evaluate", gold, str(pred_file), "--format", "markdown", "-o", str(out)]) == 0
    assert out.read_text().startswith("| type | precision | recall | f1 | support | ap |")
    # seq.out as predictions: no confidences, so AP is not available and nothing is plotted
    seq_out = str(snips_dir / "test" / "seq.out")
    assert main(["evaluate", gold, seq_out, "--plot", str(tmp_path / "none")]) == 0
    captured = capsys.readouterr()
    assert "1.0000    1.0000    1.0000      1790       n/a" in captured.out
    assert "nothing plotted" in captured.err and not (tmp_path / "none").exists()


def test_the_first_invalid_tag_in_reading_order_is_named():
    # Y-b comes first in the corpus, X-a first in sorted order: the message is about Y-b.
    with pytest.raises(FormatError, match=r"gold sentence 1, token 2: invalid tag 'Y-b'"):
        evaluate([["O", "Y-b"], ["X-a"]], [["O", "O"], ["O"]])


def test_no_entity_at_all_gives_zero_averages_where_seqeval_gives_nan():
    # Documented: every average is 0.0 (conlleval.pl prints 0.00 too); seqeval's macro is NaN.
    gold = pred = [["O", "O"], ["O"]]
    report = evaluate(gold, pred)
    for avg in (report.micro, report.macro, report.weighted):
        assert (avg.precision, avg.recall, avg.f1, avg.support) == (0.0, 0.0, 0.0, 0)
    assert json.loads(report.render("json"))["macro"]["f1"] == 0.0  # valid JSON: no NaN
    ref = seqeval_report(gold, pred, "default")
    assert np.isnan(ref["macro avg"]["f1-score"]) and ref["micro avg"]["f1-score"] == 0.0


def test_cli_conlleval_file(tmp_path, capsys):
    path = tmp_path / "output.txt"
    path.write_text("Rome NNP B-LOC I-LOC\nis VBZ O O\n\nJohn NNP B-PER B-PER\n")
    assert main(["evaluate", str(path), "--conlleval", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["micro"]["f1"] == 1.0  # I-LOC after O is a chunk
    assert main(["evaluate", str(path), "--conlleval", "--mode", "strict", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["micro"]["recall"] == 0.5


def test_cli_errors_are_messages_not_tracebacks(tmp_path, capsys):
    gold = tmp_path / "gold.conll"
    gold.write_text("a\tO\nb\tX-PER\n")
    pred = tmp_path / "pred.conll"
    pred.write_text("a\tO\nb\tO\n")
    assert main(["evaluate", str(gold), str(pred)]) == 1
    assert f"{gold}:2: invalid tag 'X-PER'" in capsys.readouterr().err
    text = tmp_path / "plain.txt"
    text.write_text("a b\n")
    assert main(["evaluate", str(pred), str(text)]) == 1
    assert "has no tags" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["evaluate", str(gold)])
    assert "--conlleval" in capsys.readouterr().err


def test_console_script_end_to_end(snips_dir, pred_file):
    exe = Path(sys.executable).parent / "speechtext"
    result = subprocess.run(
        [str(exe), "evaluate", str(snips_dir / "test"), str(pred_file), "--types", "artist,album"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[2].split()[0] == "album" and lines[3].split()[0] == "artist"
    assert lines[4] == ""
