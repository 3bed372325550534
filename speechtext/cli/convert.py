"""speechtext convert: a corpus manifest from one format to another."""

import sys

__all__ = ["DESCRIPTION", "HELP", "add_arguments", "run"]

HELP = "convert a corpus manifest between Kaldi, NeMo, lhotse and Hugging Face datasets"
DESCRIPTION = (
    "Read the corpus manifest IN (its format detected, or given with --from) and write it as "
    "OUT in the format --to: kaldi (a data dir: wav.scp, segments, text, utt2spk, spk2utt), "
    "nemo (a JSON Lines file: audio_filepath, duration, offset, text), lhotse (a folder of "
    "recordings.jsonl.gz and supervisions.jsonl.gz) or hf (a folder, Dataset.save_to_disk; "
    "needs the hf extra). Audio paths are written as IN gives them; durations a format needs "
    "and IN lacks are read from the audio headers. Every file is written atomically; IN is "
    "never modified."
)


def add_arguments(parser):
    from ..io.corpora import FORMATS

    parser.add_argument("input", metavar="IN", help="the manifest to read (file or folder)")
    parser.add_argument("output", metavar="OUT", help="the manifest to write (file or folder)")
    parser.add_argument("--to", required=True, choices=list(FORMATS), help="format of OUT")
    parser.add_argument(
        "--from", dest="source_format", choices=list(FORMATS), help="format of IN (detected)"
    )
    parser.add_argument(
        "--allow-commands",
        action="store_true",
        help="accept piped commands (wav.scp lines ending in |) and keep them as commands",
    )


def run(args):
    from ..io.corpora import read_corpus, write_corpus
    from ..io.folders import refuse_overwriting_inputs

    refuse_overwriting_inputs([args.output], [args.input], what="OUT")
    corpus, fmt = read_corpus(
        args.input, format=args.source_format, allow_commands=args.allow_commands
    )
    written = write_corpus(corpus, args.output, args.to)
    n = len(corpus.utterances)
    print(
        f"speechtext: {n} utterance{'' if n == 1 else 's'} of {len(corpus.recordings)} "
        f"recordings, {fmt} -> {args.to}: {', '.join(str(p) for p in written)}",
        file=sys.stderr,
    )
    return 0
