"""speechtext delex: tagged or raw utterances to templates (JSONL) with their slot values."""

import sys

__all__ = ["DESCRIPTION", "HELP", "PATTERN_KINDS", "add_arguments", "run"]

HELP = "delexicalize utterances into [slot] templates, losslessly (from IOB2 tags or patterns)"
DESCRIPTION = (
    "Delexicalize DATA into templates. DATA is a CoNLL file (token<TAB>tag), a folder holding "
    "seq.in and seq.out (the ATIS/SNIPS layout), or untagged seq.in or plain text with one "
    "utterance a line (white-space runs become single spaces). Tagged slots are taken from the "
    "IOB2 tags; value patterns (for untagged data all kinds unless --patterns says otherwise) "
    "and --lexicon values are looked up in the rest of the text, longest match first, never "
    "inside a longer word (a Korean value may carry its particle: 3시에 -> [time]에). OUT gets "
    'one JSON object a line: {"id", "text", "template", "slots": [{"name", "value", "start", '
    '"end"}]}, id the utterance\'s 0-based position in DATA, [start, end) code-point offsets '
    "into text; a literal [, ] or \\ of the text is escaped in the template as \\[, \\] or \\\\."
)

# The library's kinds, repeated so that `speechtext --help` need not compile the patterns; a test
# keeps them equal to speechtext.delex.PATTERN_KINDS.
PATTERN_KINDS = ("money", "percent", "time", "date", "number")


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


def _stats(delexed, top, out=sys.stdout):
    from collections import Counter

    templates = Counter(d.template for d in delexed)
    values = {}
    for d in delexed:
        for slot in d.slots:
            values.setdefault(slot.name, Counter())[slot.value] += 1
    limit = top if top > 0 else None
    print(f"{len(templates)} distinct templates in {len(delexed)} utterances", file=out)
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
    from ..delex import delexicalize, delexicalize_text, load_lexicon
    from ..errors import FormatError
    from ..io.conll import check_tags, read_sentences
    from ..io.delexed import write_delex_jsonl
    from ..tags import check_iob2

    output, patterns = getattr(args, "output", None), getattr(args, "patterns", None)
    if not output and not args.stats:
        args._parser.error("give -o OUT.jsonl, --stats, or both")
    if args.top < 0:
        args._parser.error(f"--top {args.top}: give 0 (all) or more")
    sentences = read_sentences(args.data, format=args.format)
    if any(s.tokens is None for s in sentences):
        raise FormatError(f"{args.data}: holds tags only (a bare seq.out); give the tokens too")
    lexicon = load_lexicon(*args.lexicon) if args.lexicon else None
    tagged = sentences[0].tags is not None
    kinds = patterns if patterns is not None else (() if tagged else PATTERN_KINDS)
    if tagged:
        check_tags(sentences, scheme="IOB2")
    find = bool(kinds) or lexicon is not None

    delexed = []
    for s in sentences:
        if tagged:
            check_iob2(s.tags, where=s.where)
            d = delexicalize(s.tokens, s.tags)
            if find:
                d = delexicalize_text(d.text, patterns=kinds, lexicon=lexicon, keep=d.slots)
        else:
            d = delexicalize_text(" ".join(s.tokens), patterns=kinds, lexicon=lexicon)
        delexed.append(d)

    if output:
        write_delex_jsonl(output, enumerate(delexed))
        distinct = len({d.template for d in delexed})
        nslots = sum(len(d.slots) for d in delexed)
        print(
            f"speechtext: {len(delexed)} utterances, {distinct} distinct templates, "
            f"{nslots} slot values -> {output}",
            file=sys.stderr,
        )
    if args.stats:
        _stats(delexed, args.top)
    return 0
