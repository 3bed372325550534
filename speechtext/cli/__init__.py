"""The ``speechtext`` command: one subcommand per stage, each a thin layer over the library.

Subcommands live in their own modules (``speechtext/cli/<name>.py``), each defining ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``. They import the stage they call inside ``run``,
so ``speechtext --help`` loads no heavy library.
"""

import argparse
import contextlib
import importlib
import signal
import sys
import threading

__all__ = ["main"]

# Subcommand name -> module under speechtext.cli, in the order ``--help`` lists them.
COMMANDS = {
    "telephone": "telephone",
    "pitch": "pitch",
    "g2p": "g2p",
    "tag": "tag",
    "decode": "decode",
    "delex": "delex",
    "relex": "relex",
    "evaluate": "evaluate",
    "run": "run",
    "convert": "convert",
}


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows an option's default only when it has one worth showing (not None or False)."""

    def _get_help_string(self, action):
        if action.default in (None, False) or action.default is argparse.SUPPRESS:
            return action.help
        return super()._get_help_string(action)


def build_parser(argv=None):
    """The command's parser; with ``argv`` naming a subcommand, only that one's (the others'
    modules, and what their options import, stay unloaded: start-up is per command run)."""
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="speechtext",
        description="Prepare and evaluate data for telephone voice assistants and spoken-language "
        "understanding.",
    )
    parser.add_argument("--version", action="version", version=f"speechtext {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    given = next((a for a in (sys.argv[1:] if argv is None else argv) if a[:1] != "-"), None)
    for name, module_name in COMMANDS.items():
        if given in COMMANDS and name != given:
            continue
        module = importlib.import_module(f"{__name__}.{module_name}")
        command = sub.add_parser(
            name,
            help=module.HELP,
            description=getattr(module, "DESCRIPTION", module.HELP),
            formatter_class=HelpFormatter,
        )
        module.add_arguments(command)
        command.set_defaults(_run=module.run, _parser=command)
    return parser


class Stopped(KeyboardInterrupt):
    """SIGINT (Ctrl-C) or SIGTERM, raised in the main thread so that both stop a command the same
    way: workers ended, outputs complete, temporary files removed."""

    def __init__(self, signum):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextlib.contextmanager
def _stop_on_signals(*, grace=3.0):
    """SIGINT and SIGTERM raise :class:`Stopped`; another one in the next ``grace`` seconds is
    ignored, so that a second Ctrl-C does not cut the clean-up short. The previous handlers
    come back after."""
    import time

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    last = []

    def stop(signum, frame):
        now = time.monotonic()
        if last and now - last[0] < grace:
            return
        last[:] = [now]
        raise Stopped(signum)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _chain(exc):
    while exc is not None:
        yield exc
        exc = exc.__cause__ or exc.__context__


def _stopped(args, exc):
    """The one line of a stopped command, and its exit status (128 + the signal)."""
    from ..batch import BatchInterrupted

    signum = next((e.signum for e in _chain(exc) if isinstance(e, Stopped)), signal.SIGINT)
    how = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
    batch = next((e for e in _chain(exc) if isinstance(e, BatchInterrupted)), None)
    line = f"speechtext: stopped ({how})"
    if batch is not None:
        failed = f", {len(batch.report.failed)} failed" if batch.report.failed else ""
        if getattr(args, "resume", None) is not None:
            again = "rerun with --resume to continue"
        else:
            again = (
                "rerun the command (without --overwrite) to continue: finished files are skipped"
            )
        line += (
            f": {batch.finished} of {batch.total} inputs finished, their outputs complete"
            f"{failed}; {again}"
        )
    print(line, file=sys.stderr)
    return 128 + signum


def _internal_error(exc):
    """An exception that is not a user mistake: its traceback once, and what to do."""
    import traceback

    traceback.print_exception(exc, file=sys.stderr)
    print(
        f"speechtext: internal error ({type(exc).__name__}: {exc}): a bug in speechtext, not in "
        "your input; please report it with the traceback above",
        file=sys.stderr,
    )
    return 1


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """A warning as a user reads it: ``speechtext: warning: ...``, not a source line."""
    print(f"speechtext: warning: {message}", file=sys.stderr)


def main(argv=None):
    """Entry point of the ``speechtext`` console script; returns the exit status.

    Exit status: 0 done, 1 an error or a failed input, 2 a usage error, 130 stopped by Ctrl-C
    (SIGINT), 143 stopped by SIGTERM.
    """
    import warnings

    from ..errors import SpeechTextError

    with _stop_on_signals(), warnings.catch_warnings():
        warnings.showwarning = _show_warning
        args = None
        try:
            parser = build_parser(argv)
            args = parser.parse_args(argv)
            return args._run(args)
        except SpeechTextError as exc:
            print(f"speechtext: error: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt as exc:
            return _stopped(args, exc)
        except BrokenPipeError:  # e.g. `speechtext g2p ... | head`
            sys.stderr.close()
            return 0
        except Exception as exc:
            return _internal_error(exc)
