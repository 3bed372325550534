"""speechtext decode: N-best label sequences from another model's per-token scores."""

import sys

HELP = "decode per-token label scores (npz) into N-best IOB2 label sequences"
DESCRIPTION = (
    "Decode another model's emissions under IOB2 constraints. SCORES.npz holds arrays "
    "emissions_0, emissions_1, ... of shape [T, L] (per-token log-scores, e.g. log-softmax), "
    "and optionally transitions [L, L] (transitions[i, j] scores label j after label i), start "
    "[L] and end [L]. LABELS.txt names the L labels, one a line, in column order. OUT is JSONL, "
    'one line per array in index order: {"id": "emissions_K", "tokens": null, "nbest": '
    '[{"tags", "logprob"}, ...]}; log-probabilities are normalised over the IOB2-valid '
    "sequences (forward algorithm). The N best are exact (Viterbi, then a k-best backward "
    "search under the IOB2 constraints); --beam B uses beam search of width B instead. "
    "Scores must be real numbers: -inf marks a label impossible at a token (or a forbidden "
    "transition, start or end); NaN, +inf, repeated labels, a row of -inf only, or an array "
    "with no IOB2-valid label sequence at all are errors naming the file, array and row."
)

__all__ = ["add_arguments", "run"]


def add_arguments(parser):
    from .common import positive_int

    parser.add_argument("scores", metavar="SCORES.npz", help="emissions (and transitions)")
    parser.add_argument("--labels", required=True, metavar="LABELS.txt", help="label names")
    parser.add_argument("--nbest", type=positive_int, default=1, metavar="K", help="sequences")
    parser.add_argument(
        "--beam",
        type=positive_int,
        metavar="B",
        help="beam search of width B instead of the exact N best",
    )
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="N-best JSONL")


def run(args):
    import numpy as np

    from ..decode import iob_constraints, nbest_batch
    from ..errors import FormatError
    from ..io.nbest import write_nbest_jsonl
    from ..io.scores import read_emissions, read_labels
    from ..tags import IOB2_PREFIXES, split_tag

    if args.beam is not None and args.nbest > args.beam:
        args._parser.error(f"--nbest {args.nbest} cannot exceed --beam {args.beam}")
    numbered = read_labels(args.labels)
    for line, label in numbered:  # the decoder's constraints need IOB2 labels
        split_tag(label, allowed=IOB2_PREFIXES, where=f"{args.labels}:{line}")
    labels = [label for _, label in numbered]
    emissions, extra = read_emissions(args.scores, n_labels=len(labels), labels_path=args.labels)
    allowed = iob_constraints(labels)
    with np.errstate(all="ignore"):  # impossible or overflowing sentences: named below
        found = nbest_batch(
            [em for _, em in emissions],
            extra.get("transitions"),
            nbest=args.nbest,
            beam=args.beam,
            allowed=allowed,
            start=extra.get("start"),
            end=extra.get("end"),
        )
    for (name, em), nb in zip(emissions, found, strict=True):
        if len(em) and not any(np.isfinite(lp) for _, lp in nb):
            raise FormatError(f"{args.scores}: {_why_impossible(name, em, labels, allowed, extra)}")
    write_nbest_jsonl(
        args.output,
        [
            (name, None, [([labels[j] for j in seq], lp) for seq, lp in nb])
            for (name, _), nb in zip(emissions, found, strict=True)
        ],
    )
    print(f"speechtext: decoded {len(emissions)} sequences into {args.output}", file=sys.stderr)
    return 0


def _why_impossible(name, em, labels, allowed, extra):
    """Where a lattice with no allowed label sequence first runs dry, for the message."""
    import numpy as np

    from ..io.scores import row_name

    def finite(key, mask):
        return mask if key not in extra else mask & np.isfinite(extra[key])

    def scored(row):
        names = [labels[j] for j in np.flatnonzero(possible[row])]
        return ", ".join(names[:6]) + (" ..." if len(names) > 6 else "")

    follows = finite("transitions", allowed.transitions)
    possible = np.isfinite(em)
    live = possible[0] & finite("start", allowed.start)
    if not live.any():
        return (
            f"{row_name(name, 0)}: no label that scores above -inf ({scored(0)}) may begin a "
            "sentence (IOB2: not I-x; nor one whose start score is -inf), so no label sequence "
            "is possible"
        )
    for t in range(1, len(em)):
        live = follows[live].any(axis=0) & possible[t]
        if not live.any():
            return (
                f"{row_name(name, t)}: no label that scores above -inf ({scored(t)}) may follow "
                "one possible at the token before (IOB2: I-x only after B-x or I-x; nor a "
                "transition scored -inf), so no label sequence is possible"
            )
    if not (live & finite("end", allowed.end)).any():
        return (
            f"{row_name(name, len(em) - 1)}: no label possible there may end a sentence (end "
            "scores -inf), so no label sequence is possible"
        )
    # a sequence is allowed, yet none scored: the sums overflowed
    largest = float(np.abs(em[possible]).max())
    return (
        f"{name}: the scores overflow when added up (largest magnitude {largest:.3g}); give "
        "log-scores such as log-softmax outputs"
    )
