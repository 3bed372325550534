"""speechtext evaluate: gold against predicted IOB tags; seqeval's scores, AP and calibration."""

import sys

# The library's choices; importing them costs no numpy, so `speechtext --help` stays fast.
from ..evaluation import ENTITY_SCORES, FORMATS, MODES
from ..tags import SCHEMES

__all__ = ["DESCRIPTION", "HELP", "add_arguments", "run"]

HELP = (
    "score predicted slot tags against gold: precision/recall/F1, SemEval match modes, AP, "
    "calibration, confusions, worst errors; text, JSON or HTML"
)
DESCRIPTION = (
    "Score predicted IOB tags against gold. GOLD and PRED are CoNLL files "
    "(token<TAB>tag[<TAB>score]), seq.out files or seq.in/seq.out folders; with --conlleval one "
    "FILE in conlleval's format (last two columns gold and predicted), read as conlleval.pl "
    "reads it: blank and -X- lines end a sentence, -DOCSTART- lines are tokens, two columns are "
    "gold and predicted without a token; with --mode default the counts are conlleval.pl's, and "
    "--format conlleval prints its report. Precision, recall and F1 are seqeval's (--mode "
    "default reads chunks as conlleval.pl does, --mode strict as seqeval's strict mode); with "
    "confidences in PRED (a third CoNLL column) also entity-level average precision "
    "(non-interpolated, as scikit-learn's average_precision_score) and the expected calibration "
    "error. The SemEval-2013 match modes (strict, exact, partial, type; nervaluate's counts), "
    "the confusion of entity types (with missed and spurious entities) and the sentences with a "
    "wrong tag (confident mistakes first) follow the table; --html FILE writes all of it as one "
    "page. With no entity at all, every average is 0 (seqeval gives NaN for the macro average). "
    "When GOLD and PRED both carry intents (a label file beside seq.in/seq.out, '# intent = "
    "NAME' lines in CoNLL), also intent accuracy and sentence accuracy (intent and every slot "
    "right). Notes (no entities, differing tokens ...) go to stderr."
)


def _add_intents(report, gold, pred):
    """Intent figures on the report when both sides carry intents; a note when one side does."""
    from ..evaluation.intents import has_intents, intent_scores

    gold_has, pred_has = has_intents(gold), has_intents(pred)
    if gold_has and pred_has:
        report.intents = intent_scores(gold, pred)
    elif gold_has or pred_has:
        side = "PRED" if gold_has else "GOLD"
        report.notes.append(f"no intent scores: {side} does not give every sentence an intent")


def add_arguments(parser):
    parser.add_argument("gold", metavar="GOLD", help="gold tags (or, with --conlleval, the FILE)")
    parser.add_argument("pred", metavar="PRED", nargs="?", help="predicted tags")
    parser.add_argument(
        "--conlleval",
        action="store_true",
        help="read one FILE in conlleval's format: token ... gold predicted, white-space "
        "separated, as conlleval.pl reads it",
    )
    parser.add_argument(
        "--mode",
        choices=MODES,
        default="default",
        help="chunking: default = conlleval.pl's (an I- after O starts a chunk), strict = "
        "seqeval's strict mode (no entity without its B-)",
    )
    parser.add_argument("--scheme", choices=SCHEMES, default="IOB2", help="tagging scheme")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="report format; conlleval: conlleval.pl's own report (percentages, two decimals)",
    )
    parser.add_argument(
        "--types",
        metavar="T1,T2",
        help="report only these entity types (comma-separated)",
    )
    parser.add_argument(
        "--entity-score",
        choices=ENTITY_SCORES,
        default="min",
        help="an entity's confidence from its tokens' confidences",
    )
    parser.add_argument(
        "--ignore-tokens",
        action="store_true",
        help="where GOLD and PRED tokens differ, warn and compare the tags anyway",
    )
    parser.add_argument(
        "--plot",
        metavar="DIR",
        help="write PR curves and a reliability diagram as PNG files into DIR (needs matplotlib)",
    )
    parser.add_argument(
        "--html",
        metavar="FILE",
        help="also write the report as one self-contained HTML page: summary, per-type table, "
        "match modes, PR curves, reliability diagram, confusion matrix, worst errors (needs "
        "matplotlib)",
    )
    parser.add_argument(
        "-o", "--output", metavar="FILE", help="write the report to FILE instead of stdout"
    )
    parser.add_argument("--digits", type=int, default=4, help="decimals in text and markdown")


def run(args):
    from ..evaluation import evaluate, plot_report, render_html
    from ..io.atomic import write_text
    from ..io.conll import read_sentences, sentence_files
    from ..io.conlleval import read_conlleval
    from .common import check_outputs

    if args.conlleval:
        if args.pred is not None:
            args._parser.error("--conlleval reads gold and predictions from one FILE; drop PRED")
        if args.mode == "default" and args.scheme == "IOBES":
            # conlleval.pl knows no S- and ends no chunk before a B- that follows an E-.
            args._parser.error(
                "--conlleval counts as conlleval.pl does, which does not read IOBES (S- tags); "
                "use --mode strict --scheme IOBES"
            )
        check_outputs([args.output, args.html], [args.gold])
        gold, pred = read_conlleval(args.gold)
    else:
        if args.pred is None:
            args._parser.error("give GOLD and PRED (or one FILE with --conlleval)")
        check_outputs(
            [args.output, args.html], [*sentence_files(args.gold), *sentence_files(args.pred)]
        )
        gold = read_sentences(args.gold)
        pred = read_sentences(args.pred)
    types = None
    if args.types:
        types = [t.strip() for t in args.types.split(",") if t.strip()]
        if not types:
            args._parser.error("--types needs at least one type name")
    if not 0 <= args.digits <= 15:
        args._parser.error("--digits must be between 0 and 15")

    report = evaluate(
        gold,
        pred,
        mode=args.mode,
        scheme=args.scheme,
        types=types,
        entity_score=args.entity_score,
        ignore_tokens=args.ignore_tokens,
    )
    _add_intents(report, gold, pred)
    for note in report.notes:
        print(f"speechtext: note: {note}", file=sys.stderr)
    text = report.render(args.format, digits=args.digits)
    if args.output:
        write_text(args.output, text)
    else:
        sys.stdout.write(text)
    if args.html:
        write_text(
            args.html, render_html(report, title=f"speechtext evaluate: {args.pred or args.gold}")
        )
        print(f"speechtext: wrote {args.html}", file=sys.stderr)
    if args.plot:
        written = plot_report(report, args.plot)
        if written:
            print(f"speechtext: wrote {', '.join(map(str, written))}", file=sys.stderr)
        else:
            print(
                "speechtext: note: nothing plotted: PR curves and the reliability diagram need "
                "confidences in PRED (a third CoNLL column) and gold entities",
                file=sys.stderr,
            )
    return 0
