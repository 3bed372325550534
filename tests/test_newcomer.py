"""A fresh clone with nothing beside it: tests that need NLTK's data skip, saying how to get it
(issue 12, case 18). The whole-suite check is the README's "Test data" recipe."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_tests_needing_the_pos_tagger_skip_without_it(tmp_path):
    env = dict(os.environ)
    env["NLTK_DATA"] = str(tmp_path / "no_nltk_data")  # set: conftest keeps it
    env["HOME"] = str(tmp_path)  # no ~/nltk_data
    test = "tests/test_g2p.py::test_homographs_by_part_of_speech"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", test],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if "1 passed" in run.stdout:  # a system-wide NLTK folder holds the tagger
        return
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 skipped" in run.stdout
    assert "python -m nltk.downloader averaged_perceptron_tagger_eng" in run.stdout
