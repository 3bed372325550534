"""speechtext g2p: English text or words to ARPAbet or IPA."""

import functools
import json
import sys
import warnings
from pathlib import Path

__all__ = ["DESCRIPTION", "HELP", "add_arguments", "run"]

HELP = "English text or words to ARPAbet or IPA (CMUdict, a trainable model, N-best, alignment)"
DESCRIPTION = (
    "Pronounce English text: from TEXT arguments, from -i FILE (or - for stdin), or from stdin. "
    "One output line per input line: the words' phones, ARPAbet words separated by ' | ' "
    "(IPA words by spaces). With --words each line is one word and each output line is "
    "word<TAB>phones, or with --nbest K, K lines word<TAB>rank<TAB>logprob<TAB>phones<TAB>source "
    "(a line with no word to pronounce gets none, and a warning). N-best order: rank 1 is the "
    "1-best (what --nbest 1 gives with the same --beam: the dictionary's first variant, the "
    "homograph's by part of speech, or the model's best), then the "
    "dictionary's other variants (source dict), then the model's guesses (source model), each "
    "group by logprob, the model's log-probability of the phones (forced decoding for dictionary "
    "entries), which compares across sources. Times are read as said (3:15pm: three fifteen "
    "p.m.), dotted initialisms letter by letter (U.S.A.); letters of other scripts, emoji and "
    "symbols are skipped with a warning naming them and the file and line. --json prints one "
    "JSON object per line. With -o OUTDIR the inputs (files or folders of .txt files) each get "
    "an output file that mirrors their relative path; existing outputs are skipped unless "
    "--overwrite, failures are listed in OUTDIR/failures.jsonl and the exit status is 1. "
    "--align prints each word's graphemes against its phones (w|eigh|t -> W|EY1|T), one "
    "word<TAB>alignment line per word (with --nbest K: word<TAB>rank<TAB>logprob<TAB>alignment"
    "<TAB>source), a blank line after each input line of running text. "
    "Training: `speechtext g2p train LEXICON -o MODEL [--dev FILE]` fits a graphone model to a "
    "pronouncing dictionary (CMUdict format, WORD(2) variants, ;;; comments, or TSV "
    "word<TAB>phones; any phone set), then --model MODEL uses it."
)
TEXT_EXTENSIONS = {".txt"}
_CHUNK_LINES = 2000  # lines pronounced together (the model decodes their unknown words at once)
_WARNED_LINES = 5  # lines of one input named in warnings; the rest are counted


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
        help="beam width of the model's search (default: --nbest; with --model g2p-en, 1 is "
        "g2p-en's greedy output)",
    )
    parser.add_argument("--format", choices=["arpabet", "ipa"], default="arpabet")
    parser.add_argument("--no-stress", action="store_true", help="strip stress marks")
    parser.add_argument(
        "--model-only",
        action="store_true",
        help="skip the dictionary: every word from the model",
    )
    parser.add_argument(
        "--model",
        metavar="NAME|PATH",
        default=None,
        help="model of words the dictionary lacks: g2p-en (g2p-en's network), cmudict (the "
        "graphone model shipped, trained on the current CMUdict) or a file made by "
        "`speechtext g2p train` (default: cmudict)",
    )
    parser.add_argument(
        "--align",
        action="store_true",
        help="print each word's graphemes against its phones: w|eigh|t -> W|EY1|T",
    )
    parser.add_argument(
        "--dev",
        metavar="FILE",
        help="with `train`: held-out dictionary to choose the n-gram order and calibrate on "
        "(default: 3%% of the lexicon's words)",
    )
    parser.add_argument(
        "--order",
        type=positive_int,
        default=None,
        help="with `train`: graphone n-gram order (default: chosen on the dev words among 5-8)",
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
def _g2p(nbest, beam, format, stress, model_only, model=None):
    from ..g2p import G2P

    return G2P(
        nbest=nbest, beam=beam, format=format, stress=stress, model_only=model_only, model=model
    )


def _logprob(value):
    return "" if value is None else f"{value:.4f}"  # empty: no score (not "nan")


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
    if options["nbest"] > 1 and not spoken:
        return []  # nothing to rank (emoji, punctuation): the warning says so
    if options["nbest"] == 1 or len(spoken) != 1:
        # Several words on a lexicon line ("new york", "42"): their best phones, concatenated.
        phones = " ".join(p for w in spoken for p in w.phones)
        if options["nbest"] == 1:
            return [f"{word}\t{phones}"]
        best = [w.pronunciations[0] for w in spoken]
        scores = [p.logprob for p in best]
        total = None if None in scores else sum(scores)
        sources = "+".join(dict.fromkeys(p.source for p in best))
        return [f"{word}\t1\t{_logprob(total)}\t{phones}\t{sources}"]
    return [
        f"{word}\t{rank}\t{_logprob(p.logprob)}\t{' '.join(p.phones)}\t{p.source}"
        for rank, p in enumerate(spoken[0].pronunciations, 1)
    ]


class _Warnings:
    """The warnings about one input's lines, each naming its line, the first few in full."""

    def __init__(self, name, *, lines):
        self.name = name
        self.lines = lines  # "file": NAME:LINE; "argument": argument N; None: NAME alone
        self.count = 0

    def where(self, index):
        if self.lines == "file":
            return f"{self.name}:{index + 1}"
        return f"argument {index + 1}" if self.lines == "argument" else self.name

    def warn(self, index, message):
        self.count += 1
        if self.count <= _WARNED_LINES:
            warnings.warn(f"{self.where(index)}: {message}", stacklevel=2)

    def close(self):
        if self.count > _WARNED_LINES:
            more = self.count - _WARNED_LINES
            warnings.warn(
                f"{self.name}: {more} more lines with characters skipped or no word to "
                "pronounce (not listed)",
                stacklevel=2,
            )


def _pronounce(lines, options, report):
    """Output lines for input lines, pronounced in chunks; warnings name the lines."""
    from ..g2p import UnspokenWarning

    align = options.get("align", False)
    g2p = _g2p(
        options["nbest"],
        options["beam"],
        options["format"],
        options["stress"] or align,  # alignments are cut with stress (shown without if asked)
        options["model_only"],
        options.get("model"),
    )
    for i in range(0, len(lines), _CHUNK_LINES):
        chunk = lines[i : i + _CHUNK_LINES]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UnspokenWarning)
            # A lexicon's lines are words out of context: homographs as G2P.word gives them.
            results = g2p.transcribe_many(chunk, context=not options["words"])
        unspoken = {}
        for w in caught:
            if isinstance(w.message, UnspokenWarning):
                unspoken[w.message.index] = w.message.what
            else:
                warnings.warn(w.message, stacklevel=1)
        for k, (line, words) in enumerate(zip(chunk, results, strict=True)):
            if k in unspoken:
                report.warn(i + k, unspoken[k])
            elif options["words"] and line.strip() and not any(w.pronunciations for w in words):
                report.warn(i + k, f"no word to pronounce in {line.strip()!r}")
            if align:
                yield from _aligned_lines(g2p, line, words, options)
            else:
                yield from _format_line(line, words, options)
    report.close()


def _aligned_lines(g2p, line, words, options):
    """--align output for one input line: a line per word (per pronunciation with --nbest)."""
    spoken = [w for w in words if w.pronunciations]
    pairs = [(w.token, p.phones) for w in spoken for p in w.pronunciations]
    cuts = g2p.cut(pairs)
    out, i = [], 0
    for w in spoken:
        for rank, p in enumerate(w.pronunciations, 1):
            cut = str(cuts[i]) if options["stress"] else _unstressed(str(cuts[i]))
            i += 1
            if options["nbest"] == 1:
                out.append(f"{w.token}\t{cut}")
            else:
                out.append(f"{w.token}\t{rank}\t{_logprob(p.logprob)}\t{cut}\t{p.source}")
    if not options["words"]:
        out.append("")
    return out


def _unstressed(text):
    import re

    return re.sub(r"(?<=[A-Z])[012]", "", text)


def _convert_file(job, **options):
    from ..io.atomic import write_text
    from ..io.text import read_lines

    lines = read_lines(job.source)
    out = list(_pronounce(lines, options, _Warnings(job.source, lines="file")))
    write_text(job.outputs[0], "".join(f"{line}\n" for line in out))
    return {"lines": len(lines)}


# ------------------------------------------------------------------------------------- main


def run(args):
    parser = args._parser
    # `speechtext g2p train LEXICON -o MODEL`: TEXT "train" with -o and no -i (pronouncing
    # text never takes -o without -i, so "speechtext g2p train station" still pronounces)
    if args.text and args.text[0] == "train" and args.output and not args.input:
        return _train(args)
    if args.dev or args.order:
        parser.error("--dev and --order are options of `speechtext g2p train LEXICON -o MODEL`")
    if args.align and (args.format == "ipa" or args.json or args.output):
        parser.error("--align prints ARPAbet text lines: not with --format ipa, --json or -o")
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
        "model": args.model,
        "align": args.align,
    }
    if args.output:
        if not args.input or "-" in args.input:
            parser.error("-o OUTDIR needs -i with files or folders (not stdin)")
        return _run_batch(args, options)

    if args.text:
        if args.words:
            sources = [(_Warnings("arguments", lines="argument"), list(args.text))]
        else:
            sources = [(_Warnings("arguments", lines=None), [" ".join(args.text)])]
    else:
        inputs = args.input or ["-"]
        if inputs == ["-"] and sys.stdin.isatty():
            parser.error("give TEXT, -i FILE, or pipe text into stdin")
        sources = [
            (_Warnings("<stdin>" if path == "-" else path, lines="file"), _read_input(path))
            for path in inputs
        ]
    out = sys.stdout
    for report, lines in sources:
        for line in _pronounce(lines, options, report):
            out.write(line + "\n")
    out.flush()
    return 0


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


def _train(args):
    """``speechtext g2p train LEXICON -o MODEL [--dev FILE] [--order N]``."""
    import time

    from ..g2p.train import train_graphone_model
    from ..io.atomic import check_output_file
    from ..io.lexicon import read_pronunciations

    parser = args._parser
    if len(args.text) != 2:
        parser.error("usage: speechtext g2p train LEXICON -o MODEL [--dev FILE] [--order N]")
    lexicon = args.text[1]
    for given in filter(None, [lexicon, args.dev]):
        if Path(given).resolve() == Path(args.output).resolve():
            parser.error(f"-o {args.output} is an input ({given}); write the model elsewhere")
    check_output_file(args.output, what="model")
    entries = read_pronunciations(lexicon)
    dev = read_pronunciations(args.dev) if args.dev else None
    start = time.perf_counter()
    model = train_graphone_model(entries, dev=dev, order=args.order)
    model.save(args.output)
    info = model.info
    dev_part = (
        f", dev WER {info['dev_wer']:.1f} % on {info['dev_words']} words"
        if info.get("dev_wer") is not None
        else ""
    )
    skipped = (
        f" ({info['skipped']} left out: no cut of 1-2 letters to 0-2 phones fits them)"
        if info["skipped"]
        else ""
    )
    print(
        f"{args.output}: graphone {info['order']}-gram from {info['entries']} entries{skipped}"
        f"{dev_part}, temperature {info['temperature']:.2f}; "
        f"{Path(args.output).stat().st_size / 1e6:.2f} MB in {time.perf_counter() - start:.1f} s"
    )
    return 0
