"""Tagged text on disk: CoNLL columns and ATIS/SNIPS ``seq.in``/``seq.out`` folders (conlleval's
own format is :mod:`speechtext.io.conlleval`).

Formats read by :func:`read_sentences` (detected from the path and the content):

``CoNLL``
    ``token<TAB>tag[<TAB>score]`` (or ``token`` alone, unlabeled), one token a line, a blank line
    between sentences; ``-DOCSTART-`` lines are document separators and skipped. Trailing white
    space and Windows line ends are tolerated. Every line of a file has the same number of columns.
    Comment lines ``# key = value`` (as in CoNLL-U) before a sentence's tokens are read for
    ``# intent = NAME`` (the sentence's intent) and otherwise skipped.
``seq.in`` + ``seq.out`` folder
    The ATIS/SNIPS layout: line *n* of ``seq.in`` holds the tokens of utterance *n* and line *n* of
    ``seq.out`` its tags, both split on any white space; an optional ``label`` file holds the
    intent of utterance *n* on line *n*.
``seq.in`` or plain text
    One utterance a line, tokens split on white space; no tags. A file whose lines look like
    CoNLL with spaces for TABs is not read as plain text but rejected (see :func:`read_sentences`).
``seq.out``
    One tag sequence a line; the tokens are unknown (``Sentence.tokens`` is None). A file named
    ``seq.out`` (or ``*.seq.out``), or a text file whose every word looks like an IOB tag.

Line numbers are 1-based and count every physical line, so an error names the line an editor shows.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable
from pathlib import Path

from ..errors import FormatError, ParameterError
from ..tags import SCHEMES, check_tags, split_tag
from ..types import Sentence
from .atomic import atomic_path
from .text import read_text

__all__ = [
    "FORMATS",
    "SCHEMES",
    "Sentence",
    "check_tags",
    "read_sentences",
    "sentence_files",
    "split_tag",
    "write_conll",
    "write_seq",
]

FORMATS = ("auto", "conll", "seq", "seq.in", "seq.out", "text")

# A word that can only be an IOB-style tag; used to tell a seq.out file from plain text.
_TAG_WORD = re.compile(r"O|[BIESLU]-\S+")
# Columns without white space, separated by single tabs (trailing white space already removed).
_CONLL_LINE = re.compile(r"[^\s]+(?:\t[^\s]+)*")
_TRAILING_SPACE = re.compile(r"[^\S\n]$", re.MULTILINE)
_CONLL_LINES = re.compile(r"[^\s]+(?:\t[^\s]+)*(?:\n[^\s]+(?:\t[^\s]+)*)*")
_NONBLANK_LINE = re.compile(r"[^\n]+")
_BLOCK = re.compile(r"(?:[^\n]+\n?)+")  # a run of non-empty lines: one sentence
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
# A CoNLL-U style comment: "# key = value" (no column of a token line holds white space).
_COMMENT = re.compile(r"#\s*([\w.-]+)\s*=\s*(.*?)\s*")
_HAS_COMMENT = re.compile(r"^#\s*[\w.-]+\s*=", re.MULTILINE)
_SNIFF_LINES = 1000  # non-blank lines looked at to tell space-separated CoNLL from plain text


# --------------------------------------------------------------------------------------- reading


def _read_text(path):
    """The file's text; FormatError for a missing, binary, undecodable or empty file."""
    text = read_text(path)
    if not text.strip():
        raise FormatError(f"{path}: empty file; expected at least one sentence")
    return text


def _read_lines(path, text=None):
    """The file's lines without line ends (see :func:`_read_text`)."""
    lines = (_read_text(path) if text is None else text).split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _spaced_columns(line):
    """What a line without TAB looks like: ``"conll"`` for ``token tag`` or ``token tag score``
    separated by spaces, ``"conlleval"`` for ``token ... gold predicted``, else None."""
    cols = line.split()
    if len(cols) < 2 or cols[0] == "-DOCSTART-":
        return None
    if _TAG_WORD.fullmatch(cols[1]) and (
        len(cols) == 2 or (len(cols) == 3 and _NUMBER.fullmatch(cols[2]))
    ):
        return "conll"
    if len(cols) >= 3 and _TAG_WORD.fullmatch(cols[-1]) and _TAG_WORD.fullmatch(cols[-2]):
        return "conlleval"
    return None


def _spaced_error(path, number, raw, kind):
    """The FormatError for a CoNLL-looking line whose columns are separated by spaces."""
    if kind == "conlleval":
        return FormatError(
            f"{path}:{number}: {raw.strip()!r} looks like conlleval's format (token ... gold "
            "predicted, separated by spaces); read it with `speechtext evaluate --conlleval`, "
            "or give CoNLL as TAB-separated token<TAB>tag[<TAB>score] columns"
        )
    return FormatError(
        f"{path}:{number}: {raw.strip()!r} looks like CoNLL with spaces between the columns; "
        "CoNLL columns are TAB-separated (token<TAB>tag[<TAB>score]): replace the spaces with "
        "tabs (plain text that only looks like this is read with format 'text')"
    )


def _check_not_spaced_conll(path, lines):
    """FormatError naming the first line if most non-blank lines look like space-separated
    CoNLL (see :func:`read_sentences`); plain text passes."""
    first, looks, seen = None, 0, 0
    for number, raw in enumerate(lines, 1):
        if not raw.strip() or raw.split()[0] == "-DOCSTART-":
            continue
        seen += 1
        kind = _spaced_columns(raw)
        if kind is not None:
            looks += 1
            if first is None:
                first = (number, raw, kind)
        if seen == _SNIFF_LINES:
            break
    if first is not None and 2 * looks > seen:
        raise _spaced_error(path, *first)


def _read_conll_fast(text, source):
    """Clean CoNLL text read a sentence at a time with C-level string operations, or None.

    "Clean" means LF line ends, no trailing white space, no -DOCSTART-, every line with the same
    number (1 to 3) of non-empty tab-separated columns and finite scores. Anything else returns
    None, and the line-by-line reader handles it (and names the line of any error).
    """
    if (
        "\r" in text
        or "-DOCSTART-" in text
        or _TRAILING_SPACE.search(text)
        or _HAS_COMMENT.search(text)
    ):
        return None
    first = _NONBLANK_LINE.search(text).group()
    ncols = first.count("\t") + 1
    if ncols > 3:
        return None
    block_ok = re.compile(
        rf"(?:[^\s]+(?:\t[^\s]+){{{ncols - 1}}}\n)*[^\s]+(?:\t[^\s]+){{{ncols - 1}}}\n?"
    ).fullmatch
    sentences = []
    line, pos = 1, 0
    for match in _BLOCK.finditer(text):
        block = match.group()
        if block_ok(block) is None:
            return None
        line += text.count("\n", pos, match.start())
        pos = match.start()
        fields = block.split()
        scores = None
        if ncols == 3:
            try:
                scores = list(map(float, fields[2::3]))
            except ValueError:
                return None
            if not all(map(math.isfinite, scores)):
                return None
        tags = fields[1::ncols] if ncols >= 2 else None
        sentences.append(Sentence(fields[::ncols], tags, scores, line=line, source=source))
    return sentences


def _read_conll(path):
    text = _read_text(path)
    source = str(path)
    fast = _read_conll_fast(text, source)
    if fast is not None:
        return fast
    lines = _read_lines(path, text)
    sentences = []
    ncols = None
    first_line = None
    tokens, tags, scores = [], [], []
    intent = [None, 0]  # the next sentence's intent and the line that gave it
    start = 0
    well_formed = _CONLL_LINE.fullmatch

    def flush():
        if tokens:
            sentences.append(
                Sentence(
                    tokens.copy(),
                    tags.copy() if ncols >= 2 else None,
                    scores.copy() if ncols == 3 else None,
                    line=start,
                    source=source,
                    intent=intent[0],
                )
            )
            tokens.clear()
            tags.clear()
            scores.clear()
            intent[0] = None

    for number, raw in enumerate(lines, 1):
        line = raw.rstrip()
        if not line:
            flush()
            continue
        comment = _COMMENT.fullmatch(line) if line.startswith("#") else None
        if comment is not None:
            if tokens:
                raise FormatError(
                    f"{path}:{number}: comment line {line!r} inside a sentence; comments "
                    "(# intent = NAME) go before the sentence's first token line"
                )
            if comment.group(1) == "intent":
                value = comment.group(2)
                if not value or any(ch.isspace() for ch in value):
                    raise FormatError(
                        f"{path}:{number}: {line!r}: an intent is one name without white "
                        "space (# intent = PlayMusic)"
                    )
                if intent[0] is not None:
                    raise FormatError(
                        f"{path}:{number}: a second intent for the sentence (line {intent[1]} "
                        "gave one); keep one # intent = NAME line per sentence"
                    )
                intent[:] = [value, number]
            continue
        cols = line.split("\t")
        if cols[0] == "-DOCSTART-":
            flush()
            continue
        if len(cols) != ncols:
            if ncols is not None:
                raise FormatError(
                    f"{path}:{number}: {len(cols)} tab-separated columns, but line {first_line} "
                    f"has {ncols}; every line needs token<TAB>tag[<TAB>score] alike"
                )
            ncols, first_line = len(cols), number
            if ncols > 3:
                raise FormatError(
                    f"{path}:{number}: {ncols} tab-separated columns; a CoNLL file here has "
                    "token<TAB>tag[<TAB>score] (for conlleval's format use --conlleval)"
                )
        if well_formed(line) is None:
            kind = _spaced_columns(line) if ncols == 1 else None
            if kind is not None:
                raise _spaced_error(path, number, raw, kind)
            raise FormatError(
                f"{path}:{number}: malformed line {raw!r}; expected token<TAB>tag[<TAB>score] "
                "with no empty column and no white space inside a column"
            )
        if not tokens:
            start = number
        tokens.append(cols[0])
        if ncols >= 2:
            tags.append(cols[1])
            if ncols == 3:
                try:
                    score = float(cols[2])
                except ValueError:
                    score = math.nan
                if not math.isfinite(score):
                    raise FormatError(f"{path}:{number}: score {cols[2]!r} is not a finite number")
                scores.append(score)
    flush()
    return sentences


def _read_words(path, *, kind):
    """One utterance a line, split on white space; ``kind`` is "tokens" or "tags"."""
    lines = _read_lines(path)
    out = []
    for number, raw in enumerate(lines, 1):
        words = raw.split()
        if not words:
            continue
        if kind == "tokens":
            out.append(Sentence(words, None, None, number, str(path), one_token_per_line=False))
        else:
            out.append(Sentence(None, words, None, number, str(path), one_token_per_line=False))
    return out


def _read_labels(folder, n):
    """The intents of the ``label`` file beside seq.in (one a line), or None without one."""
    path = Path(folder) / "label"
    if not path.is_file():
        return None
    lines = _read_lines(path)
    if len(lines) != n:
        raise FormatError(
            f"{path}: {len(lines)} lines but seq.in has {n}; give one intent a line, line n "
            "for utterance n"
        )
    out = []
    for number, raw in enumerate(lines, 1):
        words = raw.split()
        if len(words) > 1:
            raise FormatError(
                f"{path}:{number}: {raw.strip()!r} holds white space; an intent is one name"
            )
        out.append(words[0] if words else None)
    return out


def _read_seq_pair(folder):
    seq_in, seq_out = Path(folder) / "seq.in", Path(folder) / "seq.out"
    lines_in, lines_out = _read_lines(seq_in), _read_lines(seq_out)
    labels = _read_labels(folder, len(lines_in))
    if len(lines_in) != len(lines_out):
        shorter = min(len(lines_in), len(lines_out))
        raise FormatError(
            f"{folder}: seq.in has {len(lines_in)} lines but seq.out has {len(lines_out)}; "
            f"they part after line {shorter}"
        )
    out = []
    for number, (raw_in, raw_out) in enumerate(zip(lines_in, lines_out, strict=True), 1):
        tokens, tags = raw_in.split(), raw_out.split()
        if len(tokens) != len(tags):
            raise FormatError(
                f"{seq_in}:{number}: {len(tokens)} tokens but {seq_out}:{number} has "
                f"{len(tags)} tags; each seq.out line needs one tag per seq.in token"
            )
        if tokens:
            intent = labels[number - 1] if labels is not None else None
            out.append(
                Sentence(
                    tokens, tags, None, number, str(seq_in), one_token_per_line=False, intent=intent
                )
            )
    return out


def _looks_like_tags(lines):
    words = [w for line in lines[:200] for w in line.split()]
    return bool(words) and all(_TAG_WORD.fullmatch(w) for w in words)


def _detect(path):
    path = Path(path)
    if path.is_dir():
        has_in, has_out = (path / "seq.in").is_file(), (path / "seq.out").is_file()
        if has_in and has_out:
            return "seq"
        if has_in:
            return "seq.in"
        if has_out:
            return "seq.out"
        raise FormatError(
            f"{path}: folder without seq.in or seq.out; give a CoNLL file or a folder in the "
            "ATIS/SNIPS layout"
        )
    if path.name == "seq.in":
        return "seq.in"
    if path.name == "seq.out" or path.name.endswith(".seq.out"):
        return "seq.out"
    lines = _read_lines(path)
    content = [line for line in lines if line.strip() and not _COMMENT.fullmatch(line.rstrip())]
    first = content[0] if content else lines[0]
    if "\t" in first.strip():
        return "conll"
    if _looks_like_tags(lines):
        return "seq.out"
    _check_not_spaced_conll(path, lines)
    return "text"


def sentence_files(path: str | os.PathLike) -> list[Path]:
    """The files :func:`read_sentences` reads for ``path``: ``seq.in``, ``seq.out`` and
    ``label`` of an ATIS/SNIPS folder, else the path itself (for checking that no output
    overwrites them).

    Examples
    --------
    >>> sentence_files("gold.conll")
    [PosixPath('gold.conll')]
    """
    path = Path(path)
    if path.is_dir():
        return [p for p in (path / "seq.in", path / "seq.out", path / "label") if p.exists()]
    return [path]


def read_sentences(path: str | os.PathLike, *, format: str = "auto") -> list[Sentence]:
    """Read tagged or untagged sentences from a CoNLL file, a seq.in/seq.out folder or plain text.

    Parameters
    ----------
    path : str or Path
        A file or an ATIS/SNIPS folder (see the module docstring for the formats).
    format : {"auto", "conll", "seq", "seq.in", "seq.out", "text"}
        ``"auto"`` detects it: a folder by the files it holds; ``seq.in``/``seq.out`` by name;
        a file whose first non-blank line has a TAB is CoNLL; a file whose every word is an IOB
        tag is a bare ``seq.out``; anything else is plain text, unless it looks like CoNLL
        with spaces for TABs (below).

    Notes
    -----
    **One reader decides what a file is**, for every command. A file without TABs whose
    non-blank lines are, more than half of them, ``token tag`` or ``token tag score``
    separated by spaces (``tag`` an IOB-style tag: ``O``, ``B-city`` ...), or conlleval's
    ``token ... gold predicted``, is CoNLL with the wrong separator: a FormatError naming its
    first such line, never plain text read silently (``add O`` as a two-word utterance). The
    ambiguous case, a plain-text file with one utterance a line whose lines mostly happen to
    be a word and a tag-like word (``call O``), is rare in real text and is read as text only
    when asked: ``format="text"`` (``--format text`` on the command line). With
    ``format="conll"`` such a line is the same error.

    Returns
    -------
    list of Sentence

    Raises
    ------
    FormatError
        Naming the file and line: a missing, empty, binary or non-UTF-8 file, a malformed CoNLL
        line (space-separated columns among them), a token/tag count mismatch between
        ``seq.in`` and ``seq.out``.

    Examples
    --------
    >>> sents = read_sentences("snips/test")  # doctest: +SKIP
    >>> sents[0].tokens[:2], sents[0].tags[:2]  # doctest: +SKIP
    (['add', 'sabrina'], ['O', 'B-artist'])
    """
    if format not in FORMATS:
        raise ParameterError(f"format={format!r}; choose one of {', '.join(FORMATS)}")
    path = Path(path)
    if not path.exists():
        raise FormatError(f"{path}: no such file or folder")
    if format == "auto":
        format = _detect(path)
    if format == "seq":
        return _read_seq_pair(path)
    if format in ("seq.in", "seq.out"):
        file = path / format if path.is_dir() else path
        return _read_words(file, kind="tokens" if format == "seq.in" else "tags")
    if format == "text":
        return _read_words(path, kind="tokens")
    return _read_conll(path)


# --------------------------------------------------------------------------------------- writing


def _check_sentence(i, s, *, need_tags):
    """Lengths and presence of the columns of sentence ``i`` (cheap: no per-token work)."""
    if s.tokens is None:
        raise ParameterError(f"sentence {i} has no tokens (read from a bare seq.out?)")
    if s.tags is not None and len(s.tags) != len(s.tokens):
        raise ParameterError(
            f"sentence {i} ({s.where()}): {len(s.tokens)} tokens but {len(s.tags)} tags"
        )
    if s.scores is not None and len(s.scores) != len(s.tokens):
        raise ParameterError(
            f"sentence {i} ({s.where()}): {len(s.tokens)} tokens but {len(s.scores)} scores"
        )
    if need_tags and s.tags is None:
        raise ParameterError(f"sentence {i} ({s.where()}) has no tags")


def _bad_word(i, s):
    """FormatError for the first token or tag of sentence ``i`` that would break the columns."""
    for what, words in (("token", s.tokens), ("tag", s.tags or ())):
        for k, word in enumerate(words):
            if not isinstance(word, str) or not word or any(ch.isspace() for ch in word):
                return FormatError(
                    f"sentence {i} ({s.where(k)}), {what} {k}: {word!r} is empty, not a string or "
                    "holds white space, which would break the columns; replace it (e.g. with '_')"
                )
    return FormatError(f"sentence {i} ({s.where()}): cannot be written as columns")


def write_conll(
    path: str | os.PathLike, sentences: Iterable[Sentence], *, scores: bool = True
) -> None:
    """Write sentences as CoNLL, ``token<TAB>tag[<TAB>score]``, atomically.

    Parameters
    ----------
    path : str or Path
    sentences : iterable of Sentence
        Untagged sentences are written one token a line; tagged ones with their tags. A
        sentence with an intent is preceded by a ``# intent = NAME`` line.
    scores : bool
        Write the third column where a sentence has scores.

    Raises
    ------
    FormatError
        A token or tag that is empty or holds white space (it would break the columns).

    Examples
    --------
    >>> write_conll("pred.conll", [Sentence(["hi"], ["O"], [0.98])])  # doctest: +SKIP
    """
    parts = []
    for i, s in enumerate(sentences):
        _check_sentence(i, s, need_tags=False)
        if not s.tokens:
            continue
        cols = [s.tokens]
        if s.tags is not None:
            cols.append(s.tags)
            if scores and s.scores is not None:
                cols.append(map(repr, map(float, s.scores)))
        try:
            block = "\n".join(map("\t".join, zip(*cols, strict=True)))
        except TypeError:  # a token or tag that is not a string
            raise _bad_word(i, s) from None
        # One check per sentence: every column non-empty and free of white space, so the block
        # has exactly one line per token and len(cols) - 1 tabs on each.
        n = len(s.tokens)
        if (
            _CONLL_LINES.fullmatch(block) is None
            or block.count("\n") != n - 1
            or block.count("\t") != n * (len(cols) - 1)
        ):
            raise _bad_word(i, s)
        if s.intent is not None:
            if not isinstance(s.intent, str) or not s.intent or any(c.isspace() for c in s.intent):
                raise FormatError(
                    f"sentence {i} ({s.where()}): intent {s.intent!r} is not one name without "
                    "white space"
                )
            block = f"# intent = {s.intent}\n{block}"
        parts.append(block)
    with atomic_path(path) as tmp:
        Path(tmp).write_text("".join(p + "\n\n" for p in parts), encoding="utf-8")


def write_seq(folder: str | os.PathLike, sentences: Iterable[Sentence]) -> None:
    """Write tagged sentences as an ATIS/SNIPS folder: ``seq.in`` and ``seq.out``, atomically,
    and ``label`` (one intent a line) when every sentence has an intent.

    Examples
    --------
    >>> write_seq("out/test", sentences)  # doctest: +SKIP
    """
    lines_in, lines_out, labels = [], [], []
    for i, s in enumerate(sentences):
        _check_sentence(i, s, need_tags=True)
        labels.append(s.intent)
        try:
            line_in, line_out = " ".join(s.tokens), " ".join(s.tags)
        except TypeError:
            raise _bad_word(i, s) from None
        if len(line_in.split()) != len(s.tokens) or len(line_out.split()) != len(s.tags):
            raise _bad_word(i, s)
        lines_in.append(line_in + "\n")
        lines_out.append(line_out + "\n")
    folder = Path(folder)
    with atomic_path(folder / "seq.in") as tmp_in, atomic_path(folder / "seq.out") as tmp_out:
        Path(tmp_in).write_text("".join(lines_in), "utf-8")
        Path(tmp_out).write_text("".join(lines_out), "utf-8")
    if labels and all(isinstance(x, str) and x and len(x.split()) == 1 for x in labels):
        with atomic_path(folder / "label") as tmp:
            Path(tmp).write_text("".join(x + "\n" for x in labels), "utf-8")
