"""Arguments and reporting shared by the file-level subcommands."""

import os
import sys

__all__ = [
    "ConsoleProgress",
    "add_batch_arguments",
    "check_outputs",
    "default_workers",
    "finish_batch",
    "positive_int",
    "run_files",
]


def positive_int(text):
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return value


def add_batch_arguments(parser, *, what="audio files or folders (searched recursively)"):
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help=what)
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUTDIR",
        help="output folder; outputs mirror the inputs' relative paths",
    )
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=default_workers(),
        help="worker processes",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="redo files whose outputs exist (otherwise they are skipped, so a rerun resumes)",
    )


def check_outputs(outputs, inputs, *, what="-o"):
    """Before anything is read: every output file can be written (not a folder) and overwrites
    no input (the same path, a symbolic or a hard link). ``inputs``: every file and folder the
    command reads."""
    from ..io.atomic import check_output_file
    from ..io.folders import refuse_overwriting_inputs

    outputs = [o for o in outputs if o is not None]
    refuse_overwriting_inputs(outputs, [i for i in inputs if i is not None], what=what)
    for output in outputs:
        check_output_file(output)


class ConsoleProgress:
    """A batch's progress as a tqdm bar on stderr (shown on a terminal only), with each failure
    and warning on a line of its own: ``speechtext: MESSAGE``."""

    def __init__(self, desc):
        self.desc = desc
        self.bar = None

    def start(self, total):
        if not sys.stderr.isatty():  # no bar then (tqdm's disable=None): not even its import
            return
        from tqdm import tqdm

        self.bar = tqdm(
            total=total, desc=self.desc, unit="file", disable=None, file=sys.stderr, leave=False
        )

    def say(self, message):
        if self.bar is None:  # before the bar (a note on the run's start)
            print(f"speechtext: {message}", file=sys.stderr)
        else:
            self.bar.write(f"speechtext: {message}", file=sys.stderr)

    def advance(self):
        if self.bar is not None:
            self.bar.update(1)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def run_files(args, inputs, work, *, extensions, output_suffixes, desc, also_writes=()):
    """Map ``inputs`` to jobs under ``args.output`` and run ``work`` over them with the batch
    options (``--workers``, ``--overwrite``); return ``(jobs, report)``.

    An OUTDIR that is an input folder (or a file ``also_writes`` names that is an input) is
    refused before anything is read; an output that is an input file fails that input."""
    from ..batch import run_batch
    from ..io.folders import collect_jobs, refuse_overwriting_inputs

    refuse_overwriting_inputs([args.output, *also_writes], inputs, what="-o")
    jobs, problems = collect_jobs(
        inputs, args.output, extensions=extensions, output_suffixes=output_suffixes
    )
    report = run_batch(
        jobs,
        work,
        outdir=args.output,
        workers=args.workers,
        overwrite=args.overwrite,
        problems=problems,
        progress=ConsoleProgress(desc),
    )
    return jobs, report


def finish_batch(report, outdir):
    """Print the batch summary on stderr and return the exit status."""
    print(f"speechtext: {report.summary()}", file=sys.stderr)
    if report.failed:
        print(f"speechtext: failures are listed in {outdir}/failures.jsonl", file=sys.stderr)
    return report.exit_status


def default_workers():
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
