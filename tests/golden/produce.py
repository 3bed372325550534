"""The golden outputs: the demo spec and every CLI stage run on data/samples.

``produce(workdir)`` runs the commands a user would (in subprocesses) and returns
``{output path: entry}`` over every file they write and every stdout they print, with the
figures that change from run to run left out: timings, absolute paths and plots (matplotlib
stamps its version into a PNG). A text output's entry is its text (``{"text": ...}``), compared
by ``tests/test_golden.py`` word for word and number for number, the numbers to float rounding:
BLAS and numpy's SIMD loops sum in an order that depends on the CPU (an AVX-512 machine and an
AVX2 one differ in the last bits of a probability, and a float32 network's F0 in the 7th
digit). Any other output's entry is its sha256 (``{"sha256": ...}``), compared byte for byte.
``outputs.json.gz`` beside this file holds what the code produced before the package was
reorganised.

Regenerate it only for an intended change of output, with NLTK's data on ``NLTK_DATA``:
``.venv/bin/python tests/golden/produce.py --write``
(the outputs were first taken, as digests, from commit 84f9151, the code before the move; the
texts were taken from commit 5045bba, whose outputs matched those digests byte for byte in CI).
"""

import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"
HERE = Path(__file__).resolve().parent

_VOLATILE_KEYS = {"seconds"}  # manifest timings


# The one output that depends on NLTK data (homographs by part of speech): compared only where
# NLTK's POS tagger is found, as it was when the digests were taken.
NEEDS_NLTK_TAGGER = {"g2p-ipa.out"}


def _environment():
    """This environment with NLTK_DATA absolute: the commands run in another folder."""
    env = dict(os.environ)
    if env.get("NLTK_DATA"):
        env["NLTK_DATA"] = os.pathsep.join(
            os.path.abspath(p) for p in env["NLTK_DATA"].split(os.pathsep)
        )
    return env


def _cli(workdir, *args, stdout=None):
    proc = subprocess.run(
        [sys.executable, "-m", "speechtext", *map(str, args)],
        cwd=workdir,
        env=_environment(),
        capture_output=True,
        timeout=600,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"speechtext {' '.join(map(str, args))}: {proc.stderr.decode()}")
    if stdout is not None:
        Path(workdir, stdout).write_bytes(proc.stdout)


def _text_like(path):
    return path.suffix in {".jsonl", ".json", ".txt", ".csv", ".conll", ".out", ".tsv", ".md"}


def _normalise(path, data, workdir):
    """The bytes with run-specific parts taken out: absolute paths, timings."""
    if not _text_like(path):
        return data
    text = data.decode("utf-8")
    text = text.replace(str(workdir), "<work>").replace(str(ROOT), "<root>")
    marker = path.parent.name == "done"  # .speechtext/done/<stem>.json: a manifest entry
    if marker or path.name == "manifest.jsonl":
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
        rows = [{k: v for k, v in r.items() if k not in _VOLATILE_KEYS} for r in rows]
        text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows)
    if marker:  # the spec's fingerprint digests the spec's path too
        text = re.sub(r'"spec": "[0-9a-f]+"', '"spec": "<fingerprint>"', text)
    return text.encode("utf-8")


def _chains(work, samples):
    """The commands, as a user types them, in chains: each needs only what its own chain wrote."""
    gold = samples / "gold.conll"
    words = work / "words.txt"
    text = work / "utterances.txt"

    def demo():
        _cli(work, "run", "demo", samples, "-o", "demo")

    def pipelines():
        _cli(work, "run", "text", samples, "-o", "text")
        _cli(work, "run", "telephone", samples, "-o", "phone", "--workers", "1")

    def telephone_and_pitch():
        _cli(work, "telephone", samples, "-o", "tel-g712", "--workers", "1")
        _cli(work, "telephone", samples, "-o", "tel-ulaw", "--preset", "narrow", "--codec", "ulaw")
        _cli(work, "pitch", "tel-g712", "-o", "f0", "--workers", "1")

    def g2p():
        _cli(work, "g2p", "-i", samples, "-o", "g2p", "--workers", "1")
        _cli(work, "g2p", "-i", samples, "-o", "g2p-json", "--json", "--nbest", "3")
        words.write_text("hello\ntomato\nzyxtrofan\nnew york\n42\n", encoding="utf-8")
        _cli(work, "g2p", "--words", "--nbest", "4", "--beam", "8", "-i", words,
             stdout="g2p-words.out")  # fmt: skip
        _cli(work, "g2p", "--format", "ipa", "I refuse to collect the refuse.",
             stdout="g2p-ipa.out")  # fmt: skip

    def default_tagger():
        _cli(work, "tag", "predict", gold, "-o", "pred.conll", "--nbest", "4")
        _cli(work, "tag", "select", gold, "-n", "4", "--by", "margin", stdout="select.out")
        _cli(work, "evaluate", gold, "pred.conll", stdout="eval.txt")

    def trained_tagger():
        _cli(work, "tag", "train", gold, "-o", "small.tagger", "--iterations", "5")
        _cli(work, "tag", "predict", "small.tagger", gold, "-o", "pred-small.conll", "--nbest", "2")
        _cli(work, "evaluate", gold, "pred-small.conll", "--format", "json", stdout="eval.json")
        _cli(work, "evaluate", gold, "pred-small.conll", "--format", "markdown", "-o", "eval.md")
        _cli(work, "evaluate", gold, "pred-small.conll", "--mode", "strict", "--format", "csv",
             stdout="eval.csv")  # fmt: skip

    def delex_and_decode():
        _cli(work, "delex", gold, "-o", "delex.jsonl", "--stats", stdout="delex-stats.out")
        text.write_text(
            "wake me at 3:15 pm tomorrow\nbook a table for 4 at noon\npay $25 on march 5th\n",
            encoding="utf-8",
        )
        _cli(work, "delex", text, "-o", "delex-raw.jsonl")
        _cli(work, "relex", "delex.jsonl", "-n", "20", "--seed", "1", "-o", "relex.conll")
        _make_scores(work)
        _cli(work, "decode", "scores.npz", "--labels", "labels.txt", "--nbest", "3",
             "-o", "dec.jsonl")  # fmt: skip

    return [demo, pipelines, telephone_and_pitch, g2p, default_tagger, trained_tagger,
            delex_and_decode]  # fmt: skip


def produce(workdir):
    from concurrent.futures import ThreadPoolExecutor

    work = Path(workdir).resolve()
    # two at a time: the commands are subprocesses, and most of each is start-up
    with ThreadPoolExecutor(2) as pool:
        for done in [pool.submit(chain) for chain in _chains(work, SAMPLES)]:
            done.result()

    outputs = {}
    for path in sorted(p for p in work.rglob("*") if p.is_file()):
        rel = path.relative_to(work)
        # report.html: its figures are matplotlib's SVG, which varies with matplotlib's version
        if path.suffix in (".png", ".html", ".tagger") or path.name == "scores.npz":
            continue
        data = _normalise(rel, path.read_bytes(), work)
        if _text_like(rel):
            outputs[rel.as_posix()] = {"text": data.decode("utf-8")}
        else:
            outputs[rel.as_posix()] = {"sha256": hashlib.sha256(data).hexdigest()}
    return outputs


def _make_scores(work):
    """Emissions for decode, from fixed numbers (no random generator whose stream may change)."""
    import numpy as np

    labels = ["O", "B-city", "I-city", "B-date", "I-date"]
    (work / "labels.txt").write_text("\n".join(labels) + "\n", encoding="utf-8")
    grid = np.arange(7 * 5, dtype=float).reshape(7, 5)
    emissions = np.log(((grid * 37) % 11 + 1) / 12.0)
    np.savez(work / "scores.npz", emissions_0=emissions, emissions_1=emissions[:3, ::-1].copy())


EXPECTED = HERE / "outputs.json.gz"


def read_expected():
    with gzip.open(EXPECTED, "rt", encoding="utf-8") as f:
        return json.load(f)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        outputs = produce(tmp)
    if sys.argv[1:] == ["--write"]:
        # mtime 0: the same outputs give the same bytes
        with open(EXPECTED, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
            f.write(json.dumps(outputs, indent=1, sort_keys=True).encode("utf-8"))
    else:
        json.dump(outputs, sys.stdout, indent=1, sort_keys=True)
        sys.stdout.write("\n")
