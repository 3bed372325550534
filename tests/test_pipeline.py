"""Pipelines: specs and their errors, the shipped specs end to end on data/samples, resume after an
interrupted run, broken inputs, refused runs that write nothing, one run per OUTDIR, internal
errors, and a Dask local cluster giving the process pool's outputs. (Signals, killed workers and
the interruption matrix: test_interrupts.py.)"""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from clitools import outputs_of

from speechtext import pipeline
from speechtext.batch import BatchInterrupted
from speechtext.cli import main
from speechtext.errors import FormatError, ParameterError
from speechtext.io import read_jsonl, read_sentences
from speechtext.pipeline import load_spec, parse_spec, run_pipeline

STAGE_SUFFIXES = {
    "telephone": [".wav", ".f0.csv", ".summary.json"],
    "text": [".phones.txt", ".conll", ".nbest.jsonl", ".delex.jsonl"],
}


@pytest.fixture(scope="module")
def samples(samples_dir):
    stems = sorted(p.stem for p in samples_dir.glob("*.wav"))
    if not stems or not (samples_dir / "gold.conll").exists():
        pytest.skip("data/samples has no recordings or no gold.conll")
    return samples_dir, stems


def no_temp_files(folder):
    return not [p for p in folder.rglob("*") if p.name.endswith(".part")]


# ------------------------------------------------------------------------------------ specs


def test_shipped_specs_load():
    names = {name: [s.name for s in load_spec(name).stages] for name in ("telephone", "text")}
    assert names == {"telephone": ["telephone", "pitch"], "text": ["g2p", "tag", "delex"]}
    demo = [s.name for s in load_spec("demo").stages]
    assert demo == ["telephone", "pitch", "g2p", "tag", "delex", "evaluate"]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('[[stage]]\nname = "telephone"\n\n[[stage]]\nname = "pich"\n', 5, ["'pich'", "pitch"]),
        (
            '[[stage]]\nname = "telephone"\n\n[[stage]]\n# F0\nname = "pitch"\nfmax = 400\n'
            "fmaxx = 500\n",
            8,
            ["'fmaxx'", "fmin, fmax, hop, plot"],
        ),
        ('[[stage]]\nname = "pitch"\nplot = "yes"\n', 3, ["pitch.plot", "bool"]),
        ('[[stage]]\nname = "g2p"\n\n[[stage]]\nname = "delex"\n', 4, ["tag stage before"]),
        ('titel = "x"\n[[stage]]\nname = "g2p"\n', 1, ["'titel'"]),
        (
            '[[stage]]\nname = "tag"\n[[stage]]\nname = "evaluate"\n[[stage]]\nname = "delex"\n',
            3,
            ["put them last"],
        ),
    ],
)
def test_spec_errors_name_the_line_and_what_works(tmp_path, text, line, words):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(FormatError) as info:
        load_spec(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}:"), message
    for word in words:
        assert word in message


def test_spec_errors_reach_the_user_without_a_traceback(tmp_path, capsys):
    (tmp_path / "bad.toml").write_text('[[stage]]\nname = "telephone"\npreset = "g711"\n')
    status = main(["run", str(tmp_path / "bad.toml"), str(tmp_path), "-o", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert status == 1
    assert "bad.toml:3: telephone stage" in err and "g711" in err  # the setting's line
    assert "Traceback" not in err
    assert main(["run", "nonesuch", str(tmp_path), "-o", str(tmp_path / "o")]) == 1
    assert "demo, telephone, text" in capsys.readouterr().err
    with pytest.raises(FormatError, match="not a valid TOML"):
        parse_spec("[[stage]\n")
    with pytest.raises(ParameterError, match="--set"):
        load_spec("text").with_settings({"pitch.fmin": 60})


# ------------------------------------------------------------------------- shipped specs


def test_demo_spec_end_to_end(samples, tmp_path, capsys):
    folder, stems = samples
    out = tmp_path / "demo"
    assert main(["run", "demo", str(folder), "-o", str(out), "--workers", "1"]) == 0
    captured = capsys.readouterr()
    assert "micro avg" in captured.out
    assert f"{len(stems)} files: {len(stems)} done" in captured.err

    for stem in stems:
        for suffix in STAGE_SUFFIXES["telephone"] + STAGE_SUFFIXES["text"]:
            assert (out / f"{stem}{suffix}").exists(), f"{stem}{suffix}"
    info = sf.info(str(out / f"{stems[0]}.wav"))
    assert info.samplerate == 8000

    manifest = read_jsonl(out / "manifest.jsonl")
    assert [e["id"] for e in manifest] == stems
    assert all(e["status"] == "done" for e in manifest)
    assert set(manifest[0]["seconds"]) >= {"telephone", "pitch", "g2p", "tag", "delex"}
    assert read_jsonl(out / "failures.jsonl") == []

    # the predictions are the gold sentences' tokens; the report scores them
    report = json.loads((out / "report.json").read_text())
    gold = read_sentences(folder / "gold.conll")
    assert report["sentences"] == len(gold) == len(stems)
    assert 0.0 <= report["micro"]["f1"] <= 1.0
    assert report["average_precision"] is not None
    assert "micro avg" in (out / "report.txt").read_text()
    assert {p.name for p in (out / "plots").iterdir()} >= {"pr_curve.png", "reliability.png"}
    assert (out / "summary.csv").read_text().count("\n") == len(stems) + 1
    assert no_temp_files(out)


def test_text_spec_end_to_end(samples, tmp_path):
    from speechtext.delex import Slot, relexicalize

    folder, stems = samples
    result = run_pipeline("text", [folder], tmp_path / "text", workers=2)
    assert result.exit_status == 0
    assert len(result.batch.done) == len(stems)
    for stem in stems:
        text = (folder / f"{stem}.txt").read_text().split()
        (conll,) = read_sentences(tmp_path / "text" / f"{stem}.conll")
        assert conll.tokens == text and len(conll.scores) == len(text)
        (nbest,) = read_jsonl(tmp_path / "text" / f"{stem}.nbest.jsonl")
        assert nbest["nbest"][0]["tags"] == conll.tags and len(nbest["nbest"]) == 4
        (delex,) = read_jsonl(tmp_path / "text" / f"{stem}.delex.jsonl")
        slots = [Slot(**s) for s in delex["slots"]]
        assert relexicalize(delex["template"], slots) == " ".join(text)
        phones = (tmp_path / "text" / f"{stem}.phones.txt").read_text().splitlines()
        assert len(phones) == 1 and phones[0].count(" | ") >= len(text) - 1


def test_telephone_spec_end_to_end(samples, tmp_path):
    folder, stems = samples
    result = run_pipeline("telephone", [folder], tmp_path / "tel", workers=1)
    assert result.exit_status == 0
    assert "x real time" in result.summary()
    summary = json.loads((tmp_path / "tel" / f"{stems[0]}.summary.json").read_text())
    assert summary["frames"] > 0 and 0 < summary["voiced_fraction"] <= 1
    # text stages are not in the spec: no text outputs
    assert not list((tmp_path / "tel").glob("*.conll"))


def test_text_files_hold_one_utterance_per_line(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "requests.txt").write_text("play some jazz\n\nwake me up at seven am\n")
    result = run_pipeline("text", [tmp_path / "in"], tmp_path / "out", workers=1)
    assert result.exit_status == 0
    delex = read_jsonl(tmp_path / "out" / "requests.delex.jsonl")
    assert [d["id"] for d in delex] == ["requests:1", "requests:3"]
    assert [d["text"] for d in delex] == ["play some jazz", "wake me up at seven am"]
    assert (tmp_path / "out" / "requests.phones.txt").read_text().count("\n") == 2


def test_model_setting_is_relative_to_the_spec_file(samples, tmp_path):
    from speechtext.tagging import SlotTagger

    folder, _ = samples
    gold = read_sentences(folder / "gold.conll")
    tagger = SlotTagger(iterations=5, calibrate=False)
    tagger.fit([s.tokens for s in gold], [s.tags for s in gold])
    (tmp_path / "spec").mkdir()
    tagger.save(tmp_path / "spec" / "tiny.tagger")
    (tmp_path / "spec" / "mine.toml").write_text(
        '[[stage]]\nname = "tag"\nmodel = "tiny.tagger"\n\n[[stage]]\nname = "evaluate"\n'
        "plot = false\n"
    )
    status = main(["run", str(tmp_path / "spec" / "mine.toml"), str(folder), "-o",
                   str(tmp_path / "out"), "--workers", "1"])  # fmt: skip
    assert status == 0
    assert (tmp_path / "out" / "report.json").exists()
    assert not (tmp_path / "out" / "plots").exists()
    # --set: a model that does not exist fails once, before any file, naming the setting's stage
    status = main(["run", "text", str(folder), "-o", str(tmp_path / "o2"), "--set",
                   f"tag.model={tmp_path / 'missing.tagger'}"])  # fmt: skip
    assert status == 1
    assert not (tmp_path / "o2" / "manifest.jsonl").exists()


def test_a_model_retrained_at_the_same_path_is_used_by_the_next_run(samples, tmp_path):
    # a process that outlives a run (a Dask worker) must not keep the first run's tagger
    from speechtext.tagging import SlotTagger

    folder, _ = samples
    gold = read_sentences(folder / "gold.conll")
    model = tmp_path / "spec" / "tiny.tagger"
    model.parent.mkdir()
    spec = tmp_path / "spec" / "mine.toml"
    spec.write_text('[[stage]]\nname = "tag"\nmodel = "tiny.tagger"\n')
    tags = []
    for n, kind in enumerate(["first", "second"]):
        # every slot renamed: the second model's tags cannot come from the first
        y = [[t if t == "O" else f"{t}_{kind}" for t in s.tags] for s in gold]
        SlotTagger(iterations=5, calibrate=False).fit([s.tokens for s in gold], y).save(model)
        result = run_pipeline(spec, [folder], tmp_path / f"out{n}", workers=1)
        assert result.exit_status == 0
        tags.append((tmp_path / f"out{n}").rglob("*.conll").__next__().read_text())
    assert "_first" in tags[0] and "_second" not in tags[0]
    assert "_second" in tags[1] and "_first" not in tags[1]


# ------------------------------------------------------------------- resume and failures


def test_resume_after_an_interrupted_run(samples, tmp_path, monkeypatch):
    folder, stems = samples
    out = tmp_path / "out"
    delex = pipeline.STAGES["delex"]
    original = delex.write
    calls = []

    def write_then_interrupt(self, records, base):
        calls.append(base)
        if len(calls) == 4:
            raise KeyboardInterrupt  # Ctrl-C in the middle of the fourth file
        return original(self, records, base)

    monkeypatch.setattr(delex, "write", write_then_interrupt)
    with pytest.raises(BatchInterrupted) as info:
        run_pipeline("text", [folder], out, workers=1)
    assert (info.value.finished, info.value.total) == (3, len(stems))
    monkeypatch.setattr(delex, "write", original)
    assert no_temp_files(out)
    assert not (out / ".speechtext" / "lock").exists()  # released on the way out
    markers = sorted(p.stem for p in (out / ".speechtext" / "done").iterdir())
    assert markers == stems[:3]  # the fourth wrote some outputs, but is not complete

    result = run_pipeline("text", [folder], out, workers=1, resume=True)
    assert result.exit_status == 0
    assert sorted(result.batch.skipped) == [str(folder / f"{s}.txt") for s in stems[:3]]
    assert len(result.batch.done) == len(stems) - 3
    manifest = read_jsonl(out / "manifest.jsonl")
    assert [bool(e.get("resumed")) for e in manifest] == [i < 3 for i in range(len(stems))]

    fresh = tmp_path / "fresh"
    run_pipeline("text", [folder], fresh, workers=1)
    assert outputs_of(out) == outputs_of(fresh)

    # another spec's outputs are not taken as complete
    changed = load_spec("text").with_settings({"tag.nbest": 2})
    result = run_pipeline(changed, [folder], out, workers=1, resume=True)
    assert not result.batch.skipped and len(result.batch.done) == len(stems)


def test_broken_inputs_are_reported_and_the_rest_done(samples, tmp_path, capsys):
    folder, stems = samples
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    for stem in stems[:2]:
        shutil.copy(folder / f"{stem}.wav", src / f"{stem}.wav")
        shutil.copy(folder / f"{stem}.txt", src / f"{stem}.txt")
    shutil.copy(folder / f"{stems[2]}.wav", src / "sub" / "untranscribed.wav")
    (src / "garbage.wav").write_bytes(b"RIFF not really a wav file")
    sf.write(src / "silent_nan.wav", np.full(800, np.nan, dtype=np.float32), 16000, "FLOAT")
    (src / "silent_nan.txt").write_text("play jazz\n")

    out = tmp_path / "out"
    status = main(["run", "demo", str(src), "-o", str(out), "--workers", "2", "--set",
                   f"evaluate.gold={folder / 'gold.conll'}"])  # fmt: skip
    err = capsys.readouterr().err
    assert status == 1
    assert "Traceback" not in err
    failures = {Path(f["source"]).name: f["error"] for f in read_jsonl(out / "failures.jsonl")}
    assert set(failures) == {"garbage.wav", "silent_nan.wav", "untranscribed.wav"}
    assert "untranscribed.txt beside it" in failures["untranscribed.wav"]
    assert "NaN" in failures["silent_nan.wav"]
    for name, message in failures.items():
        assert name in message  # every message names its file
    manifest = {e["id"]: e["status"] for e in read_jsonl(out / "manifest.jsonl")}
    assert manifest == {
        "garbage": "failed",
        "silent_nan": "failed",
        **dict.fromkeys(stems[:2], "done"),
        "sub/untranscribed": "failed",
    }
    for stem in stems[:2]:
        assert (out / f"{stem}.delex.jsonl").exists()
    # the evaluation covers the files that were done, and says the rest are left out
    report = json.loads((out / "report.json").read_text())
    assert report["sentences"] == 2
    assert "have no prediction" in (out / "report.txt").read_text()
    assert "3 failed" in err
    assert no_temp_files(out)


# ---------------------------------------------------------------------------------- Dask


def test_dask_local_cluster_gives_the_process_pool_outputs(samples, tmp_path):
    pytest.importorskip("distributed")
    folder, stems = samples
    pool = run_pipeline("demo", [folder], tmp_path / "pool", workers=2)
    dask = run_pipeline("demo", [folder], tmp_path / "dask", dask_workers=2)
    assert pool.exit_status == dask.exit_status == 0
    assert len(dask.batch.done) == len(stems)
    a, b = outputs_of(tmp_path / "pool"), outputs_of(tmp_path / "dask")
    assert sorted(a) == sorted(b)
    # plots carry matplotlib metadata only; everything else is byte for byte the same
    assert {k for k in a if a[k] != b[k] and not k.endswith(".png")} == set()
    strip = [{k: v for k, v in e.items() if k != "seconds"} for e in read_jsonl(
        tmp_path / "pool" / "manifest.jsonl")]  # fmt: skip
    again = [{k: v for k, v in e.items() if k != "seconds"} for e in read_jsonl(
        tmp_path / "dask" / "manifest.jsonl")]  # fmt: skip
    assert strip == again


def test_gold_tags_beside_each_input_without_a_gold_file(samples, tmp_path):
    folder, stems = samples
    src = tmp_path / "in"
    src.mkdir()
    for stem in stems[:3]:
        for ext in (".txt", ".tags"):
            shutil.copy(folder / f"{stem}{ext}", src / f"{stem}{ext}")
    spec = parse_spec('[[stage]]\nname = "tag"\n\n[[stage]]\nname = "evaluate"\nplot = false\n')
    result = run_pipeline(spec, [src], tmp_path / "out", workers=1)
    assert result.exit_status == 0
    assert result.report.sentences == 3
    gold = read_sentences(folder / "gold.conll")
    tokens = {" ".join(s.tokens) for s in gold}
    assert all((src / f"{s}.txt").read_text().strip() in tokens for s in stems[:3])

    (src / f"{stems[0]}.tags").write_text("O O\n")  # too few tags
    result = run_pipeline(spec, [src], tmp_path / "out2", workers=1)
    assert result.exit_status == 1
    ((stage, message),) = result.corpus_failures
    assert stage == "evaluate" and f"{stems[0]}.tags:1: 2 tags" in message


def test_a_killed_run_leaves_complete_files_only_and_resumes(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    src = tmp_path / "in"
    src.mkdir()
    lines = ["play some jazz in the kitchen", "wake me up at seven am", "will it rain in paris"]
    for i in range(300):
        (src / f"u{i:03d}.txt").write_text(lines[i % 3] + "\n")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "speechtext", "run", "text", str(src), "-o", str(out)]
    proc = subprocess.Popen([*cmd, "--workers", "1"], stderr=subprocess.DEVNULL)
    markers = out / ".speechtext" / "done"
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if markers.is_dir() and len(os.listdir(markers)) >= 20:
            proc.send_signal(signal.SIGKILL)  # no chance to clean up
            break
        time.sleep(0.01)
    proc.wait()
    if proc.returncode != -signal.SIGKILL:
        pytest.skip("the run ended before it could be killed")
    assert not (out / "manifest.jsonl").exists()
    # every file under its final name is complete (temp files are hidden, and ignored)
    for path in out.glob("*.jsonl"):
        read_jsonl(path)
    for path in out.glob("*.conll"):
        read_sentences(path)

    status = main([*cmd[3:], "--workers", "1", "--resume"])
    assert status == 0
    assert no_temp_files(out)  # the killed run's temp files are gone with the files redone
    manifest = read_jsonl(out / "manifest.jsonl")
    assert len(manifest) == 300 and all(e["status"] == "done" for e in manifest)
    fresh = tmp_path / "fresh"
    run_pipeline("text", [src], fresh, workers=1)
    assert outputs_of(out) == outputs_of(fresh)


# ---------------------------------------------------------------- refusals, locks, bugs


def tree(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def copy_samples(folder, stems, dest, exts=(".wav", ".txt")):
    dest.mkdir(parents=True, exist_ok=True)
    for stem in stems:
        for ext in exts:
            shutil.copy(folder / f"{stem}{ext}", dest / f"{stem}{ext}")
    return dest


def test_a_run_into_its_input_folder_is_refused_and_writes_nothing(samples, tmp_path, capsys):
    folder, stems = samples
    src = copy_samples(folder, stems[:3], tmp_path / "in")
    (tmp_path / "link").symlink_to(src)
    before = tree(src)
    for spec, outdir in [("telephone", src), ("text", src), ("text", tmp_path / "link")]:
        status = main(["run", spec, str(src), "-o", str(outdir), "--workers", "1"])
        err = capsys.readouterr().err
        assert status == 1
        assert err.startswith(f"speechtext: error: -o {outdir} would overwrite an input"), err
        assert "Traceback" not in err
        assert tree(src) == before  # no manifest, no failures, no report, no .speechtext


def test_a_refused_run_makes_no_outdir(samples, tmp_path, capsys):
    folder, stems = samples
    out = tmp_path / "out"
    assert main(["run", "text", str(folder), "-o", str(out), "--set", "tag.nbest=0"]) == 1
    assert "nbest" in capsys.readouterr().err
    assert not out.exists()
    pytest.importorskip("distributed")
    status = main(["run", "text", str(folder), "-o", str(out), "--scheduler", "notaurl"])
    err = capsys.readouterr().err
    assert status == 1
    assert err.startswith("speechtext: error: --scheduler notaurl: not a Dask scheduler address")
    assert "give the scheduler's address as tcp://HOST:8786" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_a_second_run_on_a_held_outdir_is_refused_at_once(samples, tmp_path, capsys):
    import os
    import socket
    import time

    from speechtext.io.outdir import lock_outdir

    folder, _ = samples
    out = tmp_path / "out"
    with lock_outdir(out):
        before = tree(out)
        assert main(["run", "text", str(folder), "-o", str(out), "--workers", "1"]) == 1
        err = capsys.readouterr().err
        holder = f"pid {os.getpid()} on {socket.gethostname()}, since "
        assert err.startswith(f"speechtext: error: {out} is in use by another speechtext run "
                              f"({holder}"), err  # fmt: skip
        assert tree(out) == before
        start = time.monotonic()  # at once, before a Dask cluster would start
        assert main(["run", "text", str(folder), "-o", str(out), "--dask-local", "2"]) == 1
        assert time.monotonic() - start < 1.5
        assert "is in use by another speechtext run" in capsys.readouterr().err
    assert tree(out) == []  # released: the lock file is gone
    assert main(["run", "text", str(folder), "-o", str(out), "--workers", "1"]) == 0


def test_an_audio_only_spec_never_reads_the_transcripts(samples, tmp_path):
    folder, stems = samples
    src = copy_samples(folder, stems[:3], tmp_path / "in", exts=(".wav",))
    (src / f"{stems[0]}.txt").write_text("\n")  # empty
    (src / f"{stems[1]}.txt").write_bytes(b"caf\xe9 au lait\n")  # Latin-1, not UTF-8
    shutil.copy(folder / f"{stems[2]}.txt", src)  # a good one
    result = run_pipeline("telephone", [src], tmp_path / "tel", workers=1)
    assert result.exit_status == 0, result.batch.failed
    assert len(result.batch.done) == 3
    # a spec with a text stage reads them, and fails those two, naming the file
    spec = parse_spec('[[stage]]\nname = "telephone"\n\n[[stage]]\nname = "tag"\n')
    result = run_pipeline(spec, [src], tmp_path / "tagged", workers=1)
    failed = dict(result.batch.failed)
    assert set(failed) == {str(src / f"{s}.wav") for s in stems[:2]}
    assert f"{stems[0]}.txt: empty transcript" in failed[str(src / f"{stems[0]}.wav")]
    assert f"{stems[1]}.txt" in failed[str(src / f"{stems[1]}.wav")]


def test_an_internal_error_says_so_once_with_its_traceback(samples, tmp_path, monkeypatch, capsys):
    folder, stems = samples

    def broken(self, records):
        raise TypeError("boom")

    monkeypatch.setattr(pipeline.STAGES["delex"], "process", broken)
    out = tmp_path / "out"
    assert main(["run", "text", str(folder), "-o", str(out), "--workers", "1"]) == 1
    err = capsys.readouterr().err
    assert err.count("Traceback (most recent call last)") == 1  # the same bug, shown once
    message = "internal error (a bug in speechtext, not in this input): TypeError: boom"
    assert err.count(message) == len(stems)
    assert "please report it with its traceback" in err
    failures = read_jsonl(out / "failures.jsonl")
    assert len(failures) == len(stems)
    for failure in failures:
        assert message in failure["error"] and failure["source"] in failure["error"]
        assert 'raise TypeError("boom")' in failure["traceback"]


def test_an_internal_error_outside_a_batch_asks_for_a_bug_report(monkeypatch, capsys):
    import speechtext.cli.run

    def broken(args):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(speechtext.cli.run, "run", broken)
    assert main(["run", "text", "in", "-o", "out"]) == 1
    err = capsys.readouterr().err
    assert err.count("Traceback (most recent call last)") == 1
    assert err.strip().splitlines()[-1] == (
        "speechtext: internal error (ZeroDivisionError: division by zero): a bug in speechtext, "
        "not in your input; please report it with the traceback above"
    )
