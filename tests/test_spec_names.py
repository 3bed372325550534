"""Spec names and spec errors: a bare name is a shipped spec, whatever lies in the current folder;
a file is a path ending in .toml (or holding a separator); a bad value names its setting's line
(issue 12, cases 17 and 19)."""

import shutil
from pathlib import Path

import pytest
from clitools import run_cli

from speechtext.errors import SpeechTextError
from speechtext.pipeline import load_spec

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


@pytest.fixture
def recording(tmp_path):
    folder = tmp_path / "recordings"
    folder.mkdir()
    shutil.copy(SAMPLES / "wake_me_up.wav", folder)
    return folder


def _stages(name):
    return [s.name for s in load_spec(name).stages]


def test_a_folder_named_like_a_shipped_spec_does_not_shadow_it(tmp_path, recording, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the README's own commands, one after the other
    status, _, err = run_cli("telephone", "recordings/", "-o", "telephone/")
    assert status == 0, err
    assert Path("telephone").is_dir()
    status, _, err = run_cli("run", "telephone", "recordings/", "-o", "run/", "--workers", "1")
    assert status == 0, err
    assert Path("run/wake_me_up.f0.csv").exists()


def test_a_file_named_like_a_shipped_spec_does_not_shadow_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("telephone").write_text("not a spec")
    assert _stages("telephone") == ["telephone", "pitch"]
    Path("telephone.toml").write_text('[[stage]]\nname = "pitch"\n')
    assert _stages("telephone.toml") == _stages("./telephone.toml") == ["pitch"]


def test_an_unknown_bare_name_lists_the_shipped_specs_and_says_a_file_needs_toml(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    Path("myspec").write_text('[[stage]]\nname = "pitch"\n')
    status, _, err = run_cli("run", "myspec", str(tmp_path), "-o", "out")
    assert status == 1
    assert err.startswith("speechtext: error: myspec: not a shipped spec (demo, telephone, text)")
    assert "ending in .toml" in err and "./myspec" in err
    # as a path it is read (whatever its suffix)
    assert _stages("./myspec") == ["pitch"]
    with pytest.raises(SpeechTextError, match=r"nowhere.toml: no such spec file"):
        load_spec(tmp_path / "nowhere.toml")


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('[[stage]]\nname = "pitch"\n\nfmin = -5\n', 4, ["pitch stage", "fmin=-5"]),
        ('[[stage]]\nname = "telephone"\n# the line\npreset = "g711"\n', 4, ["g711", "g712"]),
        ('[[stage]]\nname = "pitch"\nfmin = 60\nhop = 0.01\nfmax = 40\n', 5, ["below fmax"]),
        ('[[stage]]\nname = "tag"\nnbest = 4\nbeam = 0\n', 4, ["beam = 0"]),
        ('[[stage]]\nname = "tag"\n\nmodel = "none.tagger"\n', 4, ["no such model file"]),
        ('[[stage]]\nname = "g2p"\nformat = "ipa"\nnbest = 0\n', 4, ["nbest"]),
        ('[[stage]]\nname = "tag"\n[[stage]]\nname = "evaluate"\nmode = "lax"\n', 5, ["mode"]),
        ("[[stage]]\nname = 'pitch'\n'fmin' = 'low'\n", 3, ["should be a float"]),
        # stages as inline tables: checked too, each named by its own line
        ('stage = [\n  {name = "pitch"},\n  {name = "tag", beam = 0},\n]\n', 3, ["beam = 0"]),
        ('stage = [{name = "pitch", fmin = "x"}]\n', 1, ["should be a float"]),
        ('stage = [\n {name = "pitch"},\n {name = "tagg"}]\n', 3, ["unknown stage 'tagg'"]),
        # a table of a stage's: named by its header
        ('[[stage]]\nname = "pitch"\n[stage.extra]\nfmin = 3\n', 3, ["unknown setting 'extra'"]),
    ],
)
def test_a_bad_value_names_the_line_of_its_setting(tmp_path, recording, text, line, words):
    spec = tmp_path / "bad.toml"
    spec.write_text(text)
    status, _, err = run_cli("run", spec, recording, "-o", tmp_path / "out")
    assert status == 1
    assert err.startswith(f"speechtext: error: {spec}:{line}: "), err
    for word in words:
        assert word in err
    assert not (tmp_path / "out").exists()
