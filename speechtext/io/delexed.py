"""Delexicalized utterances on disk: JSON Lines, one utterance a line.

``{"id", "text", "template", "slots": [{"name", "value", "start", "end"}]}`` as
``speechtext.delex.Delexed.to_record`` gives it; read back by :func:`speechtext.io.read_templates`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from .manifest import write_jsonl

__all__ = ["write_delex_jsonl"]


def write_delex_jsonl(path: str | os.PathLike, utterances: Iterable[tuple[Any, Any]]) -> None:
    """Write ``(id, delexed)`` pairs as delex JSON Lines, atomically."""
    write_jsonl(path, (delexed.to_record(id) for id, delexed in utterances))
