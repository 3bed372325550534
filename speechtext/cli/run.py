"""speechtext run: a pipeline spec over folders, on local processes or on a Dask cluster."""

import sys

__all__ = ["DESCRIPTION", "HELP", "add_arguments", "run"]

HELP = (
    "run a pipeline spec (TOML) over files and folders, or a corpus manifest: every stage's "
    "outputs, a manifest"
)
DESCRIPTION = (
    "Run the stages of SPEC (a .toml file, or a shipped spec: demo, text, telephone) over INPUT "
    "files and folders. With an audio stage the inputs are the audio files, each with its "
    "same-stem .txt transcript for the text stages; with text stages only, the .txt files (a "
    "transcript is one utterance, any other text file one utterance per line). Outputs mirror "
    "the inputs' relative paths in OUTDIR. The INPUT may instead be one corpus manifest (a "
    "Kaldi data dir, a NeMo JSONL manifest, a folder of lhotse manifests, a saved Hugging Face "
    "dataset): each utterance is processed (a segment is read from its long recording by "
    "seeking) into OUTDIR/<utterance id>.*, and a manifest of the same format and name, "
    "pointing at the outputs, is written in OUTDIR. Either way there is OUTDIR/manifest.jsonl "
    "(one entry per input: id, "
    "source, outputs, seconds per stage, status) and OUTDIR/failures.jsonl. Every file is "
    "written atomically; --resume skips the inputs a previous run of the same spec completed. "
    "One run at a time writes to an OUTDIR (OUTDIR/.speechtext/lock). The exit status is 1 if "
    "any input (or the evaluation) failed, 130 when stopped by Ctrl-C and 143 by SIGTERM (the "
    "outputs done are complete: --resume continues)."
)


def _setting(text):
    import argparse
    import tomllib

    key, eq, value = text.partition("=")
    if not eq or "." not in key:
        raise argparse.ArgumentTypeError(f"{text!r}: expected STAGE.SETTING=VALUE")
    try:
        parsed = tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value  # a bare word is a string: --set tag.model=my.tagger
    return key.strip(), parsed


def _storage_options(text):
    import argparse
    import json

    try:
        options = json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"not JSON ({exc}); give an object: '{{\"anon\": true}}'"
        ) from None
    if not isinstance(options, dict):
        raise argparse.ArgumentTypeError("give a JSON object: '{\"anon\": true}'")
    return options


def add_arguments(parser):
    from .common import default_workers, positive_int

    parser.add_argument("spec", metavar="SPEC", help="spec file, or demo / text / telephone")
    parser.add_argument(
        "inputs", nargs="+", metavar="INPUT", help="files or folders, or one corpus manifest"
    )
    parser.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="output folder")
    parser.add_argument(
        "--workers", type=positive_int, default=default_workers(), help="local worker processes"
    )
    dask = parser.add_mutually_exclusive_group()
    dask.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on this Dask scheduler (tcp://HOST:8786); local paths must be the same on "
        "workers (or give URLs: s3://...)",
    )
    dask.add_argument(
        "--dask-local",
        type=positive_int,
        metavar="N",
        help="start a local Dask cluster of N worker processes (on 127.0.0.1) and run on it",
    )
    parser.add_argument(
        "--resume", action="store_true", help="skip inputs a previous run of this spec completed"
    )
    parser.add_argument(
        "--allow-commands",
        action="store_true",
        help="run the piped commands of a manifest (wav.scp lines ending in |) to get the audio",
    )
    parser.add_argument(
        "--storage-options",
        type=_storage_options,
        metavar="JSON",
        help="fsspec options for INPUT and OUTDIR URLs (s3://...), as a JSON object, e.g. "
        '\'{"client_kwargs": {"endpoint_url": "http://127.0.0.1:9000"}}\'; credentials '
        "otherwise from the backend's usual settings (AWS_* variables, ~/.aws)",
    )
    parser.add_argument(
        "--set",
        type=_setting,
        action="append",
        default=[],
        metavar="STAGE.SETTING=VALUE",
        help="change a setting of the spec (VALUE in TOML, or a bare string); repeatable",
    )


def run(args):
    from ..pipeline import load_spec, run_pipeline
    from .common import ConsoleProgress

    spec = load_spec(args.spec)
    if args.set:
        spec = spec.with_settings(dict(args.set))
    result = run_pipeline(
        spec,
        args.inputs,
        args.output,
        workers=args.workers,
        scheduler=args.scheduler,
        dask_workers=args.dask_local,
        resume=args.resume,
        allow_commands=args.allow_commands,
        storage_options=args.storage_options,
        progress=ConsoleProgress(spec.name or "pipeline"),
    )
    for _, message in result.corpus_failures:
        print(f"speechtext: {message}", file=sys.stderr)
    if result.report is not None:
        sys.stdout.write(result.report.to_text())
        for note in result.report.notes:
            print(f"speechtext: note: {note}", file=sys.stderr)
    print(f"speechtext: {result.summary()}", file=sys.stderr)
    print(f"speechtext: manifest in {args.output}/manifest.jsonl", file=sys.stderr)
    if result.exit_status:
        print(f"speechtext: failures are listed in {args.output}/failures.jsonl", file=sys.stderr)
    return result.exit_status
