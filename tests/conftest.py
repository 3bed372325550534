"""Shared fixtures: the read-only data in ../shared, found relative to the project root, and
NLTK's data; a test that needs what is absent skips, saying what it needs and where it comes
from (the README's "Test data")."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SHARED_DATA = SHARED / "data"
NLTK_DATA = SHARED / "nltk_data"

if NLTK_DATA.is_dir():
    os.environ.setdefault("NLTK_DATA", str(NLTK_DATA))
if os.environ.get("NLTK_DATA"):  # absolute, for the CLI tests that run in other folders
    os.environ["NLTK_DATA"] = os.pathsep.join(
        os.path.abspath(p) for p in os.environ["NLTK_DATA"].split(os.pathsep)
    )


def _shared(sub):
    path = SHARED_DATA / sub
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared test data is not beside this checkout")
    return path


@pytest.fixture(scope="session")
def snips_dir():
    """../shared/data/snips (train/valid/test with seq.in, seq.out, label)."""
    return _shared("snips")


@pytest.fixture(scope="session")
def ptdb_dir():
    """../shared/data/ptdb_tug (2 utterances with reference F0)."""
    return _shared("ptdb_tug")


@pytest.fixture(scope="session")
def speech_dir():
    """../shared/data/speech (3 LibriSpeech excerpts with transcripts)."""
    return _shared("speech")


@pytest.fixture(scope="session")
def samples_dir():
    """The project's own sample data."""
    return ROOT / "data" / "samples"


@pytest.fixture(scope="session")
def pos_tagger():
    """NLTK's averaged perceptron POS tagger (homographs by part of speech), from NLTK_DATA
    (../shared/nltk_data when it is there) or NLTK's other folders."""
    from speechtext.g2p.resources import TAGGER_RESOURCE, find_tagger

    tagger = find_tagger()
    if tagger is None:
        pytest.skip(
            f"NLTK's {TAGGER_RESOURCE} is not on NLTK's search path (NLTK_DATA, ~/nltk_data); "
            f"get it with: python -m nltk.downloader {TAGGER_RESOURCE}"
        )
    return tagger
