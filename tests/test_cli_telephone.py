"""`speechtext telephone` end to end: folders, resume, failures, formats, memory, start-up."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from clitools import SPEECHTEXT, peak_rss_mb, run_cli

from speechtext.cli import main
from speechtext.io import atomic_path


def noise(seconds, sr, channels=1, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.standard_normal((int(seconds * sr), channels)) * 0.1
    return y[:, 0] if channels == 1 else y


def run(*args):
    """Run the CLI in a subprocess; return (exit status, stderr)."""
    status, _, err = run_cli(*args)
    return status, err


def failures(outdir):
    return [json.loads(line) for line in (outdir / "failures.jsonl").read_text().splitlines()]


def test_folder_outputs_mirror_relative_paths_and_rerun_resumes(tmp_path):
    src = tmp_path / "in"
    (src / "a").mkdir(parents=True)
    (src / "b").mkdir()
    sf.write(src / "a" / "x.wav", noise(1, 16000), 16000)
    sf.write(src / "b" / "x.flac", noise(1, 44100), 44100)
    (src / "notes.txt").write_text("not audio, not picked up from a folder")
    out = tmp_path / "out"

    assert main(["telephone", str(src), "-o", str(out), "--workers", "1"]) == 0
    for rel in ("a/x.wav", "b/x.wav"):
        info = sf.info(out / rel)
        assert (info.samplerate, info.channels, info.subtype) == (8000, 1, "PCM_16")
    assert failures(out) == []

    before = (out / "a/x.wav").stat().st_mtime_ns
    assert main(["telephone", str(src), "-o", str(out)]) == 0  # skipped: outputs exist
    assert (out / "a/x.wav").stat().st_mtime_ns == before
    assert main(["telephone", str(src), "-o", str(out), "--overwrite", "--workers", "2"]) == 0
    assert (out / "a/x.wav").stat().st_mtime_ns != before


def test_a_batch_with_bad_files_reports_each_finishes_the_rest_and_exits_1(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    sf.write(src / "good.wav", noise(1, 16000), 16000)
    (src / "empty.wav").write_bytes(b"")
    (src / "text.wav").write_text("hello\n" * 100)
    sf.write(src / "zero.wav", np.zeros(0), 16000)
    nan = noise(1, 16000)
    nan[500] = np.nan
    sf.write(src / "nan.wav", nan, 16000, subtype="FLOAT")
    sf.write(src / "tiny.wav", np.zeros(1), 48000)  # less than one sample at 8 kHz
    sf.write(src / "full.wav", noise(1, 16000), 16000)
    data = (src / "full.wav").read_bytes()
    (src / "truncated.wav").write_bytes(data[: len(data) // 2])
    (src / "full.wav").unlink()
    out = tmp_path / "out"

    status, err = run("telephone", src, tmp_path / "missing.wav", "-o", out, "--workers", "2")
    assert status == 1
    failed = {Path(f["source"]).name: f["error"] for f in failures(out)}
    assert set(failed) == {
        "empty.wav",
        "text.wav",
        "zero.wav",
        "nan.wav",
        "tiny.wav",
        "missing.wav",
    }
    assert "not a readable audio file" in failed["empty.wav"]
    assert "not a readable audio file" in failed["text.wav"]
    assert "no audio samples" in failed["zero.wav"]
    assert "NaN" in failed["nan.wav"]
    assert "shorter than one sample" in failed["tiny.wav"]
    assert "no such file" in failed["missing.wav"]
    for name in failed:
        assert name in err
    assert "truncated" in err  # converted, with a warning
    assert sorted(p.name for p in out.glob("*.wav")) == ["good.wav", "truncated.wav"]
    assert sf.info(out / "truncated.wav").frames == pytest.approx(4000, abs=30)  # the half there
    assert not list(out.glob(".*"))  # no temp files left behind


@pytest.mark.parametrize(
    "subtype, channels",
    [("PCM_U8", 1), ("PCM_16", 1), ("PCM_24", 1), ("PCM_32", 1), ("FLOAT", 1), ("DOUBLE", 1),
     ("PCM_16", 2), ("PCM_16", 6)],
)  # fmt: skip
def test_sample_formats_and_channel_counts(tmp_path, subtype, channels):
    sf.write(tmp_path / "in.wav", noise(0.5, 22050, channels), 22050, subtype=subtype)
    assert main(["telephone", str(tmp_path / "in.wav"), "-o", str(tmp_path / "out")]) == 0
    y, sr = sf.read(tmp_path / "out" / "in.wav")
    assert sr == 8000 and y.ndim == 1 and len(y) == pytest.approx(4000, abs=1)
    assert 0.01 < np.sqrt(np.mean(y**2)) < 0.2


def test_a_file_shorter_than_the_filter_converts(tmp_path):
    sf.write(tmp_path / "short.wav", noise(0.01, 16000), 16000)  # 160 samples, filter is 1025 taps
    assert main(["telephone", str(tmp_path / "short.wav"), "-o", str(tmp_path / "out")]) == 0
    assert sf.info(tmp_path / "out" / "short.wav").frames == 80


def test_codec_output_is_a_g711_wav_or_decoded_pcm(tmp_path):
    sf.write(tmp_path / "in.wav", noise(0.5, 16000), 16000)
    main(["telephone", str(tmp_path / "in.wav"), "-o", str(tmp_path / "u"), "--codec", "ulaw"])
    main(["telephone", str(tmp_path / "in.wav"), "-o", str(tmp_path / "a"), "--codec", "alaw",
          "--decoded"])  # fmt: skip
    assert sf.info(tmp_path / "u" / "in.wav").subtype == "ULAW"
    assert sf.info(tmp_path / "a" / "in.wav").subtype == "PCM_16"


def test_narrow_and_custom_band_from_the_cli(tmp_path):
    sf.write(tmp_path / "in.wav", noise(0.5, 16000), 16000)
    assert main(["telephone", str(tmp_path / "in.wav"), "-o", str(tmp_path / "n"),
                 "--preset", "narrow"]) == 0  # fmt: skip
    assert main(["telephone", str(tmp_path / "in.wav"), "-o", str(tmp_path / "b"),
                 "--band", "500", "2500"]) == 0  # fmt: skip
    status, err = run(
        "telephone", tmp_path / "in.wav", "-o", tmp_path / "x", "--band", "3000", "200"
    )
    assert status == 1 and "0 < low < high < 4000" in err
    status, err = run("telephone", tmp_path / "in.wav", "-o", tmp_path / "x", "--band", "300",
                      "3400", "--preset", "narrow")  # fmt: skip
    assert status == 2 and "alternatives" in err


def test_inputs_are_never_overwritten_and_clashing_outputs_are_refused(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    sf.write(tmp_path / "a" / "x.wav", noise(0.5, 16000), 16000)
    sf.write(tmp_path / "b" / "x.wav", noise(0.5, 16000, seed=1), 16000)
    original = (tmp_path / "a" / "x.wav").read_bytes()

    status, err = run("telephone", tmp_path / "a", "-o", tmp_path / "a")
    assert status == 1 and "would overwrite an input" in err
    assert (tmp_path / "a" / "x.wav").read_bytes() == original

    status, err = run("telephone", tmp_path / "a" / "x.wav", tmp_path / "b" / "x.wav",
                      "-o", tmp_path / "out")  # fmt: skip
    assert status == 1 and "would also be written from" in err
    assert (tmp_path / "out" / "x.wav").exists()


def test_output_folder_inside_the_input_folder_is_not_read_back(tmp_path):
    sf.write(tmp_path / "x.wav", noise(0.5, 16000), 16000)
    assert main(["telephone", str(tmp_path), "-o", str(tmp_path / "tel")]) == 0
    assert main(["telephone", str(tmp_path), "-o", str(tmp_path / "tel")]) == 0
    assert not (tmp_path / "tel" / "tel").exists()


def test_unwritable_output_folder_is_a_clear_error(tmp_path):
    sf.write(tmp_path / "x.wav", noise(0.5, 16000), 16000)
    (tmp_path / "file").write_text("a file, not a folder")
    status, err = run("telephone", tmp_path / "x.wav", "-o", tmp_path / "file" / "out")
    assert status == 1 and "cannot write output here" in err


def test_interrupted_writes_leave_nothing_behind(tmp_path):
    with pytest.raises(KeyboardInterrupt), atomic_path(tmp_path / "x.wav") as tmp:
        tmp.write_bytes(b"half a file")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from speechtext.cli import main\n"
        "try: main(['--help'])\nexcept SystemExit: pass\n"
        "heavy = {'numpy', 'scipy', 'soundfile', 'librosa', 'nltk', 'pycrfsuite', 'matplotlib'}\n"
        "print(sorted(heavy & set(sys.modules)))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip().endswith("[]")


def test_an_hour_at_48khz_converts_in_bounded_memory(tmp_path):
    path = tmp_path / "hour.wav"
    block = (noise(60, 48000) * 32767).astype(np.int16)
    with sf.SoundFile(path, "w", samplerate=48000, channels=1, subtype="PCM_16") as f:
        for _ in range(60):
            f.write(block)
    peak_mb = peak_rss_mb("telephone", path, "-o", tmp_path / "out")
    assert peak_mb < 300, f"peak memory {peak_mb:.0f} MB"
    assert sf.info(tmp_path / "out" / "hour.wav").frames == 3600 * 8000
    os.unlink(path)


def test_ctrl_c_stops_at_once_leaves_only_complete_outputs_and_a_rerun_finishes(tmp_path):
    import re
    import signal
    import time

    src = tmp_path / "in"
    src.mkdir()
    for i in range(200):
        sf.write(src / f"u{i:03d}.wav", noise(2, 48000, seed=i), 48000)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [*SPEECHTEXT, "telephone", str(src), "-o", str(out), "--workers", "2"],
        stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while len(list(out.glob("*.wav"))) < 10 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, "the batch ended before Ctrl-C"
    at_signal = len(list(out.glob("*.wav")))
    start = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: the whole process group
    _, err = proc.communicate(timeout=60)
    assert time.monotonic() - start < 2.5
    assert proc.returncode == 130, err
    (line,) = err.strip().splitlines()  # one line: no traceback from the workers
    found = re.fullmatch(
        r"speechtext: stopped \(Ctrl-C\): (\d+) of 200 inputs finished, their outputs complete; "
        r"rerun the command \(without --overwrite\) to continue: finished files are skipped",
        line,
    )
    assert found, line
    wavs = list(out.glob("*.wav"))
    assert int(found[1]) == len(wavs) and len(wavs) <= at_signal + 4  # pending work cancelled
    for path in wavs:
        assert sf.info(path).frames == 16000  # every output there is complete
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary file

    assert main(["telephone", str(src), "-o", str(out)]) == 0
    assert len(list(out.glob("*.wav"))) == 200


# ------------------------------------------------------------- channels, codecs, seeds


@pytest.fixture
def calls(speech_dir, tmp_path):
    """A folder of real speech in two subfolders (the LibriSpeech excerpts, cut to 3 s)."""
    src = tmp_path / "calls"
    for k, path in enumerate(sorted(speech_dir.glob("*.ogg"))):
        y, sr = sf.read(path)
        for sub in ("a", "b"):
            (src / sub).mkdir(parents=True, exist_ok=True)
            sf.write(src / sub / f"{k}.wav", y[k * sr : (k + 3) * sr], sr)
    return src


def test_a_named_channel_writes_audio_and_a_call_report_per_file(calls, tmp_path):
    out = tmp_path / "out"
    status, err = run("telephone", calls, "-o", out, "--channel", "voip-opus", "--loss", "0.1",
                      "--seed", "5", "--workers", "2")  # fmt: skip
    assert status == 0, err
    for rel in ("a/0", "b/2"):
        assert sf.info(out / f"{rel}.wav").samplerate == 8000
        report = json.loads((out / f"{rel}.call.json").read_text())
        assert report["codec"] == "opus" and report["level"] == -26.0 and report["key"] == rel
        assert report["erased_packets"] and report["seed"] == 5
    # same name in two folders: different keys, different losses
    a, b = (json.loads((out / f"{s}/0.call.json").read_text()) for s in "ab")
    assert a["erased_packets"] != b["erased_packets"]
    before = (out / "a/0.wav").read_bytes()
    status, _ = run("telephone", calls, "-o", out, "--channel", "voip-opus", "--loss", "0.1",
                    "--seed", "5", "--workers", "1", "--overwrite")  # fmt: skip
    assert status == 0 and (out / "a/0.wav").read_bytes() == before  # any worker, any order


def test_hd_voice_writes_16_khz(calls, tmp_path):
    assert main(["telephone", str(calls / "a"), "-o", str(tmp_path / "hd"), "--channel",
                 "hd-voice", "--workers", "1"]) == 0  # fmt: skip
    assert sf.info(tmp_path / "hd" / "0.wav").samplerate == 16000


@pytest.mark.parametrize(
    ("args", "status", "match"),
    [
        (["--loss", "0.1"], 1, "give a codec"),
        (["--codec", "amr-nb", "--bitrate", "13"], 1, "4.75"),
        (["--codec", "opus", "--decoded"], 2, "--decoded needs"),
        (["--noise", "white"], 1, "snr="),
        (["--noise", "babble", "--snr", "5"], 2, "at least two"),
        (["--channel", "hd-voice", "--codec", "ulaw"], 1, "8 kHz band"),
    ],
)
def test_bad_channel_options_are_refused_before_any_file(tmp_path, args, status, match):
    sf.write(tmp_path / "in.wav", noise(0.5, 16000), 16000)
    got, err = run("telephone", tmp_path / "in.wav", "-o", tmp_path / "x", *args)
    assert got == status and match in err and not (tmp_path / "x" / "in.wav").exists()


def test_the_same_seed_is_byte_identical_on_the_pool_on_dask_and_from_the_cli(calls, tmp_path):
    pytest.importorskip("distributed")
    from clitools import outputs_of

    spec = tmp_path / "line.toml"
    spec.write_text('[[stage]]\nname = "telephone"\nchannel = "voip-opus"\nloss = 0.1\n'
                    'noise = "pink"\nsnr = 15\nseed = 11\n')  # fmt: skip
    assert main(["run", str(spec), str(calls), "-o", str(tmp_path / "pool"), "--workers",
                 "2"]) == 0  # fmt: skip
    assert main(["run", str(spec), str(calls), "-o", str(tmp_path / "dask"), "--dask-local",
                 "2"]) == 0  # fmt: skip
    pool, dask = outputs_of(tmp_path / "pool"), outputs_of(tmp_path / "dask")
    assert len(pool) == 12 and pool == dask
    line = ["--channel", "voip-opus", "--loss", "0.1", "--noise", "pink", "--snr", "15"]
    assert main(["telephone", str(calls), "-o", str(tmp_path / "cli"), *line, "--seed", "11"]) == 0
    cli = outputs_of(tmp_path / "cli")
    assert {k: v for k, v in cli.items() if k.endswith(".wav")} == {
        k: v for k, v in pool.items() if k.endswith(".wav")
    }
