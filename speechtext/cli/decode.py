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


def _read_labels(path):
    from pathlib import Path

    from ..errors import FormatError

    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise FormatError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"{path}: cannot read the labels ({exc})") from None
    labels = []
    for number, line in enumerate(lines, 1):
        label = line.strip()
        if not label:
            continue
        if any(ch.isspace() for ch in label):
            raise FormatError(f"{path}:{number}: {label!r}: one label a line, no white space")
        labels.append((number, label))
    if not labels:
        raise FormatError(f"{path}: empty file; expected one label name a line")
    return labels


def _read_scores(path, n_labels, labels_path):
    import re
    import zipfile

    import numpy as np

    from ..errors import FormatError

    try:
        archive = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise FormatError(f"{path}: no such file") from None
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise FormatError(f"{path}: not a numpy .npz archive ({exc})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise FormatError(f"{path}: a single array, expected an .npz archive of emissions_K")
    with archive:
        names = archive.files
        numbered = sorted(
            (int(m.group(1)), name)
            for name in names
            if (m := re.fullmatch(r"emissions_(\d+)", name))
        )
        if not numbered:
            raise FormatError(f"{path}: no emissions_0, emissions_1, ... arrays (has {names})")
        emissions = []
        for _, name in numbered:
            em = archive[name]
            if em.ndim != 2 or em.shape[1] != n_labels:
                raise FormatError(
                    f"{path}: {name} has shape {em.shape}; expected [T, {n_labels}] for the "
                    f"{n_labels} labels of {labels_path}"
                )
            if np.isnan(em).any() or np.isposinf(em).any():
                raise FormatError(f"{path}: {name} holds NaN or +inf; scores must be finite")
            emissions.append((name, em.astype(np.float64)))
        extra = {}
        for name, shape in (
            ("transitions", (n_labels, n_labels)),
            ("start", (n_labels,)),
            ("end", (n_labels,)),
        ):
            if name in names:
                value = archive[name]
                if value.shape != shape or np.isnan(value).any():
                    raise FormatError(
                        f"{path}: {name} has shape {value.shape}; expected {shape} without NaN"
                    )
                extra[name] = value.astype(np.float64)
    return emissions, extra


def run(args):
    from ..decode import beam_search_batch, iob_constraints, viterbi_batch
    from ..errors import FormatError, ParameterError
    from ..io.manifest import write_jsonl

    if args.nbest > args.beam:
        args._parser.error(f"--nbest {args.nbest} cannot exceed --beam {args.beam}")
    numbered = _read_labels(args.labels)
    labels = [label for _, label in numbered]
    try:
        allowed = iob_constraints(labels)
    except ParameterError:
        bad = next(
            (n, lab)
            for n, lab in numbered
            if not (lab == "O" or (lab[:2] in ("B-", "I-") and len(lab) > 2))
        )
        raise FormatError(
            f"{args.labels}:{bad[0]}: label {bad[1]!r} is not IOB2; expected O, B-TYPE or I-TYPE"
        ) from None
    emissions, extra = _read_scores(args.scores, len(labels), args.labels)
    arrays = [em for _, em in emissions]
    transitions = extra.get("transitions")
    kw = dict(allowed=allowed, start=extra.get("start"), end=extra.get("end"))
    if args.nbest == 1:
        found = [[best] for best in viterbi_batch(arrays, transitions, **kw)]
    else:
        found = beam_search_batch(arrays, transitions, beam=args.beam, nbest=args.nbest, **kw)
    write_jsonl(
        args.output,
        (
            {
                "id": name,
                "tokens": None,
                "nbest": [
                    {"tags": [labels[j] for j in seq], "logprob": round(lp, 6)} for seq, lp in nb
                ],
            }
            for (name, _), nb in zip(emissions, found, strict=True)
        ),
    )
    print(f"speechtext: decoded {len(arrays)} sequences into {args.output}", file=sys.stderr)
    return 0
