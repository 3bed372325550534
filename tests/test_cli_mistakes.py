"""What users really do wrong, end to end through the CLI: one reader decides what a file is
(space-separated CoNLL is an error, not plain text), outputs that cannot be files, invalid tags
named where they first occur (issue 12, cases 8 and 17)."""

import shutil
from pathlib import Path

import pytest
from clitools import run_cli

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


@pytest.fixture
def spaced(tmp_path):
    """data/samples/gold.conll with spaces for its TABs, as users paste it."""
    path = tmp_path / "spaced.conll"
    path.write_text((SAMPLES / "gold.conll").read_text().replace("\t", " "))
    return path


# ------------------------------------------------------------- case 8: one reader decides


@pytest.mark.parametrize(
    "command",
    [
        ["delex", "{}", "-o", "{out}"],
        ["tag", "predict", "{}", "-o", "{out}"],
        ["tag", "train", "{}", "-o", "{out}"],
        ["evaluate", "{}", "{}"],
        ["evaluate", str(SAMPLES / "gold.conll"), "{}"],
    ],
    ids=["delex", "tag predict", "tag train", "evaluate", "evaluate PRED"],
)
def test_space_separated_conll_is_an_error_naming_the_line_for_every_command(
    spaced, tmp_path, command
):
    argv = [a.format(spaced, out=tmp_path / "out") for a in command]
    status, _, err = run_cli(*argv)
    assert status == 1
    first = err.strip().splitlines()[0]
    assert first.startswith(f"speechtext: error: {spaced}:1: 'add O' looks like CoNLL"), first
    assert "CoNLL columns are TAB-separated" in first
    assert not (tmp_path / "out").exists()


def test_plain_text_that_looks_like_conll_is_read_as_text_when_asked(spaced, tmp_path):
    status, _, err = run_cli("delex", spaced, "--format", "text", "-o", tmp_path / "d.jsonl")
    assert status == 0, err
    assert "104 utterances" in err  # one per line, as asked


def test_plain_text_with_a_few_tag_like_words_is_still_text(tmp_path):
    utterances = tmp_path / "requests.txt"
    utterances.write_text("take I-95 north\nplay some jazz\ncall O\nwake me up at six\n")
    status, _, err = run_cli("delex", utterances, "-o", tmp_path / "d.jsonl")
    assert status == 0, err
    assert "4 utterances" in err


def test_conlleval_format_without_the_flag_says_to_use_it(tmp_path):
    path = tmp_path / "output.txt"
    path.write_text("play O O\njazz B-genre B-genre\n")
    status, _, err = run_cli("evaluate", path, path)
    assert status == 1
    assert f"{path}:1: 'play O O' looks like conlleval's format" in err and "--conlleval" in err
    status, out, err = run_cli("evaluate", "--conlleval", path)
    assert status == 0, err


# ------------------------------------------------------------------ case 17: tracebacks


@pytest.mark.parametrize(
    "command",
    [
        ["tag", "train", "{gold}", "-o", "{dir}"],
        ["tag", "predict", "{gold}", "-o", "{dir}"],
        ["tag", "select", "{gold}", "-n", "1", "-o", "{dir}"],
        ["delex", "{gold}", "-o", "{dir}"],
        ["evaluate", "{gold}", "{gold}", "-o", "{dir}"],
    ],
    ids=["tag train", "tag predict", "tag select", "delex", "evaluate"],
)
def test_an_existing_folder_as_output_file_is_a_message(tmp_path, command):
    folder = tmp_path / "models"
    folder.mkdir()
    argv = [a.format(gold=SAMPLES / "gold.conll", dir=folder) for a in command]
    status, _, err = run_cli(*argv)
    assert status == 1
    assert f"speechtext: error: {folder}: is a folder; give a file name" in err
    assert list(folder.iterdir()) == []


def test_an_output_below_a_file_is_a_message(tmp_path):
    (tmp_path / "afile").write_text("")
    status, _, err = run_cli("delex", SAMPLES / "gold.conll", "-o", tmp_path / "afile" / "d.jsonl")
    assert status == 1 and "afile is a file, not a folder" in err


def test_relex_to_an_existing_folder_is_a_message(tmp_path):
    templates = tmp_path / "t.jsonl"
    assert run_cli("delex", SAMPLES / "gold.conll", "-o", templates)[0] == 0
    status, _, err = run_cli("relex", templates, "-n", "2", "-o", tmp_path)
    assert status == 1 and f"{tmp_path}: is a folder" in err


def test_evaluate_names_the_first_invalid_tag(tmp_path):
    lines = (SAMPLES / "gold.conll").read_text().split("\n")
    assert lines[5] == "workout\tB-playlist" and lines[57] == "michael\tB-artist"
    lines[5] = "workout\tZ-playlist"  # line 6: the first invalid tag
    lines[57] = "michael\tX-artist"  # line 58: sorts before Z-playlist
    pred = tmp_path / "pred.conll"
    pred.write_text("\n".join(lines))
    status, _, err = run_cli("evaluate", SAMPLES / "gold.conll", pred)
    assert status == 1
    assert f"{pred}:6: invalid tag 'Z-playlist'" in err, err
    # gold is read first: its first invalid tag is named before any of the predictions'
    shutil.copy(pred, tmp_path / "gold.conll")
    status, _, err = run_cli("evaluate", tmp_path / "gold.conll", pred)
    assert f"{tmp_path / 'gold.conll'}:6: invalid tag 'Z-playlist'" in err, err
