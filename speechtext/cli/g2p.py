"""speechtext g2p: English text or words to ARPAbet or IPA."""

import functools
import json
import sys
import warnings
from pathlib import Path

__all__ = ["DESCRIPTION", "HELP", "add_arguments", "run"]

HELP = "English text or words to ARPAbet or IPA (CMUdict, g2p-en's model, N-best)"
DESCRIPTION = (
    "Pronounce English text: from TEXT arguments, from -i FILE (or - for stdin), or from stdin. "
    "One output line per input line: the words' phones, ARPAbet words separated by ' | ' "
    "(IPA words by spaces). With --words each line is one word and each output line is "
    "word<TAB>phones, or with --nbest K, K lines word<TAB>rank<TAB>logprob<TAB>phones. --json "
    "prints one JSON object per line. With -o OUTDIR the inputs (files or folders of .txt files) "
    "each get an output file that mirrors their relative path; existing outputs are skipped "
    "unless --overwrite, failures are listed in OUTDIR/failures.jsonl and the exit status is 1."
)
TEXT_EXTENSIONS = {".txt"}
_CHUNK_LINES = 2000  # lines pronounced together (the model decodes their unknown words at once)


def add_arguments(parser):
    from .common import default_workers, positive_int

    parser.add_argument("text", nargs="*", metavar="TEXT", help="text to pronounce (one line)")
    parser.add_argument(
        "-i",
        "--input",
        action="append",
        metavar="PATH",
        help="text file, folder of .txt files (with -o), or - for stdin; repeatable",
    )
    parser.add_argument(
        "--words", action="store_true", help="each input line is one word (a lexicon)"
    )
    parser.add_argument(
        "--nbest", type=positive_int, default=1, help="pronunciations per word, best first"
    )
    parser.add_argument(
        "--beam",
        type=positive_int,
        default=None,
        help="beam width of the model's search (default: --nbest; 1 is g2p-en's greedy output)",
    )
    parser.add_argument("--format", choices=["arpabet", "ipa"], default="arpabet")
    parser.add_argument("--no-stress", action="store_true", help="strip stress marks")
    parser.add_argument(
        "--model-only",
        action="store_true",
        help="skip the dictionary: every word from the neural model",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per input line")
    parser.add_argument(
        "-o", "--output", metavar="OUTDIR", help="write one output file per input file here"
    )
    parser.add_argument(
        "--workers", type=positive_int, default=default_workers(), help="worker processes (-o)"
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="with -o: redo files whose outputs exist"
    )


# ------------------------------------------------------------------------------ reading input


# ------------------------------------------------------------------------------- formatting


@functools.cache
def _g2p(nbest, beam, format, stress, model_only):
    from ..g2p import G2P

    return G2P(nbest=nbest, beam=beam, format=format, stress=stress, model_only=model_only)


def _logprob(value):
    return "nan" if value is None else f"{value:.4f}"


def _format_line(line, words, options):
    """Output lines for one input line."""
    from ..io.phones import phones_line, word_entry

    if options["json"]:
        return [
            json.dumps({"text": line, "words": [word_entry(w) for w in words]}, ensure_ascii=False)
        ]
    if not options["words"]:
        return [phones_line(words, options["format"])]
    if not line.strip():
        return [""]
    word = line.strip()
    spoken = [w for w in words if w.pronunciations]
    if options["nbest"] == 1 or len(spoken) != 1:
        # Several words on a lexicon line ("new york", "42"): their best phones, concatenated.
        phones = " ".join(p for w in spoken for p in w.phones)
        if options["nbest"] == 1:
            return [f"{word}\t{phones}"]
        scores = [w.pronunciations[0].logprob for w in spoken]
        total = None if not scores or None in scores else sum(scores)
        return [f"{word}\t1\t{_logprob(total)}\t{phones}"]
    return [
        f"{word}\t{rank}\t{_logprob(p.logprob)}\t{' '.join(p.phones)}"
        for rank, p in enumerate(spoken[0].pronunciations, 1)
    ]


def _pronounce(lines, options):
    """Output lines for input lines, pronounced in chunks."""
    g2p = _g2p(
        options["nbest"],
        options["beam"],
        options["format"],
        options["stress"],
        options["model_only"],
    )
    for i in range(0, len(lines), _CHUNK_LINES):
        chunk = lines[i : i + _CHUNK_LINES]
        # A lexicon's lines are words out of context: homographs as G2P.word gives them.
        results = g2p.transcribe_many(chunk, context=not options["words"])
        for line, words in zip(chunk, results, strict=True):
            yield from _format_line(line, words, options)


def _convert_file(job, **options):
    from ..io.atomic import write_text
    from ..io.text import read_lines

    lines = read_lines(job.source)
    out = list(_pronounce(lines, options))
    write_text(job.outputs[0], "".join(f"{line}\n" for line in out))
    return {"lines": len(lines)}


# ------------------------------------------------------------------------------------- main


def run(args):
    parser = args._parser
    if args.beam is not None and args.beam < args.nbest:
        parser.error(f"--beam {args.beam} is narrower than --nbest {args.nbest}; widen it")
    if args.text and args.input:
        parser.error("give TEXT arguments or -i PATH, not both")
    options = {
        "nbest": args.nbest,
        "beam": args.beam,
        "format": args.format,
        "stress": not args.no_stress,
        "model_only": args.model_only,
        "json": args.json,
        "words": args.words,
    }
    if args.output:
        if not args.input or "-" in args.input:
            parser.error("-o OUTDIR needs -i with files or folders (not stdin)")
        return _run_batch(args, options)

    if args.text:
        lines = list(args.text) if args.words else [" ".join(args.text)]
        sources = [("arguments", lines)]
    else:
        inputs = args.input or ["-"]
        if inputs == ["-"] and sys.stdin.isatty():
            parser.error("give TEXT, -i FILE, or pipe text into stdin")
        sources = [(path, _read_input(path)) for path in inputs]
    out = sys.stdout
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning  # "speechtext: warning: ...", not a source line
        for _, lines in sources:
            for line in _pronounce(lines, options):
                out.write(line + "\n")
    out.flush()
    return 0


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"speechtext: warning: {message}", file=sys.stderr)


def _read_input(path):
    from ..errors import FormatError
    from ..io.text import decode_text, read_lines, split_lines

    if path == "-":
        return split_lines(decode_text(sys.stdin.buffer.read(), "<stdin>"))
    if Path(path).is_dir():
        raise FormatError(f"{path}: is a folder; folder input needs -o OUTDIR")
    return read_lines(path)


def _run_batch(args, options):
    from .common import finish_batch, run_files

    suffix = ".jsonl" if args.json else ".phones.txt"
    work = functools.partial(_convert_file, **options)
    _, report = run_files(
        args, args.input, work, extensions=TEXT_EXTENSIONS, output_suffixes=[suffix], desc="g2p"
    )
    return finish_batch(report, args.output)
