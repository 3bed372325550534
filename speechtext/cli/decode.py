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
    "sequences (forward algorithm). --nbest 1 uses exact Viterbi; more uses beam search."
)

__all__ = ["add_arguments", "run"]


def add_arguments(parser):
    from .common import positive_int

    parser.add_argument("scores", metavar="SCORES.npz", help="emissions (and transitions)")
    parser.add_argument("--labels", required=True, metavar="LABELS.txt", help="label names")
    parser.add_argument("--nbest", type=positive_int, default=1, metavar="K", help="sequences")
    parser.add_argument("--beam", type=positive_int, default=8, metavar="B", help="beam width")
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="N-best JSONL")


def run(args):
    from ..decode import iob_constraints, nbest_batch
    from ..io.nbest import write_nbest_jsonl
    from ..io.scores import read_emissions, read_labels
    from ..tags import IOB2_PREFIXES, split_tag

    if args.nbest > args.beam:
        args._parser.error(f"--nbest {args.nbest} cannot exceed --beam {args.beam}")
    numbered = read_labels(args.labels)
    for line, label in numbered:  # the decoder's constraints need IOB2 labels
        split_tag(label, allowed=IOB2_PREFIXES, where=f"{args.labels}:{line}")
    labels = [label for _, label in numbered]
    emissions, extra = read_emissions(args.scores, n_labels=len(labels), labels_path=args.labels)
    found = nbest_batch(
        [em for _, em in emissions],
        extra.get("transitions"),
        nbest=args.nbest,
        beam=args.beam,
        allowed=iob_constraints(labels),
        start=extra.get("start"),
        end=extra.get("end"),
    )
    write_nbest_jsonl(
        args.output,
        [
            (name, None, [([labels[j] for j in seq], lp) for seq, lp in nb])
            for (name, _), nb in zip(emissions, found, strict=True)
        ],
    )
    print(f"speechtext: decoded {len(emissions)} sequences into {args.output}", file=sys.stderr)
    return 0
