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
    from ..delex import Lexicon, generate, load_lexicon, parse_template
    from ..errors import FormatError, ParameterError
    from ..io.conll import Sentence, write_conll
    from ..io.lexicon import read_templates

    records = read_templates(args.templates)
    seen = Lexicon()
    placeholders = []  # (line, template, names)
    for line, record in records:
        where = f"{args.templates}:{line}"
        try:
            names = [p for p, is_slot in parse_template(record["template"]) if is_slot]
            slots = record.get("slots", [])
            if [s["name"] for s in slots] != names:
                raise ParameterError(
                    f"the slots {[s['name'] for s in slots]} do not match the placeholders "
                    f"{names} of the template"
                )
            for s in slots:
                seen.add(s["name"], s["value"])
        except ParameterError as exc:
            raise FormatError(f"{where}: {exc}") from None
        placeholders.append((line, record["template"], names))

    if args.lexicon:
        values = load_lexicon(*args.lexicon)
        if args.seen_values:
            values.update(seen)
        source = ", ".join(args.lexicon)
    else:
        values, source = seen, f"the values seen in {args.templates}"
    for line, template, names in placeholders:
        for name in names:
            if name not in values:
                hint = (
                    f"add {name}<TAB>value lines to a lexicon or pass --seen-values"
                    if args.lexicon
                    else "no record gives it a value"
                )
                raise FormatError(
                    f"{args.templates}:{line}: template {template!r} names the slot [{name}], "
                    f"which {source} lacks; {hint}"
                )

    made = generate([t for _, t, _ in placeholders], values, n=args.n, seed=args.seed)
    sentences = []
    for d in made:
        tokens, tags = d.iob()
        sentences.append(Sentence(tokens, tags))
    write_conll(args.output, sentences)
    if len(made) < args.n:
        print(
            f"speechtext: warning: the templates and values make only {len(made)} distinct "
            f"utterances, fewer than -n {args.n}",
            file=sys.stderr,
        )
    print(f"speechtext: {len(made)} utterances -> {args.output}", file=sys.stderr)
    return 0
