"""Binaries speechtext reads back: model files, the default tagger's cache, the dictionary cache.

A damaged, foreign or forged file gets a message that says what to do (a damaged cache is
rebuilt), never a crash: crfsuite, a C library, never sees a model's bytes at load time. Every
CLI case runs in a subprocess, so a segmentation fault fails the test instead of killing pytest.
"""

import hashlib
import io
import json
import os
import pickle
import struct
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import pytest
from clitools import run_cli

from speechtext.errors import FormatError
from speechtext.g2p import resources as g2p_resources
from speechtext.io.cache import read_cache, write_cache
from speechtext.io.conll import read_sentences
from speechtext.tagging import MODEL_VERSION, SlotTagger
from speechtext.tagging import default as tagging_default
from speechtext.tagging.model_file import DamagedModelError, read_crfsuite, unpack_model

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "data" / "samples" / "gold.conll"
RETRAIN = "retrain it with `speechtext tag train`"


def _fit(tokens, tags, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rare slot types: these models only need to exist
        return SlotTagger(calibrate=False, **params).fit(tokens, tags)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Two model files: one from data/samples, another from part of the default corpus."""
    folder = tmp_path_factory.mktemp("models")
    gold = read_sentences(GOLD)
    good = folder / "good.tagger"
    _fit([s.tokens for s in gold], [s.tags for s in gold], iterations=5).save(good)
    tokens, tags = tagging_default.default_corpus()
    other = folder / "other.tagger"
    _fit(tokens[:300], tags[:300], iterations=3).save(other)
    return good, other


def _members(path):
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def _zip(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _with_sums(members):
    """The members with checksums.json recomputed: a forged file, consistent but not ours."""
    sums = {n: hashlib.sha256(d).hexdigest() for n, d in members.items() if n != "checksums.json"}
    return {**members, "checksums.json": json.dumps({"sha256": sums}).encode()}


def _data_offsets(data):
    """(member, first, middle, last byte) of each member's compressed data in a zip."""
    out = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist():
            name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
            start = info.header_offset + 30 + name_len + extra_len
            out.append((info.filename, start, start + info.compress_size // 2))
    return out


def _flip(data, offset):
    damaged = bytearray(data)
    damaged[offset] ^= 0x5A
    return bytes(damaged)


def _damaged_files(good, other):
    """name -> bytes of a damaged or foreign model file."""
    data = good.read_bytes()
    members, others = _members(good), _members(other)
    crf = members["model.crfsuite"]
    meta = json.loads(members["tagger.json"])
    files = {
        "empty": b"",
        "not-a-zip": b"book\tO\na\tO\nflight\tO\n",
        "truncated": data[: len(data) // 2],
        "foreign-zip": _zip({"readme.txt": b"not a model"}),
        # the issue's segmentation fault: the crfsuite member cut in half, the zip intact
        "member-cut-in-half": _zip({**members, "model.crfsuite": crf[: len(crf) // 2]}),
        "crfsuite-replaced": _zip({**members, "model.crfsuite": others["model.crfsuite"]}),
        "settings-replaced": _zip(
            {**members, "tagger.json": json.dumps({**meta, "labels": ["O"]}).encode()}
        ),
        "no-checksums": _zip({k: v for k, v in members.items() if k != "checksums.json"}),
        # consistent checksums do not let a cut crfsuite model through
        "forged-cut": _zip(_with_sums({**members, "model.crfsuite": crf[: len(crf) // 2]})),
    }
    for member, first, middle in _data_offsets(data):
        if member != "checksums.json":
            files[f"flip-{member}-start"] = _flip(data, first)
            files[f"flip-{member}-middle"] = _flip(data, middle)
    return files


DAMAGES = [
    "empty",
    "not-a-zip",
    "truncated",
    "foreign-zip",
    "member-cut-in-half",
    "crfsuite-replaced",
    "settings-replaced",
    "no-checksums",
    "forged-cut",
    "flip-tagger.json-start",
    "flip-tagger.json-middle",
    "flip-model.crfsuite-start",
    "flip-model.crfsuite-middle",
]


@pytest.mark.parametrize("damage", DAMAGES)
def test_damaged_model_file_is_refused_in_a_subprocess(models, tmp_path, damage):
    bad = tmp_path / f"{damage}.tagger"
    bad.write_bytes(_damaged_files(*models)[damage])
    out = tmp_path / "pred.conll"
    code, _, err = run_cli("tag", "predict", bad, GOLD, "-o", out)
    assert code == 1, (code, err)  # a signal would be negative (a segfault: -11)
    first = err.splitlines()[0]
    assert first.startswith(f"speechtext: error: damaged model file {bad} ("), err
    assert first.endswith(f"): {RETRAIN}"), err
    assert not out.exists()


def test_damage_messages_say_what_is_wrong(models):
    files = _damaged_files(*models)
    expected = {
        "empty": "empty file",
        "not-a-zip": "not a zip archive: not a speechtext slot-tagger model",
        "truncated": "a zip archive cut short or damaged",
        "foreign-zip": "a zip archive without tagger.json",
        "member-cut-in-half": "model.crfsuite does not match its checksum",
        "crfsuite-replaced": "model.crfsuite does not match its checksum",
        "settings-replaced": "tagger.json does not match its checksum",
        "no-checksums": "no checksums.json",
        "flip-model.crfsuite-middle": "unreadable zip archive",
    }
    for damage, reason in expected.items():
        with pytest.raises(DamagedModelError) as caught:
            SlotTagger.from_bytes(files[damage], source=damage)
        assert reason in caught.value.reason, (damage, str(caught.value))
        assert caught.value.source == damage
    with pytest.raises(DamagedModelError, match=r"model.crfsuite: \d+ bytes where its header"):
        SlotTagger.from_bytes(files["forged-cut"], source="forged")


def test_old_model_files_are_refused_with_the_fix(models, tmp_path):
    """Version 1 files (no checksums) exist only in users' caches; the default tagger's cache
    has a new name (its key holds the model version), so only a user's own model is refused."""
    members = _members(models[0])
    meta = json.loads(members["tagger.json"])
    old = tmp_path / "old.tagger"
    old.write_bytes(
        _zip(
            {
                "tagger.json": json.dumps({**meta, "version": 1}).encode(),
                "model.crfsuite": members["model.crfsuite"],
            }
        )  # fmt: skip
    )
    code, _, err = run_cli("tag", "predict", old, GOLD, "-o", tmp_path / "pred.conll")
    assert code == 1
    assert err.splitlines()[0] == (
        f"speechtext: error: {old}: slot-tagger model version 1, but this speechtext reads "
        f"version {MODEL_VERSION}; {RETRAIN}"
    )


def test_run_with_a_damaged_model_fails_before_any_file(models, tmp_path):
    bad = tmp_path / "cut.tagger"
    bad.write_bytes(_damaged_files(*models)["member-cut-in-half"])
    spec = tmp_path / "tag.toml"
    spec.write_text('[[stage]]\nname = "tag"\nmodel = "cut.tagger"\n', encoding="utf-8")
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.txt").write_text("book a flight to boston\n", encoding="utf-8")
    code, _, err = run_cli("run", spec, inputs, "-o", tmp_path / "out")
    assert code == 1
    assert f"damaged model file {bad} (model.crfsuite does not match its checksum)" in err
    assert not (tmp_path / "out" / "a.tags").exists()


def test_damaged_error_survives_pickling_and_rewrapping():
    """A pool worker pickles it back; the pipeline re-raises type(exc)(longer message)."""
    exc = DamagedModelError.of("m.tagger", "empty file")
    back = pickle.loads(pickle.dumps(exc))
    assert (str(back), back.source, back.reason) == (str(exc), "m.tagger", "empty file")
    assert isinstance(type(exc)(f"spec.toml:1: {exc}"), FormatError)


def test_saved_models_load_and_are_reproducible(models):
    good, _ = models
    tagger = SlotTagger.load(good)
    assert tagger.to_bytes() == good.read_bytes()  # fixed zip times: same model, same bytes
    assert set(_members(good)) == {"tagger.json", "model.crfsuite", "checksums.json"}
    meta, crf, network = unpack_model(good.read_bytes(), source=str(good))
    assert meta["version"] == MODEL_VERSION and crf == _members(good)["model.crfsuite"]
    assert network is None


def test_read_crfsuite_matches_crfsuite_itself(models):
    """The Python reader lists what python-crfsuite's Tagger.info() lists (the dump), in order."""
    import pycrfsuite

    for path in models:
        crf = _members(path)["model.crfsuite"]
        ours = read_crfsuite(crf)
        tagger = pycrfsuite.Tagger()
        tagger.open_inmemory(crf)
        info, labels = tagger.info(), tagger.labels()
        tagger.close()
        assert ours.labels == labels
        attr_ids, label_ids, values = ours.state
        state = {
            (ours.attributes[a], ours.labels[b]): w
            for a, b, w in zip(attr_ids.tolist(), label_ids.tolist(), values.tolist(), strict=True)
        }
        assert list(state.items()) == list(info.state_features.items())  # same order, same values
        sources, targets, values = ours.transitions
        transitions = {
            (labels[a], labels[b]): w
            for a, b, w in zip(sources.tolist(), targets.tolist(), values.tolist(), strict=True)
        }
        assert transitions == info.transitions
        assert len(state) > 100 and len(transitions) > 10


def test_read_crfsuite_refuses_what_crfsuite_would_crash_on(models):
    crf = _members(models[0])["model.crfsuite"]
    header = struct.unpack_from("<4sI4sIIII5I", crf)
    off_attrs = header[9]
    cases = {
        "cut": crf[: len(crf) // 2],
        "size": crf[:4] + struct.pack("<I", len(crf) + 8) + crf[8:],
        "magic": b"xCRF" + crf[4:],
        "offset": crf[:40] + struct.pack("<I", len(crf) - 4) + crf[44:],  # the label refs
        "string table": crf[:off_attrs] + b"XQDB" + crf[off_attrs + 4 :],
    }
    for name, data in cases.items():
        with pytest.raises(ValueError):
            read_crfsuite(data)
        assert name


def test_loading_a_model_never_loads_crfsuite(models):
    code = (
        "import sys; from speechtext.tagging import SlotTagger\n"
        f"SlotTagger.load({str(models[0])!r}).predict([['to', 'boston']])\n"
        "assert 'pycrfsuite' not in sys.modules, 'crfsuite read the model'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_damaged_shipped_default_tagger_is_named(models, tmp_path, monkeypatch, capsys):
    """The shipped default model cut as in the issue (a segfault before): a message that names
    it and says to reinstall, exit status 1, no output."""
    from speechtext.cli import main

    monkeypatch.setattr(tagging_default, "_loaded", {})
    damaged = _damaged_files(*models)["member-cut-in-half"]
    monkeypatch.setattr(tagging_default, "_model_bytes", lambda: damaged)
    out = tmp_path / "pred.conll"
    assert main(["tag", "predict", str(GOLD), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "speechtext/tagging/models/default.tagger" in err
    assert "does not match its checksum" in err and "reinstall speechtext" in err
    assert not out.exists()


# ----------------------------------------------------------------------- verified cache files


def test_cache_file_round_trip_and_damage(tmp_path):
    path = tmp_path / "words.cache"
    assert read_cache(path, kind="words") is None  # absent: build it
    write_cache(path, b"payload \x00\xff bytes", kind="words")
    assert read_cache(path, kind="words") == b"payload \x00\xff bytes"
    good = path.read_bytes()
    damaged = {
        "flipped": _flip(good, len(good) - 3),
        "cut": good[:-1],
        "longer": good + b"x",
        "no header": b"payload \x00\xff bytes",
        "empty": b"",
    }
    for name, data in damaged.items():
        path.write_bytes(data)
        with pytest.raises(FormatError, match=f"{path}: damaged cache file"):
            read_cache(path, kind="words")
        assert name
    path.write_bytes(good)
    with pytest.raises(FormatError, match="no speechtext-cache other header"):
        read_cache(path, kind="other")
    folder = tmp_path / "folder.cache"
    folder.mkdir()
    with pytest.raises(FormatError, match="cannot read the cache file"):
        read_cache(folder, kind="words")


class _Planted:
    """A pickle that runs a command when loaded: what a tampered cache could hold."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


def _dictionary_caches(tmp_path):
    good = pickle.dumps({"hello": "HH AH0 L OW1"})
    marker = tmp_path / "code-ran"
    planted = pickle.dumps({"hello": _Planted(marker)})
    return (
        marker,
        {
            "flipped": lambda p: (
                write_cache(p, good, kind="cmudict"),
                p.write_bytes(_flip(p.read_bytes(), len(p.read_bytes()) - 5)),
            ),  # fmt: skip
            "cut": lambda p: (
                write_cache(p, good, kind="cmudict"),
                p.write_bytes(p.read_bytes()[:-9]),
            ),
            "old raw pickle": lambda p: p.write_bytes(good),
            "planted code, valid checksum": lambda p: write_cache(p, planted, kind="cmudict"),
            "not a dict": lambda p: write_cache(p, pickle.dumps(["hello"]), kind="cmudict"),
        },
    )


def test_damaged_dictionary_cache_is_ignored_with_a_warning(tmp_path):
    path = tmp_path / "cmudict.pickle"
    write_cache(path, pickle.dumps({"hello": "HH AH0 L OW1"}), kind="cmudict")
    table, damaged = g2p_resources._read_cache(path)
    assert table["hello"] == (("HH", "AH0", "L", "OW1"),) and not damaged
    marker, makers = _dictionary_caches(tmp_path)
    for name, make in makers.items():
        make(path)
        with pytest.warns(UserWarning, match="ignoring the dictionary cache: .*; rebuilding it"):
            table, damaged = g2p_resources._read_cache(path)
        assert table is None and damaged, name
    assert not marker.exists()  # the planted pickle never ran


def test_cli_rebuilds_a_tampered_dictionary_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    _, cached = g2p_resources.cmudict_source()
    cached.parent.mkdir(parents=True)
    marker, makers = _dictionary_caches(tmp_path)
    makers["planted code, valid checksum"](cached)
    code, out, err = run_cli("g2p", "hello")
    assert (code, out) == (0, "HH AH0 L OW1\n"), err
    assert f"ignoring the dictionary cache: {cached}" in err
    assert not marker.exists()
    table = pickle.loads(read_cache(cached, kind="cmudict"))  # rebuilt: the whole dictionary
    assert len(table) > 100_000 and table["hello"].startswith("HH AH0 L OW1")
