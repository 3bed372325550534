"""speechtext pitch: F0 tracks and per-file pitch summaries for audio files."""

import functools
import sys

__all__ = ["HELP", "DESCRIPTION", "add_arguments", "run"]

HELP = "F0 per frame (voicing, confidence) and a pitch summary per file; wideband or telephone"
DESCRIPTION = (
    "Track F0 in audio files (wideband or telephone). Per input: <name>.f0.csv "
    "(time,f0,voiced,confidence) and <name>.summary.json (median, 5th/95th percentile, mode, "
    "voiced fraction, register); OUTDIR/summary.csv holds one row per file; --plot adds "
    "<name>.f0.png. Outputs mirror the inputs' relative paths; existing outputs are skipped unless "
    "--overwrite; each failure is named on stderr and listed in OUTDIR/failures.jsonl; the exit "
    "status is 1 if any file failed."
)

SUFFIXES = [".f0.csv", ".summary.json"]


def _positive_float(text):
    import argparse

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} must be above 0")
    return value


def add_arguments(parser):
    from .common import add_batch_arguments

    add_batch_arguments(parser)
    parser.add_argument(
        "--fmin", type=_positive_float, default=50.0, metavar="HZ", help="lowest F0 searched"
    )
    parser.add_argument(
        "--fmax", type=_positive_float, default=550.0, metavar="HZ", help="highest F0 searched"
    )
    parser.add_argument(
        "--hop", type=_positive_float, default=0.010, metavar="S", help="frame step in seconds"
    )
    parser.add_argument(
        "--method",
        choices=("default", "learned", "cmndf", "pyin", "yin"),
        default="default",
        help="tracker: speechtext's own (default: the better of learned and cmndf; learned "
        "reports 45-600 Hz), or librosa's pyin or yin for comparison (need librosa: pip "
        "install 'speechtext[librosa]'; they read each file whole)",
    )
    parser.add_argument(
        "--plot",
        action="store_true",
        help="also write <name>.f0.png: spectrogram with the F0 contour (needs matplotlib)",
    )


def _track(job, **options):
    from ..pitch import pitch_file

    plot = job.outputs[2] if len(job.outputs) > 2 else None
    return pitch_file(job.source, job.outputs[0], job.outputs[1], plot=plot, **options)


def run(args):
    from pathlib import Path

    from ..errors import ParameterError
    from ..io.audio import AUDIO_EXTENSIONS
    from ..io.f0 import write_summary_table
    from .common import finish_batch, run_files

    if args.fmin >= args.fmax:
        raise ParameterError(
            f"--fmin {args.fmin:g} must be below --fmax {args.fmax:g}, "
            "e.g. --fmin 50 --fmax 550 (speech)"
        )
    if args.hop > 1.0:
        raise ParameterError(f"--hop {args.hop:g} must be a frame step of at most 1 s, e.g. 0.01")
    suffixes = SUFFIXES + ([".f0.png"] if args.plot else [])
    if args.method in ("pyin", "yin"):
        from ..pitch.librosa_methods import check_available

        check_available()  # once, before any file: a missing librosa is no per-file failure
    work = functools.partial(
        _track, fmin=args.fmin, fmax=args.fmax, hop=args.hop, method=args.method
    )
    jobs, report = run_files(
        args,
        args.inputs,
        work,
        extensions=AUDIO_EXTENSIONS,
        output_suffixes=suffixes,
        desc="pitch",
        also_writes=[Path(args.output) / "summary.csv"],
    )
    summaries = [job.outputs[1] for job in jobs]  # new or from an earlier run
    for message in write_summary_table(Path(args.output) / "summary.csv", summaries):
        print(f"speechtext: warning: {message}", file=sys.stderr)
    return finish_batch(report, args.output)
