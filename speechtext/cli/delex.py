"""speechtext delex: tagged or raw utterances to templates (JSONL) with their slot values."""

import sys

from ..delex import PATTERN_KINDS  # a constant of its own module: --help compiles no pattern

__all__ = ["DESCRIPTION", "HELP", "add_arguments", "run"]

HELP = "delexicalize utterances into [slot] templates, losslessly (from IOB2 tags or patterns)"
DESCRIPTION = (
    "Delexicalize DATA into templates. DATA is a CoNLL file (token<TAB>tag), a folder holding "
    "seq.in and seq.out (the ATIS/SNIPS layout), or untagged seq.in or plain text with one "
    "utterance a line (white-space runs become single spaces); a file that looks like CoNLL "
    "with spaces for TABs is an error, not plain text, unless --format text. Tagged slots are "
    "taken from the IOB2 tags; value patterns (for untagged data all kinds unless --patterns "
    "says otherwise) and --lexicon values are looked up in the rest of the text, longest match "
    "first, never "
    "inside a longer word (a Korean value may carry its particle: 3시에 -> [time]에). OUT gets "
    'one JSON object a line: {"id", "text", "template", "slots": [{"name", "value", "start", '
    '"end"}]}, id the utterance\'s 0-based position in DATA, [start, end) code-point offsets '
    "into text; a literal [, ] or \\ of the text is escaped in the template as \\[, \\] or \\\\."
)


def _kinds(text):
    import argparse

    kinds = [k.strip() for k in text.split(",") if k.strip()]
    if kinds == ["none"]:
        return ()
    for kind in kinds:
        if kind not in PATTERN_KINDS:
            raise argparse.ArgumentTypeError(
                f"unknown pattern kind {kind!r}; choose from {','.join(PATTERN_KINDS)} or none"
            )
    return tuple(kinds)


def add_arguments(parser):
    import argparse

    from ..io.conll import FORMATS

    parser.add_argument("data", metavar="DATA", help="utterances: tagged or plain")
    parser.add_argument(
        "-o",
        "--output",
        default=argparse.SUPPRESS,
        metavar="OUT.jsonl",
        help="templates JSONL (required unless --stats)",
    )
    parser.add_argument("--format", choices=FORMATS, default="auto", help="format of DATA")
    parser.add_argument(
        "--lexicon",
        action="append",
        default=[],
        metavar="FILE",
        help="TSV of slot<TAB>value lines (repeatable); matched case-insensitively",
    )
    parser.add_argument(
        "--patterns",
        type=_kinds,
        default=argparse.SUPPRESS,
        metavar="KINDS",
        help=f"value patterns to apply, from {','.join(PATTERN_KINDS)}, or none "
        "(default: all for untagged DATA, none for tagged DATA)",
    )
    parser.add_argument(
        "--stats",
        action="store_true",
        help="print the distinct templates with counts and each slot's value counts",
    )
    parser.add_argument(
        "--top",
        type=int,
        default=20,
        metavar="K",
        help="with --stats: list the K most frequent templates and values per slot (0: all)",
    )


def _print_stats(stats, top, out=sys.stdout):
    """Print what :func:`speechtext.delex.count_templates` counted, the ``top`` most frequent."""
    templates, values = stats.templates, stats.values
    limit = top if top > 0 else None
    print(f"{len(templates)} distinct templates in {stats.utterances} utterances", file=out)
    for template, count in templates.most_common(limit):
        print(f"{count}\t{template}", file=out)
    if limit is not None and len(templates) > limit:
        print(f"... {len(templates) - limit} more", file=out)
    for name in sorted(values):
        counts = values[name]
        total = sum(counts.values())
        print(f"\n[{name}]: {total} values, {len(counts)} distinct", file=out)
        for value, count in counts.most_common(limit):
            print(f"{count}\t{value}", file=out)
        if limit is not None and len(counts) > limit:
            print(f"... {len(counts) - limit} more", file=out)


def run(args):
    from ..delex import count_templates, delexicalize_sentences, load_lexicon
    from ..io.conll import read_sentences, sentence_files
    from ..io.delexed import write_delex_jsonl
    from .common import check_outputs

    output, patterns = getattr(args, "output", None), getattr(args, "patterns", None)
    if not output and not args.stats:
        args._parser.error("give -o OUT.jsonl, --stats, or both")
    if args.top < 0:
        args._parser.error(f"--top {args.top}: give 0 (all) or more")
    check_outputs([output], [*sentence_files(args.data), *args.lexicon])
    sentences = read_sentences(args.data, format=args.format)
    lexicon = load_lexicon(*args.lexicon) if args.lexicon else None
    delexed = delexicalize_sentences(
        sentences, patterns=patterns, lexicon=lexicon, source=args.data
    )
    counts = count_templates(delexed)
    if output:
        write_delex_jsonl(output, enumerate(delexed))
        print(
            f"speechtext: {counts.utterances} utterances, {len(counts.templates)} distinct "
            f"templates, {counts.slot_values} slot values -> {output}",
            file=sys.stderr,
        )
    if args.stats:
        _print_stats(counts, args.top)
    return 0
