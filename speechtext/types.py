"""Value types shared by the stages, the readers and the pipeline: one utterance's tagged
tokens (:class:`Sentence`), an F0 contour (:class:`F0Track`) and the pipeline's per-utterance
:class:`Record`.

They live below the stages so that :mod:`speechtext.io` can read and write them without importing
any stage. numpy is imported only where an array is made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

__all__ = ["F0Track", "Record", "Sentence"]


@dataclass
class Sentence:
    """One utterance: its tokens, and where known its tags and per-token confidences.

    Attributes
    ----------
    tokens : list of str, or None
        None only for a bare ``seq.out`` file, whose tokens are unknown.
    tags : list of str, or None
        None for unlabeled input (plain text, ``seq.in``, a one-column CoNLL file).
    scores : list of float, or None
        Per-token confidences from a CoNLL third column, else None.
    line : int
        1-based line of the sentence's first token in ``source``.
    source : str or None
        The file the sentence was read from.
    one_token_per_line : bool
        True for CoNLL (token ``k`` is on line ``line + k``), False for one utterance a line.
    intent : str or None
        The utterance's intent, where known (a ``label`` file, a ``# intent = NAME`` line).

    Examples
    --------
    >>> s = Sentence(["play", "jazz"], ["O", "B-genre"], None, line=1)
    >>> s.where(1)
    'line 2'
    """

    tokens: list | None
    tags: list | None = None
    scores: list | None = None
    line: int = 1
    source: str | None = None
    one_token_per_line: bool = True
    intent: str | None = None

    def __len__(self):
        return len(self.tokens if self.tokens is not None else self.tags or ())

    def token_line(self, k):
        """The 1-based line of token ``k``."""
        return self.line + k if self.one_token_per_line else self.line

    def where(self, k=0):
        """``"FILE:LINE"`` (or ``"line N"`` without a source) of token ``k``, for messages."""
        line = self.token_line(k)
        return f"{self.source}:{line}" if self.source else f"line {line}"


@dataclass(frozen=True, eq=False)
class F0Track:
    """An F0 contour: one value per frame.

    Attributes
    ----------
    times : np.ndarray [shape=(n,)]
        Frame centres in seconds: ``k * hop``, the first at 0.
    f0 : np.ndarray [shape=(n,)]
        F0 in Hz, 0 where unvoiced.
    voiced : np.ndarray [shape=(n,)], bool
    confidence : np.ndarray [shape=(n,)]
        Periodicity 0..1 (1 - the frame's best CMNDF trough), faded to 0 over 30-50 dB below
        the loud frames of the file: near 1 for a clean voiced frame, near 0 for noise and
        silence, in between for breathy or creaky voice. Defined for unvoiced frames too.
    hop : float
        Frame step in seconds.
    """

    times: np.ndarray
    f0: np.ndarray
    voiced: np.ndarray
    confidence: np.ndarray
    hop: float = 0.010

    def __len__(self):
        return len(self.times)

    @classmethod
    def empty(cls, *, hop=0.010):
        import numpy as np

        z = np.zeros(0)
        return cls(z, z.copy(), np.zeros(0, bool), z.copy(), hop)


@dataclass
class Record:
    """One utterance as it flows through the stages.

    Attributes
    ----------
    id : str
        The input's path relative to its folder, without suffix (``<stem>:<line>`` for the
        utterances of a text file).
    source : str
        The input file.
    audio : np.ndarray or None
        Mono float samples (replaced by the telephone stage's 8 kHz output).
    sr : int or None
    text : str or None
        The transcript or text line.
    tokens, tags, scores : list or None
        White-space tokens, IOB2 tags, per-token confidences (tag stage).
    nbest : list of (tags, logprob) or None
    intents : list of (intent, probability) or None
        The tagger's most probable intents, best first (a tagger trained with intents).
    phones : list of speechtext.g2p.Word or None
    f0 : F0Track or None
    summary : dict or None
        Pitch summary.
    delex : speechtext.delex.Delexed or None
    call : dict or None
        The telephone stage's report (levels, erased packets), when its chain has one.

    Examples
    --------
    >>> Record("a", "a.txt", text="play jazz").text.split()
    ['play', 'jazz']
    """

    id: str
    source: str
    audio: np.ndarray | None = None
    sr: int | None = None
    text: str | None = None
    tokens: list | None = None
    tags: list | None = None
    scores: list | None = None
    nbest: list | None = None
    intents: list | None = None
    phones: list | None = None
    f0: F0Track | None = None
    summary: dict | None = None
    delex: Any = None
    call: dict | None = None
