"""The inputs of an evaluation: gold and predictions read side by side, aligned and checked.

Each check names the first place where the inputs part (file and line for sentences read from
files, sentence and token numbers for plain tag lists).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import chain

from ..errors import FormatError, ParameterError
from ..types import Sentence

__all__ = ["Side", "all_tags", "check_alignment", "locate", "token_scores"]


class Side:
    """One side (gold or pred) as parallel lists, without copying the caller's tag lists.

    Examples
    --------
    >>> side = Side([["B-x", "O"]], "pred")
    >>> len(side), side.where(0, 1)
    (1, 'pred sentence 1, token 2')
    """

    def __init__(self, seqs: Iterable[Sentence | Sequence[str]], name: str):
        if isinstance(seqs, (str, bytes)):
            raise ParameterError(f"{name} must be a list of sentences, not a string")
        self.name = name
        self.sents = list(seqs)
        self.tags = []
        for i, s in enumerate(self.sents):
            if isinstance(s, Sentence):
                if s.tags is None:
                    raise ParameterError(
                        f"{name}: {s.where()} has no tags: it was read as unlabeled input (plain "
                        "text, seq.in or one CoNLL column); CoNLL columns are TAB-separated, and "
                        "conlleval's space-separated output is read with --conlleval"
                    )
                self.tags.append(s.tags)
            elif isinstance(s, (str, bytes)):
                raise ParameterError(f"{name}[{i}] is a string; give one list of tags per sentence")
            else:
                self.tags.append(s)
        self.tokens = [getattr(s, "tokens", None) for s in self.sents]
        self.scores = [getattr(s, "scores", None) for s in self.sents]

    def __len__(self) -> int:
        return len(self.tags)

    def where(self, i: int, k: int = 0) -> str:
        """The place of token ``k`` of sentence ``i``, for messages."""
        s = self.sents[i]
        if isinstance(s, Sentence) and s.source:
            return s.where(k)
        return f"{self.name} sentence {i + 1}, token {k + 1}"


def check_alignment(gold: Side, pred: Side, *, ignore_tokens: bool = False) -> list[str]:
    """Raise FormatError where the sides differ in sentences, tokens per sentence or tokens.

    Returns
    -------
    list of str
        The note on differing tokens when ``ignore_tokens`` lets them pass; else empty.
    """
    g_len, p_len = list(map(len, gold.tags)), list(map(len, pred.tags))
    if g_len != p_len:
        for i, (a, b) in enumerate(zip(g_len, p_len, strict=False)):
            if a != b:
                raise FormatError(
                    f"gold and predictions part at sentence {i + 1}: {gold.where(i)} has "
                    f"{a} tokens but {pred.where(i)} has {b}"
                )
        i = min(len(gold), len(pred))
        longer = gold if len(gold) > len(pred) else pred
        raise FormatError(
            f"gold has {len(gold)} sentences but predictions have {len(pred)}; they part after "
            f"sentence {i}: {longer.where(i)} has no counterpart"
        )
    differ, first = 0, None
    for i, (g, p) in enumerate(zip(gold.tokens, pred.tokens, strict=True)):
        if g is None or p is None or g == p:
            continue
        for k, (a, b) in enumerate(zip(g, p, strict=True)):
            if a != b:
                differ += 1
                if first is None:
                    first = f"{gold.where(i, k)} has {a!r} but {pred.where(i, k)} has {b!r}"
    if differ and not ignore_tokens:
        raise FormatError(
            f"tokens differ: {first}; are these the same sentences? (--ignore-tokens / "
            "ignore_tokens=True compares the tags regardless)"
        )
    if differ:
        return [f"{differ} tokens differ between gold and predictions, first: {first}"]
    return []


def token_scores(
    pred: Side, scores: Iterable[Sequence[float]] | None = None
) -> list[Sequence[float]] | None:
    """Per-token confidences of ``pred``: ``scores`` checked against its tags, or its own.

    Returns None when there are none (no sentences, or a sentence without confidences).
    """
    if scores is None:
        scores = pred.scores
        return scores if len(pred) > 0 and all(sc is not None for sc in scores) else None
    scores = list(scores)
    if len(scores) != len(pred):
        raise ParameterError(f"scores has {len(scores)} sentences but pred has {len(pred)}")
    if list(map(len, scores)) != list(map(len, pred.tags)):
        pairs = zip(scores, pred.tags, strict=True)
        i = next(i for i, (a, b) in enumerate(pairs) if len(a) != len(b))
        raise ParameterError(
            f"scores[{i}] has {len(scores[i])} values but pred sentence {i + 1} has "
            f"{len(pred.tags[i])} tags"
        )
    return scores if len(pred) > 0 else None


def all_tags(*sides: Side) -> list[str]:
    """The distinct tags of the sides in reading order (the first side first, then sentence by
    sentence), so that a check over them reports the first invalid tag a reader meets.

    Examples
    --------
    >>> all_tags(Side([["O", "X-a"], ["B-b"]], "gold"), Side([["Y"]], "pred"))
    ['O', 'X-a', 'B-b', 'Y']
    """
    return list(dict.fromkeys(chain.from_iterable(chain.from_iterable(s.tags for s in sides))))


def locate(tag: str, *sides: Side) -> str | None:
    """The place of the first occurrence of ``tag`` (gold before predictions), for messages.

    Examples
    --------
    >>> locate("X-a", Side([["O"], ["O", "X-a"]], "gold"))
    'gold sentence 2, token 2'
    """
    for side in sides:
        for i, tags in enumerate(side.tags):
            if tag in tags:
                return side.where(i, list(tags).index(tag))
    return None
