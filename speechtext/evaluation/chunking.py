"""Chunking: the entities of a whole corpus of IOB tags, read by seqeval's rules, with numpy.

``mode="default"`` reads chunks exactly as conlleval.pl (and seqeval's default mode) does: an
``I-`` tag after ``O`` or after another type starts a chunk, a change of type ends one.
``mode="strict"`` is seqeval's strict mode for the chosen ``scheme``: an ``I-`` without its ``B-``
is no entity at all. The chunk boundaries come from seqeval's rules, not from a third reading:
for every (previous prefix, current prefix, same type or not) a rule table says whether a chunk
starts, continues or ends there. Strict mode fills it from seqeval's scheme classes (``IOB2``,
``IOBES`` ...); the default mode from seqeval's ``start_of_chunk``/``end_of_chunk``, restated here
(:func:`start_of_chunk`, :func:`end_of_chunk`) because importing them pulls in scikit-learn, and
checked against seqeval's by the tests. The tables are then applied to the whole corpus at once.

The corpus is encoded as tag ids in one flat array with an ``O`` before the first sentence and
after every sentence (the way seqeval flattens nested lists), so no chunk crosses a sentence
boundary. Entities are ``(start, end, type)`` arrays with ``end`` inclusive, positions in that
flat array. Which tags are valid, and their prefixes, come from :mod:`speechtext.tags`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import NamedTuple

import numpy as np

from ..errors import FormatError
from ..tags import SCHEMES, allowed_prefixes, split_tag

__all__ = [
    "DEFAULT_MODE_PREFIXES",
    "PREFIXES",
    "Entities",
    "TagCodes",
    "chunks",
    "encode",
    "encode_tags",
    "end_of_chunk",
    "rule_tables",
    "start_of_chunk",
    "token_positions",
]

# Every prefix of every scheme, "O" first: the axes of the rule tables.
PREFIXES = "O" + "".join(sorted(set().union(*map(allowed_prefixes, SCHEMES)) - {"O"}))
# seqeval's default mode (conlleval's reading) knows B, I, E and S: IOBES's prefixes.
DEFAULT_MODE_PREFIXES = allowed_prefixes("IOBES")


@dataclass(frozen=True)
class TagCodes:
    """Each distinct tag of a corpus as an id, with its prefix and type as integers.

    Attributes
    ----------
    index : dict of str to int
        Tag -> id (ids follow the sorted tags).
    prefix : np.ndarray [shape=(n_tags,)]
        Position of each tag's prefix in :data:`PREFIXES`.
    type_ : np.ndarray [shape=(n_tags,)]
        Each tag's type id; 0 for ``O`` (seqeval's type ``"_"``).
    type_names : list of str
        Type id -> name; ``"_"`` first.
    """

    index: dict[str, int]
    prefix: np.ndarray
    type_: np.ndarray
    type_names: list[str]


class Entities(NamedTuple):
    """Entities of an encoded corpus: flat positions of the first and last token, type ids."""

    start: np.ndarray
    end: np.ndarray
    type_: np.ndarray

    def select(self, keep: np.ndarray) -> Entities:
        """The entities where the boolean mask ``keep`` is true."""
        return Entities(self.start[keep], self.end[keep], self.type_[keep])


def encode_tags(
    tags: Iterable[str],
    *,
    mode: str,
    scheme: str,
    where: Callable[[str], str | None] | None = None,
) -> TagCodes:
    """Check and split every distinct tag once, and number the tags and their types.

    Tags are checked in the order given, so the FormatError is about the first invalid one of
    ``tags`` (give them in reading order); ``where(tag)`` names its place.

    Examples
    --------
    >>> codes = encode_tags(["B-city", "I-city", "O"], mode="default", scheme="IOB2")
    >>> codes.index, codes.type_names
    ({'B-city': 0, 'I-city': 1, 'O': 2}, ['_', 'city'])
    """
    allowed = allowed_prefixes(scheme)
    if mode == "default":
        allowed = allowed & DEFAULT_MODE_PREFIXES
    parts = {}
    for tag in (*dict.fromkeys(tags), "O"):
        if tag in parts:
            continue
        try:
            parts[tag] = split_tag(tag, scheme=scheme, allowed=allowed)
        except FormatError as exc:
            if where is None:
                raise
            raise FormatError(f"{where(tag)}: {exc}") from None
    tag_list = sorted(parts)
    type_names = ["_"]  # seqeval's type of "O"
    type_ids = {"_": 0}
    prefix = np.zeros(len(tag_list), np.intp)
    type_ = np.zeros(len(tag_list), np.intp)
    for t, tag in enumerate(tag_list):
        p, name = parts[tag]
        prefix[t] = PREFIXES.index(p)
        if name is not None:
            type_[t] = type_ids.setdefault(name, len(type_names))
            if type_[t] == len(type_names):
                type_names.append(name)
    return TagCodes({tag: t for t, tag in enumerate(tag_list)}, prefix, type_, type_names)


def token_positions(lengths: np.ndarray) -> np.ndarray:
    """Position of each token in the flat corpus with an ``O`` before and after every sentence.

    Examples
    --------
    >>> token_positions(np.array([2, 1])).tolist()
    [1, 2, 4]
    """
    return np.arange(int(lengths.sum())) + 1 + np.repeat(np.arange(len(lengths)), lengths)


def encode(
    seqs: Sequence[Sequence[str]], codes: TagCodes, pos: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Tag ids of ``seqs``: one per token, and the flat corpus with its ``O`` borders.

    Returns
    -------
    ids : np.ndarray [shape=(tokens,)]
    ext : np.ndarray [shape=(tokens + sentences + 1,)]
        ``ids`` at ``pos``, the id of ``O`` everywhere else.
    """
    total = len(pos)
    ids = np.fromiter(
        map(codes.index.__getitem__, chain.from_iterable(seqs)), dtype=np.intp, count=total
    )
    ext = np.full(total + len(seqs) + 1, codes.index["O"], dtype=np.intp)
    ext[pos] = ids
    return ids, ext


# ------------------------------------------------------------------------------ chunking tables


@functools.cache
def rule_tables(mode: str, scheme: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Boolean rule tables indexed ``[prev_prefix, cur_prefix, same_type]``, filled by seqeval.

    Returns ``(start, end, None)`` for the default mode and ``(start, inside, end)`` for strict.
    """
    n = len(PREFIXES)
    shape = (n, n, 2)

    def types(pp, cp, same):
        # seqeval gives "O" the type "_"; any other two names stand for "same" and "different".
        prev_type = "_" if pp == "O" else "a"
        cur_type = "_" if cp == "O" else ("a" if same and pp != "O" else "b")
        return prev_type, cur_type

    if mode == "default":
        start, end = np.zeros(shape, bool), np.zeros(shape, bool)
        for (i, pp), (j, cp), same in _pairs():
            prev_type, cur_type = types(pp, cp, same)
            start[i, j, same] = start_of_chunk(pp, cp, prev_type, cur_type)
            end[i, j, same] = end_of_chunk(pp, cp, prev_type, cur_type)
        return start, end, None

    import seqeval.scheme

    cls = getattr(seqeval.scheme, scheme)
    allowed = allowed_prefixes(scheme)
    start, inside, end = (np.zeros(shape, bool) for _ in range(3))
    for (i, pp), (j, cp), same in _pairs():
        if pp not in allowed or cp not in allowed:
            continue
        prev_type, cur_type = types(pp, cp, same)
        prev = cls("O" if pp == "O" else f"{pp}-{prev_type}")
        cur = cls("O" if cp == "O" else f"{cp}-{cur_type}")
        start[i, j, same] = cur.is_start(prev)
        inside[i, j, same] = cur.is_inside(prev)
        end[i, j, same] = cur.is_end(prev)
    return start, inside, end


# conlleval's chunk rules in seqeval's wording (seqeval.metrics.sequence_labeling.end_of_chunk and
# start_of_chunk). They are repeated here because importing that module imports scikit-learn,
# which costs more than a whole evaluation (bench/evaluate.py); tests/test_evaluate.py checks these
# two functions against seqeval's on every combination.
def end_of_chunk(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    """seqeval's ``end_of_chunk``: whether a chunk ended just before ``tag``."""
    return (
        prev_tag in ("E", "S")
        or (prev_tag in ("B", "I") and tag in ("B", "S", "O"))
        or (prev_tag not in ("O", ".") and prev_type != type_)
    )


def start_of_chunk(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    """seqeval's ``start_of_chunk``: whether a chunk starts at ``tag``."""
    return (
        tag in ("B", "S")
        or (prev_tag in ("E", "S", "O") and tag in ("E", "I"))
        or (tag not in ("O", ".") and prev_type != type_)
    )


def _pairs():
    for i, pp in enumerate(PREFIXES):
        for j, cp in enumerate(PREFIXES):
            for same in (0, 1):
                yield (i, pp), (j, cp), same


# ------------------------------------------------------------------------------------- chunking


def chunks(ext: np.ndarray, codes: TagCodes, *, mode: str, scheme: str) -> Entities:
    """Entities of an encoded corpus (``ext`` as :func:`encode` returns it).

    Examples
    --------
    >>> tags = [["O", "I-x", "I-x"]]
    >>> codes = encode_tags(tags[0], mode="default", scheme="IOB2")
    >>> _, ext = encode(tags, codes, token_positions(np.array([3])))
    >>> [a.tolist() for a in chunks(ext, codes, mode="default", scheme="IOB2")]
    [[2], [3], [1]]
    >>> [a.tolist() for a in chunks(ext, codes, mode="strict", scheme="IOB2")]
    [[], [], []]
    """
    prefix, type_ = codes.prefix, codes.type_
    prev, cur = ext[:-1], ext[1:]
    pair = (prefix[prev], prefix[cur], (type_[prev] == type_[cur]).astype(np.intp))
    start_t, second_t, end_t = rule_tables(mode, scheme)
    if mode == "default":
        # Boundary b sits between positions b and b+1.
        starts = np.flatnonzero(start_t[pair]) + 1
        ends = np.flatnonzero(second_t[pair])
        if len(starts) != len(ends):  # the rule tables guarantee this; never silently miscount
            raise RuntimeError("chunk starts and ends do not pair up; please report this input")
        return Entities(starts, ends, type_[ext[starts]])
    inside = second_t[pair]
    is_start = start_t[pair]
    if np.any(is_start & inside):
        return _strict_chunks_loop(ext, is_start, inside, end_t[pair], type_)
    # Where no pair is both a start and an inside (all schemes but IOB1), seqeval's scan reduces
    # to: each start runs to the first following token that is not inside, and is an entity if
    # that pair is an end.
    starts = np.flatnonzero(is_start) + 1
    stops = np.flatnonzero(~inside) + 1
    stop = stops[np.searchsorted(stops, starts, side="right")]
    keep = end_t[pair][stop - 1]
    starts, stop = starts[keep], stop[keep]
    return Entities(starts, stop - 1, type_[ext[starts]])


def _strict_chunks_loop(ext, is_start, inside, is_end, type_):
    """seqeval's ``Tokens.entities`` scan, for schemes where a pair can start and continue."""
    starts, ends = [], []
    i, n = 1, len(ext)
    while i < n:
        if is_start[i - 1]:
            j = i + 1
            while j < n and inside[j - 1]:
                j += 1
            if is_end[j - 1]:
                starts.append(i)
                ends.append(j - 1)
            i = j
        else:
            i += 1
    starts, ends = np.asarray(starts, np.intp), np.asarray(ends, np.intp)
    return Entities(starts, ends, type_[ext[starts]])
