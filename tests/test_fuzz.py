"""Fuzzing every reader of user files: arbitrary bytes, and real files with bytes flipped, cut,
inserted or deleted, give a result or a SpeechTextError, never another exception.

The readers that hand bytes to a native library (libsndfile for audio, zlib and numpy for
``.npz`` archives, the model reader) run in a subprocess: one child per reader loops over all
its inputs, writing each to ``last.bin`` before reading it, so a child that dies by a signal
names the input that killed it. The child is this file, run as a script
(``python tests/test_fuzz.py KIND FOLDER``).

Runs are deterministic (``derandomize``); ``SPEECHTEXT_FUZZ_EXAMPLES=N`` scales the number of
examples, ``SPEECHTEXT_FUZZ_RANDOM=1`` draws new ones on each run.
"""

import hashlib
import io
import json
import os
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from speechtext.errors import SpeechTextError

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
EXAMPLES = int(os.environ.get("SPEECHTEXT_FUZZ_EXAMPLES", "120"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # nothing written into the checkout
    derandomize=not os.environ.get("SPEECHTEXT_FUZZ_RANDOM"),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Bytes that mean something to one of the formats, inserted at random places.
TOKENS = [
    b"\t", b"\n", b"\r\n", b"\r", b" ", b"\x00", b"\xff", b"\x80", b"\xef\xbb\xbf",
    b"\xe2\x80\xa8", b"\xc2\x85", b"O", b"B-", b"I-", b"X-", b"-DOCSTART-", b"-X-", b"[", b"]",
    b"{", b"}", b'"', b"\\", b"=", b"#", b",", b":", b"nan", b"inf", b"-inf", b"-1", b"1e999",
    b"0", b"[[stage]]", b'name = "tag"', b'"slots": [', b"\xff\xff\xff\xff", b"\x00\x00\x00\x80",
]  # fmt: skip


@st.composite
def mutated(draw, seeds):
    """A seed with one to six edits: flip, cut, insert, delete, duplicate or overwrite."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "delete", "duplicate", "overwrite"]))
        pos = draw(st.integers(0, len(data)))
        if op == "flip" and data:
            data[min(pos, len(data) - 1)] ^= 1 << draw(st.integers(0, 7))
        elif op == "cut":
            del data[pos:]
        elif op == "insert":
            data[pos:pos] = draw(st.sampled_from(TOKENS) | st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 16))]
        elif op == "duplicate":
            data[pos:pos] = data[pos : pos + draw(st.integers(1, 64))]
        elif op == "overwrite" and data:
            word = draw(st.sampled_from(TOKENS))
            data[pos : pos + len(word)] = word
    return bytes(data)


def inputs(seeds):
    return st.one_of(mutated(seeds), st.binary(max_size=400), st.sampled_from(seeds))


def survives(read, *args, **kwargs):
    """Call a reader: a result or a SpeechTextError are both fine; anything else propagates."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # readers may warn (a truncated file, say)
        try:
            return read(*args, **kwargs)
        except SpeechTextError:
            return None


# ------------------------------------------------------------------------------ the seeds


def _text_seeds():
    from speechtext.delex import delexicalize
    from speechtext.io.conll import read_sentences

    gold_text = (SAMPLES / "gold.conll").read_bytes()
    gold = read_sentences(SAMPLES / "gold.conll")[:4]
    blocks = gold_text.split(b"\n\n")
    conll = b"\n\n".join(blocks[:3]) + b"\n"
    scored = "".join(
        "".join(
            f"{t}\t{g}\t0.{i % 10}\n" for i, (t, g) in enumerate(zip(s.tokens, s.tags, strict=True))
        )
        + "\n"
        for s in gold
    ).encode()
    conlleval = "".join(
        "".join(f"{t} {g} {g}\n" for t, g in zip(s.tokens, s.tags, strict=True)) + "\n"
        for s in gold
    ).encode()
    seq_in = "".join(" ".join(s.tokens) + "\n" for s in gold).encode()
    seq_out = "".join(" ".join(s.tags) + "\n" for s in gold).encode()
    templates = []
    for i, s in enumerate(gold):
        d = delexicalize(s.tokens, s.tags)
        slots = [
            {"name": v.name, "value": v.value, "start": v.start, "end": v.end} for v in d.slots
        ]
        templates.append(
            {"id": i, "text": " ".join(s.tokens), "template": d.template, "slots": slots}
        )
    lexicon = ROOT / "speechtext" / "tagging" / "corpus" / "slot_values.tsv"
    return {
        "conll": [conll, scored, seq_in, b"-DOCSTART- O\n\n" + conll],
        "conlleval": [conlleval, b"-DOCSTART- O O\n\n" + conlleval],
        "seq_in": [seq_in],
        "seq_out": [seq_out],
        "lexicon": [b"".join(lexicon.read_bytes().splitlines(keepends=True)[:25])],
        "templates": ["".join(json.dumps(t) + "\n" for t in templates).encode()],
        "labels": [b"O\nB-city\nI-city\nB-date\nI-date\n"],
        "jsonl": [
            b'{"id": "a", "source": "in/a.wav", "outputs": ["out/a.wav"], "seconds": 0.5}\n'
            b'{"id": "b", "error": "in/b.wav: not a readable audio file"}\n'
        ],
    }


def _spec_seeds():
    specs = ROOT / "speechtext" / "pipeline" / "specs"
    return [p.read_bytes() for p in sorted(specs.glob("*.toml"))]


def _f0_seeds(folder):
    import numpy as np

    from speechtext.io.f0 import write_f0_csv, write_summary_csv, write_summary_json
    from speechtext.types import F0Track

    times = np.arange(12) * 0.01 + 0.016
    f0 = np.where(np.arange(12) % 4 == 0, 0.0, 120.0 + np.arange(12))
    track = F0Track(times, f0, f0 > 0, np.linspace(0, 1, 12), 0.01)
    write_f0_csv(folder / "a.f0.csv", track)
    summary = {
        "source": "in/a.wav", "duration": 0.13, "frames": 12, "voiced_fraction": 0.75,
        "median": 126.0, "p5": 121.0, "p95": 131.0, "mode": 125.0, "register": "low",
        "fmin": 50.0, "fmax": 500.0, "hop": 0.01,
    }  # fmt: skip
    write_summary_json(folder / "a.summary.json", summary)
    write_summary_csv(folder / "summary.csv", [summary, {**summary, "median": None}])
    return {
        "f0": [(folder / "a.f0.csv").read_bytes()],
        "summary_json": [(folder / "a.summary.json").read_bytes()],
        "summary_csv": [(folder / "summary.csv").read_bytes()],
    }


# -------------------------------------------------------------------- pure-Python readers


def _reader_cases():
    from speechtext.io import read_conlleval
    from speechtext.io.conll import read_sentences
    from speechtext.io.f0 import read_f0_csv, read_summary_csv, read_summary_json
    from speechtext.io.lexicon import read_lexicon, read_templates
    from speechtext.io.manifest import read_jsonl
    from speechtext.io.scores import read_labels

    return {
        # name: (seed kind, file name, reader)
        "conll": ("conll", "input.conll", read_sentences),
        "seq.in": ("seq_in", "seq.in", read_sentences),
        "seq.out": ("seq_out", "seq.out", read_sentences),
        "conlleval": ("conlleval", "output.txt", read_conlleval),
        "lexicon": ("lexicon", "values.tsv", read_lexicon),
        "templates": ("templates", "templates.jsonl", read_templates),
        "labels": ("labels", "labels.txt", read_labels),
        "jsonl": ("jsonl", "manifest.jsonl", read_jsonl),
        "f0 csv": ("f0", "a.f0.csv", read_f0_csv),
        "summary json": ("summary_json", "a.summary.json", read_summary_json),
        "summary csv": ("summary_csv", "summary.csv", read_summary_csv),
    }


def _known_bug(reason):
    """A fuzz case that fails in a module outside this change: xfail until its owner fixes it."""
    return pytest.mark.xfail(strict=False, reason=reason)


def _cases(names, bugs):
    return [pytest.param(n, marks=_known_bug(bugs[n])) if n in bugs else n for n in names]


# Readers that fuzzing found failing, in files owned by others (see the report of issue 12).
KNOWN_BUGS = {}
NATIVE_BUGS = {}


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    seeds = _text_seeds()
    seeds.update(_f0_seeds(folder))
    return folder, seeds


@pytest.mark.parametrize("name", _cases(_reader_cases(), KNOWN_BUGS))
def test_text_reader(work, name):
    folder, seeds = work
    kind, filename, read = _reader_cases()[name]
    path = folder / name.replace(" ", "_") / filename
    path.parent.mkdir(exist_ok=True)

    @FUZZ
    @given(inputs(seeds[kind]))
    def check(data):
        path.write_bytes(data)
        survives(read, path)

    check()


def test_conll_formats(work):
    """Every explicit format on every kind of tagged text."""
    from speechtext.io.conll import read_sentences

    folder, seeds = work
    path = folder / "formats" / "input.txt"
    path.parent.mkdir(exist_ok=True)
    pool = seeds["conll"] + seeds["seq_in"] + seeds["seq_out"] + seeds["conlleval"]

    @FUZZ
    @given(inputs(pool), st.sampled_from(["auto", "conll", "seq.in", "seq.out", "text"]))
    def check(data, fmt):
        path.write_bytes(data)
        survives(read_sentences, path, format=fmt)

    check()


def test_seq_folder(work):
    """A seq.in/seq.out folder, each file mutated on its own."""
    from speechtext.io.conll import read_sentences

    folder, seeds = work
    pair = folder / "pair"
    pair.mkdir(exist_ok=True)

    @FUZZ
    @given(inputs(seeds["seq_in"]), inputs(seeds["seq_out"]))
    def check(seq_in, seq_out):
        (pair / "seq.in").write_bytes(seq_in)
        (pair / "seq.out").write_bytes(seq_out)
        survives(read_sentences, pair)

    check()


def test_spec_text_and_file(work):
    from speechtext.pipeline import load_spec, parse_spec

    folder, _ = work
    path = folder / "spec" / "fuzzed.toml"
    path.parent.mkdir(exist_ok=True)

    @FUZZ
    @given(inputs(_spec_seeds()))
    def check(data):
        path.write_bytes(data)
        survives(load_spec, path)
        survives(parse_spec, data.decode("utf-8", "replace"), path="fuzzed.toml")

    check()


# ----------------------------------------------- native readers, each in a child process


def _audio_seeds(folder):
    import numpy as np
    import soundfile as sf

    t = np.arange(800) / 8000
    y = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    formats = [
        ("pcm16.wav", "WAV", "PCM_16"), ("float.wav", "WAV", "FLOAT"),
        ("ulaw.wav", "WAV", "ULAW"), ("a.flac", "FLAC", "PCM_16"),
        ("a.ogg", "OGG", "VORBIS"), ("a.aiff", "AIFF", "PCM_24"), ("a.au", "AU", "PCM_16"),
    ]  # fmt: skip
    for name, fmt, subtype in formats:
        channels = np.stack([y, -y], axis=1) if name == "pcm16.wav" else y
        sf.write(folder / name, channels, 8000, format=fmt, subtype=subtype)
    return [(folder / name).read_bytes() for name, _, _ in formats]


def _model_seeds(folder):
    from speechtext.io.conll import read_sentences
    from speechtext.tagging import SlotTagger

    gold = read_sentences(SAMPLES / "gold.conll")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tagger = SlotTagger(iterations=3, calibrate=False, min_freq=2).fit(
            [s.tokens for s in gold], [s.tags for s in gold]
        )
    return [tagger.to_bytes()]


def _npz_seeds(folder):
    import numpy as np

    labels = 5
    emissions = np.log(np.linspace(0.05, 0.95, 4 * labels).reshape(4, labels))
    buf = io.BytesIO()
    np.savez(buf, emissions_0=emissions, emissions_1=emissions[:2], transitions=np.zeros((5, 5)))
    stored = buf.getvalue()
    buf = io.BytesIO()
    np.savez_compressed(buf, emissions_0=emissions, start=np.zeros(5))
    return [stored, buf.getvalue()]


def _rezipped(draw_member, seed, *, forge):
    """A zip seed with one member mutated and the archive rebuilt (CRCs right): the reader behind
    zipfile sees the damage. ``forge`` recomputes a model file's checksums as well."""
    with zipfile.ZipFile(io.BytesIO(seed)) as z:
        members = {info.filename: z.read(info) for info in z.infolist()}
    name = draw_member(sorted(members))
    members[name] = draw_member(members[name])
    if forge and "checksums.json" in members:
        sums = {n: hashlib.sha256(d).hexdigest() for n, d in members.items()}
        sums.pop("checksums.json")
        members["checksums.json"] = json.dumps({"sha256": sums}).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for member, data in members.items():
            z.writestr(member, data)
    return buf.getvalue()


@st.composite
def zip_inputs(draw, seeds, forge=False):
    seed = draw(st.sampled_from(seeds))
    how = draw(st.sampled_from(["whole", "member", "forged"] if forge else ["whole", "member"]))
    if how == "whole":
        return draw(mutated([seed]))

    def draw_member(choices):
        if isinstance(choices, list):
            return draw(st.sampled_from(choices))
        return draw(mutated([choices]))

    return _rezipped(draw_member, seed, forge=how == "forged")


def _child(kind, folder):
    """Run in a child process: fuzz one native reader over inputs made from its seeds."""
    from speechtext.io.audio import audio_info, iter_blocks, read_audio

    folder = Path(folder)
    last = folder / "last.bin"

    def read_all_audio(path):
        audio_info(path)
        read_audio(path)
        for _ in iter_blocks(path, seconds=0.01):
            pass

    def load_model(path):
        from speechtext.tagging import SlotTagger

        SlotTagger.load(path).predict([["fly", "to", "boston"]])

    def read_npz(path):
        from speechtext.io.scores import read_emissions

        read_emissions(path, n_labels=5, labels_path="labels.txt")

    if kind == "audio":
        strategy, name, read = inputs(_audio_seeds(folder)), "input.wav", read_all_audio
    elif kind == "model":
        strategy, name, read = zip_inputs(_model_seeds(folder), forge=True), "m.tagger", load_model
    else:
        strategy, name, read = zip_inputs(_npz_seeds(folder)), "scores.npz", read_npz
    path = folder / name

    @settings(FUZZ, max_examples=EXAMPLES * 2)
    @given(strategy)
    def check(data):
        last.write_bytes(data)  # what was being read, should the process die
        path.write_bytes(data)
        survives(read, path)

    check()


def run_child(kind, folder):
    """Run :func:`_child` in a subprocess; fail naming the input if it dies by a signal."""
    proc = subprocess.run(
        [sys.executable, __file__, kind, str(folder)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode < 0:
        data = (Path(folder) / "last.bin").read_bytes()
        raise AssertionError(
            f"the {kind} reader died by signal {-proc.returncode} on {len(data)} bytes "
            f"(kept in {folder}/last.bin): {data[:200]!r}"
        )
    assert proc.returncode == 0, proc.stderr[-6000:]


@pytest.mark.parametrize("kind", _cases(["audio", "model", "npz"], NATIVE_BUGS))
def test_native_reader_in_a_subprocess(tmp_path, kind):
    run_child(kind, tmp_path)


if __name__ == "__main__":
    _child(*sys.argv[1:])
