"""speechtext relex: fill templates with lexicon values; new IOB2-tagged utterances as CoNLL."""

import sys

__all__ = ["DESCRIPTION", "HELP", "add_arguments", "run"]

HELP = "generate tagged utterances: templates x lexicon values -> CoNLL with IOB2 tags"
DESCRIPTION = (
    "Fill the templates of TEMPLATES (JSONL from `speechtext delex`) with values and write N "
    "new utterances to OUT as CoNLL token<TAB>tag (IOB2). Each utterance draws a template "
    "uniformly from the distinct templates, then each placeholder's value uniformly from the "
    "--lexicon values of its slot (or, without --lexicon, from the values seen in TEMPLATES); "
    "utterances are distinct, so fewer than N come out when the templates and values cannot "
    "make N (with a warning). A multiword value becomes several tokens (B- then I-); a value "
    "followed directly by text (a Korean particle) is split from it. The same inputs and "
    "--seed give the same output."
)


def add_arguments(parser):
    from .common import positive_int

    parser.add_argument("templates", metavar="TEMPLATES.jsonl", help="templates to fill")
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="CoNLL output")
    parser.add_argument("-n", type=positive_int, required=True, metavar="N", help="how many")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument(
        "--lexicon",
        action="append",
        default=[],
        metavar="FILE",
        help="TSV of slot<TAB>value lines (repeatable); every slot the templates name needs values",
    )
    parser.add_argument(
        "--seen-values",
        action="store_true",
        help="with --lexicon: also draw from the values seen in TEMPLATES",
    )


def run(args):
    from ..delex import check_template_values, generate, load_lexicon, read_template_records
    from ..io.conll import Sentence, write_conll
    from ..io.lexicon import read_templates
    from .common import check_outputs

    check_outputs([args.output], [args.templates, *args.lexicon])
    templates, seen = read_template_records(read_templates(args.templates), path=args.templates)
    if args.lexicon:
        values = load_lexicon(*args.lexicon)
        if args.seen_values:
            values.update(seen)
        source = ", ".join(args.lexicon)

        def hint(name):
            return f"add {name}<TAB>value lines to a lexicon or pass --seen-values"
    else:
        values, source = seen, f"the values seen in {args.templates}"

        def hint(name):
            return "no record gives it a value"

    check_template_values(templates, values, source=source, hint=hint)

    made = generate([t.template for t in templates], values, n=args.n, seed=args.seed)
    write_conll(args.output, [Sentence(*d.iob()) for d in made])
    if len(made) < args.n:
        print(
            f"speechtext: warning: the templates and values make only {len(made)} distinct "
            f"utterances, fewer than -n {args.n}",
            file=sys.stderr,
        )
    print(f"speechtext: {len(made)} utterances -> {args.output}", file=sys.stderr)
    return 0
