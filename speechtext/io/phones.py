"""Pronunciations on disk: one line of phones per utterance, or JSON Lines with the N best.

A phones line holds the words' phones, ARPAbet words separated by `` | `` (IPA words by single
spaces); a word without phones (punctuation) stands as its token. The JSON form of a word is
``{"token", "phones"}``, with ``"nbest": [{"phones", "logprob", "source"}, ...]`` when it has
more than one pronunciation. Written by ``speechtext g2p`` and the pipeline's g2p stage.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

from .atomic import write_text
from .manifest import write_jsonl

__all__ = ["phones_line", "word_entry", "write_phones", "write_phones_jsonl"]


def phones_line(words: Sequence[Any], format: str = "arpabet") -> str:
    """One utterance's words (``speechtext.g2p.Word``) as a phones line."""
    units = [" ".join(w.phones) if format == "arpabet" else "".join(w.phones) for w in words]
    units = [u if u else w.token for u, w in zip(units, words, strict=True)]
    return (" | " if format == "arpabet" else " ").join(units)


def word_entry(word: Any) -> dict[str, Any]:
    """The JSON object of one word."""
    entry = {"token": word.token, "phones": word.phones}
    if len(word.pronunciations) > 1:
        entry["nbest"] = [
            {"phones": list(p.phones), "logprob": p.logprob, "source": p.source}
            for p in word.pronunciations
        ]
    return entry


def write_phones(
    path: str | os.PathLike, utterances: Iterable[Sequence[Any]], format: str = "arpabet"
) -> None:
    """Write one phones line per utterance (a list of words each), atomically."""
    write_text(path, "".join(phones_line(words, format) + "\n" for words in utterances))


def write_phones_jsonl(path: str | os.PathLike, utterances: Iterable[tuple]) -> None:
    """Write ``(id, text, words)`` triples as ``{"id", "text", "words"}`` lines, atomically."""
    write_jsonl(
        path,
        (
            {"id": id, "text": text, "words": [word_entry(w) for w in words]}
            for id, text, words in utterances
        ),
    )
