"""Running a spec over files and folders: the stages built (:class:`Pipeline`), jobs, completion
markers, a process pool or Dask, the manifest.

**Inputs.** With an audio stage in the spec, the inputs are the audio files (one utterance
each); a same-stem ``.txt`` beside a recording is its transcript (its lines joined), read only
when the spec has a text stage. With text stages only, the inputs are the ``.txt`` files: a
transcript (a ``.txt`` beside a same-stem recording) is one utterance, any other text file holds
one utterance per non-blank line (ids ``<stem>:<line>``). Tokens are the text split on white
space.

**Corpus manifests.** An input that is a manifest (a Kaldi data dir, a NeMo JSONL manifest, a
lhotse manifest pair, a saved Hugging Face dataset: :mod:`speechtext.io.corpora`), given
alone, makes one job per utterance: its id is the output stem, its audio the span of its
recording (read by seeking: a long recording is never loaded whole), its text the
manifest's. At the end, a manifest of the same format and name is written in OUTDIR for the
utterances done, pointing at their ``.wav`` outputs (or, without one, at their source audio).

**Outputs** mirror the inputs' relative paths under OUTDIR (see :mod:`speechtext.pipeline.stages`
for each stage's files). An input file is complete when its marker
``OUTDIR/.speechtext/done/<stem>.json`` exists (written last, holding its manifest entry and the
spec's fingerprint); ``resume=True`` skips complete inputs of the same spec. ``manifest.jsonl``
(one entry per input) and ``failures.jsonl`` are written at the end of the run.

**Object storage.** Inputs and OUTDIR may be fsspec URLs (``s3://bucket/in/``): each worker
fetches its input and puts its outputs whole, the marker last (:mod:`.remote`), so workers need
no shared file system.

**One writer per OUTDIR.** A run holds the lock ``OUTDIR/.speechtext/lock``
(:func:`speechtext.io.outdir.lock_outdir`) from before its first file to after its manifest; a
second run on the same OUTDIR is refused at once, naming the holder. Holding it, the run removes
the temporary files a killed run left. A run that is refused (a bad spec or setting, OUTDIR an
input folder, a Dask scheduler out of reach, OUTDIR in use) writes nothing anywhere.

**Stopping.** An interrupt ends the workers (the local process pool, or the local Dask
cluster) within a second, keeps every output complete and leaves no temporary file; see
:mod:`speechtext.batch`. On an existing cluster (``scheduler``) the tasks already running
finish on their workers, and are complete or left for ``resume``.

Examples
--------
>>> result = run_pipeline("telephone", ["data/samples"], "out", workers=2)  # doctest: +SKIP
>>> result.exit_status  # doctest: +SKIP
0
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import FormatError, ParameterError, SpeechTextError
from ..types import Record
from .spec import Spec, load_spec
from .stages import STAGES, Stage, stream_audio_stages, streams

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..batch import BatchReport, Progress

__all__ = [
    "LOCAL_CLUSTER_CONFIG",
    "MARKER_DIR",
    "Pipeline",
    "PipelineJob",
    "RunResult",
    "dask_setup",
    "read_records",
    "run_pipeline",
]

MARKER_DIR = Path(".speechtext") / "done"  # under OUTDIR: one completion marker per input


# ---------------------------------------------------------------------------------- pipeline


class Pipeline:
    """The stages of a spec, built and ready to run over records.

    Examples
    --------
    >>> pipe = Pipeline.from_spec(load_spec("text"))  # doctest: +SKIP
    >>> pipe.process([Record("a", "a.txt", text="play jazz")])[0].tags  # doctest: +SKIP
    ['O', 'B-genre']
    >>> [s.name for s in Pipeline([STAGES["delex"]()]).file_stages]
    ['delex']
    """

    def __init__(self, stages: Iterable[Stage]) -> None:
        self.stages = list(stages)

    @classmethod
    def from_spec(cls, spec: Spec) -> Pipeline:
        stages = []
        for s in spec.stages:
            stage_cls = STAGES[s.name]
            try:
                stages.append(stage_cls(stage_cls.Config(**s.settings)))
            except TypeError as exc:  # checked by parse_spec; kept for hand-made Specs
                raise FormatError(f"{spec.path}:{s.line}: {s.name}: {exc}") from None
        return cls(stages)

    @property
    def needs_audio(self) -> bool:
        return any(s.kind == "audio" for s in self.stages)

    @property
    def needs_text(self) -> bool:
        """A text stage in the pipeline: the transcripts beside recordings are read."""
        return any(s.kind == "text" for s in self.stages)

    @property
    def streams(self) -> bool:
        """A file goes through in blocks, in bounded memory (see :func:`.stages.streams`)."""
        return streams(self.file_stages)

    @property
    def file_stages(self) -> list[Stage]:
        return [s for s in self.stages if s.kind != "corpus"]

    def suffixes(self) -> list[str]:
        return [suffix for s in self.file_stages for suffix in s.suffixes()]

    def prepare(self, spec: Spec | None = None) -> None:
        """Validate every stage's settings once (errors name the spec line)."""
        for n, stage in enumerate(self.stages):
            try:
                stage.prepare()
            except SpeechTextError as exc:
                if spec is None:
                    raise
                where = f"{spec.path}:{spec.stages[n].line}"
                raise type(exc)(f"{where}: {stage.name} stage: {exc}") from None

    def process(
        self, records: list[Record], *, seconds: dict[str, float] | None = None
    ) -> list[Record]:
        """Run the file-level stages over records in order; per-stage seconds into ``seconds``."""
        for stage in self.file_stages:
            start = time.perf_counter()
            records = stage.process(records)
            if seconds is not None:
                seconds[stage.name] = seconds.get(stage.name, 0.0) + time.perf_counter() - start
        return records


# -------------------------------------------------------------------------------------- jobs


@dataclass(frozen=True)
class PipelineJob:
    """One input file of a run: its outputs, its completion marker and the spec's fingerprint.

    For an utterance of a corpus manifest, ``source`` is ``<manifest>:<utterance id>``,
    ``utterance`` the :class:`~speechtext.io.corpora.Utterance` and ``recording`` its
    :class:`~speechtext.io.corpora.Recording` (the path absolute). An input or OUTDIR at a URL
    has its :class:`~speechtext.pipeline.remote.Storage` (``source`` is then the input's URL;
    with an OUTDIR URL, ``outputs``, ``base`` and ``marker`` are relative to it).
    """

    source: Path | str
    outputs: tuple[Path, ...]
    id: str
    base: Path
    marker: Path
    fingerprint: str
    utterance: Any = None
    recording: Any = None
    storage: Any = None

    @property
    def done(self) -> bool:
        """Complete for this spec: the marker (of the same fingerprint) and every output exist."""
        from ..io.manifest import read_jsonl

        if self.storage is not None and self.storage.outdir is not None:
            from .remote import done_on_storage

            return bool(done_on_storage([self], self.storage.outdir, self.storage.options))
        if not (self.marker.exists() and all(p.exists() for p in self.outputs)):
            return False
        try:
            (entry,) = read_jsonl(self.marker)
        except (FormatError, OSError, ValueError):
            return False
        return entry.get("spec") == self.fingerprint


def _file_stem_problem(utt_id):
    """Why an utterance id cannot be an output file's stem, or None."""
    if not utt_id or utt_id.startswith(".") or "/" in utt_id or "\\" in utt_id or "\0" in utt_id:
        return (
            f"utterance id {utt_id!r} cannot name an output file (empty, a leading dot, or a "
            "slash); rename it in the manifest"
        )
    return None


def _corpus_jobs(spec, pipeline, manifest, outdir):
    """One job per utterance of a corpus manifest (see the module docs)."""
    import hashlib
    from dataclasses import asdict, replace

    outdir = Path(outdir).absolute()
    suffixes = pipeline.suffixes() or [".conll"]
    fingerprint = spec.fingerprint()
    where = Path(manifest.path).absolute()
    corpus = manifest.corpus
    audio = {
        corpus.audio_path(r).resolve() for r in corpus.recordings.values() if r.path is not None
    }
    jobs, problems = [], []
    for u in corpus.utterances:
        source = Path(f"{where}:{u.id}")
        problem = _file_stem_problem(u.id)
        outputs = tuple(outdir / f"{u.id}{x}" for x in suffixes) if pipeline.file_stages else ()
        clash = next((o for o in outputs if o.resolve() in audio), None)
        if problem is None and clash is not None:
            problem = (
                f"its output {clash} would overwrite a recording of the manifest; choose another -o"
            )
        if problem is not None:
            problems.append((source, problem))
            continue
        rec = corpus.recording(u)
        if rec.path is not None:
            rec = replace(rec, path=str(corpus.audio_path(rec).absolute()))
        # a changed segment (times, text, audio) is redone by --resume
        digest = hashlib.sha256(repr((asdict(u), asdict(rec))).encode()).hexdigest()[:16]
        jobs.append(
            PipelineJob(
                source=source,
                outputs=outputs,
                id=u.id,
                base=outdir / u.id,
                marker=outdir / MARKER_DIR / f"{u.id}.json",
                fingerprint=f"{fingerprint}-{digest}",
                utterance=u,
                recording=rec,
            )
        )
    return jobs, problems


def _storage_jobs(spec, pipeline, inputs, outdir, outdir_url, options):
    """:func:`_make_jobs` where inputs or OUTDIR are URLs (see :mod:`.remote`)."""
    import tempfile
    import uuid

    from ..io.audio import AUDIO_EXTENSIONS
    from ..io.folders import collect_jobs
    from ..io.storage import is_url, join
    from .remote import Storage, list_url_inputs

    extensions = AUDIO_EXTENSIONS if pipeline.needs_audio else {".txt"}
    suffixes = pipeline.suffixes() or [".conll"]
    found, problems = [], []  # (source, stem, Storage or None)
    local = [p for p in inputs if not is_url(p)]
    if local:  # walked by the local code, into a folder never made when OUTDIR is a URL
        into = Path(
            outdir if outdir_url is None else Path(tempfile.gettempdir()) / uuid.uuid4().hex
        )
        jobs, problems = collect_jobs(local, into, extensions=extensions, output_suffixes=suffixes)
        into = into.absolute()
        for job in jobs:
            found.append((Path(job.source).absolute(), job.base.relative_to(into), None))
    for url in (p for p in inputs if is_url(p)):
        items, problem = list_url_inputs(
            url,
            extensions=extensions,
            audio_extensions=AUDIO_EXTENSIONS,
            transcripts=pipeline.needs_text,
            skip=outdir_url,
            options=options,
        )
        if problem is not None:
            problems.append((url, problem))
        found += [(item, rel.with_suffix(""), where) for item, rel, where in items]
    fingerprint = spec.fingerprint()
    root = Path(outdir).absolute() if outdir_url is None else Path()
    given = {str(source).rstrip("/") for source, _, _ in found}
    owners, out = {}, []
    for source, stem, where in found:
        key = stem.as_posix()
        if key in owners:
            problems.append(
                (
                    source,
                    f"its output {key}{suffixes[0]} would also be written from {owners[key]}; "
                    "rename one of them or convert them in separate runs",
                )
            )
            continue
        outputs = tuple(root / f"{key}{x}" for x in suffixes)
        if outdir_url is not None:
            clash = next((o for o in outputs if join(outdir_url, o.as_posix()) in given), None)
            if clash is not None:
                problems.append(
                    (
                        source,
                        f"its output {join(outdir_url, clash.as_posix())} would overwrite "
                        "an input; choose another -o",
                    )
                )
                continue
        owners[key] = source
        if outdir_url is not None:
            from dataclasses import replace

            where = replace(where or Storage(options=options), outdir=outdir_url)
        out.append(
            PipelineJob(
                source=source,
                outputs=outputs if pipeline.file_stages else (),
                id=key,
                base=root / key,
                marker=root / MARKER_DIR / f"{key}.json",
                fingerprint=fingerprint,
                storage=where,
            )
        )
    return out, problems


def _make_jobs(spec, pipeline, inputs, outdir, manifest=None, *, outdir_url=None, options=None):
    """The inputs as jobs (absolute paths: a Dask worker may run in another folder), and the
    inputs that failed before any work (missing, clashing outputs)."""
    from ..io.storage import is_url

    if manifest is not None:
        return _corpus_jobs(spec, pipeline, manifest, outdir)
    if outdir_url is not None or any(is_url(p) for p in inputs):
        return _storage_jobs(spec, pipeline, inputs, outdir, outdir_url, options)
    from ..io.audio import AUDIO_EXTENSIONS
    from ..io.folders import collect_jobs

    extensions = AUDIO_EXTENSIONS if pipeline.needs_audio else {".txt"}
    # the first suffix names the job; a run of evaluate alone still needs one
    suffixes = pipeline.suffixes() or [".conll"]
    jobs, problems = collect_jobs(inputs, outdir, extensions=extensions, output_suffixes=suffixes)
    outdir = Path(outdir).absolute()
    fingerprint = spec.fingerprint()
    out = []
    for job in jobs:
        stem = job.base.relative_to(outdir)
        out.append(
            PipelineJob(
                source=Path(job.source).absolute(),
                outputs=job.outputs if pipeline.file_stages else (),
                id=stem.as_posix(),
                base=job.base,
                marker=outdir / MARKER_DIR / f"{stem}.json",
                fingerprint=fingerprint,
            )
        )
    return out, problems


# ----------------------------------------------------------------------------------- records


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


def read_records(job: PipelineJob, *, needs_audio: bool, needs_text: bool = True) -> list[Record]:
    """The records of one input file, read through :mod:`speechtext.io` (see the module docs).

    With ``needs_audio``, the recording, and with ``needs_text`` too its transcript: an
    audio-only pipeline never reads (nor fails on) the ``.txt`` beside a recording.

    Examples
    --------
    >>> job = PipelineJob(Path("req.txt"), (), "req", Path("out/req"), Path("m"), "")
    >>> [r.id for r in read_records(job, needs_audio=False)]  # doctest: +SKIP
    ['req:1', 'req:2']
    """
    from ..io.audio import AUDIO_EXTENSIONS, read_audio
    from ..io.text import read_lines

    if job.utterance is not None:
        return [_utterance_record(job, needs_audio=needs_audio, needs_text=needs_text)]
    source = Path(job.source)
    if needs_audio:
        y, sr = read_audio(source)
        script = _transcript(source) if needs_text else None
        text = None if script is None else _transcript_text(script, read_lines(script))
        return [Record(job.id, str(source), audio=y, sr=sr, text=text)]
    lines = read_lines(source)
    fetched = job.storage is not None and job.storage.source is not None
    if (
        job.storage.is_transcript
        if fetched
        else any(source.with_suffix(ext).is_file() for ext in AUDIO_EXTENSIONS)
    ):
        return [Record(job.id, str(source), text=_transcript_text(source, lines))]
    records = [
        Record(f"{job.id}:{n}", str(source), text=line.strip())
        for n, line in enumerate(lines, 1)
        if line.strip()
    ]
    if not records:
        raise FormatError(f"{source}: no text; expected one utterance per line")
    return records


def _utterance_record(job, *, needs_audio, needs_text):
    """The record of one utterance of a manifest: its span of audio, its text."""
    from ..io.audio import read_audio_command, read_audio_span

    u, rec = job.utterance, job.recording
    if needs_text and u.text is None:
        raise FormatError(
            f"{job.source}: utterance {u.id!r} has no text in the manifest, and the spec has "
            "text stages; add its transcript or use an audio-only spec"
        )
    if not needs_audio:
        return Record(job.id, str(job.source), text=u.text)
    if rec.command is not None:
        y, sr = read_audio_command(rec.command, start=u.start, duration=u.duration)
    else:
        y, sr = read_audio_span(rec.path, start=u.start, duration=u.duration)
    return Record(job.id, str(job.source), audio=y, sr=sr, text=u.text if needs_text else None)


# ------------------------------------------------------------------------ one job, in a worker

_PIPELINES = {}  # fingerprint -> Pipeline, one per worker process (models load once)


def _pipeline_for(spec):
    key = spec.fingerprint()
    if key not in _PIPELINES:
        _PIPELINES[key] = Pipeline.from_spec(spec)
    return _PIPELINES[key]


@contextlib.contextmanager
def _naming(source):
    """A SpeechTextError raised inside names ``source`` (where its message does not yet)."""
    try:
        yield
    except SpeechTextError as exc:
        if str(source) not in str(exc):
            raise type(exc)(f"{source}: {exc}") from None
        raise


def _process_job(job, *, spec, outdir):
    """Run the file-level stages on one input file and write its outputs, then its marker."""
    from ..io.atomic import write_text

    if job.storage is not None:
        return _process_staged(job, spec=spec, outdir=outdir)
    # redone: not complete until the marker is back (a killed run's temp files are removed by
    # the run, once, before any job: see _remove_leftovers)
    job.marker.unlink(missing_ok=True)
    entry = _run_stages(job, spec=spec, outdir=outdir, source=str(job.source))
    write_text(job.marker, json.dumps(entry, ensure_ascii=False) + "\n")
    return {"duration": entry["duration"], "utterances": entry["utterances"]}


def _process_staged(job, *, spec, outdir):
    """:func:`_process_job` for an input or OUTDIR at a URL: the input fetched into a scratch
    folder, the stages run there, each output put whole and the marker last."""
    import tempfile
    from dataclasses import replace

    from ..io import storage
    from ..io.atomic import write_text

    where = job.storage
    url = str(job.source)
    with tempfile.TemporaryDirectory(prefix="speechtext-job-") as scratch:
        scratch = Path(scratch)
        local = job
        if where.outdir is not None:
            # redone: not complete until the marker is back
            storage.remove(where.url(job.marker), options=where.options)
            out = scratch / "out"
            local = replace(
                local,
                outputs=tuple(out / o for o in job.outputs),
                base=out / job.base,
                marker=out / job.marker,
            )
            outdir = out
        else:
            job.marker.unlink(missing_ok=True)
        if where.source is not None:
            copy = scratch / "in" / url.rsplit("/", 1)[-1]
            storage.fetch(url, copy, options=where.options)
            if where.transcript is not None:
                storage.fetch(where.transcript, copy.with_suffix(".txt"), options=where.options)
            local = replace(local, source=copy)
        try:
            entry = _run_stages(local, spec=spec, outdir=outdir, source=url)
        except SpeechTextError as exc:  # named by its URL, not by the scratch copy
            raise type(exc)(str(exc).replace(str(local.source), url)) from None
        text = json.dumps(entry, ensure_ascii=False) + "\n"
        if where.outdir is None:
            write_text(job.marker, text)
        else:
            for output in entry["outputs"]:
                storage.put_file(out / output, where.url(output), options=where.options)
            storage.write_bytes(where.url(job.marker), text.encode(), options=where.options)
    return {"duration": entry["duration"], "utterances": entry["utterances"]}


def _run_stages(job, *, spec, outdir, source):
    """The stages over one input file, its outputs written: its marker's entry (``source``:
    the input as the entry names it)."""
    pipeline = _pipeline_for(spec)
    seconds = {}
    with _naming(job.source):
        if job.utterance is None and pipeline.streams:  # any length of recording, in blocks
            outputs, duration, seconds = stream_audio_stages(
                pipeline.file_stages, job.source, job.base, key=job.id, name=source
            )
            records = [None]
        else:
            outputs, duration, records = _process_in_memory(job, pipeline, seconds, source)
    entry = {
        "id": job.id,
        "source": source,
        "outputs": [str(Path(p).relative_to(outdir)) for p in outputs],
        "seconds": {k: round(v, 6) for k, v in seconds.items()},
        "status": "done",
        "utterances": len(records),
        "duration": round(duration, 6),
        "base": str(Path(job.base).relative_to(outdir)),
        "spec": job.fingerprint,
    }
    if job.utterance is not None:
        entry["audio"] = job.recording.where
        entry["start"] = job.utterance.start
    return entry


def _process_in_memory(job, pipeline, seconds, source):
    """The file's records read whole and through each stage; (outputs, seconds of audio,
    records)."""
    start = time.perf_counter()
    records = read_records(job, needs_audio=pipeline.needs_audio, needs_text=pipeline.needs_text)
    if job.utterance is None:
        for record in records:  # (a fetched input: its URL, not its scratch copy)
            record.source = source
    seconds["read"] = time.perf_counter() - start
    duration = sum(len(r.audio) / r.sr for r in records if r.audio is not None)
    outputs = []
    for stage in pipeline.file_stages:
        start = time.perf_counter()
        records = stage.process(records)
        outputs += stage.write(records, job.base)
        seconds[stage.name] = time.perf_counter() - start
    return outputs, duration, records


# ------------------------------------------------------------------------------------ result


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
    inputs : list of str
    report : speechtext.evaluate.Report or None
        The evaluation, when the spec ends with ``evaluate``.
    corpus_failures : list of (stage, message)
        Corpus-level stages that failed (``message`` starts with ``"<stage> stage: "``); the
        caller shows them, the library does not print.
    written : list of Path
        The files the corpus-level stages wrote.
    """

    batch: BatchReport
    entries: list[dict]
    outdir: Path
    inputs: list[str]
    report: Any = None
    corpus_failures: list[tuple[str, str]] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)

    def done_entries(self) -> list[dict]:
        """The manifest entries of the inputs done (now or by an earlier run)."""
        return [e for e in self.entries if e.get("status") == "done"]

    @property
    def exit_status(self) -> int:
        return 1 if self.batch.failed or self.corpus_failures else 0

    def summary(self) -> str:
        """One line: files done/skipped/failed, seconds, and times real time for audio."""
        return self.batch.summary(
            skipped_note="complete; from an earlier run", utterances=True, speed_decimals=1
        )


# ------------------------------------------------------------------------------- the run


def _prepare(spec, *, scheduler, dask_workers):
    """The spec parsed and its pipeline built, every setting checked once, before any file."""
    if not isinstance(spec, Spec):
        spec = load_spec(spec)
    if scheduler and dask_workers:
        raise ParameterError("give a Dask scheduler address or a local cluster size, not both")
    pipeline = Pipeline.from_spec(spec)
    pipeline.prepare(spec)  # fail once, before any file; forked workers inherit loaded models
    return spec, pipeline


def dask_setup(worker: Any) -> None:
    """Preload of the local Dask cluster's workers (distributed calls it by this name).

    Ctrl-C reaches every process of the terminal's group, the cluster's workers too: they ignore
    it, and the run's own process stops the cluster (instead of each worker printing a
    traceback). When the run's process is killed (SIGKILL), its workers end at once, as the
    pool's do: left waiting for a scheduler that died with it, they held the run's stderr open
    for minutes.
    """
    import contextlib
    import multiprocessing
    import signal

    from ..batch import exit_with_parent

    if multiprocessing.parent_process() is None:  # not a worker process: leave Ctrl-C alone
        return
    exit_with_parent()
    with contextlib.suppress(ValueError):  # not the main thread
        signal.signal(signal.SIGINT, signal.SIG_IGN)


class _Dask:
    """A Dask client, with the local cluster it runs on (None: an existing cluster's)."""

    def __init__(self, client, cluster):
        self.client = client
        self.cluster = cluster
        self.closed = False
        # the local cluster's worker processes (this process's children), ended at once on a
        # stop: a task of several files would otherwise go on with its next ones
        self.worker_pids = [] if cluster is None else list(client.run(os.getpid).values())

    def _kill_workers(self):
        import signal

        for nanny in getattr(self.cluster, "workers", {}).values():
            nanny.auto_restart = False  # (not started again by its nanny while closing)
        for pid in self.worker_pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        for pid in self.worker_pids:
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, 0)  # gone (or reaped by multiprocessing already)
        self.worker_pids = []

    def close(self, *, quick=False):
        """Close client and cluster (once); ``quick`` (interrupted): within a second or two,
        with distributed's shutdown messages silenced (the worker tasks cancelled mid-way, the
        local cluster's workers killed first)."""
        import logging

        if self.closed:
            return
        self.closed = True
        loggers = [logging.getLogger(n) for n in ("distributed", "tornado", "asyncio")]
        levels = [logger.level for logger in loggers]
        if quick:
            for logger in loggers:
                logger.setLevel(logging.CRITICAL + 1)
        try:
            if not quick:
                self.client.close()
                if self.cluster is not None:
                    self.cluster.close()
                return
            # stopping: a slow shutdown is cut short (the workers end with this process)
            self._kill_workers()
            with contextlib.suppress(Exception):
                self.client.close(timeout=1)
            if self.cluster is not None:
                with contextlib.suppress(Exception):
                    self.cluster.close(timeout=1)
                # not again at exit (distributed's atexit waits up to 10 s for a close cut
                # short here): the workers end with this process
                self.cluster.shutdown_on_close = False
        finally:
            for logger, level in zip(loggers, levels, strict=True):
                logger.setLevel(level)


# Dask settings of the local cluster's workers (their nannies hand them over): what the worker
# does beside its tasks, each waking its event loop and taking the GIL from the task thread,
# sampled less often or not at all (measured: bench/pipeline.py; README, Pipelines)
LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,  # a stack sample of every thread each 10 ms
    "distributed.admin.tick.interval": "1s",  # the event loop's own watchdog, each 20 ms
    "distributed.admin.tick.limit": "10s",  # (warn only of a loop blocked much longer)
    "distributed.admin.system-monitor.interval": "5s",  # psutil's CPU and memory, each 0.5 s
    "distributed.worker.memory.monitor-interval": "1s",  # the memory limit's check, each 0.1 s
    "distributed.scheduler.work-stealing": False,  # balanced batches: nothing to steal
    # workers forked from this process have its modules and loaded models already (as the
    # pool's do), instead of importing and loading them again each
    "distributed.worker.multiprocessing-method": "fork",
}


def _connect(scheduler, dask_workers):
    """A Dask client: to ``scheduler``, or to a new local cluster on loopback; None without
    Dask. Raises before anything is written (a bad address, a scheduler out of reach)."""
    import logging

    if not (scheduler or dask_workers):
        return None
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ParameterError(
            "Dask is not installed: pip install 'speechtext[dask]' (dask[distributed])"
        ) from None
    if scheduler:
        try:
            return _Dask(Client(scheduler, timeout="20s"), None)
        except (ValueError, TypeError) as exc:  # distributed's address parser
            raise ParameterError(
                f"--scheduler {scheduler}: not a Dask scheduler address ({exc}); give the "
                "scheduler's address as tcp://HOST:8786"
            ) from None
        except OSError as exc:
            raise ParameterError(
                f"--scheduler {scheduler}: cannot reach the Dask scheduler ({exc}); check the "
                "address (tcp://HOST:8786) and that the scheduler runs"
            ) from None
    from dask import config as dask_config

    with _signals_held() as held, dask_config.set(LOCAL_CLUSTER_CONFIG):
        # (a cluster stopped half-made fails to close, loudly)
        cluster = LocalCluster(
            n_workers=dask_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            preload=[__name__],  # dask_setup: the workers leave Ctrl-C to this process
            # quiet: a failed task is a failed input (reported), and when the run stops, the
            # workers would log lost connections and cancelled tasks
            silence_logs=logging.CRITICAL,
        )
        dask = _Dask(Client(cluster), cluster)
    if held:
        import signal

        dask.close(quick=True)
        signal.raise_signal(held[0])  # now handled as it would have been
    return dask


@contextlib.contextmanager
def _signals_held():
    """While a local cluster starts: SIGTERM held back (yields the list of those received, for
    the caller to deliver), SIGINT ignored, where Python handles them (in the main thread).

    The workers being started inherit the ignored SIGINT, so that a Ctrl-C to the terminal's
    group at that moment makes none of them print a traceback; it is lost, though (a second
    Ctrl-C, once the cluster runs, stops it). An interrupt in the middle would leave the cluster
    half-made, failing to close at exit with tracebacks of its own.
    """
    import signal
    import threading

    held = []
    if threading.current_thread() is not threading.main_thread():
        yield held
        return
    previous = {}
    if callable(signal.getsignal(signal.SIGINT)):
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.SIG_IGN)
    if callable(signal.getsignal(signal.SIGTERM)):
        previous[signal.SIGTERM] = signal.signal(signal.SIGTERM, lambda n, _: held.append(n))
    try:
        yield held
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _lock(outdir, outdir_url):
    """OUTDIR's lock; at a URL, none (object stores have no flock), with a note saying so."""
    from ..io.outdir import LOCK_FILE, OutdirLock, lock_outdir

    if outdir_url is None:
        return lock_outdir(outdir)
    note = (
        f"{outdir_url}: object storage has no locks; make sure no other run writes to this "
        "OUTDIR at the same time"
    )
    return OutdirLock(Path(LOCK_FILE), None, None, note)


def _leftover_paths(jobs):
    # (objects at an OUTDIR URL are put whole: nothing is left half-written there)
    return [
        p
        for job in jobs
        if job.storage is None or job.storage.outdir is None
        for p in (*job.outputs, job.marker)
    ]


def _remove_leftovers(jobs):
    """Remove the temporary files beside the jobs' outputs and markers (one folder listing
    each): those of a killed run, or of workers that were ended or died."""
    from ..io.atomic import remove_temp_files

    remove_temp_files(_leftover_paths(jobs))


def _run_jobs(jobs, work, *, outdir, workers, dask, resume, problems, progress, outdir_url=None):
    """The batch, on the local pool or on Dask (closed after: at once when interrupted)."""
    from ..batch import BatchInterrupted, run_batch

    _remove_leftovers(jobs)  # what a killed run left: this run is OUTDIR's only writer now
    complete = []  # at an OUTDIR URL: the jobs complete already, from one listing of it
    if outdir_url is not None and resume:
        from .remote import done_on_storage

        done = done_on_storage(jobs, outdir_url, jobs[0].storage.options) if jobs else set()
        complete = [j for j in jobs if str(j.source) in done]
        jobs = [j for j in jobs if str(j.source) not in done]
    stopped = True
    try:
        batch = run_batch(
            jobs,
            work,
            outdir=None if outdir_url is not None else outdir,
            workers=workers,
            overwrite=not resume or outdir_url is not None,
            problems=problems,
            progress=progress,
            client=None if dask is None else dask.client,
            failures_file=False,  # written with the corpus stages' failures at the end
            cleanup=_remove_leftovers,
        )
        stopped = False
        batch.skipped[:0] = [str(j.source) for j in complete]
        return batch
    except BatchInterrupted as exc:
        exc.report.skipped[:0] = [str(j.source) for j in complete]
        exc.total += len(complete)
        if dask is not None:
            dask.close(quick=True)
            if outdir_url is None:
                exc.recount(jobs)  # tasks that finished as the cluster stopped
            else:  # the same, from one listing of OUTDIR
                from .remote import done_on_storage

                options = jobs[0].storage.options if jobs else None
                finished = done_on_storage(jobs, outdir_url, options)
                known = {s for s, _ in exc.report.done} | {s for s, _ in exc.report.failed}
                exc.report.done += [(s, {}) for s in sorted(finished - known)]
        raise
    finally:
        if dask is not None:
            dask.close(quick=stopped)
            # what killed workers left; an existing cluster's cancelled tasks may still write
            if dask.cluster is not None or not stopped:
                _remove_leftovers(jobs)


def _failed_entry(id, source, error):
    return {"id": id, "source": source, "status": "failed", "error": error}


def _manifest_entries(jobs, batch):
    """One manifest entry per input: its marker's entry, or its failure."""
    from ..io.manifest import read_jsonl
    from .remote import read_markers

    errors = dict(batch.failed)
    on_storage = read_markers([j for j in jobs if str(j.source) not in errors])
    entries = []
    for job in jobs:
        source = str(job.source)
        if source in errors:
            entries.append(_failed_entry(job.id, source, errors.pop(source)))
            continue
        if source in on_storage:
            entry = on_storage[source]
        else:
            try:
                (entry,) = read_jsonl(job.marker)
            except (FormatError, OSError, ValueError):
                entry = None
        if entry is None:
            entries.append(_failed_entry(job.id, source, f"{source}: no completion marker"))
            continue
        if source in batch.skipped:
            entry["resumed"] = True
        entries.append(entry)
    for source, message in errors.items():  # inputs that never became jobs
        entries.append(_failed_entry(None, source, message))
    return entries


def _finish_corpus_stages(pipeline, result):
    """Every stage's corpus-level step; a failure is kept in ``result``, the others still run."""
    for stage in pipeline.stages:
        try:
            result.written += stage.finish(result)
        except SpeechTextError as exc:
            result.corpus_failures.append((stage.name, f"{stage.name} stage: {exc}"))


@dataclass(frozen=True)
class _Manifest:
    """A corpus manifest given as the input: where, its format, what it holds."""

    path: Path
    format: str
    corpus: Any

    def output_path(self, outdir):
        """The manifest written for the outputs: the input's name, in OUTDIR."""
        name = self.path.absolute().name
        if self.format == "lhotse" and not self.path.is_dir():
            name = self.path.absolute().parent.name  # a pair's file given: its folder
        if name in ("manifest.jsonl", "failures.jsonl") or name.startswith("."):
            name = f"corpus-{name.lstrip('.')}"
        return Path(outdir) / name


def _manifest_input(inputs, *, allow_commands):
    """The corpus manifest among the inputs (read), or None for files and folders."""
    from ..io.corpora import detect_format, read_corpus

    formats = [detect_format(p) for p in inputs]
    if not any(formats):
        return None
    if len(inputs) > 1:
        given = next(p for p, f in zip(inputs, formats, strict=True) if f)
        raise ParameterError(
            f"{given} is a {next(f for f in formats if f)} manifest: give a manifest alone, "
            "as the only input (one run per manifest)"
        )
    corpus, format = read_corpus(inputs[0], format=formats[0], allow_commands=allow_commands)
    return _Manifest(Path(inputs[0]), format, corpus)


def _write_output_manifest(result, manifest, jobs):
    """The input manifest's format, in OUTDIR, for the utterances done: each one's ``.wav``
    output as a whole recording (or its source audio span, without one)."""
    from ..io.corpora import Corpus, Recording, Utterance, write_corpus

    by_id = {job.id: job for job in jobs}
    recordings, utterances = {}, []
    for entry in result.done_entries():
        job = by_id.get(entry.get("id"))
        if job is None:
            continue
        u, rec = job.utterance, job.recording
        wav = next((o for o in entry["outputs"] if o.endswith(".wav")), None)
        if wav is not None:
            path = str((result.outdir / wav).absolute())
            rec = Recording(u.id, path=path)
            u = Utterance(u.id, u.id, text=u.text, speaker=u.speaker)
        recordings[rec.id] = rec
        utterances.append(u)
    target = manifest.output_path(result.outdir)
    try:
        result.written += write_corpus(Corpus(recordings, utterances), target, manifest.format)
    except SpeechTextError as exc:
        result.corpus_failures.append(("manifest", f"manifest {target}: {exc}"))


def _write_run_records(result):
    """``manifest.jsonl`` (without the fingerprints) and ``failures.jsonl``, last."""
    from ..batch import write_failures
    from ..io.manifest import write_jsonl

    entries = ({k: v for k, v in e.items() if k != "spec"} for e in result.entries)
    write_jsonl(result.outdir / "manifest.jsonl", entries)
    stages = [(f"stage {name}", message) for name, message in result.corpus_failures]
    write_failures(result.outdir, result.batch.failed + stages, result.batch.tracebacks)


def _finish_on_storage(pipeline, result, outdir_url, options):
    """The corpus-level stages and the run's records for an OUTDIR URL: made in a local scratch
    folder (with the outputs they read fetched into it, and an evaluation's gold file from an
    input folder URL), then put."""
    import tempfile

    from ..io import storage

    with tempfile.TemporaryDirectory(prefix="speechtext-run-") as scratch:
        scratch = Path(scratch)
        inputs = result.inputs
        finishing = [s for s in pipeline.stages if type(s).finish is not Stage.finish]
        if finishing:
            needed = sorted({o for e in result.done_entries() for o in e.get("outputs", [])})
            got = storage.read_many([storage.join(outdir_url, o) for o in needed], options=options)
            for output in needed:
                data = got.get(storage.join(outdir_url, output))
                if data is not None:
                    (scratch / output).parent.mkdir(parents=True, exist_ok=True)
                    (scratch / output).write_bytes(data)
            result.inputs = _gold_inputs(finishing, inputs, scratch / ".inputs", options)
        result.outdir = scratch
        try:
            _finish_corpus_stages(pipeline, result)
            _write_run_records(result)
        finally:
            result.outdir, result.inputs = outdir_url, inputs
        written = [Path(p).relative_to(scratch) for p in result.written]
        written += [Path("manifest.jsonl"), Path("failures.jsonl")]
        for rel in written:
            storage.put_file(
                scratch / rel, storage.join(outdir_url, rel.as_posix()), options=options
            )
        result.written = [storage.join(outdir_url, rel.as_posix()) for rel in written[:-2]]


@contextlib.contextmanager
def _inputs_for_corpus_stages(pipeline, result, options):
    """While the corpus stages run on a local OUTDIR: a first input at a URL seen as a local
    folder holding the evaluation's gold file (see :func:`_gold_inputs`)."""
    import tempfile

    from ..io.storage import is_url

    if not (result.inputs and is_url(result.inputs[0])):
        yield
        return
    finishing = [s for s in pipeline.stages if type(s).finish is not Stage.finish]
    inputs = result.inputs
    with tempfile.TemporaryDirectory(prefix="speechtext-gold-") as folder:
        result.inputs = _gold_inputs(finishing, inputs, Path(folder), options)
        try:
            yield
        finally:
            result.inputs = inputs


def _gold_inputs(stages, inputs, folder, options):
    """The inputs as the corpus stages see them: a first input folder at a URL is a local
    folder holding the evaluation's gold file, fetched (when there is one)."""
    from ..io import storage

    if not inputs or not storage.is_url(inputs[0]):
        return inputs
    for stage in stages:
        gold = getattr(stage.config, "gold", None)
        if gold and not Path(gold).is_absolute():
            with contextlib.suppress(SpeechTextError):
                storage.fetch(storage.join(inputs[0], gold), folder / gold, options=options)
    folder.mkdir(parents=True, exist_ok=True)
    return [str(folder), *inputs[1:]]


def run_pipeline(
    spec: Spec | str | os.PathLike,
    inputs: list[str | os.PathLike],
    outdir: str | os.PathLike,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    dask_workers: int | None = None,
    resume: bool = False,
    progress: Progress | None = None,
    allow_commands: bool = False,
    storage_options: dict | None = None,
) -> RunResult:
    """Run a pipeline spec over input files and folders; write outputs, manifest and failures.

    Parameters
    ----------
    spec : Spec or str
        A parsed spec, a spec file or the name of a shipped spec.
    inputs : list of path or URL
        Files and folders (searched recursively; see the module docs), or one corpus
        manifest (a Kaldi data dir, NeMo JSONL, lhotse manifests, a saved HF dataset). Files
        and folders may be fsspec URLs (``s3://bucket/recordings/``; see
        :mod:`speechtext.pipeline.remote`).
    outdir : path or URL
        A local folder, or an fsspec URL (``s3://bucket/out/``): each output an object put
        whole, its marker last; no lock there (one run at a time on it is yours).
    workers : int
        Local worker processes (1: in this process). Ignored with Dask.
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://host:8786``); local inputs and OUTDIR must be at
        the same paths on every worker (URLs need no shared file system).
    dask_workers : int, optional
        Start a local Dask cluster of this many single-threaded worker processes on 127.0.0.1.
    resume : bool
        Skip input files already complete for this spec (otherwise every file is redone).
    progress : speechtext.batch.Progress, optional
        Told of each finished file, failure and warning as it happens (default: nothing).
    allow_commands : bool
        Run the piped commands of a manifest (Kaldi ``wav.scp`` lines ending in ``|``, lhotse
        command sources) to get their audio; otherwise such a manifest is refused.
    storage_options : dict, optional
        fsspec's options for the URLs (``{"client_kwargs": {"endpoint_url": ...}}``, ``key``,
        ``secret``, ``anon`` ... for S3); without them, the backend's own settings (for S3 the
        ``AWS_*`` variables and ``~/.aws``). Workers get them with their jobs.

    Returns
    -------
    RunResult
        With the failures of the corpus-level stages in ``corpus_failures`` (nothing is printed).

    Raises
    ------
    SpeechTextError
        Before anything is written: a bad spec or setting, an OUTDIR that is an input folder,
        a Dask scheduler out of reach, an OUTDIR another run holds, an unwritable OUTDIR. A bad
        input file is not raised: it is reported and listed in ``failures.jsonl``.
    speechtext.batch.BatchInterrupted
        On a KeyboardInterrupt (Ctrl-C), once the workers have ended: with the report so far.

    Notes
    -----
    Every process doing files uses one BLAS thread (:func:`speechtext.batch.one_blas_thread`).
    A worker process that dies fails its input only (see :mod:`speechtext.batch`).

    Examples
    --------
    >>> run_pipeline("telephone", ["data/samples"], "out").summary()  # doctest: +SKIP
    '3 files: 3 done in 1.2 s (9.1 s of audio, 7.6x real time)'
    """
    from ..batch import BatchInterrupted
    from ..io import storage
    from ..io.folders import ensure_output_dir, refuse_overwriting_inputs
    from ..io.outdir import check_outdir_free
    from .remote import check_url_inputs

    # every refusal comes before anything is written: OUTDIR, spec, Dask, the lock
    inputs = [str(storage.local_path(str(p))) for p in inputs]
    outdir = storage.local_path(str(outdir))
    outdir_url = outdir.rstrip("/") if storage.is_url(outdir) else None
    check_url_inputs(inputs)
    local_inputs = [p for p in inputs if not storage.is_url(p)]
    if outdir_url is None:
        outdir = Path(outdir)
        refuse_overwriting_inputs([outdir], local_inputs, what="-o")
    elif outdir_url in (p.rstrip("/") for p in inputs):
        raise SpeechTextError(f"-o {outdir_url} is an input folder; choose another -o")
    url_inputs = len(local_inputs) < len(inputs)
    manifest = None if url_inputs else _manifest_input(inputs, allow_commands=allow_commands)
    if manifest is not None:
        if outdir_url is not None:
            raise ParameterError(
                f"-o {outdir_url}: a corpus manifest's run writes to a local folder; give a "
                "local -o (or the folder of recordings, not the manifest)"
            )
        refuse_overwriting_inputs([manifest.output_path(outdir)], inputs, what="-o")
    if outdir_url is None:
        check_outdir_free(outdir)  # at once, not after a Dask cluster has started
    spec, pipeline = _prepare(spec, scheduler=scheduler, dask_workers=dask_workers)
    if outdir_url is not None:  # a missing bucket, no credentials: said before any work
        storage.check_writable(outdir_url, options=storage_options)
    jobs, problems = _make_jobs(
        spec, pipeline, inputs, outdir, manifest, outdir_url=outdir_url, options=storage_options
    )
    dask = _connect(scheduler, dask_workers)
    try:
        lock = _lock(outdir, outdir_url)
    except BaseException:
        if dask is not None:
            dask.close(quick=True)
        raise
    with lock:
        if lock.note and progress is not None:
            progress.say(f"note: {lock.note}")
        if outdir_url is None:
            ensure_output_dir(outdir)
        batch = _run_jobs(
            jobs,
            functools.partial(
                _process_job, spec=spec, outdir=None if outdir_url else outdir.absolute()
            ),
            outdir=outdir,
            workers=workers,
            dask=dask,
            resume=resume,
            problems=problems,
            progress=progress,
            outdir_url=outdir_url,
        )
        try:
            result = RunResult(batch, _manifest_entries(jobs, batch), outdir, inputs)
            if outdir_url is not None:
                _finish_on_storage(pipeline, result, outdir_url, storage_options)
            else:
                with _inputs_for_corpus_stages(pipeline, result, storage_options):
                    _finish_corpus_stages(pipeline, result)
                if manifest is not None:
                    _write_output_manifest(result, manifest, jobs)
                _write_run_records(result)
        except KeyboardInterrupt as exc:  # every input was done: say so
            raise BatchInterrupted(batch, len(jobs) + len(problems)) from exc
    return result
