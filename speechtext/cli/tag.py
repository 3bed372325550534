"""speechtext tag: train a slot tagger, tag utterances, pick utterances to label next."""

import sys

HELP = (
    "IOB2 slot tagging and intents: train a CRF, predict tags with confidences and N-best, "
    "active learning"
)
DESCRIPTION = (
    "Slot tagging with a CRF, and intent classification when the training data has intents. "
    "DATA is a CoNLL file (token<TAB>tag, a blank line between sentences; a '# intent = NAME' "
    "line before a sentence gives its intent), a folder holding seq.in and seq.out (the "
    "ATIS/SNIPS layout; a 'label' file beside them gives the intents), or, for unlabeled "
    "input, seq.in or plain text with one utterance a line; the format is detected (a file "
    "that looks like CoNLL with spaces for TABs is an error, not plain text: --format text "
    "reads it as text)."
)

__all__ = ["add_arguments", "run"]

_MODEL_HELP = (
    "model file from `speechtext tag train`; without it, the embedded default tagger "
    "(slots and 9 intents: the SNIPS domains, flights, alarms; shipped with speechtext)"
)


def add_arguments(parser):
    from ..io.conll import FORMATS
    from ..tagging import ALGORITHMS
    from ..tagging.uncertainty import STRATEGIES
    from .common import positive_int

    format_help = "format of DATA (text: one utterance a line, even where it looks like CoNLL)"

    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    fmt = parser.formatter_class

    train = sub.add_parser(
        "train",
        help="train a tagger on IOB2-tagged data",
        description="Train a CRF slot tagger. An I- tag that does not continue an entity is "
        "read as conlleval reads it (the start of a new entity) and repaired, with a warning. "
        "When every training sentence has an intent, the model also learns the intents (a "
        "logistic-regression classifier) and conditions the slots on them.",
        formatter_class=fmt,
    )
    train.add_argument("data", metavar="DATA", help="tagged training data")
    train.add_argument("-o", "--output", required=True, metavar="MODEL", help="model file")
    train.add_argument(
        "--dev",
        metavar="DATA",
        help="tagged held-out data: calibrates the confidences and reports F1",
    )
    train.add_argument(
        "--algorithm",
        choices=sorted(ALGORITHMS),
        default="l2sgd",
        help="crfsuite trainer: SGD with L2, or L-BFGS with L1 and L2",
    )
    train.add_argument(
        "--c1", type=float, help="L1 regularisation (L-BFGS only; default 0.05 there)"
    )
    train.add_argument("--c2", type=float, default=0.1, help="L2 regularisation")
    train.add_argument(
        "--iterations", type=positive_int, default=20, help="SGD epochs or L-BFGS iterations"
    )
    train.add_argument(
        "--networks",
        type=int,
        default=0,
        metavar="K",
        help="also train K convolutional networks (needs torch: pip install "
        "'speechtext[neural]') and tag with their product with the CRF, weighted on --dev; "
        "tagging stays numpy",
    )
    train.add_argument(
        "--ensemble",
        type=positive_int,
        metavar="K",
        help="also train K taggers on bootstrap resamples: MODEL becomes an ensemble file, "
        "for `tag select --by epistemic|aleatoric|bald` (tagging uses the tagger trained on "
        "all the data)",
    )
    train.add_argument(
        "--unlabeled",
        metavar="FILE",
        help="self-training: utterances without tags (seq.in or one a line) to add as "
        "pseudo-labels where the tagger is sure (needs --dev, which calibrates)",
    )
    train.add_argument(
        "--pseudo-threshold",
        type=float,
        default=0.9,
        metavar="P",
        help="least calibrated sentence confidence (intent and every tag right) of a pseudo-label",
    )
    train.add_argument(
        "--rounds",
        type=positive_int,
        default=1,
        metavar="R",
        help="self-training rounds (pseudo-labels chosen afresh by each round's tagger)",
    )
    train.add_argument("--seed", type=int, default=0, help="seed of the bootstrap resamples")
    train.set_defaults(_action=_train, _subparser=train)

    predict = sub.add_parser(
        "predict",
        help="tag utterances; CoNLL out with a confidence per token",
        description="Tag DATA and write OUT as CoNLL token<TAB>tag<TAB>score: the score is the "
        "posterior probability of the entity the token belongs to (same span and type), or for "
        "an O token its marginal probability of O. A model with intents writes each "
        "sentence's intent before it as '# intent = NAME'. With --nbest K, OUT.nbest.jsonl also "
        'gets one line per sentence: {"id", "tokens", "nbest": [{"tags", "logprob"}, ...]} '
        '(id: the sentence\'s 0-based position in DATA), with intents also "intent", '
        '"intent_prob" and "intents": [{"intent", "prob"}, ...] (the K most probable).',
        formatter_class=fmt,
    )
    predict.add_argument("model", metavar="MODEL", nargs="?", help=_MODEL_HELP)
    predict.add_argument("data", metavar="DATA", help="utterances to tag (tags, if any, ignored)")
    predict.add_argument("-o", "--output", required=True, metavar="OUT", help="CoNLL output")
    predict.add_argument(
        "--nbest", type=positive_int, metavar="K", help="also write the K best sequences"
    )
    predict.add_argument(
        "--beam", type=positive_int, metavar="B", help="unused: the N-best list is exact"
    )
    predict.add_argument("--format", choices=FORMATS, default="auto", help=format_help)
    predict.set_defaults(_action=_predict, _subparser=predict)

    select = sub.add_parser(
        "select",
        help="list the utterances the model is least sure of (active learning)",
        description="Print the N utterances of UNLABELED the model is least sure of, most "
        "uncertain first, as uncertainty<TAB>FILE:LINE<TAB>utterance. least-confidence: 1 - "
        "P(best sequence); margin: 1 - (P(best) - P(second best)); entropy: the sum of the "
        "tokens' tag-marginal entropies. With an ensemble (tag train --ensemble K): epistemic "
        "(= bald): what the members disagree on, the mutual information of the tags and the "
        "intent with the member (labels help here); aleatoric: the members' mean entropy (the "
        "utterance is ambiguous; labels help less); both in nats, summed over the tokens plus "
        "the intent's. random: a seeded random order.",
        formatter_class=fmt,
    )
    select.add_argument("model", metavar="MODEL", nargs="?", help=_MODEL_HELP)
    select.add_argument("data", metavar="UNLABELED", help="utterances to choose from")
    select.add_argument("-n", type=positive_int, required=True, metavar="N", help="how many")
    select.add_argument(
        "--by",
        choices=STRATEGIES,
        default="least-confidence",
        help="uncertainty measure (epistemic, bald, aleatoric: an ensemble MODEL from "
        "`tag train --ensemble K`)",
    )
    select.add_argument(
        "--diverse",
        action="store_true",
        help="avoid near-duplicates in the batch: each next utterance's score is scaled by "
        "1 - its greatest word n-gram similarity to those chosen before",
    )
    select.add_argument("--seed", type=int, default=0, help="seed of --by random")
    select.add_argument(
        "-o", "--output", metavar="OUT", help="also write the chosen utterances, one a line"
    )
    select.add_argument("--format", choices=FORMATS, default="auto", help=format_help)
    select.set_defaults(_action=_select, _subparser=select)


def _read(path, *, need_tags, format="auto"):
    from ..errors import FormatError
    from ..io.conll import read_sentences

    sentences = read_sentences(path, format=format)
    if any(s.tokens is None for s in sentences):
        raise FormatError(f"{path}: holds tags only (a bare seq.out); give the tokens too")
    if need_tags and any(s.tags is None for s in sentences):
        raise FormatError(
            f"{path}: has no tags; training needs a CoNLL file with token<TAB>tag lines or a "
            "folder with seq.in and seq.out"
        )
    return sentences


def _intents(path, sentences):
    """The sentences' intents, or None if none has one; FormatError if only some have."""
    from ..errors import FormatError

    missing = [s for s in sentences if s.intent is None]
    if len(missing) == len(sentences):
        return None
    if missing:
        raise FormatError(
            f"{missing[0].where()}: no intent, but {len(sentences) - len(missing)} of the "
            f"{len(sentences)} sentences of {path} have one; give every sentence an intent "
            "(a label line, or '# intent = NAME' before it) or none"
        )
    return [s.intent for s in sentences]


def _tagged(path):
    """Tokens, IOB2 tags and intents (or None) of a labelled file; stray I- tags repaired
    with a warning."""
    from ..tags import check_tags, repair_iob2

    sentences = _read(path, need_tags=True)
    intents = _intents(path, sentences)
    check_tags(sentences, scheme="IOB2")
    tags, repaired = [], []
    for s in sentences:
        fixed, changed = repair_iob2(s.tags)
        if changed:
            repaired.append(s.where(changed[0]))
        tags.append(fixed)
    if repaired:
        print(
            f"speechtext: warning: {repaired[0]}: an I- tag that does not continue an entity; "
            f"read as conlleval does, as the start of a new entity (B-) "
            f"({len(repaired)} sentences like this in {path})",
            file=sys.stderr,
        )
    return [s.tokens for s in sentences], tags, intents


def _inputs(*paths):
    """Every file the DATA paths (and a model) are read from, for the same-file check."""
    from ..io.conll import sentence_files

    return [f for p in paths if p is not None for f in sentence_files(p)]


def _train(args):
    import time
    import warnings

    from ..tagging import SlotTagger, TrainingDataError
    from ..tags import iob2_parts
    from .common import check_outputs

    check_outputs([args.output], _inputs(args.data, args.dev, args.unlabeled))
    if args.unlabeled and not args.dev:
        args._subparser.error(
            "--unlabeled needs --dev: pseudo-labels are chosen by calibrated confidences, and "
            "the temperature is fitted on dev"
        )
    if not 0.0 < args.pseudo_threshold <= 1.0:
        args._subparser.error(f"--pseudo-threshold {args.pseudo_threshold}: give P in (0, 1]")
    if args.ensemble is not None and args.ensemble < 2:
        args._subparser.error("--ensemble K: an ensemble needs at least 2 members")
    if args.networks < 0:
        args._subparser.error(f"--networks {args.networks}: give K >= 0")
    if args.ensemble and args.networks:
        args._subparser.error(
            "--ensemble and --networks: an ensemble's members are CRF taggers; train the "
            "ensemble without --networks"
        )
    if args.ensemble and args.unlabeled:
        args._subparser.error(
            "--ensemble and --unlabeled: self-train first, then train the ensemble on the result"
        )
    tokens, tags, intents = _tagged(args.data)
    dev = _tagged(args.dev) if args.dev else None
    if dev is not None and (intents is None or dev[2] is None):
        dev = dev[:2]
    unlabeled = None
    if args.unlabeled:
        unlabeled = [s.tokens for s in _read(args.unlabeled, need_tags=False)]
    if args.c1 is not None and args.algorithm != "lbfgs":
        args._subparser.error("--c1 (L1 regularisation) needs --algorithm lbfgs")
    params = {
        "algorithm": args.algorithm,
        "c1": args.c1,
        "c2": args.c2,
        "iterations": args.iterations,
        **({"networks": args.networks} if args.networks else {}),
    }
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        try:
            if args.ensemble:
                from ..tagging.ensemble import TaggerEnsemble

                model = TaggerEnsemble(args.ensemble, seed=args.seed, **params)
                model.fit(tokens, tags, intents=intents, dev=dev)
                tagger = model.full_
            elif unlabeled is not None:
                from ..tagging.selftrain import self_train

                model, rounds = self_train(
                    params,
                    tokens,
                    tags,
                    intents,
                    unlabeled,
                    dev=dev,
                    threshold=args.pseudo_threshold,
                    rounds=args.rounds,
                    report=lambda r: _report_round(r, len(unlabeled)),
                )
                kept = next(r.round for r in rounds if r.dev_f1 == model.dev_f1_)
                print(
                    f"speechtext: self-training kept round {kept} (the best dev F1)",
                    file=sys.stderr,
                )
                tagger = model
            else:
                model = tagger = SlotTagger(**params).fit(tokens, tags, intents=intents, dev=dev)
        except TrainingDataError as exc:
            raise TrainingDataError(f"{args.data}: {exc}") from None
    for warning in caught:  # about the training data (stray I- tags were repaired above)
        print(f"speechtext: warning: {args.data}: {warning.message}", file=sys.stderr)
    seconds = time.perf_counter() - start
    model.save(args.output)
    types = {slot for slot in iob2_parts(tagger.labels_)[1] if slot is not None}
    message = (
        f"speechtext: trained on {len(tokens)} sentence{'' if len(tokens) == 1 else 's'}, "
        f"{len(types)} slot type{'' if len(types) == 1 else 's'}"
        + (f", {len(tagger.intents_)} intents" if tagger.intents_ else "")
        + (f", and {args.ensemble} bootstrap members" if args.ensemble else "")
        + " in "
        f"{seconds:.1f} s; model written to {args.output}"
    )
    if dev is not None:
        message += f"; dev F1 {100 * tagger.dev_f1_:.2f}"
        if getattr(tagger, "dev_intent_accuracy_", None) is not None:
            message += f", dev intent accuracy {100 * tagger.dev_intent_accuracy_:.2f}"
    if getattr(tagger, "network_", None) is not None:
        message += (
            f"; {len(tagger.network_.members)} network(s) beside the CRF, weight "
            f"{tagger.network_weight_:g} in the slots, {tagger.network_intent_weight_:g} in "
            "the intents"
        )
    print(message, file=sys.stderr)
    return 0


def _report_round(r, pool):
    intent = (
        ""
        if r.dev_intent_accuracy is None
        else f", dev intent accuracy {100 * r.dev_intent_accuracy:.2f}"
    )
    print(
        f"speechtext: self-training round {r.round}: {r.added} of {pool} unlabeled utterances "
        f"added as pseudo-labels; dev F1 {100 * r.dev_f1:.2f}{intent}",
        file=sys.stderr,
    )


def _predict(args):
    from ..io.conll import Sentence, write_conll
    from ..io.nbest import write_nbest_jsonl
    from ..tagging.ensemble import TaggerEnsemble, load_model
    from .common import check_outputs

    nbest_path = f"{args.output}.nbest.jsonl" if args.nbest else None
    check_outputs([args.output, nbest_path], _inputs(args.model, args.data))
    # before the tagger: the default may train
    sentences = _read(args.data, need_tags=False, format=args.format)
    tagger = load_model(args.model)
    if isinstance(tagger, TaggerEnsemble):  # tags as the tagger trained on all the data
        tagger = tagger.full_
    tokens = [s.tokens for s in sentences]
    tags, scores = tagger.token_scores(tokens)
    intents = [None] * len(tokens)
    if tagger.intents_:
        intents = tagger.predict_intent(tokens, k=args.nbest or 1)
    write_conll(
        args.output,
        [
            Sentence(t, g, c, line=s.line, intent=i[0][0] if i else None)
            for t, g, c, s, i in zip(tokens, tags, scores, sentences, intents, strict=True)
        ],
    )
    if args.nbest:
        nbest = tagger.predict_nbest(tokens, args.nbest)
        write_nbest_jsonl(
            nbest_path,
            [
                (i, t, nb, it)
                for i, (t, nb, it) in enumerate(zip(tokens, nbest, intents, strict=True))
            ],
        )
    print(f"speechtext: tagged {len(tokens)} sentences into {args.output}", file=sys.stderr)
    return 0


def _select(args):
    from ..errors import ParameterError
    from ..io.atomic import write_text
    from ..tagging.ensemble import ENSEMBLE_MEASURES, TaggerEnsemble, load_model
    from ..tagging.uncertainty import select
    from .common import check_outputs

    check_outputs([args.output], _inputs(args.model, args.data))
    # before the tagger: the default may train
    sentences = _read(args.data, need_tags=False, format=args.format)
    model = load_model(args.model)
    tokens = [s.tokens for s in sentences]
    try:
        chosen = select(model, tokens, args.n, by=args.by, diverse=args.diverse, seed=args.seed)
    except ParameterError as exc:
        if isinstance(model, TaggerEnsemble) or args.by not in ENSEMBLE_MEASURES:
            raise
        raise ParameterError(f"{args.model or 'the default tagger'}: {exc}") from None
    for i, uncertainty in chosen:
        print(f"{uncertainty:.6f}\t{sentences[i].where()}\t{' '.join(tokens[i])}")
    if args.output:
        write_text(args.output, "".join(" ".join(tokens[i]) + "\n" for i, _ in chosen))
    return 0


def run(args):
    return args._action(args)
