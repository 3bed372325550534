"""`speechtext evaluate --conlleval` against conlleval.pl: the same counts, the same report.

conlleval.pl is the CoNLL shared tasks' evaluation script (version 2004-01-26; seqeval keeps a
copy as tests/conlleval.pl). What it printed for each tricky file below was recorded by running it
with perl 5.36; the tests compare speechtext against those records always, and against the script
itself where `perl` runs and the script is found (the CONLLEVAL_PL environment variable, or
tests/data/conlleval.pl).
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from clitools import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from speechtext.evaluation import evaluate
from speechtext.io import read_conlleval

# name -> (file, what conlleval.pl printed for it)
TRICKY = {
    "docstart": (
        "-DOCSTART- -X- O O\n"
        "\n"
        "John NNP B-PER B-PER\n"
        "lives VBZ O O\n"
        "in IN O O\n"
        "Rome NNP B-LOC B-LOC\n"
        "\n"
        "-DOCSTART- -X- O O\n"
        "\n"
        "Paris NNP B-LOC B-ORG\n",
        "processed 7 tokens with 3 phrases; found: 3 phrases; correct: 2.\n"
        "accuracy:  85.71%; precision:  66.67%; recall:  66.67%; FB1:  66.67\n"
        "              LOC: precision: 100.00%; recall:  50.00%; FB1:  66.67  1\n"
        "              ORG: precision:   0.00%; recall:   0.00%; FB1:   0.00  1\n"
        "              PER: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n",
    ),
    "boundary": (
        "John NNP B-PER B-PER\n"
        "Smith NNP I-PER I-PER\n"
        "-X- -X- O O\n"
        "Rome NNP I-LOC B-LOC\n"
        "is VBZ O O\n"
        "-X- -X- B-LOC I-LOC\n"
        "big JJ I-LOC I-LOC\n",
        "processed 5 tokens with 3 phrases; found: 3 phrases; correct: 3.\n"
        "accuracy:  80.00%; precision: 100.00%; recall: 100.00%; FB1: 100.00\n"
        "              LOC: precision: 100.00%; recall: 100.00%; FB1: 100.00  2\n"
        "              PER: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n",
    ),
    "two_columns": (
        "B-PER B-PER\nI-PER O\n\nO B-LOC\nB-LOC I-LOC\n",
        "processed 4 tokens with 2 phrases; found: 2 phrases; correct: 0.\n"
        "accuracy:  25.00%; precision:   0.00%; recall:   0.00%; FB1:   0.00\n"
        "              LOC: precision:   0.00%; recall:   0.00%; FB1:   0.00  1\n"
        "              PER: precision:   0.00%; recall:   0.00%; FB1:   0.00  1\n",
    ),
    "inside_after_o": (
        "a O O\nb I-x I-x\nc I-x I-x\nd O I-y\ne I-y I-y\n\nf I-x B-x\ng I-y I-x\n",
        "processed 7 tokens with 4 phrases; found: 3 phrases; correct: 1.\n"
        "accuracy:  57.14%; precision:  33.33%; recall:  25.00%; FB1:  28.57\n"
        "                x: precision:  50.00%; recall:  50.00%; FB1:  50.00  2\n"
        "                y: precision:   0.00%; recall:   0.00%; FB1:   0.00  1\n",
    ),
    "mixed_types": (
        "a B-a-b B-a-b\nb I-a-b I-c\nc I-c I-c\nd B-c B-c\ne B-c I-c\nf O B-a-b\n",
        "processed 6 tokens with 4 phrases; found: 4 phrases; correct: 0.\n"
        "accuracy:  50.00%; precision:   0.00%; recall:   0.00%; FB1:   0.00\n"
        "              a-b: precision:   0.00%; recall:   0.00%; FB1:   0.00  2\n"
        "                c: precision:   0.00%; recall:   0.00%; FB1:   0.00  2\n",
    ),
    "empty_sentences": (
        "\n\n\na B-x B-x\n\n\n\nb O O\nc B-y B-y\n\n\n",
        "processed 3 tokens with 2 phrases; found: 2 phrases; correct: 2.\n"
        "accuracy: 100.00%; precision: 100.00%; recall: 100.00%; FB1: 100.00\n"
        "                x: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n"
        "                y: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n",
    ),
    "no_entities": (
        "a O O\nb O O\n\nc O O\n",
        "processed 3 tokens with 0 phrases; found: 0 phrases; correct: 0.\n"
        "accuracy: 100.00%; precision:   0.00%; recall:   0.00%; FB1:   0.00\n",
    ),
    "no_trailing_newline": (
        "a B-x B-x\nb I-x I-x",
        "processed 2 tokens with 1 phrases; found: 1 phrases; correct: 1.\n"
        "accuracy: 100.00%; precision: 100.00%; recall: 100.00%; FB1: 100.00\n"
        "                x: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n",
    ),
    "empty": (
        "",
        "processed 0 tokens with 0 phrases; found: 0 phrases; correct: 0.\n",
    ),
}

_FIGURES = re.compile(
    r"processed (\d+) tokens with (\d+) phrases; found: (\d+) phrases; correct: (\d+)\.\n"
    r"(?:accuracy: +([\d.]+)%; precision: +([\d.]+)%; recall: +([\d.]+)%; FB1: +([\d.]+)\n)?"
)


def _conlleval_pl():
    """The script, if it and perl are at hand."""
    path = os.environ.get("CONLLEVAL_PL") or Path(__file__).parent / "data" / "conlleval.pl"
    if shutil.which("perl") is None or not Path(path).is_file():
        return None
    return Path(path)


def _perl(script, text):
    proc = subprocess.run(["perl", str(script)], input=text.encode(), capture_output=True)
    return proc.returncode, proc.stdout.decode()


def _ours(path):
    gold, pred = read_conlleval(path)
    return evaluate(gold, pred).to_conlleval()


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_figures_are_conlleval_pl_figures(name, tmp_path):
    text, record = TRICKY[name]
    path = tmp_path / f"{name}.txt"
    path.write_text(text)
    gold, pred = read_conlleval(path)
    report = evaluate(gold, pred)
    tokens, phrases, found, correct, *percent = _FIGURES.match(record).groups()
    assert report.tokens == int(tokens)
    assert report.micro.support == int(phrases)
    assert sum(c for _, c, _ in report.counts.values()) == int(found)
    assert sum(c for c, _, _ in report.counts.values()) == int(correct)
    if percent[0] is not None:
        ours = (report.token_accuracy, report.micro.precision, report.micro.recall, report.micro.f1)
        assert [f"{100 * x:.2f}" for x in ours] == percent


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_report_is_conlleval_pl_report(name, tmp_path):
    text, record = TRICKY[name]
    path = tmp_path / f"{name}.txt"
    path.write_text(text)
    assert _ours(path) == record


def test_cli_prints_conlleval_pl_report(tmp_path):
    path = tmp_path / "output.txt"
    path.write_text(TRICKY["docstart"][0])
    status, out, err = run_cli("evaluate", path, "--conlleval", "--format", "conlleval")
    assert status == 0, err
    assert out == TRICKY["docstart"][1]


def test_reading_as_conlleval_pl_reads(tmp_path):
    path = tmp_path / "output.txt"
    path.write_text(TRICKY["docstart"][0])
    gold, pred = read_conlleval(path)
    # -DOCSTART- lines are tokens (conlleval.pl counts them); sentences start at their token
    assert [s.tokens for s in gold] == [["-DOCSTART-"], ["John", "lives", "in", "Rome"],
                                        ["-DOCSTART-"], ["Paris"]]  # fmt: skip
    assert [s.line for s in gold] == [1, 3, 8, 10]
    assert pred[3].tags == ["B-ORG"] and gold[3].where(0) == f"{path}:10"
    path.write_text(TRICKY["boundary"][0])
    gold, pred = read_conlleval(path)
    assert [s.tokens for s in gold] == [["John", "Smith"], ["Rome", "is"], ["big"]]  # -X-: ends
    path.write_text(TRICKY["two_columns"][0])
    gold, pred = read_conlleval(path)
    assert [s.tokens for s in gold] == [None, None]  # two columns: gold and predicted only
    assert [s.tags for s in pred] == [["B-PER", "O"], ["B-LOC", "I-LOC"]]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("B-PER\nO\n", "x.txt:1: 1 column; conlleval's format needs the gold and the predicted"),
        ("a N B-PER B-PER\nb N O O\nc O O\n", "x.txt:3: 3 columns, but line 1 has 4"),
        ("a N O O\n-DOCSTART- O O\n", "x.txt:2: 3 columns, but line 1 has 4"),  # perl: the same
    ],
    ids=["one column", "fewer columns", "a -DOCSTART- line of fewer columns"],
)
def test_lines_conlleval_pl_rejects_are_errors(text, message, tmp_path):
    path = tmp_path / "x.txt"
    path.write_text(text)
    status, out, err = run_cli("evaluate", path, "--conlleval")
    assert status == 1 and out == ""
    assert f"speechtext: error: {path.parent}/{message}" in err
    script = _conlleval_pl()
    if script is not None:
        assert _perl(script, text)[0] != 0  # the script refuses them too


def test_iobes_is_refused_where_conlleval_pl_cannot_read_it(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("a S-x S-x\nb S-x S-x\n")
    status, _, err = run_cli("evaluate", path, "--conlleval", "--scheme", "IOBES")
    assert status != 0 and "does not read IOBES" in err
    status, out, _ = run_cli(
        "evaluate", path, "--conlleval", "--scheme", "IOBES", "--mode", "strict", "--format", "json"
    )
    assert status == 0 and '"support": 2' in out


# --- against the script itself, where it runs -------------------------------------------------

needs_perl = pytest.mark.skipif(
    _conlleval_pl() is None,
    reason="perl or conlleval.pl not found (set CONLLEVAL_PL to the script, e.g. seqeval's "
    "tests/conlleval.pl)",
)


@needs_perl
@pytest.mark.parametrize("name", sorted(TRICKY))
def test_records_are_what_conlleval_pl_prints(name):
    text, record = TRICKY[name]
    assert _perl(_conlleval_pl(), text) == (0, record)


def _line(types, prefixes, columns):
    tag = st.one_of(st.just("O"), st.builds("{}-{}".format, st.sampled_from(prefixes), types))
    token = st.sampled_from(["a", "b", "-DOCSTART-", "-X-"])
    fields = st.tuples(token, tag, tag).map(
        lambda f: [f[0], *["F"] * (columns - 3), f[1], f[2]] if columns > 2 else [f[1], f[2]]
    )
    return st.one_of(st.just(""), fields.map(" ".join))


conlleval_files = st.sampled_from([("IOB2", "BI"), ("IOB1", "BI"), ("IOE2", "EI")]).flatmap(
    lambda scheme: st.tuples(
        st.just(scheme[0]),
        st.integers(2, 4).flatmap(
            lambda columns: st.lists(
                _line(st.sampled_from(["PER", "LOC", "a-b"]), scheme[1], columns), max_size=25
            )
        ),
        st.sampled_from(["", "\n", "\n\n"]),
    )
)


@needs_perl
@settings(max_examples=40, deadline=None)
@given(conlleval_files)
def test_generated_files_equal_conlleval_pl(tmp_path_factory, generated):
    scheme, lines, tail = generated
    text = "\n".join(lines) + tail
    path = tmp_path_factory.mktemp("gen") / "f.txt"
    path.write_text(text)
    gold, pred = read_conlleval(path)
    assert _perl(_conlleval_pl(), text) == (0, evaluate(gold, pred, scheme=scheme).to_conlleval())
