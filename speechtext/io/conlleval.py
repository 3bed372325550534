"""conlleval's input format, read as conlleval.pl reads it.

conlleval.pl, the evaluation script of the CoNLL chunking and NER shared tasks (version
2004-01-26), reads one token a line: fields separated by spaces, the last two the gold and the
predicted tag, every line with as many fields as the first. :func:`read_conlleval` reads a file
the way the script does, so that ``speechtext evaluate FILE --conlleval`` counts the tokens and
phrases conlleval.pl counts (``tests/test_conlleval.py`` compares the two on tricky files):

- A blank line, or a line whose first field is ``-X-``, ends a sentence and is not a token:
  conlleval.pl reads such a line as ``O O`` whatever its other fields, and does not count it.
- A ``-DOCSTART-`` line is a token like any other: conlleval.pl counts it, in the tokens and in
  the accuracy (its tags are usually ``O O``, so it ends any chunk and starts none).
- A line of two fields is a gold and a predicted tag, without a token (conlleval.pl reads it so).
- A line of one column, or of another number of columns than the first line that is not blank
  (``-X-`` and ``-DOCSTART-`` lines included), is an error naming the line, as it is for the
  script ("unexpected number of features").

Where conlleval.pl fails or misreads, this reader is more forgiving: fields may be separated by
tabs or runs of spaces (the script splits on each single space, so a tab-separated file is one
field a line to it, and a doubled space adds an empty field), and Windows line ends are line ends
(the script keeps the ``\\r`` in the last tag). Its options (``-r``, ``-d``, ``-o``, ``-l``) are
not offered.
"""

from __future__ import annotations

import os

from ..errors import FormatError
from ..types import Sentence
from .text import read_lines

__all__ = ["BOUNDARY", "read_conlleval"]

BOUNDARY = "-X-"  # conlleval.pl's sentence boundary field


def read_conlleval(path: str | os.PathLike) -> tuple[list[Sentence], list[Sentence]]:
    """Read conlleval's input: white-space separated fields, the last two gold and predicted.

    See the module docstring for how lines are read (as conlleval.pl reads them).

    Returns
    -------
    gold, pred : list of Sentence
        The same tokens (None where the lines hold two fields only), with gold and with
        predicted tags; a sentence's ``line`` is its first token's.

    Raises
    ------
    FormatError
        The file is missing or not UTF-8 text; a line holds one column, or another number of
        columns than the first line that is not blank.

    Examples
    --------
    >>> gold, pred = read_conlleval("output.txt")  # doctest: +SKIP
    >>> gold[0].tags, pred[0].tags  # doctest: +SKIP
    (['B-PER', 'O'], ['B-PER', 'O'])
    """
    lines = read_lines(path, what="conlleval")
    source = str(path)
    gold, pred = [], []
    ncols = first_line = None
    tokens, g, p = [], [], []
    start = 0

    def flush():
        if g:
            words = tokens.copy() if ncols > 2 else None
            gold.append(Sentence(words, g.copy(), None, start, source))
            pred.append(
                Sentence(None if words is None else words.copy(), p.copy(), None, start, source)
            )
            tokens.clear()
            g.clear()
            p.clear()

    for number, raw in enumerate(lines, 1):
        cols = raw.split()
        if not cols:
            flush()
            continue
        if ncols is None:
            ncols, first_line = len(cols), number
        elif len(cols) != ncols:
            raise FormatError(
                f"{path}:{number}: {len(cols)} columns, but line {first_line} has {ncols}; "
                "conlleval.pl needs the same number of columns on every line"
            )
        if cols[0] == BOUNDARY:
            flush()
            continue
        if ncols < 2:
            raise FormatError(
                f"{path}:{number}: 1 column; conlleval's format needs the gold and the predicted "
                "tag as the last two (token, any features, gold, predicted)"
            )
        if not g:
            start = number
        if ncols > 2:
            tokens.append(cols[0])
        g.append(cols[-2])
        p.append(cols[-1])
    flush()
    return gold, pred
