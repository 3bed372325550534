"""N-best label sequences on disk: JSON Lines, one object per sentence.

``{"id", "tokens", "nbest": [{"tags", "logprob"}, ...]}``, best first; log-probabilities rounded
to 6 decimals. With intents (a tagger trained with them) also ``"intent"`` and ``"intent_prob"``
(the best) and ``"intents": [{"intent", "prob"}, ...]``, most probable first. Written by
``speechtext tag predict --nbest``, ``speechtext decode`` and the pipeline's tag stage.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from .manifest import write_jsonl

__all__ = ["nbest_entry", "write_nbest_jsonl"]


def nbest_entry(
    id: Any,
    tokens: list[str] | None,
    nbest: Iterable[tuple[list[str], float]],
    intents: Iterable[tuple[str, float]] | None = None,
) -> dict[str, Any]:
    """The JSON object of one sentence: ``nbest`` holds ``(tags, logprob)`` pairs, best first;
    ``intents``, if given, ``(intent, probability)`` pairs, most probable first.

    Examples
    --------
    >>> nbest_entry(0, ["hi"], [(["O"], -0.0123456789)])
    {'id': 0, 'tokens': ['hi'], 'nbest': [{'tags': ['O'], 'logprob': -0.012346}]}
    """
    entry = {
        "id": id,
        "tokens": tokens,
        "nbest": [{"tags": list(tags), "logprob": round(lp, 6)} for tags, lp in nbest],
    }
    if intents:
        ranked = [{"intent": name, "prob": round(p, 6)} for name, p in intents]
        entry.update(intent=ranked[0]["intent"], intent_prob=ranked[0]["prob"], intents=ranked)
    return entry


def write_nbest_jsonl(path: str | os.PathLike, sentences: Iterable[tuple]) -> None:
    """Write ``(id, tokens, nbest)`` triples (or ``(id, tokens, nbest, intents)``) as N-best
    JSON Lines, atomically."""
    write_jsonl(path, (nbest_entry(*sentence) for sentence in sentences))
