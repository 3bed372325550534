"""The pipeline's stages: thin adapters over the library, one registry (:data:`STAGES`).

**Stage protocol.** A stage has a ``name``, a config dataclass (``Config``) and
``__call__(record) -> record``; :meth:`Stage.process` runs it over the records of one input file
(the tagger and G2P batch them), :meth:`Stage.write` writes a file's outputs through
:mod:`speechtext.io` (atomically), :meth:`Stage.finish` is the corpus-level step at the end of a
run (the pitch ``summary.csv``, the evaluation report). A :class:`~speechtext.types.Record` is
one utterance. Stages call the library (``to_telephone``, ``estimate_f0``, ``G2P``,
``SlotTagger``, ``delexicalize``, ``evaluate``) and the :mod:`speechtext.io` writers, and never
open files themselves.

**Outputs** per input file, as ``<base><suffix>`` (``base``: OUTDIR and the input's relative path
without its suffix): ``.wav`` (telephone), ``.f0.csv`` + ``.summary.json`` (pitch;
``summary.csv`` for the run), ``.phones.txt`` (g2p, one line per utterance), ``.conll`` (tag:
token, tag, confidence) + ``.nbest.jsonl`` (with ``nbest > 1``), ``.delex.jsonl`` (delex);
``report.json``, ``report.txt``, ``plots/*.png`` and ``report.html`` (evaluate).

Examples
--------
>>> sorted(STAGES)
['delex', 'evaluate', 'g2p', 'pitch', 'tag', 'telephone']
>>> STAGES["telephone"]().config
TelephoneStage.Config(preset=None, band=None, codec=None, decoded=False, channel=None, ...)
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

from .. import evaluation  # the pipeline's one import of it (numpy loads when evaluate() runs)
from ..errors import AudioError, FormatError, ParameterError
from ..types import Record, Sentence

__all__ = [
    "STAGES",
    "CorpusRun",
    "DelexStage",
    "EvaluateStage",
    "G2PStage",
    "PitchStage",
    "Stage",
    "TagStage",
    "TelephoneStage",
    "stream_audio_stages",
    "streams",
]


# ------------------------------------------------------------------------- models, loaded once


def _tagger(model):
    """The tagger of a model file (or the embedded default), once per process and version of
    the file: a Dask worker outlives a run, and the next run may bring a retrained model."""
    if model is None:
        return _loaded_tagger(None, None)
    try:
        stat = os.stat(model)
        version = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    except OSError:
        version = None  # the loader names the missing file
    return _loaded_tagger(model, version)


@functools.lru_cache(maxsize=4)
def _loaded_tagger(model, version):
    from ..tagging import load_tagger  # the pipeline's one import of the tagger loader

    return load_tagger(model)


# ---------------------------------------------------------------------------------- records


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


def _output(base, suffix):
    return Path(f"{base}{suffix}")


# ----------------------------------------------------------------------------------- stages


class CorpusRun(Protocol):
    """What a corpus-level step sees of a run (a :class:`~speechtext.pipeline.RunResult`)."""

    outdir: Path
    inputs: list[str]
    report: Any

    def done_entries(self) -> list[dict]:
        """The manifest entries of the inputs done."""
        ...


class Stage:
    """Base class of the pipeline stages; see the module docs for the protocol.

    Subclasses set ``name``, ``Config`` (a dataclass), ``kind`` (``"audio"``, ``"text"`` or
    ``"corpus"``) and ``requires`` (stages that must come earlier).
    """

    name: ClassVar[str] = ""
    kind: ClassVar[str] = "text"
    requires: ClassVar[tuple[str, ...]] = ()

    @dataclass(frozen=True)
    class Config:
        pass

    def __init__(self, config: Any = None) -> None:
        self.config = config if config is not None else self.Config()

    @classmethod
    def check_config(cls, config: Any) -> None:
        """Check the settings' values, cheaply (nothing loaded): a ParameterError naming the
        setting. :func:`speechtext.pipeline.parse_spec` calls it to name the setting's line."""

    def prepare(self) -> None:
        """Check the settings (and load what every worker needs) once, before any file."""
        self.check_config(self.config)

    def __call__(self, record: Record) -> Record:
        return record

    def process(self, records: list[Record]) -> list[Record]:
        """Run the stage over the records of one input file."""
        return [self(r) for r in records]

    def suffixes(self) -> tuple[str, ...]:
        """The suffixes of the files this stage writes per input file."""
        return ()

    def write(self, records: list[Record], base: str | Path) -> list[Path]:
        """Write one input file's outputs as ``<base><suffix>``; return the paths written."""
        return []

    def finish(self, run: CorpusRun) -> list[Path]:
        """The corpus-level step after all files (``summary.csv``, the report); return paths."""
        return []


class TelephoneStage(Stage):
    """:func:`speechtext.telephone.telephone_call`; writes ``<stem>.wav`` at the channel's rate,
    and ``<stem>.call.json`` (levels, erased packets) when the chain has a level, noise or loss.

    Random choices are seeded by ``seed`` and the record's id (its relative path), so the pool
    and Dask give the same bytes. ``noise = "babble"`` is made of the recordings in the input's
    folder (the record's siblings)."""

    name = "telephone"
    kind = "audio"

    @dataclass(frozen=True)
    class Config:
        preset: str | None = None
        band: list | None = None
        codec: str | None = None
        decoded: bool = False
        channel: str | None = None
        bitrate: float | None = None
        loss: float | None = None
        burst: float | None = None
        level: float | None = None
        noise: str | None = None
        snr: float | None = None
        seed: int = 0

    @staticmethod
    def _checked(c):
        """The stage's settings, checked (a named channel's, overridden by those given)."""
        from ..telephone import check_params

        return check_params(
            channel=c.channel,
            preset=c.preset,
            band=tuple(c.band) if c.band is not None else None,
            codec=c.codec,
            bitrate=c.bitrate,
            loss=c.loss,
            burst=c.burst,
            level=c.level,
            noise=c.noise,
            snr=c.snr,
        )

    @classmethod
    def check_config(cls, config):
        from ..telephone import file_rng

        cls._checked(config)
        file_rng(config.seed, "")

    def prepare(self):
        from ..telephone import channel_filter

        self.check_config(self.config)
        settings = self._checked(self.config)
        channel_filter(settings.preset, settings.band)

    def __call__(self, record):
        from ..telephone import telephone_call

        _need_audio(record, self.name)
        s = self._checked(self.config)
        pool = []
        if s.noise == "babble":
            from ..io.audio import AUDIO_EXTENSIONS

            folder = Path(record.source).parent
            pool = sorted(
                str(p)
                for p in (folder.iterdir() if folder.is_dir() else ())  # (not of a URL's)
                if p.suffix.lower() in AUDIO_EXTENSIONS and p != Path(record.source)
            )
        call = telephone_call(
            record.audio,
            sr=record.sr,
            **_settings_args(s),
            seed=self.config.seed,
            key=record.id,
            noise_pool=pool,
        )
        record.audio = call.audio
        record.sr = call.sr
        if s.reports:
            record.call = {**call.report, "seed": self.config.seed, "key": record.id}
        return record

    def suffixes(self):
        return (".wav", ".call.json") if self._checked(self.config).reports else (".wav",)

    def write(self, records, base):
        from ..io.audio import write_audio
        from ..telephone import write_call_report

        path = _output(base, ".wav")
        (record,) = records
        s = self._checked(self.config)
        # telephone_call gives G.711 decoded; stored as G.711 it re-encodes exactly
        codec = s.codec if s.codec in ("ulaw", "alaw") and not self.config.decoded else None
        write_audio(path, record.audio, record.sr, codec=codec)
        paths = [path]
        if record.call is not None:
            paths.append(_output(base, ".call.json"))
            write_call_report(paths[-1], record.call)
        return paths


def streams(stages: list[Stage]) -> bool:
    """Whether a file can go through these stages in blocks (:func:`stream_audio_stages`): a
    telephone stage of band and G.711 alone, then pitch without a plot, or either alone."""
    names = [s.name for s in stages]
    if names not in (["telephone"], ["pitch"], ["telephone", "pitch"]):
        return False
    return all(
        s._checked(s.config).streams if s.name == "telephone" else not s.config.plot for s in stages
    )


def stream_audio_stages(
    stages: list[Stage],
    source: str | Path,
    base: str | Path,
    *,
    key: str,
    block_seconds=10.0,
    name: str | None = None,
) -> tuple[list[Path], float, dict[str, float]]:
    """Run streaming stages (see :func:`streams`) over an audio file read in blocks: the
    telephone audio is written as it is made and pitch takes its blocks, so memory is bounded
    whatever the file's length. The outputs are those of :meth:`Stage.process` and
    :meth:`Stage.write` on the file whole, byte for byte (with the learned pitch method, to float32
    rounding on some CPUs: see :mod:`speechtext.pitch`).

    ``name`` is how the outputs name the input (its URL, for a fetched copy; default
    ``source``). Returns the outputs written, the input's seconds and the seconds spent
    (``read`` and the stages' together under the first stage's name: they run interleaved).
    """
    import contextlib
    import time

    from ..io.audio import AudioWriter, audio_info, iter_blocks
    from ..pitch import estimate_f0_blocks
    from ..telephone import TelephoneChannel
    from ..telephone.g711 import companded

    start = time.perf_counter()
    info = audio_info(source)
    telephone = next((s for s in stages if s.name == "telephone"), None)
    pitch = next((s for s in stages if s.name == "pitch"), None)
    rate, made = info.sr, [0]  # made: samples out of the last stage before pitch
    outputs = []

    def counted(blocks):
        for block in blocks:
            made[0] += len(block)
            yield block

    with contextlib.ExitStack() as stack:
        blocks = iter_blocks(source, seconds=block_seconds, info=info)
        if telephone is not None:
            s = telephone._checked(telephone.config)
            rate = s.rate
            if round(info.frames * rate / info.sr) < 1:
                raise AudioError(
                    f"{source}: {info.frames} samples at {info.sr} Hz is shorter than one "
                    f"sample at {rate / 1000:g} kHz"
                )
            channel = TelephoneChannel(sr=info.sr, preset=s.preset, band=s.band)
            # stored as G.711, the decoded G.711 signal re-encodes exactly (as in write)
            g711 = s.codec if s.codec in ("ulaw", "alaw") else None
            stored = g711 if not telephone.config.decoded else None
            outputs.append(_output(base, ".wav"))
            writer = stack.enter_context(AudioWriter(outputs[0], rate, codec=stored))

            def through(blocks):  # one block at a time (a tuple of them would hold the file)
                for block in blocks:
                    yield channel.process(block)
                yield channel.flush()

            def line(blocks):
                for block in through(blocks):
                    out = companded(block, g711) if g711 else block
                    writer.write(out)
                    yield out

            blocks = line(blocks)
        blocks = counted(blocks)
        if pitch is None:
            for _ in blocks:
                pass
        else:
            c = pitch.config
            f0 = estimate_f0_blocks(
                blocks, sr=rate, fmin=c.fmin, fmax=c.fmax, hop=c.hop, what=str(source)
            )
    if pitch is not None:
        record = Record(key, name or str(source), sr=rate)
        record.f0 = f0
        record.summary = _pitch_summary(pitch.config, record, made[0] / rate)
        outputs += pitch.write([record], base)
    return outputs, info.duration, {stages[0].name: time.perf_counter() - start}


def _pitch_summary(config, record, duration):
    """The pitch stage's summary of a record's track (``duration``: of its audio)."""
    from ..pitch import file_summary

    return file_summary(
        record.f0,
        source=record.source,
        duration=duration,
        fmin=config.fmin,
        fmax=config.fmax,
        hop=config.hop,
        sr=record.sr,
    )


def _settings_args(settings):
    """A checked Settings as telephone_call's keyword arguments."""
    from ..telephone import settings_dict

    return settings_dict(settings)


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

    @classmethod
    def check_config(cls, config):
        from ..pitch import check_params

        check_params(fmin=config.fmin, fmax=config.fmax, hop=config.hop)  # the rate: per file

    def prepare(self):
        import contextlib
        import warnings

        import numpy as np

        from ..errors import SpeechTextError
        from ..pitch import estimate_f0

        self.check_config(self.config)
        # numba loads the compiled kernels at their first call (0.85 s): here, once, so that
        # the pool's workers forked from this process start with them (a setting this rate
        # cannot take is the files' to refuse)
        c = self.config
        noise = np.random.default_rng(0).standard_normal(16000).astype(np.float32)
        with warnings.catch_warnings(), contextlib.suppress(SpeechTextError):
            warnings.simplefilter("ignore")
            estimate_f0(noise, sr=16000, fmin=c.fmin, fmax=c.fmax, hop=c.hop)

    def __call__(self, record):
        from ..pitch import estimate_f0

        _need_audio(record, self.name)
        c = self.config
        record.f0 = estimate_f0(record.audio, sr=record.sr, fmin=c.fmin, fmax=c.fmax, hop=c.hop)
        record.summary = _pitch_summary(c, record, len(record.audio) / record.sr)
        return record

    def suffixes(self):
        return (".f0.csv", ".summary.json") + ((".f0.png",) if self.config.plot else ())

    def write(self, records, base):
        from ..io.f0 import write_f0_csv, write_f0_plot, write_summary_json

        (record,) = records
        paths = [_output(base, s) for s in self.suffixes()]
        write_f0_csv(paths[0], record.f0)
        write_summary_json(paths[1], record.summary)
        if self.config.plot:
            write_f0_plot(paths[2], record.f0, record.audio, record.sr, title=record.source)
        return paths

    def finish(self, run):
        from ..io.f0 import write_summary_table

        target = run.outdir / "summary.csv"
        summaries = [_output(run.outdir / e["base"], ".summary.json") for e in run.done_entries()]
        left_out = write_summary_table(target, summaries)
        if left_out:
            raise FormatError("; ".join(left_out))
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
        from ..g2p import G2P

        c = self.config
        return G2P(nbest=c.nbest, beam=c.beam, format=c.format, stress=c.stress)

    @classmethod
    def check_config(cls, config):
        from ..g2p import G2P

        # the constructor validates the settings and loads nothing
        G2P(nbest=config.nbest, beam=config.beam, format=config.format, stress=config.stress)

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
        from ..io.phones import write_phones, write_phones_jsonl

        paths = [_output(base, s) for s in self.suffixes()]
        write_phones(paths[0], [r.phones for r in records], self.config.format)
        if len(paths) > 1:
            write_phones_jsonl(paths[1], [(r.id, r.text, r.phones) for r in records])
        return paths


class TagStage(Stage):
    """:class:`speechtext.tagging.SlotTagger`: IOB2 tags with per-token confidences
    (``token_scores``) and, with ``nbest > 1``, the exact N best sequences; with a tagger that
    knows intents, the most probable intents too (``# intent = NAME`` in the ``.conll``, the
    ``intent`` fields in the ``.nbest.jsonl``).

    ``model``: a file from ``speechtext tag train``; absent, the embedded default tagger.
    ``beam`` is accepted for older specs and unused: the N-best list is exact.
    """

    name = "tag"

    @dataclass(frozen=True)
    class Config:
        model: str | None = None
        nbest: int = 1
        beam: int = 8

    @classmethod
    def check_config(cls, config):
        for key in ("nbest", "beam"):
            if getattr(config, key) < 1:
                raise ParameterError(f"{key} = {getattr(config, key)} must be at least 1")
        if config.model is not None and not Path(config.model).is_file():
            raise ParameterError(
                f"model = {config.model!r}: no such model file; check the path (relative "
                "to the spec file's folder), or drop model for the embedded default tagger"
            )

    def prepare(self):
        self.check_config(self.config)
        _tagger(self.config.model)

    def __call__(self, record):
        return self.process([record])[0]

    def process(self, records):
        for r in records:
            _need_text(r, self.name)
        tagger = _tagger(self.config.model)
        tokens = [r.tokens for r in records]
        tags, scores = tagger.token_scores(tokens)
        nbest = [None] * len(records)
        if self.config.nbest > 1:
            nbest = tagger.predict_nbest(tokens, self.config.nbest)
        intents = [None] * len(records)
        if tagger.intents_:
            intents = tagger.predict_intent(tokens, k=self.config.nbest)
        for r, t, s, nb, i in zip(records, tags, scores, nbest, intents, strict=True):
            r.tags, r.scores, r.nbest, r.intents = t, s, nb, i
        return records

    def suffixes(self):
        return (".conll",) + ((".nbest.jsonl",) if self.config.nbest > 1 else ())

    def write(self, records, base):
        from ..io.conll import write_conll
        from ..io.nbest import write_nbest_jsonl

        paths = [_output(base, s) for s in self.suffixes()]
        write_conll(
            paths[0],
            [
                Sentence(r.tokens, r.tags, r.scores, intent=r.intents[0][0] if r.intents else None)
                for r in records
            ],
        )
        if len(paths) > 1:
            write_nbest_jsonl(paths[1], [(r.id, r.tokens, r.nbest, r.intents) for r in records])
        return paths


class DelexStage(Stage):
    """:func:`speechtext.delex.delexicalize` of the tagged tokens; ``<stem>.delex.jsonl``."""

    name = "delex"
    requires = ("tag",)

    @dataclass(frozen=True)
    class Config:
        pass

    def __call__(self, record):
        from ..delex import delexicalize

        record.delex = delexicalize(record.tokens, record.tags)
        return record

    def suffixes(self):
        return (".delex.jsonl",)

    def write(self, records, base):
        from ..io.delexed import write_delex_jsonl

        path = _output(base, ".delex.jsonl")
        write_delex_jsonl(path, [(r.id, r.delex) for r in records])
        return [path]


class EvaluateStage(Stage):
    """:func:`speechtext.evaluate` of the predicted tags of the whole run against gold tags.

    ``gold``: a CoNLL file whose sentences are the utterances in input order (sorted paths, then
    lines), relative to the input folder. Predictions are matched to gold sentences in order,
    token for token, so the inputs that failed are left out (and noted). Without that file, the
    gold tags come from a ``<stem>.tags`` file beside each input (one line of space-separated
    tags per utterance). Writes
    ``report.json``, ``report.txt``, with ``plot`` ``plots/*.png`` and with ``html``
    ``report.html`` (:func:`speechtext.evaluation.render_html`), which for runs with audio also
    shows each utterance's F0 contour and plays its telephone audio (the run's ``.f0.csv`` and
    ``.wav`` outputs, embedded).
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
        html: bool = False

    @classmethod
    def check_config(cls, config):
        from ..tags import SCHEMES

        c = config
        for key, allowed in (
            ("mode", evaluation.MODES),
            ("scheme", SCHEMES),
            ("entity_score", evaluation.ENTITY_SCORES),
        ):
            if getattr(c, key) not in allowed:
                raise ParameterError(
                    f"{key} = {getattr(c, key)!r}; choose one of {', '.join(allowed)}"
                )

    def gold_path(self, run: CorpusRun) -> Path:
        """The ``gold`` file: relative to the (first) input folder."""
        path = Path(self.config.gold)
        if not path.is_absolute() and run.inputs:
            first = Path(run.inputs[0])
            path = (first if first.is_dir() else first.parent) / path
        return path

    def finish(self, run):
        from ..io.atomic import write_text
        from ..io.conll import read_sentences

        gold_file = self.gold_path(run)
        pred = []
        for entry in run.done_entries():
            base = run.outdir / entry["base"]
            pred.extend(read_sentences(_output(base, ".conll"), format="conll"))
        if gold_file.exists():
            gold = read_sentences(gold_file, format="conll")
            matched = _match_gold(gold, pred, gold_file)
        else:
            gold, matched = None, _gold_from_tags(run, pred, gold_file)
        report = evaluation.evaluate(
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
            written += evaluation.plot_report(report, run.outdir / "plots")
        if self.config.html:
            page = evaluation.render_html(
                report, title="speechtext run: evaluation", utterances=_utterances(run)
            )
            written.append(run.outdir / "report.html")
            write_text(written[-1], page)
        run.report = report
        return written


def _utterances(run):
    """The audio outputs of each input done, for the HTML report: F0 track and telephone wav."""
    from ..evaluation import Utterance
    from ..io.f0 import read_f0_csv

    out = []
    for entry in run.done_entries():
        outputs = [run.outdir / o for o in entry.get("outputs", [])]
        f0 = next((o for o in outputs if o.name.endswith(".f0.csv")), None)
        wav = next((o for o in outputs if o.suffix == ".wav"), None)
        if f0 is None and wav is None:
            continue
        conll = _output(run.outdir / entry["base"], ".conll")
        text = None
        if conll.exists():
            from ..io.conll import read_sentences

            text = " / ".join(" ".join(s.tokens) for s in read_sentences(conll, format="conll"))
        out.append(
            Utterance(
                id=entry["id"],
                f0=read_f0_csv(f0) if f0 is not None else None,
                wav=wav.read_bytes() if wav is not None else None,
                text=text,
            )
        )
    return out


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
    from ..io.text import read_lines

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


# The one registry: spec stage name -> stage class, in the order the spec errors list them.
STAGES: dict[str, type[Stage]] = {
    cls.name: cls
    for cls in (TelephoneStage, PitchStage, G2PStage, TagStage, DelexStage, EvaluateStage)
}
