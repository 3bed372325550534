"""Pipelines: the stages chained over folders, from a TOML spec, on a process pool or on Dask.

**Stage protocol.** A stage has a ``name``, a config dataclass (``Config``) and
``__call__(record) -> record``; :meth:`Stage.process` runs it over the records of one input file
(the tagger and G2P batch them), :meth:`Stage.write` writes a file's outputs through
:mod:`speechtext.io` (atomically), :meth:`Stage.finish` is the corpus-level step at the end of a
run (the pitch ``summary.csv``, the evaluation report). A :class:`Record` is one utterance.
Stages call the library (``to_telephone``, ``estimate_f0``, ``G2P``, ``SlotTagger``,
``delexicalize``, ``evaluate``) and never open files themselves.

**Specs.** TOML, an ordered list of ``[[stage]]`` tables, each with a ``name`` and its settings::

    [[stage]]
    name = "telephone"
    preset = "g712"

    [[stage]]
    name = "pitch"      # on the telephone audio

An unknown stage or setting, or a setting of the wrong type, is a FormatError naming the spec
file's line and what would work. ``model`` paths are relative to the spec file's folder, the
``gold`` file of ``evaluate`` is relative to the input folder (the gold tags travel with the data);
without that file, ``evaluate`` reads a ``<stem>.tags`` file (one line of tags per utterance)
beside each input.

**Inputs.** With an audio stage in the spec, the inputs are the audio files (one utterance
each); a same-stem ``.txt`` beside a recording is its transcript (its lines joined), needed by
the text stages. With text stages only, the inputs are the ``.txt`` files: a transcript (a
``.txt`` beside a same-stem recording) is one utterance, any other text file holds one utterance
per non-blank line (ids ``<stem>:<line>``). Tokens are the text split on white space.

**Outputs** mirror the inputs' relative paths under OUTDIR: ``<stem>.wav`` (telephone),
``<stem>.f0.csv`` + ``<stem>.summary.json`` (pitch; ``summary.csv`` for the run),
``<stem>.phones.txt`` (g2p, one line per utterance), ``<stem>.conll`` (tag: token, tag,
confidence) + ``<stem>.nbest.jsonl`` (with ``nbest > 1``), ``<stem>.delex.jsonl`` (delex);
``report.json``, ``report.txt`` and ``plots/*.png`` (evaluate). An input file is complete when
its marker ``OUTDIR/.speechtext/done/<stem>.json`` exists (written last, holding its manifest
entry and the spec's fingerprint); ``--resume`` skips complete inputs of the same spec.
``manifest.jsonl`` (one entry per input) and ``failures.jsonl`` are written at the end.

Examples
--------
>>> from speechtext.pipeline import load_spec, run_pipeline
>>> spec = load_spec("telephone")  # a shipped spec, or a path  # doctest: +SKIP
>>> result = run_pipeline(spec, ["data/samples"], "out", workers=2)  # doctest: +SKIP
>>> result.exit_status  # doctest: +SKIP
0
"""

import dataclasses
import functools
import glob
import hashlib
import json
import re
import sys
import time
import typing
from dataclasses import dataclass, field
from pathlib import Path

from .errors import AudioError, FormatError, ParameterError, SpeechTextError
from .types import Record, Sentence

__all__ = [
    "SPEC_DIR",
    "STAGES",
    "Pipeline",
    "Record",
    "RunResult",
    "Spec",
    "Stage",
    "StageSpec",
    "load_spec",
    "parse_spec",
    "run_pipeline",
    "shipped_specs",
]

# The shipped specs (pipelines/*.toml beside the package, in a source checkout or editable install).
SPEC_DIR = Path(__file__).resolve().parents[1] / "pipelines"
MARKER_DIR = Path(".speechtext") / "done"


# ------------------------------------------------------------------------------------ records


def _need_audio(record, stage):
    if record.audio is None:
        raise AudioError(
            f"{record.source}: the {stage} stage needs audio, and this input is text; "
            "give audio files or drop the audio stages from the spec"
        )


def _need_text(record, stage):
    if record.text is None:
        stem = Path(record.source).with_suffix(".txt").name
        raise FormatError(
            f"{record.source}: the {stage} stage needs its transcript; put the words it speaks "
            f"in {stem} beside it"
        )
    if record.tokens is None:
        record.tokens = record.text.split()


# ------------------------------------------------------------------------------------- stages


class Stage:
    """Base class of the pipeline stages; see the module docs for the protocol.

    Subclasses set ``name``, ``Config`` (a dataclass), ``kind`` (``"audio"``, ``"text"`` or
    ``"corpus"``) and ``requires`` (stages that must come earlier).
    """

    name = ""
    kind = "text"
    requires = ()

    @dataclass(frozen=True)
    class Config:
        pass

    def __init__(self, config=None):
        self.config = config if config is not None else self.Config()

    def prepare(self):
        """Check the settings (and load what every worker needs) once, before any file."""

    def __call__(self, record):
        return record

    def process(self, records):
        """Run the stage over the records of one input file."""
        return [self(r) for r in records]

    def suffixes(self):
        """The suffixes of the files this stage writes per input file."""
        return ()

    def write(self, records, base):
        """Write one input file's outputs as ``<base><suffix>``; return the paths written."""
        return []

    def finish(self, run):
        """Corpus-level step after all files (``run`` is a :class:`RunResult`); return paths."""
        return []


def _out(base, suffix):
    return Path(f"{base}{suffix}")


class TelephoneStage(Stage):
    """:func:`speechtext.telephone.to_telephone`; writes ``<stem>.wav`` at 8 kHz."""

    name = "telephone"
    kind = "audio"

    @dataclass(frozen=True)
    class Config:
        preset: str = "g712"
        band: list | None = None
        codec: str | None = None
        decoded: bool = False

    def prepare(self):
        from .telephone import channel_filter, check_params

        c = self.config
        check_params(preset=c.preset, band=self._band(), codec=c.codec)
        channel_filter(c.preset, self._band())

    def _band(self):
        return tuple(self.config.band) if self.config.band is not None else None

    def __call__(self, record):
        from .telephone import TELEPHONE_SR, to_telephone

        _need_audio(record, self.name)
        c = self.config
        record.audio = to_telephone(
            record.audio, sr=record.sr, preset=c.preset, band=self._band(), codec=c.codec
        )
        record.sr = TELEPHONE_SR
        return record

    def suffixes(self):
        return (".wav",)

    def write(self, records, base):
        from .io.audio import write_audio

        path = _out(base, ".wav")
        (record,) = records
        # to_telephone gives the companded signal decoded; stored as G.711 it re-encodes exactly
        codec = None if self.config.decoded else self.config.codec
        write_audio(path, record.audio, record.sr, codec=codec)
        return [path]


class PitchStage(Stage):
    """:func:`speechtext.pitch.estimate_f0` and ``summarize`` on the record's (current) audio."""

    name = "pitch"
    kind = "audio"

    @dataclass(frozen=True)
    class Config:
        fmin: float = 50.0
        fmax: float = 550.0
        hop: float = 0.010
        plot: bool = False

    def prepare(self):
        from .pitch import check_params

        c = self.config
        check_params(fmin=c.fmin, fmax=c.fmax, hop=c.hop)  # against the rate: per file

    def __call__(self, record):
        from .pitch import estimate_f0, file_summary

        _need_audio(record, self.name)
        c = self.config
        track = estimate_f0(record.audio, sr=record.sr, fmin=c.fmin, fmax=c.fmax, hop=c.hop)
        duration = len(record.audio) / record.sr
        summary = file_summary(
            track, source=record.source, duration=duration, fmin=c.fmin, fmax=c.fmax, hop=c.hop
        )
        record.f0, record.summary = track, summary
        return record

    def suffixes(self):
        return (".f0.csv", ".summary.json") + ((".f0.png",) if self.config.plot else ())

    def write(self, records, base):
        from .io.f0 import write_f0_csv, write_f0_plot, write_summary_json

        (record,) = records
        paths = [_out(base, s) for s in self.suffixes()]
        write_f0_csv(paths[0], record.f0)
        write_summary_json(paths[1], record.summary)
        if self.config.plot:
            write_f0_plot(paths[2], record.f0, record.audio, record.sr, title=record.source)
        return paths

    def finish(self, run):
        from .io.f0 import read_summary_json, write_summary_csv

        rows = []
        for entry in run.done_entries():
            path = run.outdir / entry["base"]
            rows.append(read_summary_json(_out(path, ".summary.json")))
        target = run.outdir / "summary.csv"
        write_summary_csv(target, rows)
        return [target]


class G2PStage(Stage):
    """:class:`speechtext.g2p.G2P` on the text; ``<stem>.phones.txt``, one line per utterance
    (ARPAbet words separated by `` | ``, as ``speechtext g2p`` prints them), and with
    ``nbest > 1`` ``<stem>.phones.jsonl`` with every word's N best."""

    name = "g2p"

    @dataclass(frozen=True)
    class Config:
        nbest: int = 1
        beam: int | None = None
        format: str = "arpabet"
        stress: bool = True

    @functools.cached_property
    def g2p(self):
        from .g2p import G2P

        c = self.config
        return G2P(nbest=c.nbest, beam=c.beam, format=c.format, stress=c.stress)

    def prepare(self):
        self.g2p  # noqa: B018 (the constructor validates the settings)

    def __call__(self, record):
        return self.process([record])[0]

    def process(self, records):
        for r in records:
            _need_text(r, self.name)
        # the words of all utterances of a file decoded together
        words = self.g2p.transcribe_many([r.text for r in records])
        for r, w in zip(records, words, strict=True):
            r.phones = w
        return records

    def suffixes(self):
        return (".phones.txt",) + ((".phones.jsonl",) if self.config.nbest > 1 else ())

    def write(self, records, base):
        from .io.phones import write_phones, write_phones_jsonl

        paths = [_out(base, s) for s in self.suffixes()]
        write_phones(paths[0], [r.phones for r in records], self.config.format)
        if len(paths) > 1:
            write_phones_jsonl(paths[1], [(r.id, r.text, r.phones) for r in records])
        return paths


@functools.cache
def _load_tagger(model):
    """The tagger of a model file (or the embedded default), once per process."""
    from .tagging_default import load_tagger

    return load_tagger(model)


class TagStage(Stage):
    """:class:`speechtext.tagging.SlotTagger`: IOB2 tags with per-token confidences
    (``token_scores``) and, with ``nbest > 1``, the N best sequences (beam search).

    ``model``: a file from ``speechtext tag train``; absent, the embedded default tagger.
    """

    name = "tag"

    @dataclass(frozen=True)
    class Config:
        model: str | None = None
        nbest: int = 1
        beam: int = 8

    def prepare(self):
        c = self.config
        for key in ("nbest", "beam"):
            if getattr(c, key) < 1:
                raise ParameterError(f"tag: {key} = {getattr(c, key)} must be at least 1")
        if c.nbest > c.beam:
            raise ParameterError(f"tag: nbest = {c.nbest} cannot exceed beam = {c.beam}")
        _load_tagger(c.model)

    def __call__(self, record):
        return self.process([record])[0]

    def process(self, records):
        for r in records:
            _need_text(r, self.name)
        tagger = _load_tagger(self.config.model)
        tokens = [r.tokens for r in records]
        tags, scores = tagger.token_scores(tokens)
        nbest = [None] * len(records)
        if self.config.nbest > 1:
            nbest = tagger.predict_nbest(tokens, self.config.nbest, beam=self.config.beam)
        for r, t, s, nb in zip(records, tags, scores, nbest, strict=True):
            r.tags, r.scores, r.nbest = t, s, nb
        return records

    def suffixes(self):
        return (".conll",) + ((".nbest.jsonl",) if self.config.nbest > 1 else ())

    def write(self, records, base):
        from .io.conll import write_conll
        from .io.nbest import write_nbest_jsonl

        paths = [_out(base, s) for s in self.suffixes()]
        write_conll(paths[0], [Sentence(r.tokens, r.tags, r.scores) for r in records])
        if len(paths) > 1:
            write_nbest_jsonl(paths[1], [(r.id, r.tokens, r.nbest) for r in records])
        return paths


class DelexStage(Stage):
    """:func:`speechtext.delex.delexicalize` of the tagged tokens; ``<stem>.delex.jsonl``."""

    name = "delex"
    requires = ("tag",)

    @dataclass(frozen=True)
    class Config:
        pass

    def __call__(self, record):
        from .delex import delexicalize

        record.delex = delexicalize(record.tokens, record.tags)
        return record

    def suffixes(self):
        return (".delex.jsonl",)

    def write(self, records, base):
        from .io.delexed import write_delex_jsonl

        path = _out(base, ".delex.jsonl")
        write_delex_jsonl(path, [(r.id, r.delex) for r in records])
        return [path]


class EvaluateStage(Stage):
    """:func:`speechtext.evaluate` of the predicted tags of the whole run against gold tags.

    ``gold``: a CoNLL file whose sentences are the utterances in input order (sorted paths, then
    lines), relative to the input folder. Predictions are matched to gold sentences in order,
    token for token, so the inputs that failed are left out (and noted). Without that file, the
    gold tags come from a ``<stem>.tags`` file beside each input (one line of space-separated
    tags per utterance). Writes
    ``report.json``, ``report.txt`` and, with ``plot``, ``plots/*.png``.
    """

    name = "evaluate"
    kind = "corpus"
    requires = ("tag",)

    @dataclass(frozen=True)
    class Config:
        gold: str = "gold.conll"
        mode: str = "default"
        scheme: str = "IOB2"
        entity_score: str = "min"
        plot: bool = True

    def prepare(self):
        from .evaluate import ENTITY_SCORES, MODES
        from .io.conll import SCHEMES

        c = self.config
        for key, allowed in (("mode", MODES), ("scheme", SCHEMES), ("entity_score", ENTITY_SCORES)):
            if getattr(c, key) not in allowed:
                raise ParameterError(
                    f"evaluate: {key} = {getattr(c, key)!r}; choose one of {', '.join(allowed)}"
                )

    def gold_path(self, run):
        path = Path(self.config.gold)
        if not path.is_absolute() and run.inputs:
            first = Path(run.inputs[0])
            path = (first if first.is_dir() else first.parent) / path
        return path

    def finish(self, run):
        from .evaluate import evaluate, plot_report
        from .io.atomic import write_text
        from .io.conll import read_sentences

        gold_file = self.gold_path(run)
        pred = []
        for entry in run.done_entries():
            pred.extend(read_sentences(_out(run.outdir / entry["base"], ".conll"), format="conll"))
        if gold_file.exists():
            gold = read_sentences(gold_file, format="conll")
            matched = _match_gold(gold, pred, gold_file)
        else:
            gold, matched = None, _gold_from_tags(run, pred, gold_file)
        report = evaluate(
            matched,
            pred,
            mode=self.config.mode,
            scheme=self.config.scheme,
            entity_score=self.config.entity_score,
        )
        if gold is not None and len(matched) < len(gold):
            report.notes.append(
                f"{len(gold) - len(matched)} of {len(gold)} gold sentences have no prediction "
                "(failed or missing inputs) and are left out"
            )
        written = [run.outdir / "report.json", run.outdir / "report.txt"]
        write_text(written[0], report.render("json"))
        text = report.to_text()
        text += "".join(f"note: {n}\n" for n in report.notes)
        write_text(written[1], text)
        if self.config.plot:
            written += plot_report(report, run.outdir / "plots")
        run.report = report
        return written


def _match_gold(gold, pred, gold_file):
    """The gold sentence of each prediction: the next one in order with the same tokens."""
    matched, k = [], 0
    for p in pred:
        while k < len(gold) and gold[k].tokens != p.tokens:
            k += 1
        if k == len(gold):
            raise FormatError(
                f"{gold_file}: no gold sentence (after the ones matched so far) reads "
                f"{' '.join(p.tokens)!r}; its sentences must be the utterances, token for "
                "token, in input order"
            )
        matched.append(gold[k])
        k += 1
    return matched


def _gold_from_tags(run, pred, gold_file):
    """Gold tags from a ``<stem>.tags`` file beside each input: one line of space-separated
    IOB2 tags per utterance (per non-blank line of a text file)."""
    from .io.conll import Sentence
    from .io.text import read_lines

    matched, n = [], 0
    for entry in run.done_entries():
        tags_file = Path(entry["source"]).with_suffix(".tags")
        if not tags_file.exists():
            raise FormatError(
                f"{gold_file}: no such gold file, and no {tags_file.name} beside "
                f'{entry["source"]}; give gold = "PATH" (CoNLL, relative to the input folder) '
                "or a <stem>.tags file per input"
            )
        rows = [(k, line.split()) for k, line in enumerate(read_lines(tags_file), 1)]
        rows = [(k, tags) for k, tags in rows if tags]
        if len(rows) != entry["utterances"]:
            raise FormatError(
                f"{tags_file}: {len(rows)} lines of tags for {entry['utterances']} utterances"
            )
        for k, tags in rows:
            tokens = pred[n].tokens
            if len(tags) != len(tokens):
                raise FormatError(
                    f"{tags_file}:{k}: {len(tags)} tags for the {len(tokens)} tokens of "
                    f"{' '.join(tokens)!r}"
                )
            matched.append(Sentence(tokens, tags, line=k, source=str(tags_file)))
            n += 1
    return matched


STAGES = {
    cls.name: cls
    for cls in (TelephoneStage, PitchStage, G2PStage, TagStage, DelexStage, EvaluateStage)
}


# -------------------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class StageSpec:
    """One ``[[stage]]`` of a spec: its name, settings and the spec line it starts on."""

    name: str
    settings: dict
    line: int


@dataclass(frozen=True)
class Spec:
    """A parsed pipeline spec.

    Attributes
    ----------
    stages : tuple of StageSpec
    path : str
        The spec file (``"<string>"`` for text).
    name, description : str
    """

    stages: tuple
    path: str = "<string>"
    name: str = ""
    description: str = ""

    def fingerprint(self):
        """A short hash of the stages and settings: outputs of another spec are not reused."""
        data = [[s.name, sorted(s.settings.items())] for s in self.stages]
        return hashlib.sha256(json.dumps(data, default=str).encode()).hexdigest()[:16]

    def with_settings(self, overrides):
        """A copy with ``{"stage.key": value}`` settings changed (``--set``)."""
        stages = [StageSpec(s.name, dict(s.settings), s.line) for s in self.stages]
        for key, value in overrides.items():
            name, _, setting = key.partition(".")
            targets = [s for s in stages if s.name == name]
            if not setting or not targets:
                raise ParameterError(
                    f"--set {key}: expected STAGE.SETTING=VALUE with a stage of the spec "
                    f"({', '.join(s.name for s in stages)})"
                )
            for s in targets:
                s.settings[setting] = value
        spec = dataclasses.replace(self, stages=tuple(stages))
        _check_stages(spec, text=None, where="--set")
        return spec


_TOP_KEYS = {"name", "description", "stage"}


def _stage_blocks(text):
    """The 1-based line of each ``[[stage]]`` header and the lines of each block."""
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if re.match(r"\s*\[\[\s*stage\s*\]\]", line)]
    blocks = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        # a later [table] header ends the block too
        for j in range(start + 1, end):
            if re.match(r"\s*\[", lines[j]):
                end = j
                break
        blocks.append((start + 1, lines[start + 1 : end]))
    return blocks


def _key_line(text, block, key):
    """The line of ``key = ...`` inside a stage block (or the block's header line)."""
    if block is None:
        for i, line in enumerate(text.split("\n"), 1):
            if re.match(rf"\s*\"?{re.escape(key)}\"?\s*=", line):
                return i
        return 1
    start, lines = block
    for i, line in enumerate(lines, start + 1):
        if re.match(rf"\s*\"?{re.escape(key)}\"?\s*=", line):
            return i
    return start


def _type_ok(value, annotation):
    """Whether a TOML value fits a Config field's annotation (int where float is expected too)."""
    options = typing.get_args(annotation) or (annotation,)
    for option in options:
        if option is type(None) and value is None:
            return True
        if option is bool and isinstance(value, bool):
            return True
        if option is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return True
        if option is int and isinstance(value, int) and not isinstance(value, bool):
            return True
        if option in (str, list) and isinstance(value, option):
            return True
    return False


def _type_name(annotation):
    options = typing.get_args(annotation) or (annotation,)
    return " or ".join(
        "absent"
        if o is type(None)
        else {"str": "a string", "list": "a list"}.get(o.__name__, f"a {o.__name__}")
        for o in options
    )


def _check_stages(spec, *, text, where):
    """Unknown stages and settings, wrong types, stages out of order: FormatError with line."""
    blocks = _stage_blocks(text) if text is not None else [None] * len(spec.stages)
    seen = set()

    def loc(block, key=None):
        if text is None:
            return where
        line = block[0] if key is None else _key_line(text, block, key)
        return f"{spec.path}:{line}"

    for s, block in zip(spec.stages, blocks, strict=False):
        cls = STAGES.get(s.name)
        if cls is None:
            raise FormatError(
                f"{loc(block, 'name')}: unknown stage {s.name!r}; known stages: {', '.join(STAGES)}"
            )
        fields = {f.name: f for f in dataclasses.fields(cls.Config)}
        hints = typing.get_type_hints(cls.Config)
        for key, value in s.settings.items():
            if key not in fields:
                known = ", ".join(fields) or "none"
                raise FormatError(
                    f"{loc(block, key)}: unknown setting {key!r} of the {s.name} stage; "
                    f"its settings: {known}"
                )
            if not _type_ok(value, hints[key]):
                raise FormatError(
                    f"{loc(block, key)}: {s.name}.{key} = {value!r} should be "
                    f"{_type_name(hints[key])} (default {fields[key].default!r})"
                )
        for need in cls.requires:
            if need not in seen:
                raise FormatError(
                    f"{loc(block)}: the {s.name} stage needs the {need} stage before it; "
                    f'add a [[stage]] name = "{need}" earlier'
                )
        seen.add(s.name)
    kinds = [STAGES[s.name].kind for s in spec.stages]
    if "corpus" in kinds and any(k != "corpus" for k in kinds[kinds.index("corpus") :]):
        block = blocks[kinds.index("corpus")]
        raise FormatError(
            f"{loc(block)}: corpus-level stages (evaluate) run after all files; put them last"
        )


def parse_spec(text, *, path="<string>", base=None):
    """Parse a pipeline spec from TOML text.

    Parameters
    ----------
    text : str
    path : str
        Where the text came from, for messages.
    base : path, optional
        Folder relative ``model`` paths are resolved against (the spec file's folder).

    Returns
    -------
    Spec

    Raises
    ------
    FormatError
        Not TOML, no stages, an unknown stage or setting, a setting of the wrong type, a stage
        before one it needs; the message names the line.

    Examples
    --------
    >>> spec = parse_spec('[[stage]]\\nname = "telephone"\\npreset = "narrow"\\n')
    >>> spec.stages[0].name, spec.stages[0].settings
    ('telephone', {'preset': 'narrow'})
    >>> parse_spec('[[stage]]\\nname = "telefone"\\n')
    Traceback (most recent call last):
    ...
    speechtext.errors.FormatError: <string>:2: unknown stage 'telefone'; known stages: \
telephone, pitch, g2p, tag, delex, evaluate
    """
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FormatError(f"{path}: not a valid TOML spec ({exc})") from None
    for key in data:
        if key not in _TOP_KEYS:
            raise FormatError(
                f"{path}:{_key_line(text, None, key)}: unknown key {key!r}; a spec holds "
                "name, description and [[stage]] tables"
            )
    tables = data.get("stage")
    if not isinstance(tables, list) or not tables:
        raise FormatError(
            f'{path}: no stages; add [[stage]] tables, e.g. [[stage]] name = "telephone"'
        )
    blocks = _stage_blocks(text)
    stages = []
    for n, table in enumerate(tables):
        block = blocks[n] if n < len(blocks) else (1, [])
        if not isinstance(table, dict) or "name" not in table:
            raise FormatError(f'{path}:{block[0]}: a [[stage]] without name = "..."')
        settings = {k: v for k, v in table.items() if k != "name"}
        if base is not None and isinstance(settings.get("model"), str):
            model = Path(settings["model"]).expanduser()
            settings["model"] = str(model if model.is_absolute() else Path(base) / model)
        stages.append(StageSpec(str(table["name"]), settings, block[0]))
    spec = Spec(
        tuple(stages),
        path=path,
        name=str(data.get("name", Path(path).stem)),
        description=str(data.get("description", "")),
    )
    _check_stages(spec, text=text, where=path)
    return spec


def shipped_specs():
    """Names of the shipped specs (``pipelines/*.toml``)."""
    return sorted(p.stem for p in SPEC_DIR.glob("*.toml"))


def load_spec(spec):
    """Load a spec from a TOML file, or a shipped spec by name (``"demo"``, ``"text"`` ...).

    Examples
    --------
    >>> [s.name for s in load_spec("telephone").stages]  # doctest: +SKIP
    ['telephone', 'pitch']
    """
    from .io.text import read_text

    path = Path(spec)
    if not path.exists() and path.suffix == "" and (SPEC_DIR / f"{spec}.toml").exists():
        path = SPEC_DIR / f"{spec}.toml"
    if not path.exists():
        names = ", ".join(shipped_specs()) or "none"
        raise FormatError(
            f"{spec}: no such spec file, nor a shipped spec; give a .toml path or one of: {names}"
        )
    return parse_spec(read_text(path, what="TOML spec"), path=str(path), base=path.parent)


# ----------------------------------------------------------------------------------- pipeline


class Pipeline:
    """The stages of a spec, built and ready to run over records.

    Examples
    --------
    >>> pipe = Pipeline.from_spec(load_spec("text"))  # doctest: +SKIP
    >>> pipe.process([Record("a", "a.txt", text="play jazz")])[0].tags  # doctest: +SKIP
    ['O', 'B-genre']
    """

    def __init__(self, stages):
        self.stages = list(stages)

    @classmethod
    def from_spec(cls, spec):
        stages = []
        for s in spec.stages:
            stage_cls = STAGES[s.name]
            try:
                stages.append(stage_cls(stage_cls.Config(**s.settings)))
            except TypeError as exc:  # checked by parse_spec; kept for hand-made Specs
                raise FormatError(f"{spec.path}:{s.line}: {s.name}: {exc}") from None
        return cls(stages)

    @property
    def needs_audio(self):
        return any(s.kind == "audio" for s in self.stages)

    @property
    def file_stages(self):
        return [s for s in self.stages if s.kind != "corpus"]

    def suffixes(self):
        return [suffix for s in self.file_stages for suffix in s.suffixes()]

    def prepare(self, spec=None):
        """Validate every stage's settings once (errors name the spec line)."""
        for n, stage in enumerate(self.stages):
            try:
                stage.prepare()
            except SpeechTextError as exc:
                if spec is None:
                    raise
                where = f"{spec.path}:{spec.stages[n].line}"
                raise type(exc)(f"{where}: {stage.name} stage: {exc}") from None

    def process(self, records, *, seconds=None):
        """Run the file-level stages over records in order; per-stage seconds into ``seconds``."""
        for stage in self.file_stages:
            start = time.perf_counter()
            records = stage.process(records)
            if seconds is not None:
                seconds[stage.name] = seconds.get(stage.name, 0.0) + time.perf_counter() - start
        return records


# ------------------------------------------------------------------------------------- runner


@dataclass(frozen=True)
class PipelineJob:
    """One input file of a run: its outputs, its completion marker and the spec's fingerprint."""

    source: Path
    outputs: tuple
    id: str
    base: Path
    marker: Path
    fingerprint: str

    @property
    def done(self):
        from .io.manifest import read_jsonl

        if not (self.marker.exists() and all(p.exists() for p in self.outputs)):
            return False
        try:
            (entry,) = read_jsonl(self.marker)
        except (FormatError, OSError, ValueError):
            return False
        return entry.get("spec") == self.fingerprint


def _transcript(source):
    """The same-stem ``.txt`` beside a recording, or None."""
    path = Path(source).with_suffix(".txt")
    return path if path.is_file() else None


def _transcript_text(path, lines):
    """A transcript's lines joined into one utterance."""
    text = " ".join(line.strip() for line in lines if line.strip())
    if not text:
        raise FormatError(f"{path}: empty transcript; write the words the recording says")
    return text


def _read_records(job, needs_audio):
    """The records of one input file, read through speechtext.io."""
    from .io.audio import AUDIO_EXTENSIONS, read_audio
    from .io.text import read_lines

    source = Path(job.source)
    if needs_audio:
        y, sr = read_audio(source)
        script = _transcript(source)
        text = None if script is None else _transcript_text(script, read_lines(script))
        return [Record(job.id, str(source), audio=y, sr=sr, text=text)]
    lines = read_lines(source)
    if any(source.with_suffix(ext).is_file() for ext in AUDIO_EXTENSIONS):
        return [Record(job.id, str(source), text=_transcript_text(source, lines))]
    records = [
        Record(f"{job.id}:{n}", str(source), text=line.strip())
        for n, line in enumerate(lines, 1)
        if line.strip()
    ]
    if not records:
        raise FormatError(f"{source}: no text; expected one utterance per line")
    return records


_PIPELINES = {}  # fingerprint -> Pipeline, one per worker process (models load once)


def _pipeline_for(spec):
    key = spec.fingerprint()
    if key not in _PIPELINES:
        _PIPELINES[key] = Pipeline.from_spec(spec)
    return _PIPELINES[key]


def _process_job(job, *, spec, outdir):
    """Run the file-level stages on one input file and write its outputs, then its marker."""
    from .io.atomic import write_text

    job.marker.unlink(missing_ok=True)  # redone: not complete until the marker is back
    for output in job.outputs:  # temp files a killed run (SIGKILL) left behind
        for stale in output.parent.glob(f".{glob.escape(output.name)}.*.part"):
            stale.unlink(missing_ok=True)
    pipeline = _pipeline_for(spec)
    seconds = {}
    try:
        start = time.perf_counter()
        records = _read_records(job, pipeline.needs_audio)
        seconds["read"] = time.perf_counter() - start
        duration = sum(len(r.audio) / r.sr for r in records if r.audio is not None)
        outputs = []
        for stage in pipeline.file_stages:
            start = time.perf_counter()
            records = stage.process(records)
            outputs += stage.write(records, job.base)
            seconds[stage.name] = time.perf_counter() - start
    except SpeechTextError as exc:
        message = str(exc)
        if str(job.source) not in message:
            raise type(exc)(f"{job.source}: {message}") from None
        raise
    entry = {
        "id": job.id,
        "source": str(job.source),
        "outputs": [str(Path(p).relative_to(outdir)) for p in outputs],
        "seconds": {k: round(v, 6) for k, v in seconds.items()},
        "status": "done",
        "utterances": len(records),
        "duration": round(duration, 6),
        "base": str(Path(job.base).relative_to(outdir)),
        "spec": job.fingerprint,
    }
    write_text(job.marker, json.dumps(entry, ensure_ascii=False) + "\n")
    return {"duration": duration, "utterances": len(records)}


@dataclass
class RunResult:
    """What :func:`run_pipeline` did.

    Attributes
    ----------
    batch : speechtext.batch.BatchReport
        Files done, skipped (complete already), failed; seconds.
    entries : list of dict
        The manifest, one entry per input.
    outdir : Path
    inputs : list
    report : speechtext.evaluate.Report or None
        The evaluation, when the spec ends with ``evaluate``.
    corpus_failures : list of (stage, message)
    """

    batch: object
    entries: list
    outdir: Path
    inputs: list
    report: object = None
    corpus_failures: list = field(default_factory=list)
    written: list = field(default_factory=list)

    def done_entries(self):
        return [e for e in self.entries if e.get("status") == "done"]

    @property
    def exit_status(self):
        return 1 if self.batch.failed or self.corpus_failures else 0

    def summary(self):
        """One line: files done/skipped/failed, seconds, and times real time for audio."""
        b = self.batch
        parts = [f"{len(b.done)} done"]
        if b.skipped:
            parts.append(f"{len(b.skipped)} skipped (complete; from an earlier run)")
        if b.failed:
            parts.append(f"{len(b.failed)} failed")
        total = len(b.done) + len(b.skipped) + len(b.failed)
        utterances = sum(info.get("utterances", 0) for _, info in b.done)
        text = f"{total} file{'s' if total != 1 else ''}: {', '.join(parts)} in {b.seconds:.1f} s"
        if utterances and utterances != len(b.done):
            text += f", {utterances} utterances"
        audio = sum(info.get("duration", 0.0) for _, info in b.done)
        if audio and b.seconds > 0:
            text += f" ({audio:.1f} s of audio, {audio / b.seconds:.1f}x real time)"
        return text


def _make_jobs(spec, pipeline, inputs, outdir):
    from .io.audio import AUDIO_EXTENSIONS
    from .io.folders import collect_jobs

    extensions = AUDIO_EXTENSIONS if pipeline.needs_audio else {".txt"}
    # the first suffix names the job; a run of evaluate alone still needs one
    suffixes = pipeline.suffixes() or [".conll"]
    jobs, problems = collect_jobs(inputs, outdir, extensions=extensions, output_suffixes=suffixes)
    outdir = Path(outdir).absolute()
    fingerprint = spec.fingerprint()
    out = []
    for job in jobs:
        first = Path(job.outputs[0])
        rel = first.relative_to(outdir)
        stem = str(rel)[: -len(suffixes[0])]
        base = outdir / stem
        marker = outdir / MARKER_DIR / f"{stem}.json"
        outputs = job.outputs if pipeline.file_stages else ()
        out.append(
            # absolute: a Dask worker elsewhere may run in another folder
            PipelineJob(
                Path(job.source).absolute(),
                outputs,
                Path(stem).as_posix(),
                base,
                marker,
                fingerprint,
            )
        )
    return out, problems


def _client(scheduler, dask_workers):
    """A Dask client: to ``scheduler``, or to a new local cluster on loopback."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ParameterError(
            "Dask is not installed: pip install 'speechtext[dask]' (dask[distributed])"
        ) from None
    if scheduler:
        try:
            return Client(scheduler, timeout="20s"), None
        except OSError as exc:
            raise ParameterError(
                f"--scheduler {scheduler}: cannot reach the Dask scheduler ({exc}); check the "
                "address (tcp://HOST:8786) and that the scheduler runs"
            ) from None
    cluster = LocalCluster(
        n_workers=dask_workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    return Client(cluster), cluster


def _one_thread_per_worker():
    """One BLAS/OpenMP thread per worker process, as Dask's nannies give their workers.

    The worker processes already fill the cores; OpenBLAS's own threads on top of them made the
    telephone + pitch chain 1.7x slower on 2 workers (2 cores). The variables only act where
    numpy is not loaded yet (``speechtext run``; the pool's workers fork from this process).
    """
    import os

    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")


def run_pipeline(
    spec,
    inputs,
    outdir,
    *,
    workers=1,
    scheduler=None,
    dask_workers=None,
    resume=False,
    desc=None,
):
    """Run a pipeline spec over input files and folders; write outputs, manifest and failures.

    Parameters
    ----------
    spec : Spec or str
        A parsed spec, a spec file or the name of a shipped spec.
    inputs : list of path
        Files and folders (searched recursively; see the module docs).
    outdir : path
    workers : int
        Local worker processes (1: in this process). Ignored with Dask.
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://host:8786``); the inputs and OUTDIR must be at the
        same paths on every worker.
    dask_workers : int, optional
        Start a local Dask cluster of this many single-threaded worker processes on 127.0.0.1.
    resume : bool
        Skip input files already complete for this spec (otherwise every file is redone).

    Returns
    -------
    RunResult

    Raises
    ------
    SpeechTextError
        A bad spec or setting, an unwritable OUTDIR (before any file). A bad input file is not
        raised: it is reported and listed in ``failures.jsonl``.

    Examples
    --------
    >>> run_pipeline("telephone", ["data/samples"], "out").summary()  # doctest: +SKIP
    '3 files: 3 done in 1.2 s (9.1 s of audio, 7.6x real time)'
    """
    from .batch import run_batch
    from .io.folders import ensure_output_dir
    from .io.manifest import read_jsonl, write_jsonl

    if workers > 1 or dask_workers:
        _one_thread_per_worker()
    if not isinstance(spec, Spec):
        spec = load_spec(spec)
    if scheduler and dask_workers:
        raise ParameterError("give a Dask scheduler address or a local cluster size, not both")
    pipeline = Pipeline.from_spec(spec)
    pipeline.prepare(spec)  # fail once, before any file; forked workers inherit loaded models
    outdir = Path(outdir)
    ensure_output_dir(outdir)
    inputs = [str(p) for p in inputs]
    jobs, problems = _make_jobs(spec, pipeline, inputs, outdir)
    work = functools.partial(_process_job, spec=spec, outdir=outdir.absolute())

    client = cluster = None
    if scheduler or dask_workers:
        client, cluster = _client(scheduler, dask_workers)
    try:
        batch = run_batch(
            jobs,
            work,
            outdir=outdir,
            workers=workers,
            overwrite=not resume,
            problems=problems,
            desc=desc or spec.name or "pipeline",
            client=client,
        )
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

    errors = dict(batch.failed)
    entries = []
    for job in jobs:
        if str(job.source) in errors:
            entries.append(
                {
                    "id": job.id,
                    "source": str(job.source),
                    "status": "failed",
                    "error": errors.pop(str(job.source)),
                }
            )
            continue
        try:
            (entry,) = read_jsonl(job.marker)
        except (FormatError, OSError, ValueError):
            entries.append(
                {
                    "id": job.id,
                    "source": str(job.source),
                    "status": "failed",
                    "error": f"{job.source}: no completion marker",
                }
            )
            continue
        if str(job.source) in batch.skipped:
            entry["resumed"] = True
        entries.append(entry)
    for source, message in errors.items():  # inputs that never became jobs
        entries.append({"id": None, "source": source, "status": "failed", "error": message})

    result = RunResult(batch, entries, outdir, inputs)
    for stage in pipeline.stages:
        try:
            result.written += stage.finish(result)
        except SpeechTextError as exc:
            message = f"{stage.name} stage: {exc}"
            result.corpus_failures.append((stage.name, message))
            print(f"speechtext: {message}", file=sys.stderr)
    write_jsonl(
        outdir / "manifest.jsonl", ({k: v for k, v in e.items() if k != "spec"} for e in entries)
    )
    if result.corpus_failures:
        write_jsonl(
            outdir / "failures.jsonl",
            [{"source": s, "error": m} for s, m in batch.failed]
            + [{"source": f"stage {name}", "error": m} for name, m in result.corpus_failures],
        )
    return result
