"""Inputs are never overwritten: every command that writes refuses, before reading anything, an
output that is the same file as an input (the same path, a symbolic link, a hard link), and an
output folder that is an input folder (issue 12, case 1)."""

import json
import os
import shutil
from pathlib import Path

import pytest
from clitools import run_cli

from speechtext.errors import SpeechTextError

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
TEMPLATE = {
    "id": 0,
    "text": "play jazz",
    "template": "play [genre]",
    "slots": [{"name": "genre", "value": "jazz", "start": 5, "end": 9}],
}


def _same_file(kind, target, link):
    """Make ``link`` the same file as ``target``: its very path, a symbolic or a hard link."""
    if kind == "path":
        return target
    if kind == "symlink":
        link.symlink_to(target)
    else:
        os.link(target, link)
    return link


def _inputs(tmp_path):
    """An input of each kind the commands read, in tmp_path."""
    shutil.copy(SAMPLES / "gold.conll", tmp_path / "gold.conll")
    (tmp_path / "templates.jsonl").write_text(json.dumps(TEMPLATE) + "\n")
    (tmp_path / "lexicon.tsv").write_text("genre\tblues\n")
    (tmp_path / "words.txt").write_text("hello world\n")
    return tmp_path


# Command lines: {IN} is the input made the same file as the output {OUT}, {DIR} the folder of
# the other inputs; and the input's name (a copy of gold.conll unless _inputs made it).
COMMANDS = {
    "tag predict": (["tag", "predict", "{IN}", "-o", "{OUT}"], "in.conll"),
    "tag predict MODEL": (["tag", "predict", "{IN}", "{DIR}/gold.conll", "-o", "{OUT}"], "m"),
    # the second output, OUT.nbest.jsonl, is the input
    "tag predict --nbest": (
        ["tag", "predict", "{IN}", "-o", "{OUTBASE}", "--nbest", "2"],
        "in.nbest.jsonl",
    ),
    "tag train": (["tag", "train", "{IN}", "-o", "{OUT}"], "in.conll"),
    "tag train --dev": (["tag", "train", "{DIR}/gold.conll", "--dev", "{IN}", "-o", "{OUT}"], "d"),
    "tag select": (["tag", "select", "{IN}", "-n", "1", "-o", "{OUT}"], "in.conll"),
    "delex": (["delex", "{IN}", "-o", "{OUT}"], "in.conll"),
    "delex --lexicon": (
        ["delex", "{DIR}/gold.conll", "--lexicon", "{IN}", "-o", "{OUT}"],
        "lexicon.tsv",
    ),
    "relex": (["relex", "{IN}", "-n", "1", "-o", "{OUT}"], "templates.jsonl"),
    "relex --lexicon": (
        ["relex", "{DIR}/templates.jsonl", "--lexicon", "{IN}", "-n", "1", "-o", "{OUT}"],
        "lexicon.tsv",
    ),
    "evaluate GOLD": (["evaluate", "{IN}", "{DIR}/gold.conll", "-o", "{OUT}"], "in.conll"),
    "evaluate PRED": (["evaluate", "{DIR}/gold.conll", "{IN}", "-o", "{OUT}"], "in.conll"),
    "evaluate --conlleval": (["evaluate", "--conlleval", "{IN}", "-o", "{OUT}"], "in.conll"),
}


@pytest.mark.parametrize("kind", ["path", "symlink", "hardlink"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_single_file_commands_refuse_an_output_that_is_an_input(tmp_path, command, kind):
    folder = _inputs(tmp_path)
    args, name = COMMANDS[command]
    source = folder / name
    if not source.exists():
        shutil.copy(folder / "gold.conll", source)
    before = source.read_bytes()
    suffix = ".nbest.jsonl" if name.endswith(".nbest.jsonl") else ""
    output = _same_file(kind, source, folder / f"out{suffix}")
    files = sorted(folder.iterdir())
    fill = {
        "{IN}": str(source),
        "{OUT}": str(output),
        "{OUTBASE}": str(output).removesuffix(suffix),
        "{DIR}": str(folder),
    }
    argv = []
    for arg in args:
        for key, value in fill.items():
            arg = arg.replace(key, value)
        argv.append(arg)
    status, _, err = run_cli(*argv)
    assert status == 1, err
    assert f"-o {output} would overwrite an input: " in err, err
    relation = {"path": "it is the input", "symlink": "symbolic link", "hardlink": "hard link"}
    assert relation[kind] in err and f"the input {source}; choose another -o" in err
    assert source.read_bytes() == before
    assert sorted(folder.iterdir()) == files  # nothing written, not even another output


@pytest.mark.parametrize("kind", ["path", "symlink"])
@pytest.mark.parametrize(
    "command",
    [["telephone"], ["pitch"], ["g2p", "-i"]],
    ids=["telephone", "pitch", "g2p"],
)
def test_batch_commands_refuse_an_input_folder_as_output_folder(tmp_path, command, kind):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SAMPLES / "wake_me_up.wav", folder)
    shutil.copy(SAMPLES / "wake_me_up.txt", folder)
    before = sorted(p.name for p in folder.iterdir())
    output = _same_file(kind, folder, tmp_path / "link")
    status, _, err = run_cli(*command, folder, "-o", output)
    assert status == 1
    assert f"-o {output} would overwrite an input" in err and f"input folder {folder}" in err
    assert sorted(p.name for p in folder.iterdir()) == before  # no failures.jsonl in it


@pytest.mark.parametrize(
    ("command", "source", "output"),
    [
        (["telephone"], "wake_me_up.wav", "wake_me_up.wav"),
        (["pitch"], "wake_me_up.wav", "wake_me_up.f0.csv"),
        (["g2p", "-i"], "wake_me_up.txt", "wake_me_up.phones.txt"),
    ],
    ids=["telephone", "pitch", "g2p"],
)
def test_batch_commands_refuse_an_output_hard_linked_to_an_input(tmp_path, command, source, output):
    folder, outdir = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    outdir.mkdir()
    shutil.copy(SAMPLES / source, folder)
    before = (folder / source).read_bytes()
    os.link(folder / source, outdir / output)
    status, _, err = run_cli(*command, folder / source, "-o", outdir, "--overwrite")
    assert status == 1
    assert f"its output {outdir / output} would overwrite an input: it is a hard link" in err
    assert (folder / source).read_bytes() == before


def test_pitch_refuses_an_input_where_it_writes_summary_csv(tmp_path):
    shutil.copy(SAMPLES / "wake_me_up.wav", tmp_path / "summary.csv")
    status, _, err = run_cli("pitch", tmp_path / "summary.csv", "-o", tmp_path)
    assert status == 1 and "summary.csv would overwrite an input" in err


def test_output_folder_inside_an_input_folder_given_through_a_link_is_not_read_back(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SAMPLES / "wake_me_up.txt", folder)
    (tmp_path / "link").symlink_to(folder)
    for _ in range(2):
        status, _, err = run_cli("g2p", "-i", folder, "-o", tmp_path / "link" / "phones")
        assert status == 0, err
    written = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.txt"))
    assert written == ["phones/wake_me_up.phones.txt", "wake_me_up.txt"]


def test_a_seq_folder_input_counts_its_seq_in_and_seq_out(tmp_path):
    (tmp_path / "seq.in").write_text("play jazz\n")
    (tmp_path / "seq.out").write_text("O B-genre\n")
    status, _, err = run_cli("delex", tmp_path, "-o", tmp_path / "seq.out")
    assert status == 1 and "would overwrite an input" in err
    assert (tmp_path / "seq.out").read_text() == "O B-genre\n"
    status, _, err = run_cli("delex", tmp_path, "-o", tmp_path / "templates.jsonl")
    assert status == 0, err


def test_refuse_overwriting_inputs_library(tmp_path):
    from speechtext.io.folders import refuse_overwriting_inputs

    (tmp_path / "a.txt").write_text("x")
    refuse_overwriting_inputs([tmp_path / "b.txt"], [tmp_path / "a.txt", tmp_path / "missing"])
    with pytest.raises(SpeechTextError, match="--out .*a.txt would overwrite an input: it is"):
        refuse_overwriting_inputs([tmp_path / "a.txt"], [tmp_path / "a.txt"], what="--out")
