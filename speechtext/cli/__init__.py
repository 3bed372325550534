"""The ``speechtext`` command: one subcommand per stage, each a thin layer over the library.

Subcommands live in their own modules (``speechtext/cli/<name>.py``), each defining ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``. They import the stage they call inside ``run``,
so ``speechtext --help`` loads no heavy library.
"""

import argparse
import importlib
import sys

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
}


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows an option's default only when it has one worth showing (not None or False)."""

    def _get_help_string(self, action):
        if action.default in (None, False) or action.default is argparse.SUPPRESS:
            return action.help
        return super()._get_help_string(action)


def build_parser():
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="speechtext",
        description="Prepare and evaluate data for telephone voice assistants and spoken-language "
        "understanding.",
    )
    parser.add_argument("--version", action="version", version=f"speechtext {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in COMMANDS.items():
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


def main(argv=None):
    """Entry point of the ``speechtext`` console script; returns the exit status."""
    from ..errors import SpeechTextError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args._run(args)
    except SpeechTextError as exc:
        print(f"speechtext: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            "speechtext: interrupted; finished outputs are kept, rerun to resume", file=sys.stderr
        )
        return 130
    except BrokenPipeError:  # e.g. `speechtext g2p ... | head`
        sys.stderr.close()
        return 0
